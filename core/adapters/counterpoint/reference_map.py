"""Configuration and people: PS_STR/PS_STR_CFG_PS → ``StoreConfig``, IM_CATEG_COD → ``ItemCategory``,
AR_CUST → ``CustomerRecord`` plus keyed fingerprints of its contact details (seed Q.1.8–Q.1.10).

No personal data reaches a record: names, addresses, notes, ship-to addresses and stored cards are
never read; the phone number and e-mail address become ``ContactFingerprint`` HMACs through
``ctx.contact_hmac`` (per-merchant key), never a bare hash.
"""

from __future__ import annotations

import re

from core.adapters.counterpoint.fields import Row, present
from core.adapters.counterpoint.keys import category_id, customer_id, location_id
from core.domain.parsing import ParseContext
from core.domain.parties import ContactFingerprint, CustomerRecord
from core.domain.records import Vendor, version_key
from core.domain.store_config import ItemCategory, StoreConfig

_DIGITS = re.compile(r"\d")


def store_config(store: Row) -> StoreConfig:
    """GET /Store: PS_STR with PS_STR_CFG_PS nested. Store settings are not checked against the known
    stores: configuration is how a store becomes known, and it carries no time to convert."""
    store_id = store.require_text("STR_ID")
    cfg = store.child("PS_STR_CFG_PS") or Row({}, store.field("PS_STR_CFG_PS"))
    updated = store.utc_time("RS_UTC_DT")
    line_types = [cfg.text(f"LIN_TYP_{n}") for n in range(1, 9)]
    return StoreConfig(
        location_id=location_id(store_id),
        store_id=store_id,
        version_key=version_key(updated),
        **present(
            name=store.text("DESCR"),
            stock_location=cfg.text("STK_LOC_ID"),
            tax_code=cfg.text("AR_TAX_COD"),
            walk_in_customer_no=cfg.text("WALK_IN_CUST_NO"),
            max_discount_cents=cfg.cents("MAX_DISC_AMT"),
            max_discount_pct=cfg.number("MAX_DISC_PCT"),
            min_profit_pct=cfg.number("MIN_PFT_PCT"),
            min_profit_pct_method=cfg.text("MIN_PFT_PCT_METH"),
            min_profit_pct_cost=cfg.text("MIN_PFT_PCT_COST"),
            min_price_level=cfg.text("MIN_PRC_LVL"),
            require_return_reason=cfg.flag("USE_RET_REAS"),
            require_price_change_reason=cfg.flag("USE_PRC_CHNG_REAS"),
            require_void_completed_reason=cfg.flag("USE_VOID_COMP_REAS"),
            require_ticket_tax_reason=cfg.flag("USE_TKT_TAX_REAS"),
            default_return_reason=cfg.text("DFLT_RET_REAS"),
            no_max_return_amount=cfg.flag("NO_MAX_RET_AMT"),
            allow_drawer_reactivation=cfg.flag("ALLOW_DRW_REACTIV"),
            auto_drawer_activate=cfg.flag("AUTO_DRW_ACTIV"),
            auto_drawer_count=cfg.flag("AUTO_DRW_CNT"),
            auto_drawer_reconcile=cfg.flag("AUTO_DRW_RECON"),
            open_drawer_alarm=cfg.flag("USE_OPN_DRW_ALARM"),
            retain_card_numbers_in_history=cfg.flag("RETAIN_CR_CARD_NO_HIST"),
            allow_combined_validated_returns=cfg.flag("ALLOW_COMBINED_VAL_RET"),
            allow_other_store_validated_returns=cfg.flag("ALLOW_OTHR_STR_VAL_RETS"),
            pay_in_method=cfg.text("PAY_IN_METH"),
            pay_out_method=cfg.text("PAY_OUT_METH"),
            line_types=",".join(t for t in line_types if t) or None,
            vendor_updated_at=updated,
        ),
    )


def item_category(row: Row) -> ItemCategory:
    code = row.require_text("CATEG_COD")
    updated = row.utc_time("RS_UTC_DT")
    subcategories = [sub.require_text("SUBCAT_COD") for sub in row.children("IM_SUBCAT_COD") or []]
    return ItemCategory(
        id=category_id(code),
        category_code=code,
        subcategory_codes=",".join(subcategories),
        version_key=version_key(updated),
        **present(
            description=row.text("DESCR"),
            min_profit_pct=row.number("MIN_PFT_PCT"),
            target_profit_pct=row.number("TRGT_PFT_PCT"),
            vendor_updated_at=updated,
        ),
    )


def customer(row: Row, ctx: ParseContext) -> tuple[CustomerRecord, list[ContactFingerprint]]:
    """AR_CUST → the customer (tier = CATEG_COD, AR posture) and its contact fingerprints.

    [S] NO_CR_LIM = 'Y' means no credit limit: ``credit_limit_cents`` then stays unset rather than
    pretending to a number. [I, ASSUMPTION-Q-04] IS_TAX_EXEMPT is read when present; no sample has it.
    """
    number = row.require_text("CUST_NO")
    cid = customer_id(number)
    version = version_key(row.utc_time("RS_UTC_DT"))
    unlimited = row.flag("NO_CR_LIM")
    record = CustomerRecord(
        id=cid,
        source=Vendor.COUNTERPOINT,
        external_id=number,
        version_key=version,
        **present(
            tier=row.text("CATEG_COD"),
            tax_exempt=row.flag("IS_TAX_EXEMPT"),
            credit_limit_cents=None if unlimited else row.cents("CR_LIM"),
            ar_balance_cents=row.cents("BAL"),
        ),
    )
    fingerprints: list[ContactFingerprint] = []
    phone = _phone(row)
    if phone is not None:
        fingerprints.append(
            ContactFingerprint(
                customer_id=cid, kind="phone", hmac=ctx.contact_hmac("phone", phone), version_key=version
            )
        )
    email = row.text("EMAIL_ADRS_1")
    if email is not None:
        fingerprints.append(
            ContactFingerprint(
                customer_id=cid, kind="email", hmac=ctx.contact_hmac("email", email), version_key=version
            )
        )
    return record, fingerprints


def _phone(row: Row) -> str | None:
    """PHONE_1; failing that LOY_CARD_NO, which [S] doubles as the phone number (the sample's loyalty
    card equals its PHONE_1), when it has at least the seven digits of a phone number."""
    phone = row.text("PHONE_1")
    if phone is not None:
        return phone
    card = row.text("LOY_CARD_NO")
    if card is not None and len(_DIGITS.findall(card)) >= 7:
        return card
    return None
