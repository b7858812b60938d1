"""Progress on long work (rich): on stderr, and only when stderr is a terminal, so a pipe, a log file
or a test sees exactly the command's own output. ``simulate``, ``backfill`` and ``rebuild`` use it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from core.bootstrap import Container
from core.pipeline.workers import STAGE_NAMES, drain

T = TypeVar("T")


def progress(console: Console | None = None) -> Progress:
    """A progress display on ``console`` (default: stderr), disabled unless it is a terminal."""
    console = console or Console(stderr=True)
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )


def counted(bar: Progress, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """``items`` unchanged, advancing a task per item (a count with no bar when ``total`` is None)."""
    task = bar.add_task(description, total=total)
    done = 0
    for item in items:
        yield item
        done += 1
        bar.advance(task)
    bar.update(task, total=done, completed=done)


def each(bar: Progress, items: Sequence[T], verb: str) -> Iterator[T]:
    """``items`` one by one, the task naming the one being worked on (``rebuild`` per merchant)."""
    task = bar.add_task(verb, total=len(items))
    for item in items:
        bar.update(task, description=f"{verb} {item}")
        yield item
        bar.advance(task)
    bar.update(task, description=verb)


def drain_stages(container: Container, bar: Progress) -> None:
    """``drain`` one stage at a time, each until idle, so the task shows where the time goes (the
    stages are chained); then a full ``drain``, which finds nothing left unless a later stage fed an
    earlier one, and does the housekeeping."""
    task = bar.add_task("stages", total=len(STAGE_NAMES))
    for name in STAGE_NAMES:
        bar.update(task, description=f"stage: {name}")
        drain(container.pipeline, (name,))
        bar.advance(task)
    bar.update(task, description="stages: " + " → ".join(STAGE_NAMES))
    drain(container.pipeline)
