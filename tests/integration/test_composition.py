"""The composition root builds what a process needs at construction (core/bootstrap.py): the
ingress's group-commit inbox, the app's lifespan around the MCP servers, one table of stages."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from core.bootstrap import bootstrap
from core.ingest.group_commit import GroupCommitInbox, InboxClosedError
from core.ingest.inbox import Inbox, IncomingEvent
from core.pipeline.workers import STAGE_NAMES, Pipeline
from core.web.app import create_app
from tests.support.pipeline import settings_for


def test_only_the_ingress_gets_the_group_commit_inbox_and_closing_finishes_it(tmp_path: Path) -> None:
    settings = settings_for(f"sqlite:///{tmp_path / 'canary.db'}", tmp_path, redis=False)
    assert settings.ingress_group_commit_ms > 0
    ingress = bootstrap(settings, ingress=True)
    other = bootstrap(settings)  # a CLI command or a worker: each accept commits on its own
    one_by_one = bootstrap(settings.model_copy(update={"ingress_group_commit_ms": 0.0}), ingress=True)
    try:
        assert isinstance(ingress.inbox, GroupCommitInbox)
        assert type(other.inbox) is Inbox
        assert type(one_by_one.inbox) is Inbox
    finally:
        ingress.close()
        other.close()
        one_by_one.close()
    event = IncomingEvent(merchant_id="m_x", source="SQUARE", source_type="WEBHOOK", raw=b"{}")
    with pytest.raises(InboxClosedError):
        ingress.inbox.accept(event)


def test_the_app_runs_its_background_work_for_as_long_as_it_serves(tmp_path: Path) -> None:
    container = bootstrap(settings_for(f"sqlite:///{tmp_path / 'canary.db'}", tmp_path, redis=False))
    seen: list[str] = []

    class Recorder:
        def start(self) -> None:
            seen.append("start")

        def stop(self) -> None:
            seen.append("stop")

    async def floor(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    try:
        app = create_app(container, background=[Recorder()], extra_routes=[Route("/bench/noop", floor)])
        with TestClient(app) as client:
            assert seen == ["start"]
            assert client.get("/healthz").json() == {"status": "ok"}
            assert client.get("/metrics").status_code == 200
            assert client.get("/bench/noop").json() == {"status": "ok"}
        assert seen == ["start", "stop"]
    finally:
        container.close()


def test_one_table_of_stages_feeds_the_workers_and_the_operations_server(tmp_path: Path) -> None:
    container = bootstrap(settings_for(f"sqlite:///{tmp_path / 'canary.db'}", tmp_path, redis=False))
    try:
        assert tuple(container.pipeline.stages) == STAGE_NAMES
        assert [q.stage for q in container.ops.stage_queues()] == list(STAGE_NAMES)
        stages = dict(container.pipeline.stages)
        stages["extra"] = stages.pop("fox")
        with pytest.raises(ValueError, match="is not"):
            Pipeline(**{**vars(container.pipeline), "stages": stages})
    finally:
        container.close()
