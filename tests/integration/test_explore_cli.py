"""Exploring what Canary found from a terminal: ``canary detections list`` (through the service
canary-chirp's query_detections uses) and ``canary ingest failures`` (from ``ingestion_log``), with
their filters, ``--json``, and layouts that fit an 80-column terminal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from core.bootstrap import bootstrap
from core.cli.main import app
from core.db.tables.rules import DetectionRow
from core.pipeline.workers import drain
from tests.support.pipeline import new_merchant, post, running_canary, settings_for, webhook

BASE = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PAGED = 130  # more than one service page (100), so --limit pages through


def _detection(merchant_id: str, n: int, rule_id: str, at: datetime, **extra: Any) -> DetectionRow:
    return DetectionRow(
        merchant_id=merchant_id,
        id=f"d{n:031d}",
        rule_id=rule_id,
        rule_version=1,
        catalog_version="1.0.0",
        family="test",
        severity="high",
        queue="lp",
        mode="observation",
        evidence_seq=n,
        event_kind="sale",
        occurred_at=at,
        summary=f"{rule_id} finding number {n} with a summary long enough to wrap on a narrow terminal",
        **extra,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("explore")
    settings = settings_for(f"sqlite:///{tmp / 'canary.db'}", tmp, redis=False)
    with running_canary(settings) as (container, client):
        shop, url = new_merchant(container)
        other, _ = new_merchant(container)
        rows = [
            _detection(shop, 1, "Q-VR-03", BASE - timedelta(days=3)),
            _detection(
                shop,
                2,
                "Q-VR-03",
                BASE,
                params={"min_voids": 3},
                measurements={"voids": 8},
                entity_id="sq:order:O-2",
            ),
            _detection(shop, 3, "Q-TM-01", BASE - timedelta(days=1), suppressed=True),
        ]
        rows += [
            _detection(shop, 100 + n, "Q-DM-01", BASE - timedelta(days=30, minutes=n)) for n in range(PAGED)
        ]
        with container.db.tenant(shop) as s:
            s.add_all(rows)
        with container.db.tenant(other) as s:
            s.add(_detection(other, 9, "Q-VR-03", BASE))
        for n in range(2):
            post(client, url, f"not json {n}".encode())
        post(client, url, webhook("bank_account.created"))
        post(client, url, webhook("payment.created"))
        drain(container.pipeline)
        env = {
            "CANARY_DATABASE_URL": settings.database_url.get_secret_value(),
            "CANARY_MASTER_KEY": settings.master_key.get_secret_value() if settings.master_key else "",
            "CANARY_LEDGER_SIGNING_KEY": settings.ledger_signing_key.get_secret_value()
            if settings.ledger_signing_key
            else "",
            "CANARY_VAR_DIR": str(tmp),
            "CANARY_WORKER_BLOCK_MS": "0",
        }
        yield {"shop": shop, "other": other, "env": env, "settings": settings}


def _run(world: dict[str, Any], *args: str, columns: int = 200) -> Any:
    result = CliRunner().invoke(app, list(args), env={**world["env"], "COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result


def _json(world: dict[str, Any], *args: str) -> dict[str, Any]:
    return json.loads(_run(world, *args, "--json").output)


def test_detections_list_json_is_newest_first_for_one_merchant(world: dict[str, Any]) -> None:
    found = _json(world, "detections", "list", "--merchant", world["shop"], "--limit", "3")
    assert found["merchants"] == [world["shop"]]
    assert [d["detection_id"][-1] for d in found["detections"]] == ["2", "3", "1"]
    assert {d["merchant_id"] for d in found["detections"]} == {world["shop"]}
    assert found["detections"][1]["suppressed"] is True


def test_detections_list_filters_by_rule_and_since(world: dict[str, Any]) -> None:
    by_rule = _json(world, "detections", "list", "-m", world["shop"], "--rule", "Q-VR-03")
    since = _json(world, "detections", "list", "-m", world["shop"], "--since", "2026-03-09")
    assert [d["detection_id"] for d in by_rule["detections"]] == [f"d{2:031d}", f"d{1:031d}"]
    assert [d["rule_id"] for d in since["detections"]] == ["Q-VR-03", "Q-TM-01"]


def test_detections_list_pages_through_the_service_up_to_the_limit(world: dict[str, Any]) -> None:
    everything = _json(world, "detections", "list", "-m", world["shop"], "--limit", "1000")
    capped = _json(world, "detections", "list", "-m", world["shop"], "--limit", "120")
    assert len(everything["detections"]) == PAGED + 3
    assert len(capped["detections"]) == 120
    assert len({d["detection_id"] for d in everything["detections"]}) == PAGED + 3


def test_detections_list_with_no_merchant_covers_every_merchant(world: dict[str, Any]) -> None:
    found = _json(world, "detections", "list", "--rule", "Q-VR-03")
    assert sorted(found["merchants"]) == sorted([world["shop"], world["other"]])
    assert sorted(d["merchant_id"] for d in found["detections"]) == sorted(
        [world["shop"]] * 2 + [world["other"]]
    )


def test_detections_list_refuses_a_bad_since_and_an_unknown_rule(world: dict[str, Any]) -> None:
    runner = CliRunner()
    bad_since = runner.invoke(app, ["detections", "list", "--since", "last tuesday"], env=world["env"])
    bad_rule = runner.invoke(app, ["detections", "list", "--rule", "Q-NOPE-9"], env=world["env"])
    assert (bad_since.exit_code, bad_rule.exit_code) == (2, 2)
    assert "--since takes 7d, 24h, a date" in bad_since.output
    assert "no rule 'Q-NOPE-9' in the catalog" in bad_rule.output


@pytest.mark.parametrize(
    ("args", "whole"),
    [
        (("detections", "list", "--limit", "5"), f"id d{2:031d}"),
        (("ingest", "failures"), "e.g. seq 1 2"),
    ],
)
def test_an_80_column_terminal_gets_blocks_that_fit_and_a_wide_one_a_table(
    world: dict[str, Any], args: tuple[str, ...], whole: str
) -> None:
    narrow = _run(world, *args, columns=80).output
    wide = _run(world, *args, columns=200).output
    assert max(len(line) for line in narrow.splitlines()) <= 80
    assert whole in narrow  # what the next command needs (an id, a seq) is printed whole
    assert "┃" not in narrow
    assert "┃" in wide


def test_ingest_failures_groups_failures_and_ignores_with_examples(world: dict[str, Any]) -> None:
    found = _json(world, "ingest", "failures", "--merchant", world["shop"])
    groups = found["groups"]
    assert [(g["status"], g["count"]) for g in groups] == [("failed", 2), ("ignored", 1)]
    failed, ignored = groups
    assert len(failed["examples"]) == 2
    assert "JSON" in failed["reason"]
    assert ignored["event_type"] == "bank_account.created"
    assert ignored["reason"].startswith("bank account lifecycle")
    assert ignored["source"] == "SQUARE"


def test_ingest_failures_filters_by_status_and_caps_examples(world: dict[str, Any]) -> None:
    only_failed = _json(
        world, "ingest", "failures", "-m", world["shop"], "--status", "failed", "--examples", "1"
    )
    clean = _json(world, "ingest", "failures", "-m", world["other"])
    assert [(g["status"], len(g["examples"])) for g in only_failed["groups"]] == [("failed", 1)]
    assert clean["groups"] == []
    refused = CliRunner().invoke(app, ["ingest", "failures", "--status", "broken"], env=world["env"])
    assert refused.exit_code == 2
    assert "--status takes failed, ignored or all" in refused.output


def test_detections_show_prints_what_was_measured_and_how_to_prove_it(world: dict[str, Any]) -> None:
    shop, wanted = world["shop"], f"d{2:031d}"
    text = _run(world, "detections", "show", wanted, "--merchant", shop, columns=80).output
    found = _json(world, "detections", "show", wanted, "--merchant", shop)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "measured: voids 8" in text
    assert "thresholds: min_voids 3" in text
    assert f"canary proof export --merchant {shop} --event 2" in " ".join(text.split())
    assert (found["detection"]["detection_id"], found["entity_id"]) == (wanted, "sq:order:O-2")
    assert found["measurements"] == {"voids": 8}


def test_detections_show_refuses_an_id_of_another_merchant(world: dict[str, Any]) -> None:
    theirs = f"d{9:031d}"  # merchant "other"'s detection
    result = CliRunner().invoke(app, ["detections", "show", theirs, "-m", world["shop"]], env=world["env"])
    assert result.exit_code == 2
    assert f"no detection '{theirs}' for merchant {world['shop']}" in result.output


def test_merchant_list_shows_every_onboarded_merchant_with_its_stores_and_events(
    world: dict[str, Any],
) -> None:
    found = {m["merchant_id"]: m for m in _json(world, "merchant", "list")["merchants"]}
    text = _run(world, "merchant", "list", columns=80).output
    assert set(found) == {world["shop"], world["other"]}
    assert found[world["shop"]]["stores"] == ["SQUARE:L88JQ3E6VG5VQ"]
    assert found[world["shop"]]["sealed_events"] == 4  # two failed, one ignored, one parsed
    assert found[world["other"]]["sealed_events"] == 0
    assert world["shop"] in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_token_list_prints_whole_ids_at_80_columns_and_json_for_scripts(world: dict[str, Any]) -> None:
    runner = CliRunner()
    created = runner.invoke(
        app,
        ["token", "create", "--merchant", world["shop"], "--role", "analyst", "--label", "laptop"],
        env=world["env"],
    )
    assert created.exit_code == 0, created.output
    token_id = created.output.split("token ", 1)[1].split(" ", 1)[0]
    narrow = _run(world, "token", "list", "--merchant", world["shop"], columns=80).output
    listed = _json(world, "token", "list", "--merchant", world["shop"])
    assert token_id in narrow
    assert max(len(line) for line in narrow.splitlines()) <= 80
    assert [(t["token_id"], t["role"], t["label"]) for t in listed["tokens"]] == [
        (token_id, "analyst", "laptop")
    ]
    revoked = runner.invoke(app, ["token", "revoke", token_id, "--merchant", world["shop"]], env=world["env"])
    assert revoked.exit_code == 0, revoked.output
    assert _json(world, "token", "list", "--merchant", world["shop"])["tokens"][0]["revoked_at"] is not None


def test_rules_promote_runs_the_readiness_check_and_force_and_pin_are_audited(world: dict[str, Any]) -> None:
    runner, shop = CliRunner(), world["other"]

    def rules(*args: str) -> Any:
        return runner.invoke(app, ["rules", *args, "--merchant", shop], env=world["env"])

    refused = rules("promote", "Q-DS-01", "observation", "--reason", "first week")
    forced = rules("promote", "Q-DS-01", "observation", "--reason", "first week", "--force")
    pinned = rules("pin", "1.0.0", "--reason", "season freeze")
    short = rules("pin", "1.0.0", "--reason", "x")
    bad_mode = rules("promote", "Q-DS-01", "loud", "--reason", "first week")
    status = rules("status")
    assert refused.exit_code == 1, refused.output
    assert "no events in the last 14 days to dry-run against" in refused.output
    assert "Q-DS-01 stays in dry_run (--force promotes anyway)" in refused.output
    assert forced.exit_code == 0, forced.output
    assert "Q-DS-01: dry_run → observation (forced)" in forced.output
    assert pinned.exit_code == 0, pinned.output
    assert "catalog pinned at 1.0.0 (was unpinned)" in pinned.output
    assert (short.exit_code, bad_mode.exit_code) == (2, 2)
    assert "a reason of at least 8 characters is required" in short.output
    assert "mode must be one of dry_run, observation, alerting, not 'loud'" in bad_mode.output
    assert "catalog pinned: yes" in status.output
    container = bootstrap(world["settings"])
    try:
        audit = container.chirp_service.audit_log(shop).items
    finally:
        container.close()
    assert {(e.action, e.actor) for e in audit} >= {("catalog.pin", "cli"), ("rule.promote_forced", "cli")}
