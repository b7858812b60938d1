"""``merkle``: proof and root latency of the stored-subtree log at a million leaves.

Two stores: ``MemoryNodeStore`` (the log alone) and ``DbNodeStore`` over ``app.merkle_nodes`` as the
application role, one tenant transaction per proof, which is what an API call pays. The Postgres
log is not built through the seal stage (a million seals would take minutes and measure sealing);
its node rows are the memory log's rows, bulk-loaded with COPY, so both stores hold identical trees.

Reference point: the same inclusion proof recomputed from the list of leaves
(``core.ledger.merkle.inclusion_proof``), the obvious design that stores no interior nodes.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterator

import psycopg

from core.bench.harness import BenchContext
from core.bench.pg_scratch import libpq_url, scratch_database
from core.bench.results import Latency, Measurement, ScenarioResult, Target
from core.db.engine import make_engine
from core.db.uow import Database
from core.ledger import merkle
from core.ledger.node_store import DbNodeStore
from core.ledger.tree import MemoryNodeStore, MerkleLog, NodeRow

MERCHANT = "m_bench_merkle"
PROOF_TARGET = Target("p99", 5.0, "p99 < 5 ms")
CHUNK = 10_000  # leaves per append: the size of a large seal batch


def _event_hashes(start: int, stop: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(start, stop)]


def _timed(samples: int, call: Callable[[random.Random], object], seed: int) -> list[float]:
    rng = random.Random(seed)
    out: list[float] = []
    for _ in range(samples):
        started = time.perf_counter()
        call(rng)
        out.append(time.perf_counter() - started)
    return out


def _latency(
    name: str,
    seconds: list[float],
    unit: str,
    *,
    target: Target | None = None,
    reference: bool = False,
    detail: str = "",
) -> Measurement:
    return Measurement(
        name,
        unit,
        len(seconds),
        sum(seconds),
        Latency.of_seconds(seconds),
        target=target,
        reference=reference,
        detail=detail,
    )


WithLog = Callable[[Callable[[MerkleLog], object]], object]
"""Runs one operation against a log: directly, or inside its own tenant transaction."""


def _probe_log(result: ScenarioResult, label: str, with_log: WithLog, size: int, samples: int) -> None:
    inclusion = _timed(
        samples, lambda rng: with_log(lambda lg: lg.inclusion_proof(rng.randrange(size), size)), 1
    )
    consistency = _timed(
        samples, lambda rng: with_log(lambda lg: lg.consistency_proof(rng.randrange(1, size), size)), 2
    )
    roots = _timed(samples, lambda rng: with_log(lambda lg: lg.root(rng.randrange(1, size + 1))), 3)
    result.add(
        _latency(
            f"{label}: inclusion proof",
            inclusion,
            "proofs",
            target=PROOF_TARGET,
            detail=f"random leaf of {size:,}",
        )
    )
    result.add(
        _latency(f"{label}: consistency proof", consistency, "proofs", detail=f"random old size → {size:,}")
    )
    result.add(_latency(f"{label}: root at size", roots, "roots", detail="random historical size"))


def _recompute_reference(size: int, samples: int) -> Measurement:
    leaves = _event_hashes(0, size)
    seconds = _timed(samples, lambda rng: merkle.inclusion_proof(leaves, rng.randrange(size)), 4)
    return _latency(
        "reference: recompute proof from leaves",
        seconds,
        "proofs",
        reference=True,
        detail="no stored interior nodes: hash every leaf and node on each request",
    )


def _node_rows(store: MemoryNodeStore, size: int) -> Iterator[NodeRow]:
    level = 0
    while size >> level:
        count = size >> level
        for start in range(0, count, CHUNK):
            keys = [(level, i) for i in range(start, min(count, start + CHUNK))]
            nodes = store.get_many(keys)
            for key in keys:
                yield key[0], key[1], nodes[key]
        level += 1


def _copy_nodes(admin_url: str, store: MemoryNodeStore, size: int) -> tuple[int, float]:
    started, rows = time.perf_counter(), 0
    with psycopg.connect(libpq_url(admin_url)) as conn:
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY app.merkle_nodes (merchant_id, level, idx, hash) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types(["varchar", "int4", "int4", "bytea"])
            for level, idx, digest in _node_rows(store, size):
                copy.write_row((MERCHANT, level, idx, digest))
                rows += 1
        conn.commit()
    elapsed = time.perf_counter() - started
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        conn.execute("ANALYZE app.merkle_nodes")
    return rows, elapsed


def run(quick: bool, ctx: BenchContext) -> ScenarioResult:
    size = 5_000 if quick else 1_000_000
    samples = 50 if quick else 1_000
    config = {"leaves": size, "samples_per_kind": samples, "append_chunk": CHUNK}
    result = ScenarioResult("merkle", config=config)

    store = MemoryNodeStore()
    log = MerkleLog(store)
    build_seconds = 0.0
    for start in range(0, size, CHUNK):
        hashes = _event_hashes(start, min(size, start + CHUNK))
        began = time.perf_counter()
        log.append_many(hashes)
        build_seconds += time.perf_counter() - began
    result.add(
        Measurement(
            "memory: append (build)",
            "leaves",
            size,
            build_seconds,
            detail=f"{CHUNK:,} leaves per append_many",
        )
    )
    root = log.root()
    proof = log.inclusion_proof(size // 3)
    probe = _event_hashes(size // 3, size // 3 + 1)[0]
    if not merkle.verify_inclusion(probe, size // 3, size, proof, root):
        raise AssertionError("a stored-node inclusion proof did not verify: the figures would mean nothing")
    ctx.progress(f"merkle: memory log of {size:,} leaves built")
    _probe_log(result, "memory", lambda op: op(log), size, samples)

    result.add(_recompute_reference(size, 5 if quick else 3))
    result.ratio("memory: inclusion proof", "reference: recompute proof from leaves")

    with scratch_database(ctx.postgres_url) as scratch:
        rows, copy_seconds = _copy_nodes(scratch.admin_url, store, size)
        result.add(
            Measurement(
                "postgres: COPY node rows (setup)",
                "rows",
                rows,
                copy_seconds,
                detail="binary COPY into app.merkle_nodes, one commit",
            )
        )
        ctx.progress(f"merkle: {rows:,} node rows copied into Postgres")
        db = Database(make_engine(scratch.app_url, pool_size=1))
        try:
            with db.tenant(MERCHANT) as session:
                stored = MerkleLog(DbNodeStore(session, MERCHANT), size)
                if stored.root() != root or stored.inclusion_proof(size // 3) != proof:
                    raise AssertionError("the Postgres log disagrees with the memory log")

            def per_transaction(op: Callable[[MerkleLog], object]) -> object:
                with db.tenant(MERCHANT) as session:
                    return op(MerkleLog(DbNodeStore(session, MERCHANT), size))

            _probe_log(result, "postgres", per_transaction, size, samples)
            with db.tenant(MERCHANT) as session:
                connection = session.connection()
                floor = _timed(samples, lambda _rng: connection.exec_driver_sql("SELECT 1").scalar(), 5)
            result.add(
                _latency(
                    "reference: SELECT 1 round trip",
                    floor,
                    "queries",
                    reference=True,
                    detail="inside an open transaction",
                )
            )
        finally:
            db.dispose()
    result.notes.append(
        "postgres: one tenant transaction (set_config, one SELECT of O(log n) nodes) per call"
    )
    return result
