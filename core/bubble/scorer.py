"""The hour-by-hour walk: predict, compare with peers, combine, test, then learn what the guard allows.

This is the one scoring path: ``canary bubble score`` and the live ``bubble`` stage both call
``score``. Each hour, for every present device (between its first and last hour; a missing hour is an
hour without activity): per-dimension mid-p scores against its own baseline → minus the store
peers' common mode → D² with contributions; the risk CUSUMs; the store's common mode and its
leave-top-one-out CUSUM. A device alerts on a spike (D²) or on drift (CUSUM) unless the drift is
the store's, which alerts once as a store. Alerted hours are never learned (bounded), risk
dimensions freeze while their CUSUM is high, and a ``Rebaseline`` releases what was held back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import numpy as np

from core.bubble import tails
from core.bubble.baseline import Baselines, Observed, predict
from core.bubble.combine import Correlations, mahalanobis
from core.bubble.dimensions import COUNTS, DIMENSIONS, NETWORK, NOSALE, RATES, RISK, DeviceHour, K
from core.bubble.episodes import MEAN_DIMS, EpisodeBuilder, FlaggedHour
from core.bubble.frame import Frame, bucket_of, build, observe
from core.bubble.model import Config, Rebaseline, StoreRebaseline, Thresholds
from core.bubble.peers import device_residuals, leave_top_out_sum, store_common_modes, store_residuals
from core.bubble.results import ANOMALOUS, INSUFFICIENT, OK, DeviceScore, Result, Revision, StoreScore

RISK_INDEX = np.array(RISK)
RISK_RATES = [j for j, dim in enumerate(RISK) if dim in RATES]  # columns of the risk arrays …
RATE_OF_RISK = [RATES.index(RISK[j]) for j in RISK_RATES]  # … and their columns among the rates
RISK_COUNTS = [j for j, dim in enumerate(RISK) if dim in COUNTS]
COUNT_OF_RISK = [COUNTS.index(RISK[j]) for j in RISK_COUNTS]
RISK_COUNT_DIMS = [RISK[j] for j in RISK_COUNTS]
STORE_SPREAD_FLOOR = 0.2


def score(
    hours: Iterable[DeviceHour],
    thresholds: Thresholds,
    config: Config | None = None,
    rebaselines: Sequence[Rebaseline | StoreRebaseline] = (),
) -> Result:
    return Walk(build(hours), thresholds, config or Config(), rebaselines).run()


class Walk:
    def __init__(
        self,
        frame: Frame,
        thresholds: Thresholds,
        config: Config,
        rebaselines: Sequence[Rebaseline | StoreRebaseline],
    ):
        self.f, self.th, self.cfg = frame, thresholds, config
        d, s = len(frame.devices), len(frame.stores)
        self.d, self.s = d, s
        self.base = Baselines(d, config.hourly_decay, config.weekly_decay)
        self.corr = Correlations(d, K)
        self.cusum = np.zeros((d, len(RISK)))
        self.burst = np.zeros((d, len(RISK)))  # the short, capped CUSUMs: a burst over a few hours
        self.store_cusum = np.zeros((s, len(RISK)))
        self.store_m2 = np.ones((s, K))
        self.store_w = np.zeros(s)
        self.primed = np.zeros(d, dtype=bool)
        self.started = np.zeros(d, dtype=bool)
        self.sufficient = np.zeros(d, dtype=bool)
        self.skip_run = np.zeros(d, dtype=int)
        self.last_spike = np.full(d, -np.inf)
        self.held: list[list[tuple[datetime, Observed, int]]] = [[] for _ in range(d)]
        self.relearn = np.zeros(d)  # active hours left in a re-baseline's unguarded learning
        self.store_relearn = np.zeros(s)  # the store's active hours left in a store re-baseline
        self.rebaselines = sorted(rebaselines, key=_action_order)
        self.result = Result()
        self.episodes = EpisodeBuilder(config.episode_gap_hours)
        self.store_names = [frame.stores[s] for s in frame.device_store.tolist()]  # per device
        self.active_hours = np.zeros(d, dtype=int)  # hours with input so far (episode gaps count these)
        self.store_active_hours = np.zeros(s, dtype=int)
        self.store_alarmed_at = np.full(s, -(10**9))  # the store's active-hour count at its last alarm

    def run(self) -> Result:
        f = self.f
        first = np.array([t.timestamp() for t in f.first]) if f.devices else np.zeros(0)
        last = np.array([t.timestamp() for t in f.last]) if f.devices else np.zeros(0)
        pending = list(self.rebaselines)
        for hour in f.hours:
            ts = hour.timestamp()
            present = (first <= ts) & (ts <= last)
            if not present.any():
                continue
            while pending and pending[0].at <= hour:
                action = pending.pop(0)
                if isinstance(action, StoreRebaseline):
                    self._rebaseline_store(action)
                else:
                    self._rebaseline(action)
            self._start_devices(hour, present)
            self._hour(hour, present, observe(f.by_hour.get(hour, []), self.d))
        self.result.episodes = self.episodes.finish(self.result)
        return self.result

    # ── one hour ─────────────────────────────────────────────────────────────────────────────
    def _hour(self, hour: datetime, present: np.ndarray, obs: Observed) -> None:
        cfg, th, store = self.cfg, self.th, self.f.device_store
        bucket = np.full(self.d, bucket_of(hour))
        self.active_hours += obs.input_row
        self.store_active_hours += np.bincount(store, weights=obs.input_row, minlength=self.s) > 0
        z, expected, lam = predict(self.base, obs, bucket, cfg.dispersion_max)
        z = np.where(present[:, None], z, 0.0)
        raw_u = device_residuals(z, store, present, self.s)
        u = self.corr.standardise(raw_u)
        # D² only where a row is written: the other devices' D² is never read
        d2, contrib = np.zeros(self.d), np.zeros((self.d, K))
        written = np.nonzero(obs.input_row)[0]
        if written.size:
            d2[written], contrib[written] = mahalanobis(
                u[written], self.corr.matrices(store, self.s, cfg.correlation_prior, written)
            )

        scored = present & self.sufficient
        active = obs.n > 0
        hourly_alarm = scored & obs.input_row & (d2 >= th.device_hourly)
        # A dimension drifting store-wide (the store's CUSUM on it above the freeze level) is the
        # store's: the devices' CUSUMs on it restart and gather nothing, so they do not saturate on
        # the store's drift and drain for days after it.
        store_held = self.store_cusum[store] >= cfg.freeze_level
        # The burst channel: a CUSUM tuned to a large shift and capped low, on every scored device
        # (a young one too, on its peer prior): a void spike spread over a few hours adds up here
        # where no single hour's D² stands out from the clean tail.
        blr = self._llr(obs, expected, cfg.burst_odds_ratio)
        blr[~scored[:, None] | store_held] = 0.0
        self.burst[store_held & present[:, None]] = 0.0
        self.burst = np.where(present[:, None], tails.cusum_step(self.burst, blr, cfg.burst_cap), self.burst)
        shared = self._shared(store, present & active)
        burst = np.where(active, np.where(shared, 0.0, self.burst).max(axis=1), 0.0)
        burst_alarm = scored & obs.input_row & active & (burst >= th.device_burst)
        bursts = self.burst.copy()  # this hour's, for the shares
        self.burst[hourly_alarm] = 0.0  # an hour the spike test caught: the burst restarts after it
        spiking = hourly_alarm | burst_alarm
        llr = self._llr(obs, expected, cfg.odds_ratio)
        # A spike (hourly or burst) must not spill into days of "drift": its hours, and the episode
        # gap after it, feed no slow CUSUM, and the CUSUM restarts from the spike.
        self.last_spike = np.where(spiking, hour.timestamp(), self.last_spike)
        near_spike = hour.timestamp() - self.last_spike <= cfg.episode_gap_hours * 3600
        llr[near_spike] = 0.0
        self.cusum[spiking] = 0.0
        mature = scored & (self.base.learned >= cfg.mature_hours) & (self.relearn <= 0)
        llr[~mature] = 0.0  # no drift evidence before the device has a settled baseline of its own
        evidence = llr.copy()  # the store's CUSUM still hears its devices, so it drains
        llr[store_held] = 0.0
        self.cusum[store_held & present[:, None]] = 0.0
        self.cusum = np.where(present[:, None], tails.cusum_step(self.cusum, llr, cfg.cusum_cap), self.cusum)
        drift = np.where(active, np.where(shared, 0.0, self.cusum).max(axis=1), 0.0)

        observed = _observed_all(obs)
        store_alarm, store_row = self._store(hour, z, present, evidence, obs, expected, observed)
        drift_alarm = scored & obs.input_row & active & (drift >= th.device_cusum)
        # Store precedence: drift and bursts while the store's episode runs (it alarmed within the
        # episode gap, or its leave-top-one-out CUSUM is up) are the store's signal, not one per
        # device. A device's hourly spike still alerts on its own.
        self.store_alarmed_at = np.where(store_alarm, self.store_active_hours, self.store_alarmed_at)
        store_episode = self.store_active_hours - self.store_alarmed_at <= cfg.episode_gap_hours
        store_drifting = store_episode | (self.store_cusum.max(axis=1) >= cfg.freeze_level)
        alert = hourly_alarm | ((burst_alarm | drift_alarm) & ~store_drifting[store])
        hourly_score, burst_score = d2 / th.device_hourly, burst / th.device_burst
        spike_score = np.maximum(hourly_score, burst_score)
        device_score = np.maximum(spike_score, drift / th.device_cusum)
        spike = spike_score >= drift / th.device_cusum
        shares = self._shares(contrib, spike, hourly_alarm | (hourly_score >= burst_score), bursts)
        rows = np.nonzero(obs.input_row)[0]
        top = shares[rows].argmax(axis=1)
        named = scored[rows] & (shares[rows].max(axis=1) > 0)
        states = np.where(scored[rows], np.where(alert[rows], ANOMALOUS, OK), INSUFFICIENT).tolist()
        device, store_id = self.f.devices, self.store_names
        append = self.result.devices.append
        for i, state, t, has_top, sc, al, h, dr, bu, exp, seen in zip(
            rows.tolist(),
            states,
            top.tolist(),
            named.tolist(),
            device_score[rows].tolist(),
            alert[rows].tolist(),
            d2[rows].tolist(),
            drift[rows].tolist(),
            burst[rows].tolist(),
            round4(expected[rows]).tolist(),
            round4(observed[rows]).tolist(),
            strict=True,
        ):
            scored_i = state != INSUFFICIENT
            append(
                DeviceScore(
                    device[i],
                    store_id[i],
                    hour,
                    sc if scored_i else None,
                    al,
                    state,
                    DIMENSIONS[t] if has_top else "",
                    h,
                    dr,
                    burst=bu,
                    expected=tuple(exp),
                    observed=tuple(seen),
                )
            )
        for i in np.nonzero(alert)[0].tolist():
            self.episodes.add_device(
                FlaggedHour(
                    hour,
                    float(device_score[i]),
                    "hourly" if spike[i] else "drift",
                    shares[i],
                    expected[i],
                    observed[i],
                    int(self.active_hours[i]),
                ),
                device[i],
                store_id[i],
            )
        if store_row is not None:
            self.result.stores.extend(store_row)
        self._learn(hour, obs, bucket, present, alert | store_alarm[store] & present, raw_u, lam)

    def _shared(self, store: np.ndarray, live: np.ndarray) -> np.ndarray:
        """Per device and risk dimension: at least two of its live store peers, and at least half of
        them, are up on it too (slow or burst CUSUM above the freeze level). Such a shift is the
        store's, not the device's: it does not raise a device's drift or burst alarm."""
        level = self.cfg.freeze_level
        up = ((self.cusum >= level) | (self.burst >= level)) & live[:, None]
        counts = np.stack(
            [np.bincount(store, weights=up[:, j], minlength=self.s) for j in range(len(RISK))], 1
        )
        others = counts[store] - up
        peers = (np.bincount(store, weights=live, minlength=self.s)[store] - live)[:, None]
        return np.asarray((others >= 2) & (2 * others >= peers))

    def _llr(self, obs: Observed, expected: np.ndarray, odds_ratio: float) -> np.ndarray:
        """Each risk dimension's CUSUM evidence this hour (all rates, then all counts, at once)."""
        p = self.base.rate_means()
        out = np.zeros((self.d, len(RISK)))
        out[:, RISK_RATES] = tails.rate_llr(
            obs.k[:, RATE_OF_RISK], obs.trials[:, RATE_OF_RISK], p[:, RATE_OF_RISK], odds_ratio
        )
        val = tails.count_llr(obs.counts[:, COUNT_OF_RISK], expected[:, RISK_COUNT_DIMS], odds_ratio)
        out[:, RISK_COUNTS] = np.where(obs.has_count[:, COUNT_OF_RISK], val, 0.0)
        return out

    def _shares(
        self, contrib: np.ndarray, spike: np.ndarray, hourly: np.ndarray, bursts: np.ndarray
    ) -> np.ndarray:
        """Each dimension's share of the hour's excursion: positive D² contributions on an hourly
        spike, the burst CUSUMs on a burst, the slow risk CUSUMs on drift."""
        pos = np.maximum(contrib, 0.0)
        drift = np.zeros_like(pos)
        drift[:, RISK_INDEX] = self.cusum
        burst = np.zeros_like(pos)
        burst[:, RISK_INDEX] = bursts
        chosen = np.where(spike[:, None], np.where(hourly[:, None], pos, burst), drift)
        total = chosen.sum(axis=1, keepdims=True)
        return np.asarray(np.where(total > 0, chosen / np.maximum(total, 1e-12), 0.0))

    def _store(
        self,
        hour: datetime,
        z: np.ndarray,
        present: np.ndarray,
        llr: np.ndarray,
        obs: Observed,
        expected: np.ndarray,
        observed: np.ndarray,
    ) -> tuple[np.ndarray, list[StoreScore]]:
        th, store = self.th, self.f.device_store
        modes, counts = store_common_modes(z, store, present, self.s)
        v = store_residuals(modes, counts)
        spread = np.maximum(np.sqrt(self.store_m2), STORE_SPREAD_FLOOR)
        parts = (v / spread) ** 2
        hourly = parts.sum(axis=1)
        slr = leave_top_out_sum(llr, store, present & (obs.n > 0), self.s)
        relearning = self.store_relearn > 0  # a store re-baseline: its devices relearn, it waits
        slr[relearning] = 0.0
        self.store_cusum = tails.cusum_step(self.store_cusum, slr, self.cfg.cusum_cap)
        active = np.bincount(store, weights=(obs.n > 0) & present, minlength=self.s) > 0
        has_row = np.bincount(store, weights=obs.input_row, minlength=self.s) > 0
        drift = np.where(active, self.store_cusum.max(axis=1), 0.0)
        sc = np.maximum(hourly / th.store_hourly, drift / th.store_cusum)
        alarm = has_row & (sc >= 1.0) & ~relearning
        spike = hourly / th.store_hourly >= drift / th.store_cusum
        chosen = np.zeros((self.s, K))
        chosen[:, RISK_INDEX] = self.store_cusum
        chosen = np.where(spike[:, None], parts, chosen)
        total = chosen.sum(axis=1)
        shares = np.where(total[:, None] > 0, chosen / np.where(total > 0, total, 1.0)[:, None], chosen)
        named = total > 0
        top = shares.argmax(axis=1)
        rows = [
            StoreScore(
                self.f.stores[s],
                hour,
                float(sc[s]),
                bool(alarm[s]),
                DIMENSIONS[int(top[s])] if named[s] else "",
                float(hourly[s]),
                float(drift[s]),
            )
            for s in np.nonzero(has_row)[0].tolist()
        ]
        for s in np.nonzero(alarm)[0].tolist():
            members = present & (store == s)
            exp = expected[members].sum(axis=0)
            exp[MEAN_DIMS] /= max(int(members.sum()), 1)
            self.episodes.add_store(
                FlaggedHour(
                    hour,
                    float(sc[s]),
                    "hourly" if spike[s] else "drift",
                    shares[s],
                    exp,
                    _observed_sum(observed, members),
                    int(self.store_active_hours[s]),
                ),
                self.f.stores[s],
            )
        calm = counts >= 3
        calm &= ~alarm & ~relearning
        self.store_relearn = np.where(active, np.maximum(self.store_relearn - 1, 0), self.store_relearn)
        w = self.store_w[calm]
        self.store_m2[calm] = (
            self.cfg.hourly_decay * w[:, None] * self.store_m2[calm] + np.minimum(v[calm] ** 2, 16)
        ) / (self.cfg.hourly_decay * w + 1)[:, None]
        self.store_w[calm] = self.cfg.hourly_decay * w + 1
        return alarm, rows

    # ── learning and the poisoning guard ─────────────────────────────────────────────────────
    def _learn(
        self,
        hour: datetime,
        obs: Observed,
        bucket: np.ndarray,
        present: np.ndarray,
        withheld: np.ndarray,
        raw_u: np.ndarray,
        lam: np.ndarray,
    ) -> None:
        bounded = self.skip_run >= self.cfg.max_skip_hours
        relearning = self.relearn > 0
        skip = withheld & ~bounded & ~relearning
        learn = present & ~skip
        for i in np.nonzero(skip)[0]:  # held: the hours withheld in the device's latest excursion
            if self.skip_run[i] == 0:
                self.held[i].clear()
            self.held[i].append((hour, _single(obs, int(i), self.d), int(bucket[i])))
        self.skip_run = np.where(skip, self.skip_run + 1, 0)
        thawed = np.ones((self.d, K), dtype=bool)
        thawed[:, RISK_INDEX] = self.cusum <= self.cfg.freeze_level  # zero until the device is mature
        thawed[:, RISK_INDEX] &= self.store_cusum[self.f.device_store] < self.cfg.freeze_level
        thawed[relearning] = True
        self.base.learn(obs, bucket, learn, thawed, lam)
        self.relearn = np.where(present & (obs.n > 0), np.maximum(self.relearn - 1, 0), self.relearn)
        self.corr.learn(raw_u, np.nonzero(learn & self.sufficient & (obs.n > 0))[0], self.cfg.hourly_decay)
        newly = learn & ~self.sufficient & (self.base.learned >= self.cfg.min_own_hours)
        for i in np.nonzero(newly)[0]:
            self.sufficient[i] = True
            self.result.revisions.append(
                Revision(
                    self.f.devices[i],
                    hour,
                    "history_sufficient",
                    f"{self.cfg.min_own_hours} active hours learned",
                )
            )

    def _start_devices(self, hour: datetime, present: np.ndarray) -> None:
        new = present & ~self.started
        store = self.f.device_store
        for i in np.nonzero(new)[0]:
            peers = np.nonzero(
                (store == store[i]) & self.started & (self.base.learned >= self.cfg.peer_min_hours)
            )[0]
            if peers.size:
                self.base.seed_from_peers(int(i), peers, self.cfg.prior_transactions, self.cfg.prior_hours)
                self.sufficient[i] = self.primed[i] = True
                names = ", ".join(self.f.devices[p] for p in peers)
                self.result.revisions.append(
                    Revision(self.f.devices[i], hour, "peer_prior", f"prior from {names}")
                )
            else:
                self.base.seed_generic(int(i), self.cfg.prior_transactions)
                self.result.revisions.append(
                    Revision(
                        self.f.devices[i],
                        hour,
                        "own_history",
                        "no store peer with history: insufficient_history",
                    )
                )
            self.started[i] = True

    def _rebaseline(self, action: Rebaseline) -> None:
        if action.device_id not in self.f.devices:
            return
        i = self.f.devices.index(action.device_id)
        released = self._relearn_device(i)
        self.result.revisions.append(
            Revision(
                action.device_id,
                action.at,
                "rebaselined",
                f"{action.reason}; {released} held-back hours learned",
            )
        )

    def _rebaseline_store(self, action: StoreRebaseline) -> None:
        """The store's shift is its new normal: each of its devices with a baseline re-baselines (a
        revision each, naming the store), the store's CUSUM and episode restart, and for
        ``relearn_hours`` of its active hours it gathers no drift evidence and raises nothing."""
        if action.store_id not in self.f.stores:
            return
        s = self.f.stores.index(action.store_id)
        for i in np.nonzero((self.f.device_store == s) & self.started)[0].tolist():
            released = self._relearn_device(i)
            self.result.revisions.append(
                Revision(
                    self.f.devices[i],
                    action.at,
                    "rebaselined",
                    f"store {action.store_id}: {action.reason}; {released} held-back hours learned",
                )
            )
        self.store_cusum[s] = 0.0
        self.store_alarmed_at[s] = -(10**9)
        self.store_relearn[s] = self.cfg.relearn_hours

    def _relearn_device(self, i: int) -> int:
        """Re-baseline device ``i`` (``Rebaseline``); how many held-back hours it learned."""
        self.base.discount(i, self.cfg.relearn_weight)
        for _hour, obs, bucket in self.held[i]:
            only = np.zeros(self.d, dtype=bool)
            only[i] = True
            lam, _ = self.base.hour_means(np.full(self.d, bucket))
            self.base.learn(obs, np.full(self.d, bucket), only, np.ones((self.d, K), dtype=bool), lam)
        released = len(self.held[i])
        self.held[i].clear()
        self.skip_run[i] = 0
        self.cusum[i] = 0.0
        self.burst[i] = 0.0
        self.relearn[i] = self.cfg.relearn_hours
        return released


