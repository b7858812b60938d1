"""``docs/rules.md`` from the catalog, so the page cannot drift from the code (a test compares them).

Regenerate with ``python -m tests.rules_cases > docs/rules.md``: the page lists each rule's cases,
which are test data (``tests/rules_cases``), so the generator runs from there.
"""

from __future__ import annotations

from typing import Any

from core.rules.catalog import Catalog
from core.rules.model import Parameter, Rule
from core.rules.state import Window

HEADER = """# Chirp rule catalog

Generated from `core/rules/catalog.py` by `python -m tests.rules_cases`; `tests/unit/rules/test_catalog.py`
fails when this page and the code disagree. Catalog version **{version}**, {count} rules.

Every rule reads the canonical model only (docs/design.md), never a vendor payload. *Requires* lists the
canonical fields a rule reads as `entity.field`; `a | b` means either will do. A tenant whose substrate
lacks a required field sees the rule as "not applicable: missing …" on the substrate scorecard.
Modes are per rule per tenant: `dry_run` (the default for a new tenant) writes nothing, `observation`
writes detections but never publishes them to `canary:alerts`, `alerting` does both.
Allow-list entries name one or more scopes (all must match), a reason and an expiry of at most 365 days.

## History a rule declares

A rule that needs more than the event in hand declares it next to itself: `rule(history=...)` names
each window it reads (*History* below: the table, what a key names, how long an entry is kept). A
window only one rule needs is declared in that rule's family module with its fold (how an event is
added to it, `@WINDOW.folds`), its retention and its shards (`core/rules/state.py`, `Window`); the
few windows several rules share (reference data, customers, items, each transaction's money
fingerprint, the substrate record) are declared in `core/rules/windows.py`. Rules read a window
through its object (`VOIDS.get(ctx.state, key)`), never by a table name, and a rule's own
accumulators are its memory (`ctx.memory`). The engine folds each event into every window after the
rules have read them, so a rule sees the history as it stood before the event; the consumer sweeps
each window by its retention. `tests/unit/rules/test_history.py` runs every rule over its cases and
fails if it reads a window it has not declared. So a new rule touches its family module (the rule,
and any window of its own) and its cases in `tests/rules_cases/`.

## Arrival order, late events and episodes

Vendors deliver out of order (Square retries for 24 hours; day 0 of a rollout is a backfill), so a rule
with history must give the same detections whatever order the facts arrive in. Where a rule has been
made order-independent (every rule with history), it works out its pattern in
event time (or, for a record's versions, in the vendor's version-key order) over everything its window
holds, an event that arrives late counts in every window its timestamp falls into, and reference data
arriving after the sales it applies to re-judges them. `tests/unit/rules/test_arrival_order.py` and
`tests/integration/rules/test_arrival_order.py` deliver each scenario in random orders with
redeliveries and compare with event-time order; the unit test also delivers every rule's own cases
in shuffled orders and fails for any rule whose detections change, except those it lists as still
reading their history as of arrival (each with the reason), so a new rule with history must pass it.

One detection per episode: Q-VR-03's episode is one employee's voids in one drawer session (or station
and business day), Q-TM-01's one station's session, Q-AT-03's one employee's week, Q-IS-04's one
location, category and week, Q-TC-01's one document, C-005's one card. The detection id is derived from the
episode alone, so it is the same whichever event completed the pattern. An event that grows the episode
rewrites that detection (Q-VR-03: members, count, total, severity; Q-AT-03: the week's count and
tickets; C-005: the uses in busy windows, customers and locations) with the next `revision` and a new
`updated_at`; a detection is only ever rewritten by a larger one, so a redelivery or an event outside
every window changes nothing. Where a later-arriving, earlier-timed event shows that an episode no
longer holds (Q-IS-04: a week whose baseline arrived late, write-offs moved to the category a late
sale names), the rule says so (`Finding.withdrawal`) and the engine withdraws the episode's
detection: one revision later, suppressed with the reason `withdrawn: <why>` and a
`detection_superseded` audit row, and, if it had been published, published again carrying
`withdrawn` so Fox takes it out of its case (docs/fox.md, "Withdrawn detections"); one found and
withdrawn within one consumer batch is never published. The next finding for the episode revives it,
one revision later still. Backtests, `dry_run_rule` and the permutation tests count a withdrawn
episode as no detection. Q-AT-03 counts each ticket once, however often it is delivered. In
alerting mode the rewrite is published to `canary:alerts` again under the same detection id and its
revision, so Fox updates the case it already has. Backtests and `dry_run_rule` count each episode once,
at its last revision, as the store does.

How late an event may be: as long as the window it belongs to is still held. Voids are held 24 hours
behind the newest void of that employee and session, and the rule state is swept by the newest event
time the consumer has seen (voids: 24 hours; de-duplication and episode records: 400 days). A void that
arrives after the other voids of its session have been swept finds nothing to cluster with: it is not
counted, and a detection already written is never shrunk or withdrawn. Q-AT-03 keeps an employee's last
27 weeks; its baseline (the earlier weeks) is read as it stands when the week's tickets arrive, so
earlier weeks' tickets arriving after a later week has fired do not withdraw that trend, and a week that
passes its threshold whatever part of its baseline has arrived is reported the same in any order.
Replaying the journal in event time (`dry_run_rule`) gives the event-time answer in every case. C-005
holds a card's uses for 7 days behind its newest use; a use that arrives later than that finds no window
to join, and the uses already in the card's detection stay in it. A card's later burst, weeks after the
first, joins the same detection (a new revision, republished), so Fox updates the case that already
holds that detection rather than receiving a second one. Q-CT-02 keeps each customer's tier records for
90 days, and the newest older one (the tier in force when they begin, so an upgrade from a tier set a
year ago is still a change), and the last 50 tickets: a tier record that arrives after the purchase
re-examines those tickets, so an upgrade explains a purchase in either order, and a change dated
after the purchase never does.
Q-TM-01 keeps each station's last 201 sessions by start, each sale counted once by its transaction id
(a later version replaces the earlier one's money while the 7-day transaction window still holds it);
a session closes when its drawer closes or a later session of the station starts, and a late sale or
session re-judges the closed sessions it falls into or precedes, so a session judged on part of its
sales or baseline is updated as the rest arrives (never withdrawn). Q-IS-04 keeps each item's
adjustments by id for 110 weeks: a late write-off re-judges its own week and the later weeks whose
baseline it falls into, and one that reaches further back than the history re-judges, at every
location and category, the weeks the longer history can change (those that lacked their trailing
weeks and, seasonally, those whose same weeks of earlier years it now covers). A write-off of an item
no sale has named a category for counts under "uncategorized" until one does; that sale moves the
item's write-offs to its category and re-judges the weeks they touch in both. A week reported on part
of its history (before its baseline weeks, or the sale naming its items' category, arrived) is
updated or withdrawn as the rest arrives, so the final detections are those of event-time order for
as long as the 110 weeks are held; a write-off older than that is not counted. Q-TC-01
counts each document once (while the 7-day transaction window holds it) and holds up to 500 documents
per store while its usual stack is not yet known, judging them when it is; a stack that loses its
dominance is not withdrawn from what was already flagged.
Q-AT-01 and Q-TM-02 compare a transaction's versions in version-key order: each keeps the versions of
a transaction seen more than once for 7 days (`edit_versions`, `swap_versions`; the newest 8), a
version arriving between two known ones is judged against the one before it and the one after it is
judged again (withdrawn if it no longer differs), one detection per version that changed. Q-DS-02
and Q-DS-03 replay a drawer session's versions (the newest 20, 30 days) by version key: a close
arriving after its tickets judges the session's 50 latest transactions, a reopening withdraws those
no longer after a close, and a store configuration arriving later re-judges the store's reopened
sessions (severity, or withdrawn where the store allows it and allowed reactivations are not
flagged). Q-IS-03 keeps a route's last 100 closed transfers in event time (closed at the later side's
time) and re-walks them when one closes late: a crossing it moves or removes is withdrawn. Q-ME-02
(one user's free items in one session) and Q-TM-03 (one ticket's tenders) are one episode each,
timed by their first member. Reference data that arrives late: Q-TC-02 keeps each customer's last 20
records and 50 walk-in-shaped sales, judged by the exemption in force at each sale (the latest record
at or before it, else the earliest); Q-MM-02 keeps each code's last 50 coded sales and re-judges them
when the group (or an item-master record naming a member) arrives; Q-DM-01 keeps each location's
discounted sales for 7 days (event time; at most 500) and re-judges them when the store's
configuration or the customer's record arrives (the tier in force at the sale); Q-DM-02 keeps each
item's Counterpoint sale lines for 7 days (the latest 50) and matches a markdown to the same user's
sales within its window when it arrives. Past those bounds a late record judges only what is still
held: an older sale keeps the verdict it had, never silently changed. An item's first sale is the
earliest in event time, so a later-arriving, earlier sale moves it back: Q-ME-01 holds each employee
week's sale lines and re-judges the week when a category it sold in arrives or an earlier-timed sale
moves an item's first sale (or where the item history begins), withdrawing a week that no longer
passes (weeks within 400 days of the latest). Q-CT-01 holds each customer's last 50 tickets in event
time and judges each on the tickets up to it (the first in each cool-down period where the pattern
holds), re-judging them when the customer's record arrives or an earlier-timed sale moves an item's
first sale, and withdrawing a period that no longer holds or holds at another ticket.

| rule | family | title | severity | queue | substrates |
|---|---|---|---|---|---|
"""


