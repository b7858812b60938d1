"""A small HTTP/1.1 load generator on raw asyncio streams, for loopback only.

Why not httpx: on a 2-core machine the client shares the CPU with the server, the workers and
Postgres, and httpx spends several times more CPU per request than writing pre-built request bytes
to a kept-alive socket. Every request here is built (and signed) before the clock starts.

Two shapes of load:

- **closed loop** (``closed_loop``): ``connections`` clients each send their next request as soon as
  the previous answer arrives; this finds the maximum throughput.
- **open loop** (``open_loop``): request *i* is due at ``t0 + i / rate`` whatever happened before.
  Latency is measured from the due time, not the send time, so a stalled server is charged for the
  requests queued behind it (no coordinated omission). Connections come from a bounded pool; when
  all are busy a due request waits for one, and that wait counts.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"host: {host}", f"content-length: {len(self.body)}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass
class LoadResult:
    latencies: list[float]  # seconds, one per answered request
    statuses: dict[int, int]
    errors: int
    started: float  # time.time() of the first send (wall clock, comparable with database timestamps)
    elapsed: float  # perf_counter seconds from the first send to the last answer

    @property
    def answered(self) -> int:
        return len(self.latencies)

    def count(self, status: int) -> int:
        return self.statuses.get(status, 0)


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


class _Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors = 0

    def record(self, status: int, latency: float) -> None:
        self.latencies.append(latency)
        self.statuses[status] = self.statuses.get(status, 0) + 1


async def _closed(host: str, port: int, requests: Sequence[bytes], connections: int) -> LoadResult:
    tally = _Tally()
    pending = iter(requests)
    conns = [await _Connection.open(host, port) for _ in range(min(connections, len(requests)))]

    async def client(conn: _Connection) -> None:
        for request in pending:
            began = time.perf_counter()
            try:
                status = await conn.exchange(request)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                tally.errors += 1
                conn.close()
                conn = await _Connection.open(host, port)
                continue
            tally.record(status, time.perf_counter() - began)
        conn.close()

    wall, started = time.time(), time.perf_counter()
    await asyncio.gather(*(client(c) for c in conns))
    return LoadResult(tally.latencies, tally.statuses, tally.errors, wall, time.perf_counter() - started)


async def _open(host: str, port: int, requests: Sequence[bytes], rate: float, connections: int) -> LoadResult:
    tally = _Tally()
    pool: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await _Connection.open(host, port))
    wall, t0 = time.time(), time.perf_counter()
    tasks: list[asyncio.Task[None]] = []

    async def one(request: bytes, due: float) -> None:
        conn = await pool.get()
        try:
            status = await conn.exchange(request)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            tally.errors += 1
            conn.close()
            conn = await _Connection.open(host, port)
        else:
            tally.record(status, time.perf_counter() - due)
        pool.put_nowait(conn)

    for i, request in enumerate(requests):
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(request, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    while not pool.empty():
        pool.get_nowait().close()
    return LoadResult(tally.latencies, tally.statuses, tally.errors, wall, elapsed)


def _loopback(host: str) -> str:
    """The generator refuses anything but this machine: it is a benchmark, not a load-testing tool."""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the load generator only targets loopback addresses, not {host!r}")
    return host


def closed_loop(host: str, port: int, requests: Sequence[Request], *, connections: int) -> LoadResult:
    _loopback(host)
    raw = [r.encode(f"{host}:{port}") for r in requests]
    return asyncio.run(_closed(host, port, raw, connections))


def open_loop(
    host: str, port: int, requests: Sequence[Request], *, rate: float, connections: int
) -> LoadResult:
    _loopback(host)
    raw = [r.encode(f"{host}:{port}") for r in requests]
    return asyncio.run(_open(host, port, raw, rate, connections))
