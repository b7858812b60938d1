"""What a demo run found, counted from the tenant's own tables, and how it is printed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func
from sqlmodel import select

from core.bootstrap import Container
from core.db.tables.cases import FoxAlert, FoxCase
from core.db.tables.customers import Customer
from core.db.tables.ledger import Checkpoint, EvidenceRecord, IngestionLogEntry
from core.db.tables.sales import DrawerShiftRow, TransactionRow
from core.demo.matching import Label, Matching
from core.ingest.backfill import ImportResult


@dataclass
class RuleLine:
    """One rule's detections in the demo, and the labelled scenarios they matched."""

    rule_id: str
    family: str
    detections: int = 0
    matched: set[str] = field(default_factory=set)
    false_alarms: int = 0


@dataclass(frozen=True)
class CaseLine:
    """One case Fox opened from the demo's alerts, and the detections it bundles."""

    case_id: str
    queue: str
    family: str
    rules: tuple[str, ...]
    subject: str  # what the case bundles: the value its bundle key was built from
    severity: str
    severity_rank: int
    detection_ids: tuple[str, ...]
    drawer_session_ids: tuple[str, ...]  # of its detections, distinct

    @property
    def detections(self) -> int:
        return len(self.detection_ids)


@dataclass(frozen=True)
class Missed:
    """A labelled scenario no detection matched, and why: a real miss, or a capability not built yet."""

    scenario_id: str
    rule_id: str
    why: str


@dataclass
class DemoSummary:
    merchant_id: str
    world: str = ""
    answers: dict[int, int] = field(default_factory=dict)
    polled: ImportResult = field(default_factory=ImportResult)
    batch: ImportResult = field(default_factory=ImportResult)
    sealed: dict[str, int] = field(default_factory=dict)  # by source/source type
    checkpoints: int = 0
    verified: bool = False
    problems: list[str] = field(default_factory=list)
    ingestion: dict[str, int] = field(default_factory=dict)
    transactions: dict[str, int] = field(default_factory=dict)
    drawer_shifts: int = 0
    customers: int = 0
    rules: dict[str, RuleLine] = field(default_factory=dict)
    cases: list[CaseLine] = field(default_factory=list)  # most severe first, then the largest
    missed: list[Missed] = field(default_factory=list)
    quiet: list[str] = field(default_factory=list)
    loud: list[str] = field(default_factory=list)  # hard negatives a detection was charged to
    seconds: float = 0.0
    console_token: str = ""  # an operator token for the console, printed once by `canary demo`
    var_dir: Path | None = None

    @property
    def ok(self) -> bool:
        """Everything arrived and verifies: every delivery accepted, nothing failed to parse."""
        return (
            self.verified
            and sum(self.sealed.values()) > 0
            and set(self.answers) <= {200}
            and not self.ingestion.get("failed")
        )


def count(container: Container, summary: DemoSummary) -> None:
    m = summary.merchant_id
    with container.db.tenant(m) as s:
        sealed = s.exec(
            select(EvidenceRecord.source, EvidenceRecord.source_type, func.count())
            .where(EvidenceRecord.merchant_id == m)
            .group_by(EvidenceRecord.source, EvidenceRecord.source_type)
        ).all()
        summary.sealed = {f"{source} {kind}": n for source, kind, n in sealed}
        summary.checkpoints = s.exec(select(func.count()).where(Checkpoint.merchant_id == m)).one()
        summary.ingestion = dict(
            s.exec(
                select(IngestionLogEntry.status, func.count())
                .where(IngestionLogEntry.merchant_id == m)
                .group_by(IngestionLogEntry.status)
            ).all()
        )
        summary.transactions = dict(
            s.exec(
                select(TransactionRow.type, func.count())
                .where(TransactionRow.merchant_id == m)
                .group_by(TransactionRow.type)
            ).all()
        )
        summary.drawer_shifts = s.exec(select(func.count()).where(DrawerShiftRow.merchant_id == m)).one()
        summary.customers = s.exec(select(func.count()).where(Customer.merchant_id == m)).one()


