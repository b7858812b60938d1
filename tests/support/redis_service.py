"""Redis for tests: the server's URL, checked, and clean-up of a test's own keys.

Tests that need Redis fail (never skip) when it is unreachable, with the command to start it;
`CANARY_SKIP_SERVICES=1` turns that into a skip for a laptop without services. Each test keeps to
keys under its own prefix and deletes them, so runs can share a server without FLUSHDB.
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from core.bus.redis_streams import redact

DEFAULT_URL = "redis://127.0.0.1:6379/15"
START_HINT = (
    "start it with `make services` or "
    "`redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no`"
)


def redis_url() -> str:
    """`CANARY_TEST_REDIS_URL` (default db 15 on loopback) once it answers PING."""
    url = os.environ.get("CANARY_TEST_REDIS_URL", DEFAULT_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
        problem = None
    except redis.RedisError as exc:
        problem = str(exc).strip()[:120]
    finally:
        client.close()
    if problem is not None:  # reported outside the handler, so pytest shows one line, not a chain
        message = f"Redis is unreachable at {redact(url)} ({problem}); {START_HINT}"
        if os.environ.get("CANARY_SKIP_SERVICES") == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    return url


def unique_prefix() -> str:
    return f"canary-test-{uuid.uuid4().hex[:10]}:"


def delete_keys(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1_000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
