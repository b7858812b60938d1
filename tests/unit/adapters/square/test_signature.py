"""Square webhook signatures: Square's own vectors, agreement with Square's SDK helper on generated
inputs, and every way a delivery must fail (tampered body, wrong URL, re-serialised JSON, wrong key)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from square.utils.webhooks_helper import verify_signature as sdk_verify

from core.adapters.square.signature import sign_square_body, verify_square_signature

from .support import sample_bytes

# square/square-python-sdk @ 24302bac, tests/integration/test_webhooks_helper.py (notes §1.2)
VECTOR_BODY = sample_bytes("webhooks.test_notification.raw-body")
VECTOR_KEY = "Ibxx_5AKakO-3qeNVR61Dw"
VECTOR_URL = "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9"
VECTOR_SIGNATURE = "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4="
SECOND = (
    b'{"data":{"type":"webhooks","id":">id<"}}',
    "signature-key",
    "https://webhook.site/webhooks",
    "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U=",
)


def ours(body: bytes, header: str | None, key: str, url: str) -> bool:
    return verify_square_signature(
        body=body, signature_header=header, signature_keys=[key], notification_url=url
    )


def sdk(body: bytes, header: str, key: str, url: str) -> bool:
    return sdk_verify(
        request_body=body.decode("utf-8"), signature_header=header, signature_key=key, notification_url=url
    )


def test_squares_official_test_notification_vector_verifies() -> None:
    assert ours(VECTOR_BODY, VECTOR_SIGNATURE, VECTOR_KEY, VECTOR_URL)
    assert sign_square_body(VECTOR_BODY, VECTOR_KEY, VECTOR_URL) == VECTOR_SIGNATURE
    assert sdk(VECTOR_BODY, VECTOR_SIGNATURE, VECTOR_KEY, VECTOR_URL)


def test_squares_second_official_vector_verifies() -> None:
    body, key, url, header = SECOND
    assert ours(body, header, key, url)
    assert sdk(body, header, key, url)


def test_a_tampered_body_a_slash_on_the_url_reserialised_json_and_a_wrong_key_all_fail() -> None:
    reserialised = json.dumps(json.loads(VECTOR_BODY)).encode()
    assert reserialised != VECTOR_BODY
    assert not ours(VECTOR_BODY.replace(b"webhooks", b"webhookz"), VECTOR_SIGNATURE, VECTOR_KEY, VECTOR_URL)
    assert not ours(VECTOR_BODY, VECTOR_SIGNATURE, VECTOR_KEY, VECTOR_URL + "/")
    assert not ours(reserialised, VECTOR_SIGNATURE, VECTOR_KEY, VECTOR_URL)
    assert not ours(VECTOR_BODY, VECTOR_SIGNATURE, VECTOR_KEY + "x", VECTOR_URL)


def test_a_missing_empty_or_garbage_header_is_invalid_without_raising() -> None:
    for header in (None, "", "not base64 at all", "\udcff", VECTOR_SIGNATURE.lower(), VECTOR_SIGNATURE + "="):
        assert not ours(VECTOR_BODY, header, VECTOR_KEY, VECTOR_URL)


def test_no_usable_key_an_empty_url_or_an_empty_body_is_invalid_without_raising() -> None:
    assert not verify_square_signature(
        body=VECTOR_BODY, signature_header=VECTOR_SIGNATURE, signature_keys=[], notification_url=VECTOR_URL
    )
    assert not verify_square_signature(
        body=VECTOR_BODY, signature_header=VECTOR_SIGNATURE, signature_keys=[""], notification_url=VECTOR_URL
    )
    assert not ours(VECTOR_BODY, VECTOR_SIGNATURE, VECTOR_KEY, "")
    assert not ours(b"", sign_square_body(b"", VECTOR_KEY, VECTOR_URL), VECTOR_KEY, VECTOR_URL)


def test_during_a_key_rotation_either_key_verifies_and_a_retired_key_does_not() -> None:
    old, new, retired = "old-key", "new-key", "retired-key"
    for key in (old, new):
        header = sign_square_body(VECTOR_BODY, key, VECTOR_URL)
        assert verify_square_signature(
            body=VECTOR_BODY, signature_header=header, signature_keys=[old, new], notification_url=VECTOR_URL
        )
    header = sign_square_body(VECTOR_BODY, retired, VECTOR_URL)
    assert not verify_square_signature(
        body=VECTOR_BODY, signature_header=header, signature_keys=[old, new], notification_url=VECTOR_URL
    )


def test_a_body_that_is_not_utf8_is_signed_over_its_raw_bytes() -> None:
    body = b'{"note": "\xff\xfe"}'
    header = sign_square_body(body, VECTOR_KEY, VECTOR_URL)
    assert ours(body, header, VECTOR_KEY, VECTOR_URL)
    assert not ours(body.replace(b"\xfe", b"\xfd"), header, VECTOR_KEY, VECTOR_URL)


keys = st.text(min_size=1, max_size=40)
urls = st.builds(
    lambda host, path: f"https://{host}.example.com/{path}",
    st.text("abcdefghijklmnop0123456789-", min_size=1, max_size=20),
    st.text(max_size=30),
)
bodies = st.text(min_size=1, max_size=300)


@given(body=bodies, key=keys, url=urls)
def test_our_signature_agrees_with_squares_sdk_on_generated_deliveries(body: str, key: str, url: str) -> None:
    raw = body.encode("utf-8")
    header = sign_square_body(raw, key, url)
    assert ours(raw, header, key, url) is sdk(raw, header, key, url) is True


@given(body=bodies, key=keys, other_key=keys, url=urls, header=st.text(max_size=60))
def test_our_verdict_matches_the_sdk_for_wrong_keys_urls_bodies_and_headers(
    body: str, key: str, other_key: str, url: str, header: str
) -> None:
    raw = body.encode("utf-8")
    genuine = sign_square_body(raw, key, url)
    cases = [
        (raw, genuine, other_key, url),  # wrong key (unless hypothesis drew the same one)
        (raw, genuine, key, url + "/"),  # trailing slash
        (raw + b" ", genuine, key, url),  # tampered body
        (raw, header, key, url),  # arbitrary header
    ]
    for case_body, case_header, case_key, case_url in cases:
        assert ours(case_body, case_header, case_key, case_url) is sdk(
            case_body, case_header, case_key, case_url
        )
    assert not ours(raw + b" ", genuine, key, url)
    assert not ours(raw, genuine, key, url + "/")
