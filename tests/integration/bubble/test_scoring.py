"""Scoring the stored device-hours (``canary bubble run``), on SQLite and on Postgres (application role,
RLS on): a void spike on one register becomes one A-BUBBLE-DEVICE episode naming void rate, the
stored rows equal the pure model's output on the same hours, and a rerun gives identical rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from core.bubble import DEFAULT_THRESHOLDS, DIMENSIONS, DeviceHour, score
from core.bubble.service.observations import HOURS
from core.bubble.service.scoring import DEVICE_RULE, run, snapshot, stored_hours
from core.db.tables.tenants import Merchant
from core.db.uow import Database

T0 = datetime(2026, 3, 2, tzinfo=UTC)
SPIKE = T0 + timedelta(days=13, hours=14)


def world(store: str = "sq:location:L1") -> list[DeviceHour]:
    """Three registers, two weeks, ten sales an hour 09:00–20:59 with a void every fourth hour; on
    day 13 at 14:00 register D1 voids nine of its ten tickets. (Each register's voids fall in other
    hours: voids on every register at once would be the store's signal.)"""
    rows = []
    for index, device in enumerate(("sq:device:D1", "sq:device:D2", "sq:device:D3")):
        for day in range(14):
            for h in range(9, 21):
                hour = T0 + timedelta(days=day, hours=h)
                voids = 9 if (device.endswith("D1") and hour == SPIKE) else int((h + index) % 4 == 0)
                rows.append(DeviceHour(device, store, hour, 10, 4500, voids, 0, 0, 3, 6.0, 1, None))
    return rows


def seed(db: Database, rows: list[DeviceHour]) -> str:
    merchant_id = f"m_{uuid.uuid4().hex[:12]}"
    with db.tenant(merchant_id) as session:
        session.add(Merchant(id=merchant_id, name="Greenleaf Garden Center"))
        session.flush()
        session.execute(
            HOURS.insert(),
            [
                {
                    "merchant_id": merchant_id,
                    "device_id": r.device_id,
                    "store_id": r.store_id,
                    "hour": r.hour,
                    "transactions": r.transactions,
                    "amount_cents": r.amount_cents,
                    "voids": r.voids,
                    "refunds": r.refunds,
                    "no_sales": r.no_sales,
                    "cash_tenders": r.cash_tenders,
                    "gap_minutes_mean": r.gap_minutes_mean,
                    "distinct_employees": r.distinct_employees,
                    "network_events": r.network_events,
                }
                for r in rows
            ],
        )
    return merchant_id


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
