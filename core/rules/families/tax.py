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
    triggers=("transaction", "customer"),
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
    total and (when configured) only retail categories. Resale exemptions used for personal buys.
    The exemption is the customer record's in force at the sale (the latest record at or before it,
    else the earliest), whatever order records and sales arrive in: a record arriving later
    re-judges the customer's walk-in-shaped sales, reporting or withdrawing them."""
    facts = ctx.facts
    txn = facts.transaction
    record = facts.customer
    key = record.id if record is not None else (txn.customer_id if txn is not None else None)
    if key is None:
        return []
    held = ctx.memory.get(key)
    if held is None:
        # A customer first seen before its records were kept here: its exemption as last delivered.
        known = ctx.customer(key)
        seed = [] if known is None or "tax_exempt" not in known else [[-1e18, bool(known["tax_exempt"])]]
        held = {"ts": facts.ts, "records": seed, "sales": []}
    records, sales = [list(r) for r in held["records"]], [list(r) for r in held["sales"]]
    changed = False
    if record is not None and [facts.ts, bool(record.tax_exempt)] not in records:
        records = sorted([*records, [facts.ts, bool(record.tax_exempt)]])[-RECORDS_KEPT:]
        changed = True
    judge = list(sales) if changed else []
    sale = _walk_in(ctx) if txn is not None and txn.customer_id == key else None
    if sale is not None and all(row[1] != sale[1] for row in sales):
        sales = sorted([*sales, sale])[-SALES_KEPT:]
        judge.append(sale)
        changed = True
    if not changed:
        return []
    ctx.memory.put(key, {"ts": max(facts.ts, float(held["ts"])), "records": records, "sales": sales})
    return [_exempt_finding(ctx, row, _exempt_at(records, float(row[0]))) for row in judge]


RECORDS_KEPT = 20
SALES_KEPT = 50


def _exempt_at(records: list[list[Any]], ts: float) -> bool:
    if not records:
        return False
    before = [r for r in records if r[0] <= ts]
    return bool((before[-1] if before else records[0])[1])


def _walk_in(ctx: RuleContext) -> list[Any] | None:
    """The sale as a JSON-safe row when it has a walk-in's shape (untaxed, few lines, small, retail)."""
    txn = ctx.facts.transaction
    assert txn is not None
    if txn.type not in SALE_TYPES:
        return None
    taxed = (txn.tax_cents or 0) + sum(t.tax_cents for t in ctx.facts.taxes)
    lines = [li for li in ctx.facts.line_items if li.line_type == "SALE"]
    retail = set(ctx.texts("retail_categories"))
    if taxed != 0 or not lines or len(lines) > ctx.whole("max_lines"):
        return None
    if txn.amount_cents > ctx.whole("max_amount_cents"):
        return None
    if retail and not all(li.category_id in retail for li in lines):
        return None
    subject = asdict(ctx.subject(lines))
    return [
        ctx.facts.ts,
        txn.id,
        txn.occurred_at.isoformat(),
        len(lines),
        txn.amount_cents,
        txn.currency,
        {k: list(v) if isinstance(v, tuple) else v for k, v in subject.items()},
        {
            "transaction": txn.model_dump(mode="json"),
            "line_items": [li.model_dump(mode="json") for li in lines],
        },
    ]


def _exempt_finding(ctx: RuleContext, row: list[Any], exempt: bool) -> Finding:
    _ts, txn_id, at, lines, amount, currency, subject, evidence = row
    episode = f"exempt|{txn_id}"
    if not exempt:
        return Finding.withdrawal(
            episode, "the customer was not tax-exempt at the sale", ctx.facts.occurred_at
        )
    return Finding(
        summary=f"tax-exempt customer: untaxed {lines}-line ticket of {money(amount, currency)}",
        subject=Subject(**{k: tuple(v) if isinstance(v, list) else v for k, v in subject.items()}),
        occurred_at=datetime.fromisoformat(at),
        entity_id=txn_id,
        measurements={"lines": lines, "amount_cents": amount},
        evidence={**evidence, "customer": ctx.customer(subject.get("customer_id"))},
        episode=episode,
        extent=1,
    )


RULES = (tax_stack_mismatch, exempt_walk_in)