def _value(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(value) if value else "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _bounds(p: Parameter) -> str:
    if p.choices:
        return " / ".join(p.choices)
    if p.minimum is None and p.maximum is None:
        return ""
    return f"{_value(p.minimum)} – {_value(p.maximum)}"


def _window(window: Window[Any]) -> str:
    kept = (
        "kept until its own cap"
        if window.retention is None
        else f"{_span(window.retention)} behind the newest"
    )
    return f"`{window.name}` ({window.key}; {kept})"


def _span(seconds: float) -> str:
    days = seconds / 86_400
    return f"{days:g} d" if days >= 1 else f"{seconds / 3600:g} h"


def _rule(rule: Rule) -> str:
    lines = [
        f"### {rule.id} — {rule.title}",
        "",
        rule.definition,
        "",
        f"- Family: `{rule.family.value}`; severity `{rule.severity.value}`; queue `{rule.queue.value}`; "
        f"rule version {rule.version}",
        f"- Substrates with cases: {', '.join(s.slug for s in rule.substrates)}",
        f"- Requires: {'; '.join('`' + r.replace('|', '` | `') + '`' for r in rule.requires)}",
    ]
    if rule.optional:
        lines.append(f"- Uses when present: {', '.join(f'`{o}`' for o in rule.optional)}")
    lines.append(f"- Triggered by: {', '.join(f'`{t}`' for t in sorted(rule.triggers))}")
    lines.append(f"- Allow-list scopes: {', '.join(s.value for s in rule.allow_scopes) or 'none'}")
    if rule.history:
        lines.append(f"- History: {'; '.join(_window(w) for w in rule.history)}")
    if rule.vertical_note:
        lines.append(f"- Vertical note: {rule.vertical_note}")
    if rule.parameters:
        lines += ["", "| parameter | default | bounds | unit | meaning |", "|---|---|---|---|---|"]
        lines += [
            f"| `{p.name}` | {_value(p.default)} | {_bounds(p)} | {p.unit} | {p.description} |"
            for p in rule.parameters
        ]
    lines += ["", "Cases:", ""]
    lines += [f"- ({c.source.slug}, {'positive' if c.positive else 'negative'}) {c.name}" for c in rule.cases]
    return "\n".join(lines)


def render(catalog: Catalog) -> str:
    rules = catalog.all()
    out = HEADER.format(version=catalog.latest, count=len(rules))
    out += "".join(
        f"| [{r.id}](#{r.id.lower()}--{_anchor(r.title)}) | {r.family.value} | {r.title} | "
        f"{r.severity.value} | {r.queue.value} | {', '.join(s.slug for s in r.substrates)} |\n"
        for r in rules
    )
    out += "\n## Rules\n\n" + "\n\n".join(_rule(r) for r in rules) + "\n"
    return out


def _anchor(title: str) -> str:
    kept = "".join(ch for ch in title.lower() if ch.isalnum() or ch in " -")
    return kept.replace(" ", "-")
