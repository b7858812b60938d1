"""``canary merchant …``: onboarding tenants."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from core.cli.context import load
from core.cli.errors import UsageError, friendly
from core.domain.records import Vendor
from core.tenancy import MerchantAlreadyExistsError, StoreSpec, list_locations, onboard_merchant

app = typer.Typer(
    help="Merchants (tenants): `canary merchant add` registers one, `canary merchant list` shows them.",
    no_args_is_help=True,
)
out = Console()


@app.command()
@friendly
def add(
    merchant_id: str = typer.Argument(..., help="Canary's id for the merchant, e.g. m_greenleaf."),
    name: str = typer.Option(..., help="Display name."),
    timezone: str = typer.Option("UTC", help="Default IANA time zone, e.g. America/Chicago."),
    square_merchant_id: str | None = typer.Option(None, help="Square's merchant id (routes webhooks)."),
    square_notification_url: str | None = typer.Option(None, help="The exact URL registered with Square."),
    square_signature_key: str | None = typer.Option(
        None, envvar="CANARY_SQUARE_SIGNATURE_KEY", help="The subscription's signature key."
    ),
    counterpoint_push_key: str | None = typer.Option(
        None, envvar="CANARY_COUNTERPOINT_PUSH_KEY", help="Shared key the on-premise agent signs with."
    ),
    store: list[str] = typer.Option(
        [],
        metavar="<spec>",
        help="A store as SOURCE:EXTERNAL_ID:TIMEZONE, e.g. SQUARE:L88:America/Chicago (repeatable).",
    ),
) -> None:
    """Register a merchant, its stores and its webhook secrets (kept wrapped by the master key)."""
    stores = []
    for spec in store:
        parts = spec.split(":", 2)
        if len(parts) != 3 or parts[0] not in set(Vendor):
            raise UsageError(f"--store {spec!r}: expected SQUARE|COUNTERPOINT:EXTERNAL_ID:TIMEZONE")
        stores.append(StoreSpec(external_id=parts[1], source=parts[0], timezone=parts[2]))
    container = load()
    try:
        onboard_merchant(
            container.db,
            container.keyring,
            merchant_id=merchant_id,
            name=name,
            timezone=timezone,
            square_merchant_id=square_merchant_id,
            square_notification_url=square_notification_url,
            square_signature_key=square_signature_key,
            counterpoint_push_key=counterpoint_push_key,
            stores=stores,
        )
    except MerchantAlreadyExistsError as exc:
        raise UsageError(str(exc)) from None
    finally:
        container.close()
    out.print(f"[green]✓[/green] merchant {merchant_id} added with {len(stores)} store(s)")


@app.command("list")
@friendly
def list_merchants(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Every merchant this database has onboarded: id, name, status, time zone and stores."""
    from sqlmodel import func, select

    from core.db.tables.ledger import EvidenceRecord
    from core.db.tables.tenants import Merchant
    from core.pipeline.sweeper import merchant_ids

    container = load()
    try:
        found = []
        for merchant_id in merchant_ids(container.db):
            with container.db.tenant(merchant_id) as s:
                row = s.get(Merchant, merchant_id)
                sealed = s.exec(select(func.count()).where(EvidenceRecord.merchant_id == merchant_id)).one()
            stores = [f"{loc.source}:{loc.external_id}" for loc in list_locations(container.db, merchant_id)]
            found.append(
                {
                    "merchant_id": merchant_id,
                    "name": row.name if row else "",
                    "status": row.status if row else "",
                    "timezone": row.default_timezone if row else "",
                    "stores": stores,
                    "sealed_events": sealed,
                }
            )
    finally:
        container.close()
    if as_json:
        out.print_json(json.dumps({"merchants": found}))
        return
    if not found:
        out.print("no merchants yet: `canary merchant add` registers one (or run `canary demo`)")
        return
    for m in found:
        out.print(
            f"[bold]{m['merchant_id']}[/bold] {m['name']} · {m['status']} · {m['timezone']}", highlight=False
        )
        out.print(
            f"  {m['sealed_events']:,} sealed events; stores: {', '.join(m['stores']) or 'none'}",
            highlight=False,
            markup=False,
        )
