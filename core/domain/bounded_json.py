"""JSON from untrusted bytes with the hostile cases bounded: nesting depth and number size.

``json.loads`` on its own recurses once per nesting level (10,000 nested lists raise
``RecursionError``) and converts integer literals of any length (5,000 digits raise ``ValueError``
from Python's int-string limit, after quadratic work). Every parse of vendor or request bytes goes
through ``loads`` here, so both end as one ``UnsafeJsonError`` (a ``ValueError``) with a plain
message, and callers keep their ordinary "not valid JSON" handling.

The depth is measured before parsing, in linear time: strings are removed with a possessive
pattern (an unterminated string runs to the end instead of being retried at every quote), then
the running bracket count is taken over what is left. That pass is skipped when counting the
opening brackets already bounds the depth: it took three times as long as ``json.loads`` itself on
a Square webhook (docs/benchmarks.md, "Webhooks").
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from itertools import accumulate
from typing import Any

MAX_DEPTH = 64  # Square's deepest documents nest about 10 levels; Counterpoint's about 5
MAX_NUMBER_CHARS = 64  # a literal longer than this is no amount, quantity or id anyone sends

_STRINGS = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]++")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class UnsafeJsonError(ValueError):
    """The bytes may be JSON, but nested or sized beyond what any real payload needs."""


def depth(text: str) -> int:
    """The deepest bracket nesting outside strings (an upper bound for malformed text)."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _bounded(convert: Callable[[str], Any], max_chars: int) -> Callable[[str], Any]:
    def parse(literal: str) -> Any:
        if len(literal) > max_chars:
            raise UnsafeJsonError(f"a number literal has {len(literal)} characters (at most {max_chars})")
        return convert(literal)

    return parse


def _refuse_constant(name: str) -> Any:
    raise UnsafeJsonError(f"{name} is not a JSON value")


def loads(
    data: bytes | str,
    *,
    max_depth: int = MAX_DEPTH,
    max_number_chars: int = MAX_NUMBER_CHARS,
    parse_float: Callable[[str], Any] = float,
    encoding: str = "utf-8",
) -> Any:
    """Like ``json.loads``; raises ``UnicodeDecodeError``, ``json.JSONDecodeError`` or
    ``UnsafeJsonError`` — all ``ValueError`` — for anything it will not return."""
    text = data.decode(encoding) if isinstance(data, bytes | bytearray) else data
    # Nesting never exceeds the number of opening brackets, so most documents need no depth pass.
    if text.count("[") + text.count("{") > max_depth:
        found = depth(text)
        if found > max_depth:
            raise UnsafeJsonError(f"nested {found} levels deep (at most {max_depth})")
    return _decoder(max_number_chars, parse_float).decode(text)


@functools.lru_cache(maxsize=16)
def _decoder(max_number_chars: int, parse_float: Callable[[str], Any]) -> json.JSONDecoder:
    """One decoder per set of limits (what ``json.loads`` would build anew for every call)."""
    return json.JSONDecoder(
        parse_int=_bounded(int, max_number_chars),
        parse_float=_bounded(parse_float, max_number_chars),
        parse_constant=_refuse_constant,
    )


def loads_object(data: bytes | str, **limits: Any) -> dict[str, Any] | None:
    """The bytes as a JSON object, or None for anything else (invalid, unsafe, not an object)."""
    try:
        value = loads(data, **limits)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