def _action_order(action: Rebaseline | StoreRebaseline) -> tuple[datetime, int, str]:
    """Analysts' actions in time order; at the same hour a store's before its devices'."""
    if isinstance(action, StoreRebaseline):
        return (action.at, 0, action.store_id)
    return (action.at, 1, action.device_id)


def _single(obs: Observed, i: int, d: int) -> Observed:
    one = Observed(d)
    for name in (
        "n",
        "amount",
        "k",
        "trials",
        "counts",
        "has_count",
        "gap",
        "has_gap",
        "employees",
        "input_row",
    ):
        getattr(one, name)[i] = getattr(obs, name)[i]
    return one


def _observed_all(obs: Observed) -> np.ndarray:
    """Every device's observed values (device × dimension) in the units of ``expected`` (see
    baseline.predict)."""
    out = np.zeros((obs.n.shape[0], K))
    out[:, 0], out[:, 1] = obs.n, obs.amount / np.maximum(obs.n, 1)
    out[:, 2], out[:, 3], out[:, 5] = obs.k.T
    out[:, NOSALE], out[:, 7], out[:, NETWORK] = obs.counts[:, 0], obs.employees, obs.counts[:, 2]
    out[:, 6] = obs.gap
    return out


def _observed_sum(observed: np.ndarray, members: np.ndarray) -> np.ndarray:
    """A store-hour's observed values: counts add up over its devices, averages are averaged."""
    rows = np.nonzero(members)[0]
    total = np.zeros(K)
    for i in rows:
        total = total + observed[i]
    total[MEAN_DIMS] /= max(rows.size, 1)
    return total


def round4(values: np.ndarray) -> np.ndarray:
    """``round(v, 4)`` of every value, vectorised and equal to Python's round: NumPy's rint(v·10⁴)/10⁴
    agrees with it except where v·10⁴ is within rounding error of a half, and those few values go
    through Python's round."""
    scaled = values * 1e4
    out = np.rint(scaled) / 1e4
    with np.errstate(invalid="ignore"):  # inf − inf: Python's round decides those too
        frac = scaled - np.floor(scaled)
        doubtful = ~(np.abs(frac - 0.5) > 1e-6) | ~(np.abs(scaled) < 1e12)
    if doubtful.any():
        idx = np.nonzero(doubtful)
        out[idx] = [round(float(v), 4) for v in values[idx]]
    return out
