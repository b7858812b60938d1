"""``canary demo``: the embedded end-to-end run. A fresh SQLite database and the in-process bus; the
feed's webhooks go through the real ingress (signed HTTP into the ASGI app), drawers through the
polling path, Counterpoint through the batch path; every stage runs; every chain is verified."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func
from sqlmodel import select
from starlette.testclient import TestClient

from core.bootstrap import Container, bootstrap
from core.db.tables.customers import Customer
from core.db.tables.ledger import Checkpoint, EvidenceRecord, IngestionLogEntry
from core.db.tables.sales import DrawerShiftRow, TransactionRow
from core.demo.feed import Feed
from core.ingest.backfill import ImportResult, accept_all, square_polled
from core.ingest.inbox import IncomingEvent
from core.pipeline.workers import drain
from core.settings import Settings
from core.tenancy import onboard_merchant
from core.web.app import create_app


@dataclass
class DemoSummary:
    merchant_id: str
    delivered: int = 0
    answers: dict[int, int] = field(default_factory=dict)
    polled: ImportResult = field(default_factory=ImportResult)
    batch: ImportResult = field(default_factory=ImportResult)
    sealed: int = 0
    checkpoints: int = 0
    verified: bool = False
    problems: list[str] = field(default_factory=list)
    ingestion: dict[str, int] = field(default_factory=dict)
    transactions: dict[str, int] = field(default_factory=dict)
    drawer_shifts: int = 0
    customers: int = 0
    seconds: float = 0.0


def demo_settings(var_dir: Path) -> Settings:
    """Always embedded, always fresh: a demo must not touch a real database or an earlier run."""
    if var_dir.exists():
        shutil.rmtree(var_dir)
    return Settings(
        database_url=SecretStr(f"sqlite:///{var_dir / 'canary.db'}"),
        redis_url=None,
        var_dir=var_dir,
        worker_block_ms=0,
    )


def run_demo(feed: Feed, var_dir: Path, console: Console) -> DemoSummary:
    started = time.monotonic()
    container = bootstrap(demo_settings(var_dir), fetcher_factory=lambda _s, _m, _l: feed.square_api)
    try:
        summary = DemoSummary(feed.merchant.merchant_id)
        _onboard(container, feed)
        with Progress(console=console, transient=False) as progress:
            _deliver(container, feed, summary, progress)
            _poll_and_batch(container, feed, summary)
            task = progress.add_task("sealing, parsing", total=None)
            drain(container)
            progress.update(task, total=1, completed=1)
        report = container.verifier.verify(feed.merchant.merchant_id)
        summary.verified, summary.problems = report.ok, report.problems
        _count(container, summary)
    finally:
        container.close()
    summary.seconds = time.monotonic() - started
    return summary


def _onboard(container: Container, feed: Feed) -> None:
    m = feed.merchant
    onboard_merchant(
        container.db,
        container.keyring,
        merchant_id=m.merchant_id,
        name=m.name,
        square_merchant_id=m.square_merchant_id,
        square_notification_url=m.notification_url,
        square_signature_key=m.signature_key,
        stores=m.stores,
    )


def _deliver(container: Container, feed: Feed, summary: DemoSummary, progress: Progress) -> None:
    task = progress.add_task("webhooks → ingress", total=len(feed.webhooks))
    with TestClient(create_app(container)) as client:
        for delivery in feed.webhooks:
            status = client.post(delivery.path, content=delivery.body, headers=delivery.headers).status_code
            summary.answers[status] = summary.answers.get(status, 0) + 1
            summary.delivered += 1
            progress.advance(task)


def _poll_and_batch(container: Container, feed: Feed, summary: DemoSummary) -> None:
    m = feed.merchant.merchant_id
    if feed.square_api is not None and feed.poll_begin and feed.poll_end:
        summary.polled = accept_all(
            container.inbox,
            square_polled(m, feed.square_api, feed.square_locations, feed.poll_begin, feed.poll_end),
        )
    summary.batch = accept_all(
        container.inbox,
        (
            IncomingEvent(
                merchant_id=m, source="COUNTERPOINT", source_type="BATCH", raw=raw, source_event_id=unit_id
            )
            for unit_id, raw in feed.counterpoint_units
        ),
    )


def _count(container: Container, summary: DemoSummary) -> None:
    m = summary.merchant_id
    with container.db.tenant(m) as s:
        summary.sealed = s.exec(select(func.count()).where(EvidenceRecord.merchant_id == m)).one()
        summary.checkpoints = s.exec(select(func.count()).where(Checkpoint.merchant_id == m)).one()
        summary.ingestion = dict(
            s.exec(
                select(IngestionLogEntry.status, func.count())
                .where(IngestionLogEntry.merchant_id == m)
                .group_by(IngestionLogEntry.status)
            ).all()
        )
        summary.transactions = dict(
            s.exec(
                select(TransactionRow.type, func.count())
                .where(TransactionRow.merchant_id == m)
                .group_by(TransactionRow.type)
            ).all()
        )
        summary.drawer_shifts = s.exec(select(func.count()).where(DrawerShiftRow.merchant_id == m)).one()
        summary.customers = s.exec(select(func.count()).where(Customer.merchant_id == m)).one()


def render(summary: DemoSummary, console: Console) -> None:
    table = Table("", "", title=f"Canary demo — merchant {summary.merchant_id}", show_header=False)
    table.add_row(
        "webhooks delivered",
        f"{summary.delivered} ({', '.join(f'{k}: {v}' for k, v in sorted(summary.answers.items()))})",
    )
    table.add_row("polled (Square drawers)", f"{summary.polled.accepted} accepted")
    table.add_row("batch (Counterpoint)", f"{summary.batch.accepted} accepted")
    table.add_row("events sealed", str(summary.sealed))
    table.add_row("checkpoints signed", str(summary.checkpoints))
    table.add_row(
        "chain + checkpoints",
        "[green]verified[/green]" if summary.verified else f"[red]FAILED: {summary.problems[:1]}[/red]",
    )
    table.add_row("parse outcomes", ", ".join(f"{k} {v}" for k, v in sorted(summary.ingestion.items())))
    table.add_row("transactions", ", ".join(f"{k} {v}" for k, v in sorted(summary.transactions.items())))
    table.add_row("cash drawer shifts", str(summary.drawer_shifts))
    table.add_row("customers", str(summary.customers))
    table.add_row("time", f"{summary.seconds:.1f} s")
    console.print(table)
