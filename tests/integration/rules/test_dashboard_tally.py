"""``ChirpService.dashboard`` (the console dashboard's one pass over the detections) gives exactly what
``detection_trends`` and ``family_counts`` give one by one, on both backends: by store and by
employee, for a trend window shorter and longer than the months it is paired with, suppressed
detections left out, detections on the edges, and a token limited to a store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from core.clock import FixedClock
from core.db.tables.rules import DetectionRow
from core.db.tables.tenants import Merchant
from core.db.uow import Database
from core.rules.errors import InvalidRequestError
from core.rules.service import ChirpService

NOW = datetime(2026, 5, 20, 15, 30, tzinfo=UTC)
RULES = ("Q-VR-01", "Q-VR-03", "Q-DM-01", "Q-DS-01", "Q-ME-01")


def _seed(db: Database) -> str:
    merchant = f"m_{uuid.uuid4().hex[:12]}"
    with db.tenant(merchant) as s:
        s.add(Merchant(id=merchant, name="Dashboards"))
    month = datetime(2026, 5, 1, tzinfo=UTC)
    times = [NOW - timedelta(hours=7 * i + i % 5) for i in range(400)]  # ~12 weeks back
    times += [month, month - timedelta(microseconds=1), NOW, NOW - timedelta(weeks=4)]  # on the edges
    with db.tenant(merchant) as s:
        for i, at in enumerate(times):
            rule = RULES[i % len(RULES)]
            s.add(
                DetectionRow(
                    merchant_id=merchant, id=f"det_{i:05d}", rule_id=rule, rule_version=1,
                    catalog_version="1.0.0", family="x", severity="low", queue="fraud", mode="alerting",
                    evidence_seq=i + 1, event_kind="transaction", occurred_at=at, summary=rule,
                    alert_state="published", location_id=f"sq:location:L{i % 3}",
                    employee_id=f"sq:employee:E{i % 7}", suppressed=i % 11 == 0,
                )
            )  # fmt: skip
    return merchant


@pytest.mark.parametrize("by", ["store", "employee"])
@pytest.mark.parametrize("weeks", [1, 4, 26])
@pytest.mark.parametrize("stores", [None, frozenset({"sq:location:L1"})])
def test_one_pass_gives_the_trends_and_the_families_one_by_one(
    any_db: Database, by: str, weeks: int, stores: frozenset[str] | None
) -> None:
    merchant = _seed(any_db)
    chirp = ChirpService(any_db, FixedClock(NOW))
    until = NOW + timedelta(seconds=1)
    spans = [datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC), until]
    report, families = chirp.dashboard(merchant, by=by, weeks=weeks, end=NOW, spans=spans, stores=stores)
    assert report == chirp.detection_trends(merchant, by=by, weeks=weeks, end=NOW, stores=stores)
    assert report.series  # something was counted
    assert families == [
        chirp.family_counts(merchant, spans[0], spans[1], stores=stores),
        chirp.family_counts(merchant, spans[1], spans[2], stores=stores),
    ]
    assert all(f.counts for f in families)


def test_bad_spans_are_refused_with_a_message(sqlite_db: Database) -> None:
    chirp = ChirpService(sqlite_db, FixedClock(NOW))
    with pytest.raises(InvalidRequestError, match="increasing"):
        chirp.dashboard("m_x", end=NOW, spans=[NOW, NOW])
