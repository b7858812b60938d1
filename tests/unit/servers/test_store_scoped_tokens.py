"""A token limited to stores (a GM's, `canary token create --store`) over canary-fox and
canary-chirp: lists hold only its stores' cases and detections, another store's case or detection is
"not found" as another merchant's is, and a case write on another store's case changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from core.auth.principal import DEFAULT_SCOPES, InvalidGrantError, Principal, check_stores, store_filter
from core.bootstrap import Container
from core.cases.domain.model import Alert, Severity
from core.db.tables.rules import DetectionRow
from core.simulate.canonical import at
from servers.chirp import SPEC as CHIRP
from servers.common import build_server
from servers.fox import SPEC as FOX
from tests.unit.servers.test_fox_tools import anyio_backend, call, container, refusal  # noqa: F401 (fixtures)

pytestmark = pytest.mark.anyio
MERCHANT = "m_chirp_tools"  # the merchant sqlite_container's clock and data are set up around
L1, L2 = "sq:location:L1", "sq:location:L2"
GM_L1 = Principal(MERCHANT, "gm", frozenset(DEFAULT_SCOPES["gm"]), "memory", "tok_gm", stores=frozenset({L1}))
ANALYST_L1 = replace(GM_L1, role="analyst", scopes=frozenset(DEFAULT_SCOPES["analyst"]), token_id="tok_an")


def _voids(container: Container, store: str, session: str) -> None:  # noqa: F811
    """Three Q-VR-03 detections at ``store`` (as Chirp stores them) and their alerts through Fox."""
    alerts = [
        Alert(
            detection_id=f"det_{session}_{i}",
            rule_id="Q-VR-03",
            family="void_return",
            severity=Severity.LOW,
            queue="fraud",
            occurred_at=at(hours=-10) + timedelta(minutes=10 * i),
            summary=f"void cluster {i}",
            employee_id="sq:employee:TM1",
            location_id=store,
            drawer_session_id=session,
        )
        for i in range(3)
    ]
    with container.db.tenant(MERCHANT) as s:
        for a in alerts:
            s.add(
                DetectionRow(
                    merchant_id=MERCHANT, id=a.detection_id, rule_id=a.rule_id, rule_version=1,
                    catalog_version="1.0.0", family=a.family, severity=a.severity.value, queue=a.queue,
                    mode="alerting", evidence_seq=7, event_kind="transaction", occurred_at=a.occurred_at,
                    summary=a.summary, alert_state="published", location_id=store,
                )
            )  # fmt: skip
    container.fox_stage.process(MERCHANT, alerts)


def test_a_callers_filter_is_narrowed_to_its_stores() -> None:
    assert store_filter(None, None) is None
    assert store_filter(None, L2) == {L2}
    assert store_filter(frozenset({L1}), None) == {L1}
    assert store_filter(frozenset({L1}), L2) == frozenset()  # asking for another store gives nothing
    assert check_stores([" ", ""]) is None  # no store given: every store
    with pytest.raises(InvalidGrantError, match="not a store id"):
        check_stores(["sq:location:L1 sq:location:L2"])


async def test_fox_shows_a_store_limited_token_only_its_stores_cases(container: Container) -> None:  # noqa: F811
    from fastmcp import Client

    _voids(container, L1, "s1")
    _voids(container, L2, "s2")
    [mine] = container.fox_service.list_cases(MERCHANT, location_id=L1).items
    [theirs] = container.fox_service.list_cases(MERCHANT, location_id=L2).items
    async with Client(build_server(FOX, container=container, principal=GM_L1)) as client:
        listed = await call(client, "list_cases")
        assert [c["case_id"] for c in listed["items"]] == [mine.case_id]
        assert (await call(client, "list_cases", location_id=L2))["items"] == []
        assert [c["case_id"] for c in (await call(client, "top_cases"))["items"]] == [mine.case_id]
        assert (await call(client, "get_case", case_id=mine.case_id))["case"]["case_id"] == mine.case_id
        assert "no case" in await refusal(client, "get_case", case_id=theirs.case_id)
        end = (container.clock.now() + timedelta(hours=1)).isoformat()
        assert (await call(client, "case_digest", period="weekly", end=end))["opened"] == 1
    assert (
        container.fox_service.case_digest(
            MERCHANT, "weekly", container.clock.now() + timedelta(hours=1)
        ).opened
        == 2
    )
    async with Client(build_server(FOX, container=container, principal=ANALYST_L1)) as client:
        assert "no case" in await refusal(client, "add_case_note", case_id=theirs.case_id, body="peek")
        await call(client, "add_case_note", case_id=mine.case_id, body="checked the tape")
    assert container.fox_service.get_case(MERCHANT, theirs.case_id).notes == []


async def test_chirp_shows_a_store_limited_token_only_its_stores_detections(container: Container) -> None:  # noqa: F811
    from fastmcp import Client

    _voids(container, L1, "s1")
    _voids(container, L2, "s2")
    async with Client(build_server(CHIRP, container=container, principal=GM_L1)) as client:
        page = await call(client, "query_detections")
        assert {d["location_id"] for d in page["items"]} == {L1}
        assert len(page["items"]) == 3
        assert "no detection" in await refusal(client, "get_detection_detail", detection_id="det_s2_0")
        detail = await call(client, "get_detection_detail", detection_id="det_s1_0")
        assert detail["detection"]["detection_id"] == "det_s1_0"


async def test_rule_outcome_stats_count_only_a_store_limited_tokens_stores(container: Container) -> None:  # noqa: F811
    from fastmcp import Client

    _voids(container, L1, "s1")
    _voids(container, L2, "s2")
    [theirs] = container.fox_service.list_cases(MERCHANT, location_id=L2).items
    container.fox_service.start_investigation(MERCHANT, theirs.case_id, actor="an")
    container.fox_service.resolve(
        MERCHANT, theirs.case_id, outcome="confirmed_fraud", actor="an", reason="on the tape"
    )
    since = (container.clock.now() - timedelta(days=2)).isoformat()
    until = (container.clock.now() + timedelta(days=1)).isoformat()
    async with Client(build_server(FOX, container=container, principal=GM_L1)) as client:
        [mine] = (await call(client, "rule_outcome_stats", since=since, until=until))["rules"]
    everywhere = container.fox_service.rule_outcome_stats(
        MERCHANT, container.clock.now() - timedelta(days=2), container.clock.now() + timedelta(days=1)
    )
    [both] = everywhere.rules
    assert (both.hits, both.cases, both.outcomes["confirmed_fraud"]) == (6, 2, 3)
    # L1's three alerts in one open case: nothing of L2's confirmed fraud.
    assert (mine["rule_id"], mine["hits"], mine["cases"], mine["outcomes"]["confirmed_fraud"]) == (
        "Q-VR-03",
        3,
        1,
        0,
    )
    async with Client(
        build_server(FOX, container=container, principal=replace(GM_L1, stores=frozenset({"sq:location:X"})))
    ) as client:
        assert (await call(client, "rule_outcome_stats", since=since, until=until))["rules"] == []
