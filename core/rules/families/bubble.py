"""Bubble's signals as Chirp rules (A-BUBBLE-DEVICE, A-BUBBLE-STORE): one detection per episode.

Bubble's scoring (core/bubble/service/signals.py, docs/bubble.md "Signals") hands each episode it
found to these rules as a ``bubble_episode`` fact; the rules decide, with the tenant's parameters,
whether it becomes a detection and what the detection says. So a Bubble signal goes through the same
modes, per-tenant tuning, allow-lists and audit as every other rule, and on to Fox.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.rules.context import RuleContext
from core.rules.facts import BubbleEpisode, EpisodeDimension
from core.rules.model import Family, Finding, Parameter, Queue, Scope, Severity, rule
from core.text import money

LABELS = {
    "transactions": "transactions",
    "avg_ticket": "average ticket",
    "void_rate": "voids",
    "refund_rate": "refunds",
    "no_sales": "no-sales",
    "cash_share": "cash tenders",
    "gap_minutes": "minutes between transactions",
    "distinct_employees": "employees",
    "network_events": "network events",
}


def _parameters(high: float) -> tuple[Parameter, ...]:
    return (
        Parameter(
            "min_peak_score",
            1.0,
            "Smallest peak score (the channel's statistic over its calibrated threshold) that makes a "
            "detection; raise it to hear only the larger excursions",
            1.0,
            100.0,
        ),
        Parameter("min_hours", 1, "Fewest flagged hours an episode needs", 1, 168, unit="hours"),
        Parameter(
            "high_severity_score", high, "Peak score from which the detection is high severity", 1.0, 100.0
        ),
        Parameter("include_drift", True, "Raise drift (slow CUSUM creep) episodes, not only hourly spikes"),
        Parameter(
            "context_dimensions",
            ("distinct_employees",),
            "Dimensions that explain but never accuse: an episode they top makes no detection "
            "(dimension names as in docs/bubble.md)",
        ),
    )


@rule(
    id="A-BUBBLE-DEVICE",
    family=Family.ANOMALY,
    title="Device acting outside its own baseline (Bubble)",
    requires=("transaction.device_id",),
    triggers=("bubble_episode",),
    parameters=_parameters(3.0),
    allow_scopes=(Scope.STATION, Scope.LOCATION),
    severity=Severity.MEDIUM,
    vertical_note="a register that legitimately changed how it is used (a new returns desk) is "
    "re-baselined by dismissing its case as a false positive, not allow-listed",
)
def device_episode(ctx: RuleContext) -> Iterable[Finding]:
    """One POS device whose hours departed from its own hour-of-week baseline, compared with its
    store's peers (the store's common mode removed): contiguous anomalous hours of the device are one
    episode, and the episode is one detection naming the dimensions that carried it with expected vs
    observed values. Bubble's model finds the episode; the rule applies the tenant's floor on peak
    score and hours, whether drift episodes count, and which dimensions only give context."""
    return _finding(ctx, "device")


@rule(
    id="A-BUBBLE-STORE",
    family=Family.STORE_ANOMALY,
    title="Whole store drifting from its own baseline (Bubble)",
    requires=("transaction.device_id", "transaction.location_id"),
    triggers=("bubble_episode",),
    parameters=_parameters(3.0),
    allow_scopes=(Scope.LOCATION,),
    severity=Severity.MEDIUM,
    queue=Queue.REVIEW,
    vertical_note="a chain-wide promotion moves every store and cancels out; a store's own event "
    "day is allow-listed by location",
)
def store_episode(ctx: RuleContext) -> Iterable[Finding]:
    """A store whose devices move together away from their baselines (the store's common mode,
    after the chain's median store is subtracted, so a chain-wide promotion cancels): one episode per
    excursion, one detection for the store rather than one per register. A store-wide shift is
    rarely one person's doing, so it goes to the review queue."""
    return _finding(ctx, "store")


def _finding(ctx: RuleContext, scope: str) -> list[Finding]:
    episode = ctx.facts.bubble_episode
    if episode is None or episode.scope != scope:
        return []
    if episode.peak_score < ctx.num("min_peak_score") or episode.hours < ctx.whole("min_hours"):
        return []
    if episode.channel == "drift" and not ctx.flag("include_drift"):
        return []
    top = episode.dimensions[0].dimension if episode.dimensions else ""
    if top in ctx.texts("context_dimensions"):
        return []
    device = episode.device_id if scope == "device" else None
    high = episode.peak_score >= ctx.num("high_severity_score")
    return [
        Finding(
            summary=_summary(episode),
            subject=ctx.subject(
                [],
                employee_id=None,
                customer_id=None,
                customer_tier=None,
                station_id=device,
                location_id=episode.store_id,
                drawer_session_id=None,
                local_time=None,
            ),
            occurred_at=episode.start,
            entity_id=episode.id,
            measurements={
                "start": episode.start.isoformat(),
                "end": episode.end.isoformat(),
                "hours": episode.hours,
                "peak_score": round(episode.peak_score, 4),
                "channel": episode.channel,
                "top_dimension": top,
            },
            evidence={"episode": episode.model_dump(mode="json")},
            severity=Severity.HIGH if high else None,
            episode=episode.id,
            extent=episode.hours,
            bundle_key=f"{ctx.rule_id}|{episode.store_id}|{device or ''}",
        )
    ]


def _summary(episode: BubbleEpisode) -> str:
    who = f"device {episode.device_id}" if episode.scope == "device" else f"store {episode.store_id}"
    kind = "drift" if episode.channel == "drift" else "spike"
    parts = [_dimension(d) for d in episode.dimensions[:2]]
    detail = "; ".join(parts) if parts else "no single dimension stands out"
    return (
        f"{who}: {kind} over {episode.hours} h from {episode.start:%Y-%m-%d %H:00} UTC, peak "
        f"{episode.peak_score:.1f}× its threshold — {detail}"
    )


def _dimension(d: EpisodeDimension) -> str:
    label = LABELS.get(d.dimension, d.dimension)
    if d.dimension == "avg_ticket":
        return f"{label} {money(d.observed)} observed vs {money(d.expected)} expected"
    return f"{label} {_n(d.observed)} observed vs {_n(d.expected)} expected"


def _n(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


RULES = (device_episode, store_episode)
