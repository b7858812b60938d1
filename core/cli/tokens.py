"""``canary token …``: bearer tokens for the MCP servers over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

import typer
from rich.console import Console
from rich.table import Table

from core.auth.principal import DEFAULT_SCOPES, ROLES, SCOPES, InvalidGrantError
from core.auth.tokens import UnknownMerchantError
from core.cli.context import known_merchant, load
from core.cli.errors import UsageError, friendly

app = typer.Typer(
    help="API tokens for the MCP servers over HTTP: create, list, revoke.", no_args_is_help=True
)
out = Console()
WIDE = 120  # below this many columns each token is printed as a block, not a table row


@app.command()
@friendly
def create(
    merchant: str = typer.Option(..., help="The merchant the token acts for."),
    role: str = typer.Option(..., help=f"One of {', '.join(ROLES)}."),
    scope: list[str] = typer.Option(
        [], help=f"Scopes (default: the role's). Known: {', '.join(SCOPES)}.", show_default=False
    ),
    label: str | None = typer.Option(None, help="A note on who holds it."),
    days: int | None = typer.Option(None, min=1, help="Expire after this many days (default: never)."),
    store: list[str] = typer.Option(
        [],
        "--store",
        help="Limit it to this store (a location id such as sq:location:L1; repeatable), as for a GM. "
        "Default: every store.",
        show_default=False,
    ),
) -> None:
    """Issue a token. It is printed once; only its hash is stored."""
    container = load()
    try:
        issued = container.tokens.create(
            merchant,
            role,
            scope or None,
            label=label,
            expires_in=timedelta(days=days) if days else None,
            stores=store,
        )
    except (InvalidGrantError, UnknownMerchantError) as exc:
        raise UsageError(str(exc)) from None
    finally:
        container.close()
    out.print(issued.token, highlight=False, soft_wrap=True)
    where = f", stores {' '.join(issued.stores)}" if issued.stores else ""
    typer.echo(
        f"token {issued.token_id} for {merchant}: role {role}, scopes {' '.join(issued.scopes)} "
        f"(defaults for {role}: {' '.join(DEFAULT_SCOPES.get(role, ()))}){where}",
        err=True,
    )


@app.command("list")
@friendly
def list_tokens(
    merchant: str = typer.Option(..., help="The merchant whose tokens to list."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List a merchant's tokens (ids, roles, scopes, expiry; never the secrets). The id is what
    `canary token revoke` takes."""
    container = load()
    try:
        known_merchant(container, merchant)
        tokens = container.tokens.list_tokens(merchant)
    finally:
        container.close()
    if as_json:
        rows = [
            {
                "token_id": t.token_id,
                "role": t.role,
                "scopes": list(t.scopes),
                "label": t.label,
                "created_at": t.created_at.isoformat(),
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                "stores": list(t.stores) or None,
            }
            for t in tokens
        ]
        out.print_json(json.dumps({"merchant_id": merchant, "tokens": rows}))
        return
    if not tokens:
        out.print(f"no tokens for {merchant}: `canary token create` issues one")
        return
    if out.width < WIDE:  # one block per token, so the id is never cut
        for t in tokens:
            state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
            expires = f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "never"
            out.print(f"[bold]{t.token_id}[/bold] {t.role} · {state} · expires {expires}", highlight=False)
            out.print(
                f"  scopes {' '.join(t.scopes)}; created {t.created_at:%Y-%m-%d %H:%M}"
                + (f"; stores {' '.join(t.stores)}" if t.stores else "")
                + (f"; {t.label}" if t.label else ""),
                highlight=False,
                markup=False,
            )
        return
    table = Table("id", "role", "scopes", "stores", "label", "created", "expires", "revoked")
    for t in tokens:
        table.add_row(
            t.token_id,
            t.role,
            " ".join(t.scopes),
            " ".join(t.stores) or "all",
            t.label or "",
            f"{t.created_at:%Y-%m-%d %H:%M}",
            f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "never",
            f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "",
        )
    out.print(table)


@app.command()
@friendly
def revoke(
    token_id: str = typer.Argument(..., help="The token's id (the part after cnry_)."),
    merchant: str = typer.Option(..., help="The merchant the token belongs to."),
) -> None:
    """Revoke a token at once; requests carrying it get 401 from then on."""
    container = load()
    try:
        known_merchant(container, merchant)
        revoked = container.tokens.revoke(merchant, token_id)
    finally:
        container.close()
    if not revoked:
        raise UsageError(f"no active token {token_id} for merchant {merchant}")
    out.print(f"[green]✓[/green] token {token_id} revoked")
