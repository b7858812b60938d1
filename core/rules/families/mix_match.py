"""Mix and match (Q.2.10, garden-center-originated): bundles sold at a loss, and mix-and-match codes
on items outside their group."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from core.domain.sales import LineItem
from core.rules.context import RuleContext
from core.rules.families.margin import line_cost
from core.rules.model import Family, Finding, Parameter, Scope, Severity, Subject, Substrate, rule
from core.rules.windows import MIX_MATCH, SALE_TYPES, mix_match_items

CP = (Substrate.COUNTERPOINT,)


def _coded_lines(ctx: RuleContext) -> list[LineItem]:
    txn = ctx.facts.transaction
    if txn is None or txn.type not in SALE_TYPES:
        return []
    return [li for li in ctx.facts.line_items if li.mix_match_code and li.line_type == "SALE"]


@rule(
    id="Q-MM-01",
    family=Family.MIX_MATCH,
    title="Mix-and-match bundle sold below cost",
    requires=("line_items.mix_match_code", "line_items.extended_cost_cents|line_items.unit_cost_cents"),
    triggers=("transaction",),
    parameters=(
        Parameter("min_loss_cents", 1, "Smallest bundle loss that counts", 0, 1_000_000, unit="cents"),
    ),
    allow_scopes=(Scope.ITEM, Scope.CATEGORY, Scope.EMPLOYEE, Scope.LOCATION),
    severity=Severity.MEDIUM,
    substrates=CP,
    vertical_note="line margins inside a bundle are low by design; only the bundle's margin is judged",
)
def bundle_below_cost(ctx: RuleContext) -> Iterable[Finding]:
    """For each mix-and-match code on a ticket, the bundle's price and cost are summed over its lines;
    it fires only when the bundle as a whole sells below cost, never for one cheap line in it."""
    bundles: dict[str, list[LineItem]] = defaultdict(list)
    for line in _coded_lines(ctx):
        bundles[line.mix_match_code or ""].append(line)
    losing = []
    for code, lines in sorted(bundles.items()):
        costs = [line_cost(li) for li in lines]
        if any(c is None for c in costs):
            continue
        price = sum(abs(li.extended_price_cents) for li in lines)
        margin = price - sum(c or 0 for c in costs)
        if -margin >= max(ctx.whole("min_loss_cents"), 1):
            losing.append((code, lines, price, margin))
    if not losing:
        return []
    txn = ctx.facts.transaction
    assert txn is not None
    lines = [li for _c, group, _p, _m in losing for li in group]
    return [
        Finding(
            summary=f"{len(losing)} mix-and-match bundle(s) sold below cost",
            subject=ctx.subject(lines),
            occurred_at=txn.occurred_at,
            entity_id=txn.id,
            measurements={
                "bundles": [
                    {"code": c, "price_cents": p, "margin_cents": m, "lines": len(g)} for c, g, p, m in losing
                ]
            },
            evidence={"transaction": txn, "line_items": lines},
        )
    ]


@rule(
    id="Q-MM-02",
    family=Family.MIX_MATCH,
    title="Mix-and-match code on an item outside its group",
    requires=("line_items.mix_match_code", "mix_match_groups.item_ids"),
    triggers=("transaction", "mix_match_groups"),
    allow_scopes=(Scope.ITEM, Scope.EMPLOYEE, Scope.LOCATION),
    severity=Severity.MEDIUM,
    substrates=CP,
    history=(MIX_MATCH,),
)
def code_outside_group(ctx: RuleContext) -> Iterable[Finding]:
    """A sale line carrying a mix-and-match code whose group does not contain the line's item: the
    code was applied by hand to get the bundle price. The group is as it is known, whatever order
    groups and sales arrive in: a group (or an item-master record naming a member) arriving after
    the sale re-judges the code's sales, reporting them or withdrawing those it now contains."""
    facts = ctx.facts
    out: list[Finding] = []
    groups: dict[str, set[str]] = {}
    for group in facts.mix_match_groups:
        members = set(group.item_ids)
        if not group.complete:  # an item-master record names one member: the others stay
            members |= set(groups.get(group.code) or mix_match_items(ctx.state, group.code) or [])
        groups[group.code] = members
    txn = facts.transaction
    coded: dict[str, list[LineItem]] = defaultdict(list)
    for line in _coded_lines(ctx):
        coded[line.mix_match_code or ""].append(line)
    for code in sorted(set(groups) | set(coded)):
        held = ctx.memory.get(f"code|{code}") or {"sales": []}
        sales = [list(r) for r in held["sales"]]
        judge = list(sales) if code in groups else []
        lines = coded.get(code)
        if txn is not None and lines and all(r[1] != txn.id for r in sales):
            subject = asdict(ctx.subject(lines))
            row = [
                facts.ts,
                txn.id,
                txn.occurred_at.isoformat(),
                [[li.line_no, li.item_id] for li in lines],
                {k: list(v) if isinstance(v, tuple) else v for k, v in subject.items()},
            ]
            sales = sorted([*sales, row])[-SALES_KEPT:]
            judge.append(row)
        if sales != held["sales"]:
            ctx.memory.put(
                f"code|{code}", {"ts": max(facts.ts, float(held.get("ts", facts.ts))), "sales": sales}
            )
        if code in groups:
            members: set[str] | None = groups[code]
        else:
            stored = mix_match_items(ctx.state, code)
            members = set(stored) if stored is not None else None
        if members is None:
            continue  # the group is not known yet: judged when it arrives
        out += [_outside(ctx, code, row, members) for row in judge]
    return out


SALES_KEPT = 50  # per code, the latest coded sales


def _outside(ctx: RuleContext, code: str, row: list[Any], members: set[str]) -> Finding:
    _ts, txn_id, at, lines, subject = row
    episode = f"mix-match|{txn_id}|{code}"
    offending = [(no, item) for no, item in lines if item not in members]
    if not offending:
        return Finding.withdrawal(episode, f"the group {code} contains the items", ctx.facts.occurred_at)
    items = tuple(sorted({item for _no, item in offending if item}))
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in subject.items()}
    values["items"] = items
    return Finding(
        summary=f"{len(offending)} line(s) carry a mix-and-match code their item is not in",
        subject=Subject(**values),
        occurred_at=datetime.fromisoformat(at),
        entity_id=txn_id,
        measurements={"lines": [{"line_no": no, "item_id": item, "code": code} for no, item in offending]},
        evidence={
            **(
                {
                    "transaction": txn,
                    "line_items": [li for li in ctx.facts.line_items if li.mix_match_code == code],
                }
                if (txn := ctx.facts.transaction) is not None and txn.id == txn_id
                else {"transaction_id": txn_id}
            ),
            "mix_match_groups": [{"code": code, "item_ids": sorted(members)}],
        },
        episode=episode,
        extent=1,
    )


RULES = (bundle_below_cost, code_outside_group)
