"""``canary forget-customer``: it says what it will erase, ``--dry-run`` changes nothing, and without
``--yes`` it asks first; a "no" (or no answer) leaves every payload in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, func, select
from typer.testing import CliRunner

from core.cli.main import app
from core.db.tables.ledger import InboxEntry
from core.pipeline.workers import drain
from tests.support.pipeline import new_merchant, post, running_canary, settings_for, square_sample, webhook

CUSTOMER = square_sample("customer.created")["data"]["id"]


@pytest.fixture
def shop(tmp_path: Path) -> dict[str, Any]:
    settings = settings_for(f"sqlite:///{tmp_path / 'canary.db'}", tmp_path, redis=False)
    with running_canary(settings) as (container, client):
        merchant, url = new_merchant(container)
        post(client, url, webhook("customer.created"))
        drain(container.pipeline)
    env = {
        "CANARY_DATABASE_URL": settings.database_url.get_secret_value(),
        "CANARY_MASTER_KEY": settings.master_key.get_secret_value() if settings.master_key else "",
        "CANARY_LEDGER_SIGNING_KEY": settings.ledger_signing_key.get_secret_value()
        if settings.ledger_signing_key
        else "",
        "CANARY_VAR_DIR": str(tmp_path),
        "CANARY_WORKER_BLOCK_MS": "0",
    }
    return {"merchant": merchant, "env": env, "settings": settings}


def _erased(shop: dict[str, Any]) -> int:
    from core.bootstrap import bootstrap

    container = bootstrap(shop["settings"])
    try:
        with container.db.tenant(shop["merchant"]) as s:
            return s.exec(
                select(func.count()).where(
                    InboxEntry.merchant_id == shop["merchant"], col(InboxEntry.erased_at).is_not(None)
                )
            ).one()
    finally:
        container.close()


def _forget(shop: dict[str, Any], *flags: str, answer: str | None = None) -> Any:
    args = ["forget-customer", CUSTOMER, "--merchant", shop["merchant"], "--reason", "request 42", *flags]
    return CliRunner().invoke(app, args, env=shop["env"], input=answer)


def test_a_dry_run_says_what_would_be_erased_and_changes_nothing(shop: dict[str, Any]) -> None:
    result = _forget(shop, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would forget" in result.output
    assert "1 raw payloads erased" in result.output
    assert "dry run: nothing was changed" in result.output
    assert _erased(shop) == 0


@pytest.mark.parametrize("answer", ["n\n", None])
def test_without_yes_it_asks_and_a_no_or_no_answer_changes_nothing(
    shop: dict[str, Any], answer: str | None
) -> None:
    result = _forget(shop, answer=answer)
    assert result.exit_code == 2
    assert "Erase them? This cannot be undone" in result.output
    assert "not confirmed, nothing was changed (--yes skips the question)" in result.output
    assert _erased(shop) == 0


def test_a_yes_at_the_prompt_or_yes_flag_forgets(shop: dict[str, Any]) -> None:
    asked = _forget(shop, answer="y\n")
    again = _forget(shop, "--yes")
    assert asked.exit_code == 0, asked.output
    assert "forgotten as" in asked.output
    assert _erased(shop) == 1
    assert again.exit_code == 2  # already forgotten: nothing left to erase
    assert f"no customer {CUSTOMER!r} to forget" in again.output
