"""``fox_rule_days`` (the per rule, UTC day and case alert counts the fox consumer keeps) always equals
``fox_alerts`` grouped the same way, and ``rule_outcome_stats`` read from it equals the statistics of
every alert counted one by one, for windows that start and end inside a day, on both backends:
after first deliveries, redeliveries, updated alerts that move to another rule or day, closed cases,
informational alerts, and a rebuild."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from core.cases.domain.model import Outcome
from core.cases.domain.stats import Hit, rule_stats
from core.cases.service.consumer import FoxConsumer, rebuild
from core.cases.service.service import FoxService
from core.db.tables.cases import FoxAlert, FoxCase, FoxRuleDay
from core.db.uow import Database
from tests.integration.cases.test_consumer import CLOCK, T0, _alert, _detections, _merchant


def _grouped(
    db: Database, merchant: str
) -> tuple[Counter[tuple[str, str, str]], Counter[tuple[str, str, str]]]:
    with db.tenant(merchant) as s:
        alerts = s.execute(
            select(FoxAlert.rule_id, FoxAlert.occurred_at, FoxAlert.case_id).where(
                FoxAlert.merchant_id == merchant
            )
        ).all()
        kept = s.execute(
            select(FoxRuleDay.day, FoxRuleDay.rule_id, FoxRuleDay.case_id, FoxRuleDay.alerts).where(
                FoxRuleDay.merchant_id == merchant
            )
        ).all()
    expected = Counter((str(at.date()), rule, case or "") for rule, at, case in alerts)
    return expected, Counter({(str(d), r, c): n for d, r, c, n in kept})


def _expected_stats(db: Database, merchant: str, start, end) -> list[tuple]:  # type: ignore[no-untyped-def]
    with db.tenant(merchant) as s:
        rows = s.execute(
            select(FoxAlert.rule_id, FoxAlert.case_id, FoxCase.state, FoxCase.outcome)
            .outerjoin(
                FoxCase, (FoxCase.merchant_id == FoxAlert.merchant_id) & (FoxCase.id == FoxAlert.case_id)
            )
            .where(
                FoxAlert.merchant_id == merchant, FoxAlert.occurred_at >= start, FoxAlert.occurred_at < end
            )
        ).all()
    hits = [Hit(r, c, Outcome(o) if o and st in ("resolved", "dismissed") else None) for r, c, st, o in rows]
    return [(s.rule_id, s.hits, s.cases, s.outcomes) for s in rule_stats(hits)]


def _check(db: Database, merchant: str) -> None:
    expected, kept = _grouped(db, merchant)
    assert kept == expected
    service = FoxService(db, CLOCK)
    for start, end in [
        (T0 - timedelta(hours=5), T0 + timedelta(days=3, hours=7)),  # partial days at both ends
        (T0 + timedelta(hours=2), T0 + timedelta(hours=20)),  # inside one day
        (T0.replace(hour=0), T0.replace(hour=0) + timedelta(days=2)),  # whole days only
        (T0 - timedelta(days=30), T0 + timedelta(days=30)),
    ]:
        got = service.rule_outcome_stats(merchant, start, end).rules
        assert [(r.rule_id, r.hits, r.cases, r.outcomes) for r in got] == _expected_stats(
            db, merchant, start, end
        )
        one = service.rule_outcome_stats(merchant, start, end, rule_id="Q-VR-03").rules
        assert [r.rule_id for r in one] in ([], ["Q-VR-03"])


def test_rule_days_follow_the_alerts_and_give_the_same_statistics(any_db: Database) -> None:
    merchant = _merchant(any_db)
    alerts = [
        _alert(n, hours=h, employee_id=f"emp_{n % 3}")
        for n, h in enumerate([0, 1, 2, 9, 17, 23.5, 24, 30, 49, 50, 70, 71])
    ]
    alerts += [
        _alert(100 + n, "Q-IS-04", "inventory_shrink", hours=h) for n, h in enumerate([3, 27])
    ]  # informational
    alerts += [_alert(200 + n, "Q-VR-02", hours=h, employee_id="emp_9") for n, h in enumerate([5, 29, 53])]
    _detections(any_db, merchant, alerts)
    consumer = FoxConsumer(any_db, CLOCK)
    consumer.process(merchant, alerts[:10])
    consumer.process(merchant, alerts[5:])  # redeliveries and the rest
    _check(any_db, merchant)

    moved = replace(
        alerts[1], rule_id="Q-VR-01", occurred_at=alerts[1].occurred_at + timedelta(days=1), revision=3
    )
    consumer.process(merchant, [moved])  # an updated alert: another rule, another day, same case
    service = FoxService(any_db, CLOCK)
    with any_db.tenant(merchant) as s:
        ids = s.execute(
            select(FoxCase.id).where(FoxCase.merchant_id == merchant).order_by(FoxCase.id)
        ).scalars()
        case_ids = list(ids)
    for i, case_id in enumerate(case_ids):  # closed through the service, as analysts close them
        if i % 2 == 0:
            outcome = ["confirmed_fraud", "false_positive"][i % 4 // 2]
            service.start_investigation(merchant, case_id, actor="analyst")
            service.resolve(merchant, case_id, outcome=outcome, reason="checked", actor="analyst")
    with any_db.tenant(merchant) as s:
        moved_case = s.execute(
            select(FoxAlert.case_id).where(FoxAlert.detection_id == moved.detection_id)
        ).scalar_one()
    if case_ids.index(moved_case) % 2:  # its case closed too, for the late move below
        service.start_investigation(merchant, moved_case, actor="analyst")
        service.resolve(merchant, moved_case, outcome="training_issue", reason="checked", actor="analyst")
    _check(any_db, merchant)
    service.reopen(merchant, case_ids[0], reason="a second look", actor="analyst")
    _check(any_db, merchant)
    consumer.process(
        merchant, [replace(moved, occurred_at=moved.occurred_at + timedelta(days=1), revision=4)]
    )
    _check(any_db, merchant)  # a closed case's alert moved to a day it had no row for

    rebuild(any_db, merchant, CLOCK)
    _check(any_db, merchant)
