"""``canary rules …``: a tenant's Chirp rollout at a glance (the MCP tools do the changing)."""

from __future__ import annotations

import typer
from rich.console import Console

from core.cli.context import load
from core.cli.errors import UsageError, friendly
from core.rules.service.rollout import UnknownTenantError

app = typer.Typer(help="Chirp rules: deployment status of a tenant.", no_args_is_help=True)
out = Console()


@app.command()
@friendly
def status(merchant: str = typer.Option(..., help="The merchant to report on.")) -> None:
    """Where the tenant's rollout stands (day 0 dry run → observation → tuning → steady state), how
    many applicable rules are in each mode, and what the runbook (docs/deployment-phases.md) asks next."""
    container = load()
    try:
        report = container.rules.deployment_status(merchant)
    except UnknownTenantError as exc:
        raise UsageError(str(exc)) from None
    finally:
        container.close()
    modes = ", ".join(f"{count} {mode}" for mode, count in report.modes.items())
    out.print(
        f"{merchant}: day {report.day} since cutover ({report.cutover_at:%Y-%m-%d}) — {report.phase.value}"
    )
    out.print(f"applicable rules: {modes}; not applicable to this substrate: {report.not_applicable}")
    out.print(f"catalog pinned: {'yes' if report.catalog_pinned else 'no'}")
    for action in report.actions or ["nothing pending for this phase"]:
        out.print(f"  • {action}")
