"""Settings that cannot work end a command with one clear line and exit code 2, never a traceback:
a bad log level, a missing or malformed key (in the environment or the embedded key file), a
database URL that is wrong or unreachable."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.cli.main import app
from tests.support.pipeline import TEST_MASTER_KEY, TEST_SIGNING_KEY

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none"  # nothing listens on port 1
KEYS = {"CANARY_MASTER_KEY": TEST_MASTER_KEY, "CANARY_LEDGER_SIGNING_KEY": TEST_SIGNING_KEY}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CANARY_LOG_LEVEL": "LOUD"}, "error: CANARY_LOG_LEVEL: Value error, 'LOUD' is not a log level"),
        ({"CANARY_MASTER_KEY": "not-base64!"}, "error: CANARY_MASTER_KEY must be base64 of 32 bytes"),
        ({"CANARY_LEDGER_SIGNING_KEY": "c2hvcnQ="}, "error: CANARY_LEDGER_SIGNING_KEY must be base64 of 32"),
        ({"CANARY_DATABASE_URL": UNREACHABLE}, "error: CANARY_MASTER_KEY is required with Postgres"),
        ({"CANARY_DATABASE_URL": UNREACHABLE, **KEYS, "CANARY_MASTER_KEY": ""}, "error: CANARY_MASTER_KEY"),
        ({"CANARY_DATABASE_URL": UNREACHABLE, **KEYS}, "error: database unavailable at postgresql"),
        ({"CANARY_DATABASE_URL": "mysql://db/canary"}, "error: unsupported database 'mysql'"),
    ],
)
def test_a_setting_that_cannot_work_is_one_line_and_exit_2(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    env = {
        "CANARY_DATABASE_URL": f"sqlite:///{tmp_path / 'canary.db'}",
        "CANARY_VAR_DIR": str(tmp_path),
        **env,
    }
    result = CliRunner().invoke(app, ["verify"], env=env)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1, result.output
    assert lines[0].startswith(message), result.output
    assert "Traceback" not in result.output


def test_a_corrupt_embedded_key_file_is_named_in_one_line(tmp_path: Path) -> None:
    env = {"CANARY_DATABASE_URL": f"sqlite:///{tmp_path / 'canary.db'}", "CANARY_VAR_DIR": str(tmp_path)}
    assert CliRunner().invoke(app, ["verify"], env=env).exit_code == 0  # creates the key files
    keys = sorted(p for p in tmp_path.iterdir() if p.suffix == ".key" or p.name.endswith("key"))
    assert keys, list(tmp_path.iterdir())
    keys[0].write_text("truncated\n")
    result = CliRunner().invoke(app, ["verify"], env=env)
    assert result.exit_code == 2, result.output
    assert result.output.strip().startswith(f"error: {keys[0].name} must be base64 of 32 bytes"), (
        result.output
    )
    assert str(keys[0]) in result.output
