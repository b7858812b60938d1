"""`canary owl "…"` end to end through the real provider path: the OpenAI chat-completions client
talks to a scripted endpoint on loopback (streaming), and the tools are the real servers started
over stdio from mcp.json for the caller's merchant. The script answers from the tool results it
was sent, and the answer's figures must match what the servers returned."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.bootstrap import bootstrap
from tests.support.mcp_http import serving
from tests.support.mcp_world import Shop, seed_shop
from tests.support.pipeline import settings_for
from tests.support.scripted_openai import Endpoint, Reply, tool_results

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).parents[2]


def owl_script(shop: Shop, other: Shop) -> Any:
    def script(request: dict[str, Any]) -> Reply:
        done = tool_results(request)
        if not done:
            return Reply(calls=[("customer_metrics", {"customer": shop.alice}), ("list_rules", {})])
        if len(done) == 2:  # the other merchant's customer, through the same servers
            return Reply(calls=[("lookup_customer", {"customer": other.alice})])
        metrics, rules = done[0][1], done[1][1]
        net, sales, count = (
            metrics["lifetime_value_net_cents"],
            metrics["transaction_count"],
            len(rules["items"]),
        )
        answer = {
            "answer": f"Alice has spent ${net / 100:,.2f} net over {sales} sales; Chirp runs {count} rules.",
            "figures": [
                {
                    "value": net,
                    "tool": "customer_metrics",
                    "args": {"customer": shop.alice},
                    "label": "net spend",
                },
                {
                    "value": sales,
                    "tool": "customer_metrics",
                    "args": {"customer": shop.alice},
                    "label": "sales",
                },
                {"value": count, "tool": "list_rules", "args": {}, "label": "rules"},
            ],
        }
        return Reply(calls=[("final_result", answer)])

    return script


@pytest.mark.timeout(400)  # five stdio servers each import the app: minutes on two busy cores
def test_canary_owl_streams_an_answer_whose_figures_match_the_stdio_servers(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'canary.db'}"
    container = bootstrap(settings_for(db_url, tmp_path, redis=False))
    try:
        shop, other = seed_shop(container.db, tag="E"), seed_shop(container.db, tag="F")
    finally:
        container.close()
    endpoint = Endpoint(owl_script(shop, other))
    env = {
        **os.environ,
        "CANARY_AGENT_MODEL": "openai:scripted-owl",
        "CANARY_DATABASE_URL": db_url,
        "CANARY_VAR_DIR": str(tmp_path),
        "CANARY_MERCHANT_ID": shop.merchant_id,
        "CANARY_REDIS_URL": "",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "COLUMNS": "200",
    }
    with serving(endpoint.app()) as base:
        env["CANARY_AGENT_BASE_URL"] = f"{base}/v1"
        done = subprocess.run(
            [sys.executable, "-m", "core.cli", "owl", "How much has Alice spent, and how many rules run?"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for tool in ("customer_metrics", "list_rules", "lookup_customer"):  # each call shown as it happened
        assert f"→ {tool}" in out
    [first, *_] = endpoint.requests
    assert first["stream"] is True
    offered = {t["function"]["name"] for t in first["tools"]}
    assert {"customer_metrics", "list_rules", "final_result"} <= offered
    assert not offered & {"tune_rule_threshold", "promote_rule", "add_allow_list_entry"}
    results = dict(tool_results(endpoint.requests[-1]))
    assert results["customer_metrics"]["lifetime_value_net_cents"] == 12_500  # hand-counted in mcp_world
    assert results["lookup_customer"]["found"] is False  # B's customer is not visible to A's servers
    rules = len(results["list_rules"]["items"])
    assert f"Alice has spent $125.00 net over 2 sales; Chirp runs {rules} rules." in out
