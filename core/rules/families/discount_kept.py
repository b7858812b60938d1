"""Q-DM-01's kept discounted sales per location: a stored list of sale rows in (ts, id) order, one
per sale id, the latest ``SALES_KEPT`` within the re-judging lateness of the newest.

Every discounted sale used to scan its location's list (up to 500 rows) for its earlier version and
the newest time, filter it and rebuild it, and every re-judged row rebuilt it again to put the row
back. The list is stored exactly as before; what changes is how it is found and cut: the newest time
is its last row's (it is in time order), the rows behind the lateness are a prefix (one bisection),
and a sale's earlier version is found through an index by id kept beside the list
(``RuleState.cache``: derived, never persisted, valid while the list is the very object it was built
on, rebuilt from the list after a reload).
"""

from __future__ import annotations

import bisect
from typing import Any

from core.rules.state import RuleState

INDEX = "Q-DM-01 sales by id"


def sale_order(row: dict[str, Any]) -> tuple[float, str]:
    return row["ts"], row["id"]


def _ts(row: dict[str, Any]) -> float:
    return float(row["ts"])


def index_of(state: RuleState, key: str, sales: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The location's kept rows by sale id (the list holds one row per id)."""
    memo = state.cache.get((INDEX, key))
    if memo is not None and memo[0] is sales:
        return memo[1]  # type: ignore[no-any-return]
    index = {row["id"]: row for row in sales}
    state.cache[(INDEX, key)] = (sales, index)
    return index


def newest(sales: list[dict[str, Any]], ts: float) -> float:
    """The newest of ``ts`` and the kept rows' times (the last row's: the list is in time order)."""
    return max(ts, _ts(sales[-1])) if sales else ts


def replaced(
    state: RuleState,
    key: str,
    sales: list[dict[str, Any]],
    before: dict[str, Any] | None,
    row: dict[str, Any],
    horizon: float,
    cap: int,
) -> list[dict[str, Any]]:
    """The list to store: ``sales`` without the rows older than ``horizon`` and without ``before``
    (the sale's earlier version), with ``row`` at its (ts, id) place, the latest ``cap`` of them.
    The index moves to the new list."""
    index = index_of(state, key, sales)
    cut = bisect.bisect_left(sales, horizon, key=_ts)
    kept = sales[cut:]
    gone = sales[:cut]
    if before is not None:
        at = bisect.bisect_left(kept, sale_order(before), key=sale_order)
        if at < len(kept) and kept[at] is before:
            del kept[at]
            gone.append(before)
    for old in gone:
        if index.get(old["id"]) is old:
            del index[old["id"]]
    bisect.insort(kept, row, key=sale_order)
    index[row["id"]] = row
    for old in kept[:-cap] if len(kept) > cap else ():
        if index.get(old["id"]) is old:
            del index[old["id"]]
    kept = kept[-cap:]
    state.cache[(INDEX, key)] = (kept, index)
    return kept


def holds(state: RuleState, key: str, sales: list[dict[str, Any]], row: dict[str, Any]) -> bool:
    """Whether the list already stands with ``row`` as it is: the row is the very one stored (rows
    are updated in place), or no row of its sale is kept."""
    held = index_of(state, key, sales).get(row["id"])
    return held is None or held is row
