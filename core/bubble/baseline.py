"""Per-device baselines for all devices of a merchant at once (arrays indexed by device).

Each dimension has the posterior of its count model, updated hourly with forgetting:
transactions by hour-of-week bucket (Gamma–Poisson sums A, C forgetting per week, NB dispersion φ);
rates by Beta(α, β); rare counts by Gamma(a, b) per hour of day;
ticket and gap by exponentially weighted log-mean and variance. ``predict`` turns them into mid-p
scores and expected values; ``learn`` applies one hour, skipping what the poisoning guard withholds.
"""

from __future__ import annotations

import numpy as np

from core.bubble import tails
from core.bubble.dimensions import CASH, COUNTS, EMPLOYEES, GAP, RATES, REFUND, TICKET, TXN, VOID, K

Array = np.ndarray
GENERIC_RATES = {VOID: 0.02, REFUND: 0.01, CASH: 0.3}  # only when nothing in the merchant is learned yet
TICKET_TAU2 = 0.01  # hour-to-hour spread of the log ticket beyond 1/n sampling noise
BUCKETS = 168
COUNT_SHRINK = 2.0  # pseudo-days pulling an hour-of-day count bucket toward the device's daily rate


class Baselines:
    def __init__(self, devices: int, decay_hour: float, decay_week: float) -> None:
        self.rho_h, self.rho_w = decay_hour, decay_week
        d = devices
        self.txn_a = np.zeros((d, BUCKETS))
        self.txn_c = np.zeros((d, BUCKETS))
        self.phi_num = np.zeros(d)
        self.phi_den = np.zeros(d)
        self.rate_a = np.zeros((d, len(RATES)))
        self.rate_b = np.zeros((d, len(RATES)))
        self.count_a = np.zeros((d, len(COUNTS), 24))  # [device, dimension, hour of day]
        self.count_b = np.zeros((d, len(COUNTS), 24))
        self.ticket = np.zeros((d, 4))  # log(amount / n): weight, mean, hours, variance
        self.gap = np.zeros((d, 4))  # log(gap) − log(60 / n): weight, mean, hours, variance
        self.learned = np.zeros(d)  # active hours learned

    # ── priors ──────────────────────────────────────────────────────────────────────────────
    def seed_generic(self, i: int, prior_transactions: float) -> None:
        """A device with no peers: weak priors, then its own history (state insufficient_history)."""
        learned = self.learned > 0
        for j, dim in enumerate(RATES):
            if learned.any():
                p = float(
                    np.mean(self.rate_a[learned, j] / (self.rate_a[learned, j] + self.rate_b[learned, j]))
                )
            else:
                p = GENERIC_RATES[dim]
            weight = prior_transactions / 20
            self.rate_a[i, j], self.rate_b[i, j] = weight * p, weight * (1 - p)
        self.count_a[i], self.count_b[i] = 0.1, 1.0  # per hour of day: one pseudo-day at 0.1 an hour
        self.ticket[i] = (0.0, 0.0, 0.0, 1.0)
        self.gap[i] = (0.0, 0.0, 0.0, 0.25)

    def seed_from_peers(self, i: int, peers: Array, prior_transactions: float, prior_hours: float) -> None:
        """Cold start: the same-store peers' posterior means as a prior worth a few days, stored as
        pseudo-observations so they forget (fade) exactly like the device's own data."""
        lam = self.bucket_means(peers)  # (peers, 168)
        self.txn_a[i] = lam.mean(axis=0)
        self.txn_c[i] = 1.0
        self.phi_num[i], self.phi_den[i] = self.phi_num[peers].mean(), self.phi_den[peers].mean()
        p = (self.rate_a[peers] / (self.rate_a[peers] + self.rate_b[peers])).mean(axis=0)
        self.rate_a[i], self.rate_b[i] = prior_transactions * p, prior_transactions * (1 - p)
        lam_c = (self.count_a[peers] / self.count_b[peers]).mean(axis=0)
        days = prior_hours / 24  # the prior's pseudo-hours spread over the hours of the day
        self.count_a[i], self.count_b[i] = days * lam_c + 0.01, days
        for arr in (self.ticket, self.gap):
            arr[i] = (min(5.0, float(arr[peers, 0].mean())), arr[peers, 1].mean(), 5.0, arr[peers, 3].mean())

    def discount(self, i: int, weight: float) -> None:
        """Keep device ``i``'s means but cut its evidence to about ``weight`` transactions' worth
        (never up): what it learns next outweighs what it knew (a re-baseline, the new normal)."""
        held = float(self.rate_a[i, 0] + self.rate_b[i, 0])
        if held <= weight:
            return
        f = weight / held
        for arr in (self.txn_a, self.txn_c, self.phi_num, self.phi_den, self.rate_a, self.rate_b):
            arr[i] *= f
        self.count_a[i] *= f
        self.count_b[i] *= f
        for arr in (self.ticket, self.gap):
            arr[i, 0] *= f
            arr[i, 2] *= f

    # ── prediction ──────────────────────────────────────────────────────────────────────────
    def bucket_means(self, idx: Array | slice) -> Array:
        """λ̂ for every bucket, shrunk toward the device's all-week mean so an unseen bucket is not empty."""
        a, c = self.txn_a[idx], self.txn_c[idx]
        overall = (a.sum(axis=-1) + 0.1) / (c.sum(axis=-1) + 1.0)
        return np.asarray((a + 0.5 * overall[..., None]) / (c + 0.5))

    def hour_means(self, bucket: Array) -> tuple[Array, Array]:
        """λ̂ of each device's current bucket, and how many (forgotten) observations back it."""
        a, c = self.txn_a, self.txn_c
        overall = (a.sum(axis=1) + 0.1) / (c.sum(axis=1) + 1.0)
        if bucket.size and (bucket == bucket[0]).all():  # the walk: one hour for every device
            ab, cb = a[:, bucket[0]], c[:, bucket[0]]
        else:
            ab = np.take_along_axis(a, bucket[:, None], axis=1)[:, 0]
            cb = np.take_along_axis(c, bucket[:, None], axis=1)[:, 0]
        return np.asarray((ab + 0.5 * overall) / (cb + 0.5)), cb

    def dispersion(self, dispersion_max: float) -> Array:
        return np.asarray(np.clip(self.phi_num / np.maximum(self.phi_den, 1e-9), 0.01, dispersion_max))

    def rate_means(self) -> Array:
        return np.asarray(self.rate_a / np.maximum(self.rate_a + self.rate_b, 1e-9))

    def count_posteriors(self, hod: Array) -> tuple[Array, Array]:
        """Gamma(shape, rate) of each rare count in the current hour of day, shrunk toward the
        device's all-day rate by two pseudo-days so a quiet hour's bucket is not left empty."""
        a, b = self.count_a, self.count_b
        overall = (a.sum(axis=2) + 0.01) / (b.sum(axis=2) + 0.1)
        if hod.size and (hod == hod[0]).all():
            ah, bh = a[:, :, hod[0]], b[:, :, hod[0]]
        else:
            ah = np.take_along_axis(a, hod[:, None, None].repeat(a.shape[1], axis=1), axis=2)[:, :, 0]
            bh = np.take_along_axis(b, hod[:, None, None].repeat(b.shape[1], axis=1), axis=2)[:, :, 0]
        return np.asarray(ah + COUNT_SHRINK * overall), np.asarray(bh + COUNT_SHRINK)

    # ── learning ────────────────────────────────────────────────────────────────────────────
    def learn(self, obs: Observed, bucket: Array, learn_dev: Array, learn_dim: Array, lam: Array) -> None:
        """Fold one hour into the baselines of devices ``learn_dev`` (bool per device); ``learn_dim``
        (device × dimension) says which dimensions the guard leaves thawed."""
        rho = self.rho_h
        rows = np.nonzero(learn_dev)[0]
        if rows.size == 0:
            return
        n = obs.n[rows]
        b = bucket[rows]
        keep = learn_dim[rows]
        # traffic: bucket sums (weekly forgetting) and the NB dispersion by moments
        self.txn_a[rows, b] = self.rho_w * self.txn_a[rows, b] + n
        self.txn_c[rows, b] = self.rho_w * self.txn_c[rows, b] + 1.0
        lam_r = lam[rows]
        self.phi_num[rows] = rho * self.phi_num[rows] + ((n - lam_r) ** 2 - lam_r)
        self.phi_den[rows] = rho * self.phi_den[rows] + lam_r**2
        # rates: Beta posteriors (frozen dimensions keep theirs)
        k = obs.k[rows]
        live = keep[:, RATES]
        a, c = self.rate_a[rows], self.rate_b[rows]
        self.rate_a[rows] = np.where(live, rho * a + k, a)
        self.rate_b[rows] = np.where(live, rho * c + (obs.trials[rows] - k), c)
        hod = b % 24  # rare counts by hour of day (shift changes, opening and closing drawer checks)
        rho_day = rho**24
        live = keep[:, COUNTS] & obs.has_count[rows]
        a, c = self.count_a[rows, :, hod], self.count_b[rows, :, hod]
        self.count_a[rows, :, hod] = np.where(live, rho_day * a + obs.counts[rows], a)
        self.count_b[rows, :, hod] = np.where(live, rho_day * c + 1.0, c)
        self._ew(self.ticket, rows, obs.ticket_log[rows], n, keep[:, TICKET] & (n > 0), rho, per_n=True)
        self._ew(self.gap, rows, obs.gap_log[rows], n, keep[:, GAP] & obs.has_gap[rows], rho, per_n=False)
        self.learned[rows] += n > 0

    @staticmethod
    def _ew(arr: Array, rows: Array, y: Array, n: Array, live: Array, rho: float, per_n: bool) -> None:
        """Exponentially weighted log-mean and variance, columns (mean weight, mean, hours, variance).
        For the ticket an hour's mean weighs n and its squared deviation is scaled by n, so the
        variance is per transaction (an hour's mean then has variance v / n)."""
        w0, m0, h0, v0 = (arr[rows, c] for c in range(4))
        wt = n.astype(float) if per_n else np.ones(n.shape)
        dev2 = (y - m0) ** 2 * (n if per_n else 1.0)
        w1 = rho * w0 + wt
        m1 = m0 + wt * (y - m0) / np.maximum(w1, 1e-9)
        h1 = rho * h0 + 1.0
        first = w0 <= 0  # the first hour sets the mean and keeps the prior variance
        v1 = np.where(first, v0, (rho * h0 * v0 + dev2) / h1)
        m1 = np.where(first, y, m1)
        arr[rows, 0] = np.where(live, w1, w0)
        arr[rows, 1] = np.where(live, m1, m0)
        arr[rows, 2] = np.where(live, h1, h0)
        arr[rows, 3] = np.where(live, np.maximum(v1, 1e-3), v0)


