"""The case digest (daily or weekly): one message instead of N alerts.

For a period: cases opened and closed, the confirmed-fraud rate of the cases closed (confirmed
fraud / closed), the top 3 patterns (rules) by how many detections they added to cases opened in
the period, and the open cases per store ranked by their highest severity, then by how many. Pure:
the service gathers the case facts and this module counts and renders them as text and HTML.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from core.cases.domain.model import CaseState, Outcome, Severity

TOP_PATTERNS = 3
TOP_CASES_PER_STORE = 3
NO_STORE = "(no store)"


class Period(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"

    @property
    def length(self) -> timedelta:
        return timedelta(days=1 if self is Period.DAILY else 7)


@dataclass(frozen=True, slots=True)
class CaseFact:
    case_id: str
    title: str
    store: str
    state: CaseState
    severity: Severity
    opened_at: datetime
    closed_at: datetime | None
    outcome: Outcome | None
    rule_counts: dict[str, int] = field(default_factory=dict)  # detections per rule


@dataclass(frozen=True, slots=True)
class StoreLine:
    store: str
    open_cases: int
    highest: Severity
    top_case_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    period: Period
    start: datetime
    end: datetime
    opened: int
    closed: int
    confirmed_fraud_rate: float | None
    top_patterns: tuple[tuple[str, int], ...]
    open_by_store: tuple[StoreLine, ...]


def build(facts: Sequence[CaseFact], period: Period, end: datetime) -> Digest:
    start = end - period.length
    opened = [f for f in facts if start <= f.opened_at < end]
    closed = [f for f in facts if f.closed_at is not None and start <= f.closed_at < end]
    fraud = sum(1 for f in closed if f.outcome is Outcome.CONFIRMED_FRAUD)
    patterns: Counter[str] = Counter()
    for f in opened:
        patterns.update(f.rule_counts)
    by_store: dict[str, list[CaseFact]] = defaultdict(list)
    for f in facts:
        if not f.state.closed and f.opened_at < end:
            by_store[f.store or NO_STORE].append(f)
    lines = []
    for store, cases in by_store.items():
        ranked = sorted(cases, key=lambda c: (-c.severity.rank, c.opened_at, c.case_id))
        lines.append(
            StoreLine(
                store, len(cases), ranked[0].severity, tuple(c.case_id for c in ranked[:TOP_CASES_PER_STORE])
            )
        )
    lines.sort(key=lambda s: (-s.highest.rank, -s.open_cases, s.store))
    return Digest(
        period=period,
        start=start,
        end=end,
        opened=len(opened),
        closed=len(closed),
        confirmed_fraud_rate=fraud / len(closed) if closed else None,
        top_patterns=tuple(sorted(patterns.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_PATTERNS]),
        open_by_store=tuple(lines),
    )


def _rate(rate: float | None) -> str:
    return "n/a (no case closed)" if rate is None else f"{rate:.0%}"


def _span(digest: Digest) -> str:
    return f"{digest.start:%Y-%m-%d %H:%M} to {digest.end:%Y-%m-%d %H:%M} UTC"


def subject(digest: Digest, merchant: str) -> str:
    counts = f"{digest.opened} opened, {digest.closed} closed"
    return f"Canary {digest.period.value} case digest for {merchant}: {counts}"


def render_text(digest: Digest) -> str:
    lines = [
        f"Case digest ({digest.period.value}) {_span(digest)}",
        f"Cases opened: {digest.opened}",
        f"Cases closed: {digest.closed}",
        f"Confirmed-fraud rate: {_rate(digest.confirmed_fraud_rate)}",
        "Top patterns: " + (", ".join(f"{r} ({n})" for r, n in digest.top_patterns) or "none"),
        "Open cases by store:",
    ]
    lines += [
        f"  {s.store}: {s.open_cases} open, highest {s.highest.value} ({', '.join(s.top_case_ids)})"
        for s in digest.open_by_store
    ] or ["  none"]
    return "\n".join(lines) + "\n"


def render_html(digest: Digest) -> str:
    e = html.escape
    rows = (
        "".join(
            f"<tr><td>{e(s.store)}</td><td>{s.open_cases}</td><td>{e(s.highest.value)}</td>"
            f"<td>{e(', '.join(s.top_case_ids))}</td></tr>"
            for s in digest.open_by_store
        )
        or '<tr><td colspan="4">none</td></tr>'
    )
    patterns = "".join(f"<li>{e(r)} ({n})</li>" for r, n in digest.top_patterns) or "<li>none</li>"
    return (
        f"<html><body><h1>Case digest ({e(digest.period.value)})</h1>"
        f"<p>{_span(digest)}</p>"
        f"<ul><li>Cases opened: {digest.opened}</li><li>Cases closed: {digest.closed}</li>"
        f"<li>Confirmed-fraud rate: {e(_rate(digest.confirmed_fraud_rate))}</li></ul>"
        f"<h2>Top patterns</h2><ol>{patterns}</ol>"
        "<h2>Open cases by store</h2><table>"
        "<tr><th>store</th><th>open</th><th>highest</th><th>cases</th></tr>"
        f"{rows}</table></body></html>"
    )
