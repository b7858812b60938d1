"""``canary bubble plot``: one device's ISO week as a picture (docs/bubble.md "A picture").

One panel per dimension, hour by hour over the week (UTC): the device's expected value under its
baseline as a line, a band around it, and what it did as points; alerted hours are marked and the
device's episodes (and its store's) are shaded. The values are the ones the last scoring run stored
(``app.bubble_device_scores``), so the picture shows what canary-bubble answers.

The band is a guide, not the model's predictive interval: the 5–95 % range of a Poisson around the
expected count (transactions, no-sales, employees beyond the first, network events) or of a binomial
over the hour's transactions at the expected rate (voids, refunds, cash tenders). The model's own
predictive is over-dispersed (Negative Binomial, Beta-Binomial) and wider. The average ticket and
the gap between transactions are drawn as their expected line only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats
from sqlalchemy import and_, or_, select

from core.bubble.dimensions import UNITS
from core.bubble.service.scoring import DEVICE_SCORES, EPISODES
from core.db.uow import Database

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
RATE_DIMENSIONS = ("void_rate", "refund_rate", "cash_share")
COUNT_DIMENSIONS = ("transactions", "no_sales", "distinct_employees", "network_events")
PANELS = (
    ("transactions", "transactions"),
    ("avg_ticket", "average ticket ($)"),
    ("void_rate", "voids"),
    ("refund_rate", "refunds"),
    ("cash_share", "cash tenders"),
    ("no_sales", "no-sales"),
    ("gap_minutes", "minutes between transactions"),
    ("distinct_employees", "employees"),
    ("network_events", "network events"),
)


class PlotError(ValueError):
    """A request the plot cannot draw; the message says what to change."""


@dataclass(frozen=True)
class Plotted:
    device_id: str
    store_id: str
    week_start: datetime
    hours: int  # device-hours drawn
    alerted: int
    episodes: int  # device and store episodes shaded
    panels: tuple[str, ...]


def week_start(text: str) -> datetime:
    """``YYYY-Www`` (ISO week) → its Monday 00:00 UTC."""
    found = WEEK.match(text.strip())
    if found is None:
        raise PlotError(f"--week must look like 2026-W11 (ISO year and week), not {text!r}")
    year, week = int(found.group(1)), int(found.group(2))
    try:
        return datetime.fromisocalendar(year, week, 1).replace(tzinfo=UTC)
    except ValueError:
        raise PlotError(f"{year} has no ISO week {week}") from None


def plot(db: Database, merchant_id: str, device_id: str, week: str, out: Path) -> Plotted:
    start = week_start(week)
    end = start + timedelta(days=7)
    d, e = DEVICE_SCORES.c, EPISODES.c
    with db.tenant(merchant_id) as s:
        rows = s.execute(
            select(d.hour, d.store_id, d.alert, d.expected, d.observed)
            .where(d.merchant_id == merchant_id, d.device_id == device_id, d.hour >= start, d.hour < end)
            .order_by(d.hour)
        ).all()
        if not rows:
            weeks = s.execute(
                select(d.hour).where(d.merchant_id == merchant_id, d.device_id == device_id).order_by(d.hour)
            ).scalars()
            seen = sorted({f"{h.isocalendar()[0]}-W{h.isocalendar()[1]:02d}" for h in weeks})
            if not seen:
                raise PlotError(
                    f"no scored hours for device {device_id!r}: `canary bubble run` scores the stored "
                    "device-hours, and the Devices page (or store_pattern) lists the devices Bubble knows"
                )
            raise PlotError(
                f"device {device_id!r} has no scored hours in {week}; it has hours in "
                f"{', '.join(seen[:12])}{' …' if len(seen) > 12 else ''}"
            )
        store_id = rows[-1].store_id
        episodes = s.execute(
            select(e.scope, e.start, e.end).where(
                e.merchant_id == merchant_id,
                e.start < end,
                e.end > start,
                or_(
                    and_(e.scope == "device", e.device_id == device_id),
                    and_(e.scope == "store", e.store_id == store_id),
                ),
            )
        ).all()
    panels = [
        (dim, label)
        for dim, label in PANELS
        if dim != "network_events" or any(r.observed.get(dim) is not None for r in rows)
    ]
    _draw(rows, panels, episodes, device_id, store_id, week, start, end, out)
    return Plotted(
        device_id,
        store_id,
        start,
        len(rows),
        sum(bool(r.alert) for r in rows),
        len(episodes),
        tuple(d for d, _ in panels),
    )


def band(dimension: str, expected: float, transactions: float) -> tuple[float, float] | None:
    """The 5–95 % guide band around ``expected`` (module docstring); None for a mean dimension."""
    if dimension in COUNT_DIMENSIONS:
        mu = max(expected, 0.0)
        return float(stats.poisson.ppf(0.05, mu)), float(stats.poisson.ppf(0.95, mu))
    if dimension in RATE_DIMENSIONS:
        n = round(transactions)
        if n <= 0:
            return 0.0, 0.0
        p = min(max(expected / n, 0.0), 1.0)
        return float(stats.binom.ppf(0.05, n, p)), float(stats.binom.ppf(0.95, n, p))
    return None


def _draw(
    rows: Any,
    panels: list[tuple[str, str]],
    episodes: Any,
    device_id: str,
    store_id: str,
    week: str,
    start: datetime,
    end: datetime,
    out: Path,
) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    # Every hour of the week, so the lines break over hours without activity (no row, no expectation).
    grid = [start + timedelta(hours=h) for h in range(int((end - start).total_seconds() // 3600))]
    by_hour = {r.hour: r for r in rows}
    rows = [by_hour.get(h) for h in grid]
    hours = grid
    alerted = np.array([bool(r is not None and r.alert) for r in rows])
    fig, axes = plt.subplots(len(panels), 1, figsize=(12, 1.7 * len(panels) + 1), sharex=True)
    for ax, (dim, label) in zip(np.atleast_1d(axes), panels, strict=True):
        scale = 0.01 if dim == "avg_ticket" else 1.0  # cents → dollars
        exp = np.array([_num(r.expected.get(dim) if r else None) * scale for r in rows])
        obs = np.array([_num(r.observed.get(dim) if r else None) * scale for r in rows])
        guide = [
            band(dim, _num(r.expected.get(dim)), _num(r.observed.get("transactions")))
            if r is not None and r.expected.get(dim) is not None
            else None
            for r in rows
        ]
        if dim in COUNT_DIMENSIONS or dim in RATE_DIMENSIONS:
            lo = np.array([g[0] if g else np.nan for g in guide])
            hi = np.array([g[1] if g else np.nan for g in guide])
            ax.fill_between(hours, lo, hi, step="mid", color="#9ecae1", alpha=0.5, label="expected band")
        ax.plot(hours, exp, color="#3182bd", linewidth=1.0, label="expected")
        ax.plot(hours, obs, "o", color="#252525", markersize=2.5, label="observed")
        if alerted.any():
            ax.plot(
                np.array(hours)[alerted], obs[alerted], "o", color="#de2d26", markersize=4, label="alerted"
            )
        for ep in episodes:
            color = "#fc9272" if ep.scope == "device" else "#fdd0a2"
            ax.axvspan(max(ep.start, start), min(ep.end, end), color=color, alpha=0.35, linewidth=0)
        ax.set_ylabel(label, fontsize=8)
        ax.tick_params(labelsize=7)
        unit = "$ per transaction" if dim == "avg_ticket" else UNITS[dim]
        ax.set_title(f"{dim} ({unit})", fontsize=8, loc="left")
    first = np.atleast_1d(axes)[0]
    first.legend(loc="upper right", fontsize=7, ncol=4)
    last = np.atleast_1d(axes)[-1]
    last.set_xlim(start, end)
    last.xaxis.set_major_locator(mdates.DayLocator(tz=UTC))
    last.xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b", tz=UTC))
    fig.suptitle(
        f"{device_id} ({store_id}), {week} (UTC): expected vs observed; device episodes shaded red, "
        "store episodes orange",
        fontsize=10,
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png", dpi=100)
    plt.close(fig)


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)
