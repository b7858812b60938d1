"""Counterpoint adapter: one sealed raw unit → canonical records and parsed events.

One function serves every way in (REST polling, PUSH, BATCH files). The envelope is the unit itself:
- an **export row** ``{"table": "PS_TKT_HIST", "row": {...}, "children": {"PS_TKT_HIST_LIN": [...]}}``
  is routed on ``table``;
- anything else is a **Counterpoint API response exactly as received**, recognised by its top-level
  key (``PS_DOC_HDR``, ``PS_STR``, ``Category``, ``ItemCategories``, ``AR_CUST``, ``Customers``).
  A response always carries ``ErrorCode``; an object without it is a *request* body (the guide's
  POST/PATCH/PUT samples), which Canary never sends and does not ingest.
Everything that is valid but not loss-prevention data is ``Ignored`` with the reason (catalog.py).
The layouts are specified in docs/counterpoint.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.adapters.counterpoint import catalog, reference_map, stock_map
from core.adapters.counterpoint.document_map import API, HISTORY, Names, map_document
from core.adapters.counterpoint.fields import Row
from core.adapters.counterpoint.keys import category_id, employee_id
from core.adapters.counterpoint.transaction_map import map_transaction
from core.domain import bounded_json
from core.domain.documents import DocumentOrigin
from core.domain.parsing import (
    Ignored,
    ParseContext,
    Parsed,
    ParsedEvent,
    ParseError,
    ParseOutcome,
    RawEvent,
)
from core.domain.records import Canonical
from core.domain.stock import TransferDirection


def parse(event: RawEvent, ctx: ParseContext) -> ParseOutcome:
    body = _load(event.raw)
    if "table" in body:
        return _export(body, event, ctx)
    return _response(body, event, ctx)


def _load(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8-sig")  # SQL Server tools on Windows write a byte-order mark
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        body = bounded_json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except bounded_json.UnsafeJsonError as exc:
        raise ParseError(f"not usable JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ParseError(f"a Counterpoint unit is one JSON object, got {type(body).__name__}")
    return body


def _refuse_constant(name: str) -> Any:
    raise ParseError(f"not valid JSON: {name} is not a number")


def _response(body: dict[str, Any], event: RawEvent, ctx: ParseContext) -> ParseOutcome:
    if "ErrorCode" not in body:
        return Ignored(catalog.REQUEST_BODY)
    code = body["ErrorCode"]
    if code != "SUCCESS":
        return Ignored(f"Counterpoint error response {code}: {body.get('Message') or 'no message'}")
    if "PS_DOC_HDR" in body:
        return _document(Row.of(body["PS_DOC_HDR"], "PS_DOC_HDR"), API, DocumentOrigin.DOCUMENT, event, ctx)
    if "PS_STR" in body:
        config = reference_map.store_config(Row.of(body["PS_STR"], "PS_STR"))
        return _parsed(
            event, [config], [("store_config", config.location_id, None, {"store_config": config})]
        )
    if "Category" in body:
        return _categories([Row.of(body["Category"], "Category")], event)
    if "ItemCategories" in body:
        return _categories(_rows(body, "ItemCategories"), event)
    if "AR_CUST" in body:
        value = body["AR_CUST"]
        return _customers(
            _rows(body, "AR_CUST") if isinstance(value, list) else [Row.of(value, "AR_CUST")], event, ctx
        )
    if "Customers" in body:
        return _customers(_rows(body, "Customers"), event, ctx)
    if "Items" in body:
        return _items(_rows(body, "Items"), event)
    if "IM_ITEM" in body:
        value = body["IM_ITEM"]
        return _items(
            _rows(body, "IM_ITEM") if isinstance(value, list) else [Row.of(value, "IM_ITEM")], event
        )
    if any(key.startswith("PS_DOC_") for key in body):
        raise ParseError("document parts without their header", field="PS_DOC_HDR")
    return catalog.classify_other(body)


def _export(body: dict[str, Any], event: RawEvent, ctx: ParseContext) -> ParseOutcome:
    table = body["table"]
    if not isinstance(table, str) or not table:
        raise ParseError("expected a table name", field="table")
    table = table.upper()
    if table not in catalog.EXPORT_TABLES:
        return Ignored(
            f"export table {table} is not mapped (mapped: {', '.join(sorted(catalog.EXPORT_TABLES))})"
        )
    header = Row.of(body.get("row"), table)
    children = body.get("children") or {}
    if not isinstance(children, Mapping):
        raise ParseError("expected an object of child arrays", field=f"{table}.children")
    row = Row({**header.data, **children}, table)
    if table in ("PS_DOC_HDR", "PS_TKT_HIST"):
        names, origin = (
            (API, DocumentOrigin.DOCUMENT) if table == "PS_DOC_HDR" else (HISTORY, DocumentOrigin.HISTORY)
        )
        return _document(row, names, origin, event, ctx)
    if table in ("IM_XFER_HDR", "IM_XFER_IN_HIST"):
        direction = TransferDirection.SENT if table == "IM_XFER_HDR" else TransferDirection.RECEIVED
        return _stock(stock_map.transfer(row, ctx, direction), event)
    if table == "PO_RECVR_HIST":
        return _stock(stock_map.receiver(row, ctx), event)
    if table == "PO_RTV_HIST":
        return _stock(stock_map.return_to_vendor(row, ctx), event)
    return _stock(stock_map.adjustment(row, ctx, posted=table == "IM_ADJ_HIST"), event)


def _document(hdr: Row, names: Names, origin: DocumentOrigin, event: RawEvent, ctx: ParseContext) -> Parsed:
    parts = map_document(hdr, ctx, names, origin)
    txn = map_transaction(parts, event.source_type)
    refs = parts.original_doc_refs
    facts: dict[str, Any] = {
        "transaction": txn.transaction if txn else None,
        "line_items": txn.line_items if txn else [],
        "tenders": txn.tenders if txn else [],
        "document": parts.document,
        "audit_log": parts.audit_log,
        "pricing_decisions": parts.pricing_decisions,
        "taxes": parts.taxes,
        "original_doc_refs": refs,  # None when the payload had no PS_DOC_HDR_ORIG_DOC array
    }
    kind = "transaction" if txn else "document"
    records = [*parts.records(), *(txn.records() if txn else [])]
    return _parsed(event, records, [(kind, parts.document.id, parts.document.occurred_at, facts)])


def _categories(rows: Sequence[Row], event: RawEvent) -> Parsed:
    categories = [reference_map.item_category(row) for row in rows]
    return _parsed(
        event, categories, [("item_category", c.id, None, {"item_category": c}) for c in categories]
    )


def _items(rows: Sequence[Row], event: RawEvent) -> Parsed:
    """The item master (IM_ITEM): each item's category and mix-and-match code, so a mix-and-match
    group's members are known at all (docs/counterpoint.md, "Item master"). Nothing is stored but the
    event: the facts are reference data for the rules."""
    events = []
    for row in rows:
        item = row.require_key("ITEM_NO")
        category = row.text("CATEG_COD")
        code = row.text("MIX_MATCH_COD")
        # The shapes of core.rules.facts' CatalogItem and MixMatchGroup (the rules' contracts).
        record = {
            "id": item,
            "category_id": category_id(category) if category else None,
            "mix_match_code": code,
            "description": row.text("DESCR"),
            "price_cents": row.cents("PRC_1"),
            "maintained_by": employee_id(user) if (user := row.text("LST_MAINT_USR_ID")) else None,
        }
        facts: dict[str, Any] = {"catalog_items": [record]}
        if code:  # this item is one member of its group; the group may hold others
            facts["mix_match_groups"] = [{"code": code, "item_ids": [item], "complete": False}]
        events.append(("catalog_item", item, row.utc_time("RS_UTC_DT"), facts))
    return _parsed(event, [], events)


def _customers(rows: Sequence[Row], event: RawEvent, ctx: ParseContext) -> Parsed:
    records: list[Canonical] = []
    events: list[tuple[str, str, datetime | None, dict[str, Any]]] = []
    for row in rows:
        customer, fingerprints = reference_map.customer(row, ctx)
        records += [customer, *fingerprints]
        events.append(("customer", customer.id, None, {"customer": customer}))
    return _parsed(event, records, events)


def _stock(parts: stock_map.StockParts, event: RawEvent) -> Parsed:
    header_key = "adjustment" if parts.kind == "inventory_adjustment" else parts.kind
    facts: dict[str, Any] = {header_key: parts.header}
    if parts.kind != "inventory_adjustment":
        facts["lines"] = parts.lines
    return _parsed(
        event, [parts.header, *parts.lines], [(parts.kind, parts.entity_id, parts.occurred_at, facts)]
    )


def _rows(body: Mapping[str, Any], key: str) -> list[Row]:
    items = body[key]
    if not isinstance(items, list):
        raise ParseError(f"expected an array, got {type(items).__name__}", field=key)
    return [Row.of(item, f"{key}[{index}]") for index, item in enumerate(items)]


def _parsed(
    event: RawEvent,
    records: Sequence[Canonical],
    events: Sequence[tuple[str, str, datetime | None, dict[str, Any]]],
) -> Parsed:
    return Parsed(
        records=list(records),
        events=[
            ParsedEvent(
                merchant_id=event.merchant_id,
                evidence_seq=event.seq,
                source=event.source,
                source_type=event.source_type,
                kind=kind,
                entity_id=entity,
                occurred_at=occurred,
                facts={name: _dump(value) for name, value in facts.items()},
            )
            for kind, entity, occurred, facts in events
        ],
    )


def _dump(value: Any) -> Any:
    if isinstance(value, Canonical):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_dump(item) for item in value]
    return value
