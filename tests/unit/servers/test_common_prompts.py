"""Each server offers its workflows as MCP prompt templates read from prompts/mcp/<server>/."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastmcp import Client
from fastmcp.exceptions import McpError

from core.bootstrap import bootstrap
from servers.common import build_server
from servers.common.prompts import FOLDER, parse, templates
from servers.registry import available
from tests.support.pipeline import settings_for

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_every_template_file_parses_and_names_its_arguments_in_the_body() -> None:
    files = sorted(FOLDER.glob("*/*.md"))
    assert files
    for path in files:
        found = parse(path)
        assert found.title
        assert found.description
        for argument in found.arguments:
            assert f"${argument.name}" in found.body, f"{path.name} never uses ${argument.name}"


def test_a_malformed_template_is_refused_with_the_file_named(tmp_path: Path) -> None:
    bad = tmp_path / "broken.md"
    bad.write_text("no title here\n---\nbody\n")
    with pytest.raises(ValueError, match=r"broken\.md: expected '# title'"):
        parse(bad)


async def test_the_servers_list_and_render_their_prompts(tmp_path: Path) -> None:
    container = bootstrap(settings_for(f"sqlite:///{tmp_path / 'c.db'}", tmp_path, redis=False))
    try:
        offered = {}
        for spec in available().values():
            async with Client(build_server(spec, container=container)) as client:
                offered[spec.name] = {p.name: p for p in await client.list_prompts()}
                if spec.name == "canary-chirp":
                    tune = await client.get_prompt(
                        "tune_rule", {"rule_id": "Q-VR-03", "problem": "noisy \x1b[31mred\x1b[0m"}
                    )
                    with pytest.raises(McpError, match="needs: rule_id"):
                        await client.get_prompt("tune_rule", {})
    finally:
        container.close()
    for name, listed in offered.items():
        assert set(listed) == {t.name for t in templates(name)}
    assert {"tune_rule", "attention_today", "data_health"} <= set(offered["canary-chirp"])
    assert "customer_profile" in offered["canary-identity"]
    args = {a.name: a.required for a in offered["canary-chirp"]["tune_rule"].arguments or []}
    assert args == {"rule_id": True, "problem": False}
    text = tune.messages[0].content.text  # type: ignore[union-attr]
    assert "Tune Chirp rule Q-VR-03. The problem reported: noisy red" in text
    assert "get_rule Q-VR-03" in text
