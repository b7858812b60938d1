"""The smaller families, one behaviour each: payouts, disputes, team members, devices, inventory
counts, timecards and terminal requests."""

from __future__ import annotations

from datetime import date

from core.domain.finance import Dispute, Payout
from core.domain.inventory import InventoryCount
from core.domain.labor import Timecard
from core.domain.parties import DeviceRecord, EmployeeRecord
from core.domain.records import version_key
from core.domain.terminal import TerminalActivity

from .support import edited, fields, one, parsed, sample_bytes, utc


def test_a_payout_reads_currency_code_and_keeps_only_the_destination_kind() -> None:
    payout = one(parsed(sample_bytes("payout.paid")), Payout)
    assert fields(payout) == {
        "id": "sq:payout:po_070431e4-e351-11eb-a8bb-02420a140009",
        "source": "SQUARE",
        "external_id": "po_070431e4-e351-11eb-a8bb-02420a140009",
        "status": "PAID",
        "payout_type": "BATCH",
        "location_id": "sq:location:LRJNZCB190DTQ",
        "amount_cents": 457,
        "currency": "EUR",
        "destination_type": "BANK_ACCOUNT",
        "arrival_date": date(2021, 7, 13),
        "created_at": utc("2021-07-12T20:37:51Z"),
        "version_key": version_key(utc("1970-01-01T00:20:28.481Z"), 2),
    }


def test_a_dispute_is_read_from_data_object_dispute_and_from_the_deprecated_shape() -> None:
    current = one(parsed(sample_bytes("dispute.state.updated")), Dispute)
    deprecated = one(parsed(sample_bytes("dispute.state.changed")), Dispute)
    assert current.model_dump(exclude={"evidence_count"}) == deprecated.model_dump(exclude={"evidence_count"})
    assert (current.id, current.state, current.payment_id, current.amount_cents) == (
        "sq:dispute:ORSEVtZAJxb37RA1EiGw",
        "WON",
        "fbmsaEOpoARDKxiSGH1fqPuqoqFZY",
        8801,
    )
    assert (current.reported_at, deprecated.evidence_count) == (utc("2020-02-19T00:00:00Z"), 1)
    spec_shape = edited(
        "dispute.created", lambda b: b["data"].update(object={"object": b["data"]["object"]["dispute"]})
    )
    assert one(parsed(spec_shape), Dispute).state == "EVIDENCE_REQUIRED"


def test_evidence_events_move_the_dispute_forward() -> None:
    created = one(parsed(sample_bytes("dispute.created")), Dispute)
    evidence = one(parsed(sample_bytes("dispute.evidence.created")), Dispute)
    assert created.version_key < evidence.version_key


def test_a_team_member_keeps_no_name_email_or_phone() -> None:
    employee = one(parsed(sample_bytes("team_member.created")), EmployeeRecord)
    assert fields(employee) == {
        "id": "sq:employee:TMfCNDbg_wwJvUJY",
        "source": "SQUARE",
        "external_id": "TMfCNDbg_wwJvUJY",
        "status": "ACTIVE",
        "is_owner": False,
        "location_ids": "",
        "version_key": version_key(utc("2021-03-11T01:16:03.697Z")),
    }
    assigned = edited(
        "team_member.created",
        lambda b: b["data"]["object"]["team_member"].update(
            assigned_locations={"assignment_type": "EXPLICIT_LOCATIONS", "location_ids": ["L1", "L2"]}
        ),
    )
    assert one(parsed(assigned), EmployeeRecord).location_ids == "sq:location:L1,sq:location:L2"


def test_a_device_status_may_be_a_string_or_an_object() -> None:
    device = one(parsed(sample_bytes("device.created")), DeviceRecord)
    assert (device.id, device.kind, device.status, device.location_id, device.name) == (
        "sq:device:device:3136f66b-f4b0-3846-8722-7fcc55270e50",
        "TERMINAL",
        "AVAILABLE",
        "sq:location:LN6WR64FV0VEP",
        "San Francisco Store - Device 901",
    )
    spec_shape = edited(
        "device.created", lambda b: b["data"]["object"]["device"].update(status={"category": "OFFLINE"})
    )
    assert one(parsed(spec_shape), DeviceRecord).status == "OFFLINE"


