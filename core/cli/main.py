"""``canary``: the command line. Each group of sub-commands lives in its own module."""

from __future__ import annotations

import logging
import sys

import typer

from core.cli import (
    agents,
    backfill,
    bench,
    bubble,
    customers,
    db,
    demo,
    detections,
    fox,
    ingest,
    ledger,
    mcp,
    merchant,
    rules,
    run,
    simulate,
    tokens,
)

app = typer.Typer(
    name="canary",
    help="Canary: loss prevention for independent retailers on Square and NCR Counterpoint.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(merchant.app, name="merchant")
app.add_typer(backfill.app, name="backfill")
app.add_typer(tokens.app, name="token")
app.add_typer(rules.app, name="rules")
app.add_typer(bubble.app, name="bubble")
app.add_typer(detections.app, name="detections")
app.add_typer(ingest.app, name="ingest")
for module in (run, ledger, demo, simulate, bench, customers, mcp, agents, fox):
    module.register(app)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at DEBUG level.")) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
