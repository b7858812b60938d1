"""The demo's closing advice: why each scenario went undetected, and next steps that fit 80 columns
and paste as they are (issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from core.cli import demo
from core.demo.summary import why_missed
from core.settings import Settings

READY = {"Q-VR-03": None, "Q-DM-02": "not applicable: missing price_changes.item_id"}


def test_a_rule_the_data_feeds_is_a_real_miss() -> None:
    assert why_missed("Q-VR-03", READY) == "missed: the rule ran on the data and did not fire"


def test_a_rule_no_way_in_feeds_awaits_data_and_names_what_is_missing() -> None:
    assert why_missed("Q-DM-02", READY) == (
        "awaits data Canary does not ingest yet: missing price_changes.item_id"
    )


def test_a_rule_not_in_the_catalog_awaits_a_capability() -> None:
    assert why_missed("A-BUBBLE-DEVICE", READY).startswith("awaits a capability not built yet")


@pytest.fixture
def at_default(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr(demo, "canary_command", lambda: ".venv/bin/canary")  # as `make demo` runs it
    return Settings(database_url=SecretStr("sqlite:///var/canary.db"), var_dir=Path("./var"))


def test_the_next_steps_fit_80_columns(at_default: Settings) -> None:
    token = "cnry_3555e4f3f6f2c063_QTg04tQoFNzJujMh_yt9Q3aT9tLUnLt5FwNp9jnaoPQ"
    lines = demo.next_steps("sim-7", Path("./var"), at_default, token, "case_36b9ab69b2c9450e7326c76a")
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert f"  {token}" in lines


def test_the_inspector_command_pastes_as_one_shell_command(at_default: Settings) -> None:
    lines = demo.next_steps("sim-7", Path("./var"), at_default)
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("npx "))
    command = []
    for line in lines[start:]:
        command.append(line.strip().removesuffix("\\").strip())
        if not line.endswith("\\"):
            break
    assert " ".join(command) == (
        f"{demo.INSPECTOR} -e CANARY_MERCHANT_ID=sim-7 .venv/bin/canary mcp chirp --method tools/list"
    )
