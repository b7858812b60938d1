"""Rules read what the real adapters produce: payloads through the Square and Counterpoint parsers,
their parsed events through the engine. No rule sees a vendor shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from core.adapters.square.polling import shift_unit
from core.domain.parsing import Parsed, ParsedEvent
from core.rules.backtest import run_events
from core.rules.catalog import default_catalog
from core.rules.engine import Engine, TenantConfig
from core.rules.facts import Facts
from core.rules.model import Mode
from core.rules.state import RuleState
from tests.unit.adapters.counterpoint import support as cp
from tests.unit.adapters.square import support as sq

ENGINE = Engine(default_catalog())
ALERTING = TenantConfig(default_mode=Mode.ALERTING)


def detection(outcome: object) -> list[ParsedEvent]:
    return list(outcome.events) if isinstance(outcome, Parsed) else []


def square_events() -> list[ParsedEvent]:
    return [e for name in sq.SAMPLE_NAMES for e in detection(sq.run(sq.sample_bytes(name)))]


def counterpoint_events() -> list[ParsedEvent]:
    out = detection(cp.parse(cp.event(cp.document_bytes()), cp.context()))
    for name in (
        "ticket_history.jsonl",
        "transfers.jsonl",
        "receivers.jsonl",
        "adjustments.jsonl",
        "returns_to_vendor.jsonl",
    ):
        for n, raw in enumerate(cp.export_lines(name), start=1):
            out += detection(cp.parse(cp.event(raw, seq=n), cp.context()))
    return out


@pytest.mark.parametrize("source", ["square", "counterpoint"])
def test_every_adapter_sample_evaluates_through_every_rule_without_error(source: str) -> None:
    events = square_events() if source == "square" else counterpoint_events()
    assert len(events) > 5
    prepared = ENGINE.prepare(ALERTING)
    state = RuleState()
    for n, event in enumerate(events, start=1):
        result = ENGINE.evaluate(
            Facts.from_event(event.model_copy(update={"evidence_seq": n})), state, prepared
        )
        assert result.errors == [], event.kind


def test_a_counterpoint_override_past_the_stores_ceiling_fires_from_the_parsed_ticket() -> None:
    store = cp.sample("GET_Store.response1.json")
    store["PS_STR"]["STR_ID"] = "20"
    store["PS_STR"]["PS_STR_CFG_PS"]["MAX_DISC_PCT"] = 20
    config_events = detection(cp.parse(cp.event(json.dumps(store).encode()), cp.context()))
    ticket = detection(cp.parse(cp.event(cp.export_lines("ticket_history.jsonl")[0], seq=2), cp.context()))
    found = [e for e in run_events(ENGINE, [*config_events, *ticket], ALERTING) if e.rule.id == "Q-DM-01"]
    assert len(found) == 1
    assert found[0].finding.measurements["limits_from"] == "store_config"
    assert [line["discount_pct"] for line in found[0].finding.measurements["lines"]] == [
        25.01
    ]  # 5.00 of 19.99


def test_a_square_drawer_closed_short_fires_from_the_polled_shift() -> None:
    shift = sq.api_response("RetrieveCashDrawerShiftResponse")["cash_drawer_shift"]
    shift["closed_cash_money"] = {"amount": 7_000, "currency": "USD"}
    events = sq.api_response("ListCashDrawerShiftEventsResponse")["cash_drawer_shift_events"]
    raw = shift_unit(shift, events, "L88917AVBK2S5", datetime(2026, 1, 2, tzinfo=UTC)).raw
    parsed = detection(sq.run(raw, sq.context(), source_type="POLLING"))
    found = [e for e in run_events(ENGINE, parsed, ALERTING) if e.rule.id == "Q-DS-01"]
    assert [e.finding.measurements["gap_cents"] for e in found] == [-3_000]


def test_the_official_square_shift_that_balances_to_30_cents_does_not_fire() -> None:
    shift = sq.api_response("RetrieveCashDrawerShiftResponse")["cash_drawer_shift"]
    events = sq.api_response("ListCashDrawerShiftEventsResponse")["cash_drawer_shift_events"]
    raw = shift_unit(shift, events, "L88917AVBK2S5", datetime(2026, 1, 2, tzinfo=UTC)).raw
    parsed = detection(sq.run(raw, sq.context(), source_type="POLLING"))
    assert [e for e in run_events(ENGINE, parsed, ALERTING) if e.rule.id == "Q-DS-01"] == []
