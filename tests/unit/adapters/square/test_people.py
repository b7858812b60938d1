"""Customers and loyalty: what is kept field by field, and that phone numbers and email addresses
become keyed HMACs of their normalised form."""

from __future__ import annotations

from typing import Any

from core.domain.loyalty import LoyaltyAccount, LoyaltyEvent
from core.domain.parties import ContactFingerprint, CustomerRecord
from core.domain.records import version_key

from .support import edited, fields, hmac_of, of_type, one, parsed, sample_bytes, utc

CUSTOMER = "sq:customer:QPTXM8PQNX3Q726ZYHPMNP46XC"
ACCOUNT = "sq:loyalty_account:ba2f8ab6-e131-46d9-9882-17714404eb49"


def test_customer_created_keeps_no_personal_data_field_by_field() -> None:
    outcome = parsed(sample_bytes("customer.created"))
    stamp = version_key(utc("2022-11-09T21:23:25Z"), 0)
    assert fields(one(outcome, CustomerRecord)) == {
        "id": CUSTOMER,
        "source": "SQUARE",
        "external_id": "QPTXM8PQNX3Q726ZYHPMNP46XC",
        "creation_source": "DIRECTORY",
        "vendor_created_at": utc("2022-11-09T21:23:25.519Z"),
        "db_status": "active",
        "version_key": stamp,
    }
    prints = {p.kind: p for p in of_type(outcome, ContactFingerprint)}
    assert fields(prints["phone"]) == {
        "customer_id": CUSTOMER,
        "kind": "phone",
        "hmac": hmac_of("phone", "12126668929"),
        "version_key": stamp,
    }
    assert prints["email"].hmac == hmac_of("email", "jenkins+smorly@squareup.com")
    facts = outcome.events[0].facts
    assert (facts["customer"]["id"], len(facts["contact_fingerprints"]), facts["merge"]) == (
        CUSTOMER,
        2,
        None,
    )


def test_phone_and_email_match_however_they_were_typed() -> None:
    def retype(body: dict[str, Any]) -> None:
        body["data"]["object"]["customer"].update(
            phone_number="+1 (212) 666-8929", email_address="  Jenkins+Smorly@SquareUp.COM "
        )

    prints = {p.kind: p.hmac for p in of_type(parsed(edited("customer.created", retype)), ContactFingerprint)}
    assert prints == {
        "phone": hmac_of("phone", "12126668929"),
        "email": hmac_of("email", "jenkins+smorly@squareup.com"),
    }


def test_customer_deleted_archives_and_outranks_the_last_update() -> None:
    deleted = parsed(sample_bytes("customer.deleted"))
    record = one(deleted, CustomerRecord)
    assert (record.id, record.db_status) == (CUSTOMER, "archived")
    assert of_type(deleted, ContactFingerprint) == []
    assert record.version_key > one(parsed(sample_bytes("customer.created")), CustomerRecord).version_key


def test_a_merge_reaches_the_customer_projection_as_canonical_ids() -> None:
    def merge(body: dict[str, Any]) -> None:
        body["data"]["object"]["event_context"] = {
            "merge": {"from_customer_ids": ["A", "B"], "to_customer_id": "C"}
        }

    facts = parsed(edited("customer.created", merge)).events[0].facts
    assert facts["merge"] == {
        "from_customer_ids": ["sq:customer:A", "sq:customer:B"],
        "to_customer_id": "sq:customer:C",
    }


def test_loyalty_account_created_keeps_the_phone_only_as_a_keyed_hmac_field_by_field() -> None:
    outcome = parsed(sample_bytes("loyalty.account.created"))
    stamp = version_key(utc("2020-05-13T01:41:34Z"))
    phone = hmac_of("phone", "+14155551234")
    assert fields(one(outcome, LoyaltyAccount)) == {
        "id": ACCOUNT,
        "source": "SQUARE",
        "external_id": "ba2f8ab6-e131-46d9-9882-17714404eb49",
        "program_id": "5216e8b2-d43e-41e2-9ed8-eccf3e892aef",
        "customer_id": CUSTOMER,
        "phone_hmac": phone,
        "balance": 0,
        "lifetime_points": 0,
        "status": "ACTIVE",
        "enrolled_at": utc("2020-05-13T01:41:34Z"),
        "created_at": utc("2020-05-13T01:41:34Z"),
        "version_key": stamp,
    }
    assert fields(one(outcome, ContactFingerprint)) == {
        "customer_id": CUSTOMER,
        "kind": "phone",
        "hmac": phone,
        "version_key": stamp,
    }
    assert one(outcome, CustomerRecord).version_key == ""  # a stub: never overwrites the customer


