"""A Counterpoint return finds its original sale when both are in one parse batch, as it does when
the sale was parsed first; and not when the sale's write is refused, as event by event."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

import core.pipeline.parse as parse_module
from core.bootstrap import Container
from core.db.tables.documents import OriginalDocRefRow
from core.ingest.inbox import IncomingEvent
from core.pipeline.workers import drain
from core.storage.canonical_writer import UpsertGroup
from core.tenancy import StoreSpec, onboard_merchant
from tests.integration.pipeline.test_parse_batches import canonical_state, statuses
from tests.unit.adapters.counterpoint.support import SALE_ID, document_bytes

Canary = tuple[Container, TestClient]
SALE_DOC_ID = 701315942121  # the GET /Document sample's DOC_ID, in store 20


def as_return(hdr: dict[str, Any]) -> None:
    """The sample sale turned into a refund that names the sale by DOC_ID only (no GUID)."""
    hdr.update(DOC_ID=701315942999, DOC_GUID="0b7e1c52d4e94a5f9d0c8a1b2c3d4e5f", TKT_NO="20-100250")
    hdr.update(SAL_LINS=0, RET_LINS=1, SAL_LIN_TOT=0, RET_LIN_TOT=-349.99)
    hdr.update(TKT_DT="2016-05-02T10:00:00.0000000", RS_UTC_DT="2016-05-02T14:00:00.0000000")
    hdr["PS_DOC_LIN"][0].update(LIN_TYP="R", EXT_PRC=-349.99, GROSS_EXT_PRC=-349.99, IS_VAL_RET="Y")
    hdr["PS_DOC_PMT"][0].update(AMT=-381.49, HOME_CURNCY_AMT=-381.49)
    hdr["PS_DOC_HDR_TOT"][0].update(SUB_TOT=-349.99, TAX_AMT=-31.5, TOT=-381.49, TOT_TND=-381.49)
    hdr["PS_DOC_HDR_ORIG_DOC"] = [{"DOC_ID": 701315942999, "ORIG_DOC_ID": SALE_DOC_ID}]


def counterpoint_merchant(container: Container) -> str:
    merchant_id = f"m_{uuid.uuid4().hex[:10]}"
    onboard_merchant(
        container.db,
        container.keyring,
        merchant_id=merchant_id,
        name="Garden Co",
        stores=[StoreSpec(external_id="20", source="COUNTERPOINT", timezone="America/New_York")],
    )
    return merchant_id


def accept(container: Container, merchant_id: str, raw: bytes, name: str) -> None:
    event = IncomingEvent(
        merchant_id, "COUNTERPOINT", "POLLING", raw, source_event_id=f"{name}-{merchant_id}"
    )
    [answer] = container.inbox.accept_many([event])
    assert answer.status == "accepted"


def resolved(container: Container, merchant_id: str) -> list[str | None]:
    with container.db.tenant(merchant_id) as s:
        refs = s.exec(select(OriginalDocRefRow).where(OriginalDocRefRow.merchant_id == merchant_id)).all()
        return [r.original_transaction_id for r in refs]


def test_a_return_in_the_same_batch_as_its_sale_links_to_it(canary: Canary) -> None:
    container, _ = canary
    batched, one_by_one = counterpoint_merchant(container), counterpoint_merchant(container)
    accept(container, batched, document_bytes(), "sale")
    accept(container, batched, document_bytes(as_return), "return")
    drain(container.pipeline)
    accept(container, one_by_one, document_bytes(), "sale")
    drain(container.pipeline)
    accept(container, one_by_one, document_bytes(as_return), "return")
    drain(container.pipeline)
    assert resolved(container, batched) == [SALE_ID]
    assert canonical_state(container, batched) == canonical_state(container, one_by_one)


def test_a_return_does_not_link_to_a_sale_whose_write_was_refused(
    canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, _ = canary
    merchant = counterpoint_merchant(container)
    real_write_plans = parse_module.write_plans

    def refuse_the_sale(session: Any, plans: Sequence[Sequence[UpsertGroup]]) -> None:
        for plan in plans:
            for group in plan:
                for row in group.rows:
                    if row.get("id") == SALE_ID and "doc_type" in row:  # the sale's document row
                        row["doc_type"] = None  # NOT NULL: the database refuses it
        real_write_plans(session, plans)

    monkeypatch.setattr(parse_module, "write_plans", refuse_the_sale)
    accept(container, merchant, document_bytes(), "sale")
    accept(container, merchant, document_bytes(as_return), "return")
    drain(container.pipeline)
    assert {seq: status for seq, (status, _) in statuses(container, merchant).items()} == {
        1: "failed",
        2: "parsed",
    }
    assert resolved(container, merchant) == [None]  # parsed again without the refused sale
