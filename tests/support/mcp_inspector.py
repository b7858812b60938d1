"""The MCP Inspector CLI (npm), installed once into the repository's ``.cache/`` and run as a real
MCP client from outside Python. A missing or unreachable npm is a failure with the reason, never a
skip: this is the only test that proves a non-Python client can use the servers."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.pipeline import cli_env

PACKAGE = "@modelcontextprotocol/inspector"
VERSION = "2.12.0"
CACHE = Path(__file__).parents[2] / ".cache" / "npm-inspector"
BIN = CACHE / "node_modules" / ".bin" / "mcp-inspector"
INSTALLED = CACHE / "node_modules" / "@modelcontextprotocol" / "inspector" / "package.json"
ROOT = Path(__file__).parents[2]


def _installed_version() -> str | None:
    try:
        return str(json.loads(INSTALLED.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def install() -> Path:
    """The inspector's executable, installing the pinned version first if it is not there."""
    if _installed_version() == VERSION and BIN.exists():
        return BIN
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not on PATH: install Node.js 20+ to run the MCP Inspector test", pytrace=False)
    CACHE.mkdir(parents=True, exist_ok=True)
    manifest = CACHE / "package.json"
    if not manifest.exists():
        manifest.write_text('{"name": "canary-npm-inspector", "private": true}\n')
    try:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", f"{PACKAGE}@{VERSION}"],
            cwd=CACHE,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"npm install {PACKAGE}@{VERSION} took over 90 s: is the npm registry reachable?")
    if done.returncode != 0 or _installed_version() != VERSION:
        pytest.fail(
            f"could not install {PACKAGE}@{VERSION} with npm (exit {done.returncode}); is the npm registry "
            f"reachable?\n{done.stderr[-1500:]}",
            pytrace=False,
        )
    return BIN


def run(
    inspector: Path, server: list[str], env: dict[str, str], method: list[str], *, cwd: Path, home: Path
) -> dict[str, Any]:
    """One non-interactive inspector call against a stdio server; its JSON answer.

    A stdio child inherits almost nothing, so the server's environment is passed with ``-e``; HOME
    points at a scratch folder because the inspector reads its default catalog from there."""
    home.mkdir(parents=True, exist_ok=True)
    flags = [part for key, value in env.items() for part in ("-e", f"{key}={value}")]
    done = subprocess.run(
        [str(inspector), "--cli", *flags, *server, "--method", *method],
        cwd=cwd,
        env={"PATH": str(Path(shutil.which("node") or "node").parent), "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"inspector exited {done.returncode}:\n{done.stderr[-3000:]}"
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def server_env(database_url: str, var_dir: Path, merchant_id: str) -> dict[str, str]:
    """What a stdio server started by the inspector needs: the database, keys and merchant, no update
    check, and this checkout's code on the path (not whichever one the venv was installed from)."""
    return cli_env(database_url, var_dir) | {
        "CANARY_MERCHANT_ID": merchant_id,
        "FASTMCP_CHECK_FOR_UPDATES": "off",
        "PYTHONPATH": str(ROOT),
    }


def list_tools(inspector: Path, server: list[str], env: dict[str, str], scratch: Path) -> dict[str, Any]:
    """``tools/list --strict`` (exits non-zero on a schema a non-Python client cannot use), by name."""
    answer = run(inspector, server, env, ["tools/list", "--strict"], cwd=scratch, home=scratch / "h")
    return {t["name"]: t for t in answer["tools"]}
