"""``canary rules …``: a tenant's Chirp rollout at a glance, and the two rollout steps the runbook
(docs/deployment-phases.md) starts with, from a terminal: pinning the catalog and promoting a rule.
Each goes through ``ChirpService`` like the canary-chirp tools of the same names, with a reason, into
the audit log; tuning and allow-lists are the MCP tools (docs/mcp.md)."""

from __future__ import annotations

import typer
from rich.console import Console

from core.cli.context import known_merchant, load
from core.cli.errors import UsageError, friendly
from core.rules.errors import ChirpError
from core.rules.service.rollout import UnknownTenantError

app = typer.Typer(
    help="Chirp rules: a tenant's deployment status; pin the catalog, promote or demote a rule.",
    no_args_is_help=True,
)
MODES = ("dry_run", "observation", "alerting")
out = Console()


@app.command()
@friendly
def status(merchant: str = typer.Option(..., "--merchant", "-m", help="The merchant to report on.")) -> None:
    """Where the tenant's rollout stands (day 0 dry run → observation → tuning → steady state), how
    many applicable rules are in each mode, and what the runbook (docs/deployment-phases.md) asks next."""
    container = load()
    try:
        report = container.chirp_service.deployment_status(merchant)
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
    out.print(
        "  (pin_catalog_version and promote_rule are canary-chirp tools; from a terminal: "
        "canary rules pin, canary rules promote)",
        highlight=False,
    )


@app.command()
@friendly
def pin(
    version: str = typer.Argument(..., help="The catalog version to pin, e.g. 1.0.0."),
    merchant: str = typer.Option(..., "--merchant", "-m", help="The merchant."),
    reason: str = typer.Option(..., help="Why (kept in the audit log)."),
    actor: str = typer.Option("cli", help="Who did it (kept in the audit log)."),
) -> None:
    """Pin the tenant's rule catalog version, so a newer catalog never changes what it runs."""
    container = load()
    try:
        known_merchant(container, merchant)
        result = container.chirp_service.pin_catalog_version(merchant, version, actor=actor, reason=reason)
    except ChirpError as exc:
        raise UsageError(str(exc)) from None
    finally:
        container.close()
    out.print(
        f"[green]✓[/green] {merchant}: catalog pinned at {result.after} (was {result.before or 'unpinned'}); "
        f"{result.rules} rules",
        highlight=False,
    )


@app.command()
@friendly
def promote(
    rule: str = typer.Argument(..., help="The rule, e.g. Q-VR-03."),
    mode: str = typer.Argument(..., help="dry_run, observation or alerting."),
    merchant: str = typer.Option(..., "--merchant", "-m", help="The merchant."),
    reason: str = typer.Option(..., help="Why (kept in the audit log)."),
    force: bool = typer.Option(False, "--force", help="Promote even when the readiness check refuses."),
    actor: str = typer.Option("cli", help="Who did it (kept in the audit log)."),
) -> None:
    """Move a rule to a mode. Promoting runs the readiness check (a dry run over the last 14 days of
    journaled events) and is refused, with its reasons and exit code 1, when it fails, unless --force;
    demoting is immediate."""
    if mode not in MODES:
        raise UsageError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    container = load()
    try:
        known_merchant(container, merchant)
        result = container.chirp_service.promote_rule(
            merchant, rule, mode, actor=actor, reason=reason, force=force
        )
    except ChirpError as exc:
        raise UsageError(str(exc)) from None
    finally:
        container.close()
    readiness = result.readiness
    if readiness is not None:
        out.print(
            f"readiness over {readiness.lookback_days} days: {readiness.events} events, "
            f"{readiness.hits} hits ({readiness.hits_per_day:.1f} a day)",
            highlight=False,
        )
        for why in readiness.reasons:
            out.print(f"  • {why}", highlight=False)
    if not result.applied:
        out.print(
            f"[red]✗[/red] {rule} stays in {result.from_mode} (--force promotes anyway)", highlight=False
        )
        raise typer.Exit(1)
    forced = " (forced)" if result.forced else ""
    out.print(
        f"[green]✓[/green] {rule}: {result.from_mode} → {result.to_mode}{forced}, "
        f"config v{result.config_version}",
        highlight=False,
    )
