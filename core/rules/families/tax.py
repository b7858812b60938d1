"""Tax and compliance (Q.2.8): a document taxed by a different set of authorities than its store's
usual stack, and tax-exempt customers buying like retail walk-ins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from core.rules.context import RuleContext
from core.rules.model import Family, Finding, Parameter, Scope, Severity, Subject, Substrate, rule
from core.rules.state import Window
from core.rules.windows import CUSTOMERS, SALE_TYPES, TXN, tax_signature
from core.text import money

CP = (Substrate.COUNTERPOINT,)
# Where the stacks were counted before Q-TC-01 counted them itself: read when a store is first judged.
OLD_TAX: Window[dict[str, int]] = Window("tax", key="location: documents per authority stack", shards=1)


@rule(
    id="Q-TC-01",
    family=Family.TAX,
    title="Tax stack differs from the store's jurisdiction",
    requires=("taxes.authority", "document.location_id"),
    optional=("document.tax_code", "document.normal_tax_code", "store_config.tax_code"),
    triggers=("taxes",),
    parameters=(
        Parameter(
            "min_baseline_docs",
            20,
            "Taxed documents the store needs before its usual stack is known",
            1,
            100_000,
        ),
        Parameter("min_share", 0.6, "Share of the store's documents the usual stack must have", 0.5, 1.0),
    ),
    allow_scopes=(Scope.LOCATION, Scope.CUSTOMER, Scope.CUSTOMER_TIER),
    severity=Severity.LOW,
    substrates=CP,
    history=(
        TXN,
        OLD_TAX,
    ),
)
def tax_stack_mismatch(ctx: RuleContext) -> Iterable[Finding]:
    """A taxed document whose set of taxing authorities (PS_DOC_TAX.AUTH_COD) differs from the
    store's usual stack, learned from the store's documents once one stack clearly dominates.
    Misconfiguration or tax evasion; a tax-code override on the header is shown. Each document
    counts once, whatever order documents arrive in: those seen before the usual stack is known are
    judged when it is, so a backfill's early-arriving documents are not passed over."""
    facts = ctx.facts
    doc = facts.document
    signature = tax_signature(facts)
    if doc is None or not signature:
        return []
    txn = facts.transaction
    location = doc.location_id
    held = ctx.memory.get(location) or {
        # State written before the counts were this rule's own: the shared window's counts.
        "counts": dict(OLD_TAX.get(ctx.state, location) or {}),
        "pending": [],
    }
    counts: dict[str, int] = dict(held["counts"])
    if txn is None or TXN.get(ctx.state, txn.id) is None:  # a redelivered document counts once
        counts[signature] = counts.get(signature, 0) + 1
    pending = [p for p in held["pending"] if p["id"] != doc.id]
    usual = _usual(counts, ctx.whole("min_baseline_docs"), ctx.num("min_share"))
    if usual is None:
        pending = sorted([*pending, _record(ctx, signature)], key=lambda p: (p["ts"], p["id"]))[
            -PENDING_KEPT:
        ]
        ctx.memory.put(location, {"ts": facts.ts, "counts": counts, "pending": pending})
        return []
    ctx.memory.put(location, {"ts": facts.ts, "counts": counts, "pending": []})
    stack, share = usual
    # The event's own record is built only when it is reported: a document taxed by the usual stack
    # (nearly all of them, once the stack is known) needs none.
    judged = pending if signature == stack else [*pending, _record(ctx, signature)]
    return [_mismatch(record, stack, share) for record in judged if record["sig"] != stack]


PENDING_KEPT = 500  # documents held while a store's usual stack is not yet known


def _usual(counts: dict[str, int], minimum: int, min_share: float) -> tuple[str, float] | None:
    total = sum(counts.values())
    if total < minimum:
        return None
    usual, seen = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return None if seen / total < min_share else (usual, round(seen / total, 3))


