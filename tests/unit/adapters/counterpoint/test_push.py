"""Push signatures: HMAC-SHA256 over ``timestamp.body``, five minutes of skew, constant-time compare."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from core.adapters.counterpoint.push import sign_push, verify_push_signature

KEY, OLD_KEY = "push-key-2026", "push-key-2025"
BODY = b'{"table": "IM_ADJ_HIST", "row": {"ITEM_NO": "FERN-1G"}}'
NOW = 1_780_000_000


def _verify(
    body: bytes = BODY,
    header: str | None = None,
    *,
    timestamp: str | None = str(NOW),
    now: float = NOW,
    keys: tuple[str, ...] = (KEY,),
) -> bool:
    header = sign_push(BODY, KEY, NOW) if header is None else header
    return verify_push_signature(body, header, keys, timestamp=timestamp, now=now)


def test_a_correctly_signed_push_verifies() -> None:
    assert _verify()


def test_the_signature_is_hex_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(KEY.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign_push(BODY, KEY, NOW) == f"sha256={expected}"


def test_a_tampered_body_fails() -> None:
    assert not _verify(body=BODY.replace(b"FERN", b"FIRN"))


def test_a_different_timestamp_than_the_one_signed_fails() -> None:
    assert not _verify(timestamp=str(NOW + 1), now=NOW + 1)


@pytest.mark.parametrize("age", [301, -301, 86_400], ids=["stale", "from-the-future", "a-day-old"])
def test_a_timestamp_outside_five_minutes_fails_even_with_a_good_signature(age: int) -> None:
    assert not _verify(now=NOW + age)


def test_a_timestamp_at_the_edge_of_the_window_passes() -> None:
    assert _verify(now=NOW + 300)
    assert _verify(now=NOW - 300)


@pytest.mark.parametrize(
    ("header", "timestamp"),
    [
        (None, str(NOW)),
        ("", str(NOW)),
        ("sha256=zz", str(NOW)),
        ("md5=" + "0" * 64, str(NOW)),
        ("PLACEHOLDER", None),
        ("PLACEHOLDER", "yesterday"),
        ("PLACEHOLDER", "-5"),
    ],
    ids=[
        "missing-header",
        "empty-header",
        "not-hex",
        "wrong-scheme",
        "missing-timestamp",
        "word-timestamp",
        "negative-timestamp",
    ],
)
def test_a_missing_or_malformed_header_or_timestamp_fails(header: str | None, timestamp: str | None) -> None:
    good = sign_push(BODY, KEY, NOW)
    header = good if header == "PLACEHOLDER" else header
    assert not verify_push_signature(BODY, header, [KEY], timestamp=timestamp, now=NOW)


def test_during_a_key_rotation_either_key_verifies_and_no_key_never_does() -> None:
    old_signature = sign_push(BODY, OLD_KEY, NOW)
    assert verify_push_signature(BODY, old_signature, [KEY, OLD_KEY], timestamp=str(NOW), now=NOW)
    assert not verify_push_signature(BODY, old_signature, [KEY], timestamp=str(NOW), now=NOW)
    assert not verify_push_signature(BODY, old_signature, [], timestamp=str(NOW), now=NOW)


def test_the_header_scheme_and_hex_are_case_insensitive() -> None:
    assert _verify(header=sign_push(BODY, KEY, NOW).upper())
