"""The store's common mode, removed: a device is compared with its store peers, and a store with the
rest of the chain.

With w = clip(z, −3, 3) per device and dimension:
- a device's idiosyncratic score is u = z − mean of its present peers' w (leave-one-out), so a
  store-wide shift cancels out of every device;
- the store's common mode drops the most extreme device per dimension before averaging (one wild
  register moves it not at all), and the store is scored on that minus the chain's median store.
With one store there is no chain to compare with, and the store's own common mode is scored.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray
CLIP = 3.0


def device_residuals(z: Array, store: Array, present: Array, stores: int) -> Array:
    """u = z − leave-one-out mean of the clipped scores of the device's present store peers."""
    w = np.where(present[:, None], np.clip(z, -CLIP, CLIP), 0.0)
    sums = np.zeros((stores, z.shape[1]))
    np.add.at(sums, store, w)
    counts = np.bincount(store, weights=present.astype(float), minlength=stores)
    peers = counts[store] - present
    loo = (sums[store] - w) / np.maximum(peers, 1.0)[:, None]
    return np.asarray(np.where((peers > 0)[:, None], z - loo, z))


def store_common_modes(z: Array, store: Array, present: Array, stores: int) -> tuple[Array, Array]:
    """Per store: the common mode with the most extreme present device left out (dimension by
    dimension), and how many devices were present. Stores with fewer than three present devices get
    no common mode: leave-one-out of two is one device's word."""
    k = z.shape[1]
    modes = np.zeros((stores, k))
    counts = np.bincount(store, weights=present.astype(float), minlength=stores)
    w = np.clip(z, -CLIP, CLIP)
    for s in np.nonzero(counts >= 3)[0]:
        rows = np.nonzero((store == s) & present)[0]
        ws = w[rows]
        top = np.abs(ws).argmax(axis=0)
        total = ws.sum(axis=0) - ws[top, np.arange(k)]
        modes[s] = total / (rows.size - 1)
    return modes, counts


def store_residuals(modes: Array, counts: Array) -> Array:
    """The store's common mode minus the chain's median store (over stores with a common mode)."""
    live = counts >= 3
    if live.sum() >= 2:
        return np.asarray(np.where(live[:, None], modes - np.median(modes[live], axis=0), 0.0))
    return modes


def leave_top_out_sum(values: Array, store: Array, present: Array, stores: int) -> Array:
    """Σ − max over each store's present devices (per column): the evidence the store's CUSUM takes,
    so no single device can drive it."""
    out = np.zeros((stores, values.shape[1]))
    for s in range(stores):
        rows = np.nonzero((store == s) & present)[0]
        if rows.size >= 2:
            vs = values[rows]
            out[s] = vs.sum(axis=0) - vs.max(axis=0)
    return out
