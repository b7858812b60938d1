"""Square Disputes (every ``dispute.*`` event) → ``Dispute``.

Mapping decisions:
- The dispute is read from ``data.object.dispute``, where the examples and docs put it, falling back to
  ``data.object.object`` where the spec and SDK model it (notes §1.5).
- Its id is ``id``, or ``dispute_id`` in the deprecated events; ``reported_at`` likewise falls back to
  ``reported_date``. Both ``dispute.state.updated`` and the deprecated ``dispute.state.changed`` map
  here.
- Evidence events (``dispute.evidence.created/deleted`` and the deprecated ``added/removed``) carry the
  whole dispute at its new version, not the evidence, so they update the dispute; there is no separate
  evidence record. ``evidence_count`` is kept when the payload lists ``evidence_ids``.
- Version: ``updated_at`` and ``version``. A ``dispute`` parsed event lets rules and cases see a
  chargeback against a sale (``payment_id`` joins ``transaction_tenders.tender_no``).
"""

from __future__ import annotations

from core.adapters.square.envelope import Inbound, dump
from core.adapters.square.fields import Obj, present
from core.adapters.square.keys import SQ, location_id, sq_id
from core.domain.finance import Dispute
from core.domain.parsing import Parsed, ParseError, ParseOutcome
from core.domain.records import version_key


def dispute_event(inbound: Inbound) -> ParseOutcome:
    holder = inbound.data.require_child("object")
    dispute = holder.child("dispute") or holder.child("object")
    if dispute is None:
        raise ParseError("missing", field=holder.field("dispute"))
    external = dispute.text("id") or dispute.text("dispute_id")
    if external is None:
        raise ParseError("missing", field=dispute.field("id"))
    state = dispute.require_text("state")
    amount = dispute.money("amount_money")
    paid = dispute.child("disputed_payment")
    updated = dispute.time("updated_at") or dispute.time("created_at") or inbound.occurred_at
    record = Dispute(
        id=sq_id("dispute", external),
        source=SQ,
        external_id=external,
        state=state,
        version_key=version_key(updated, dispute.integer("version")),
        **present(
            reason=dispute.text("reason"),
            amount_cents=amount.cents if amount else None,
            currency=amount.currency if amount else None,
            card_brand=dispute.text("card_brand"),
            payment_id=paid.text("payment_id") if paid else None,
            location_id=location_id(dispute.text("location_id") or inbound.location_hint),
            evidence_count=_evidence_count(dispute),
            due_at=dispute.time("due_at"),
            reported_at=dispute.time("reported_at") or dispute.time("reported_date"),
            created_at=dispute.time("created_at"),
        ),
    )
    facts = {"dispute": dump(record)}
    return Parsed(records=[record], events=[inbound.parsed_event("dispute", record.id, updated, facts)])


def _evidence_count(dispute: Obj) -> int | None:
    return len(dispute.strings("evidence_ids")) if "evidence_ids" in dispute.data else None
