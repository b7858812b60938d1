"""Where the CPU went during a phase: seconds per role, read from ``/proc`` (Linux only; elsewhere empty).

Roles are the benchmark's own processes (ingress, each stage, the load generator), the Postgres
backends connected to the run's scratch database (found by the database name Postgres puts in each
backend's process title), the Postgres server's shared processes (WAL writer, checkpointer…), and
Redis. ``other`` is everything else that kept the machine busy: on a shared machine, the sign that a
run was disturbed. Reading ``/proc/<pid>/{stat,cmdline}`` is all this does.

Deltas are taken per process, so a process that starts during the phase counts from zero and one
that exits takes its CPU with it (the pools keep their connections open, so little is lost).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
MACHINE_KEYS = frozenset({"wall", "machine busy", "machine total"})

Snapshot = dict[str, dict[int, float]]


def _process_seconds(pid: int) -> float:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime, fields 14 and 15 of stat


def _service_role(pid: int, database: str | None) -> str | None:
    try:
        comm = (PROC / str(pid) / "comm").read_text().strip()
        if comm == "redis-server":
            return "redis"
        if comm != "postgres":
            return None
        title = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    if database and f" {database} " in title:
        return "postgres"
    if "(" in title or "[local]" in title:
        return None  # another database's client backend: someone else's work, left in "other"
    return "postgres (shared)"  # the postmaster, WAL writer, checkpointer, autovacuum…


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from the first line of /proc/stat."""
    try:
        values = [int(v) for v in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


class CpuMeter:
    """``snapshot()`` before and after a phase; ``usage(before, after)`` is CPU seconds per role."""

    def __init__(self, roles: Mapping[str, Sequence[int]], *, database: str | None = None) -> None:
        self._roles = {role: list(pids) for role, pids in roles.items()}
        self._database = database

    def snapshot(self) -> Snapshot:
        out: Snapshot = {role: {p: _process_seconds(p) for p in pids} for role, pids in self._roles.items()}
        if PROC.exists():
            for entry in PROC.iterdir():
                if entry.name.isdigit():
                    role = _service_role(int(entry.name), self._database)
                    if role:
                        out.setdefault(role, {})[int(entry.name)] = _process_seconds(int(entry.name))
        busy, total = _machine_busy()
        out["machine busy"], out["machine total"], out["wall"] = {0: busy}, {0: total}, {0: time.monotonic()}
        return out

    @staticmethod
    def usage(before: Snapshot, after: Snapshot) -> dict[str, float]:
        out: dict[str, float] = {}
        for role, pids in after.items():
            earlier = before.get(role, {})
            out[role] = round(sum(max(0.0, s - earlier.get(pid, 0.0)) for pid, s in pids.items()), 3)
        ours = sum(v for role, v in out.items() if role not in MACHINE_KEYS)
        out["other"] = round(max(0.0, out.get("machine busy", 0.0) - ours), 3)
        return out


def per_event_ms(usage: Mapping[str, float], events: int) -> dict[str, float]:
    """CPU milliseconds per event for each role (the machine rows stay in seconds in ``usage``)."""
    if events <= 0:
        return {}
    return {
        role: round(seconds * 1000 / events, 3) for role, seconds in usage.items() if role not in MACHINE_KEYS
    }


def disturbed(usage: Mapping[str, float]) -> float:
    """The share of the machine's capacity that went to processes outside this run."""
    total = usage.get("machine total", 0.0)
    return usage.get("other", 0.0) / total if total else 0.0


def summary(usage: Mapping[str, float], events: int) -> str:
    """One line for a report: CPU ms per event by role, largest first, and how busy the machine was."""
    per_event = per_event_ms(usage, events)
    busy = usage["machine busy"] / usage["machine total"] if usage.get("machine total") else 0.0
    parts = ", ".join(f"{role} {ms:.2f}" for role, ms in sorted(per_event.items(), key=lambda kv: -kv[1]))
    line = f"CPU ms per event: {parts}; machine {busy:.0%} busy over {usage.get('wall', 0.0):.1f} s"
    if disturbed(usage) > 0.05:
        line += f"; DISTURBED: {disturbed(usage):.0%} of the machine went to processes outside this run"
    return line
