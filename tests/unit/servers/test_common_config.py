"""The ways in to the servers agree with the registry: mcp.json, docker-compose.yml, `canary mcp`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from core.cli.main import app
from servers.registry import SERVERS

ROOT = Path(__file__).parents[3]


def test_mcp_json_starts_every_registered_server_over_stdio_with_its_environment() -> None:
    config = json.loads((ROOT / "mcp.json").read_text())["mcpServers"]
    assert sorted(config) == sorted(f"canary-{name}" for name in SERVERS)
    for name in SERVERS:
        entry = config[f"canary-{name}"]
        assert (entry["command"], entry["args"]) == ("canary", ["mcp", name])
        assert {"CANARY_DATABASE_URL", "CANARY_MERCHANT_ID", "CANARY_VAR_DIR"} <= set(entry["env"])
        assert entry["env"]["FASTMCP_CHECK_FOR_UPDATES"] == "off"  # no PyPI call from a client's child


def test_mcp_json_names_no_machine_paths_or_secrets() -> None:
    text = (ROOT / "mcp.json").read_text()
    assert not re.search(r"/(work|tmp|home|Users|root)/", text)
    assert "cnry_" not in text
    assert "PASSWORD" not in text.upper()


def test_compose_serves_the_mcp_servers_over_http_with_allowed_hosts() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    mcp = services["mcp"]
    assert mcp["command"] == ["serve", "--no-inline-workers"]
    assert "FASTMCP_HTTP_ALLOWED_HOSTS" in mcp["environment"]
    ingress = services["ingress"]["environment"]
    assert mcp["environment"]["CANARY_DATABASE_URL"] == ingress["CANARY_DATABASE_URL"]


def test_canary_mcp_refuses_an_unknown_server_and_names_the_known_ones() -> None:
    result = CliRunner().invoke(app, ["mcp", "nope"])
    assert result.exit_code == 2
    assert "unknown MCP server 'nope': choose from identity" in result.output


def test_mcp_json_holds_plain_values_for_clients_that_do_not_expand_variables() -> None:
    text = (ROOT / "mcp.json").read_text()
    assert "${" not in text  # fastmcp's client, among others, passes ${VAR:-default} on verbatim


def test_a_bad_setting_stops_canary_mcp_with_one_line_and_exit_code_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CANARY_LOG_LEVEL", "${CANARY_LOG_LEVEL:-WARNING}")
    monkeypatch.setenv("CANARY_VAR_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["mcp", "identity"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        "error: CANARY_LOG_LEVEL: Value error, '${CANARY_LOG_LEVEL:-WARNING}' is not a log level: "
        "use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
    ]
    assert "Traceback" not in result.output
