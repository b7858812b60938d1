"""A seal or parse batch that spans merchants is one transaction, each merchant under its own tenant
binding (and, for seal, its own chain lock); when any merchant's part fails, nothing of the batch is
kept and it is done again merchant by merchant, so only the merchant at fault fails and every other
merchant's events are sealed (or parsed) and published exactly once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, func, select
from starlette.testclient import TestClient

from core.bootstrap import Container
from core.bus.port import EVENTS, PARSED_EVENTS, SEALED, Message
from core.db.tables.ledger import EvidenceRecord, IngestionLogEntry
from core.ledger.chain import chain_link, genesis_hash
from core.pipeline import parse as parse_module
from core.pipeline import seal as seal_module
from core.pipeline.ingestion_log import record_outcomes
from core.security.crypto import decrypt_payload
from tests.support.pipeline import new_merchant, post, webhook

Canary = tuple[Container, TestClient]


class Crash(Exception):
    pass


def _accept(canary: Canary, merchants: int, events: int) -> list[str]:
    container, client = canary
    made = []
    for _ in range(merchants):
        merchant, url = new_merchant(container)
        for _ in range(events):
            assert post(client, url, webhook("payment.created")).status_code == 200
        made.append(merchant)
    return made


def _take(container: Container, stream: str, group: str) -> list[Message]:
    container.bus.ensure_group(stream, group)
    return container.bus.read(stream, group, "test", count=10_000, block_ms=0)


def _chain(container: Container, merchant: str) -> list[tuple[int, bytes, bytes, bytes]]:
    with container.db.tenant(merchant) as s:
        rows = s.exec(
            select(
                EvidenceRecord.seq,
                EvidenceRecord.event_hash,
                EvidenceRecord.prev_chain_hash,
                EvidenceRecord.chain_hash,
            )
            .where(EvidenceRecord.merchant_id == merchant)
            .order_by(col(EvidenceRecord.seq))
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _assert_chain(container: Container, merchant: str, length: int) -> None:
    chain = _chain(container, merchant)
    assert [seq for seq, *_ in chain] == list(range(1, length + 1))
    prev = genesis_hash(merchant)
    for _seq, event_hash, prev_hash, link in chain:
        assert prev_hash == prev
        assert link == chain_link(prev, event_hash)
        prev = link


def _logged(container: Container, merchant: str) -> int:
    with container.db.tenant(merchant) as s:
        return s.exec(
            select(func.count()).where(
                IngestionLogEntry.merchant_id == merchant, IngestionLogEntry.status == "parsed"
            )
        ).one()


def _one_at_a_time(*_args: Any) -> Any:
    raise AssertionError("the batch went merchant by merchant")


def test_one_batch_of_several_merchants_is_sealed_and_parsed(
    canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, _ = canary
    merchants = _accept(canary, 3, 4)
    batch = [m for m in _take(container, EVENTS, "seal") if m.fields["merchant_id"] in merchants]
    assert len({m.fields["merchant_id"] for m in batch}) == 3
    # One transaction for the batch: the per-merchant paths are not taken.
    monkeypatch.setattr(container.seal, "seal", _one_at_a_time)
    monkeypatch.setattr(container.parse, "parse_seqs", _one_at_a_time)
    container.seal.handle(batch)
    for merchant in merchants:
        _assert_chain(container, merchant, 4)
    sealed = [m for m in _take(container, SEALED, "parse") if m.fields["merchant_id"] in merchants]
    assert sorted((m.fields["merchant_id"], int(m.fields["seq"])) for m in sealed) == sorted(
        (merchant, seq) for merchant in merchants for seq in range(1, 5)
    )
    container.seal.handle(batch)  # a redelivery seals nothing twice
    for merchant in merchants:
        _assert_chain(container, merchant, 4)

    container.parse.handle(sealed)
    assert [_logged(container, m) for m in merchants] == [4, 4, 4]
    parsed = [m for m in _take(container, PARSED_EVENTS, "t") if m.fields["merchant_id"] in merchants]
    assert {m.fields["merchant_id"] for m in parsed} == set(merchants)


def test_a_bad_row_of_one_merchant_fails_only_that_merchant(
    canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, _ = canary
    merchants = _accept(canary, 3, 2)
    batch = [m for m in _take(container, EVENTS, "seal") if m.fields["merchant_id"] in merchants]
    bad = sorted(merchants)[1]  # in the middle of the batch's order: one before it, one after

    def tampered(key: Any, payload: bytes, *, merchant_id: str, inbox_id: str) -> bytes:
        raw = decrypt_payload(key, payload, merchant_id=merchant_id, inbox_id=inbox_id)
        return raw + b" " if merchant_id == bad else raw

    monkeypatch.setattr(seal_module, "decrypt_payload", tampered)
    with pytest.raises(seal_module.SealIntegrityError):
        container.seal.handle(batch)
    for merchant in merchants:
        _assert_chain(container, merchant, 0 if merchant == bad else 2)
    sealed = [m for m in _take(container, SEALED, "parse") if m.fields["merchant_id"] in merchants]
    # Each good merchant's two seqs, published once.
    assert sorted(m.fields["merchant_id"] for m in sealed) == sorted([m for m in merchants if m != bad] * 2)

    monkeypatch.undo()
    container.seal.handle(batch)  # the runner's retry: the bad merchant's rows now verify
    for merchant in merchants:
        _assert_chain(container, merchant, 2)


def test_a_failed_parse_of_one_merchant_keeps_the_others(
    canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, _ = canary
    merchants = _accept(canary, 3, 2)
    accepted = [m for m in _take(container, EVENTS, "seal") if m.fields["merchant_id"] in merchants]
    container.seal.handle(accepted)
    sealed = [m for m in _take(container, SEALED, "parse") if m.fields["merchant_id"] in merchants]
    bad = sorted(merchants)[1]

    def crash(session: Any, merchant_id: str, *args: Any) -> None:
        if merchant_id == bad:
            raise Crash
        record_outcomes(session, merchant_id, *args)

    monkeypatch.setattr(parse_module, "record_outcomes", crash)
    with pytest.raises(Crash):
        container.parse.handle(sealed)
    assert {m: _logged(container, m) for m in merchants} == {m: 0 if m == bad else 2 for m in merchants}
    parsed = [m for m in _take(container, PARSED_EVENTS, "t") if m.fields["merchant_id"] in merchants]
    assert bad not in {m.fields["merchant_id"] for m in parsed}
    published = {m.fields["merchant_id"] for m in parsed}
    assert published == {m for m in merchants if m != bad}

    monkeypatch.undo()
    container.parse.handle([m for m in sealed if m.fields["merchant_id"] == bad])
    assert [_logged(container, m) for m in merchants] == [2, 2, 2]
