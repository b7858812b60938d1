"""The files that describe a simulated world rather than report its trading: the Square subscription
config the demo needs to POST the webhooks, the Counterpoint stores, a profile summary (world.json)
and the manifest."""

from __future__ import annotations

from typing import Any

from core.simulate.world import COUNTERPOINT, SQUARE, World

Json = dict[str, Any]
FORMAT_VERSION = 1


def square_config(world: World) -> Json:
    m = world.merchant
    return {
        "canary_merchant_id": f"sim-{world.seed}",
        "merchant_id": m.square_merchant_id,
        "notification_url": m.notification_url,
        "signature_key": m.signature_key,
        "api_version": m.square_api_version,
        "environment": "Production",
        "locations": [
            {"id": s.external_id, "name": s.name, "timezone": s.timezone, "store": s.key}
            for s in world.stores_of(SQUARE)
        ],
    }


def counterpoint_config(world: World, ticket_format: str) -> Json:
    return {
        "company": world.merchant.cp_company,
        "stores": [
            {"STR_ID": s.external_id, "name": s.name, "timezone": s.timezone, "store": s.key}
            for s in world.stores_of(COUNTERPOINT)
        ],
        "stock_locations": [world.warehouse, *(s.external_id for s in world.stores_of(COUNTERPOINT))],
        "ticket_format": ticket_format,
        "batch_order": "files in name order: reference (00-03), then per local date: 1 master data, "
        "2 documents, 3 stock movements, 4 transfer receipts",
    }


def world_summary(world: World) -> Json:
    """The profiles by id (no names): what a demo or bench needs to map labels to Canary's rows."""
    return {
        "seed": world.seed,
        "vertical": world.vertical,
        "start": world.start.isoformat(),
        "days": world.days,
        "merchant": {
            "name": world.merchant.name,
            "square_merchant_id": world.merchant.square_merchant_id,
            "counterpoint_company": world.merchant.cp_company,
        },
        "stores": [
            {
                "store": s.key,
                "vendor": s.vendor,
                "external_id": s.external_id,
                "name": s.name,
                "timezone": s.timezone,
                "tax_code": s.jurisdiction.code,
                "tax_authorities": [
                    {"code": a.code, "rate_pct": a.rate_bp / 100} for a in s.jurisdiction.authorities
                ],
                "max_disc_pct": s.max_disc_pct,
                "max_disc_amt": s.max_disc_amt,
                "hours": [s.open_hour, s.close_hour],
                "stations": [
                    {
                        "station": st.key,
                        "kind": st.kind,
                        "external_id": st.external_id,
                        "drawer_id": st.drawer_id,
                        "name": st.name,
                    }
                    for st in s.stations
                ],
            }
            for s in world.stores
        ],
        "employees": [
            {"employee": e.key, "store": e.store, "role": e.role, "external_id": e.external_id}
            for e in world.employees
        ],
        "customers": [
            {
                "customer": c.key,
                "store": c.store,
                "vendor": c.vendor,
                "external_id": c.external_id,
                "tier": c.tier,
                "tax_exempt": c.tax_exempt,
                "loyalty": c.loyalty,
                "cards": [card.fingerprint for card in c.cards],
            }
            for c in world.customers
        ],
        "categories": [
            {"code": c.code, "min_pft_pct": c.min_pct, "trgt_pft_pct": c.trgt_pct, "live": c.live}
            for c in world.categories
        ],
        "items": [
            {
                "sku": i.sku,
                "category": i.category,
                "price_cents": i.price,
                "cost_cents": i.cost,
                "square_id": i.square_id,
                "mix_match": i.mix_match,
            }
            for i in world.items
        ],
        "mix_match_groups": [
            {
                "code": g.code,
                "descr": g.descr,
                "size": g.size,
                "price_cents": g.price,
                "items": list(g.members),
            }
            for g in world.mix_matches
        ],
        "suppliers": [
            {"code": s.code, "name": s.name, "kind": s.kind, "paid_in_cash": s.paid_in_cash}
            for s in world.suppliers
        ],
        "promotions": [
            {
                "code": p.code,
                "name": p.name,
                "category": p.category,
                "pct": p.pct,
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
            }
            for p in world.promotions
        ],
        "event_days": [d.isoformat() for d in world.event_days],
        "warehouse": world.warehouse,
    }


def manifest(
    world: World, vendors: str, ticket_format: str, counts: dict[str, int], skipped: list[str]
) -> Json:
    return {
        "generator": "canary.simulate",
        "format_version": FORMAT_VERSION,
        "seed": world.seed,
        "stores": len(world.stores),
        "days": world.days,
        "vertical": world.vertical,
        "start": world.start.isoformat(),
        "vendors": vendors,
        "counterpoint_tickets": ticket_format,
        "counts": dict(sorted(counts.items())),
        "skipped_scenarios": sorted(set(skipped)),
    }