# What a case's bundle key was built from (core/cases/domain/bundling.py) → the subject it names.
_SUBJECT_BY_BASIS = {
    "employee_session": "employee_id",
    "employee_day": "employee_id",
    "employee": "employee_id",
    "device": "station_id",
    "customer": "customer_id",
    "store": "location_id",
}


def _subject(case: FoxCase) -> str:
    """``employee VTANAKA23``, ``store 20``: the kind, then the id without its vendor prefix."""
    fields = [_SUBJECT_BY_BASIS.get(case.basis, "")]
    fields += ["employee_id", "customer_id", "station_id", "location_id", "drawer_session_id"]
    for name in fields:
        value = getattr(case, name, "") if name else ""
        if value:
            parts = value.split(":", 2)
            kind = {"location_id": "store", "station_id": "device"}.get(name, name.removesuffix("_id"))
            return f"{kind} {parts[2] if len(parts) == 3 else value}"
    return case.basis


def count_cases(container: Container, summary: DemoSummary) -> None:
    """The cases Fox opened from the demo's alerts, each with its member detections."""
    m = summary.merchant_id
    with container.db.tenant(m) as s:
        cases = s.exec(select(FoxCase).where(FoxCase.merchant_id == m)).all()
        members = s.exec(
            select(FoxAlert.case_id, FoxAlert.detection_id, FoxAlert.rule_id, FoxAlert.drawer_session_id)
            .where(FoxAlert.merchant_id == m, FoxAlert.case_id.is_not(None))  # type: ignore[union-attr]
            .order_by(FoxAlert.occurred_at, FoxAlert.detection_id)
        ).all()
        by_case: dict[str, list[tuple[str, str, str]]] = {}
        for case_id, detection_id, rule_id, drawer in members:
            by_case.setdefault(case_id or "", []).append((detection_id, rule_id, drawer))
        lines = []
        for case in cases:
            held = by_case.get(case.id, [])
            lines.append(
                CaseLine(
                    case_id=case.id,
                    queue=case.queue,
                    family=case.family,
                    rules=tuple(sorted({rule for _, rule, _ in held})),
                    subject=_subject(case),
                    severity=case.severity,
                    severity_rank=case.severity_rank,
                    detection_ids=tuple(d for d, _, _ in held),
                    drawer_session_ids=tuple(sorted({dr for _, _, dr in held if dr})),
                )
            )
    summary.cases = sorted(lines, key=lambda c: (-c.severity_rank, -c.detections, c.case_id))


def why_missed(rule_id: str, readiness: Mapping[str, str | None]) -> str:
    """``readiness``: rule id → None when the tenant's data feeds it, else the scorecard's message
    ("not applicable: missing …"); a rule absent from it is not in the catalog at all."""
    if rule_id not in readiness:
        return "awaits a capability not built yet: the catalog has no such rule"
    message = readiness[rule_id]
    if message is not None:
        return "awaits data Canary does not ingest yet: " + message.removeprefix("not applicable: ")
    return "missed: the rule ran on the data and did not fire"


def attribute(
    summary: DemoSummary,
    matching: Matching,
    labels: list[Label],
    readiness: Mapping[str, str | None] | None = None,
) -> None:
    for judged in matching.judged:
        d = judged.detection
        line = summary.rules.setdefault(d.rule_id, RuleLine(d.rule_id, d.family))
        line.detections += 1
        if judged.verdict == "true_positive":
            line.matched.update(judged.labels)
        elif judged.verdict == "false_positive":
            line.false_alarms += 1
    summary.missed = [
        Missed(lb.scenario_id, lb.rule_id, why_missed(lb.rule_id, readiness or {}))
        for lb in matching.missed(labels)
    ]
    summary.quiet = [lb.scenario_id for lb in matching.quiet(labels)]
    summary.loud = sorted(matching.charged)


def _counts(values: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(values.items())) or "none"


