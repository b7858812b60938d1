"""The engine: modes, parameters in force, allow-list decisions, de-duplication, isolation of failures."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from core.domain.parsing import ParsedEvent
from core.rules.allow_lists import AllowListEntry
from core.rules.backtest import run_events
from core.rules.catalog import build_catalog
from core.rules.context import RuleContext
from core.rules.engine import Engine, RuleSettings, TenantConfig
from core.rules.model import Family, Finding, Mode, Scope
from core.rules.state import RuleState
from core.simulate.canonical import T0, L, P, at, cp_ticket, square_txn
from tests.rules_cases import catalog

CATALOG = catalog()
ENGINE = Engine(CATALOG)


def voids(n: int, start: int = 0) -> list[ParsedEvent]:
    return [square_txn(f"v{i}", at(10 * i), [L("SEED", 800)], type="VOID") for i in range(start, start + n)]


def test_every_rule_starts_in_dry_run_for_a_new_tenant() -> None:
    prepared = ENGINE.prepare(TenantConfig())
    assert {a.mode for a in prepared.active} == {Mode.DRY_RUN}
    assert len(prepared.active) == 30


def test_an_evaluation_records_the_rule_version_catalog_and_parameter_values_in_force() -> None:
    config = TenantConfig(
        rules={"Q-VR-03": RuleSettings(Mode.OBSERVATION, {"min_voids": 2}, version=4)},
        only=frozenset({"Q-VR-03"}),
    )
    [found] = run_events(ENGINE, voids(2), config)
    assert (found.rule.version, found.catalog_version, found.config_version) == (1, "1.1.0", 4)
    assert found.params["min_voids"] == 2
    assert found.params["window_minutes"] == 240
    assert found.mode is Mode.OBSERVATION


def test_rules_in_dry_run_still_fill_their_windows_so_a_promotion_starts_warm() -> None:
    state = RuleState()
    dry = TenantConfig(rules={"Q-VR-03": RuleSettings(Mode.DRY_RUN)}, only=frozenset({"Q-VR-03"}))
    assert [e.mode for e in run_events(ENGINE, voids(2), dry, state)] == []
    alerting = TenantConfig(rules={"Q-VR-03": RuleSettings(Mode.ALERTING)}, only=frozenset({"Q-VR-03"}))
    found = run_events(ENGINE, voids(1, start=2), alerting, state)
    assert [e.finding.measurements["voids"] for e in found] == [3]


def test_a_suppressed_finding_carries_the_entry_and_its_reason() -> None:
    entry = AllowListEntry(
        id="e1",
        rule_id="Q-VR-03",
        scope={Scope.EMPLOYEE: "sq:employee:TM1"},
        reason="training week for a new hire",
        expires_at=T0 + timedelta(days=7),
        created_at=T0,
        created_by="gm",
    )
    config = TenantConfig(
        rules={"Q-VR-03": RuleSettings(Mode.ALERTING)}, allow_list=(entry,), only=frozenset({"Q-VR-03"})
    )
    [found] = run_events(ENGINE, voids(3), config)
    assert found.suppression is not None
    assert (found.suppression.entry_id, found.suppression.reason) == ("e1", "training week for a new hire")
    assert found.suppression.scope == "employee=sq:employee:TM1"


def test_a_trend_fires_once_per_key_however_many_events_repeat_it() -> None:
    rule = CATALOG.get("Q-ME-01")
    config = TenantConfig(rules={rule.id: RuleSettings(Mode.ALERTING)}, only=frozenset({rule.id}))
    events = next(c for c in rule.cases if c.positive).events()
    more = [
        cp_ticket(f"g{n}", at(30 * n), [L(f"S{n}", 5_000, cost=4_000, category="PLANTS")] * 5)
        for n in range(2, 5)
    ]
    found = run_events(ENGINE, [*events, *more], config)
    assert len(found) == 1


def test_the_same_event_evaluated_twice_gives_the_same_detection_id() -> None:
    config = TenantConfig(rules={"Q-TM-03": RuleSettings(Mode.ALERTING)}, only=frozenset({"Q-TM-03"}))
    event = square_txn(
        "f1", at(), [L("MOWER", 9_000)], [P("CARD", 3_000, "a"), P("CARD", 3_000, "b"), P("CARD", 3_000, "c")]
    )
    first = run_events(ENGINE, [event], config)[0].detection_id
    assert run_events(ENGINE, [event], config)[0].detection_id == first


def _broken(ctx: RuleContext) -> Iterable[Finding]:
    """A rule with a bug, to show that one failing rule does not blind the others on the same event."""
    raise ZeroDivisionError("bug")


def test_a_failing_rule_is_reported_and_the_other_rules_still_run() -> None:
    broken = CATALOG.get("Q-TM-03").__class__(
        id="Q-XX-01",
        family=Family.TENDER,
        title="broken",
        evaluate=_broken,
        requires=("tenders.amount_cents",),
        triggers=frozenset({"transaction"}),
    )
    catalog = build_catalog(rules=[broken, CATALOG.get("Q-TM-03")])
    engine = Engine(catalog)
    prepared = engine.prepare(TenantConfig(default_mode=Mode.ALERTING))
    from core.rules.facts import Facts

    event = square_txn(
        "f1", at(), [L("MOWER", 9_000)], [P("CARD", 3_000, "a"), P("CARD", 3_000, "b"), P("CARD", 3_000, "c")]
    )
    result = engine.evaluate(Facts.from_event(event), RuleState(), prepared)
    assert [e.rule.id for e in result.evaluations] == ["Q-TM-03"]
    assert [(e.rule_id, e.error) for e in result.errors] == [("Q-XX-01", "ZeroDivisionError: bug")]


def test_only_rules_whose_triggers_are_in_the_event_are_evaluated() -> None:
    prepared = ENGINE.prepare(TenantConfig())
    drawer_rules = {a.rule.id for a in prepared.for_event(frozenset({"drawer_shift", "drawer_events"}))}
    assert drawer_rules == {"Q-TM-01", "Q-DS-01", "Q-DS-02", "Q-DS-03"}


def _episodic(ctx: RuleContext) -> Iterable[Finding]:
    """One episode whose extent is the sale's amount; a refund withdraws it."""
    txn = ctx.facts.transaction
    assert txn is not None
    if txn.type == "REFUND":
        return [Finding.withdrawal("e", "refunded", ctx.facts.occurred_at)]
    return [
        Finding(
            summary="episode",
            subject=ctx.subject(),
            occurred_at=ctx.facts.occurred_at,
            episode="e",
            extent=abs(txn.amount_cents),
        )
    ]


