"""``tsp-ops``: canary-tsp-ops's answers on a merchant with 1,000,000 evidence records on Postgres.

A scratch database holds one merchant's whole ledger as sealing leaves it: encrypted inbox rows, a
valid hash chain, the Merkle log's node rows, a signed checkpoint every 10,000 events (every 1,000
of 5,000 with ``--quick``) and an ``ingestion_log`` row per event (1 % failed) with the per-status
counts parse keeps beside them (``ingestion_counts``). It is bulk-loaded with COPY, not sealed event
by event (a million seals would measure sealing). Every call then goes through ``OpsService`` as the
application role, one tenant transaction per call, which is what a tool call pays:
``pipeline_health``, ``get_inclusion_proof`` and ``get_consistency_proof`` latency (target p95 <
50 ms), and ``verify_chain`` throughput over 10,000-record ranges (payloads decrypted and re-hashed).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import psycopg

from core.bench.harness import BenchContext
from core.bench.merkle import _latency, _node_rows, _timed
from core.bench.pg_scratch import libpq_url, scratch_database
from core.bench.results import Measurement, ScenarioResult, Target
from core.bootstrap import bootstrap
from core.ledger.chain import chain_link, genesis_hash
from core.ledger.tree import MemoryNodeStore, MerkleLog
from core.security.crypto import encrypt_payload
from core.settings import Settings
from core.tenancy import onboard_merchant

MERCHANT = "m_bench_tsp_ops"
TARGET = Target("p95", 50.0, "p95 < 50 ms")
CHECKPOINT_EVERY = 10_000
VERIFY_SPAN = 10_000
KEY = "dHNwLW9wcy1iZW5jaC1rZXktMzItYnl0ZXMtbG9uZyE="  # base64 of 32 bytes: a scratch key, not a secret


def _chain(size: int) -> Iterator[tuple[int, bytes, bytes, bytes, bytes]]:
    """(seq, raw, event hash, previous chain hash, chain hash) for seq 1..size: a valid chain."""
    prev = genesis_hash(MERCHANT)
    for seq in range(1, size + 1):
        raw = b'{"type":"payment.created","event_id":"bench-%d"}' % seq
        event_hash = hashlib.sha256(raw).digest()
        chain = chain_link(prev, event_hash)
        yield seq, raw, event_hash, prev, chain
        prev = chain


def _load(
    admin_url: str, size: int, data_key: bytes, signer: Callable[[int, bytes], str], every: int
) -> tuple[int, float]:
    """COPY the whole ledger; returns (rows, seconds)."""
    started, rows, now = time.perf_counter(), 0, datetime.now(UTC)
    store = MemoryNodeStore()
    log = MerkleLog(store)
    with psycopg.connect(libpq_url(admin_url)) as conn, conn.cursor() as cur:
        hashes: list[bytes] = []
        with cur.copy(
            "COPY app.inbox (merchant_id, id, source, source_type, source_event_id, event_type, api_version, "
            "event_hash, size_bytes, payload, key_version, received_at, sealed_seq, sealed_at, erased_at) "
            "FROM STDIN"
        ) as inbox_copy:
            for seq, raw, event_hash, _prev, _chain_hash in _chain(size):
                inbox_id = f"bench-{seq:08d}"
                blob = encrypt_payload(data_key, raw, merchant_id=MERCHANT, inbox_id=inbox_id)
                inbox_copy.write_row(
                    (
                        MERCHANT,
                        inbox_id,
                        "SQUARE",
                        "WEBHOOK",
                        f"bench-{seq}",
                        "payment.created",
                        None,
                        event_hash,
                        len(raw),
                        blob,
                        1,
                        now,
                        seq,
                        now,
                        None,
                    )
                )
                hashes.append(event_hash)
        with cur.copy(
            "COPY app.evidence_records (merchant_id, seq, inbox_id, event_hash, prev_chain_hash, chain_hash, "
            "source, source_type, source_event_id, event_type, received_at, sealed_at, schema_version) "
            "FROM STDIN"
        ) as evidence_copy:
            for seq, _raw, event_hash, prev, chain in _chain(size):
                evidence_copy.write_row(
                    (
                        MERCHANT,
                        seq,
                        f"bench-{seq:08d}",
                        event_hash,
                        prev,
                        chain,
                        "SQUARE",
                        "WEBHOOK",
                        f"bench-{seq}",
                        "payment.created",
                        now,
                        now,
                        1,
                    )
                )
        rows += 2 * size
        checkpoints = []
        for start in range(0, size, every):
            log.append_many(hashes[start : start + every])
            root = log.root()
            checkpoints.append(
                (MERCHANT, log.size, root, signer(log.size, root), "canary-ledger", now, "confirmed")
            )
        with cur.copy("COPY app.merkle_nodes (merchant_id, level, idx, hash) FROM STDIN") as nodes:
            for level, idx, digest in _node_rows(store, size):
                nodes.write_row((MERCHANT, level, idx, digest))
                rows += 1
        with cur.copy(
            "COPY app.checkpoints (merchant_id, tree_size, root, note, key_name, created_at, anchor_state) "
            "FROM STDIN"
        ) as cps:
            for row in checkpoints:
                cps.write_row(row)
        with cur.copy(
            "COPY app.event_inscriptions (merchant_id, seq, leaf_index, checkpoint_size) FROM STDIN"
        ) as inscriptions:
            for seq in range(1, size + 1):
                inscriptions.write_row((MERCHANT, seq, seq - 1, min(-(-seq // every) * every, size)))
        with cur.copy(
            "COPY app.ingestion_log (merchant_id, seq, status, reason, records, attempts, parser_version, "
            "updated_at) FROM STDIN"
        ) as outcomes:
            for seq in range(1, size + 1):
                failed = seq % 100 == 0
                outcomes.write_row(
                    (
                        MERCHANT,
                        seq,
                        "failed" if failed else "parsed",
                        "bench: unparseable" if failed else None,
                        0 if failed else 1,
                        1,
                        "bench",
                        now,
                    )
                )
        rows += 3 * size + len(checkpoints)
        # The per-status counts the parse stage keeps with its log rows (core/pipeline/ingestion_log.py).
        cur.execute(
            "INSERT INTO app.ingestion_counts (merchant_id, status, events) "
            "SELECT merchant_id, status, count(*) FROM app.ingestion_log GROUP BY merchant_id, status"
        )
        conn.commit()
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        conn.execute("ANALYZE")
    return rows, time.perf_counter() - started


def run(quick: bool, ctx: BenchContext) -> ScenarioResult:
    size = 5_000 if quick else 1_000_000
    samples = 20 if quick else 200
    every, span = min(CHECKPOINT_EVERY, size // 5), min(VERIFY_SPAN, size)
    result = ScenarioResult("tsp-ops", config={"evidence_records": size, "samples_per_tool": samples})
    with scratch_database(ctx.postgres_url) as scratch:
        settings = Settings(
            database_url=scratch.app_url,  # type: ignore[arg-type]
            redis_url=None,
            master_key=KEY,  # type: ignore[arg-type]
            ledger_signing_key=KEY,  # type: ignore[arg-type]
            var_dir=ctx.work_dir,
        )
        container = bootstrap(settings)
        try:
            onboard_merchant(container.db, container.keyring, merchant_id=MERCHANT, name="Bench Garden")
            with container.db.tenant(MERCHANT) as session:
                data_key = container.keyring.get(session, MERCHANT, "data", create=False)
            rows, seconds = _load(
                scratch.admin_url,
                size,
                data_key,
                lambda n, root: container.signer.sign(MERCHANT, n, root),
                every,
            )
            result.add(
                Measurement(
                    "postgres: COPY the ledger (setup)",
                    "rows",
                    rows,
                    seconds,
                    detail="inbox, evidence, nodes, checkpoints, inscriptions, ingestion_log",
                )
            )
            ctx.progress(f"tsp-ops: {size:,} evidence records loaded")
            ops = container.ops
            check = ops.verify_chain(MERCHANT, from_seq=size - span + 1, to_seq=size)
            if not check.ok:
                raise AssertionError(f"the loaded ledger does not verify: {check.problems[:3]}")
            health = _timed(samples, lambda _rng: ops.pipeline_health(MERCHANT), 1)
            inclusion = _timed(
                samples, lambda rng: ops.inclusion_proof(MERCHANT, rng.randrange(1, size + 1)), 2
            )
            sizes = list(range(every, size, every)) or [size]
            consistency = _timed(samples, lambda rng: ops.consistency_proof(MERCHANT, rng.choice(sizes)), 3)
            for name, seconds_list in (
                ("pipeline_health", health),
                ("get_inclusion_proof", inclusion),
                ("get_consistency_proof", consistency),
            ):
                result.add(
                    _latency(
                        f"postgres: {name}",
                        seconds_list,
                        "calls",
                        target=TARGET,
                        detail=f"merchant with {size:,} records",
                    )
                )
            rng = random.Random(4)
            runs = 3 if quick else 5
            began, checked = time.perf_counter(), 0
            for _ in range(runs):
                first = rng.randrange(1, size - span + 2)
                found = ops.verify_chain(MERCHANT, from_seq=first, to_seq=first + span - 1)
                checked += found.records_checked
            result.add(
                Measurement(
                    "postgres: verify_chain",
                    "records",
                    checked,
                    time.perf_counter() - began,
                    detail=f"{runs} random ranges of {span:,}: links, payloads, nodes, checkpoints",
                )
            )
        finally:
            container.close()
    result.notes.append("one tenant transaction per call, as the application role (RLS on)")
    return result
