"""``canary verify``, ``canary replay`` and ``canary health``: operating the evidence ledger."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from core.cli.context import known_merchant, load
from core.cli.errors import UsageError, fail, friendly
from core.ledger import receipt
from core.ledger.proofs import ProofError
from core.pipeline.sweeper import merchant_ids
from core.pipeline.workers import stage_alarms

out = Console()


def register(app: typer.Typer) -> None:
    app.command()(verify)
    app.command()(replay)
    app.command()(health)
    app.add_typer(proof_app, name="proof")


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
        alarms = stage_alarms(container.pipeline)
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


proof_app = typer.Typer(
    help="Evidence receipts: export one from the ledger, check one offline (docs/ledger.md).",
    no_args_is_help=True,
)


@proof_app.command("export")
@friendly
def proof_export(
    merchant: str = typer.Option(..., "--merchant", "-m", help="The merchant whose ledger to prove from."),
    event: int | None = typer.Option(
        None, "--event", help="The event's evidence seq; omit for a checkpoint only."
    ),
    size: int | None = typer.Option(None, "--size", help="The checkpoint's tree size (default: newest)."),
    consistency_from: int | None = typer.Option(
        None, "--consistency-from", help="Add a consistency proof from the checkpoint of this older size."
    ),
    out_path: Path | None = typer.Option(
        None, "--out", "-o", help="Write the receipt here (default: stdout)."
    ),
) -> None:
    """Write a self-contained receipt (canary-receipt/v1): the event's hash and chain link, its
    inclusion proof, the signed checkpoint it is under and the key that signed it. Check it anywhere,
    with no database, with `canary proof check`."""
    container = load()
    try:
        known_merchant(container, merchant)
        found = container.proofs.export(
            merchant, container.signer, seq=event, tree_size=size, consistency_from=consistency_from
        )
    except ProofError as exc:
        raise UsageError(str(exc)) from None
    finally:
        container.close()
    text = json.dumps(found, indent=2) + "\n"
    if out_path is None:
        typer.echo(text, nl=False)
        return
    out_path.write_text(text)
    what = f"event {event}" if event is not None else "checkpoint"
    out.print(f"wrote the receipt for {what} (tree size {found['checkpoint']['tree_size']}) to {out_path}")


@proof_app.command("check")
def proof_check(
    receipts: list[Path] = typer.Argument(
        ..., help="A receipt (or, with --consistency, the old and the new one)."
    ),
    raw: Path | None = typer.Option(
        None, "--raw", help="The event's raw payload bytes, to check they were the ones sealed."
    ),
    key: str | None = typer.Option(
        None, "--key", help="The merchant's published Ed25519 public key (base64, or a file holding it)."
    ),
    consistency: bool = typer.Option(
        False,
        "--consistency",
        help="Check that the new receipt's log extends the old one's: OLD.json NEW.json.",
    ),
) -> None:
    """Verify receipts offline, with no database and no Canary settings: the checkpoint's signature
    (against --key if given), the chain link, the inclusion proof, and with --raw the payload. Exits 0
    when everything verifies, 1 and names each failed step otherwise, 2 on a malformed receipt."""
    if consistency != (len(receipts) == 2) or len(receipts) > 2:
        raise fail("give one receipt, or --consistency with the old and the new receipt")
    try:
        loaded = [_read_receipt(p) for p in receipts]
        public = _key(key) if key is not None else None
        payload = raw.read_bytes() if raw is not None else None
        if consistency:
            result = receipt.check_consistency(loaded[0], loaded[1], key=public)
        else:
            result = receipt.check(loaded[0], raw=payload, key=public)
    except (receipt.ReceiptError, OSError) as exc:
        raise fail(str(exc)) from None
    for line in result.passed:
        out.print(f"[green]✓[/green] {line}")
    for line in result.failures:
        out.print(f"[red]✗ {line}[/red]")
    for line in result.warnings:
        out.print(f"[yellow]! {line}[/yellow]")
    if not result.ok:
        raise typer.Exit(1)
    out.print("[green]receipt verified[/green]")


def _read_receipt(path: Path) -> dict[str, object]:
    try:
        found = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise receipt.ReceiptError(
            f"{path}: not a readable JSON receipt ({exc.__class__.__name__})"
        ) from None
    if not isinstance(found, dict):
        raise receipt.ReceiptError(f"{path}: a receipt is a JSON object")
    return found


def _key(value: str) -> bytes:
    path = Path(value)
    text = path.read_text() if len(value) < 4096 and path.is_file() else value
    return receipt.decode_key(text)
