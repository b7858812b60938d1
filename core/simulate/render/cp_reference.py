"""Counterpoint reference data as API responses: GET /Store (PS_STR + PS_STR_CFG_PS with MAX_DISC_AMT
and MAX_DISC_PCT), GET /ItemCategories (MIN_PFT_PCT, TRGT_PFT_PCT), GET /Items (with MIX_MATCH_COD, the
item master), GET /Customers and GET /Customer (AR_CUST with the tier in CATEG_COD), GET /Item after a
price change. Names and phone numbers are fake; Canary must still hash them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.simulate.clock import cp_local, cp_stamp, cp_utc
from core.simulate.movements import CustomerChange, PriceChange
from core.simulate.render.cp_lines import amount
from core.simulate.world import Customer, Item, Store, World

Json = dict[str, Any]
SUCCESS = {"ErrorCode": "SUCCESS"}


def _setup_time(world: World) -> datetime:
    return datetime.combine(world.start - timedelta(days=30), datetime.min.time(), UTC) + timedelta(hours=14)


def store(world: World, s: Store) -> Json:
    at = _setup_time(world)
    config: Json = {
        "STR_ID": s.external_id,
        "STK_LOC_ID": s.external_id,
        "PRC_LOC_ID": s.external_id,
        "WALK_IN_CUST_NO": "CASH",
        "AR_TAX_COD": s.jurisdiction.code,
        "AUTO_DRW_ACTIV": "Y",
        "AUTO_DRW_CNT": "Y",
        "AUTO_DRW_RECON": "N",
        "ALLOW_DRW_REACTIV": "N",
        "USE_RET_REAS": "Y",
        "USE_PRC_CHNG_REAS": "Y",
        "USE_VOID_COMP_REAS": "Y",
        "USE_TKT_TAX_REAS": "N",
        "NO_MAX_RET_AMT": "N",
        "MIN_PRC_LVL": "!",
        "MIN_PFT_PCT_METH": "!",
        "MIN_PFT_PCT": 0,
        "MIN_PFT_PCT_COST": "A",
        "USE_OPN_DRW_ALARM": "Y",
        "PAY_IN_METH": "!",
        "PAY_OUT_METH": "!",
        "USE_ORD": "Y",
        "USE_LWY": "Y",
        "RETAIN_CR_CARD_NO_HIST": "N",
    }
    config.update({f"LIN_TYP_{n + 1}": code for n, code in enumerate("SROBPLED")})
    config.update(
        {
            "DFLT_RET_REAS": "RET",
            "MAX_DISC_AMT": s.max_disc_amt,
            "MAX_DISC_PCT": s.max_disc_pct,
            "TOT_DISC_TYP": "A",
            "ALLOW_COMBINED_VAL_RET": "Y",
            "ALLOW_OTHR_STR_VAL_RETS": "N",
        }
    )
    body = {
        "STR_ID": s.external_id,
        "DESCR": s.name,
        "DESCR_UPR": s.name.upper(),
        "ADRS_1": "1 Market Street",
        "CITY": s.city,
        "STATE": s.state,
        "ZIP_COD": f"{10000 + s.index * 1111}",
        "CNTRY": "US",
        "PHONE_1": f"555-010-{1000 + s.index}",
        "LST_MAINT_DT": cp_local(at, s.timezone),
        "LST_MAINT_USR_ID": "MGR",
        "USE_PS": "Y",
        "RS_UTC_DT": cp_utc(at),
        "STR_NO": s.index + 1,
        "RS_STAT": 1,
        "PS_STR_CFG_PS": config,
    }
    return {"PS_STR": body, **SUCCESS}


def categories(world: World) -> Json:
    at = _setup_time(world)
    return {
        "ItemCategories": [
            {
                "CATEG_COD": c.code,
                "DESCR": c.descr,
                "DESCR_UPR": c.descr.upper(),
                "LST_MAINT_DT": cp_stamp(at.replace(tzinfo=None)),
                "LST_MAINT_USR_ID": "MGR",
                "MIN_PFT_PCT": c.min_pct,
                "RS_UTC_DT": cp_utc(at),
                "TRGT_PFT_PCT": c.trgt_pct,
                "RS_STAT": 1,
                "IM_SUBCAT_COD": [],
            }
            for c in world.categories
        ],
        **SUCCESS,
    }


def item(i: Item, price: int, at: datetime, user: str, zone: str) -> Json:
    body: Json = {
        "ITEM_NO": i.sku,
        "DESCR": i.name,
        "DESCR_UPR": i.name.upper(),
        "ITEM_TYP": "I",
        "CATEG_COD": i.category,
        "TRK_METH": "N",
        "STAT": "A",
        "IS_TXBL": "Y",
        "STK_UNIT": "EACH",
        "ITEM_VEND_NO": i.vendor,
        "PRC_1": amount(price),
        "LST_MAINT_DT": cp_local(at, zone),
        "LST_MAINT_USR_ID": user,
        "REG_PRC": amount(price),
        "LST_COST": amount(i.cost),
    }
    if i.mix_match:
        body["MIX_MATCH_COD"] = i.mix_match
    body.update({"RS_UTC_DT": cp_utc(at), "IS_DISCNTBL": "Y", "RS_STAT": 0})
    return body


def items(world: World) -> Json:
    at = _setup_time(world)
    return {"Items": [item(i, i.price, at, "MGR", "UTC") for i in world.items], **SUCCESS}


def price_change(change: PriceChange) -> Json:
    return {
        "IM_ITEM": item(
            change.item, change.new_price, change.at, change.by.external_id, change.store.timezone
        ),
        **SUCCESS,
    }


def customer(world: World, c: Customer, tier: str, at: datetime, by: str = "MGR") -> Json:
    home = world.store_by_key[c.store]
    trade = tier in ("WHOLESALE", "LANDSCAPER")
    body: Json = {
        "CUST_NO": c.external_id,
        "NAM": f"{c.first} {c.last}",
        "NAM_UPR": f"{c.first} {c.last}".upper(),
        "FST_NAM": c.first,
        "LST_NAM": c.last,
        "CUST_TYP": "A",
        "ADRS_1": f"{100 + int(c.phone[-3:])} Oak Avenue",
        "CITY": home.city,
        "STATE": home.state,
        "ZIP_COD": c.phone[-5:],
        "PHONE_1": _phone(c.phone),
        "EMAIL_ADRS_1": c.email,
        "SLS_REP": "MGR",
        "CATEG_COD": tier,
        "STR_ID": home.external_id,
        "TAX_COD": "EXEMPT" if c.tax_exempt else home.jurisdiction.code,
        "TERMS_COD": "NET30" if trade else "COD",
        "ALLOW_AR_CHRG": "Y" if trade else "N",
        "ALLOW_TKTS": "Y",
        "NO_CR_LIM": "N",
        "CR_LIM": 5000 if trade else 0,
        "BAL": 0,
        "IS_TAX_EXEMPT": "Y" if c.tax_exempt else "N",
        "DISC_PCT": 0,
        "LST_MAINT_DT": cp_local(at, home.timezone),
        "LST_MAINT_USR_ID": by,
        "RS_UTC_DT": cp_utc(at),
        "RS_STAT": 1,
    }
    if c.loyalty:
        body.update({"LOY_PGM_COD": "LOYAL-1", "LOY_CARD_NO": _phone(c.phone)})
    return body


def _phone(e164: str) -> str:
    digits = e164.removeprefix("+1")
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def customers(world: World) -> Json:
    """Every Counterpoint customer that existed before the window, as GET /Customers returns them."""
    existing = [
        c for c in world.customers if c.vendor == "counterpoint" and c.created_at.date() < world.start
    ]
    return {"Customers": [customer(world, c, c.tier, c.created_at) for c in existing], **SUCCESS}


def customer_change(world: World, change: CustomerChange) -> Json:
    by = change.by.external_id if change.by else "MGR"
    return {"AR_CUST": customer(world, change.customer, change.tier, change.at, by), **SUCCESS}
