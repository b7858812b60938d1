"""A transaction's versions in version-key order, for rules that judge each version against the one
before it (Q-AT-01 edits after commit, Q-TM-02 card-to-cash swaps), whatever order they arrive in.

``txn`` (``core/rules/windows.py``) keeps one fingerprint per transaction, its newest version. A rule
that compares versions keeps its own ``Versions`` window: every version it has seen of a transaction
seen more than once (or whose own judgement, say a late audit-log entry, the rule must remember), in
version-key order. A transaction seen once is read from ``txn`` alone, so the window stays small.
A version arriving between two known ones changes what the later one is compared with: the rule
judges the new version against its predecessor and its successor against it (docs/rules.md,
"Arrival order").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.domain.sales import Transaction
from core.rules.context import RuleContext
from core.rules.facts import Facts
from core.rules.model import Finding
from core.rules.state import RuleState, Window
from core.rules.windows import DAY, TXN, committed, line_signature, tender_split

VERSIONS_KEPT = 8  # the newest versions by version key; an older one arriving later is past them


@dataclass(frozen=True, slots=True)
class Version:
    ts: float
    version_key: str
    committed: bool
    amount_cents: int
    lines: list[float]
    cash_cents: int
    card_cents: int
    own: Any  # the rule's judgement of this version alone (None: nothing)

    def row(self) -> list[Any]:
        return [
            self.ts,
            self.version_key,
            self.committed,
            self.amount_cents,
            self.lines,
            self.cash_cents,
            self.card_cents,
            self.own,
        ]

    @classmethod
    def of(cls, row: list[Any]) -> Version:
        return cls(
            float(row[0]),
            str(row[1]),
            bool(row[2]),
            int(row[3]),
            list(row[4]),
            int(row[5]),
            int(row[6]),
            row[7],
        )


class Versions:
    """One rule's record of transactions' versions (7 days, like ``txn``)."""

    def __init__(self, name: str) -> None:
        self.window: Window[list[list[Any]]] = Window(
            name,
            key="transaction: its versions [ts, version key, committed, amount, lines, cash, card, own]",
            retention=7 * DAY,
            shards=32,
        )

    def add(
        self, state: RuleState, facts: Facts, txn: Transaction, own: Any
    ) -> tuple[list[Version], int] | None:
        """The transaction's known versions with this event's, in version-key order, and where this
        one stands; None when this version is already known (a redelivery changes nothing) or is
        older than every version kept."""
        held = self.window.get(state, txn.id)
        if held is not None:
            rows = [list(r) for r in held]
        else:
            prior = TXN.get(state, txn.id)
            # Seen once: its fingerprint, and (never having been written here) nothing of its own.
            rows = (
                []
                if prior is None
                else [[prior[0], prior[6], prior[1], prior[2], prior[3], prior[4], prior[5], None]]
            )
        key = txn.version_key
        if any(r[1] == key for r in rows):
            return None
        cash, card, _total = tender_split(facts)
        row = [facts.ts, key, committed(facts), txn.amount_cents, line_signature(facts), cash, card, own]
        rows = sorted([*rows, row], key=lambda r: str(r[1]))[-VERSIONS_KEPT:]
        if row not in rows:
            return None
        if len(rows) > 1 or own is not None:
            self.window.put(state, txn.id, rows)
        versions = [Version.of(r) for r in rows]
        return versions, rows.index(row)


def version_finding(
    ctx: RuleContext,
    txn: Transaction,
    versions: list[Version],
    n: int,
    *,
    summary: str,
    measurements: dict[str, object],
    evidence: dict[str, object],
) -> Finding:
    """The finding on version ``n``: timed and evidenced by the event itself when it is that version
    (``evidence``), else, a later-arriving version having re-judged it, by the version's own time
    and the two version keys compared."""
    this = versions[n].version_key == txn.version_key
    return Finding(
        summary=summary,
        subject=ctx.subject(),
        occurred_at=txn.occurred_at if this else datetime.fromtimestamp(versions[n].ts, UTC),
        entity_id=txn.id,
        measurements=measurements,
        evidence=(
            evidence
            if this
            else {"transaction_id": txn.id, "versions": [v.version_key for v in versions[n - 1 : n + 1]]}
        ),
        episode=f"{txn.id}|{versions[n].version_key}",
        extent=len(versions),
    )
