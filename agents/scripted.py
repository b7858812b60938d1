"""A scripted model: a Python function plays the model, streamed or not (tests, ``canary bench
agents`` without a configured model).

``scripted(step)`` wraps ``step(messages, info) -> ModelResponse`` as a pydantic-ai ``FunctionModel``
that also answers streamed requests, by sending the same response in chunks (text in pieces, each
tool call's arguments as one JSON delta), so the CLI's streaming path is the one exercised.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

Step = Callable[[list[ModelMessage], AgentInfo], ModelResponse]
CHUNK = 24


def scripted(step: Step, *, name: str = "scripted") -> FunctionModel:
    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str | DeltaToolCalls]:
        response = step(messages, info)
        for index, part in enumerate(response.parts):
            if isinstance(part, TextPart):
                for start in range(0, len(part.content), CHUNK):
                    yield part.content[start : start + CHUNK]
            elif isinstance(part, ToolCallPart):
                args = part.args if isinstance(part.args, str) else json.dumps(part.args or {})
                yield {index: DeltaToolCall(part.tool_name, args, tool_call_id=part.tool_call_id)}

    return FunctionModel(step, stream_function=stream, model_name=name)


def returns(messages: list[ModelMessage]) -> list[ToolReturnPart]:
    """Every tool result the model has been sent so far, in order."""
    return [p for m in messages for p in m.parts if isinstance(p, ToolReturnPart)]


def final(info: AgentInfo, **output: Any) -> ModelResponse:
    """The model's final answer, through the agent's output tool."""
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, output)])


def call(tool: str, **args: Any) -> ModelResponse:
    return ModelResponse(parts=[ToolCallPart(tool, args)])
