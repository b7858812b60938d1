"""The evaluation set: questions from the product's Owl stories, asked of one simulated merchant.

Each ``Case`` holds the question (written with the world's real ids), the tool calls an answer
needs, the facts it must contain (``agents.evals.truth``: read from the tables, not from the tools),
and ``say``: how the scripted player reads the calls' results into an answer when no model is
configured. A real model gets only the question; ``calls`` and ``say`` are never shown to it.

The stories behind the cases are the Owl user stories of the rules module (Q.1 data freshness,
Q.2 rule operations, Q.3 detections, Q.5 investigation, Q.6 vertical packs) and of the customer
registry; a case whose server has not landed yet (cases, anomalies) is not in the set.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agents.evals import truth
from agents.evals.world import EvalWorld
from core.rules.catalog import default_catalog
from core.rules.model import Family
from core.rules.packs import get_pack

PAGE = 100  # the servers' largest page: every list a case asks for fits in one


@dataclass(frozen=True)
class Call:
    tool: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Fact:
    """Something the answer must state: a number (money in cents may be written as dollars, a 0–1
    rate as a percentage) or a text, e.g. an id (matched case-insensitively)."""

    label: str
    value: int | float | str


@dataclass(frozen=True)
class Said:
    """One thing the scripted player writes: a label, and a value taken from ``call``'s result."""

    label: str
    value: int | float | str
    call: Call | None = None


class Results:
    """The results of a case's calls, by call, as the player received them."""

    def __init__(self, pairs: Sequence[tuple[Call, Any]]) -> None:
        self.pairs = list(pairs)

    def of(self, tool: str) -> tuple[Call, Any]:
        for call, result in self.pairs:
            if call.tool == tool:
                return call, result
        raise LookupError(f"no {tool} result")


@dataclass(frozen=True)
class Case:
    id: str
    story: str
    role: str
    ask: Callable[[EvalWorld], str]
    calls: Callable[[EvalWorld], list[Call]]
    facts: Callable[[EvalWorld], list[Fact]]
    say: Callable[[Results], list[Said]]
    applies: Callable[[EvalWorld], bool] = lambda _w: True


def _figure(results: Results, tool: str, label: str, read: Callable[[Any], Any]) -> Said:
    call, result = results.of(tool)
    return Said(label, read(result), call)


def _texts(results: Results, tool: str, label: str, read: Callable[[Any], list[str]]) -> list[Said]:
    call, result = results.of(tool)
    return [Said(label, value, call) for value in read(result)]


def _rules_of(world: EvalWorld) -> list[Any]:
    return default_catalog().all()


def _family(world: EvalWorld) -> Family:
    return default_catalog().get(world.rule).family


def _rows(world: EvalWorld, **where: str | None) -> list[Any]:
    with world.container.db.tenant(world.merchant_id) as session:
        found = truth.detections(session, world.merchant_id)
    return [d for d in found if all(getattr(d, k) == v for k, v in where.items())]


def _spend(world: EvalWorld, customer: str) -> truth.Spend:
    with world.container.db.tenant(world.merchant_id) as session:
        return truth.spend(session, world.merchant_id, customer)


def _latest_three(world: EvalWorld) -> list[str]:
    rows = sorted(_rows(world, rule_id=world.rule), key=lambda d: (d.occurred_at, d.id), reverse=True)
    return [d.id for d in rows[:3]]


def _top_employee(rows: list[Any]) -> str | None:
    counts = truth.count_by(rows, "employee_id")
    return min(counts, key=lambda k: (-counts[k], k)) if counts else None


def _top_in(items: list[dict[str, Any]], key: str) -> str:
    counts: dict[str, int] = {}
    for item in items:
        if item.get(key):
            counts[item[key]] = counts.get(item[key], 0) + 1
    return min(counts, key=lambda k: (-counts[k], k)) if counts else "nobody"


def _segments(world: EvalWorld) -> Any:
    # Segments are a definition of the registry (thresholds, an as-of time): the service that owns
    # the definition is the truth, asked as of the world's last day.
    return world.container.identity.customer_segments(world.merchant_id, as_of=world.today)


def _audit(world: EvalWorld) -> list[Any]:
    with world.container.db.tenant(world.merchant_id) as session:
        return truth.audit_entries(session, world.merchant_id)


def _days(world: EvalWorld) -> tuple[datetime, datetime]:
    end = world.today.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return end - timedelta(days=7), end


def _week(world: EvalWorld) -> tuple[str, str]:
    start, end = _days(world)
    return start.isoformat(), end.isoformat()


def _in_week(world: EvalWorld) -> list[Any]:
    # The live detections of the week are what a dry run over it must find (the backtest and the
    # live consumer agree: docs/rules.md).
    start, end = _days(world)
    return [d for d in _rows(world, rule_id=world.rule) if start <= d.occurred_at < end and not d.suppressed]


