"""A scripted OpenAI-compatible chat-completions endpoint (Starlette), to drive the agents through
the real HTTP model client: the script sees each request's messages and tools and answers with tool
calls or text, as a JSON body or, when the client asks to stream, as server-sent chunks.

A script is ``(request) -> Reply``; ``Reply.calls`` are (tool name, arguments) pairs. The requests
are kept (``Endpoint.requests``) so a test can check what the model was shown.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

CHUNK = 16


@dataclass
class Reply:
    text: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


Script = Callable[[dict[str, Any]], Reply]


def tool_results(request: dict[str, Any]) -> list[tuple[str, Any]]:
    """(tool name, parsed result) of every tool message in the request, in order."""
    names = {
        call["id"]: call["function"]["name"]
        for m in request["messages"]
        if m.get("role") == "assistant"
        for call in m.get("tool_calls") or []
    }
    found = []
    for m in request["messages"]:
        if m.get("role") == "tool":
            content = m.get("content")
            try:
                parsed = json.loads(content) if isinstance(content, str) else content
            except ValueError:
                parsed = content
            found.append((names.get(m.get("tool_call_id"), "?"), parsed))
    return found


@dataclass
class Endpoint:
    script: Script
    requests: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self._complete, methods=["POST"])])

    async def _complete(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        reply = self.script(body)
        model = body.get("model", "scripted")
        calls = [
            {
                "id": f"call_{uuid.uuid4().hex[:12]}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            for name, args in reply.calls
        ]
        finish = "tool_calls" if calls else "stop"
        if body.get("stream"):
            return StreamingResponse(
                self._chunks(model, reply.text, calls, finish), media_type="text/event-stream"
            )
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
        if calls:
            message["tool_calls"] = calls
        return JSONResponse(
            {
                "id": "chatcmpl-scripted",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
        )

    async def _chunks(
        self, model: str, text: str, calls: list[dict[str, Any]], finish: str
    ) -> AsyncIterator[str]:
        def chunk(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> str:
            payload = {
                "id": "chatcmpl-scripted",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
                **extra,
            }
            return f"data: {json.dumps(payload)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        for start in range(0, len(text), CHUNK):
            yield chunk({"content": text[start : start + CHUNK]})
        for index, call in enumerate(calls):
            args = call["function"]["arguments"]
            head = {
                "index": index,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            yield chunk({"tool_calls": [head]})
            for start in range(0, len(args), CHUNK):  # arguments arrive in pieces, as real servers send them
                yield chunk(
                    {"tool_calls": [{"index": index, "function": {"arguments": args[start : start + CHUNK]}}]}
                )
        yield chunk({}, finish)
        usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        yield f"data: {json.dumps({**json.loads(chunk({})[6:]), 'choices': [], 'usage': usage})}\n\n"
        yield "data: [DONE]\n\n"
