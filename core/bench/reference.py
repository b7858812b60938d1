"""Reference points measured on the same rows in the same run, so Canary's figures have a scale.

- ``copy_reference``: the physical floor of durably writing what the pipeline wrote. The run's own
  inbox and evidence rows are exported with ``COPY … TO STDOUT (FORMAT BINARY)`` (untimed), then
  loaded into logged copies of the two tables (same columns, keys and indexes) with one
  ``COPY … FROM STDIN`` each and one commit (timed). No Python row building is in the timing.
- ``naive_reference``: the seed's design on the same payloads: per event, one transaction that
  takes the merchant's advisory lock, reads the chain head and inserts the inbox and evidence rows,
  then a second transaction that parses it and writes the canonical rows (the parse stage called
  with a batch of one). No batching, no Merkle log, no checkpoints: less work per event, and two
  commits per event. Each merchant's events run on their own thread, as a pool of naive writers would.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

import psycopg
from sqlalchemy import Table

from core.bench.pg_scratch import libpq_url
from core.bench.results import Measurement
from core.bench.workload import BenchMerchant, Delivery
from core.bootstrap import Container
from core.db.dialect import advisory_xact_lock
from core.db.tables.ledger import EvidenceRecord, InboxEntry
from core.ingest.inbox import new_inbox_id
from core.ledger.chain import chain_link
from core.pipeline.seal import SealStage
from core.security.crypto import encrypt_payload

COPIED = ("inbox", "evidence_records")
INBOX: Table = InboxEntry.__table__  # type: ignore[attr-defined]
EVIDENCE: Table = EvidenceRecord.__table__  # type: ignore[attr-defined]


def copy_reference(admin_url: str, *, name: str = "reference: COPY inbox+evidence rows") -> Measurement:
    """Events/s at which Postgres takes the run's inbox + evidence rows by COPY (one event = one of each)."""
    with psycopg.connect(libpq_url(admin_url)) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS bench_ref")
        blobs: dict[str, bytes] = {}
        for table in COPIED:
            conn.execute(f"DROP TABLE IF EXISTS bench_ref.{table}")
            conn.execute(f"CREATE TABLE bench_ref.{table} (LIKE app.{table} INCLUDING ALL)")
            with conn.cursor().copy(f"COPY app.{table} TO STDOUT (FORMAT BINARY)") as out:
                blobs[table] = b"".join(bytes(chunk) for chunk in out)
        conn.commit()
        events = conn.execute("SELECT count(*) FROM app.evidence_records").fetchone()
        started = time.perf_counter()
        for table in COPIED:
            with conn.cursor().copy(f"COPY bench_ref.{table} FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(blobs[table])
        conn.commit()
        elapsed = time.perf_counter() - started
        for table in COPIED:
            conn.execute(f"DROP TABLE bench_ref.{table}")
        conn.commit()
    count = int(events[0]) if events else 0
    size = sum(len(b) for b in blobs.values())
    return Measurement(
        name,
        "events",
        count,
        elapsed,
        reference=True,
        detail=f"{count:,} inbox + {count:,} evidence rows, {size / 1e6:.1f} MB, logged tables "
        "with the same keys and indexes, one commit",
    )


def _naive_seal(container: Container, delivery: Delivery) -> int:
    merchant_id = delivery.merchant.merchant_id
    with container.db.tenant(merchant_id) as session:
        advisory_xact_lock(session, f"canary.chain:{merchant_id}")
        head = SealStage.head(session, merchant_id)
        now = container.clock.now()
        inbox_id = new_inbox_id(now)
        event_hash = hashlib.sha256(delivery.body).digest()
        data_key = container.keyring.get(session, merchant_id, "data")
        seq = head.seq + 1
        common = {
            "merchant_id": merchant_id,
            "source": "SQUARE",
            "source_type": "WEBHOOK",
            "source_event_id": delivery.event_id,
            "event_type": delivery.event_type,
        }
        session.execute(
            INBOX.insert(),
            [
                {
                    **common,
                    "id": inbox_id,
                    "event_hash": event_hash,
                    "size_bytes": len(delivery.body),
                    "payload": encrypt_payload(
                        data_key, delivery.body, merchant_id=merchant_id, inbox_id=inbox_id
                    ),
                    "key_version": 1,
                    "received_at": now,
                    "sealed_seq": seq,
                    "sealed_at": now,
                }
            ],
        )
        session.execute(
            EVIDENCE.insert(),
            [
                {
                    **common,
                    "seq": seq,
                    "inbox_id": inbox_id,
                    "event_hash": event_hash,
                    "prev_chain_hash": head.chain_hash,
                    "chain_hash": chain_link(head.chain_hash, event_hash),
                    "received_at": now,
                    "sealed_at": now,
                    "schema_version": 1,
                }
            ],
        )
    return seq


def rehome(deliveries: Sequence[Delivery], merchants: Sequence[BenchMerchant]) -> list[Delivery]:
    """The same payloads delivered to other merchants (the naive run needs chains of its own)."""
    mapping: dict[str, BenchMerchant] = {}
    for delivery in deliveries:
        mapping.setdefault(delivery.merchant.merchant_id, merchants[len(mapping) % len(merchants)])
    return [replace(d, merchant=mapping[d.merchant.merchant_id]) for d in deliveries]


def naive_reference(
    container: Container,
    deliveries: Sequence[Delivery],
    *,
    name: str = "reference: naive, 2 transactions per event",
) -> Measurement:
    """Events/s sealed and parsed by the seed's one-transaction-per-event-per-stage design."""
    by_merchant: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        by_merchant[delivery.merchant.merchant_id].append(delivery)
    errors: list[BaseException] = []

    def worker(items: list[Delivery]) -> None:
        try:
            for delivery in items:
                seq = _naive_seal(container, delivery)
                container.parse.parse_seqs(delivery.merchant.merchant_id, [seq])
        except BaseException as exc:  # noqa: BLE001 — re-raised on the calling thread below
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=(items,), name=f"naive-{i}")
        for i, items in enumerate(by_merchant.values())
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return Measurement(
        name,
        "events",
        len(deliveries),
        elapsed,
        reference=True,
        detail=f"{len(threads)} threads, one per merchant; lock + head + inbox + evidence, "
        "commit; then parse + upsert, commit",
    )
