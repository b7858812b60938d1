"""A tenant's deployment status: the phase its calendar is in beside the modes its rules are in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.db.tables.rules import CatalogPinRow
from core.db.tables.tenants import Merchant
from core.rules.errors import ChirpError
from core.rules.model import Mode
from core.rules.phases import DeploymentStatus, assess

if TYPE_CHECKING:
    from core.rules.service import ChirpService


class UnknownTenantError(ChirpError, LookupError):
    pass


def deployment_status(service: ChirpService, merchant_id: str) -> DeploymentStatus:
    with service.db.tenant(merchant_id) as s:
        merchant = s.get(Merchant, merchant_id)
        pinned = s.get(CatalogPinRow, merchant_id) is not None
    if merchant is None:
        raise UnknownTenantError(f"no merchant {merchant_id!r}: onboard it first (canary merchant add)")
    card = service.substrate_scorecard(merchant_id)
    rules = service.list_rules(merchant_id)
    return assess(
        merchant_id,
        cutover_at=merchant.created_at,
        now=service.clock.now(),
        rule_modes={r.rule_id: Mode(r.mode) for r in rules.items},
        applicable=frozenset(r.rule_id for r in card.rules if r.status == "applicable"),
        catalog_pinned=pinned,
    )
