"""``canary verify``, ``canary replay`` and ``canary health``: operating the evidence ledger."""

from __future__ import annotations

import dataclasses
import json

import typer
from rich.console import Console
from rich.table import Table

from core.cli.context import known_merchant, load
from core.cli.errors import UsageError, friendly
from core.ledger.proofs import ProofError
from core.pipeline.sweeper import merchant_ids
from core.pipeline.workers import stage_alarms

out = Console()


def register(app: typer.Typer) -> None:
    app.command()(verify)
    app.command()(replay)
    app.command()(health)
    app.command()(proof)


@friendly
def verify(merchant: str | None = typer.Option(None, "--merchant", "-m", help="Only this merchant.")) -> None:
    """Re-hash stored raw bytes, walk every chain link, rebuild and check every checkpoint, and check
    the log against the latest witnessed checkpoint (CANARY_WITNESS_DIR). Exits 1 and names the first
    bad position when anything does not verify."""
    container = load()
    try:
        targets = [known_merchant(container, merchant)] if merchant else merchant_ids(container.db)
        bad = 0
        table = Table("merchant", "records", "payloads", "erased", "checkpoints", "witnessed", "result")
        for m in targets:
            report = container.verifier.verify(m)
            table.add_row(
                m,
                str(report.records),
                str(report.payloads_checked),
                str(report.payloads_erased),
                str(report.checkpoints),
                "-" if report.witnessed_size is None else str(report.witnessed_size),
                "[green]ok[/green]" if report.ok else f"[red]{report.first_problem}[/red]",
            )
            bad += not report.ok
        out.print(table)
    finally:
        container.close()
    if bad:
        out.print(f"[red]✗ {bad} merchant ledger(s) failed verification[/red]")
        raise typer.Exit(1)
    out.print(f"[green]✓ {len(targets)} merchant ledger(s) verified[/green]")


@friendly
def replay(
    merchant: str = typer.Option(..., "--merchant", "-m", help="The merchant whose events to re-parse."),
    event: int | None = typer.Option(None, "--event", help="One evidence seq."),
    first: int | None = typer.Option(None, "--from", help="First seq of a range."),
    last: int | None = typer.Option(None, "--to", help="Last seq of a range (inclusive)."),
    failed: bool = typer.Option(False, "--failed", help="Only events whose last parse failed."),
) -> None:
    """Re-parse sealed events without re-sealing them (after a parser fix). Idempotent."""
    if event is not None and (first is not None or last is not None):
        raise UsageError("give --event or --from/--to, not both")
    start, end = (event, event) if event is not None else (first or 1, last)
    container = load()
    try:
        known_merchant(container, merchant)
        summary = container.replayer.replay(merchant, first_seq=start, last_seq=end, only_failed=failed)
    finally:
        container.close()
    out.print(f"replayed: parsed {summary.parsed}, ignored {summary.ignored}, failed {summary.failed}")


@friendly
def health(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Pipeline health: queue depth and lag per stage, parse failures, the oldest unsealed event.
    Exits 1 with an ALARM line per stage that has left work undone for CANARY_STAGE_STUCK_AFTER_SECONDS."""
    container = load()
    try:
        report = container.health.report()
        alarms = stage_alarms(container)
    finally:
        container.close()
    if as_json:
        payload = {
            "stages": [s.__dict__ for s in report.stages],
            "sealed_events": report.sealed_events,
            "unsealed_inbox": report.unsealed_inbox,
            "oldest_unsealed_age_seconds": report.oldest_unsealed_age_seconds,
            "parse": {
                "parsed": report.parsed,
                "ignored": report.ignored,
                "failed": report.failed,
                "failure_rate": report.parse_failure_rate,
            },
            "alarms": [a.__dict__ for a in alarms],
        }
        out.print_json(json.dumps(payload))
        if alarms:
            raise typer.Exit(1)
        return
    table = Table("stage", "stream", "length", "pending", "lag", "dead letters")
    for s in report.stages:
        table.add_row(s.stage, s.stream, str(s.length), str(s.pending), str(s.lag), str(s.dead_letters))
    out.print(table)
    out.print(
        f"sealed {report.sealed_events}; unsealed inbox {report.unsealed_inbox}"
        f" (oldest {report.oldest_unsealed_age_seconds or 0:.0f}s); parse failure rate "
        f"{report.parse_failure_rate:.2%}"
    )
    for alarm in alarms:
        out.print(f"[red]ALARM {alarm.stage}: {alarm.reason}[/red]")
    if alarms:
        raise typer.Exit(1)


@friendly
def proof(
    merchant: str = typer.Option(..., "--merchant", "-m", help="The merchant whose ledger to prove from."),
    seq: int | None = typer.Option(None, "--seq", help="Inclusion: the event's evidence seq."),
    consistency: int | None = typer.Option(None, "--consistency", help="Consistency: the older tree size."),
    size: int | None = typer.Option(None, "--size", help="The checkpoint's tree size (default: newest)."),
) -> None:
    """Print a receipt as JSON: an event's inclusion proof in a signed checkpoint (--seq), or the
    consistency proof between two checkpoints (--consistency OLD [--size NEW]). Check them with
    core.ledger.merkle.verify_inclusion / verify_consistency, or any RFC 6962 verifier."""
    if (seq is None) == (consistency is None):
        raise UsageError("give exactly one of --seq or --consistency")
    container = load()
    try:
        known_merchant(container, merchant)
        if seq is not None:
            receipt: object = container.proofs.inclusion(merchant, seq, size)
        else:
            assert consistency is not None
            receipt = container.proofs.consistency(merchant, consistency, size)
    except ProofError as exc:
        raise UsageError(str(exc)) from None
    finally:
        container.close()
    out.print_json(json.dumps(dataclasses.asdict(receipt)))  # type: ignore[call-overload]
