"""Fuzzing both ingress paths on both backends with Hypothesis: bodies (binary, JSON of any shape,
envelopes with hostile ids, deep nesting, huge numbers, other encodings), headers, query strings and
signatures. Whatever arrives: no 5xx, the server keeps answering, every 2xx ``accepted`` is sealed
exactly once, and ``canary verify`` passes afterwards. Examples are bounded (seconds, not minutes);
``FUZZ_EXAMPLES`` raises the count for a longer local run."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections import Counter
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from core.bootstrap import Container
from core.pipeline.workers import drain
from tests.support.ingress import ledger_counts, push_headers, push_merchant
from tests.support.pipeline import new_merchant, signed, webhook

Canary = tuple[Container, TestClient]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "250"))

hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("a\x00\t\n\u202e\ud800é"), max_size=20),
    st.integers(180, 400).map(lambda n: "x" * n),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


envelopes = st.fixed_dictionaries(
    {"event_id": hostile_text, "type": hostile_text, "merchant_id": hostile_text, "data": json_values}
).map(_dumps)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(_dumps),
    envelopes,
    st.integers(1, 20_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 5_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.integers(60, 6_000).map(lambda n: b'{"amount": ' + b"9" * n + b"}"),
    st.sampled_from([b"", b" ", b"null", b"{}", b"[]", b'"\\u0000"']),
    st.builds(lambda: webhook("payment.created")),
)
encodings = st.sampled_from(["utf-8", "utf-8", "utf-16", "latin-1"])
header_values = st.binary(max_size=40) | st.integers(90, 400).map(lambda n: b"v" * n)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    body: bytes = draw(bodies)
    if draw(encodings) != "utf-8":
        with contextlib.suppress(UnicodeDecodeError, UnicodeEncodeError):
            body = body.decode("utf-8").encode(draw(encodings), errors="surrogatepass")
    return {
        "path": draw(st.sampled_from(["square", "counterpoint"])),
        "body": body,
        "signed": draw(st.booleans() | st.just(True)),
        "merchant": draw(st.sampled_from(["ours", "ours", "ours", "none", "other"])),
        "other_merchant": draw(hostile_text),
        "version": draw(header_values),
        "event_id": draw(st.none() | header_values),
        "content_type": draw(st.sampled_from([b"application/json", b"text/plain", b"\x00", b""])),
    }


def test_fuzzed_requests_never_get_a_5xx_and_every_2xx_is_sealed_once(canary: Canary) -> None:
    container, client = canary
    square_merchant, url = new_merchant(container)
    push = push_merchant(container)
    raw = TestClient(client.app, raise_server_exceptions=False)  # a crash is a 500 here, not a raise
    answers: Counter[tuple[str, int, str]] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(request=requests())
    def probe(request: dict[str, Any]) -> None:
        merchant = square_merchant if request["path"] == "square" else push
        ref = {"ours": merchant, "none": None, "other": request["other_merchant"]}[request["merchant"]]
        query = "" if ref is None else "?merchant=" + quote(ref.encode("utf-8", "surrogatepass"))
        body = request["body"]
        headers: dict[bytes, bytes] = {b"content-type": request["content_type"]}
        if request["path"] == "square":
            path = "/webhooks/square"
            headers[b"square-version"] = request["version"]
            if request["signed"]:
                headers[b"x-square-hmacsha256-signature"] = signed(body, url)[
                    "x-square-hmacsha256-signature"
                ].encode()
        else:
            path = "/ingest/counterpoint"
            if request["event_id"] is not None:
                headers[b"x-canary-event-id"] = request["event_id"]
            if request["signed"]:
                headers.update({k.encode(): v.encode() for k, v in push_headers(body).items()})
        response = raw.post(path + query, content=body, headers=list(headers.items()))
        assert response.status_code < 500, (response.status_code, response.text[:300])
        status = (
            response.json().get("status", "")
            if response.headers.get("content-type", "").startswith("application/json")
            else ""
        )
        answers[(request["path"], response.status_code, status)] += 1

    probe()
    tried = sum(answers.values())
    # The server is still up and still takes ordinary deliveries.
    assert client.get("/healthz").status_code == 200
    fine = webhook("payment.created", event_id=str(uuid.uuid4()))
    answer = client.post(
        f"/webhooks/square?merchant={square_merchant}", content=fine, headers=signed(fine, url)
    )
    assert answer.json()["status"] == "accepted"
    drain(container.pipeline)
    for path, merchant, extra in (("square", square_merchant, 1), ("counterpoint", push, 0)):
        accepted = answers[(path, 200, "accepted")] + extra
        counts = ledger_counts(container, merchant)
        assert counts["inbox"] == counts["sealed"] == counts["sealed_distinct"] == accepted, (
            path,
            counts,
            answers,
        )
        assert container.verifier.verify(merchant).ok, container.verifier.verify(merchant).problems
    assert tried >= EXAMPLES // 2  # Hypothesis may stop early only when it runs out of new inputs
    print(f"fuzz: {tried} inputs, answers {dict(answers)}")
