"""Output sanitising is applied by type: every tool of every server returns a model whose text fields
are all cleaned (or typed ``Id``/``OurText`` on purpose), so a new text field cannot skip it."""

from __future__ import annotations

from typing import Any

import pytest
from fastmcp import FastMCP
from pydantic import BaseModel

from core.customers import results as identity_results
from core.pipeline import ops_results
from core.rules.service import views as chirp_results
from core.text import Id, OurText
from servers import registry
from servers.common import safe, safe_model, unsafe_fields

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Note(BaseModel):
    note_id: Id
    text: str


class Report(BaseModel):
    title: OurText
    notes: list[Note]
    extra: dict[str, Any]
    comment: str | None = None


def test_a_model_with_a_plain_text_field_fails_the_check() -> None:
    assert unsafe_fields(Report) == ["Report.notes.Note.text", "Report.extra", "Report.comment"]
    assert unsafe_fields(safe_model(Report)) == []


def test_the_derived_model_cleans_every_text_but_ids_and_our_own() -> None:
    raw = Report(
        title="  Ours \x1b[31m ",
        notes=[Note(note_id="n\u200b1", text="refund\u202e ok\x1b[0m")],
        extra={"k\u200b": ["x" * 900]},
        comment="\x07hi",
    )
    cleaned = safe(raw)
    assert type(cleaned).model_json_schema() == Report.model_json_schema()
    assert cleaned.title == raw.title  # OurText passes verbatim
    assert cleaned.notes[0].note_id == "n\u200b1"  # an Id round-trips unchanged
    assert cleaned.notes[0].text == "refund ok"
    assert cleaned.extra == {"k": ["x" * 499 + "…"]}
    assert cleaned.comment == "hi"


@pytest.mark.parametrize("module", [chirp_results, identity_results, ops_results])
def test_every_core_result_has_the_same_schema_once_derived(module: Any) -> None:
    models = [
        m
        for m in vars(module).values()
        if isinstance(m, type) and issubclass(m, BaseModel) and m.__module__ == module.__name__
    ]
    assert models
    for model in models:
        assert safe_model(model).model_json_schema() == model.model_json_schema(), model.__name__


async def test_every_tool_of_every_server_returns_a_sanitised_type() -> None:
    checked = 0
    for name, spec in registry.available().items():
        mcp = FastMCP(name)
        spec.register(mcp)
        for tool in await mcp.list_tools():
            assert unsafe_fields(getattr(tool, "return_type", None)) == [], f"{name}.{tool.name}"
            checked += 1
    assert checked >= 20
