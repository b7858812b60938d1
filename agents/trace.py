"""Traceable answers: every figure in Owl's answer names the tool call it came from, and is checked.

``OwlAnswer`` is Owl's output type: the answer text plus one ``Figure`` per number in it (tool,
arguments, value). ``untraced`` compares them with the run's real tool calls and returns (the
message history, not anything the model says about them):

- a figure must name a call that was made with exactly those arguments, and its value must occur
  in that call's result (a number in it, or the length of a list in it);
- every number written in the answer must be one of the figures (as is, or cents shown as
  dollars, or a 0–1 rate shown as a percentage). Digits inside identifiers and dates
  (``Q-DM-01``, ``sq:employee:E1``, ``2026-12-01``) are not figures.

Owl's output validator turns a non-empty result into a retry with the reasons, and after the retries
the run fails: an answer with an untraced figure is never returned.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import BaseModel, Field
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart

Number = int | float
OUTPUT_TOOL = "final_result"  # pydantic-ai's name for the output tool: the answer, not a source


class Figure(BaseModel):
    """One number in the answer and where it came from."""

    value: Number = Field(description="The number exactly as the tool returned it (money in cents).")
    tool: str = Field(description="The tool whose result holds the value, e.g. 'customer_metrics'.")
    args: dict[str, Any] = Field(
        default_factory=dict, description="The arguments of that call, exactly as you passed them."
    )
    label: str = Field(default="", description="What the number is, e.g. 'net spend of sq:customer:A'.")


class OwlAnswer(BaseModel):
    """Owl's answer: prose for a person, and the provenance of every number in it."""

    answer: str = Field(description="The answer, in plain words. Every number in it is one of `figures`.")
    figures: list[Figure] = Field(
        default_factory=list, description="One entry per number in the answer, with its tool call."
    )


# A number standing alone: not glued to letters, ids (``Q-DM-01``, ``sq:…:E1``) or dates.
_NUMBER = re.compile(r"(?<![\w:/.\-])-?\$?\d[\d,]*(?:\.\d+)?%?(?![\w:/\-]|\.\d)")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+Z?)?\b")


def numbers_in(text: str) -> list[tuple[float, int]]:
    """Each number written in ``text`` and how many decimals it was written with."""
    without_dates = _DATE.sub(" ", text)
    found = []
    for token in _NUMBER.findall(without_dates):
        cleaned = token.replace("$", "").replace(",", "").rstrip("%")
        try:
            found.append((float(cleaned), len(cleaned.partition(".")[2])))
        except ValueError:
            continue
    return found


def _leaves(value: Any) -> Iterator[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield float(value)
    elif isinstance(value, str):
        try:
            yield float(value)
        except ValueError:
            return
    elif isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        yield float(len(value))
        for item in value:
            yield from _leaves(item)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def tool_calls(messages: Sequence[ModelMessage]) -> list[tuple[str, dict[str, Any], Any]]:
    """(tool, arguments, result) for every call that returned, in order."""
    calls: dict[str, ToolCallPart] = {}
    done: list[tuple[str, dict[str, Any], Any]] = []
    for message in messages:
        for part in message.parts:
            if isinstance(message, ModelResponse) and isinstance(part, ToolCallPart):
                calls[part.tool_call_id] = part
            elif isinstance(message, ModelRequest) and isinstance(part, ToolReturnPart):
                call = calls.get(part.tool_call_id)
                if (
                    call is not None
                    and part.outcome == "success"
                    and not part.tool_name.startswith(OUTPUT_TOOL)
                ):
                    done.append((part.tool_name, call.args_as_dict(), _content(part.content)))
    return done


def _content(content: Any) -> Any:
    if isinstance(content, str):
        try:
            return json.loads(content)
        except ValueError:
            return content
    return content


def _renderings(value: float) -> list[float]:
    """How a traced number may be written: as is, cents as dollars, a rate as a percentage."""
    shown = [value, value / 100]
    if 0 <= value <= 1:
        shown.append(value * 100)
    return shown


def untraced(answer: OwlAnswer, messages: Sequence[ModelMessage]) -> list[str]:
    """Why the answer's figures do not trace to this run's tool results; empty when they all do."""
    calls = tool_calls(messages)
    problems = []
    for figure in answer.figures:
        made = [result for tool, args, result in calls if tool == figure.tool and args == figure.args]
        if not made:
            problems.append(f"{figure.value} names {figure.tool}({figure.args}), a call this run never made")
        elif not any(_same(figure.value, leaf) for result in made for leaf in _leaves(result)):
            problems.append(f"{figure.value} does not occur in the result of {figure.tool}({figure.args})")
    known = [shown for figure in answer.figures for shown in _renderings(float(figure.value))]
    for number, decimals in numbers_in(answer.answer):
        # Written with d decimals, a traced number may be rounded to d decimals, never further.
        if not any(_same(number, round(k, decimals)) for k in known):
            problems.append(f"{number:g} appears in the answer but is not one of its figures")
    return problems
