"""The walk: insufficient history, the poisoning guard, re-baselining, cold start, episodes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from core.bubble import (
    DEFAULT_THRESHOLDS,
    Config,
    DeviceHour,
    Rebaseline,
    StoreRebaseline,
    Thresholds,
    score,
)
from core.bubble.episodes import EpisodeBuilder, FlaggedHour
from core.bubble.frame import InputError, build
from core.bubble.results import Result
from core.bubble.scorer import Walk
from tests.support.bubble_world import chain, world

T0 = datetime(2026, 3, 2, tzinfo=UTC)
LOW = Thresholds(device_hourly=30.0, device_cusum=50.0, store_hourly=1e9, store_cusum=1e9)


def steady(device: str, days: int, store: str = "S1", start_day: int = 0) -> list[DeviceHour]:
    """Ten sales an hour from 09:00 to 20:00, one void every fourth hour, three cash tenders."""
    rows = []
    for day in range(start_day, days):
        for h in range(9, 21):
            hour = T0 + timedelta(days=day, hours=h)
            rows.append(DeviceHour(device, store, hour, 10, 4500, int(h % 4 == 0), 0, 0, 3, 6.0, 1, 0))
    return rows


def spike(device: str, hour: datetime, store: str = "S1") -> DeviceHour:
    return DeviceHour(device, store, hour, 10, 4500, 9, 0, 0, 3, 6.0, 1, 0)


def walk(rows: list[DeviceHour], thresholds: Thresholds = LOW, rebaselines=()) -> Walk:  # type: ignore[no-untyped-def]
    w = Walk(build(rows), thresholds, Config(), rebaselines)
    w.run()
    return w


def baseline_of(w: Walk, i: int) -> list[np.ndarray]:
    b = w.base
    return [
        b.txn_a[i].copy(),
        b.txn_c[i].copy(),
        b.rate_a[i].copy(),
        b.rate_b[i].copy(),
        b.count_a[i].copy(),
        b.ticket[i].copy(),
        b.gap[i].copy(),
    ]


def test_a_new_device_has_insufficient_history_then_is_scored() -> None:
    result = score(steady("D1", 6), LOW)
    first, last = result.devices[0], result.devices[-1]
    assert (first.state, first.score, first.alert) == ("insufficient_history", None, False)
    assert last.state == "ok"
    assert last.score is not None
    assert [r.kind for r in result.revisions] == ["own_history", "history_sufficient"]


def test_poisoning_guard_an_alerted_hour_leaves_the_baseline_unchanged() -> None:
    end = T0 + timedelta(days=6, hours=9)
    rows = [*steady("D1", 6), DeviceHour("D1", "S1", end - timedelta(hours=1))]  # the walk ends at 08:00
    before = walk(rows)
    after = walk([*rows, spike("D1", end)])
    assert after.result.devices[-1].alert
    for old, new in zip(baseline_of(before, 0), baseline_of(after, 0), strict=True):
        assert np.array_equal(old, new)
    # the control: an ordinary hour does move the baseline
    normal = walk([*rows, DeviceHour("D1", "S1", end, 10, 4500, 0, 0, 0, 3, 6.0, 1, 0)])
    assert not normal.result.devices[-1].alert
    assert not np.array_equal(baseline_of(before, 0)[2], baseline_of(normal, 0)[2])


def test_rebaseline_learns_the_held_back_hours_and_records_a_revision() -> None:
    rows = steady("D1", 6)
    end = T0 + timedelta(days=6, hours=9)
    held = walk([*rows, spike("D1", end), *steady("D1", 7, start_day=6)[1:3]])
    assert len(held.held[0]) == 1  # the spike hour is waiting
    released = walk(
        [*rows, spike("D1", end), *steady("D1", 7, start_day=6)[1:3]],
        rebaselines=[Rebaseline("D1", end + timedelta(hours=2))],
    )
    assert released.held[0] == []
    # the nine voids are now normal: a higher void rate, on less evidence than before (the old
    # baseline was cut to Config.relearn_weight transactions' worth)
    assert released.base.rate_means()[0, 0] > held.base.rate_means()[0, 0]
    rate_weight = released.base.rate_a[0, 0] + released.base.rate_b[0, 0]
    assert rate_weight < held.base.rate_a[0, 0] + held.base.rate_b[0, 0]
    assert [r.kind for r in released.result.revisions][-1] == "rebaselined"


def test_a_lasting_change_dismissed_as_the_new_normal_stops_raising_episodes() -> None:
    """From day 10 one register voids three tickets an hour (a returns desk): one drift episode that
    goes on day after day (the nights between are no gap: the register is not active in them).
    Re-baselined at the end of its first day, the register learns the new level and goes quiet."""
    start = T0 + timedelta(days=10)
    rows = [replace(r, voids=3) if r.device_id == "sq:device:D1" and r.hour >= start else r for r in world()]
    result = score(rows, DEFAULT_THRESHOLDS)
    (first,) = [e for e in result.episodes if e.scope == "device"]
    assert first.device_id == "sq:device:D1"
    assert first.end - first.start > timedelta(days=3)
    first_day = max(r.hour for r in result.devices if r.alert and r.hour.date() == first.start.date())
    dismissed = first_day + timedelta(hours=1)
    after = score(rows, DEFAULT_THRESHOLDS, rebaselines=[Rebaseline("sq:device:D1", dismissed)])
    (kept,) = [e for e in after.episodes if e.scope == "device"]
    assert (kept.id, kept.end) == (first.id, dismissed)  # the dismissed part stays, nothing follows
    assert [r.kind for r in after.revisions if r.device_id == "sq:device:D1"][-1] == "rebaselined"


def test_a_store_drift_dismissed_as_the_new_normal_rebaselines_the_store_and_its_devices() -> None:
    """From day 13 every register of L1 voids three tickets an hour: one store episode for the whole
    fortnight. Re-baselined at the end of its first day, the store's registers learn the new level:
    the dismissed part stays, nothing follows (store or device), and each register has a revision."""
    start = T0 + timedelta(days=13)
    rows = [
        replace(r, voids=3) if r.store_id == "sq:location:L1" and r.hour >= start else r
        for r in chain(days=28)
    ]
    (first,) = score(rows, DEFAULT_THRESHOLDS).episodes
    assert (first.scope, first.store_id) == ("store", "sq:location:L1")
    assert first.end - first.start > timedelta(days=10)
    dismissed = start + timedelta(hours=21)  # after the first day's last hour
    after = score(rows, DEFAULT_THRESHOLDS, rebaselines=[StoreRebaseline("sq:location:L1", dismissed)])
    (kept,) = after.episodes
    assert (kept.id, kept.end) == (first.id, dismissed)
    assert not any(d.alert for d in after.devices if d.hour >= dismissed)
    assert not any(s.alert for s in after.stores if s.hour >= dismissed)
    assert sorted((r.device_id, r.at) for r in after.revisions if r.kind == "rebaselined") == [
        (f"sq:device:S1D{d}", dismissed) for d in (1, 2, 3)
    ]
    # a store the walk does not know changes nothing
    unknown = score(rows, DEFAULT_THRESHOLDS, rebaselines=[StoreRebaseline("sq:location:L9", dismissed)])
    assert unknown.episodes == score(rows, DEFAULT_THRESHOLDS).episodes


def test_cold_start_borrows_a_store_peer_prior() -> None:
    rows = steady("D1", 12) + steady("D2", 12, start_day=10)
    result = score(rows, LOW)
    d2 = [r for r in result.devices if r.device_id == "D2"]
    assert d2[0].state == "ok"  # scored from its first hour, on the peer's prior
    revision = next(r for r in result.revisions if r.device_id == "D2")
    assert (revision.kind, revision.detail) == ("peer_prior", "prior from D1")


def test_a_void_spike_is_one_episode_naming_void_rate() -> None:
    rows = steady("D1", 8) + steady("D2", 8) + steady("D3", 8)
    t = T0 + timedelta(days=7, hours=12)
    rows = [
        spike("D2", r.hour) if r.device_id == "D2" and t <= r.hour < t + timedelta(hours=3) else r
        for r in rows
    ]
    result = score(rows, LOW)
    episodes = [e for e in result.episodes if e.scope == "device"]
    assert len(episodes) == 1
    (ep,) = episodes
    assert (ep.device_id, ep.start, ep.hours, ep.top_dimension) == ("D2", t, 3, "void_rate")
    void = ep.evidence[0]
    assert void.observed == 27
    assert void.expected < 3
    flagged = [r for r in result.devices if r.alert]
    assert {r.episode_id for r in flagged} == {ep.id}


def test_flagged_hours_closer_than_the_gap_merge() -> None:
    builder = EpisodeBuilder(gap_hours=6)
    vec = np.zeros(9)
    vec[2] = 1.0
    for offset in (0, 2, 10):
        builder.add_device(
            FlaggedHour(T0 + timedelta(hours=offset), 1.5, "hourly", vec, vec, vec), "D1", "S1"
        )
    episodes = builder.finish(Result())
    assert [(e.start - T0, e.hours) for e in episodes] == [(timedelta(0), 2), (timedelta(hours=10), 1)]


def test_the_gap_counts_the_subjects_active_hours_not_the_clock() -> None:
    # 19:00 and 20:00 flagged, the store closed overnight, 09:00 flagged again: 13 hours on the
    # clock but two active hours later, so one episode; four active hours past the gap, a second
    builder = EpisodeBuilder(gap_hours=6)
    vec = np.zeros(9)
    vec[2] = 1.0
    for offset, active in ((19, 100), (20, 101), (33, 103), (40, 110)):
        flagged = FlaggedHour(T0 + timedelta(hours=offset), 1.5, "drift", vec, vec, vec, active)
        builder.add_device(flagged, "D1", "S1")
    episodes = builder.finish(Result())
    assert [(e.start - T0, e.hours) for e in episodes] == [(timedelta(hours=19), 3), (timedelta(hours=40), 1)]


def test_a_store_wide_drift_is_one_store_episode_and_leaves_no_device_drift_behind() -> None:
    # four registers, two days of a store-wide void rate ×10: the store's CUSUM holds the drift, so
    # the devices' CUSUMs on voids gather nothing while it is up and nothing drains for days after
    rows = []
    for device in ("D1", "D2", "D3", "D4"):
        rows += [
            replace(r, voids=2 + int(r.hour.hour % 2 == 0)) if (r.hour - T0).days in (14, 15) else r
            for r in steady(device, 20)
        ]
    th = Thresholds(device_hourly=1e9, device_cusum=10.0, store_hourly=1e9, store_cusum=6.0)
    w = walk(rows, th)
    scopes = [(e.scope, e.start.date()) for e in w.result.episodes]
    assert scopes == [("store", (T0 + timedelta(days=14)).date())]
    assert not any(r.alert for r in w.result.devices)


def test_a_void_burst_no_single_hour_of_which_stands_out_alerts_on_the_burst_channel() -> None:
    # three voids in ten tickets for four hours against 2.5 %: the hourly test is off (1e9), the
    # burst CUSUM (odds ratio 8) gains about 4.6 nats an hour and crosses 8 in the second hour
    burst = T0 + timedelta(days=20, hours=12)
    rows = [
        replace(r, voids=3) if burst <= r.hour < burst + timedelta(hours=4) else r for r in steady("D1", 22)
    ]
    th = Thresholds(device_hourly=1e9, device_cusum=1e9, store_hourly=1e9, store_cusum=1e9, device_burst=8.0)
    (episode,) = score(rows, th).episodes
    assert (episode.start, episode.channel, episode.top_dimension) == (
        burst + timedelta(hours=1),
        "hourly",
        "void_rate",
    )
    assert episode.end < burst + timedelta(days=1)  # capped low, the CUSUM drains within hours


def test_bad_input_is_refused_with_the_reason() -> None:
    row = steady("D1", 1)[0]
    with pytest.raises(InputError, match="two rows"):
        build([row, row])
    with pytest.raises(InputError, match="stores"):
        build([row, DeviceHour("D1", "S2", row.hour + timedelta(hours=1))])
