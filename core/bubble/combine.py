"""Per-dimension scores combined into one number per device-hour, with the explanation.

D² = uᵀR⁻¹u on the standardised residuals u, where R is the device's correlation of residuals (an
exponentially weighted second moment of winsorised residuals, learned only on hours the guard lets
through) shrunk toward the average of its store's devices: R = (n·R̂ + κ·R_store)/(n + κ).
Contributions c_j = u_j·(R⁻¹u)_j add up to D². Residuals are divided by their spread only when it
exceeds 1: the mid-p scores of very discrete counts have a spread below 1 and scaling them up
inflates their tails.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray
WINSOR = 4.0
RIDGE = 0.1


class Correlations:
    def __init__(self, devices: int, dims: int) -> None:
        self.m2 = np.tile(np.eye(dims), (devices, 1, 1))
        self.weight = np.zeros(devices)

    def spread(self) -> Array:
        return np.asarray(np.sqrt(np.maximum(np.diagonal(self.m2, axis1=1, axis2=2), 1e-6)))

    def standardise(self, u: Array) -> Array:
        return np.asarray(u / np.maximum(self.spread(), 1.0))

    def matrices(self, store: Array, stores: int, prior: float, rows: Array | None = None) -> Array:
        """R per device (or per device of ``rows`` only, in that order)."""
        sd = self.spread()
        own = self.m2 / (sd[:, :, None] * sd[:, None, :])
        pooled = np.zeros((stores, *own.shape[1:]))
        np.add.at(pooled, store, own * self.weight[:, None, None])
        totals = np.bincount(store, weights=self.weight, minlength=stores)
        dims = own.shape[1]
        pooled = np.where(
            totals[:, None, None] > 0, pooled / np.maximum(totals, 1e-9)[:, None, None], np.eye(dims)
        )
        if rows is not None:
            own, store, n = own[rows], store[rows], self.weight[rows, None, None]
        else:
            n = self.weight[:, None, None]
        r = (n * own + prior * pooled[store]) / (n + prior)
        return np.asarray((1 - RIDGE) * r + RIDGE * np.eye(dims))

    def learn(self, u: Array, rows: Array, decay: float) -> None:
        if rows.size == 0:
            return
        w = np.clip(u[rows], -WINSOR, WINSOR)
        outer = w[:, :, None] * w[:, None, :]
        n0 = self.weight[rows]
        n1 = decay * n0 + 1.0
        self.m2[rows] = (decay * n0[:, None, None] * self.m2[rows] + outer) / n1[:, None, None]
        first = n0 == 0
        if first.any():  # the first hour alone is no correlation: start from identity plus it
            eye = np.eye(u.shape[1])
            self.m2[rows[first]] = 0.5 * eye + 0.5 * outer[first]
        self.weight[rows] = n1


def mahalanobis(u: Array, r: Array) -> tuple[Array, Array]:
    """D² per device and the additive contributions c_j = u_j (R⁻¹u)_j (they sum to D²)."""
    solved = np.linalg.solve(r, u[:, :, None])[:, :, 0]
    contributions = u * solved
    return np.asarray(contributions.sum(axis=1)), np.asarray(contributions)
