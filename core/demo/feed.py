"""What a demo run feeds through Canary: one merchant's signed webhooks, a vendor API to poll, and
batch units — exactly the three ways real data arrives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.adapters.square.api import SquareApi
from core.tenancy import StoreSpec


@dataclass(frozen=True)
class Delivery:
    """One HTTP request as the vendor would send it (path includes the query string)."""

    path: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class MerchantSpec:
    merchant_id: str
    name: str
    square_merchant_id: str
    notification_url: str
    signature_key: str
    stores: list[StoreSpec]


@dataclass
class Feed:
    merchant: MerchantSpec
    webhooks: list[Delivery] = field(default_factory=list)
    square_api: SquareApi | None = None  # polled for cash drawers; also enriches payments with orders
    square_locations: list[str] = field(default_factory=list)
    poll_begin: datetime | None = None
    poll_end: datetime | None = None
    counterpoint_units: list[tuple[str, bytes]] = field(default_factory=list)
    description: str = ""
