"""Onboarding a merchant: the tenant row, its locations, and its webhook routing and keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import select

from core.db.tables.tenants import Location, Merchant
from core.db.uow import Database
from core.security.keyring import MerchantKeyring


@dataclass(frozen=True)
class StoreSpec:
    external_id: str
    source: str
    timezone: str
    name: str | None = None


class MerchantAlreadyExistsError(Exception):
    pass


class UnknownMerchantError(Exception):
    """A merchant id no tenant has: the message names it and says how to add it (the same words as
    ``canary rules status`` and ``canary token create``)."""

    def __init__(self, merchant_id: str) -> None:
        super().__init__(f"no merchant {merchant_id!r}: onboard it first (canary merchant add)")
        self.merchant_id = merchant_id


def require_merchant(db: Database, merchant_id: str) -> None:
    """Raise ``UnknownMerchantError`` unless the merchant exists. Asked before a tenant is bound, so on
    Postgres it goes through the SECURITY DEFINER function that lists ids (RLS hides the rows)."""
    with db.system() as session:
        if db.is_postgres:
            ids = session.execute(text("SELECT app.merchant_ids()")).scalars()
        else:
            ids = session.execute(
                text("SELECT id FROM merchants WHERE id = :id"), {"id": merchant_id}
            ).scalars()
        if merchant_id not in set(ids):
            raise UnknownMerchantError(merchant_id)


def onboard_merchant(
    db: Database,
    keyring: MerchantKeyring,
    *,
    merchant_id: str,
    name: str,
    square_merchant_id: str | None = None,
    square_notification_url: str | None = None,
    square_signature_key: str | None = None,
    counterpoint_push_key: str | None = None,
    stores: list[StoreSpec] | None = None,
    timezone: str = "UTC",
    created_at: datetime | None = None,
) -> Merchant:
    """``created_at`` is the cutover the rollout calendar counts from (now unless given: the demo
    gives its world's first day)."""
    with db.tenant(merchant_id) as session:
        if session.get(Merchant, merchant_id) is not None:
            raise MerchantAlreadyExistsError(f"merchant {merchant_id} exists")
        merchant = Merchant(
            id=merchant_id,
            name=name,
            default_timezone=timezone,
            square_merchant_id=square_merchant_id,
            square_notification_url=square_notification_url,
        )
        if created_at is not None:
            merchant.created_at = created_at
        session.add(merchant)
        session.flush()
        for store in stores or []:
            session.add(
                Location(
                    merchant_id=merchant_id,
                    id=f"{'sq' if store.source == 'SQUARE' else 'cp'}:location:{store.external_id}",
                    source=store.source,
                    external_id=store.external_id,
                    name=store.name,
                    timezone=store.timezone,
                )
            )
        if square_signature_key:
            keyring.put(session, merchant_id, "square_signature", square_signature_key.encode())
        if counterpoint_push_key:
            keyring.put(session, merchant_id, "counterpoint_push", counterpoint_push_key.encode())
        keyring.get(session, merchant_id, "data")
        keyring.get(session, merchant_id, "pii")
    return merchant


def list_locations(db: Database, merchant_id: str) -> list[Location]:
    with db.tenant(merchant_id) as session:
        return list(session.exec(select(Location).where(Location.merchant_id == merchant_id)).all())
