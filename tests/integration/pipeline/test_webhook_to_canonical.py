"""Signed webhooks → inbox → seal → parse → canonical rows, on both backends."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlmodel import col, func, select
from starlette.testclient import TestClient

from core.bootstrap import Container
from core.db.tables.ledger import Checkpoint, EvidenceRecord, InboxEntry, IngestionLogEntry
from core.db.tables.sales import RefundLinkRow, TenderRow, TransactionRow
from core.pipeline.workers import drain
from tests.support.pipeline import new_merchant, post, signed, webhook

Canary = tuple[Container, TestClient]
FAMILIES = [
    "payment.created",
    "payment.updated",
    "refund.created",
    "refund.updated",
    "customer.created",
    "loyalty.account.created",
    "loyalty.event.created",
    "team_member.created",
    "device.created",
    "payout.paid",
    "dispute.created",
    "inventory.count.updated",
    "labor.timecard.created",
]


def _count(container: Container, merchant: str, model: Any) -> int:
    with container.db.tenant(merchant) as s:
        return s.exec(select(func.count()).select_from(model).where(model.merchant_id == merchant)).one()


def test_signed_webhooks_are_sealed_verified_and_parsed(canary: Canary) -> None:
    container, client = canary
    merchant, url = new_merchant(container)
    bodies = [webhook(name) for name in FAMILIES for _ in range(3)]
    answers = [post(client, url, body) for body in bodies]
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["status"] for a in answers} == {"accepted"}
    drain(container.pipeline)
    assert _count(container, merchant, EvidenceRecord) == len(bodies)
    report = container.verifier.verify(merchant)
    assert report.ok, report.problems
    assert (report.records, report.payloads_checked) == (len(bodies), len(bodies))
    with container.db.tenant(merchant) as s:
        covered = s.exec(
            select(func.max(Checkpoint.tree_size)).where(Checkpoint.merchant_id == merchant)
        ).one()
        statuses = dict(
            s.exec(
                select(IngestionLogEntry.status, func.count())
                .where(IngestionLogEntry.merchant_id == merchant)
                .group_by(IngestionLogEntry.status)
            ).all()
        )
        unsealed = s.exec(
            select(func.count()).where(
                InboxEntry.merchant_id == merchant, col(InboxEntry.sealed_seq).is_(None)
            )
        ).one()
    assert covered == len(bodies)
    assert statuses == {"parsed": len(bodies)}
    assert unsealed == 0


def test_a_duplicate_delivery_is_answered_duplicate_and_sealed_once(canary: Canary) -> None:
    container, client = canary
    merchant, url = new_merchant(container)
    body = webhook("payment.created")
    first, second = post(client, url, body), post(client, url, body)
    assert (first.json()["status"], second.json()["status"]) == ("accepted", "duplicate")
    assert second.status_code == 200
    drain(container.pipeline)
    assert _count(container, merchant, EvidenceRecord) == 1


def test_out_of_order_and_retried_deliveries_converge_to_the_same_state(canary: Canary) -> None:
    container, client = canary
    merchant, url = new_merchant(container)
    created, updated = webhook("payment.created"), webhook("payment.updated")
    for body in (updated, created, updated, created):  # updated first, then Square's retries
        assert post(client, url, body).status_code == 200
    drain(container.pipeline)
    with container.db.tenant(merchant) as s:
        tenders = s.exec(select(TenderRow).where(TenderRow.merchant_id == merchant)).all()
    payment = json.loads(updated)["data"]["object"]["payment"]
    assert [(t.tender_no, t.status) for t in tenders] == [(payment["id"], payment["status"])]


def test_a_refund_links_to_the_payment_it_returns_money_for(canary: Canary) -> None:
    container, client = canary
    merchant, url = new_merchant(container)
    for name in ("payment.updated", "refund.created"):
        post(client, url, webhook(name))
    drain(container.pipeline)
    refund = json.loads(webhook("refund.created"))["data"]["object"]["refund"]
    with container.db.tenant(merchant) as s:
        link = s.exec(select(RefundLinkRow).where(RefundLinkRow.merchant_id == merchant)).one()
        kinds = set(s.exec(select(TransactionRow.type).where(TransactionRow.merchant_id == merchant)).all())
    assert link.original_payment_id == refund["payment_id"]
    assert kinds == {"SALE", "REFUND"}


def test_bad_requests_get_clear_answers_and_leave_nothing_behind(canary: Canary) -> None:
    container, client = canary
    merchant, url = new_merchant(container)
    body = webhook("payment.created")
    assert post(client, url, body, {"content-type": "application/json"}).status_code == 401
    assert post(client, url, body, signed(body, url + "/")).status_code == 401
    assert post(client, url, body, signed(body, url, key="wrong-key")).status_code == 401
    tampered = body.replace(b'"APPROVED"', b'"COMPLETED"')
    assert post(client, url, tampered, signed(body, url)).status_code == 401
    unknown = url.replace(merchant, "m_nobody")
    assert post(client, unknown, body, signed(body, unknown)).status_code == 404
    huge = b'{"pad": "' + b"x" * (container.settings.max_body_bytes + 1) + b'"}'
    assert post(client, url, huge, signed(huge, url)).status_code == 413
    drain(container.pipeline)
    assert _count(container, merchant, InboxEntry) == 0


def test_a_signed_body_that_is_not_json_is_sealed_then_fails_parse_visibly(canary: Canary) -> None:
    container, client = canary
    merchant, url = new_merchant(container)
    body = b"this is not json " + uuid.uuid4().hex.encode()
    answer = post(client, url, body)
    assert (answer.status_code, answer.json()["status"]) == (200, "accepted")
    drain(container.pipeline)
    with container.db.tenant(merchant) as s:
        entry = s.exec(select(IngestionLogEntry).where(IngestionLogEntry.merchant_id == merchant)).one()
    assert entry.status == "failed"
    assert "JSON" in (entry.reason or "")
    assert container.verifier.verify(merchant).ok
