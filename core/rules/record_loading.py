"""Canonical records built from their own JSON dumps without the per-record cost of full validation.

Rules read records that Canary itself wrote: the parse stage dumps them into a detection event's
facts, the chirp consumer journals those facts, and backtests load them back (180,000 events for a
month of a ten-store merchant, each with several records). Through ``model_validate`` a record costs
~15 µs, most of it SQLModel's Python wrapper around pydantic, which made loading the journal the
larger part of a backtest.

``build(model, raw)`` gives the same instance ``model.model_validate(raw)`` gives (same field values
and types, same ``model_fields_set``) when every value already has the exact type its field declares:
``str`` within its ``max_length``, ``int``, ``float`` (an ``int`` is widened, as pydantic does),
``bool``, ``None`` where the field allows it, a UTC timestamp written ``…Z`` or ``…+00:00`` for a
``datetime``, a list of ``str`` for a ``tuple[str, ...]``. Anything else (a missing required field,
a number as text, a naive or offset time, a string too long, an unknown annotation) goes through
``model_validate`` unchanged, so malformed input fails exactly as before.
"""

from __future__ import annotations

import gc
import json
import threading
import types
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from annotated_types import MaxLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined, TzInfo

M = TypeVar("M", bound=BaseModel)

_UTC = TzInfo(0)  # what pydantic puts on a parsed "…Z" time
_MISSING = object()


class _Fallback(Exception):
    """A value the fast path does not take: validate the record the ordinary way."""


_TIMES: dict[str, datetime] = {}  # a record's times repeat (occurred, committed): parse each once


def _when(value: str) -> datetime:
    held = _TIMES.get(value)
    if held is not None:
        return held
    # Only the shapes Canary writes: "YYYY-MM-DDTHH:MM:SS[.ffffff]" + "Z" or "+00:00".
    if value.endswith("Z"):
        body = value[:-1]
    elif value.endswith("+00:00"):
        body = value[:-6]
    else:
        raise _Fallback
    if len(body) not in (19, 26) or body[10] != "T":
        raise _Fallback
    try:
        parsed = datetime.fromisoformat(body)
    except ValueError:
        raise _Fallback from None
    if len(_TIMES) >= 4_096:
        _TIMES.clear()
    held = _TIMES[value] = parsed.replace(tzinfo=_UTC)
    return held


def _texts(value: Any) -> tuple[str, ...]:
    if any(type(v) is not str for v in value):
        raise _Fallback
    return tuple(value)


# How a present, non-null value of each known type is checked (and converted), in ``{v}``.
_CHECKS = {
    str: "if {v}.__class__ is not _str{limit}: raise _Fallback",
    int: "if {v}.__class__ is not _int: raise _Fallback",
    bool: "if {v}.__class__ is not _bool: raise _Fallback",
    float: (
        "if {v}.__class__ is not _float:\n    if {v}.__class__ is _int: {v} = _float({v})\n"
        "    else: raise _Fallback"
    ),
    datetime: "if {v}.__class__ is not _str: raise _Fallback\n{v} = _when({v})",
    tuple: (
        "if {v}.__class__ is not _list and {v}.__class__ is not _tuple: raise _Fallback\n{v} = _texts({v})"
    ),
}


def _declared(info: FieldInfo) -> tuple[type, bool, int | None] | None:
    """(the value type, whether None is allowed, its max_length), or None when the field's
    declaration is not one the fast path knows (then the whole model keeps ``model_validate``)."""
    annotation, nullable = info.annotation, False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1 or len(args) == len(typing.get_args(annotation)):
            return None
        annotation, nullable = args[0], True
    if typing.get_origin(annotation) is tuple:
        if typing.get_args(annotation) != (str, Ellipsis):
            return None
        annotation = tuple
    limits = [m.max_length for m in info.metadata if isinstance(m, MaxLen)]
    if any(not isinstance(m, MaxLen) and type(m).__name__ != "FieldInfoMetadata" for m in info.metadata):
        return None  # a constraint other than a length: leave it to pydantic
    if annotation not in _CHECKS or (limits and annotation is not str):
        return None
    if info.alias is not None or info.validation_alias is not None:
        return None
    return annotation, nullable, (limits[0] if limits else None)


def _check(kind: type, nullable: bool, limit: int | None, var: str, indent: str) -> str:
    """Lines that check (and convert) the value in ``var``, known to be present."""
    body = _CHECKS[kind].format(v=var, limit=f" or len({var}) > {limit}" if limit is not None else "")
    body = body.replace("\n", "\n" + indent + ("    " if nullable else ""))
    if nullable:
        return f"{indent}if {var} is not None:\n{indent}    {body}\n"
    return f"{indent}{body}\n"


