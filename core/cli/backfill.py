"""``canary backfill square|counterpoint``: polling windows and batch files, through the same
inbox → seal → parse path as webhooks. In embedded mode the stages run here until the queue drains."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console

from core.adapters.counterpoint.client import CounterpointHttpApi
from core.adapters.counterpoint.polling import PollWindow
from core.adapters.square.api import SquareApiError
from core.adapters.square.client import SquareHttpApi
from core.bootstrap import Container
from core.cli.context import known_merchant, load
from core.cli.errors import UsageError, friendly
from core.cli.progress import counted, drain_stages, progress
from core.ingest.backfill import (
    ImportResult,
    accept_all,
    counterpoint_directory,
    counterpoint_polled,
    square_file,
    square_polled,
)
from core.ingest.inbox import IncomingEvent

app = typer.Typer(
    help="Import history: Square polling and webhook files, Counterpoint exports and API.",
    no_args_is_help=True,
)
out = Console()


def _window(begin: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    if begin is None or end is None:
        raise UsageError("a polling window needs both --begin and --end (ISO 8601, UTC)")
    start, stop = (t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC) for t in (begin, end))
    if start >= stop:
        raise UsageError("--begin must be before --end")
    return start, stop


def _import(container: Container, events: Iterable[IncomingEvent]) -> ImportResult:
    """Accept every event, then (embedded: the in-process bus lives in this process) run the stages
    over what was accepted; progress on stderr when it is a terminal."""
    with progress() as bar:
        result = accept_all(container.inbox, counted(bar, events, "events → inbox"))
        if container.settings.is_embedded:
            drain_stages(container, bar)
    return result


def _finish(result: ImportResult) -> None:
    out.print(f"[green]✓[/green] accepted {result.accepted}, duplicates {result.duplicates}")


@app.command()
@friendly
def square(
    merchant: str = typer.Option(..., "--merchant", "-m", help="Canary merchant id."),
    file: Path | None = typer.Option(
        None,
        "--file",
        exists=True,
        dir_okay=False,
        help="A stored file, one JSON object per line (imported as BATCH): webhook bodies as Square "
        'sent them, or Square API objects ({"order": …}, {"orders": […]}, {"payment": …}, '
        '{"refund": …}, {"cash_drawer_shift": …, "cash_drawer_shift_events": […]}). With an '
        "access token, the order each payment or refund names is fetched too.",
    ),
    begin: datetime | None = typer.Option(None, help="Window start (polling)."),
    end: datetime | None = typer.Option(None, help="Window end, exclusive (polling)."),
    location: list[str] = typer.Option([], help="Square location id to poll (repeatable)."),
    access_token: str | None = typer.Option(
        None,
        envvar="CANARY_SQUARE_ACCESS_TOKEN",
        help="Square access token (polling; order look-ups for --file).",
    ),
) -> None:
    """Pull payments, refunds, orders and cash drawer shifts (with their events) over a time window,
    or import a stored file with --file (docs/pipeline.md, "Backfill from a Square file")."""
    container = load()
    try:
        known_merchant(container, merchant)
        api = (
            SquareHttpApi.connect(
                access_token,
                container.settings.square_api_version,
                base_url=container.settings.square_api_base_url,
            )
            if access_token
            else None
        )
        try:
            if file is not None:
                events = square_file(merchant, file, fetched_at=container.clock.now(), orders=api)
                result = _import(container, events)
            else:
                start, stop = _window(begin, end)
                if not location:
                    raise UsageError("polling needs at least one --location")
                if api is None:
                    raise UsageError("polling needs --access-token or CANARY_SQUARE_ACCESS_TOKEN")
                result = _import(container, square_polled(merchant, api, location, start, stop))
        except SquareApiError as exc:
            raise UsageError(f"{exc} (what was accepted before it stays; run the import again)") from None
        _finish(result)
    finally:
        container.close()


@app.command()
@friendly
def counterpoint(
    merchant: str = typer.Option(..., "--merchant", "-m", help="Canary merchant id."),
    directory: Path | None = typer.Option(
        None,
        "--dir",
        exists=True,
        file_okay=False,
        help="Document JSON files and *.jsonl history/inventory exports.",
    ),
    begin: datetime | None = typer.Option(None, help="RS_UTC_DT window start (polling)."),
    end: datetime | None = typer.Option(None, help="RS_UTC_DT window end (polling)."),
    base_url: str | None = typer.Option(None, envvar="CANARY_COUNTERPOINT_URL", help="Counterpoint API URL."),
    company: str | None = typer.Option(None, envvar="CANARY_COUNTERPOINT_COMPANY", help="Company alias."),
    user: str | None = typer.Option(None, envvar="CANARY_COUNTERPOINT_USER"),
    password: str | None = typer.Option(None, envvar="CANARY_COUNTERPOINT_PASSWORD"),
    api_key: str | None = typer.Option(None, envvar="CANARY_COUNTERPOINT_API_KEY"),
    store: list[str] = typer.Option([], help="STR_ID to poll (repeatable)."),
) -> None:
    """Import a directory of Counterpoint documents and exports (BATCH), or poll the API (POLLING)."""
    container = load()
    try:
        known_merchant(container, merchant)
        if directory is not None:
            result = _import(container, counterpoint_directory(merchant, directory))
        else:
            start, stop = _window(begin, end)
            if not all((base_url, company, user, password, api_key)):
                raise UsageError("polling needs --base-url, --company, --user, --password and --api-key")
            import httpx

            api = CounterpointHttpApi(
                base_url or "",
                company or "",
                user or "",
                password or "",
                api_key or "",
                httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0)),
            )
            window = PollWindow(start=start, end=stop, store_ids=tuple(store))
            result = _import(container, counterpoint_polled(merchant, api, window))
        _finish(result)
    finally:
        container.close()
