"""Hostile and unlucky input on both ingress paths, both backends: never a 5xx. What is signed is
sealed (and fails at parse, visibly, when it is not usable); what is not gets a clear 4xx, and the
body is not parsed before its signature holds."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select
from starlette.testclient import TestClient

from core.bootstrap import Container
from core.db.engine import StorageUnavailableError
from core.db.tables.ledger import InboxEntry
from core.ingest.inbox import Acceptance, IncomingEvent
from core.pipeline.workers import drain
from tests.support.ingress import ledger_counts, log_reasons, push, push_merchant, square
from tests.support.pipeline import new_merchant, webhook

Canary = tuple[Container, TestClient]
DEEP = b"[" * 10_000 + b"]" * 10_000


def test_unsigned_hostile_bodies_are_refused_without_being_parsed(canary: Canary) -> None:
    container, client = canary
    merchant, url = new_merchant(container)
    path = url.removeprefix("https://canary.example.com")
    for body in (DEEP, b'{"a":' * 10_000 + b"1" + b"}" * 10_000, b'{"n": ' + b"9" * 5_000 + b"}"):
        assert client.post(path, content=body).status_code == 401
        assert client.post(f"/ingest/counterpoint?merchant={merchant}", content=body).status_code in (
            401,
            404,
        )
    assert ledger_counts(container, merchant)["inbox"] == 0


def test_signed_deep_or_huge_number_bodies_are_sealed_and_fail_at_parse(canary: Canary) -> None:
    container, client = canary
    merchant, url = new_merchant(container)
    huge = webhook("payment.created").replace(b'"amount": 100', b'"amount": ' + b"7" * 5_000, 1)
    assert b"7" * 5_000 in huge
    for body in (DEEP, huge):
        answer = square(client, url, body)
        assert (answer.status_code, answer.json()["status"]) == (200, "accepted")
    pusher = push_merchant(container)
    assert push(client, pusher, DEEP).status_code == 200
    drain(container.pipeline)
    assert ledger_counts(container, merchant) == {"inbox": 2, "sealed": 2, "sealed_distinct": 2, "failed": 2}
    assert all("JSON" in r for r in log_reasons(container, merchant))
    assert ledger_counts(container, pusher)["failed"] == 1
    assert container.verifier.verify(merchant).ok


def test_overlong_and_nul_bearing_identifiers_are_stored_hashed_and_still_deduplicated(
    canary: Canary,
) -> None:
    container, client = canary
    merchant, url = new_merchant(container)
    ids = ["e" * 300, f"nul\u0000{uuid.uuid4()}", "\ud800lone"]
    bodies = []
    for event_id in ids:
        body = json.loads(webhook("payment.created"))
        body.update(event_id=event_id, type="t" * 200)
        body["data"]["object"]["payment"]["note"] = "value with a \u0000 NUL"
        bodies.append(json.dumps(body).encode())
    for body in bodies:
        first = square(client, url, body, **{"square-version": "v" * 100})
        again = square(client, url, body)
        assert (first.status_code, first.json()["status"]) == (200, "accepted")
        assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    pusher = push_merchant(container)
    unit = b'{"table": "PS_DOC_HDR", "row": {"DOC_ID": "1\\u0000"}}'
    for event_id in ("x" * 300, "a\tb"):
        assert push(client, pusher, unit, **{"x-canary-event-id": event_id}).json()["status"] == "accepted"
        assert push(client, pusher, unit, **{"x-canary-event-id": event_id}).json()["status"] == "duplicate"
    drain(container.pipeline)
    with container.db.tenant(merchant) as s:
        stored = s.exec(
            select(InboxEntry.source_event_id).where(col(InboxEntry.merchant_id) == merchant)
        ).all()
    assert all(e is not None and e.startswith("sha256:") for e in stored)
    counts = ledger_counts(container, merchant)
    assert counts["sealed"] == counts["sealed_distinct"] == 3
    assert container.verifier.verify(merchant).ok
    assert container.verifier.verify(pusher).ok


def test_hostile_merchant_values_get_404_and_never_grow_the_cache(canary: Canary) -> None:
    container, client = canary
    merchant, url = new_merchant(container)
    body = webhook("payment.created")
    for ref in ("m_a%00", "%00", "x" * 500, "m%20a", ""):
        assert client.post(f"/webhooks/square?merchant={ref}", content=body).status_code == 404
        assert client.post(f"/ingest/counterpoint?merchant={ref}", content=body).status_code == 404
    for _ in range(50):  # a new body merchant_id each time: the body is not read before the signature
        hostile = json.dumps({"merchant_id": uuid.uuid4().hex * 100}).encode()
        assert client.post(f"/webhooks/square?merchant={merchant}", content=hostile).status_code == 401
        assert client.post("/webhooks/square", content=hostile).status_code == 404
    assert len(container.directory) <= 2
    assert square(client, url, body).status_code == 200


def test_an_empty_signed_push_is_a_clear_400(canary: Canary) -> None:
    container, client = canary
    pusher = push_merchant(container)
    for body in (b"", b"  \n"):
        answer = push(client, pusher, body)
        assert answer.status_code == 400
        assert "empty body" in answer.json()["error"]
    assert ledger_counts(container, pusher)["inbox"] == 0


def test_a_database_that_is_away_gets_a_retryable_503_on_both_paths_never_a_500(
    canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unlucky operator's case: the merchant is routed (cached), then the write meets the
    database restarting or its connection terminated. Nothing was stored, so the vendor must retry:
    503 with Retry-After. A write that took too long in the group commit answers the same."""
    container, client = canary
    merchant, url = new_merchant(container)
    pusher = push_merchant(container)
    assert square(client, url, webhook("payment.created")).status_code == 200  # routes are cached
    assert push(client, pusher, b'{"unit": "warm"}').status_code == 200
    lost = OperationalError("COMMIT", {}, psycopg.errors.AdminShutdown("terminating connection"))
    for failure in (lost, StorageUnavailableError("database unavailable"), TimeoutError()):

        def away(_event: IncomingEvent, failure: Exception = failure) -> Acceptance:
            raise failure

        monkeypatch.setattr(container.inbox, "accept", away)
        for answer in (square(client, url, webhook("payment.created")), push(client, pusher, b'{"u": 1}')):
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"] == "1"
            assert "retry" in answer.json()["error"]
    monkeypatch.undo()
    assert square(client, url, webhook("payment.created")).status_code == 200
    assert ledger_counts(container, merchant)["inbox"] == 2
