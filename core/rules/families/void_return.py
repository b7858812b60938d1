"""Void and return (Q.2.2): voids with no original document, refunds with no receipt look-up, and
one employee's void cluster in a drawer session."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from core.rules.context import RuleContext
from core.rules.facts import Facts
from core.rules.model import Family, Finding, Parameter, Scope, Severity, Substrate, rule
from core.rules.state import RuleState, Window
from core.rules.windows import DAY, is_void, session_key, trimmed, void_items
from core.text import money

MINUTE = 60.0

# Q-VR-03's history: each employee's voids per drawer session (or station and business day), 24 hours
# behind the newest one: [ts, transaction, amount, station, local time, items].
VOIDS: Window[list[list[Any]]] = Window(
    "voids", key="employee|session: that employee's voids in it", retention=DAY, shards=4
)


@VOIDS.folds
def _fold_voids(state: RuleState, facts: Facts) -> None:
    txn = facts.transaction
    if txn is None or not is_void(facts) or not txn.employee_id:
        return
    key = session_key(txn)
    if key is None:
        return
    vkey = f"{txn.employee_id}|{key}"
    rows = trimmed(VOIDS.get(state, vkey) or [], facts.ts, DAY)
    if not any(row[1] == txn.id for row in rows):
        rows.append([facts.ts, txn.id, txn.amount_cents, txn.device_id, facts.local_time, void_items(facts)])
    VOIDS.put(state, vkey, rows)


@rule(
    id="Q-VR-01",
    family=Family.VOID_RETURN,
    title="Void with no original-document link",
    requires=("original_doc_refs.original_doc_id|document.original_doc_ref_count",),
    optional=("transaction.type", "document.voided", "document.ticket_type"),
    triggers=("transaction", "document"),
    parameters=(
        Parameter(
            "training_ticket_types", (), "TKT_TYP codes that mark a training-mode ticket (never flagged)"
        ),
        Parameter("min_amount_cents", 0, "Smallest voided amount that counts", 0, 10_000_000, unit="cents"),
    ),
    allow_scopes=(Scope.STATION, Scope.EMPLOYEE, Scope.LOCATION, Scope.TIME_WINDOW),
    severity=Severity.MEDIUM,
    substrates=(Substrate.COUNTERPOINT,),
    vertical_note="training-mode tickets and training stations are allow-listed",
)
def void_without_original(ctx: RuleContext) -> Iterable[Finding]:
    """A voided document whose original-document references are present and empty ("no link").
    A payload with no reference array at all is a substrate gap, not a finding, and training-mode
    tickets are never flagged."""
    facts = ctx.facts
    if not is_void(facts):
        return []
    doc, txn = facts.document, facts.transaction
    refs = facts.original_doc_refs
    count = doc.original_doc_ref_count if doc is not None else None
    if refs is None and count is None:
        return []
    if refs or count:
        return []
    if doc is not None and doc.ticket_type and doc.ticket_type in ctx.texts("training_ticket_types"):
        return []
    amount = txn.amount_cents if txn is not None else abs(doc.total_cents or 0) if doc is not None else 0
    if amount < ctx.whole("min_amount_cents"):
        return []
    entity = txn.id if txn is not None else facts.entity_id
    station = txn.device_id if txn is not None else (doc.station_id if doc is not None else None)
    return [
        Finding(
            summary=f"void of {money(amount, txn.currency if txn is not None else 'USD')} "
            "with no link to an original document",
            subject=ctx.subject(station_id=station, employee_id=txn.employee_id if txn else None),
            occurred_at=facts.occurred_at,
            entity_id=entity,
            measurements={"amount_cents": amount, "original_doc_refs": 0},
            evidence={"transaction": txn, "document": doc, "original_doc_refs": refs or []},
        )
    ]


@rule(
    id="Q-VR-02",
    family=Family.VOID_RETURN,
    title="Refund with no prior receipt look-up",
    requires=(
        "transaction.type",
        # An entity name alone: the adapter says whether a refund is linked (Square sends refund_link,
        # null when unlinked; Counterpoint sends its audit log and original-document array).
        "refund_link|audit_log|original_doc_refs|line_items.source_line_ref",
    ),
    optional=(
        "refund_link.original_transaction_id",
        "refund_link.original_payment_id",
        "audit_log.log_entry",
    ),
    triggers=("transaction",),
    parameters=(
        Parameter("min_refund_cents", 0, "Smallest refund that counts", 0, 10_000_000, unit="cents"),
        Parameter(
            "lookup_patterns",
            ("lookup", "look up", "recall", "original ticket", "receipt", "validated return"),
            "Audit-log text (lower case) that records a receipt look-up (ASSUMPTION-Q-01)",
        ),
    ),
    allow_scopes=(Scope.EMPLOYEE, Scope.CUSTOMER, Scope.STATION, Scope.LOCATION, Scope.TIME_WINDOW),
    severity=Severity.HIGH,
)
def refund_without_lookup(ctx: RuleContext) -> Iterable[Finding]:
    """A refund that gives money back with no sign the original sale was looked up first: no link to
    the original payment or document (Square's unlinked refund), no validated return line, and no
    audit-log look-up entry at or before the refund. The high-confidence cash-refund-fraud signal."""
    facts = ctx.facts
    txn = facts.transaction
    if txn is None or txn.type != "REFUND" or txn.amount_cents < ctx.whole("min_refund_cents"):
        return []
    evidence_keys = {"refund_link", "audit_log", "original_doc_refs"}
    if not (facts.present & evidence_keys) and not any(li.source_line_ref for li in facts.line_items):
        return []  # nothing to judge by: a substrate gap, shown on the scorecard
    link = facts.refund_link
    if link is not None and (
        link.original_transaction_id or link.original_payment_id or link.original_order_id
    ):
        return []
    if facts.original_doc_refs or any(li.source_line_ref for li in facts.line_items):
        return []
    patterns = ctx.texts("lookup_patterns")
    for entry in facts.audit_log:
        text = (entry.log_entry or "").lower()
        if any(p in text for p in patterns) and (
            entry.occurred_at is None or entry.occurred_at <= txn.occurred_at
        ):
            return []
    return [
        Finding(
            summary=f"refund of {money(txn.amount_cents, txn.currency)} with no receipt look-up",
            subject=ctx.subject(),
            occurred_at=txn.occurred_at,
            entity_id=txn.id,
            measurements={"amount_cents": txn.amount_cents, "audit_entries": len(facts.audit_log)},
            evidence={
                "transaction": txn,
                "refund_link": link,
                "audit_log": facts.audit_log,
                "tenders": facts.tenders,
            },
        )
    ]


@rule(
    id="Q-VR-03",
    family=Family.VOID_RETURN,
    title="Same-employee void cluster in one drawer session",
    requires=(
        "transaction.type",
        "transaction.employee_id",
        "transaction.drawer_session_id|transaction.device_id",
    ),
    triggers=("transaction",),
    parameters=(
        Parameter("min_voids", 3, "Voids by one employee in one session that make a cluster", 2, 50),
        Parameter("window_minutes", 240, "How close together the voids must be", 5, 1440, unit="minutes"),
    ),
    allow_scopes=(Scope.EMPLOYEE, Scope.STATION, Scope.LOCATION, Scope.TIME_WINDOW),
    severity=Severity.MEDIUM,
    vertical_note="a cluster is bundled into one case (bundle key employee + session)",
    history=(VOIDS,),
)
def void_cluster(ctx: RuleContext) -> Iterable[Finding]:
    """One employee voids several transactions in the same drawer session (or, where the substrate
    has no sessions, the same station and business day) within the window. One detection per
    employee and session: it fires when some window holds the minimum, and each later void that
    joins the cluster updates it (members, count, total; high severity from twice the minimum)
    instead of adding another. The cluster is worked out in event time over every void of the
    session held in the windows, so a void that arrives late counts wherever it falls."""
    facts = ctx.facts
    txn = facts.transaction
    if txn is None or not txn.employee_id or not is_void(facts):
        return []
    session = session_key(txn)
    if session is None:
        return []
    window = ctx.whole("window_minutes") * MINUTE
    minimum = ctx.whole("min_voids")
    held = [r for r in VOIDS.get(ctx.state, f"{txn.employee_id}|{session}") or [] if r[1] != txn.id]
    here = [facts.ts, txn.id, txn.amount_cents, txn.device_id, facts.local_time, void_items(facts)]
    rows = sorted([*held, here], key=lambda r: (r[0], r[1]))
    members = clustered(rows, window, minimum)
    if not members:
        return []
    count = len(members)
    voids = [{"transaction_id": r[1], "at": r[0], "amount_cents": r[2], "device_id": r[3]} for r in members]
    return [
        Finding(
            summary=f"{txn.employee_id} voided {count} transactions in one session",
            # The episode's subject, not the triggering void's: the same whichever void came last.
            subject=ctx.subject(
                (),
                items=tuple(sorted({i for r in members if len(r) > 5 for i in r[5]})),
                drawer_session_id=session,
                station_id=members[0][3],
                customer_id=None,
                customer_tier=None,
                local_time=members[0][4] if len(members[0]) > 4 else None,
            ),
            occurred_at=datetime.fromtimestamp(members[0][0], UTC),
            entity_id=members[0][1],
            measurements={
                "voids": count,
                "min_voids": minimum,
                "session": session,
                "total_cents": sum(v["amount_cents"] for v in voids),
                "first_at": members[0][0],
                "last_at": members[-1][0],
            },
            evidence={"voids": voids},
            severity=Severity.HIGH if count >= 2 * minimum else None,
            episode=f"{txn.employee_id}|{session}",
            extent=count,
            bundle_key=f"Q-VR-03|{txn.employee_id}|{session}",
        )
    ]


def clustered(rows: list[list[Any]], window: float, minimum: int) -> list[list[Any]]:
    """The rows (sorted by time) that lie in some span of ``window`` seconds holding at least
    ``minimum`` rows: a function of the set of rows, whatever order they arrived in."""
    inside = [False] * len(rows)
    last = 0
    for first in range(len(rows)):
        last = max(last, first)
        while last + 1 < len(rows) and rows[last + 1][0] - rows[first][0] <= window:
            last += 1
        if last - first + 1 >= minimum:
            inside[first : last + 1] = [True] * (last - first + 1)
    return [row for row, hit in zip(rows, inside, strict=True) if hit]


RULES = (void_without_original, refund_without_lookup, void_cluster)
