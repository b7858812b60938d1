"""Loading the ``identity`` merchant into a scratch database: COPY the canonical rows, then rebuild R.

The canonical tables (registry, transactions, line items, tenders, refund links) are bulk-loaded
with binary COPY as the admin role, five COPY streams open at once on five connections, so the
server parses and indexes one table's rows while Python generates the next. R's projection
(``customer_transactions``, ``card_uses``, customers' lifetime value and counts, card profiles) is
then computed the supported way, by ``core.customers.rebuild`` over those rows — the same code as
``canary rebuild customers`` — not generated beside them. VACUUM ANALYZE last, as autovacuum
would have done on a live database, so the planner has statistics and the visibility map is set.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass

import psycopg

from core.bench.identity_data import END, MERCHANT, World
from core.bench.pg_scratch import libpq_url
from core.clock import FixedClock
from core.customers.rebuild import RebuildSummary, rebuild
from core.db.engine import make_engine
from core.db.uow import Database

V, I4, TS = "varchar", "int4", "timestamptz"
# table → (columns, binary COPY types), in the tuple order identity_data produces.
COPIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "app.customers": (
        (
            "merchant_id", "id", "source", "external_id", "tier", "tax_exempt", "db_status", "version_key",
            "valid_from", "archived_at", "created_at", "updated_at", "lifetime_value_cents",
            "lifetime_value_net_cents", "refunds_cents", "transaction_count", "refund_count",
        ),
        (V, V, V, V, V, "bool", V, V, TS, TS, TS, TS, I4, I4, I4, I4, I4),
    ),
    "sales.transactions": (
        (
            "merchant_id", "id", "type", "status", "source", "source_type", "external_id", "location_id",
            "device_id", "employee_id", "customer_id", "currency", "amount_cents", "reason", "occurred_at",
            "version_key",
        ),
        (V, V, V, V, V, V, V, V, V, V, V, V, I4, V, TS, V),
    ),
    "sales.transaction_line_items": (
        (
            "merchant_id", "transaction_id", "line_no", "line_type", "item_id", "category_id", "description",
            "quantity", "unit_price_cents", "extended_price_cents", "discount_cents", "price_overridden",
            "version_key",
        ),
        (V, V, V, V, V, V, V, "float8", I4, I4, I4, "bool", V),
    ),
    "sales.transaction_tenders": (
        (
            "merchant_id", "transaction_id", "tender_no", "tender_type", "status", "amount_cents",
            "tip_cents", "currency", "card_fingerprint", "card_brand", "entry_method", "occurred_at",
            "version_key",
        ),
        (V, V, V, V, V, I4, I4, V, V, V, V, TS, V),
    ),
    "sales.refund_links": (
        ("merchant_id", "refund_transaction_id", "original_transaction_id", "reason", "version_key"),
        (V, V, V, V, V),
    ),
}  # fmt: skip
PROJECTION_ZEROS = (0, 0, 0, 0, 0)
VACUUMED = (
    "app.customers",
    "app.customer_transactions",
    "app.card_uses",
    "app.card_profiles",
    *(t for t in COPIES if t.startswith("sales.")),
)


@dataclass(frozen=True)
class LoadStats:
    rows: dict[str, int]
    copy_seconds: float
    rebuild_seconds: float  # includes ANALYZE of the canonical tables first
    vacuum_seconds: float
    rebuilt: RebuildSummary


def copy_world(admin_url: str, world: World) -> dict[str, int]:
    """COPY every canonical row of ``world``; one commit per table once all streams are written."""
    counts = dict.fromkeys(COPIES, 0)
    with ExitStack() as stack:
        conns = {t: stack.enter_context(psycopg.connect(libpq_url(admin_url))) for t in COPIES}
        copies = {}
        for table, (columns, types) in COPIES.items():
            cur = stack.enter_context(conns[table].cursor())
            copy = stack.enter_context(
                cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)")
            )
            copy.set_types(list(types))
            copies[table] = copy
        customers = copies["app.customers"]
        for row in world.customers():
            customers.write_row((*row, *PROJECTION_ZEROS))
            counts["app.customers"] += 1
        txns, lines = copies["sales.transactions"], copies["sales.transaction_line_items"]
        tenders, links = copies["sales.transaction_tenders"], copies["sales.refund_links"]
        for rows in world.transactions():
            txns.write_row(rows.transaction)
            for line in rows.lines:
                lines.write_row(line)
            for tender in rows.tenders:
                tenders.write_row(tender)
            if rows.link is not None:
                links.write_row(rows.link)
            counts["sales.transaction_line_items"] += len(rows.lines)
            counts["sales.transaction_tenders"] += len(rows.tenders)
            counts["sales.refund_links"] += rows.link is not None
        counts["sales.transactions"] = world.size.transactions
        # Leaving the ExitStack ends each COPY, then commits and closes its connection.
    return counts


def _maintain(admin_url: str, command: str, tables: Iterable[str]) -> None:
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        for table in tables:
            conn.execute(f"{command} {table}")  # names from COPIES/VACUUMED above, never from input


def load(admin_url: str, world: World, progress: Callable[[str], None]) -> LoadStats:
    began = time.perf_counter()
    rows = copy_world(admin_url, world)
    copied = time.perf_counter()
    progress(f"identity: {sum(rows.values()):,} canonical rows copied in {copied - began:.0f} s")
    # Without statistics the planner takes the fresh tables for empty and joins tenders to
    # transactions with a nested loop, which is quadratic; a live database would have been analysed.
    _maintain(admin_url, "ANALYZE", COPIES)
    db = Database(make_engine(admin_url, pool_size=1))
    try:
        summary = rebuild(db, FixedClock(END), MERCHANT)
    finally:
        db.dispose()
    rebuilt = time.perf_counter()
    progress(f"identity: projection rebuilt in {rebuilt - copied:.0f} s")
    _maintain(admin_url, "VACUUM (ANALYZE)", VACUUMED)
    return LoadStats(
        rows=rows,
        copy_seconds=copied - began,
        rebuild_seconds=rebuilt - copied,
        vacuum_seconds=time.perf_counter() - rebuilt,
        rebuilt=summary,
    )
