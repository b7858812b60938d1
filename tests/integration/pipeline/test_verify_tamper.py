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
from core.ingest.inbox import IncomingEvent
from core.pipeline.workers import drain
from tests.support.pipeline import new_merchant, post, square_sample, webhook

Canary = tuple[Container, TestClient]
N = 6


def _sealed_merchant(canary: Canary) -> str:
    container, client = canary
    merchant, url = new_merchant(container)
    for _ in range(N):
        post(client, url, webhook("payment.created"))
    drain(container.pipeline)
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


def _sql(*statements: str) -> Callable[[Database, Container, str], None]:
    """Tampering as plain SQL; ``{inbox}``, ``{evidence}``, ``{nodes}``, ``{checkpoints}`` name the
    tables, ``:m`` binds the merchant and ``:z`` 32 zero bytes. ``{inbox_of_3}`` is seq 3's inbox id."""

    def tamper(db: Database, c: Container, m: str) -> None:
        names = {
            "inbox": _t(c, "inbox"),
            "evidence": _t(c, "evidence_records"),
            "nodes": _t(c, "merkle_nodes"),
            "checkpoints": _t(c, "checkpoints"),
            "inscriptions": _t(c, "event_inscriptions"),
            "log": _t(c, "ingestion_log"),
        }
        names["inbox_of_3"] = f"(SELECT inbox_id FROM {names['evidence']} WHERE merchant_id = :m AND seq = 3)"
        with db.system() as s:
            for statement in statements:
                sql = statement.format(**names)
                s.execute(text(sql), {"m": m, **({"z": b"\x00" * 32} if ":z" in sql else {})})

    return tamper


def _rewrite_history(db: Database, c: Container, m: str) -> None:
    """Cut the tail off (seq 3 on, with its leaves, nodes, checkpoints and inscriptions), then let
    the pipeline seal five other events in its place: the regrown log is well formed, longer than
    the one witnessed, and every checkpoint in the database is genuinely signed. Only a copy of a
    checkpoint kept outside the database can tell."""
    _sql(
        "DELETE FROM {evidence} WHERE merchant_id = :m AND seq >= 3",
        "DELETE FROM {nodes} WHERE merchant_id = :m AND (idx + 1) * (1 << level) > 2",
        "DELETE FROM {checkpoints} WHERE merchant_id = :m AND tree_size > 2",
        "DELETE FROM {inscriptions} WHERE merchant_id = :m AND seq >= 3",
        "DELETE FROM {log} WHERE merchant_id = :m AND seq >= 3",
    )(db, c, m)
    c.inbox.accept_many(
        [
            IncomingEvent(
                m, "SQUARE", "WEBHOOK", webhook("payment.created"), f"forged-{i}", "payment.created"
            )
            for i in range(5)
        ]
    )
    drain(c.pipeline)


# Every kind of tampering found so far, each with the position verify must name. A new kind of
# attack gets a line here.
TAMPER_MATRIX: dict[str, tuple[Callable[[Database, Container, str], None], str]] = {
    "flipped-payload-byte": (_flip_payload_byte, "seq 3"),
    "deleted-record": (_delete_record, "seq 3"),
    "reordered-records": (_reorder_records, "seq 3"),
    "inserted-record": (_insert_record, "seq 3"),
    "edited-chain-hash": (_edit_chain_hash, "seq 3"),
    # The two that verified as OK before: a payload set to NULL without a sealed erasure record,
    # and the tail cut off together with its Merkle leaves and checkpoints (the witness holds 6).
    "payload-nulled-without-erasure": (
        _sql("UPDATE {inbox} SET payload = NULL WHERE merchant_id = :m AND id = {inbox_of_3}"),
        "seq 3",
    ),
    "truncated-tail-with-leaves-and-checkpoints": (
        _sql(
            "DELETE FROM {evidence} WHERE merchant_id = :m AND seq >= 3",
            "DELETE FROM {nodes} WHERE merchant_id = :m AND (idx + 1) * (1 << level) > 2",
            "DELETE FROM {checkpoints} WHERE merchant_id = :m AND tree_size > 2",
        ),
        "seq 3",
    ),
    "deleted-inbox-row": (_sql("DELETE FROM {inbox} WHERE merchant_id = :m AND id = {inbox_of_3}"), "seq 3"),
    "edited-inbox-hash": (
        _sql("UPDATE {inbox} SET event_hash = :z WHERE merchant_id = :m AND id = {inbox_of_3}"),
        "seq 3",
    ),
    "swapped-payloads": (
        _sql(
            "UPDATE {inbox} SET payload = (SELECT i.payload FROM {inbox} i WHERE i.merchant_id = :m AND "
            "i.id = (SELECT inbox_id FROM {evidence} WHERE merchant_id = :m AND seq = 4)) "
            "WHERE merchant_id = :m AND id = {inbox_of_3}"
        ),
        "seq 3",
    ),
    "edited-event-hash": (
        _sql("UPDATE {evidence} SET event_hash = chain_hash WHERE merchant_id = :m AND seq = 3"),
        "seq 3",
    ),
    "edited-merkle-leaf": (
        _sql("UPDATE {nodes} SET hash = :z WHERE merchant_id = :m AND level = 0 AND idx = 2"),
        "seq 3",
    ),
    "deleted-merkle-leaf": (
        _sql("DELETE FROM {nodes} WHERE merchant_id = :m AND level = 0 AND idx = 5"),
        "merkle leaf 5 (seq 6)",
    ),
    "edited-checkpoint-root": (
        _sql("UPDATE {checkpoints} SET root = :z WHERE merchant_id = :m AND tree_size = 6"),
        "checkpoint 6",
    ),
    "edited-checkpoint-note": (
        _sql("UPDATE {checkpoints} SET note = replace(note, '6', '5') WHERE merchant_id = :m"),
        "checkpoint 6",
    ),
    "deleted-checkpoints": (_sql("DELETE FROM {checkpoints} WHERE merchant_id = :m"), "after seq 0"),
    "rewritten-history-re-signed": (_rewrite_history, "history rewritten before seq 6"),
}


@pytest.mark.parametrize(("tamper", "expected"), TAMPER_MATRIX.values(), ids=TAMPER_MATRIX.keys())
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


def test_payloads_erased_by_forget_customer_still_verify(canary: Canary) -> None:
    container, client = canary
    merchant, url = new_merchant(container)
    post(client, url, webhook("customer.created"))
    drain(container.pipeline)
    customer = square_sample("customer.created")["data"]["id"]
    result = container.forgetter.forget(merchant, customer, actor="test", reason="erasure request")
    drain(container.pipeline)
    report = container.verifier.verify(merchant)
    assert result.payloads_erased >= 1
    assert report.ok, report.problems
    assert report.payloads_erased == result.payloads_erased
