"""Mix and match (Q.2.10, garden-center-originated): bundles sold at a loss, and mix-and-match codes
on items outside their group."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from core.domain.sales import LineItem
from core.rules.context import RuleContext
from core.rules.families.margin import line_cost
from core.rules.model import Family, Finding, Parameter, Scope, Severity, Substrate, rule
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
    triggers=("transaction",),
    allow_scopes=(Scope.ITEM, Scope.EMPLOYEE, Scope.LOCATION),
    severity=Severity.MEDIUM,
    substrates=CP,
    history=(MIX_MATCH,),
)
def code_outside_group(ctx: RuleContext) -> Iterable[Finding]:
    """A sale line carrying a mix-and-match code whose group (as defined when the event happened)
    does not contain the line's item: the code was applied by hand to get the bundle price."""
    offending = []
    groups = {g.code: set(g.item_ids) for g in ctx.facts.mix_match_groups}
    for line in _coded_lines(ctx):
        code = line.mix_match_code or ""
        members = groups.get(code)
        if members is None:
            stored = mix_match_items(ctx.state, code)
            members = set(stored) if stored is not None else None
        if members is not None and line.item_id not in members:
            offending.append((line, sorted(members)))
    if not offending:
        return []
    txn = ctx.facts.transaction
    assert txn is not None
    return [
        Finding(
            summary=f"{len(offending)} line(s) carry a mix-and-match code their item is not in",
            subject=ctx.subject([li for li, _m in offending]),
            occurred_at=txn.occurred_at,
            entity_id=txn.id,
            measurements={
                "lines": [
                    {"line_no": li.line_no, "item_id": li.item_id, "code": li.mix_match_code}
                    for li, _m in offending
                ]
            },
            evidence={
                "transaction": txn,
                "line_items": [li for li, _m in offending],
                "mix_match_groups": [{"code": li.mix_match_code, "item_ids": m} for li, m in offending],
            },
        )
    ]


RULES = (bundle_below_cost, code_outside_group)