CASES: list[Case] = [
    # Q.2: what the catalog is and how it runs here.
    Case(
        "catalog-size",
        "Q.2 As an Operator in Owl: which rules run for this tenant",
        "operator",
        lambda w: "How many detection rules are in the catalog we run?",
        lambda w: [Call("list_rules")],
        lambda w: [Fact("rules", len(_rules_of(w)))],
        lambda r: [_figure(r, "list_rules", "rules in the catalog", lambda x: len(x["items"]))],
    ),
    Case(
        "family-members",
        "Q.2 As an Operator in Owl: the rules of one family",
        "operator",
        lambda w: f"Which rules make up the {_family(w).value} family?",
        lambda w: [Call("list_rules", {"family": _family(w).value})],
        lambda w: [Fact("rule", r.id) for r in _rules_of(w) if r.family == _family(w)],
        lambda r: _texts(r, "list_rules", "rule", lambda x: [i["rule_id"] for i in x["items"]]),
    ),
    Case(
        "rule-parameters",
        "Q.2 As an Operator in Owl: what a rule's parameters are before tuning it",
        "operator",
        lambda w: f"What does {w.rule} look for, and which parameters can be tuned?",
        lambda w: [Call("get_rule", {"rule_id": w.rule})],
        lambda w: [Fact("parameter", p.name) for p in default_catalog().get(w.rule).parameters],
        lambda r: _texts(r, "get_rule", "parameter", lambda x: [p["name"] for p in x["parameters"]]),
    ),
    Case(
        "rule-family",
        "Q.2 As Owl: which family and queue a rule belongs to",
        "analyst",
        lambda w: f"Which family does rule {w.rule} belong to?",
        lambda w: [Call("get_rule", {"rule_id": w.rule})],
        lambda w: [Fact("family", _family(w).value)],
        lambda r: _texts(r, "get_rule", "family", lambda x: [x["family"]]),
    ),
    # Q.3: detections.
    Case(
        "rule-detections",
        "Q.3 As an LP Analyst in Owl: how often a rule fired",
        "analyst",
        lambda w: f"How many {w.rule} detections are there?",
        lambda w: [Call("query_detections", {"rule_id": w.rule, "limit": PAGE})],
        lambda w: [Fact("detections", len(_rows(w, rule_id=w.rule)))],
        lambda r: [_figure(r, "query_detections", "detections", lambda x: len(x["items"]))],
        applies=lambda w: 0 < len(_rows(w, rule_id=w.rule)) <= PAGE,
    ),
    Case(
        "rule-top-employee",
        "Q.3 As an LP Analyst in Owl: detections by employee, ranked",
        "analyst",
        lambda w: f"Which employee is named on the most {w.rule} detections?",
        lambda w: [Call("query_detections", {"rule_id": w.rule, "limit": PAGE})],
        lambda w: [Fact("employee", str(_top_employee(_rows(w, rule_id=w.rule))))],
        lambda r: _texts(r, "query_detections", "employee", lambda x: [_top_in(x["items"], "employee_id")]),
        applies=lambda w: (
            _top_employee(_rows(w, rule_id=w.rule)) is not None and len(_rows(w, rule_id=w.rule)) <= PAGE
        ),
    ),
    Case(
        "rule-latest",
        "Q.3 As an LP Analyst in Owl: the latest detections of a rule",
        "analyst",
        lambda w: f"What are the three most recent {w.rule} detections? Give their ids.",
        lambda w: [Call("query_detections", {"rule_id": w.rule, "limit": 3})],
        lambda w: [Fact("detection", d) for d in _latest_three(w)],
        lambda r: _texts(
            r, "query_detections", "detection", lambda x: [i["detection_id"] for i in x["items"]]
        ),
        applies=lambda w: bool(_latest_three(w)),
    ),
    Case(
        "detection-detail",
        "Q.5 As an LP Analyst in Owl: one detection with its evidence",
        "analyst",
        lambda w: f"Tell me about detection {w.detection}: which rule, which employee, which location?",
        lambda w: [Call("get_detection_detail", {"detection_id": str(w.detection)})],
        lambda w: [
            Fact(label, str(value))
            for d in _rows(w, id=w.detection)
            for label, value in (
                ("rule", d.rule_id),
                ("employee", d.employee_id),
                ("location", d.location_id),
            )
            if value
        ],
        lambda r: _texts(
            r,
            "get_detection_detail",
            "",
            lambda x: [
                v
                for v in (
                    x["detection"]["rule_id"],
                    x["detection"]["employee_id"],
                    x["detection"]["location_id"],
                )
                if v
            ],
        ),
        applies=lambda w: w.detection is not None,
    ),
    Case(
        "location-detections",
        "Q.5.6 As a Store GM in Owl: detections at my store",
        "gm",
        lambda w: f"How many detections has store {w.location} had?",
        lambda w: [Call("query_detections", {"location_id": str(w.location), "limit": PAGE})],
        lambda w: [Fact("detections", len(_rows(w, location_id=w.location)))],
        lambda r: [_figure(r, "query_detections", "detections", lambda x: len(x["items"]))],
        applies=lambda w: w.location is not None and len(_rows(w, location_id=w.location)) <= PAGE,
    ),
    Case(
        "employee-detections",
        "Q.3 As an LP Analyst in Owl: everything one employee triggered",
        "analyst",
        lambda w: f"How many detections name employee {w.employee}?",
        lambda w: [Call("query_detections", {"employee_id": str(w.employee), "limit": PAGE})],
        lambda w: [Fact("detections", len(_rows(w, employee_id=w.employee)))],
        lambda r: [_figure(r, "query_detections", "detections", lambda x: len(x["items"]))],
        applies=lambda w: w.employee is not None and len(_rows(w, employee_id=w.employee)) <= PAGE,
    ),
    Case(
        "dry-run-week",
        "Q.2 As an Operator in Owl: size a rule over recent history before changing it",
        "operator",
        lambda w: (
            f"If {w.rule} ran over the last seven days ({_week(w)[0][:10]} to {_week(w)[1][:10]}), "
            "how many hits would it have?"
        ),
        lambda w: [Call("dry_run_rule", {"rule_id": w.rule, "start": _week(w)[0], "end": _week(w)[1]})],
        lambda w: [Fact("hits", len(_in_week(w)))],
        lambda r: [_figure(r, "dry_run_rule", "hits", lambda x: x["hits"])],
    ),
    # Q.1: what data Q is seeing.
    Case(
        "scorecard-gaps",
        "Q.1 As an LP Analyst in Owl: what data is Q seeing (freshness and completeness)",
        "analyst",
        lambda w: "What data is Q seeing: which rules cannot run on our data?",
        lambda w: [Call("substrate_scorecard")],
        # Applicability is the scorecard's own definition (required fields seen): the service is the truth.
        lambda w: [Fact("cannot run", r) for r in _not_applicable(w)],
        lambda r: _texts(
            r,
            "substrate_scorecard",
            "cannot run",
            lambda x: [i["rule_id"] for i in x["rules"] if i["status"] == "not_applicable"],
        ),
        applies=lambda w: bool(_not_applicable(w)),
    ),
    Case(
        "scorecard-entities",
        "Q.1 As an LP Analyst in Owl: which kinds of records have arrived",
        "analyst",
        lambda w: "Which kinds of records has Canary received from our stores?",
        lambda w: [Call("substrate_scorecard")],
        lambda w: [
            Fact("entity", e.entity)
            for e in w.container.chirp_service.substrate_scorecard(w.merchant_id).entities
            if e.events > 0
        ],
        lambda r: _texts(
            r,
            "substrate_scorecard",
            "entity",
            lambda x: [e["entity"] for e in x["entities"] if e["events"] > 0],
        ),
    ),
    # Q.2 / Q.6: configuration history and packs.
    Case(
        "audit-actors",
        "Q.2 As an Operator in Owl: review what changed and who changed it",
        "operator",
        lambda w: "Who has changed our rule configuration?",
        lambda w: [Call("audit_log", {"limit": PAGE})],
        lambda w: [Fact("actor", a) for a in sorted({e.actor for e in _audit(w)})],
        lambda r: _texts(r, "audit_log", "actor", lambda x: sorted({i["actor"] for i in x["items"]})),
        applies=lambda w: 0 < len(_audit(w)) <= PAGE,
    ),
    Case(
        "audit-count",
        "Q.2 As an Operator in Owl: how many configuration changes there were",
        "operator",
        lambda w: "How many rule configuration changes are in the audit log?",
        lambda w: [Call("audit_log", {"limit": PAGE})],
        lambda w: [Fact("changes", len(_audit(w)))],
        lambda r: [_figure(r, "audit_log", "changes", lambda x: len(x["items"]))],
        applies=lambda w: 0 < len(_audit(w)) <= PAGE,
    ),
    Case(
        "garden-pack",
        "Q.6 As an Operator onboarding a garden-center tenant in Owl: what the vertical pack changes",
        "operator",
        lambda w: "Which rules would the garden-center vertical pack change?",
        lambda w: [Call("preview_vertical_pack", {"pack_id": "garden-center"})],
        lambda w: [Fact("rule", rule) for rule in get_pack("garden-center").rules()],
        lambda r: _texts(
            r, "preview_vertical_pack", "rule", lambda x: sorted({c["rule_id"] for c in x["changes"]})
        ),
    ),
    # The customer registry.
    Case(
        "customer-net",
        "R: As Owl, how much a customer has spent, net of refunds",
        "analyst",
        lambda w: f"How much has customer {w.customer} spent with us, net of refunds?",
        lambda w: [Call("customer_metrics", {"customer": w.customer})],
        lambda w: [Fact("net spend", _spend(w, w.customer).net_cents)],
        lambda r: [
            _figure(r, "customer_metrics", "net spend (cents)", lambda x: x["lifetime_value_net_cents"])
        ],
    ),
    Case(
        "customer-counts",
        "R: As Owl, how often a customer buys and returns",
        "analyst",
        lambda w: f"How many purchases and how many refunds has customer {w.customer} had?",
        lambda w: [Call("customer_metrics", {"customer": w.customer})],
        lambda w: [
            Fact("purchases", _spend(w, w.customer).sales),
            Fact("refunds", _spend(w, w.customer).refunds),
        ],
        lambda r: [
            _figure(r, "customer_metrics", "purchases", lambda x: x["transaction_count"]),
            _figure(r, "customer_metrics", "refunds", lambda x: x["refund_count"]),
        ],
    ),
    Case(
        "customer-gross",
        "R: As Owl, a customer's gross spend and refunds",
        "analyst",
        lambda w: f"What is customer {w.customer}'s gross spend, and how much has been refunded to them?",
        lambda w: [Call("customer_metrics", {"customer": w.customer})],
        lambda w: [
            Fact("gross", _spend(w, w.customer).gross_cents),
            Fact("refunded", _spend(w, w.customer).refunds_cents),
        ],
        lambda r: [
            _figure(r, "customer_metrics", "gross spend (cents)", lambda x: x["lifetime_value_gross_cents"]),
            _figure(r, "customer_metrics", "refunded (cents)", lambda x: x["refunds_cents"]),
        ],
    ),
    Case(
        "top-refunds",
        "R: As an LP Analyst in Owl, which customer has had the most money refunded",
        "analyst",
        lambda w: "Which customer has had the most money refunded, and how much?",
        lambda w: [Call("customer_complaints", {"limit": 1})],
        lambda w: [
            Fact("customer", str(w.refunder)),
            Fact("refunded", _spend(w, str(w.refunder)).refunds_cents),
        ],
        lambda r: [
            *_texts(r, "customer_complaints", "customer", lambda x: [x["customers"][0]["customer_id"]]),
            _figure(
                r, "customer_complaints", "refunded (cents)", lambda x: x["customers"][0]["refunds_cents"]
            ),
        ],
        applies=lambda w: w.refunder is not None,
    ),
    Case(
        "card-customers",
        "R: As an LP Analyst in Owl, who uses one card",
        "analyst",
        lambda w: f"Which customers have paid with the card whose fingerprint is {w.card}?",
        lambda w: [Call("lookup_customer_by_card", {"fingerprint": str(w.card), "limit": PAGE})],
        lambda w: [Fact("customer", c) for c in sorted(_card_customers(w))],
        lambda r: _texts(
            r, "lookup_customer_by_card", "customer", lambda x: [c["customer_id"] for c in x["customers"]]
        ),
        applies=lambda w: w.card is not None and 0 < len(_card_customers(w)) <= PAGE,
    ),
    Case(
        "segments",
        "R: As Owl, how the customer base splits into new, regular and lapsed",
        "gm",
        lambda w: f"As of {w.today:%Y-%m-%d}, how many of our customers are in each segment?",
        lambda w: [Call("customer_segments", {"as_of": w.today.isoformat()})],
        lambda w: [Fact(s.segment, s.customers) for s in _segments(w).segments],
        lambda r: [
            Said(s["segment"], s["customers"], r.of("customer_segments")[0])
            for s in r.of("customer_segments")[1]["segments"]
        ],
    ),
    Case(
        "attrition",
        "R: As a Store GM in Owl, how many established customers have lapsed",
        "gm",
        lambda w: f"As of {w.today:%Y-%m-%d}, how many established customers have lapsed?",
        lambda w: [Call("customer_segments", {"as_of": w.today.isoformat()})],
        lambda w: [Fact("lapsed", _segments(w).attrition.lapsed_customers)],
        lambda r: [
            _figure(r, "customer_segments", "lapsed customers", lambda x: x["attrition"]["lapsed_customers"])
        ],
    ),
]


def _not_applicable(world: EvalWorld) -> list[str]:
    card = world.container.chirp_service.substrate_scorecard(world.merchant_id)
    return [r.rule_id for r in card.rules if r.status == "not_applicable"]


def _card_customers(world: EvalWorld) -> set[str]:
    with world.container.db.tenant(world.merchant_id) as session:
        found = truth.busiest_card(session, world.merchant_id)
    return found[1] if found else set()


def applicable(world: EvalWorld) -> list[Case]:
    """The cases this world can ask: a question about something it does not have is left out."""
    return [case for case in CASES if case.applies(world)]
