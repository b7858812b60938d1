"""The ingress as the benchmark runs it (``python -m core.bench.server --port N``).

The same app as ``canary serve --no-inline-workers`` (settings from ``CANARY_*``, ``create_app``,
uvicorn, no access log), plus ``POST /bench/noop``, which reads the body and answers a small JSON
object: the floor of this HTTP stack on this machine, measured against the same server process.
``--group-commit`` swaps in ``GroupCommitInbox`` so the effect of group commit can be measured
before bootstrap grows a setting for it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.bootstrap import bootstrap
from core.ingest.group_commit import GroupCommitInbox
from core.settings import Settings
from core.web.app import create_app


async def noop(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"status": "ok", "bytes": len(body)})


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m core.bench.server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--group-commit", action="store_true")
    parser.add_argument("--group-max", type=int, default=64)
    parser.add_argument("--group-wait-ms", type=float, default=2.0)
    args = parser.parse_args(argv)
    settings = Settings()
    container = bootstrap(settings)
    if args.group_commit:
        container.inbox = GroupCommitInbox(
            container.db,
            container.bus,
            container.keyring,
            container.clock,
            dedup_hours=settings.dedup_window_hours,
            max_events=args.group_max,
            max_wait_s=args.group_wait_ms / 1000,
        )
    app = create_app(container)
    app.router.routes.append(Route("/bench/noop", noop, methods=["GET", "POST"]))
    try:
        # Loopback only, whatever CANARY_HTTP_HOST says: the benchmark never listens on a network.
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
    finally:
        container.close()


if __name__ == "__main__":
    main()
