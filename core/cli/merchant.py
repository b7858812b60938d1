"""``canary merchant …``: onboarding tenants."""

from __future__ import annotations

import typer
from rich.console import Console

from core.cli.context import load
from core.cli.errors import UsageError, friendly
from core.tenancy import MerchantAlreadyExistsError, StoreSpec, onboard_merchant

app = typer.Typer(help="Merchants (tenants): `canary merchant add` registers one.", no_args_is_help=True)
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
    store: list[str] = typer.Option([], help="SOURCE:EXTERNAL_ID:TIMEZONE, e.g. SQUARE:L88:America/Chicago."),
) -> None:
    """Register a merchant, its stores and its webhook secrets (kept wrapped by the master key)."""
    stores = []
    for spec in store:
        parts = spec.split(":", 2)
        if len(parts) != 3 or parts[0] not in ("SQUARE", "COUNTERPOINT"):
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
