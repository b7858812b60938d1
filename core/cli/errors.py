"""Known failures (bad URL, service down, bad settings) become one line on stderr and exit code 2."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from core.bootstrap import ConfigurationError
from core.bus.port import BusError
from core.db.engine import StorageUnavailableError

F = TypeVar("F", bound=Callable[..., Any])
err = Console(stderr=True)


class UsageError(Exception):
    """A command was given arguments that cannot work together; the message says what to change."""


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def friendly(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (StorageUnavailableError, BusError, ConfigurationError, UsageError) as exc:
            raise fail(str(exc)) from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "settings"
            raise fail(f"CANARY_{where.upper()}: {first['msg']}") from None

    return wrapper  # type: ignore[return-value]
