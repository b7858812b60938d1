"""``core/domain/bounded_json.py``: the same values as ``json.loads`` whether or not a document has
more opening brackets than the depth allowed (the depth pass runs only then), and the same limits
on nesting and number literals."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from core.domain import bounded_json
from core.domain.bounded_json import MAX_DEPTH, MAX_NUMBER_CHARS, UnsafeJsonError

SAMPLES = sorted((Path(__file__).parents[2] / "core" / "bench" / "samples").glob("*.json"))
BIG = "1" * MAX_NUMBER_CHARS  # the longest literal allowed: an integer far past 64 bits


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_vendor_samples_read_as_json_loads_reads_them(path: Path) -> None:
    raw = path.read_bytes()
    assert bounded_json.loads(raw) == json.loads(raw)


@pytest.mark.parametrize(
    "text",
    [
        f'{{"amount": {BIG}, "neg": -{BIG[:-1]}, "f": 1.5e-3, "z": -0}}',
        # A long run of digits inside a string is no number literal.
        '{"note": "' + "9" * (MAX_NUMBER_CHARS + 5) + '", "n": 12345678901234567890123}',
        "[" * MAX_DEPTH + "]" * MAX_DEPTH,
        # More brackets than the depth allowed, but side by side: the depth pass runs and passes.
        "[" + ",".join(["[1]"] * (MAX_DEPTH * 2)) + "]",
        '{"text": "[[[[{{{{"}',
    ],
)
def test_exact_values(text: str) -> None:
    value = bounded_json.loads(text)
    assert value == json.loads(text)
    assert json.dumps(value) == json.dumps(json.loads(text))  # ints stay ints, floats floats


def test_a_custom_float_parser_is_used_whether_or_not_the_depth_pass_runs() -> None:
    shallow = bounded_json.loads('{"x": 1.10}', parse_float=Decimal)
    bracketed = bounded_json.loads('{"x": 1.10, "l": [' + ",".join(["[]"] * 80) + "]}", parse_float=Decimal)
    assert shallow["x"] == bracketed["x"] == Decimal("1.10")
    assert isinstance(bracketed["x"], Decimal)


@pytest.mark.parametrize(
    "text",
    [
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        '{"amount": ' + "1" * (MAX_NUMBER_CHARS + 1) + "}",
        '{"amount": 1.' + "5" * MAX_NUMBER_CHARS + "}",
        '{"x": NaN}',
    ],
)
def test_the_limits_still_hold(text: str) -> None:
    with pytest.raises(UnsafeJsonError):
        bounded_json.loads(text)
    assert bounded_json.loads_object(text) is None
