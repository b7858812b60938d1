"""Square Customers (``customer.created`` / ``updated`` / ``deleted``) → ``CustomerRecord`` and
``ContactFingerprint``s. No personal data is kept (docs/design.md, tenancy).

Mapping decisions:
- Kept: the id, ``creation_source``, ``created_at`` (as ``vendor_created_at``) and whether the profile
  still exists. Never read: names, nickname, company, address, birthday, note, reference id, tax ids.
- The email address and phone number become keyed HMACs through ``ctx.contact_hmac`` after
  normalisation (phone: the E.164 digits without ``+`` or punctuation; email: trimmed, lower-cased),
  so the same number typed two ways matches and neither can be read back or brute-forced.
- ``customer.deleted`` → ``db_status`` ``archived`` (soft delete); its version time is the deletion
  event's time, because the deleted profile carries no ``updated_at`` and the archive must win over
  the last update. No fingerprints are written from a deleted profile.
- ``tier`` stays unset: ``group_ids`` are merchant-defined ids whose names the payload does not carry,
  so which group means "wholesale" is merchant configuration, not something to guess here.
- A merge (``event_context.merge``) is passed to R in the detection facts as canonical ids.
"""

from __future__ import annotations

import re

from core.adapters.square.envelope import Inbound, dump
from core.adapters.square.fields import Obj, latest, present
from core.adapters.square.keys import SQ, customer_id, sq_id
from core.domain.parsing import ParseContext, Parsed, ParseError, ParseOutcome
from core.domain.parties import ContactFingerprint, CustomerRecord
from core.domain.records import version_key

_NOT_DIGIT = re.compile(r"\D")


def normalise_phone(value: str) -> str:
    """E.164 digits: ``+1 (415) 555-1234`` → ``14155551234``."""
    return _NOT_DIGIT.sub("", value)


def normalise_email(value: str) -> str:
    return value.strip().casefold()


def fingerprint(
    ctx: ParseContext, canonical_customer_id: str, kind: str, value: str | None, stamp: str
) -> ContactFingerprint | None:
    """The keyed HMAC of one contact detail, or ``None`` when there is nothing to fingerprint."""
    if value is None:
        return None
    normal = normalise_phone(value) if kind == "phone" else normalise_email(value)
    if not normal:
        return None
    return ContactFingerprint(
        customer_id=canonical_customer_id, kind=kind, hmac=ctx.contact_hmac(kind, normal), version_key=stamp
    )


def customer_event(inbound: Inbound) -> ParseOutcome:
    customer = inbound.object("customer")
    external = customer.require_text("id")
    canonical = sq_id("customer", external)
    deleted = inbound.type == "customer.deleted" or inbound.deleted
    changed = latest(customer.time("updated_at"), inbound.occurred_at if deleted else None)
    changed = changed or customer.time("created_at")
    if changed is None:
        raise ParseError("missing", field=customer.field("updated_at"))
    stamp = version_key(changed, customer.integer("version"))
    record = CustomerRecord(
        id=canonical,
        source=SQ,
        external_id=external,
        db_status="archived" if deleted else "active",
        version_key=stamp,
        **present(
            creation_source=customer.text("creation_source"),
            vendor_created_at=customer.time("created_at"),
        ),
    )
    prints = (
        []
        if deleted
        else [
            found
            for found in (
                fingerprint(inbound.ctx, canonical, "phone", customer.text("phone_number"), stamp),
                fingerprint(inbound.ctx, canonical, "email", customer.text("email_address"), stamp),
            )
            if found is not None
        ]
    )
    facts = {
        "customer": dump(record),
        "contact_fingerprints": [dump(found) for found in prints],
        "merge": _merge(customer, inbound),
    }
    return Parsed(
        records=[record, *prints], events=[inbound.parsed_event("customer", canonical, changed, facts)]
    )


def _merge(customer: Obj, inbound: Inbound) -> dict[str, object] | None:
    """``event_context.merge`` sits beside the customer object, not inside it."""
    holder = inbound.data.child("object")
    context = holder.child("event_context") if holder else None
    merge = context.child("merge") if context else None
    if merge is None:
        return None
    return {
        "from_customer_ids": [sq_id("customer", ext) for ext in merge.strings("from_customer_ids")],
        "to_customer_id": customer_id(merge.text("to_customer_id")),
    }
