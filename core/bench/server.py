"""The ingress as the benchmark runs it (``python -m core.bench.server --port N``).

The same app as ``canary serve --no-inline-workers`` (settings from ``CANARY_*``, ``create_app``,
uvicorn, no access log), plus ``POST /bench/noop``, which reads the body and answers a small JSON
object: the floor of this HTTP stack on this machine, measured against the same server process.
``--group-commit`` builds the ingress with ``GroupCommitInbox`` (``--group-wait-ms`` its window) and
without it each webhook commits on its own, so the effect of group commit can be measured.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.bootstrap import bootstrap
from core.settings import Settings
from core.web.app import create_app


async def noop(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"status": "ok", "bytes": len(body)})


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m core.bench.server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--group-commit", action="store_true")
    parser.add_argument("--group-wait-ms", type=float, default=2.0)
    args = parser.parse_args(argv)
    window_ms = args.group_wait_ms if args.group_commit else 0.0
    settings = Settings().model_copy(update={"ingress_group_commit_ms": window_ms})
    container = bootstrap(settings, ingress=True)
    app = create_app(container, extra_routes=[Route("/bench/noop", noop, methods=["GET", "POST"])])
    try:
        # Loopback only, whatever CANARY_HTTP_HOST says: the benchmark never listens on a network.
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
    finally:
        container.close()


if __name__ == "__main__":
    main()
