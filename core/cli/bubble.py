"""``canary bubble …``: score the stored device-hours (``run``), draw a device's week (``plot``), score
device-hours from a CSV, write a simulated device-hour world (docs/bubble.md)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from core.bubble import DEFAULT_THRESHOLDS, CalibrationError, calibrate, score
from core.bubble.csvio import CsvFormatError, iso, parse_hour, read_hours, write_hours, write_scores
from core.bubble.frame import InputError
from core.cli.context import known_merchant, load
from core.cli.customers import rebuild_app
from core.cli.errors import UsageError, friendly
from core.cli.progress import each, progress

if TYPE_CHECKING:
    from core.bubble.service.scoring import RunSummary

app = typer.Typer(
    help="Bubble: per-device anomaly detection — score stored device-hours or a CSV.", no_args_is_help=True
)
err = Console(stderr=True)


@rebuild_app.command("bubble")
@friendly
def rebuild_bubble(
    merchant: str | None = typer.Option(None, help="One merchant (default: every merchant)."),
) -> None:
    """Recompute every device-hour Bubble observes from the canonical transactions the ledger wrote;
    the rows are identical to what the live `bubble` consumer holds."""
    from core.bubble.service.observations import rebuild
    from core.pipeline.sweeper import merchant_ids

    container = load()
    try:
        targets = [known_merchant(container, merchant)] if merchant else merchant_ids(container.db)
        with progress() as bar:
            for merchant_id in each(bar, targets, "rebuilding device-hours of"):
                summary = rebuild(container.db, merchant_id)
                err.print(
                    f"[green]✓[/green] {merchant_id}: {summary.device_hours} device-hours from "
                    f"{summary.transactions} transactions ({summary.unattributed} without a device)"
                )
    finally:
        container.close()


@app.command("run")
@friendly
def run_command(
    merchant: str | None = typer.Option(None, help="One merchant (default: every merchant)."),
    calibrate_until: str | None = typer.Option(
        None,
        "--calibrate-until",
        help="ISO 8601 UTC time: the stored hours before it are a clean window that sets the "
        "thresholds (default: the built-in thresholds).",
    ),
) -> None:
    """Score the stored device-hours (what `canary worker bubble` observed) with the same model as
    `canary bubble score` and keep the scores, episodes and baseline revisions; a rerun gives the
    same rows."""
    from core.bubble.service.scoring import run
    from core.pipeline.sweeper import merchant_ids

    until = _until(calibrate_until)
    container = load()
    try:
        targets = [known_merchant(container, merchant)] if merchant else merchant_ids(container.db)
        for merchant_id in targets:
            try:
                summary = run(
                    container.db, merchant_id, until, publisher=container.bus, clock=container.clock
                )
            except (CalibrationError, InputError) as exc:
                raise UsageError(f"{merchant_id}: {exc}") from None
            err.print(
                f"[green]✓[/green] {merchant_id}: {summary.device_hours} device-hours, "
                f"{summary.store_hours} store-hours scored; {summary.device_episodes} device and "
                f"{summary.store_episodes} store episodes; thresholds {summary.thresholds}; "
                f"detections: {_signals(summary)}"
            )
    finally:
        container.close()


@app.command("plot")
@friendly
def plot_command(
    merchant: str = typer.Option(..., help="The merchant."),
    device: str = typer.Option(..., help="The device id, e.g. sq:device:D1 (the Devices page lists them)."),
    week: str = typer.Option(..., help="ISO week, e.g. 2026-W11 (Monday to Sunday, UTC)."),
    out: Path = typer.Option(..., "--out", help="Where to write the PNG."),
) -> None:
    """Draw one device's week from the last scoring run: per dimension the expected value with a band
    against what was observed, alerted hours marked, its episodes shaded."""
    from core.bubble.service.plot import PlotError, plot

    container = load()
    try:
        merchant_id = known_merchant(container, merchant)
        try:
            drawn = plot(container.db, merchant_id, device, week, out)
        except PlotError as exc:
            raise UsageError(str(exc)) from None
        except OSError as exc:
            raise UsageError(f"cannot write {out}: {exc.strerror}") from None
    finally:
        container.close()
    err.print(
        f"[green]✓[/green] {out}: {drawn.device_id} in {week}, {drawn.hours} device-hours "
        f"({drawn.alerted} alerted), {drawn.episodes} episodes shaded, {len(drawn.panels)} dimensions"
    )


def _signals(summary: RunSummary) -> str:
    s = summary.signals
    parts = [f"{s.written} written", f"{s.unchanged} unchanged", f"{s.superseded} superseded"]
    if s.suppressed:
        parts.append(f"{s.suppressed} allow-listed")
    if s.dry_run:
        parts.append(f"{s.dry_run} in dry run (not written)")
    parts.append(f"{summary.published} alerts published")
    return ", ".join(parts)


@app.command("score")
@friendly
def score_command(
    input_path: Path = typer.Option(..., "--input", help="Device-hours CSV (docs/bubble.md)."),
    output_path: Path = typer.Option(..., "--output", help="Where to write the scores CSV."),
    calibrate_until: str | None = typer.Option(
        None,
        "--calibrate-until",
        help="ISO 8601 UTC time: the hours before it are a clean window that sets the thresholds "
        "(default: the built-in thresholds).",
    ),
    episodes_path: Path | None = typer.Option(None, "--episodes", help="Also write the episodes as JSON."),
) -> None:
    """Score every device-hour with the same code as the live path: one row per input device-hour and
    one per store-hour (empty device_id), with score, alert, episode, top dimension and state."""
    until = _until(calibrate_until)
    try:
        with input_path.open(newline="", encoding="utf-8") as handle:
            hours = list(read_hours(handle))
    except OSError as exc:
        raise UsageError(f"cannot read {input_path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{input_path} is not UTF-8 text") from None
    except CsvFormatError as exc:
        raise UsageError(f"{input_path}: {exc}") from None
    try:
        thresholds = calibrate(hours, until) if until else DEFAULT_THRESHOLDS
        result = score(hours, thresholds)
    except (CalibrationError, InputError) as exc:
        raise UsageError(str(exc)) from None
    with output_path.open("w", newline="", encoding="utf-8") as out:
        write_scores(result, out)
    if episodes_path:
        episodes_path.write_text(json.dumps([_episode(e) for e in result.episodes], indent=2) + "\n")
    alerts = sum(d.alert for d in result.devices)
    err.print(
        f"{len(result.devices)} device-hours, {len(result.stores)} store-hours scored; {alerts} device-hours "
        f"alerted in {len(result.episodes)} episodes; thresholds {thresholds.source}"
    )


@app.command("simulate")
@friendly
def simulate_command(
    output_path: Path = typer.Option(..., "--out", help="Where to write the device-hours CSV."),
    labels_path: Path | None = typer.Option(None, "--labels", help="Also write the labels as JSON."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same world."),
    stores: int = typer.Option(10, "--stores", min=1, max=50, help="Stores of five devices each."),
    weeks: int = typer.Option(8, "--weeks", min=6, max=26, help="Weeks of trading (anomalies after week 4)."),
) -> None:
    """Write a labelled device-hour world (docs/simulator.md): weeks 1–4 clean, anomalies after."""
    from core.simulate.devices import device_world

    world = device_world(seed, stores=stores, weeks=weeks)
    with output_path.open("w", newline="", encoding="utf-8") as out:
        write_hours(world.hours, out)
    if labels_path:
        labels = [
            {
                **asdict(label),
                "start": iso(label.start),
                "end": iso(label.end),
                "hours": sorted([d, iso(h)] for d, h in label.hours),
            }
            for label in world.labels
        ]
        labels_path.write_text(json.dumps(labels, indent=2) + "\n")
    err.print(f"{len(world.hours)} device-hours; calibrate until {iso(world.calibration_end)}")


def _until(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_hour(text) if text.strip() else None
    except ValueError as exc:
        raise UsageError(f"--calibrate-until {text!r} is not an ISO 8601 UTC hour: {exc}") from None


def _episode(e) -> dict[str, object]:  # type: ignore[no-untyped-def]
    data = asdict(e)
    data["start"], data["end"] = iso(e.start), iso(e.end)
    return data
