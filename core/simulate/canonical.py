"""Parsed events built the way each adapter builds them, for the rules' table-driven cases, the
backtest tests and the benchmark.

Square-shaped events follow ``core.adapters.square`` (a sale keyed ``sq:order:<id>``; tenders are
payments with card fingerprints; no costs, regular prices or override flags; refunds carry a
``refund_link`` key, null when the refund is unlinked). Counterpoint-shaped events follow
``core.adapters.counterpoint.parser`` (a ticket keyed ``cp:doc:<guid>`` with its document, audit log,
taxes and original-document references; stock movements as a header plus ``lines``). Both are
canonical records dumped to JSON inside a ``ParsedEvent``, exactly what the ``detection`` stream
carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.domain.documents import AuditLogEntry, Document, DocumentTax, OriginalDocRef
from core.domain.parsing import ParsedEvent
from core.domain.parties import CustomerRecord
from core.domain.records import Canonical, version_key
from core.domain.sales import DrawerEvent, DrawerShift, LineItem, RefundLink, Tender, Transaction
from core.domain.stock import InventoryAdjustment, Receiver, ReceiverLine, Transfer, TransferLine
from core.domain.store_config import ItemCategory, StoreConfig

MERCHANT = "m_examples"
T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)  # a Monday, 10:00 in the stores' zone (UTC-4)
LOCAL_OFFSET = timedelta(hours=-4)


def at(minutes: float = 0, *, hours: float = 0, days: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, hours=hours, days=days)


def local(when: datetime) -> str:
    return (when + LOCAL_OFFSET).replace(tzinfo=None).isoformat()


@dataclass(frozen=True)
class L:
    """A line as a test states it: item, unit price charged, and what each substrate may add."""

    item: str
    price: int
    qty: float = 1.0
    discount: int = 0
    regular: int | None = None
    cost: int | None = None
    overridden: bool = False
    mix: str | None = None
    category: str | None = None
    line_type: str = "SALE"
    source_line: str | None = None


@dataclass(frozen=True)
class P:
    """A tender: type, amount and (cards) a fingerprint."""

    kind: str
    amount: int
    fingerprint: str | None = None


def _dump(value: Canonical | None) -> dict[str, Any] | None:
    return None if value is None else value.model_dump(mode="json")


def _event(kind: str, entity: str, when: datetime | None, source: str, facts: dict[str, Any]) -> ParsedEvent:
    return ParsedEvent(
        merchant_id=MERCHANT,
        evidence_seq=0,
        source=source,
        source_type="WEBHOOK",
        kind=kind,
        entity_id=entity,
        occurred_at=when,
        facts=facts,
    )


def _lines(txn_id: str, lines: Sequence[L], vk: str, cp: bool) -> list[LineItem]:
    out = []
    for n, spec in enumerate(lines, start=1):
        extended = round(spec.price * spec.qty) - (0 if cp else spec.discount)
        out.append(
            LineItem(
                transaction_id=txn_id,
                line_no=str(n),
                line_type=spec.line_type,
                item_id=spec.item,
                category_id=f"cp:category:{spec.category}" if (cp and spec.category) else None,
                quantity=spec.qty,
                unit_price_cents=spec.price,
                regular_price_cents=spec.regular if cp else None,
                unit_cost_cents=spec.cost if cp else None,
                extended_cost_cents=round(spec.cost * abs(spec.qty))
                if (cp and spec.cost is not None)
                else None,
                extended_price_cents=extended,
                discount_cents=spec.discount,
                price_overridden=spec.overridden if cp else False,
                mix_match_code=spec.mix if cp else None,
                source_line_ref=spec.source_line,
                version_key=vk,
            )
        )
    return out


# Square ------------------------------------------------------------------------------------------


def square_txn(
    ref: str,
    when: datetime,
    lines: Sequence[L] = (),
    tenders: Sequence[P] | None = None,
    *,
    type: str = "SALE",
    employee: str = "TM1",
    device: str = "DEV1",
    location: str = "L1",
    customer: str | None = None,
    refund_of: str | None = None,
    version: int = 1,
    committed: bool = True,
    shift: str | None = None,
) -> ParsedEvent:
    """A Square sale (or refund, void, or a drawer's NO_SALE / PAID_IN / PAID_OUT when ``shift`` names
    the drawer shift the event belongs to, as ``core.adapters.square.drawers`` maps them)."""
    txn_id = f"sq:drawer_event:{ref}" if shift else f"sq:order:{ref}"
    vk = version_key(when, version)
    items = _lines(txn_id, lines, vk, cp=False)
    amount = sum(li.extended_price_cents for li in items) if items else sum(p.amount for p in tenders or [])
    paid = tenders if tenders is not None else ([] if shift else [P("CARD", amount, f"fp-{ref}")])
    txn = Transaction(
        id=txn_id,
        type=type,
        source="SQUARE",
        source_type="WEBHOOK",
        external_id=ref,
        order_id=None if shift else ref,
        location_id=f"sq:location:{location}",
        device_id=f"sq:device:{device}",
        employee_id=f"sq:employee:{employee}",
        customer_id=f"sq:customer:{customer}" if customer else None,
        drawer_session_id=f"sq:drawer_shift:{shift}" if shift else None,
        amount_cents=amount,
        occurred_at=when,
        local_occurred_at=local(when),
        committed_at=when if committed else None,
        status="COMPLETED" if committed else "OPEN",
        version_key=vk,
    )
    tender_rows = [
        Tender(
            transaction_id=txn_id,
            tender_no=f"pay-{ref}-{n}",
            tender_type=p.kind,
            amount_cents=p.amount,
            card_fingerprint=p.fingerprint if p.kind == "CARD" else None,
            card_brand="VISA" if p.kind == "CARD" else None,
            entry_method="EMV" if p.kind == "CARD" else None,
            employee_id=txn.employee_id,
            device_id=txn.device_id,
            occurred_at=when,
            version_key=vk,
        )
        for n, p in enumerate(paid, start=1)
    ]
    link = None
    if type == "REFUND" and refund_of is not None:
        link = RefundLink(
            refund_transaction_id=txn_id,
            original_transaction_id=f"sq:order:{refund_of}",
            original_payment_id=f"pay-{refund_of}-1",
            original_order_id=refund_of,
            version_key=vk,
        )
    facts: dict[str, Any] = {
        "transaction": _dump(txn),
        "line_items": [_dump(li) for li in items],
        "tenders": [_dump(t) for t in tender_rows],
        "refund_link": _dump(link),
    }
    return _event("transaction", txn_id, when, "SQUARE", facts)


def square_drawer(
    ref: str,
    *,
    state: str = "CLOSED",
    opened: datetime,
    closed: datetime | None = None,
    expected: int | None = None,
    counted: int | None = None,
    device: str = "DEV1",
    employee: str = "TM1",
    events: Sequence[tuple[str, datetime, int]] = (),
    location: str = "L1",
    version: int = 1,
) -> ParsedEvent:
    shift_id = f"sq:drawer_shift:{ref}"
    vk = version_key(closed or opened, version)
    shift = DrawerShift(
        id=shift_id,
        source="SQUARE",
        external_id=ref,
        location_id=f"sq:location:{location}",
        device_id=f"sq:device:{device}",
        state=state,
        opened_at=opened,
        ended_at=closed,
        closed_at=closed,
        opening_employee_id=f"sq:employee:{employee}",
        closing_employee_id=f"sq:employee:{employee}",
        expected_cash_cents=expected,
        counted_cash_cents=counted,
        version_key=vk,
    )
    rows = [
        DrawerEvent(
            id=f"sq:drawer_event:{ref}-{n}",
            shift_id=shift_id,
            event_type=kind,
            amount_cents=amount,
            employee_id=f"sq:employee:{employee}",
            occurred_at=when,
            version_key=vk,
        )
        for n, (kind, when, amount) in enumerate(events, start=1)
    ]
    return _event(
        "drawer_shift",
        shift_id,
        closed or opened,
        "SQUARE",
        {"drawer_shift": _dump(shift), "drawer_events": [_dump(e) for e in rows]},
    )


# Counterpoint ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class A:
    """An audit-log entry: minutes after the ticket, station, activity and text."""

    minutes: float
    station: str = "REG1"
    entry: str = "Entered a new ticket"
    activity: str | None = "N"
    doc_type: str | None = "T"
    user: str = "CASHIER1"


def cp_ticket(
    guid: str,
    when: datetime,
    lines: Sequence[L] = (),
    tenders: Sequence[P] | None = None,
    *,
    store: str = "1",
    station: str = "REG1",
    session: str | None = "41",
    user: str = "CASHIER1",
    customer_no: str | None = None,
    doc_type: str = "T",
    ticket_type: str = "T",
    voided: bool = False,
    refs: Sequence[str] | None = (),
    audit: Sequence[A] = (),
    taxes: Sequence[tuple[str, int]] = (),
    kind: str | None = None,
    committed: bool = True,
    release: bool = False,
    version: int = 1,
    tax_code: str = "MEMPHIS",
    committed_minutes: float | None = 0,
) -> ParsedEvent:
    doc_id = f"cp:doc:{guid}"
    vk = version_key(when + timedelta(seconds=version), version)
    items = _lines(doc_id, lines, vk, cp=True)
    total = sum(li.extended_price_cents for li in items)
    txn_type = kind or ("VOID" if voided else "REFUND" if total < 0 else "SALE")
    paid = tenders if tenders is not None else [P("CASH", abs(total))]
    location = f"cp:location:{store}"
    document = Document(
        id=doc_id,
        origin="DOCUMENT",
        external_id=guid,
        doc_guid=guid,
        doc_id=guid[-6:],
        doc_type=doc_type,
        ticket_type=ticket_type,
        store_id=store,
        location_id=location,
        station_id=station,
        drawer_id="1",
        drawer_session_id=session,
        user_id=user,
        customer_no=customer_no or "CASH",
        committed=committed,
        release_ticket=release,
        voided=voided,
        tax_code=tax_code,
        normal_tax_code="MEMPHIS",
        total_cents=total,
        tax_cents=sum(t for _a, t in taxes),
        original_doc_ref_count=None if refs is None else len(refs),
        occurred_at=when,
        local_occurred_at=local(when),
        version_key=vk,
    )
    txn = Transaction(
        id=doc_id,
        type=txn_type,
        source="COUNTERPOINT",
        source_type="POLLING",
        external_id=guid,
        ticket_number=f"{store}-{guid[-6:]}",
        location_id=location,
        device_id=f"cp:device:{store}/{station}",
        employee_id=f"cp:employee:{user}",
        customer_id=f"cp:customer:{customer_no}" if customer_no else None,
        drawer_session_id=f"cp:drawer_session:{store}/{session}" if session else None,
        amount_cents=abs(total),
        tax_cents=sum(t for _a, t in taxes),
        occurred_at=when,
        local_occurred_at=local(when),
        committed_at=when + timedelta(minutes=committed_minutes)
        if committed and committed_minutes is not None
        else None,
        status="VOIDED" if voided else "COMPLETED",
        version_key=vk,
    )
    tender_rows = [
        Tender(
            transaction_id=doc_id,
            tender_no=str(n),
            tender_type=p.kind,
            pay_code=p.kind,
            amount_cents=p.amount,
            employee_id=txn.employee_id,
            device_id=txn.device_id,
            occurred_at=when,
            version_key=vk,
        )
        for n, p in enumerate(paid, start=1)
    ]
    log = [
        AuditLogEntry(
            document_id=doc_id,
            seq=n,
            doc_type="V" if voided and n == len(audit) else a.doc_type,
            activity=a.activity,
            log_entry=a.entry,
            user_id=a.user,
            store_id=store,
            station_id=a.station,
            drawer_id="1",
            occurred_at=when + timedelta(minutes=a.minutes),
            local_occurred_at=local(when + timedelta(minutes=a.minutes)),
            version_key=vk,
        )
        for n, a in enumerate(audit, start=1)
    ]
    tax_rows = [
        DocumentTax(
            document_id=doc_id, doc_part="S", authority=auth, rule_code="1", tax_cents=cents, version_key=vk
        )
        for auth, cents in taxes
    ]
    ref_rows = (
        None
        if refs is None
        else [
            OriginalDocRef(document_id=doc_id, original_doc_id=r, original_store_id=store, version_key=vk)
            for r in refs
        ]
    )
    facts: dict[str, Any] = {
        "transaction": _dump(txn),
        "line_items": [_dump(li) for li in items],
        "tenders": [_dump(t) for t in tender_rows],
        "document": _dump(document),
        "audit_log": [_dump(e) for e in log],
        "pricing_decisions": [],
        "taxes": [_dump(t) for t in tax_rows],
        "original_doc_refs": None if ref_rows is None else [_dump(r) for r in ref_rows],
    }
    return _event("transaction", doc_id, when, "COUNTERPOINT", facts)


def cp_drawer(
    session: str,
    *,
    state: str,
    opened: datetime,
    closed: datetime | None = None,
    expected: int | None = None,
    counted: int | None = None,
    store: str = "1",
    station: str = "REG1",
    user: str = "CASHIER1",
    reactivated: bool = False,
    version: int = 1,
    updated: datetime | None = None,  # when the vendor last changed it (default: closed or opened)
) -> ParsedEvent:
    shift_id = f"cp:drawer_session:{store}/{session}"
    shift = DrawerShift(
        id=shift_id,
        source="COUNTERPOINT",
        external_id=f"{store}/{session}",
        location_id=f"cp:location:{store}",
        device_id=f"cp:device:{store}/{station}",
        state=state,
        opened_at=opened,
        closed_at=closed,
        ended_at=closed,
        opening_employee_id=f"cp:employee:{user}",
        closing_employee_id=f"cp:employee:{user}",
        expected_cash_cents=expected,
        counted_cash_cents=counted,
        reactivated=reactivated,
        version_key=version_key(updated or closed or opened, version),
    )
    return _event(
        "drawer_shift",
        shift_id,
        closed or opened,
        "COUNTERPOINT",
        {"drawer_shift": _dump(shift), "drawer_events": []},
    )


def cp_store(store: str = "1", **fields: Any) -> ParsedEvent:
    config = StoreConfig(location_id=f"cp:location:{store}", store_id=store, **fields)
    return _event(
        "store_config",
        config.location_id,
        T0 - timedelta(days=30),
        "COUNTERPOINT",
        {"store_config": _dump(config)},
    )


def cp_category(code: str, min_pct: float | None, target_pct: float | None = None) -> ParsedEvent:
    category = ItemCategory(
        id=f"cp:category:{code}", category_code=code, min_profit_pct=min_pct, target_profit_pct=target_pct
    )
    return _event(
        "item_category",
        category.id,
        T0 - timedelta(days=30),
        "COUNTERPOINT",
        {"item_category": _dump(category)},
    )


def cp_customer(
    number: str, when: datetime, *, tier: str | None = None, tax_exempt: bool | None = None
) -> ParsedEvent:
    record = CustomerRecord(
        id=f"cp:customer:{number}",
        source="COUNTERPOINT",
        external_id=number,
        tier=tier,
        tax_exempt=tax_exempt,
        version_key=version_key(when),
    )
    return _event("customer", record.id, when, "COUNTERPOINT", {"customer": _dump(record)})


def cp_price_change(item: str, when: datetime, old: int, new: int, user: str = "CASHIER1") -> ParsedEvent:
    change = {
        "item_id": item,
        "employee_id": f"cp:employee:{user}",
        "location_id": "cp:location:1",
        "old_price_cents": old,
        "new_price_cents": new,
        "occurred_at": when.isoformat(),
    }
    return _event("price_change", item, when, "COUNTERPOINT", {"price_changes": [change]})


def cp_mix_match_group(code: str, items: Sequence[str]) -> ParsedEvent:
    return _event(
        "mix_match_group",
        code,
        T0 - timedelta(days=30),
        "COUNTERPOINT",
        {"mix_match_groups": [{"code": code, "item_ids": list(items)}]},
    )


def cp_receiver(
    number: str,
    when: datetime,
    lines: Sequence[tuple[str, float, float, int]],
    *,
    cash_paid: bool = False,
    cash_cents: int | None = None,
    vendor: str = "GROWER1",
) -> ParsedEvent:
    """``lines``: (item, received, ordered, unit cost)."""
    rid = f"cp:receiver:MAIN:{number}"
    vk = version_key(when)
    header = Receiver(
        id=rid,
        receiver_no=number,
        location="MAIN",
        vendor_no=vendor,
        po_no=f"PO{number}",
        received_at=when,
        cash_paid=cash_paid,
        cash_paid_cents=cash_cents,
        total_cost_cents=round(sum(r * c for _i, r, _o, c in lines)),
        version_key=vk,
    )
    rows = [
        ReceiverLine(
            receiver_id=rid,
            line_no=str(n),
            item_id=item,
            po_no=header.po_no,
            quantity_received=recv,
            unit_cost_cents=cost,
            po_quantity_ordered=ordered,
            po_unit_cost_cents=cost,
            version_key=vk,
        )
        for n, (item, recv, ordered, cost) in enumerate(lines, start=1)
    ]
    return _event(
        "receiver", rid, when, "COUNTERPOINT", {"receiver": _dump(header), "lines": [_dump(r) for r in rows]}
    )


def cp_transfer(
    number: str,
    when: datetime,
    direction: str,
    quantity: float,
    *,
    origin: str = "MAIN",
    destination: str = "NURSERY",
    item: str = "FERN-4IN",
    unit_cost: int = 300,
) -> ParsedEvent:
    tid = f"cp:transfer:{origin}:{number}:{direction}"
    vk = version_key(when)
    header = Transfer(
        id=tid,
        transfer_no=number,
        direction=direction,
        from_location=origin,
        to_location=destination,
        occurred_at=when,
        total_quantity=quantity,
        version_key=vk,
    )
    line = TransferLine(
        transfer_id=tid,
        line_no="1",
        transfer_no=number,
        direction=direction,
        from_location=origin,
        to_location=destination,
        item_id=item,
        quantity=quantity,
        unit_cost_cents=unit_cost,
        extended_cost_cents=round(quantity * unit_cost),
        version_key=vk,
    )
    return _event("transfer", tid, when, "COUNTERPOINT", {"transfer": _dump(header), "lines": [_dump(line)]})


def cp_write_off(
    n: int,
    when: datetime,
    quantity: float,
    unit_cost: int,
    *,
    item: str = "MUM-6IN",
    location: str = "MAIN",
    reason: str = "DEAD",
) -> ParsedEvent:
    record = InventoryAdjustment(
        id=f"cp:adjustment:{location}:{n}",
        location=location,
        item_id=item,
        quantity=-abs(quantity),
        unit_cost_cents=unit_cost,
        extended_cost_cents=-round(abs(quantity) * unit_cost),
        reason_code=reason,
        write_off=True,
        occurred_at=when,
        version_key=version_key(when),
    )
    return _event("inventory_adjustment", record.id, when, "COUNTERPOINT", {"adjustment": _dump(record)})
