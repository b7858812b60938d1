"""``FoxService.digest`` counts in the database what ``digest.build`` counts over ``case_facts``: on a
seeded mix of cases (every state and outcome, stores including none, severities with ties, openings
and closings on both sides of each period's edges) both give the same digest, on both backends."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from core.cases.domain import digest
from core.cases.domain.model import Severity
from core.cases.service.service import FoxService
from core.clock import FixedClock
from core.db.tables.cases import FoxAlert, FoxCase
from core.db.tables.tenants import Merchant
from core.db.uow import Database

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SEVERITIES = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]


def _world(db: Database, seed: int) -> str:
    rng = random.Random(seed)
    merchant = f"m_{uuid.uuid4().hex[:12]}"
    cases, alerts = [], []
    for n in range(300):
        opened = NOW - timedelta(hours=rng.choice([0, 1, 23, 24, 25, 167, 168, 169, 200, 335, 336, 400]))
        opened += timedelta(minutes=rng.choice([-1, 0, 0, 1]))
        state = rng.choice(["open", "open", "in_progress", "resolved", "dismissed"])
        closed = None
        if state in ("resolved", "dismissed"):
            closed = opened + timedelta(hours=rng.choice([0, 1, 24, 100, 170]))
        severity = rng.choice(SEVERITIES)
        cases.append(
            {
                "merchant_id": merchant,
                "id": f"case_{n:04d}",
                "queue": "fraud",
                "bundle_key": f"k{n}",
                "basis": "employee_session",
                "family": "void_return",
                "title": f"case {n}",
                "window_hours": 24,
                "location_id": rng.choice(["", "sq:location:A", "sq:location:B", "sq:location:C"]),
                "first_at": opened,
                "last_at": opened,
                "detections": 0,
                "base_severity": severity.value,
                "severity": severity.value,
                "severity_rank": severity.rank,
                "escalations": [],
                "state": state,
                "outcome": rng.choice(["confirmed_fraud", "false_positive", "training_issue"])
                if closed
                else None,
                "opened_at": opened,
                "closed_at": closed,
            }
        )
        for k in range(rng.randrange(0, 4)):
            alerts.append(
                {
                    "merchant_id": merchant,
                    "detection_id": f"det_{n:04d}_{k}",
                    "case_id": f"case_{n:04d}",
                    "revision": 0,
                    "rule_id": rng.choice(["Q-VR-01", "Q-VR-02", "Q-VR-03", "Q-DS-01"]),
                    "family": "void_return",
                    "severity": severity.value,
                    "queue": "fraud",
                    "occurred_at": opened,
                    "received_at": opened,
                    "summary": "",
                }
            )
    with db.tenant(merchant) as s:
        s.add(Merchant(id=merchant, name="Digest Garden"))
        s.flush()
        s.execute(insert(FoxCase.__table__), cases)  # type: ignore[attr-defined]
        s.execute(insert(FoxAlert.__table__), alerts)  # type: ignore[attr-defined]
    return merchant


@pytest.mark.parametrize("seed", [1, 2])
def test_the_counted_digest_equals_the_one_built_from_case_facts(any_db: Database, seed: int) -> None:
    merchant = _world(any_db, seed)
    service = FoxService(any_db, FixedClock(NOW))
    for period in digest.Period:
        for end in (NOW, NOW - timedelta(hours=1), NOW - period.length, NOW - timedelta(days=10)):
            built = digest.build(service.case_facts(merchant, end - period.length, end), period, end)
            counted = service.digest(merchant, period, end)
            assert counted == built, (period, end)
        now = service.digest(merchant, period, NOW)  # the world exercises every figure compared
        assert now.opened > 0
        assert now.closed > 0
        assert now.top_patterns
        assert len(now.open_by_store) == 4
