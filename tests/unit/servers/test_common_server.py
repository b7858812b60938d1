"""servers/common's conventions on a tiny server: scopes, read-only mode, error mapping, the registry."""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastmcp import Client, Context, FastMCP
from fastmcp.exceptions import ToolError

from core.auth.principal import Principal
from core.bootstrap import Container, bootstrap
from core.clock import Clock
from servers import registry
from servers.common import READ_ONLY, WRITE, ServerSpec, build_server, clean, require
from servers.common.server import WRITE_TAG
from tests.support.pipeline import settings_for

pytestmark = pytest.mark.anyio


def _register(mcp: FastMCP) -> None:
    @mcp.tool(annotations=READ_ONLY)
    def whoami(ctx: Context) -> dict[str, str]:
        _rt, who = require(ctx)
        return {"merchant": who.merchant_id, "role": who.role}

    @mcp.tool(annotations=WRITE, tags={WRITE_TAG})
    def tune(ctx: Context) -> str:
        require(ctx, "rules:write")
        return "tuned"

    @mcp.tool(annotations=READ_ONLY)
    def untagged_write(ctx: Context) -> str:
        require(ctx, "rules:write")  # a write tool someone forgot to tag: require() still refuses
        return "written"

    @mcp.tool(annotations=READ_ONLY)
    def missing(name: str) -> str:
        raise LookupError(f"no rule {name!r}")

    @mcp.tool(annotations=READ_ONLY)
    def crash() -> str:
        raise RuntimeError("internal detail: /srv/secret.key")


TINY = ServerSpec(name="canary-tiny", instructions="test server", register=_register)


def principal(*scopes: str) -> Principal:
    return Principal(merchant_id="m_tiny", role="analyst", scopes=frozenset(scopes), transport="memory")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    tmp = tmp_path_factory.mktemp("common")
    built = bootstrap(settings_for(f"sqlite:///{tmp / 'canary.db'}", tmp, redis=False))
    yield built
    built.close()


async def names(server: FastMCP) -> list[str]:
    async with Client(server) as client:
        return sorted(t.name for t in await client.list_tools())


async def test_read_only_mode_hides_write_tagged_tools_and_refuses_them(container: Container) -> None:
    server = build_server(
        TINY, container=container, principal=principal("read", "rules:write"), read_only=True
    )
    assert "tune" not in await names(server)
    async with Client(server) as client:
        refused = await client.call_tool("tune", {}, raise_on_error=False)
        untagged = await client.call_tool("untagged_write", {}, raise_on_error=False)
    assert refused.is_error
    assert untagged.is_error
    assert "runs read-only" in untagged.content[0].text  # type: ignore[union-attr]


async def test_without_read_only_the_write_tool_is_listed_and_runs_for_a_token_with_its_scope(
    container: Container,
) -> None:
    server = build_server(TINY, container=container, principal=principal("read", "rules:write"))
    assert "tune" in await names(server)
    async with Client(server) as client:
        assert (await client.call_tool("tune", {})).data == "tuned"


async def test_a_tool_needing_a_scope_the_caller_lacks_says_which_scope_and_what_the_caller_has(
    container: Container,
) -> None:
    server = build_server(TINY, container=container, principal=principal("read", "cases:write"))
    async with Client(server) as client:
        with pytest.raises(ToolError, match=r"needs the 'rules:write' scope; .* has: cases:write, read"):
            await client.call_tool("tune", {})
        assert (await client.call_tool("whoami", {})).data == {"merchant": "m_tiny", "role": "analyst"}


async def test_domain_errors_reach_the_model_and_anything_else_is_masked(container: Container) -> None:
    async with Client(build_server(TINY, container=container, principal=principal("read"))) as client:
        missing = await client.call_tool("missing", {"name": "Q-XX-99"}, raise_on_error=False)
        crash = await client.call_tool("crash", {}, raise_on_error=False)
    assert missing.content[0].text == "no rule 'Q-XX-99'"  # type: ignore[union-attr]
    assert "secret" not in crash.content[0].text  # type: ignore[union-attr]


def test_clean_strips_escapes_invisible_and_direction_characters_and_bounds_length() -> None:
    assert clean("ok \x1b[2J\x1b]0;title\x07done") == "ok done"
    assert clean("a\u200bb\u202ec\u2066d\ufeff") == "abcd"
    assert clean("bell\x07 nul\x00") == "bell  nul"
    assert clean("é") == "é"  # NFC: one character, the way it is displayed
    long = clean("x" * 2000)
    assert len(long) == 500
    assert long.endswith("…")


def test_the_registry_skips_a_server_whose_package_does_not_exist_yet(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    (tmp_path / "canary_half_built").mkdir()  # a folder with no __init__.py yet (a namespace package)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(
        registry,
        "SERVERS",
        {"identity": "servers.identity", "ghost": "canary_no_such_server", "half": "canary_half_built"},
    )
    with caplog.at_level(logging.WARNING, logger="servers.registry"):
        found = registry.available()
    assert sorted(found) == ["identity"]
    assert "canary_no_such_server does not exist yet" in caplog.text
    assert "canary_half_built does not exist yet" in caplog.text


def test_the_registry_does_not_hide_a_missing_module_inside_an_existing_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    package = tmp_path / "canary_broken_server"
    package.mkdir()
    (package / "__init__.py").write_text("import canary_dependency_nobody_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "SERVERS", {"broken": "canary_broken_server"})
    try:
        with pytest.raises(ModuleNotFoundError, match="canary_dependency_nobody_installed"):
            registry.available()
    finally:
        sys.modules.pop("canary_broken_server", None)


def test_an_unknown_server_name_lists_the_known_ones() -> None:
    with pytest.raises(registry.UnknownServerError, match="choose from identity"):
        registry.spec("nope")


def test_the_container_is_frozen_and_hands_out_only_what_a_deps_object_declares(container: Container) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        container.inbox = container.inbox  # type: ignore[misc]

    @dataclasses.dataclass(frozen=True)
    class Wants:
        clock: Clock
        nonsense: int

    @dataclasses.dataclass(frozen=True)
    class WrongType:
        db: str

    with pytest.raises(TypeError, match="the container has no 'nonsense'"):
        container.deps(Wants)
    with pytest.raises(TypeError, match=r"WrongType.db wants str; the container's is Database"):
        container.deps(WrongType)
