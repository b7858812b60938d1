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
    xs, shape, p = np.broadcast_arrays(np.asarray(x, dtype=float), shape, p)
    cdf = np.zeros(xs.shape)
    some = xs >= 0  # the incomplete beta only where it is not 0 by definition
    cdf[some] = special.betainc(shape[some], xs[some] + 1, p[some])
    return cdf


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
    (no trials, no information). Arrays of equal shape; a 2-D call scores each column as a 1-D call
    would (columns with the same largest trial count are computed together)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if k.ndim < 2:
        return _betabinom_columns(k[:, None], n[:, None], a[:, None], b[:, None])[:, 0]
    return _betabinom_columns(k, n, a, b)


def _betabinom_columns(k: Array, n: Array, a: Array, b: Array) -> Array:
    z = np.zeros(k.shape)
    live = n > 0
    widths = np.where(live, n, -1.0).max(axis=0)
    for width in np.unique(widths[widths >= 0]):
        cells = live & (widths == width)[None, :]
        z[cells] = _betabinom_cells(k[cells], n[cells], a[cells], b[cells], int(width) + 1)
    return z


def _betabinom_cells(kl: Array, nl: Array, al: Array, bl: Array, width: int) -> Array:
    """The mid-p scores of independent cells over a support of ``width`` values. Only the
    probabilities of 0…k are needed (those below k and at k), so only those are computed; the ones
    below k are summed over a row as long as the support."""
    support = np.arange(width, dtype=float)[None, :]
    rows, cols = np.nonzero((support <= kl[:, None]) & (support <= nl[:, None]))
    pmf = np.exp(betabinom_logpmf(support[0, cols], nl[rows], al[rows], bl[rows]))
    below = np.zeros((kl.size, width))
    under = support[0, cols] < kl[rows]
    below[rows[under], cols[under]] = pmf[under]
    at = np.zeros(kl.size)
    at[rows[~under]] = pmf[~under]
    return _midp_to_z(below.sum(axis=1), at)


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
