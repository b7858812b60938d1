"""Identifiers as the vendor writes them: a Counterpoint customer number is a number (``6008``), and
clients pass it as one. An identifier argument takes an integer as its decimal digits, so
``customer=6008`` means ``customer="6008"`` instead of being refused as "not a valid string"."""

from __future__ import annotations

from typing import Any

from pydantic import BeforeValidator


def _digits(value: Any) -> Any:
    # bool is an int in Python, but True is no customer number: leave it for the str check to refuse.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


AsWritten = BeforeValidator(_digits)