def _record(ctx: RuleContext, signature: str) -> dict[str, Any]:
    """What a finding about the event's document needs, JSON-safe, so a document judged later (when
    the store's usual stack becomes known) is reported exactly as one judged on arrival."""
    doc, txn = ctx.facts.document, ctx.facts.transaction
    assert doc is not None
    subject = asdict(ctx.subject(location_id=doc.location_id))
    return {
        "ts": ctx.facts.ts,
        "id": doc.id,
        "sig": signature,
        "entity": txn.id if txn else doc.id,
        "at": ctx.facts.occurred_at.isoformat(),
        "subject": {k: list(v) if isinstance(v, tuple) else v for k, v in subject.items()},
        "tax_code": doc.tax_code,
        "normal_tax_code": doc.normal_tax_code,
        "document": doc.model_dump(mode="json"),
        "taxes": [t.model_dump(mode="json") for t in ctx.facts.taxes],
    }


def _mismatch(record: dict[str, Any], usual: str, share: float) -> Finding:
    signature = record["sig"]
    subject: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in record["subject"].items()
    }
    return Finding(
        summary=f"taxed by {signature.replace('|', ', ')}; "
        f"the store usually charges {usual.replace('|', ', ')}",
        subject=Subject(**subject),
        occurred_at=datetime.fromisoformat(record["at"]),
        entity_id=record["entity"],
        measurements={
            "authorities": signature.split("|"),
            "usual": usual.split("|"),
            "usual_share": share,
            "tax_code": record["tax_code"],
            "normal_tax_code": record["normal_tax_code"],
        },
        evidence={"document": record["document"], "taxes": record["taxes"]},
        episode=f"{record['id']}|{signature}",
        extent=1,
    )


@rule(
    id="Q-TC-02",
    family=Family.TAX,
    title="Tax-exempt customer buying in a retail walk-in shape",
    requires=("customer.tax_exempt", "transaction.tax_cents|taxes.tax_cents"),
    triggers=("transaction",),
    parameters=(
        Parameter("max_lines", 1, "Most sale lines a walk-in-shaped ticket has", 1, 20),
        Parameter("max_amount_cents", 5_000, "Largest walk-in-shaped ticket", 0, 10_000_000, unit="cents"),
        Parameter("retail_categories", (), "Category ids that are retail SKUs (empty: any category)"),
    ),
    allow_scopes=(Scope.CUSTOMER, Scope.CUSTOMER_TIER, Scope.EMPLOYEE, Scope.LOCATION),
    severity=Severity.LOW,
    substrates=CP,
    vertical_note="landscapers carry resale exemptions: small untaxed retail tickets on one are the pattern",
    history=(CUSTOMERS,),
)
def exempt_walk_in(ctx: RuleContext) -> Iterable[Finding]:
    """An untaxed sale to a tax-exempt customer that looks like a retail walk-in: few lines, a small
    total and (when configured) only retail categories. Resale exemptions used for personal buys."""
    txn = ctx.facts.transaction
    if txn is None or txn.type not in SALE_TYPES or not txn.customer_id:
        return []
    record = ctx.facts.customer if ctx.facts.customer and ctx.facts.customer.id == txn.customer_id else None
    exempt = (
        record.tax_exempt if record is not None else (ctx.customer(txn.customer_id) or {}).get("tax_exempt")
    )
    if not exempt:
        return []
    taxed = (txn.tax_cents or 0) + sum(t.tax_cents for t in ctx.facts.taxes)
    lines = [li for li in ctx.facts.line_items if li.line_type == "SALE"]
    retail = set(ctx.texts("retail_categories"))
    if taxed != 0 or not lines or len(lines) > ctx.whole("max_lines"):
        return []
    if txn.amount_cents > ctx.whole("max_amount_cents"):
        return []
    if retail and not all(li.category_id in retail for li in lines):
        return []
    return [
        Finding(
            summary=f"tax-exempt customer: untaxed {len(lines)}-line ticket of "
            f"{money(txn.amount_cents, txn.currency)}",
            subject=ctx.subject(lines),
            occurred_at=txn.occurred_at,
            entity_id=txn.id,
            measurements={"lines": len(lines), "amount_cents": txn.amount_cents},
            evidence={
                "transaction": txn,
                "line_items": lines,
                "customer": record or ctx.customer(txn.customer_id),
            },
        )
    ]


RULES = (tax_stack_mismatch, exempt_walk_in)
