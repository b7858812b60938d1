"""Tokens limited to stores survive the round trip on both backends: issued with `--store`, found
again by a bearer look-up (on Postgres through the SECURITY DEFINER app.api_token_lookup, as the app
role under RLS) and by a console session, and listed with their stores."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from core.auth.tokens import TokenService
from core.cli.main import app
from core.clock import FixedClock
from core.db.tables.tenants import Merchant
from core.db.uow import Database
from tests.support.pipeline import cli_env, onboarded_sqlite

L1, L2 = "sq:location:L1", "cp:location:20"


def test_a_store_limited_token_is_found_again_with_its_stores(any_db: Database) -> None:
    merchant_id = f"m_{uuid.uuid4().hex[:12]}"
    with any_db.tenant(merchant_id) as s:
        s.add(Merchant(id=merchant_id, name="Greenleaf Garden Center"))
    tokens = TokenService(any_db, FixedClock(datetime(2026, 5, 4, tzinfo=UTC)))
    limited = tokens.create(merchant_id, "gm", stores=[L2, L1])
    everywhere = tokens.create(merchant_id, "analyst")
    assert limited.stores == tuple(sorted((L1, L2)))
    found = tokens.verify(limited.token)
    assert found is not None
    assert found.stores == {L1, L2}
    session = tokens.still_valid(limited.token_id)
    assert session is not None
    assert session.stores == {L1, L2}
    anywhere = tokens.verify(everywhere.token)
    assert anywhere is not None
    assert anywhere.stores is None
    listed = {t.token_id: t.stores for t in tokens.list_tokens(merchant_id)}
    assert listed == {limited.token_id: tuple(sorted((L1, L2))), everywhere.token_id: ()}


def test_token_create_takes_stores_and_token_list_shows_them(tmp_path: Path) -> None:
    url = onboarded_sqlite(tmp_path, "m_cli")
    env = cli_env(url, tmp_path)
    runner = CliRunner()
    made = runner.invoke(
        app, ["token", "create", "--merchant", "m_cli", "--role", "gm", "--store", L1], env=env
    )
    assert made.exit_code == 0, made.output
    assert f"stores {L1}" in made.output
    listed = runner.invoke(app, ["token", "list", "--merchant", "m_cli", "--json"], env=env)
    [token] = json.loads(listed.output)["tokens"]
    assert token["stores"] == [L1]
    bad = runner.invoke(
        app, ["token", "create", "--merchant", "m_cli", "--role", "gm", "--store", "a b"], env=env
    )
    assert bad.exit_code == 2
    assert "not a store id" in bad.output