def test_a_paired_device_code_records_the_terminal_at_its_location() -> None:
    outcome = parsed(sample_bytes("device.code.paired"))
    device = one(outcome, DeviceRecord)
    assert (device.id, device.location_id, device.kind, device.status) == (
        "sq:device:907CS13101300122",
        "sq:location:AR63EC48VXVBN",
        "TERMINAL_API",
        "PAIRED",
    )
    assert outcome.events[0].facts["device"]["id"] == device.id


def test_inventory_counts_are_keyed_by_location_item_and_state() -> None:
    count = one(parsed(sample_bytes("inventory.count.updated")), InventoryCount)
    assert fields(count) == {
        "location_id": "sq:location:YYQR03DGCTXA4",
        "catalog_object_id": "FGQ5JJWT2PYTHF35CKZ2DSKP",
        "state": "IN_STOCK",
        "source": "SQUARE",
        "catalog_object_type": "ITEM_VARIATION",
        "quantity": 10.0,
        "calculated_at": utc("2019-10-29T18:38:45.10296Z"),
        "version_key": version_key(utc("2019-10-29T18:38:45.10296Z")),
    }


def test_timecards_and_deprecated_shifts_share_ids_and_keep_no_wage() -> None:
    timecard = one(parsed(sample_bytes("labor.timecard.created")), Timecard)
    shift = one(parsed(sample_bytes("labor.shift.created")), Timecard)
    assert timecard == shift
    assert fields(timecard) == {
        "id": "sq:timecard:PY4YSMVKXFY9E",
        "source": "SQUARE",
        "external_id": "PY4YSMVKXFY9E",
        "status": "OPEN",
        "employee_id": "sq:employee:AnuhZhsN95oT8f-eCn9D",
        "location_id": "sq:location:NAQ1FHV6ZJ8YV",
        "start_at": utc("2019-01-25T08:11:00Z"),
        "end_at": utc("2019-01-25T18:11:00Z"),
        "timezone": "Etc/UTC",
        "job_id": "FzbJAtt9qEWncK1BWgVCxQ6M",
        "declared_cash_tip_cents": 500,
        "version_key": version_key(utc("2019-11-06T19:14:55Z"), 1),
    }


def test_a_deleted_timecard_is_marked_deleted() -> None:
    deleted = one(parsed(sample_bytes("labor.timecard.deleted")), Timecard)
    assert (deleted.id, deleted.status) == ("sq:timecard:PY4YSMVKXFY9E", "DELETED")


def test_terminal_requests_name_their_device_amount_payments_and_card() -> None:
    checkout = one(parsed(sample_bytes("terminal.checkout.updated")), TerminalActivity)
    assert (
        checkout.id,
        checkout.kind,
        checkout.status,
        checkout.amount_cents,
        checkout.device_id,
        checkout.payment_ids,
    ) == (
        "sq:terminal_checkout:dhgENdnFOPXqO",
        "CHECKOUT",
        "COMPLETED",
        111,
        "sq:device:907CS13101300122",
        "dgzrZTeIeVuOGwYgekoTHsPouaB",
    )
    refund = one(parsed(sample_bytes("terminal.refund.updated")), TerminalActivity)
    assert (refund.kind, refund.currency, refund.payment_ids, refund.order_id, refund.reason) == (
        "REFUND",
        "CAD",
        "5O5OvgkcNUhl7JBuINflcjKqUzXZY",
        "9VeViC6PeooYw4GVAgiuEMseV",
        "Refund reason",
    )
    assert (refund.card_fingerprint or "").startswith("sq-1-B1fP9")
    action = one(parsed(sample_bytes("terminal.action.updated")), TerminalActivity)
    assert (action.kind, action.action_type, action.customer_id) == (
        "ACTION",
        "SAVE_CARD",
        "sq:customer:CUSTOMER_ID",
    )
