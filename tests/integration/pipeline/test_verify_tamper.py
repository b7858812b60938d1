"""`canary verify` names the first bad position for every kind of tampering with stored evidence.

Tampering is done the way an attacker with database access would: straight SQL as the owner,
bypassing the application (whose role may not UPDATE or DELETE evidence at all on Postgres).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from core.bootstrap import Container
from core.db.uow import Database
from core.pipeline.workers import drain
from tests.support.pipeline import new_merchant, post, webhook

Canary = tuple[Container, TestClient]
N = 6


def _sealed_merchant(canary: Canary) -> str:
    container, client = canary
    merchant, url = new_merchant(container)
    for _ in range(N):
        post(client, url, webhook("payment.created"))
    drain(container)
    assert container.verifier.verify(merchant).ok
    return merchant


def _owner(request: pytest.FixtureRequest, container: Container) -> Database:
    """A connection that can rewrite history: the schema owner on Postgres, the file on SQLite."""
    return request.getfixturevalue("pg_admin") if container.db.is_postgres else container.db


def _t(container: Container, name: str) -> str:
    return f"app.{name}" if container.db.is_postgres else name


def _flip_payload_byte(db: Database, c: Container, m: str) -> None:
    with db.system() as s:
        inbox_id, payload = s.execute(
            text(
                f"SELECT i.id, i.payload FROM {_t(c, 'inbox')} i JOIN {_t(c, 'evidence_records')} e "
                "ON e.inbox_id = i.id AND e.merchant_id = i.merchant_id "
                "WHERE e.merchant_id = :m AND e.seq = 3"
            ),
            {"m": m},
        ).one()
        flipped = bytes(payload[:20]) + bytes([payload[20] ^ 1]) + bytes(payload[21:])
        s.execute(
            text(f"UPDATE {_t(c, 'inbox')} SET payload = :p WHERE id = :i"), {"p": flipped, "i": inbox_id}
        )


def _delete_record(db: Database, c: Container, m: str) -> None:
    with db.system() as s:
        s.execute(
            text(f"DELETE FROM {_t(c, 'evidence_records')} WHERE merchant_id = :m AND seq = 3"), {"m": m}
        )


def _reorder_records(db: Database, c: Container, m: str) -> None:
    table = _t(c, "evidence_records")
    with db.system() as s:
        s.execute(text(f"UPDATE {table} SET seq = -1 WHERE merchant_id = :m AND seq = 3"), {"m": m})
        s.execute(text(f"UPDATE {table} SET seq = 3 WHERE merchant_id = :m AND seq = 4"), {"m": m})
        s.execute(text(f"UPDATE {table} SET seq = 4 WHERE merchant_id = :m AND seq = -1"), {"m": m})


def _insert_record(db: Database, c: Container, m: str) -> None:
    table = _t(c, "evidence_records")
    with db.system() as s:
        s.execute(text(f"UPDATE {table} SET seq = seq + 100 WHERE merchant_id = :m AND seq >= 3"), {"m": m})
        s.execute(text(f"UPDATE {table} SET seq = seq - 99 WHERE merchant_id = :m AND seq >= 103"), {"m": m})
        s.execute(
            text(
                f"INSERT INTO {table} (merchant_id, seq, inbox_id, event_hash, prev_chain_hash, chain_hash, "
                "source, source_type, received_at, sealed_at, schema_version) "
                "SELECT merchant_id, 3, 'forged', event_hash, "
                f"event_hash, chain_hash, source, source_type, received_at, sealed_at, 1 FROM {table} "
                "WHERE merchant_id = :m AND seq = 2"
            ),
            {"m": m},
        )


def _edit_chain_hash(db: Database, c: Container, m: str) -> None:
    with db.system() as s:
        s.execute(
            text(
                f"UPDATE {_t(c, 'evidence_records')} SET chain_hash = :h WHERE merchant_id = :m AND seq = 3"
            ),
            {"h": b"\x00" * 32, "m": m},
        )


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (_flip_payload_byte, "seq 3"),
        (_delete_record, "seq 3"),
        (_reorder_records, "seq 3"),
        (_insert_record, "seq 3"),
        (_edit_chain_hash, "seq 3"),
    ],
    ids=[
        "flipped-payload-byte",
        "deleted-record",
        "reordered-records",
        "inserted-record",
        "edited-chain-hash",
    ],
)
def test_verify_reports_tampering_with_its_position(
    canary: Canary,
    request: pytest.FixtureRequest,
    tamper: Callable[[Database, Container, str], None],
    expected: str,
) -> None:
    container, _ = canary
    merchant = _sealed_merchant(canary)
    tamper(_owner(request, container), container, merchant)
    report = container.verifier.verify(merchant)
    assert not report.ok
    assert expected in (report.first_problem or ""), report.problems