def render(summary: DemoSummary, console: Console) -> None:
    table = Table("", "", title=f"Canary demo — {summary.world}", show_header=False)
    table.add_row("webhooks → ingress", _counts({f"HTTP {k}": v for k, v in summary.answers.items()}))
    table.add_row("polled (Square drawers)", f"{summary.polled.accepted:,} accepted")
    table.add_row("batch (Counterpoint)", f"{summary.batch.accepted:,} accepted")
    table.add_row("events sealed", f"{sum(summary.sealed.values()):,} ({_counts(summary.sealed)})")
    table.add_row("checkpoints signed", f"{summary.checkpoints:,}")
    table.add_row(
        "chain + checkpoints",
        "[green]verified[/green]" if summary.verified else f"[red]FAILED: {summary.problems[:1]}[/red]",
    )
    table.add_row("ingestion outcomes", _counts(summary.ingestion))
    table.add_row("transactions", _counts(summary.transactions))
    table.add_row("cash drawer shifts", f"{summary.drawer_shifts:,}")
    table.add_row("customers", f"{summary.customers:,}")
    table.add_row("time", f"{summary.seconds:.1f} s")
    console.print(table)
    console.print(_rules_table(summary))
    console.print(f"hard negatives that stayed quiet: {', '.join(summary.quiet) or 'none'}")
    if summary.loud:
        console.print(f"[yellow]hard negatives that fired[/yellow]: {', '.join(summary.loud)}")
    if summary.missed:
        console.print(missed_table(summary))
    else:
        console.print("labelled scenarios not detected: none")
    console.print(cases_table(summary))


def missed_table(summary: DemoSummary) -> Table:
    """The scenarios nothing caught, each with the reason, in 80 columns (the reason wraps)."""
    table = Table(title="Labelled scenarios not detected", box=None, header_style="bold underline")
    table.add_column("scenario", no_wrap=True)
    table.add_column("rule", no_wrap=True)
    table.add_column("why", overflow="fold")
    for missed in sorted(summary.missed, key=lambda m: (m.why, m.rule_id, m.scenario_id)):
        table.add_row(missed.scenario_id, missed.rule_id, missed.why)
    return table


def _rules_table(summary: DemoSummary) -> Table:
    """One line per rule that fired, in 80 columns: rule ids carry their family (the caption sums
    them), so the scenario names get the room and never split mid-name."""
    table = Table("rule", "detections", "false alarms", title="Detections")
    table.add_column("matches scenarios", min_width=31)  # the longest scenario name
    families: Counter[str] = Counter()
    for line in sorted(summary.rules.values(), key=lambda r: (r.family, r.rule_id)):
        families[line.family] += line.detections
        table.add_row(
            line.rule_id,
            str(line.detections),
            str(line.false_alarms),
            "\n".join(sorted(line.matched)) or "—",
        )
    table.caption = "per family: " + _counts(dict(families))
    return table


CASES_SHOWN = 15  # the most severe; `canary mcp fox` (list_cases) and the console list them all


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _rules(rules: tuple[str, ...]) -> str:
    return rules[0] + (f" +{len(rules) - 1}" if len(rules) > 1 else "") if rules else "—"


def cases_table(summary: DemoSummary) -> Table:
    """The cases the world opened, most severe first, in 80 columns (a case id is 29)."""
    table = Table(title="Cases opened (Fox)", box=None, header_style="bold underline")
    table.add_column("case", no_wrap=True, min_width=29)
    table.add_column("rules", no_wrap=True, max_width=10)
    table.add_column("subject", no_wrap=True, max_width=19)
    table.add_column("severity", no_wrap=True)
    table.add_column("det.", justify="right", no_wrap=True)
    for line in summary.cases[:CASES_SHOWN]:
        table.add_row(
            line.case_id,
            _rules(line.rules),
            _short(line.subject, 19),
            line.severity,
            str(line.detections),
        )
    queues = Counter(line.queue for line in summary.cases)
    shown = f"the {CASES_SHOWN} most severe of " if len(summary.cases) > CASES_SHOWN else ""
    table.caption = f"{shown}{len(summary.cases):,} cases ({_counts(dict(queues))}); det.: detections"
    return table
