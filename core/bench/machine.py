"""Facts about the machine a benchmark ran on, so a figure is never quoted without its hardware."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import redis

# Postgres settings that decide commit-bound figures; a reader comparing runs needs to see them.
PG_SETTINGS = (
    "fsync",
    "synchronous_commit",
    "wal_sync_method",
    "commit_delay",
    "shared_buffers",
    "max_connections",
    "full_page_writes",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cpu_flags() -> list[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                return sorted(flags & {"sha_ni", "avx2", "avx512f", "aes"})
    except OSError:
        pass
    return []


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError):
        pass
    return None


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 — git from PATH is the point
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
            cwd=Path(__file__).parent,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def postgres_facts(admin_url: str) -> dict[str, Any]:
    try:
        with psycopg.connect(admin_url, connect_timeout=3) as conn:
            version = conn.execute("SHOW server_version").fetchone()
            rows = conn.execute(
                "SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s)", (list(PG_SETTINGS),)
            ).fetchall()
    except psycopg.Error as exc:
        return {"error": str(exc).strip().splitlines()[0]}
    return {
        "version": version[0] if version else None,
        "settings": {name: f"{setting}{' ' + unit if unit else ''}" for name, setting, unit in rows},
    }


def redis_facts(url: str) -> dict[str, Any]:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3)
        try:
            info = client.info("server")
        finally:
            client.close()
    except redis.RedisError as exc:
        return {"error": str(exc)}
    return {"version": info.get("redis_version"), "mode": info.get("redis_mode")}


def machine_facts(postgres_url: str | None, redis_url: str | None) -> dict[str, Any]:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_model": _cpu_model(),
        "cpu_flags": _cpu_flags(),
        "cores": os.cpu_count(),
        "cores_usable": affinity,
        "ram_gib": _ram_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "postgres": postgres_facts(postgres_url) if postgres_url else None,
        "redis": redis_facts(redis_url) if redis_url else None,
        "git_commit": _git_commit(),
    }
