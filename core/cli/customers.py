"""``canary rebuild customers`` and ``canary forget-customer``: R's operations."""

from __future__ import annotations

import typer
from rich.console import Console

from core.cli.context import known_merchant, load
from core.cli.errors import UsageError, friendly
from core.cli.progress import each, progress
from core.customers.errors import CustomerNotFoundError
from core.customers.rebuild import rebuild
from core.pipeline.sweeper import merchant_ids
from core.pipeline.workers import drain

rebuild_app = typer.Typer(help="Recompute projections from the ledger.", no_args_is_help=True)
out = Console()


def register(app: typer.Typer) -> None:
    app.add_typer(rebuild_app, name="rebuild")
    app.command("forget-customer")(forget_customer)


@rebuild_app.command("customers")
@friendly
def rebuild_customers(
    merchant: str | None = typer.Option(None, help="One merchant (default: every merchant)."),
) -> None:
    """Recompute every customer's lifetime value, counts and card profiles from the canonical rows
    the ledger wrote; the result is identical to what the live projection holds."""
    container = load()
    try:
        targets = [known_merchant(container, merchant)] if merchant else merchant_ids(container.db)
        with progress() as bar:
            for merchant_id in each(bar, targets, "rebuilding customers of"):
                summary = rebuild(container.db, container.clock, merchant_id)
                out.print(
                    f"[green]✓[/green] {merchant_id}: {summary.customers} customers, "
                    f"{summary.transactions} transactions, {summary.cards} cards rebuilt"
                )
    finally:
        container.close()


@friendly
def forget_customer(
    customer: str = typer.Argument(..., help="Canary's customer id or the vendor's customer id."),
    merchant: str = typer.Option(..., help="The merchant the customer belongs to."),
    reason: str = typer.Option(..., help="Why (kept with the redaction evidence), e.g. a request id."),
    actor: str = typer.Option("cli", help="Who asked for it."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be erased; change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Right to be forgotten: archive the customer, drop the vendor-id mapping and erase the raw
    payloads that named them. The redaction is sealed as its own evidence; `canary verify` still passes.
    Says what it will erase and asks first (--yes skips the question; --dry-run only says)."""
    container = load()
    try:
        known_merchant(container, merchant)
        try:
            plan = container.forgetter.preview(merchant, customer)
        except CustomerNotFoundError as exc:
            raise UsageError(str(exc)) from None
        out.print(
            f"{'would forget' if dry_run else 'forgetting'} {plan.customer_id}: {plan.transactions} "
            f"transactions re-keyed to a tombstone, {plan.payloads} raw payloads erased "
            f"(of {len(plan.seqs)} sealed events that name them)",
            highlight=False,
        )
        if dry_run:
            out.print("dry run: nothing was changed")
            return
        if not yes:
            try:
                confirmed = typer.confirm("Erase them? This cannot be undone", default=False)
            except typer.Abort:
                confirmed = False
            if not confirmed:
                raise UsageError("not confirmed, nothing was changed (--yes skips the question)")
        try:
            result = container.forgetter.forget(merchant, customer, actor=actor, reason=reason)
        except CustomerNotFoundError as exc:
            raise UsageError(str(exc)) from None
        if container.settings.is_embedded:
            drain(container.pipeline)  # the in-process bus lives in this process: run the redaction through
    finally:
        container.close()
    out.print(
        f"[green]✓[/green] forgotten as {result.tombstone}: {result.transactions} transactions re-keyed, "
        f"{result.payloads_erased} raw payloads erased, redaction sealed at seq {result.redaction_seq}"
    )
