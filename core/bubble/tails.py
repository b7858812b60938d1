"""Tail probabilities of the count models, as mid-p normal scores, and the CUSUM log-likelihood ratios.

A mid-p score ``z = Φ⁻¹(F(x−1) + ½·f(x))`` is signed (low counts give negative scores) and behaves on
discrete data: two no-sales against an expected 0.15 score 2.5, not the 4.8 of a Gaussian z.
Everything here is vectorised over devices (numpy arrays of equal shape).
"""

from __future__ import annotations

import numpy as np
from scipy import special

Array = np.ndarray
_EPS = 1e-12


def _midp_to_z(below: Array, at: Array) -> Array:
    p = np.clip(below + 0.5 * at, _EPS, 1 - _EPS)
    return np.asarray(special.ndtri(p))


def nb_pmf(x: Array, mean: Array, shape: Array) -> Array:
    """Negative Binomial probability of ``x`` with the given mean and shape r (variance μ + μ²/r)."""
    p = shape / (shape + mean)
    log = (
        special.gammaln(x + shape)
        - special.gammaln(shape)
        - special.gammaln(x + 1)
        + shape * np.log(p)
        + x * np.log1p(-p)
    )
    return np.asarray(np.exp(log))


def nb_cdf(x: Array, mean: Array, shape: Array) -> Array:
    """P(X ≤ x) for the Negative Binomial; 0 where x < 0."""
    p = shape / (shape + mean)
    xs = np.asarray(x, dtype=float)
    safe = np.maximum(xs, 0)
    cdf = special.betainc(shape, safe + 1, p)
    return np.where(xs < 0, 0.0, cdf)


def nb_score(x: Array, mean: Array, shape: Array) -> Array:
    """Mid-p normal score of counts ``x`` under NB(mean, shape)."""
    x = np.asarray(x, dtype=float)
    mean = np.maximum(np.asarray(mean, dtype=float), 1e-6)
    shape = np.maximum(np.asarray(shape, dtype=float), 1e-6)
    return _midp_to_z(nb_cdf(x - 1, mean, shape), nb_pmf(x, mean, shape))


def gamma_poisson_score(x: Array, a: Array, b: Array) -> Array:
    """Mid-p score of ``x`` under the predictive of a Gamma(a, rate b) rate: NB(mean a/b, shape a)."""
    return nb_score(x, np.asarray(a) / np.asarray(b), a)


def betabinom_logpmf(k: Array, n: Array, a: Array, b: Array) -> Array:
    return np.asarray(
        special.gammaln(n + 1)
        - special.gammaln(k + 1)
        - special.gammaln(n - k + 1)
        + special.betaln(k + a, n - k + b)
        - special.betaln(a, b)
    )


def betabinom_score(k: Array, n: Array, a: Array, b: Array) -> Array:
    """Mid-p score of ``k`` successes in ``n`` trials under Beta-Binomial(n, a, b); 0 where n = 0
    (no trials, no information)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    z = np.zeros(k.shape)
    live = n > 0
    if not live.any():
        return z
    kl, nl, al, bl = k[live], n[live], a[live], b[live]
    support = np.arange(int(nl.max()) + 1, dtype=float)[None, :]
    pmf = np.exp(betabinom_logpmf(support, nl[:, None], al[:, None], bl[:, None]))
    pmf = np.where(support <= nl[:, None], pmf, 0.0)
    below = np.where(support < kl[:, None], pmf, 0.0).sum(axis=1)
    at = np.take_along_axis(pmf, kl.astype(int)[:, None], axis=1)[:, 0]
    z[live] = _midp_to_z(below, at)
    return z


def rate_llr(k: Array, n: Array, p: Array, odds_ratio: float) -> Array:
    """Log-likelihood ratio of ``k`` of ``n`` under a rate whose odds are ``odds_ratio`` times ``p``'s."""
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    p1 = odds_ratio * p / (1 - p + odds_ratio * p)
    return np.asarray(k * np.log(p1 / p) + (n - k) * np.log((1 - p1) / (1 - p)))


def count_llr(x: Array, mean: Array, ratio: float) -> Array:
    """Log-likelihood ratio of a Poisson count ``x`` at ``ratio`` × ``mean`` against ``mean``."""
    return np.asarray(x * np.log(ratio) - (ratio - 1) * np.asarray(mean, dtype=float))


def cusum_step(previous: Array, llr: Array, cap: float) -> Array:
    """One Page CUSUM step: S ← min(cap, max(0, S + ℓ))."""
    return np.asarray(np.minimum(cap, np.maximum(0.0, previous + llr)))
