"""``docs/rules.md`` from the catalog, so the page cannot drift from the code (a test compares them).

Regenerate with ``python -m tests.rules_cases > docs/rules.md``: the page lists each rule's cases,
which are test data (``tests/rules_cases``), so the generator runs from there.
"""

from __future__ import annotations

from core.rules.catalog import Catalog
from core.rules.model import Parameter, Rule

HEADER = """# Chirp rule catalog

Generated from `core/rules/catalog.py` by `python -m tests.rules_cases`; `tests/unit/rules/test_catalog.py`
fails when this page and the code disagree. Catalog version **{version}**, {count} rules.

Every rule reads the canonical model only (docs/design.md), never a vendor payload. *Requires* lists the
canonical fields a rule reads as `entity.field`; `a | b` means either will do. A tenant whose substrate
lacks a required field sees the rule as "not applicable: missing …" on the substrate scorecard.
Modes are per rule per tenant: `dry_run` (the default for a new tenant) writes nothing, `observation`
writes detections but never publishes them to `canary:alerts`, `alerting` does both.
Allow-list entries name one or more scopes (all must match), a reason and an expiry of at most 365 days.

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


def _rule(rule: Rule) -> str:
    lines = [
        f"### {rule.id} — {rule.title}",
        "",
        rule.definition,
        "",
        f"- Family: `{rule.family.value}`; severity `{rule.severity.value}`; queue `{rule.queue.value}`; "
        f"rule version {rule.version}",
        f"- Substrates with cases: {', '.join(s.value for s in rule.substrates)}",
        f"- Requires: {'; '.join('`' + r.replace('|', '` | `') + '`' for r in rule.requires)}",
    ]
    if rule.optional:
        lines.append(f"- Uses when present: {', '.join(f'`{o}`' for o in rule.optional)}")
    lines.append(f"- Triggered by: {', '.join(f'`{t}`' for t in sorted(rule.triggers))}")
    lines.append(f"- Allow-list scopes: {', '.join(s.value for s in rule.allow_scopes) or 'none'}")
    if rule.vertical_note:
        lines.append(f"- Vertical note: {rule.vertical_note}")
    if rule.parameters:
        lines += ["", "| parameter | default | bounds | unit | meaning |", "|---|---|---|---|---|"]
        lines += [
            f"| `{p.name}` | {_value(p.default)} | {_bounds(p)} | {p.unit} | {p.description} |"
            for p in rule.parameters
        ]
    lines += ["", "Cases:", ""]
    lines += [
        f"- ({c.source.value}, {'positive' if c.positive else 'negative'}) {c.name}" for c in rule.cases
    ]
    return "\n".join(lines)


def render(catalog: Catalog) -> str:
    rules = catalog.all()
    out = HEADER.format(version=catalog.latest, count=len(rules))
    out += "".join(
        f"| [{r.id}](#{r.id.lower()}--{_anchor(r.title)}) | {r.family.value} | {r.title} | "
        f"{r.severity.value} | {r.queue.value} | {', '.join(s.value for s in r.substrates)} |\n"
        for r in rules
    )
    out += "\n## Rules\n\n" + "\n\n".join(_rule(r) for r in rules) + "\n"
    return out


def _anchor(title: str) -> str:
    kept = "".join(ch for ch in title.lower() if ch.isalnum() or ch in " -")
    return kept.replace(" ", "-")
