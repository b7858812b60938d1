"""``/healthz`` (is this process able to do its job) and ``/metrics`` (Prometheus text)."""

from __future__ import annotations

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse

from core.db.engine import StorageUnavailableError, check_connection
from core.pipeline.workers import stage_alarms
from core.web.deps import OpsDeps


async def healthz(request: Request) -> JSONResponse:
    deps: OpsDeps = request.app.state.ops
    try:
        await to_thread.run_sync(check_connection, deps.db.engine)
    except StorageUnavailableError as exc:
        return JSONResponse({"status": "unavailable", "database": str(exc)}, status_code=503)
    return JSONResponse({"status": "ok"})


async def metrics(request: Request) -> PlainTextResponse:
    deps: OpsDeps = request.app.state.ops
    health = await to_thread.run_sync(deps.health.report)
    queues = await to_thread.run_sync(deps.ops.stage_queues)  # the stages pipeline_health reports
    alarms = await to_thread.run_sync(stage_alarms, deps.pipeline)
    lines = [
        "# TYPE canary_stream_length gauge",
        "# TYPE canary_stream_pending gauge",
        "# TYPE canary_stream_lag gauge",
        "# TYPE canary_stream_oldest_pending_idle_seconds gauge",
        "# TYPE canary_stream_dead_letters gauge",
    ]
    for s in queues:
        lines.append(f'canary_stream_length{{stage="{s.stage}"}} {s.length}')
        lines.append(f'canary_stream_pending{{stage="{s.stage}"}} {s.pending}')
        if s.lag is not None:  # unknown: no sample rather than a made-up 0
            lines.append(f'canary_stream_lag{{stage="{s.stage}"}} {s.lag}')
        idle = s.oldest_pending_idle_seconds or 0
        lines.append(f'canary_stream_oldest_pending_idle_seconds{{stage="{s.stage}"}} {idle}')
        lines.append(f'canary_stream_dead_letters{{stage="{s.stage}"}} {s.dead_letters}')
    outcomes = health.parsed + health.ignored + health.failed
    lines += [
        "# TYPE canary_sealed_events gauge",
        f"canary_sealed_events {health.sealed_events}",
        "# TYPE canary_unsealed_inbox gauge",
        f"canary_unsealed_inbox {health.unsealed_inbox}",
        "# TYPE canary_oldest_unsealed_age_seconds gauge",
        f"canary_oldest_unsealed_age_seconds {health.oldest_unsealed_age_seconds or 0}",
        "# TYPE canary_parse_total counter",
        f'canary_parse_total{{status="parsed"}} {health.parsed}',
        f'canary_parse_total{{status="ignored"}} {health.ignored}',
        f'canary_parse_total{{status="failed"}} {health.failed}',
        "# TYPE canary_parse_failure_rate gauge",
        f"canary_parse_failure_rate {health.parse_failure_rate:.6f}",
        "# TYPE canary_unparsed_events gauge",
        f"canary_unparsed_events {max(health.sealed_events - outcomes, 0)}",
    ]
    stuck = {a.stage for a in alarms}
    lines.append("# TYPE canary_stage_stuck gauge")  # 1 while core/pipeline/alarms.py alarms for the stage
    lines += [f'canary_stage_stuck{{stage="{name}"}} {int(name in stuck)}' for name in deps.pipeline.stages]
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
