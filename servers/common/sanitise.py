"""Untrusted strings on their way to an LLM: payload text, notes, names, reasons.

Retail data is typed by cashiers and customers, so a refund reason can carry control characters,
terminal escapes, invisible or direction-reversing characters (which make text read differently than
it is), or simply be very long. ``clean`` removes the first three and bounds the length; it does not
try to detect "instructions" in text, which no filter can do reliably: tool descriptions tell the
model that these fields are data.

The sanitiser is applied by type. ``safe_model(Result)`` derives, from a core result model, the model
a tool returns: every ``str`` becomes ``SafeStr``, every free-form value (``dict``, ``Any``) is
scrubbed, nested models are derived the same way, and only fields typed ``core.text.Id`` or
``core.text.OurText`` pass verbatim. ``unsafe_fields`` finds any text a model would let through
uncleaned; ``tests/unit/servers/test_sanitise.py`` runs it over every tool's return type.
"""

from __future__ import annotations

import functools
import operator
import re
import types
import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, create_model

from core.text import Verbatim

MAX_TEXT = 500
MAX_KEY = 100
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
# Zero-width characters, bidi embeddings/overrides/isolates, the BOM, and interlinear annotations.
_INVISIBLE = dict.fromkeys(
    [*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0xFEFF, *range(0xFFF9, 0xFFFC)]
)
M = TypeVar("M", bound=BaseModel)


def clean(text: str, max_len: int = MAX_TEXT) -> str:
    text = _ESCAPES.sub("", text).translate(_INVISIBLE)
    text = "".join(
        ch if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs") else " " for ch in text
    )
    text = unicodedata.normalize("NFC", text).strip()
    if len(text) > max_len:
        text = text[: max_len - 1].rstrip() + "…"
    return text


def scrub(value: Any) -> Any:
    """Every string inside a JSON-like value cleaned, keys included (a vendor payload's keys are data)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Mapping):
        return {clean(str(k), MAX_KEY): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


_CLEAN = AfterValidator(clean)
_SCRUB = AfterValidator(scrub)
SafeStr = Annotated[str, _CLEAN]
"""A result field holding untrusted text: cleaned whenever a result model is built."""


def _cleans(meta: Any) -> bool:
    return isinstance(meta, Verbatim) or (isinstance(meta, AfterValidator) and meta.func in (clean, scrub))


def _safe_type(tp: Any) -> Any:
    """``tp`` with every untrusted text in it cleaned on validation."""
    if tp is str:
        return SafeStr
    if tp is Any:
        return Annotated[Any, _SCRUB]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return safe_model(tp)
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        inner, *meta = args
        if any(_cleans(m) for m in meta):
            return tp
        return Annotated[(_safe_type(inner), *meta)]
    if origin in (Union, types.UnionType):
        return functools.reduce(operator.or_, [_safe_type(a) for a in args])
    if origin is list:
        return list[_safe_type(args[0])]  # type: ignore[misc]
    if origin is dict:
        return Annotated[tp, _SCRUB]
    return tp


@functools.cache
def safe_model(model: type[M]) -> type[M]:
    """The tool-facing twin of a core result model: same name, fields, descriptions and JSON schema,
    with every field not typed ``Id``/``OurText`` cleaned when the model is built."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if any(_cleans(m) for m in info.metadata):
            continue
        safe = _safe_type(info.annotation)
        if safe is not info.annotation:
            fields[name] = (safe, info)
    derived = create_model(model.__name__, __base__=model, __module__=model.__module__, **fields)
    derived.__doc__ = model.__doc__
    return derived


def safe(result: M) -> M:
    """A core result as its tool will return it: re-validated as ``safe_model(type(result))``."""
    cleaned: M = safe_model(type(result)).model_validate(result.model_dump())
    return cleaned


def unsafe_fields(tp: Any, _seen: frozenset[type] = frozenset()) -> list[str]:
    """Where ``tp`` would let text through uncleaned (``Model.field`` paths); [] when nowhere."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if tp in _seen:
            return []
        found: list[str] = []
        for name, info in tp.model_fields.items():
            if any(_cleans(m) for m in info.metadata):
                continue
            for path in _unsafe(info.annotation, _seen | {tp}):
                where = f"{tp.__name__}.{name}{'.' + path if path else ''}"
                if where not in found:
                    found.append(where)
        return found
    return _unsafe(tp, _seen)


def _unsafe(tp: Any, seen: frozenset[type]) -> list[str]:
    if tp is str or tp is Any:
        return [""]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return unsafe_fields(tp, seen)
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        inner, *meta = args
        return [] if any(_cleans(m) for m in meta) else _unsafe(inner, seen)
    return [p for a in args for p in _unsafe(a, seen)]
