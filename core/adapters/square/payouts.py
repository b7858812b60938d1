"""Square Payouts (``payout.sent`` / ``paid`` / ``failed``) → ``Payout``.

Mapping decisions: status, type, amount and arrival date are kept; of the destination only its kind
(BANK_ACCOUNT, CARD, SQUARE_BALANCE), never its id. The official examples spell Money's currency
``currency_code`` (a spec-example bug, notes §1.5); both spellings are read. ``location_id`` comes from
the payout, else from the envelope, which carries it for this family. Version: ``updated_at`` and
``version``. No parsed event: no rule reads payouts yet.
"""

from __future__ import annotations

from datetime import date

from core.adapters.square.envelope import Inbound
from core.adapters.square.fields import Obj, present
from core.adapters.square.keys import SQ, location_id, sq_id
from core.domain.finance import Payout
from core.domain.parsing import Parsed, ParseError, ParseOutcome
from core.domain.records import version_key


def payout_event(inbound: Inbound) -> ParseOutcome:
    payout = inbound.object("payout")
    external = payout.require_text("id")
    amount = payout.money("amount_money")
    destination = payout.child("destination")
    record = Payout(
        id=sq_id("payout", external),
        source=SQ,
        external_id=external,
        status=payout.text("status") or inbound.type.removeprefix("payout.").upper(),
        version_key=version_key(
            payout.time("updated_at") or payout.time("created_at"), payout.integer("version")
        ),
        **present(
            payout_type=payout.text("type"),
            location_id=location_id(payout.text("location_id") or inbound.location_hint),
            amount_cents=amount.cents if amount else None,
            currency=amount.currency if amount else None,
            destination_type=destination.text("type") if destination else None,
            arrival_date=_date(payout, "arrival_date"),
            created_at=payout.time("created_at"),
        ),
    )
    return Parsed(records=[record])


def _date(obj: Obj, key: str) -> date | None:
    text = obj.text(key)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ParseError(f"not a YYYY-MM-DD date: {text!r}", field=obj.field(key)) from None