def _compile(model: type[BaseModel]) -> Callable[[dict[str, Any]], BaseModel] | None:
    """A function that builds ``model`` from a dict, checking each field inline (generated once per
    model, as ``dataclasses`` generates ``__init__``), or None when a field is not one it knows.

    Its fast path is a dict with exactly the model's fields (what ``model_dump`` writes): every value
    read by key, checked, and the record's ``__dict__`` built in one literal. Otherwise (a field
    missing, an extra key) each field is looked up and defaulted one by one."""
    fields = list(model.model_fields.items())
    declared = [_declared(info) for _name, info in fields]
    if any(d is None for d in declared):
        return None
    namespace: dict[str, Any] = {
        "_MISSING": _MISSING,
        "_Fallback": _Fallback,
        "_when": _when,
        "_texts": _texts,
        "_new": object.__new__,
        "_set": object.__setattr__,
        "_str": str,
        "_int": int,
        "_bool": bool,
        "_float": float,
        "_list": list,
        "_tuple": tuple,
        "_KeyError": KeyError,
        "model": model,
        "names": frozenset(model.model_fields),
    }
    full = ["def build(raw):\n", f"    if len(raw) == {len(fields)}:\n", "        try:\n"]
    full += [f"            v{i} = raw[{name!r}]\n" for i, (name, _info) in enumerate(fields)]
    full += ["        except _KeyError:\n", "            pass\n", "        else:\n"]
    partial = ["    get = raw.get\n", "    values = {}\n"]
    for i, ((name, info), found) in enumerate(zip(fields, declared, strict=True)):
        kind, nullable, limit = found  # type: ignore[misc]
        namespace[f"default_{i}"] = info.default
        namespace[f"factory_{i}"] = info.default_factory
        full.append(_check(kind, nullable, limit, f"v{i}", "            "))
        if info.default_factory is not None:
            missing = f"v = factory_{i}()"
        elif info.default is PydanticUndefined:
            missing = "raise _Fallback"
        else:
            missing = f"v = default_{i}"
        partial += [
            f"    v = get({name!r}, _MISSING)\n",
            f"    if v is _MISSING:\n        {missing}\n",
            "    else:\n",
            _check(kind, nullable, limit, "v", "        "),
            f"    values[{name!r}] = v\n",
        ]
    literal = ", ".join(f"{name!r}: v{i}" for i, (name, _info) in enumerate(fields))
    full += [
        "            record = _new(model)\n",
        f"            _set(record, '__dict__', {{{literal}}})\n",
        "            _set(record, '__pydantic_fields_set__', set(names))\n",
        "            _set(record, '__pydantic_extra__', None)\n",
        "            _set(record, '__pydantic_private__', None)\n",
        "            return record\n",
    ]
    partial += [
        "    record = _new(model)\n",
        "    _set(record, '__dict__', values)\n",
        "    _set(record, '__pydantic_fields_set__', raw.keys() & names)\n",
        "    _set(record, '__pydantic_extra__', None)\n",
        "    _set(record, '__pydantic_private__', None)\n",
        "    return record\n",
    ]
    exec("".join(full + partial), namespace)  # noqa: S102 - source built above from the model's own fields
    return namespace["build"]  # type: ignore[no-any-return]


# Configuration that does not change how a value is validated (``frozen`` only forbids assignment).
_PLAIN_CONFIG = frozenset({"from_attributes", "registry", "frozen", "extra", "title"})

_PLANS: dict[type[BaseModel], Callable[[dict[str, Any]], BaseModel] | None] = {}


def _plan(model: type[BaseModel]) -> Callable[[dict[str, Any]], BaseModel] | None:
    try:
        return _PLANS[model]
    except KeyError:
        pass
    decorators = model.__pydantic_decorators__
    known = (
        not decorators.field_validators
        and not decorators.model_validators
        and not decorators.validators
        and not decorators.root_validators
        and not model.__private_attributes__
        and not model.__pydantic_root_model__
        and set(model.model_config) <= _PLAIN_CONFIG
        and model.model_config.get("extra") in (None, "ignore")
        and not getattr(model, "__sqlmodel_relationships__", None)
    )
    plan = _compile(model) if known else None
    _PLANS[model] = plan
    return plan


def build(model: type[M], raw: Any) -> M:
    """``model.model_validate(raw)``, without its per-record overhead when ``raw`` is well-typed."""
    if isinstance(raw, model):
        return raw
    plan = _plan(model)
    if plan is not None and type(raw) is dict:
        try:
            return plan(raw)  # type: ignore[return-value]
        except _Fallback:
            pass
    return model.model_validate(raw)


def loads_json(text: str | bytes | None) -> Any:
    """Stored JSON text decoded here rather than by the driver (one call per row, no per-row type
    lookups). orjson was measured and left out: ~1.6× faster on a journal row, but it reads an
    integer past 64 bits as a float, which the standard library does not."""
    return None if text is None else json.loads(text)


_PAUSE_LOCK = threading.Lock()
_pauses = 0
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a bulk load or replay runs, back as it was after.

    Loading a month of journal builds over a million records that all survive, and each of the
    collector's full passes walks every one of them again: measured, that was more than half of a
    backtest's load (docs/benchmarks.md). The records hold no reference cycles (refcounting frees
    what a rule drops either way), so pausing the collector only defers it. Nested and concurrent
    pauses count: the collector comes back when the last one ends, and only if it was on before."""
    global _pauses, _resume
    with _PAUSE_LOCK:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()
