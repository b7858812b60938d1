"""Backtests are point-in-time: each event is judged on what existed before it, never after."""

from __future__ import annotations

import random

from core.domain.parsing import ParsedEvent
from core.rules.backtest import backtest
from core.rules.catalog import default_catalog
from core.rules.engine import Engine
from core.rules.facts import Facts
from core.simulate.canonical import T0, L, P, at, cp_customer, cp_ticket, square_drawer, square_txn

ENGINE = Engine(default_catalog())


def facts(events: list[ParsedEvent]) -> list[Facts]:
    return [Facts.from_event(e.model_copy(update={"evidence_seq": n})) for n, e in enumerate(events, start=1)]


def day(n: int, cash_sales: int) -> list[ParsedEvent]:
    """A Square device's business day: five sales, ``cash_sales`` of them in cash."""
    return [
        square_txn(
            f"d{n}s{i}",
            at(30 * i, days=n),
            [L("SOIL", 2_000)],
            [P("CASH" if i < cash_sales else "CARD", 2_000, f"fp{i}")],
        )
        for i in range(5)
    ]


def cash_history() -> list[ParsedEvent]:
    """Days 0–5 one sale in five in cash; day 6 all cash; days 7–19 all cash too (the future)."""
    return [e for n in range(20) for e in day(n, 1 if n < 6 else 5)] + day(20, 1)


def test_a_future_event_does_not_change_a_past_answer() -> None:
    events = facts(cash_history())
    day6 = (at(days=6), at(days=7, hours=12))  # day 6's session closes with day 7's first sale
    short = backtest(
        [f for f in events if f.occurred_at < day6[1]],
        ENGINE,
        rule_ids=["Q-TM-01"],
        start=day6[0],
        end=day6[1],
    )
    full = backtest(events, ENGINE, rule_ids=["Q-TM-01"], start=day6[0], end=day6[1])
    assert short.count("Q-TM-01") == 1
    assert [h.detection_id for h in full.hits] == [h.detection_id for h in short.hits]


def test_the_future_would_have_changed_the_answer_had_it_been_the_past() -> None:
    # The same all-cash day judged after thirteen all-cash days is normal for the station: so a
    # backtest that let the future into day 6's baseline would have missed day 6.
    events = facts(cash_history())
    late = backtest(events, ENGINE, rule_ids=["Q-TM-01"], start=at(days=19), end=at(days=21))
    assert late.count("Q-TM-01") == 0
    on_time = backtest(events, ENGINE, rule_ids=["Q-TM-01"], start=at(days=6), end=at(days=21))
    assert on_time.count("Q-TM-01") == 1


def test_the_replay_order_is_event_time_whatever_order_the_history_is_stored_in() -> None:
    events = facts(cash_history())
    shuffled = events[:]
    random.Random(4).shuffle(shuffled)
    in_order = backtest(events, ENGINE, rule_ids=["Q-TM-01"], start=at(), end=at(days=21))
    stored_shuffled = backtest(shuffled, ENGINE, rule_ids=["Q-TM-01"], start=at(), end=at(days=21))
    assert [h.detection_id for h in stored_shuffled.hits] == [h.detection_id for h in in_order.hits]
    assert in_order.count() == 1


def test_a_tier_change_after_a_purchase_cannot_explain_it() -> None:
    purchase = cp_ticket("big", at(), [L("GREENHOUSE", 150_000)], customer_no="C9")
    before = [
        cp_customer("C9", at(days=-10), tier="RETAIL"),
        cp_customer("C9", at(hours=-1), tier="WHOLESALE"),
        purchase,
    ]
    after = [
        cp_customer("C9", at(days=-10), tier="RETAIL"),
        purchase,
        cp_customer("C9", at(hours=1), tier="WHOLESALE"),
    ]
    window = (at(days=-30), at(days=1))
    assert backtest(facts(before), ENGINE, rule_ids=["Q-CT-02"], start=window[0], end=window[1]).count() == 1
    assert backtest(facts(after), ENGINE, rule_ids=["Q-CT-02"], start=window[0], end=window[1]).count() == 0


def test_proposed_parameters_change_what_a_dry_run_finds() -> None:
    drawers = facts(
        [
            square_drawer(
                f"sh{n}",
                opened=at(days=n),
                closed=at(days=n, hours=8),
                expected=50_000,
                counted=50_000 - 300 * n,
            )
            for n in range(1, 8)
        ]
    )
    as_is = backtest(drawers, ENGINE, rule_ids=["Q-DS-01"], start=at(), end=at(days=10))
    assert as_is.count() == 4  # the gaps of 12 to 21 dollars
    raised = backtest(
        drawers,
        ENGINE,
        rule_ids=["Q-DS-01"],
        start=at(),
        end=at(days=10),
        proposed={"Q-DS-01": {"gap_cents": 2_000, "gap_pct": 50.0}},
    )
    assert raised.count() == 1
    assert raised.params["Q-DS-01"]["gap_cents"] == 2_000


def test_events_before_the_window_warm_it_but_are_not_reported() -> None:
    events = facts([square_txn(f"x{i}", at(20 * i), [L("SEED", 800)], type="VOID") for i in range(3)])
    result = backtest(events, ENGINE, rule_ids=["Q-VR-03"], start=at(30), end=at(days=1))
    assert result.events_replayed == 3
    assert result.events_in_range == 1
    assert [h.measurements["voids"] for h in result.hits] == [3]


def test_nothing_at_or_after_the_end_is_read() -> None:
    events = facts(cash_history())
    end = at(days=3)
    result = backtest(events, ENGINE, rule_ids=["Q-TM-01"], start=T0, end=end)
    assert result.events_replayed == sum(1 for f in events if f.occurred_at < end)