EPISODIC = Engine(
    build_catalog(
        rules=[
            CATALOG.get("Q-TM-03").__class__(
                id="Q-XX-02",
                family=Family.TENDER,
                title="episodic",
                evaluate=_episodic,
                requires=("transaction.amount_cents",),
                triggers=frozenset({"transaction"}),
            )
        ]
    )
)


def _sales(*cents: int) -> list[ParsedEvent]:
    return [
        square_txn(f"t{n}", at(n), [L("SEED", abs(c))], type="SALE" if c > 0 else "REFUND")
        for n, c in enumerate(cents)
    ]


def test_a_withdrawal_supersedes_a_live_episode_once_and_the_next_finding_revives_it() -> None:
    from core.rules.facts import Facts

    prepared = EPISODIC.prepare(TenantConfig(default_mode=Mode.ALERTING))
    state = RuleState()
    seen = []
    for n, event in enumerate(_sales(-100, 500, 300, -100, -100, 200, 100)):
        result = EPISODIC.evaluate(Facts.from_event(event), state, prepared)
        seen += [(n, e.revision, e.withdrawn) for e in result.evaluations]
    # Nothing to withdraw before it fires; a smaller finding adds nothing; withdrawn once, then the
    # next finding revives it whatever its extent, and after that only a larger one updates it.
    assert seen == [(1, 0, ""), (3, 1, "refunded"), (5, 2, "")]


def test_an_episode_whose_last_word_is_a_withdrawal_is_not_among_the_final_detections() -> None:
    config = TenantConfig(default_mode=Mode.ALERTING)
    assert run_events(EPISODIC, _sales(500, -100), config) == []
    [revived] = run_events(EPISODIC, _sales(500, -100, 200), config)
    assert revived.revision == 2
