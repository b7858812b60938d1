"""Every official Square webhook example (tests/fixtures/square: 69 event examples from the spec plus
Square's signature test-vector body) parses to the records this
table names, or is ignored for the reason it names; and none of them leaks a phone number, email
address, name, address or birthday into any record or parsed event."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest

from core.domain.parsing import Ignored, Parsed

from .support import SAMPLE_NAMES, run, sample, sample_bytes

P = "parsed"
SALE = {"Transaction": 1, "Tender": 1}
REFUND = {"Transaction": 1, "RefundLink": 1}
DISPUTE = ({"Dispute": 1}, ["dispute"])
TERMINAL = ({"TerminalActivity": 1}, [])
TIMECARD = ({"Timecard": 1}, [])
LOYALTY_ACCOUNT = {"LoyaltyAccount": 1, "ContactFingerprint": 1, "CustomerRecord": 1}

# file → (records by type, detection kinds) or the start of the reason it is ignored.
EXPECTED: dict[str, tuple[dict[str, int], list[str]] | str] = {
    "bank_account.created": "bank account lifecycle",
    "bank_account.disabled": "bank account lifecycle",
    "bank_account.verified": "bank account lifecycle",
    "card.created": "card-on-file lifecycle",
    "card.forgotten": "card-on-file lifecycle",
    "catalog.version.updated": "catalog changes carry only a version stamp",
    "customer.created": ({"CustomerRecord": 1, "ContactFingerprint": 2}, ["customer"]),
    "customer.deleted": ({"CustomerRecord": 1}, ["customer"]),
    "customer.updated": ({"CustomerRecord": 1, "ContactFingerprint": 2}, ["customer"]),
    "device.code.paired": ({"DeviceRecord": 1}, ["device"]),
    "device.created": ({"DeviceRecord": 1}, ["device"]),
    "dispute.created": DISPUTE,
    "dispute.evidence.added": DISPUTE,
    "dispute.evidence.created": DISPUTE,
    "dispute.evidence.deleted": DISPUTE,
    "dispute.evidence.removed": DISPUTE,
    "dispute.state.changed": DISPUTE,
    "dispute.state.updated": DISPUTE,
    "gift_card.activity.created": "gift card balances and activities are not mapped",
    "gift_card.activity.updated": "gift card balances and activities are not mapped",
    "gift_card.created": "gift card balances and activities are not mapped",
    "gift_card.customer_linked": "gift card balances and activities are not mapped",
    "gift_card.customer_unlinked": "gift card balances and activities are not mapped",
    "gift_card.updated": "gift card balances and activities are not mapped",
    "inventory.count.updated": ({"InventoryCount": 1}, []),
    "invoice.payment_made": "invoice lifecycle",
    "invoice.refunded": "invoice lifecycle",
    "job.created": "job titles and pay rates are payroll data",
    "job.updated": "job titles and pay rates are payroll data",
    "labor.scheduled_shift.created": "scheduled shifts are plans",
    "labor.scheduled_shift.deleted": "scheduled shifts are plans",
    "labor.scheduled_shift.published": "scheduled shifts are plans",
    "labor.scheduled_shift.updated": "scheduled shifts are plans",
    "labor.shift.created": TIMECARD,
    "labor.shift.deleted": TIMECARD,
    "labor.shift.updated": TIMECARD,
    "labor.timecard.created": TIMECARD,
    "labor.timecard.deleted": TIMECARD,
    "labor.timecard.updated": TIMECARD,
    "location.created": "location webhooks carry only the id",
    "location.updated": "location webhooks carry only the id",
    "loyalty.account.created": (LOYALTY_ACCOUNT, []),
    "loyalty.account.deleted": ({"LoyaltyAccount": 1, "CustomerRecord": 1}, []),
    "loyalty.account.updated": (LOYALTY_ACCOUNT, []),
    "loyalty.event.created": ({"LoyaltyEvent": 1}, ["loyalty_event"]),
    "loyalty.program.created": "loyalty program configuration",
    "loyalty.program.updated": "loyalty program configuration",
    "loyalty.promotion.created": "loyalty promotion configuration",
    "loyalty.promotion.updated": "loyalty promotion configuration",
    "oauth.authorization.revoked": ({}, []),
    "order.created": "order webhooks carry only a summary",
    "order.fulfillment.updated": "fulfillment state only",
    "order.updated": "order webhooks carry only a summary",
    "payment.created": (SALE, ["transaction"]),
    "payment.updated": (SALE, ["transaction"]),
    "payout.failed": ({"Payout": 1}, []),
    "payout.paid": ({"Payout": 1}, []),
    "payout.sent": ({"Payout": 1}, []),
    "refund.created": (REFUND, ["transaction"]),
    "refund.updated": (REFUND, ["transaction"]),
    "team_member.created": ({"EmployeeRecord": 1}, ["employee"]),
    "team_member.updated": ({"EmployeeRecord": 1}, ["employee"]),
    "team_member.wage_setting.updated": "wages are payroll data",
    "terminal.action.created": TERMINAL,
    "terminal.action.updated": TERMINAL,
    "terminal.checkout.created": TERMINAL,
    "terminal.checkout.updated": TERMINAL,
    "terminal.refund.created": TERMINAL,
    "terminal.refund.updated": TERMINAL,
    "webhooks.test_notification.raw-body": "test notification",
}


def test_the_table_covers_exactly_the_official_samples() -> None:
    assert len([name for name in SAMPLE_NAMES if not name.endswith(".raw-body")]) == 69
    assert sorted(EXPECTED) == SAMPLE_NAMES


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_each_official_sample_parses_or_is_ignored_as_the_table_says(name: str) -> None:
    expected = EXPECTED[name]
    outcome = run(sample_bytes(name))
    if isinstance(expected, str):
        assert isinstance(outcome, Ignored), outcome
        assert outcome.reason.startswith(expected)
        return
    assert isinstance(outcome, Parsed), outcome
    records, kinds = expected
    assert dict(Counter(type(r).__name__ for r in outcome.records)) == records
    assert [event.kind for event in outcome.events] == kinds
    assert {event.evidence_seq for event in outcome.events} <= {7}


def test_only_the_revocation_sample_revokes_the_merchant() -> None:
    revoking = [
        name
        for name in SAMPLE_NAMES
        if isinstance(outcome := run(sample_bytes(name)), Parsed) and outcome.merchant_status == "revoked"
    ]
    assert revoking == ["oauth.authorization.revoked"]


def test_every_canonical_id_is_namespaced_to_square() -> None:
    for name in SAMPLE_NAMES:
        outcome = run(sample_bytes(name))
        if isinstance(outcome, Parsed):
            for record in outcome.records:
                for field, value in record.model_dump().items():
                    if (
                        field
                        in (
                            "id",
                            "transaction_id",
                            "customer_id",
                            "location_id",
                            "device_id",
                            "employee_id",
                            "refund_transaction_id",
                            "loyalty_account_id",
                        )
                        and value
                    ):
                        assert value.startswith("sq:"), (name, field, value)


EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
E164 = re.compile(r"\+\d{8,15}")
PERSONAL_KEYS = {
    "phone_number",
    "email_address",
    "given_name",
    "family_name",
    "nickname",
    "birthday",
    "address_line_1",
    "address_line_2",
    "cardholder_name",
    "buyer_email_address",
    "note",
}


def _personal_values(node: Any) -> set[str]:
    """Every value in a payload stored under a personal key, plus the digits of every phone number."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in PERSONAL_KEYS and isinstance(value, str) and len(value) > 3:
                found.add(value)
                if key == "phone_number":
                    found.add(re.sub(r"\D", "", value))
            found |= _personal_values(value)
    elif isinstance(node, list):
        for item in node:
            found |= _personal_values(item)
    return found


def test_the_samples_do_contain_personal_data_so_the_scan_below_means_something() -> None:
    everything = set().union(*(_personal_values(sample(name)) for name in SAMPLE_NAMES))
    assert {"+14155551234", "14155551234", "jenkins+smorly@squareup.com", "Smorly", "Amelia"} <= everything


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_no_phone_email_name_or_address_from_a_sample_appears_in_what_it_produces(name: str) -> None:
    outcome = run(sample_bytes(name))
    if not isinstance(outcome, Parsed):
        return
    produced = json.dumps(
        [r.model_dump(mode="json") for r in outcome.records]
        + [e.model_dump(mode="json") for e in outcome.events]
    )
    for value in _personal_values(sample(name)):
        assert value not in produced, f"{name} leaks {value!r}"
    assert not EMAIL.search(produced)
    assert not E164.search(produced)
