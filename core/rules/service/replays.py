"""The events a replay of one rule runs over: Chirp's event journal, or, for the Bubble rules, the
episodes Bubble's scorer finds in the stored device-hours (core/bubble/service/replay.py), since the
journal holds no episodes. ``dry_run_rule`` and the readiness check of a promotion both replay here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlmodel import Session

from core.rules.backtest import BacktestResult, backtest
from core.rules.engine import Engine, RuleSettings, TenantConfig
from core.rules.model import Rule
from core.rules.service import store

BUBBLE_EPISODE = "bubble_episode"


def replay(
    s: Session,
    engine: Engine,
    merchant_id: str,
    rule: Rule,
    start: datetime,
    end: datetime,
    *,
    config: TenantConfig,
    warmup: timedelta,
    proposed: Mapping[str, Mapping[str, object]] | None = None,
    reference_before: bool = False,
) -> BacktestResult:
    """What ``rule`` would have found in [start, end) with ``config`` overlaid by ``proposed``.

    A journal rule replays the journal from ``warmup`` before ``start``. A Bubble rule replays the
    episodes its scorer finds before ``end`` (it walks every stored hour: its baselines have no
    warm-up cut-off); there ``events_replayed`` and ``events_in_range`` count the device-hours scored,
    all and in the window, the data the replay ran against."""
    if BUBBLE_EPISODE in rule.triggers:
        from core.bubble.service.replay import episodes_before  # Bubble builds on Chirp, not the reverse

        held = config.rules.get(rule.id, RuleSettings()).params
        rule.resolve({**held, **(proposed or {}).get(rule.id, {})})  # bounds checked before scoring
        found = episodes_before(s, merchant_id, end)
        result = backtest(
            found.facts, engine, rule_ids=[rule.id], start=start, end=end, base=config, proposed=proposed
        )
        result.events_replayed, result.events_in_range = len(found.hours), found.hours_since(start)
        return result
    events = store.load_journal(s, merchant_id, start - warmup, end, reference_before=reference_before)
    return backtest(events, engine, rule_ids=[rule.id], start=start, end=end, base=config, proposed=proposed)
