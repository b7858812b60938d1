"""Bad input fails as a ParseError that names the field (or says why the body is unusable), and no
mutation of an official sample can make the parser fail any other way."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.domain.parsing import Ignored, Parsed, ParseError

from .support import FakeOrders, api_response, context, edited, run, sample, sample_bytes


def _fails(raw: bytes | dict[str, Any]) -> ParseError:
    with pytest.raises(ParseError) as caught:
        run(raw)
    return caught.value


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"this is not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[1, 2, 3]", "JSON array, not an object"),
        (b'"payment.created"', "JSON string, not an object"),
        (b"null", "JSON null, not an object"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON"),
    ],
)
def test_a_body_that_is_not_a_json_object_fails_saying_what_it_is(raw: bytes, says: str) -> None:
    error = _fails(raw)
    assert says in str(error)
    assert error.field is None


def _without(path: list[str]) -> dict[str, Any]:
    body = sample("payment.created")
    node = body
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_without(["type"]), "type"),
        (_without(["data"]), "data"),
        (_without(["data", "object"]), "data.object"),
        (_without(["data", "object", "payment"]), "data.object.payment"),
        (_without(["data", "object", "payment", "id"]), "data.object.payment.id"),
        (edited("payment.created", lambda b: b["data"].update(object=[])), "data.object"),
        (
            edited(
                "payment.created",
                lambda b: b["data"]["object"]["payment"]["total_money"].update(amount="abc"),
            ),
            "data.object.payment.total_money.amount",
        ),
        (
            edited(
                "payment.created",
                lambda b: (
                    b["data"]["object"]["payment"].pop("total_money"),
                    b["data"]["object"]["payment"]["amount_money"].update(amount="ten"),
                ),
            ),
            "data.object.payment.amount_money.amount",
        ),
        (
            edited(
                "payment.created", lambda b: b["data"]["object"]["payment"]["total_money"].update(amount=True)
            ),
            "data.object.payment.total_money.amount",
        ),
        (
            edited(
                "payment.created", lambda b: b["data"]["object"]["payment"].update(created_at="yesterday")
            ),
            "data.object.payment.created_at",
        ),
        (
            edited("refund.created", lambda b: b["data"]["object"]["refund"].pop("amount_money")),
            "data.object.refund.amount_money",
        ),
        (
            edited("customer.created", lambda b: b["data"]["object"]["customer"].update(id=42)),
            "data.object.customer.id",
        ),
        (
            edited(
                "inventory.count.updated",
                lambda b: b["data"]["object"]["inventory_counts"][0].update(quantity="x"),
            ),
            "data.object.inventory_counts[0].quantity",
        ),
        (
            edited("inventory.count.updated", lambda b: b["data"]["object"].update(inventory_counts={})),
            "data.object.inventory_counts",
        ),
        (edited("labor.timecard.deleted", lambda b: b["data"].pop("id")), "data.id"),
        (edited("dispute.created", lambda b: b["data"]["object"].pop("dispute")), "data.object.dispute"),
        (
            edited("loyalty.event.created", lambda b: b["data"]["object"]["loyalty_event"].pop("type")),
            "data.object.loyalty_event.type",
        ),
    ],
)
def test_a_missing_or_malformed_field_is_named_in_the_error(body: dict[str, Any], field: str) -> None:
    assert _fails(body).field == field


def test_a_line_quantity_that_is_not_a_number_names_the_line() -> None:
    order = copy.deepcopy(api_response("RetrieveOrderResponse")["order"])
    order["id"] = "03O3USaPaAaFnI6kkwB1JxGgBsUZY"
    order["line_items"][1]["quantity"] = "two"
    with pytest.raises(ParseError) as caught:
        run(sample_bytes("payment.updated"), context(fetch=FakeOrders(order)))
    assert caught.value.field == "order[03O3USaPaAaFnI6kkwB1JxGgBsUZY].line_items[1].quantity"


def test_a_polled_document_of_an_unknown_kind_fails_naming_the_kind() -> None:
    body = {"canary_polled": {"kind": "gift_card", "fetched_at": "2026-01-01T00:00:00Z"}, "object": {}}
    assert _fails(body).field == "canary_polled.kind"


def test_an_id_longer_than_any_column_is_a_parse_error_not_a_crash() -> None:
    body = edited("customer.created", lambda b: b["data"]["object"]["customer"].update(id="C" * 500))
    assert "CustomerRecord" in str(_fails(body))


def test_an_unknown_event_type_is_ignored_with_its_name() -> None:
    outcome = run(edited("payment.created", lambda b: b.update(type="subscription.created")))
    assert isinstance(outcome, Ignored)
    assert "subscription.created" in outcome.reason


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
MUTATED = [
    "payment.created",
    "payment.updated",
    "refund.updated",
    "customer.created",
    "customer.deleted",
    "loyalty.account.created",
    "loyalty.event.created",
    "dispute.state.changed",
    "payout.paid",
    "team_member.created",
    "device.created",
    "device.code.paired",
    "inventory.count.updated",
    "labor.timecard.created",
    "labor.shift.deleted",
    "terminal.refund.updated",
    "terminal.checkout.updated",
    "terminal.action.created",
    "order.updated",
]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


class EveryOrder:
    """Serves the official order example under whatever id is asked for, so enrichment always runs."""

    def get_order(self, location_id: str | None, order_id: str) -> dict[str, Any]:
        return api_response("RetrieveOrderResponse")["order"] | {"id": order_id}


def _mutate(body: dict[str, Any], pick: int, value: Any, drop: bool) -> bytes:
    paths = _paths(body)
    path = paths[pick % len(paths)]
    parent = body
    for key in path[:-1]:
        parent = parent[key]
    if drop and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return json.dumps(body).encode()


def _survives(raw: bytes) -> None:
    try:
        outcome = run(raw, context(fetch=EveryOrder(), zones={"S8GWD5R9QB376": "Pacific/Kiritimati"}))
    except ParseError:
        return
    assert isinstance(outcome, Parsed | Ignored)
    for record in getattr(outcome, "records", []):
        record.model_dump(mode="json")  # every produced record serialises for the detection stream


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(MUTATED), pick=st.integers(min_value=0), value=json_values, drop=st.booleans())
def test_any_mutation_of_a_webhook_sample_parses_is_ignored_or_is_a_parse_error(
    name: str, pick: int, value: Any, drop: bool
) -> None:
    _survives(_mutate(sample(name), pick, value, drop))


def _polled(kind: str, obj: dict[str, Any], events: list[Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "canary_polled": {"kind": kind, "fetched_at": "2026-01-01T00:00:00Z", "location_id": "S8GWD5R9QB376"},
        "object": obj,
    }
    return body if events is None else body | {"events": events}


POLLED = [
    _polled("order", api_response("RetrieveOrderResponse")["order"]),
    _polled("payment", api_response("ListPaymentsResponse")["payments"][0]),
    _polled("refund", api_response("ListPaymentRefundsResponse")["refunds"][0]),
    _polled(
        "cash_drawer_shift",
        api_response("RetrieveCashDrawerShiftResponse")["cash_drawer_shift"],
        api_response("ListCashDrawerShiftEventsResponse")["cash_drawer_shift_events"],
    ),
]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(0, len(POLLED) - 1),
    pick=st.integers(min_value=0),
    value=json_values,
    drop=st.booleans(),
)
def test_any_mutation_of_a_polled_document_parses_is_ignored_or_is_a_parse_error(
    index: int, pick: int, value: Any, drop: bool
) -> None:
    _survives(_mutate(copy.deepcopy(POLLED[index]), pick, value, drop))
