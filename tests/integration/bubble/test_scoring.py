"""Scoring the stored device-hours (``canary bubble run``), on SQLite and on Postgres (application role,
RLS on): a void spike on one register becomes one A-BUBBLE-DEVICE episode naming void rate, the
stored rows equal the pure model's output on the same hours, and a rerun gives identical rows."""

from __future__ import annotations

from core.bubble import DEFAULT_THRESHOLDS, DIMENSIONS, score
from core.bubble.service.scoring import DEVICE_RULE, rescore_if_changed, run, snapshot, stored_hours
from core.bubble.service.views import BubbleViews
from core.db.uow import Database
from tests.support.bubble_world import SPIKE, seed, world


def test_a_void_spike_becomes_one_device_episode_naming_void_rate(any_db: Database) -> None:
    merchant_id = seed(any_db, world())
    summary = run(any_db, merchant_id)
    assert (summary.device_hours, summary.device_episodes, summary.store_episodes) == (3 * 14 * 12, 1, 0)
    episodes = snapshot(any_db, merchant_id)["bubble_episodes"]
    assert len(episodes) == 1
    (ep,) = episodes
    columns = ["id", "rule_id", "scope", "store_id", "device_id", "start", "end", "hours"]
    got = dict(zip(columns, ep[: len(columns)], strict=True))
    assert got["rule_id"] == DEVICE_RULE
    assert (got["scope"], got["device_id"], got["start"]) == ("device", "sq:device:D1", SPIKE)
    evidence = ep[-1]
    assert evidence[0]["dimension"] == "void_rate"
    assert evidence[0]["observed"] == 9.0
    assert evidence[0]["unit"] == "voids"
    assert evidence[0]["expected"] < 1.0


def test_stored_rows_equal_the_pure_model_and_a_rerun_is_identical(any_db: Database) -> None:
    merchant_id = seed(any_db, world())
    other = seed(any_db, world("sq:location:L9"))
    run(any_db, merchant_id)
    first = snapshot(any_db, merchant_id)
    run(any_db, merchant_id)
    assert snapshot(any_db, merchant_id) == first
    assert snapshot(any_db, other)["bubble_device_scores"] == []  # another tenant is not touched

    with any_db.tenant(merchant_id) as session:
        hours = stored_hours(session, merchant_id)
    direct = score(hours, DEFAULT_THRESHOLDS)
    stored = {(r[0], r[1]): r for r in first["bubble_device_scores"]}
    assert len(stored) == len(direct.devices)
    for d in direct.devices:
        row = stored[(d.device_id, d.hour)]
        # device_id, hour, store_id, score, alert, state, top_dimension, hourly, drift, episode_id, …
        assert row[3] == (None if d.score is None else round(d.score, 6))
        assert (row[4], row[5], row[6], row[9]) == (d.alert, d.state, d.top_dimension, d.episode_id)
        expected, observed = row[10], row[11]
        assert set(expected) == set(DIMENSIONS)
        assert observed["void_rate"] == d.observed[DIMENSIONS.index("void_rate")]
        assert observed["network_events"] is None  # no telemetry: not scored
    kinds = [r[2] for r in first["bubble_baseline_revisions"]]
    assert kinds.count("history_sufficient") >= 1
    runs = first["bubble_scoring_runs"]
    assert runs[0][0]["source"] == "default"


def test_the_schedule_rescores_only_when_the_device_hours_changed(any_db: Database) -> None:
    rows = world()
    merchant_id = seed(any_db, rows[:-12])  # all but D3's last day
    first = rescore_if_changed(any_db, merchant_id)
    assert first is not None
    assert first.device_hours == len(rows) - 12
    assert rescore_if_changed(any_db, merchant_id) is None  # nothing changed: not rescored
    seed(any_db, rows[-12:], merchant_id)  # the last day arrives
    again = rescore_if_changed(any_db, merchant_id)
    assert again is not None
    assert again.device_hours == len(rows)
    assert rescore_if_changed(any_db, merchant_id) is None
    assert rescore_if_changed(any_db, seed(any_db, [])) is None  # a merchant without device-hours


def test_the_devices_overview_lists_each_stores_devices_where_they_stand(any_db: Database) -> None:
    views = BubbleViews(any_db)
    merchant_id = seed(any_db, world())
    assert views.devices(merchant_id).scored_at is None  # not scored yet
    seed(any_db, world("sq:location:L9", prefix="sq:device:N"), merchant_id)
    run(any_db, merchant_id)
    listing = views.devices(merchant_id)
    assert [s.store_id for s in listing.stores] == ["sq:location:L1", "sq:location:L9"]
    d1 = listing.stores[0].devices[0]
    assert (d1.device_id, d1.state, d1.alerted_week, d1.episodes) == ("sq:device:D1", "ok", 1, 1)
    assert d1.last_episode == SPIKE
    assert d1.last_hour == world()[-1].hour
    assert (d1.baseline, d1.hours_scored) == ("history_sufficient", 168)
    only = views.devices(merchant_id, stores=frozenset({"sq:location:L9"}))
    assert [s.store_id for s in only.stores] == ["sq:location:L9"]
    assert (
        views.devices(merchant_id, store_id="sq:location:L1", stores=frozenset({"sq:location:L9"})).stores
        == []
    )