class Observed:
    """One hour of every device, as arrays (absent devices and missing hours are zeros)."""

    def __init__(self, devices: int) -> None:
        d = devices
        self.n = np.zeros(d)
        self.amount = np.zeros(d)
        self.k = np.zeros((d, len(RATES)))  # voids, refunds, cash tenders (each ≤ trials)
        self.trials = np.zeros((d, len(RATES)))
        self.counts = np.zeros((d, len(COUNTS)))  # no-sales, extra employees, network events
        self.has_count = np.ones((d, len(COUNTS)), dtype=bool)
        self.gap = np.zeros(d)
        self.has_gap = np.zeros(d, dtype=bool)
        self.employees = np.zeros(d)
        self.input_row = np.zeros(d, dtype=bool)  # the hour was in the input (not a filled-in zero)

    @property
    def ticket_log(self) -> Array:
        return np.asarray(np.log(np.maximum(self.amount, 1.0) / np.maximum(self.n, 1.0)))

    @property
    def gap_log(self) -> Array:
        return np.asarray(np.log(np.maximum(self.gap, 0.05)) - np.log(60.0 / np.maximum(self.n, 1.0)))


def predict(
    base: Baselines, obs: Observed, bucket: Array, dispersion_max: float
) -> tuple[Array, Array, Array]:
    """Per-dimension mid-p scores z (device × dimension), expected values in business units, and λ̂."""
    d = obs.n.shape[0]
    z = np.zeros((d, K))
    expected = np.zeros((d, K))
    lam, cb = base.hour_means(bucket)
    phi = base.dispersion(dispersion_max) + 1.0 / (cb + 1.5)
    expected[:, TXN] = lam
    n = obs.n
    p = base.rate_means()
    kappa = np.minimum(base.rate_a + base.rate_b, 500.0)
    z[:, RATES] = tails.betabinom_score(obs.k, obs.trials, p * kappa, (1 - p) * kappa)
    expected[:, RATES] = p * obs.trials
    # traffic (NB) and the rare counts (Gamma–Poisson, i.e. NB(a/b, a)) scored in one call
    ca, cb_ = base.count_posteriors(bucket % 24)
    a, b = np.maximum(ca, 0.01), np.maximum(cb_, 0.1)
    counts = tails.nb_score(
        np.column_stack([obs.n, obs.counts]),
        np.column_stack([lam, a / b]),
        np.column_stack([1.0 / phi, a]),
    )
    z[:, TXN] = counts[:, 0]
    for j, dim in enumerate(COUNTS):
        z[:, dim] = np.where(obs.has_count[:, j], counts[:, 1 + j], 0.0)
        expected[:, dim] = a[:, j] / b[:, j]
    w, m, v = base.ticket[:, 0], base.ticket[:, 1], base.ticket[:, 3]
    sd = np.sqrt(v / np.maximum(n, 1) + TICKET_TAU2)
    z[:, TICKET] = np.where((n > 0) & (w > 0), (obs.ticket_log - m) / sd, 0.0)
    expected[:, TICKET] = np.exp(m)
    w, m, v = base.gap[:, 0], base.gap[:, 1], base.gap[:, 3]
    z[:, GAP] = np.where(obs.has_gap & (w > 0), (obs.gap_log - m) / np.sqrt(np.maximum(v, 1e-3)), 0.0)
    expected[:, GAP] = np.exp(m) * 60.0 / np.maximum(n, 1)
    expected[:, EMPLOYEES] += (n > 0).astype(float)  # the first employee is implied by any sale
    return z, expected, lam
