"""The four read tools: a device's baseline, its anomalies, a store's pattern, a baseline's history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastmcp import Context, FastMCP
from pydantic import Field

from servers.bubble.deps import require
from servers.bubble.results import AnomalyPage, BaselineHistoryPage, DeviceBaseline, StorePattern
from servers.common import READ_ONLY, Cursor, Limit, safe

DeviceId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        description="Canary's device id, e.g. 'sq:device:ABC' or 'cp:device:STORE1/REG2' (from another "
        "answer).",
    ),
]
OptionalDeviceId = Annotated[
    str | None,
    Field(default=None, min_length=1, max_length=128, description="Only this device; omit for all."),
]
StoreId = Annotated[
    str,
    Field(min_length=1, max_length=128, description="Canary's store (location) id, e.g. 'sq:location:L1'."),
]
OptionalStoreId = Annotated[
    str | None,
    Field(default=None, min_length=1, max_length=128, description="Only this store; omit for all."),
]
Start = Annotated[
    datetime | None,
    Field(default=None, description="Window start (ISO 8601; no zone means UTC); omit for no lower bound."),
]
End = Annotated[
    datetime | None,
    Field(
        default=None,
        description="Window end, exclusive (ISO 8601; no zone means UTC); at most 92 days after start.",
    ),
]


def register(mcp: FastMCP) -> None:
    @mcp.tool(annotations=READ_ONLY)
    def get_device_baseline(
        device_id: DeviceId,
        ctx: Context,
        at: Annotated[
            datetime | None,
            Field(
                description="Judge the device-hour at or before this instant (ISO 8601); default its latest."
            ),
        ] = None,
    ) -> DeviceBaseline:
        """A device's current bubble: its state (ok, insufficient_history, anomalous) and score at its
        latest scored hour (or at `at`), each dimension's expected value under the baseline against the
        observed one, and the mean per device-hour of both over its last 168 scored hours — every value
        with its unit (transactions, cents per transaction, voids, refunds, no-sales, cash tenders,
        minutes between transactions, employees). Also the thresholds in force and when it was scored.
        """
        deps, who = require(ctx)
        return safe(deps.bubble_views.get_device_baseline(who.merchant_id, device_id, at, stores=who.stores))

    @mcp.tool(annotations=READ_ONLY)
    def query_device_anomalies(
        ctx: Context,
        device_id: OptionalDeviceId = None,
        store_id: OptionalStoreId = None,
        scope: Annotated[
            Literal["device", "store"] | None,
            Field(description="device (A-BUBBLE-DEVICE) or store (A-BUBBLE-STORE) episodes; omit for both."),
        ] = None,
        start: Start = None,
        end: End = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AnomalyPage:
        """Bubble's anomaly episodes, newest first: one per excursion of a device (A-BUBBLE-DEVICE) or
        of a store as a whole (A-BUBBLE-STORE), with start/end (UTC), flagged hours, peak score
        (dimensionless, 1 or more alerts), the channel (hourly spike or drift) and up to four dimensions
        with their share and expected vs observed over the episode in named units. Filter by device,
        store, scope or a window overlapping the episode. Paginated: pass next_cursor back.
        """
        deps, who = require(ctx)
        return safe(
            deps.bubble_views.query_device_anomalies(
                who.merchant_id,
                device_id=device_id,
                store_id=store_id,
                scope=scope,
                start=start,
                end=end,
                limit=limit,
                cursor=cursor,
                stores=who.stores,
            )
        )

    @mcp.tool(annotations=READ_ONLY)
    def store_pattern(store_id: StoreId, ctx: Context, start: Start = None, end: End = None) -> StorePattern:
        """How a store's devices compare in a window (default: all scored hours): per device the hours
        scored, hours still in insufficient_history, alerted hours, episodes, mean score and the
        dimension most often on top when it alerted; hours in which two or more devices alerted at
        once; and the store's own common-mode alerts and A-BUBBLE-STORE episodes.
        """
        deps, who = require(ctx)
        return safe(deps.bubble_views.store_pattern(who.merchant_id, store_id, start, end, stores=who.stores))

    @mcp.tool(annotations=READ_ONLY)
    def baseline_history(
        device_id: DeviceId, ctx: Context, limit: Limit = 50, cursor: Cursor = None
    ) -> BaselineHistoryPage:
        """How a device's baseline has evolved, oldest first (append-only): started from its store peers
        (peer_prior) or its own history (own_history), when it had enough history to be scored
        (history_sufficient), and any re-baselining after an analyst dismissed a case as the new normal,
        each with why (UTC times). Paginated: pass next_cursor back.
        """
        deps, who = require(ctx)
        return safe(
            deps.bubble_views.baseline_history(
                who.merchant_id, device_id, limit=limit, cursor=cursor, stores=who.stores
            )
        )
