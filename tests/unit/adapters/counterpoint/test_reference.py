"""Store thresholds, category margin targets and customers (tier and AR posture, no personal data)."""

from __future__ import annotations

import json

import pytest

from core.domain.parties import ContactFingerprint, CustomerRecord
from core.domain.store_config import ItemCategory, StoreConfig
from core.security.crypto import contact_hmac

from .support import APIGUIDE, PII_KEY, of_type, one, run, sample

STORE = one(run((APIGUIDE / "GET_Store.response1.json").read_bytes()), StoreConfig)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("location_id", "cp:location:MAIN"),
        ("store_id", "MAIN"),
        ("name", "Main Store"),
        ("max_discount_cents", 20000),
        ("max_discount_pct", 50.0),
        ("min_profit_pct", 0.0),
        ("min_profit_pct_method", "!"),
        ("require_return_reason", False),
        ("require_price_change_reason", False),
        ("require_void_completed_reason", True),
        ("require_ticket_tax_reason", False),
        ("default_return_reason", "MGR"),
        ("no_max_return_amount", True),
        ("allow_drawer_reactivation", True),
        ("auto_drawer_reconcile", True),
        ("open_drawer_alarm", False),
        ("retain_card_numbers_in_history", False),
        ("allow_combined_validated_returns", False),
        ("allow_other_store_validated_returns", True),
        ("walk_in_customer_no", "CASH"),
        ("pay_in_method", "!"),
        ("pay_out_method", "!"),
        ("line_types", "S,R,O,B,P,L,E,D"),
        ("tax_code", "MEMTN"),
    ],
)
def test_store_thresholds_map_from_ps_str_cfg_ps(field: str, expected: object) -> None:
    assert getattr(STORE, field) == expected


def test_an_item_category_carries_its_margin_targets_and_subcategories() -> None:
    category = one(run((APIGUIDE / "GET_ItemCategory.response1.json").read_bytes()), ItemCategory)
    assert (category.id, category.min_profit_pct, category.target_profit_pct, category.subcategory_codes) == (
        "cp:category:APPAREL",
        50.0,
        70.0,
        "MENS,WOMENS",
    )


def test_every_category_of_the_list_response_is_mapped() -> None:
    categories = of_type(run((APIGUIDE / "GET_ItemCategories.response1.json").read_bytes()), ItemCategory)
    expected = [c["CATEG_COD"] for c in sample("GET_ItemCategories.response1.json")["ItemCategories"]]
    assert [c.category_code for c in categories] == expected


def test_a_customer_keeps_tier_and_ar_posture() -> None:
    customer = one(run((APIGUIDE / "GET_Customer.response1.json").read_bytes()), CustomerRecord)
    assert (customer.id, customer.external_id, customer.tier, customer.ar_balance_cents) == (
        "cp:customer:1000",
        "1000",
        "MEMBERS",
        23825,
    )
    assert customer.credit_limit_cents is None  # NO_CR_LIM = 'Y': no limit, not a limit of zero
    assert customer.tax_exempt is None  # no sample carries IS_TAX_EXEMPT (ASSUMPTION-Q-04)


def test_a_customer_record_and_its_event_hold_no_personal_data() -> None:
    parsed = run((APIGUIDE / "GET_Customer.response1.json").read_bytes())
    dumped = json.dumps([r.model_dump(mode="json") for r in parsed.records]) + json.dumps(
        [d.model_dump(mode="json") for d in parsed.events]
    )
    for personal in (
        "Bill",
        "Baker",
        "321-455-1836",
        "3214551836",
        "Millstream",
        "Memphis",
        "38120",
        "verify his current phone",
    ):
        assert personal not in dumped


def test_the_phone_number_becomes_a_keyed_fingerprint_that_matches_across_formats() -> None:
    fingerprint = one(run((APIGUIDE / "GET_Customer.response1.json").read_bytes()), ContactFingerprint)
    assert (fingerprint.customer_id, fingerprint.kind) == ("cp:customer:1000", "phone")
    assert fingerprint.hmac == contact_hmac(PII_KEY, "phone", "(321) 455-1836")


def test_the_loyalty_card_stands_in_for_a_missing_phone_number() -> None:
    body = sample("GET_Customer.response1.json")
    del body["AR_CUST"]["PHONE_1"]
    body["AR_CUST"]["EMAIL_ADRS_1"] = "Bill@Example.com "
    fingerprints = of_type(run(json.dumps(body).encode()), ContactFingerprint)
    assert {(f.kind, f.hmac) for f in fingerprints} == {
        ("phone", contact_hmac(PII_KEY, "phone", "321-455-1836")),
        ("email", contact_hmac(PII_KEY, "email", "bill@example.com")),
    }


def test_a_credit_limit_is_kept_when_the_customer_has_one() -> None:
    body = sample("GET_Customer.response1.json")
    body["AR_CUST"].update(NO_CR_LIM="N", CR_LIM=1500, IS_TAX_EXEMPT="Y")
    customer = one(run(json.dumps(body).encode()), CustomerRecord)
    assert (customer.credit_limit_cents, customer.tax_exempt) == (150000, True)
