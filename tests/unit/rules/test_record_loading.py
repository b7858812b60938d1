"""``core.rules.record_loading.build`` gives what ``model_validate`` gives, and refuses what it refuses."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from core.bench.rules import workload
from core.domain.records import Canonical
from core.domain.sales import LineItem, Transaction
from core.rules.facts import ENTITY_TYPES, BubbleEpisode, MixMatchGroup, PriceChange, _load
from core.rules.record_loading import _plan, build, collector_paused, loads_json

TXN: dict[str, Any] = {
    "version_key": "20260504T140905.402390Z|000000000001",
    "id": "cp:doc:S1-t0",
    "type": "SALE",
    "source": "COUNTERPOINT",
    "source_type": "POLLING",
    "external_id": "S1-t0",
    "location_id": "cp:location:1",
    "amount_cents": 8352,
    "occurred_at": "2026-05-04T14:09:04.402390Z",
    "committed_at": "2026-05-04T14:09:04+00:00",
}


def same(a: BaseModel, b: BaseModel) -> bool:
    return (
        type(a) is type(b)
        and a == b
        and a.__dict__ == b.__dict__
        and all(type(a.__dict__[k]) is type(b.__dict__[k]) for k in a.__dict__)
        and a.model_fields_set == b.model_fields_set
        and type(a.model_fields_set) is type(b.model_fields_set)
        and a.model_dump_json() == b.model_dump_json()
        and repr(a) == repr(b)
    )


def test_every_canonical_record_has_a_fast_path() -> None:
    canonical = [m for m in ENTITY_TYPES.values() if issubclass(m, Canonical)]
    assert len(canonical) > 15
    assert [m.__name__ for m in canonical if _plan(m) is None] == []


def test_a_model_with_nested_records_keeps_model_validate() -> None:
    raw = {
        "id": "e1",
        "scope": "device",
        "store_id": "L1",
        "start": "2026-01-02T03:00:00Z",
        "end": "2026-01-02T05:00:00Z",
        "hours": 2,
        "peak_score": 1.5,
        "channel": "hourly",
        "dimensions": [{"dimension": "voids", "share": 0.5, "expected": 1.0, "observed": 4.0, "unit": "n"}],
    }
    assert _plan(BubbleEpisode) is None
    assert same(build(BubbleEpisode, raw), BubbleEpisode.model_validate(raw))


def test_the_workload_builds_exactly_as_model_validate() -> None:
    checked = 0
    for event in workload(400, seed=3):
        for raw_key, raw in event.facts.items():
            model = ENTITY_TYPES.get(raw_key)
            if model is None or raw is None:
                continue
            for item in raw if isinstance(raw, list) else [raw]:
                assert same(build(model, item), model.model_validate(item)), (model, item)
                checked += 1
    assert checked > 1_000


@pytest.mark.parametrize(
    "change",
    [
        {},  # every field present (what model_dump writes)
        {"drop": ["amount_cents", "location_id"]},  # defaults filled in, fields_set smaller
        {"extra": 1},  # an unknown key is ignored
        {"amount_cents": True},  # pydantic's lax int accepts a bool: the fallback decides
        {"amount_cents": "12"},
        {"amount_cents": 12.0},
        {"occurred_at": "2026-05-04T10:09:04-04:00"},  # an offset: pydantic converts nothing, keeps it
        {"occurred_at": "2026-05-04T14:09:04.40Z"},
        {"occurred_at": "2026-05-04 14:09:04Z"},
        {"occurred_at": datetime(2026, 5, 4, tzinfo=UTC)},
        {"committed_at": None},
    ],
)
def test_variants_match_model_validate(change: dict[str, Any]) -> None:
    raw = {k: v for k, v in TXN.items() if k not in change.get("drop", [])}
    raw.update({k: v for k, v in change.items() if k != "drop"})
    assert same(build(Transaction, raw), Transaction.model_validate(raw))


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "x" * 161},  # past max_length
        {"id": None},  # not nullable
        {"occurred_at": "yesterday"},
        {"amount_cents": "twelve"},
        {"drop": ["occurred_at"]},  # required
    ],
)
def test_invalid_input_fails_as_model_validate_does(bad: dict[str, Any]) -> None:
    raw = {k: v for k, v in TXN.items() if k not in bad.get("drop", [])}
    raw.update({k: v for k, v in bad.items() if k != "drop"})
    with pytest.raises(ValidationError) as expected:
        Transaction.model_validate(raw)
    with pytest.raises(ValidationError) as got:
        build(Transaction, raw)
    assert got.value.errors() == expected.value.errors()


def test_floats_tuples_and_frozen_models() -> None:
    line = {"transaction_id": "t", "line_no": "1", "quantity": 2, "unit_price_cents": 100}
    assert same(build(LineItem, line), LineItem.model_validate(line))
    assert type(build(LineItem, line).quantity) is float
    group = {"code": "MM1", "item_ids": ["a", "b"]}
    assert same(_load(MixMatchGroup, group), MixMatchGroup.model_validate(group))
    change = {"item_id": "i", "new_price_cents": 5, "occurred_at": "2026-01-02T03:04:05Z"}
    built = _load(PriceChange, change)
    assert same(built, PriceChange.model_validate(change))
    with pytest.raises(ValidationError):
        built.item_id = "other"  # still frozen


def test_loads_json_reads_what_the_standard_library_reads() -> None:
    assert loads_json('{"a": [1, 2.5, null]}') == {"a": [1, 2.5, None]}
    assert loads_json('{"n": 123456789012345678901234567890}') == {"n": 123456789012345678901234567890}
    assert loads_json(None) is None


def test_collector_paused_nests_and_restores() -> None:
    was = gc.isenabled()
    gc.enable()
    try:
        with collector_paused():
            assert not gc.isenabled()
            with collector_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert gc.isenabled()
        gc.disable()
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()
