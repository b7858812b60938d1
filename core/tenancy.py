"""Onboarding a merchant: the tenant row, its locations, and its webhook routing and keys."""

from __future__ import annotations

from dataclasses import dataclass

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
) -> Merchant:
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