def test_a_loyalty_account_without_a_customer_still_carries_its_phone_hmac() -> None:
    body = edited(
        "loyalty.account.updated", lambda b: b["data"]["object"]["loyalty_account"].pop("customer_id")
    )
    outcome = parsed(body)
    assert one(outcome, LoyaltyAccount).phone_hmac == hmac_of("phone", "14155551234")
    assert of_type(outcome, ContactFingerprint) == of_type(outcome, CustomerRecord) == []


def test_loyalty_account_deleted_is_marked_deleted_after_its_last_update() -> None:
    deleted = one(parsed(sample_bytes("loyalty.account.deleted")), LoyaltyAccount)
    updated = one(parsed(sample_bytes("loyalty.account.updated")), LoyaltyAccount)
    assert (deleted.status, deleted.balance, deleted.lifetime_points) == ("DELETED", 10, 10)
    assert deleted.version_key > updated.version_key


def test_loyalty_event_created_maps_a_manual_pos_adjustment_field_by_field() -> None:
    outcome = parsed(sample_bytes("loyalty.event.created"))
    occurred = utc("2020-05-13T01:46:58Z")
    event = one(outcome, LoyaltyEvent)
    assert fields(event) == {
        "id": "sq:loyalty_event:d0bd89a5-3d04-389e-a54b-4e509658fe41",
        "source": "SQUARE",
        "external_id": "d0bd89a5-3d04-389e-a54b-4e509658fe41",
        "event_type": "ADJUST_POINTS",
        "event_source": "SQUARE",
        "points": 10,
        "balance_delta": 10,
        "loyalty_account_id": ACCOUNT,
        "program_id": "5216e8b2-d43e-41e2-9ed8-eccf3e892aef",
        "location_id": "sq:location:2Z3BMKQB939X0",
        "occurred_at": occurred,
        "version_key": version_key(occurred),
    }
    detection = outcome.events[0]
    assert (detection.kind, detection.entity_id, detection.occurred_at) == (
        "loyalty_event",
        event.id,
        occurred,
    )
    assert detection.facts == {"loyalty_event": event.model_dump(mode="json")}


def test_loyalty_points_carry_their_signed_effect_on_the_balance() -> None:
    def as_type(kind: str, detail: str, extra: dict[str, Any]) -> LoyaltyEvent:
        def change(body: dict[str, Any]) -> None:
            event = body["data"]["object"]["loyalty_event"]
            event.pop("adjust_points")
            event.update(type=kind, **{detail: {"loyalty_program_id": "P", **extra}})

        return one(parsed(edited("loyalty.event.created", change)), LoyaltyEvent)

    earned = as_type("ACCUMULATE_POINTS", "accumulate_points", {"points": 7, "order_id": "ORD-1"})
    assert (earned.points, earned.balance_delta, earned.transaction_id) == (7, 7, "sq:order:ORD-1")
    assert as_type("CREATE_REWARD", "create_reward", {"points": 15, "reward_id": "R1"}).balance_delta == -15
    assert as_type("EXPIRE_POINTS", "expire_points", {"points": 4}).balance_delta == -4
    assert as_type("DELETE_REWARD", "delete_reward", {"points": 15}).balance_delta == 15
    assert as_type("ADJUST_POINTS", "adjust_points", {"points": -3, "reason": "oops"}).balance_delta == -3
    redeemed = as_type("REDEEM_REWARD", "redeem_reward", {"reward_id": "R1", "order_id": "ORD-2"})
    assert (redeemed.points, redeemed.reward_id, redeemed.transaction_id) == (None, "R1", "sq:order:ORD-2")
