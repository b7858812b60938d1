"""The per-merchant hash chain: every kind of tampering is reported at the position where it happened."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.ledger.chain import (
    ChainFault,
    ChainLink,
    chain_link,
    event_hash,
    genesis_hash,
    verify_chain,
)

MERCHANT = "m_123"


def build(n: int, merchant: str = MERCHANT) -> list[ChainLink]:
    links, prev = [], genesis_hash(merchant)
    for seq in range(1, n + 1):
        e = event_hash(b'{"event": %d}' % seq)
        links.append(ChainLink(seq, e, prev, chain_link(prev, e)))
        prev = links[-1].chain_hash
    return links


def renumbered(links: list[ChainLink], start: int) -> list[ChainLink]:
    return [dataclasses.replace(link, seq=start + i) for i, link in enumerate(links)]


def intruder_at(links: list[ChainLink], k: int) -> ChainLink:
    """A well-formed link that continues from link k-1 (or genesis), as an attacker would forge it."""
    prev = links[k - 1].chain_hash if k else genesis_hash(MERCHANT)
    e = event_hash(b"forged")
    return ChainLink(k + 1, e, prev, chain_link(prev, e))


def test_the_byte_layout_is_the_documented_one() -> None:
    assert genesis_hash("m_1") == hashlib.sha256(b"canary.ledger/v1/genesis\x00m_1").digest()
    assert event_hash(b"raw") == hashlib.sha256(b"raw").digest()
    assert chain_link(b"p" * 32, b"e" * 32) == hashlib.sha256(b"p" * 32 + b"e" * 32).digest()
    with pytest.raises(ValueError, match="32-byte"):
        chain_link(b"p" * 31, b"e" * 32)


def test_two_merchants_have_different_geneses_so_chains_cannot_be_swapped() -> None:
    assert genesis_hash("m_1") != genesis_hash("m_2")
    assert not verify_chain("m_2", build(3, "m_1")).ok


def test_a_valid_chain_verifies_every_link_and_reports_its_head() -> None:
    links = build(10)
    report = verify_chain(MERCHANT, iter(links))
    assert report.ok
    assert (report.checked, report.head, report.fault, report.position) == (
        10,
        links[-1].chain_hash,
        None,
        None,
    )
    empty = verify_chain(MERCHANT, [])
    assert empty.ok
    assert empty.head == genesis_hash(MERCHANT)


def test_verification_can_resume_from_a_trusted_head() -> None:
    links = build(10)
    assert verify_chain(MERCHANT, links[6:], trusted=(6, links[5].chain_hash)).ok
    report = verify_chain(MERCHANT, links[6:], trusted=(6, links[4].chain_hash))
    assert (report.fault, report.position, report.seq) == (ChainFault.BAD_PREV, 0, 7)


def tampered(kind: str, links: list[ChainLink], k: int) -> list[ChainLink]:
    out = list(links)
    if kind == "delete":
        del out[k]
    elif kind == "swap":
        out[k], out[k + 1] = out[k + 1], out[k]
    elif kind == "insert_renumbered":
        out = [*out[:k], intruder_at(out, k), *renumbered(out[k:], k + 2)]
    elif kind == "insert_duplicate_seq":
        out.insert(k, intruder_at(out, k))
    elif kind == "edit_chain_hash":
        out[k] = dataclasses.replace(out[k], chain_hash=b"\x00" * 32)
    elif kind == "edit_event_hash":
        out[k] = dataclasses.replace(out[k], event_hash=event_hash(b"edited"))
    elif kind == "edit_prev":
        out[k] = dataclasses.replace(out[k], prev_chain_hash=b"\x01" * 32)
    elif kind == "truncate_hash":
        out[k] = dataclasses.replace(out[k], event_hash=out[k].event_hash[:31])
    return out


EXPECTED_FAULT = {
    "delete": ChainFault.MISSING,
    "swap": ChainFault.REORDERED,
    "insert_renumbered": ChainFault.INSERTED,
    "insert_duplicate_seq": ChainFault.INSERTED,
    "edit_chain_hash": ChainFault.BAD_CHAIN_HASH,
    "edit_event_hash": ChainFault.BAD_CHAIN_HASH,
    "edit_prev": ChainFault.BAD_PREV,
    "truncate_hash": ChainFault.MALFORMED,
}


@pytest.mark.parametrize("kind", sorted(EXPECTED_FAULT))
@pytest.mark.parametrize("k", [0, 3, 8])
def test_each_kind_of_tampering_is_reported_at_its_position(kind: str, k: int) -> None:
    links = build(10)
    report = verify_chain(MERCHANT, tampered(kind, links, k))
    assert (report.fault, report.position, report.seq) == (EXPECTED_FAULT[kind], k, k + 1)
    assert report.checked == k
    assert report.head == (links[k - 1].chain_hash if k else genesis_hash(MERCHANT))
    assert report.detail


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 30), st.sampled_from(sorted(EXPECTED_FAULT)), st.data())
def test_random_tampering_anywhere_is_reported_at_the_first_bad_position(
    n: int, kind: str, data: st.DataObject
) -> None:
    # Deleting the last link or inserting after it is not visible in the chain alone (the checkpoint
    # size catches truncation), so those positions are excluded; every other one must be found.
    last = n - 2 if kind in {"delete", "swap"} else n - 1
    k = data.draw(st.integers(0, last))
    report = verify_chain(MERCHANT, tampered(kind, build(n), k))
    assert (report.fault, report.position) == (EXPECTED_FAULT[kind], k)


def test_an_intruder_that_the_next_link_skips_is_blamed_rather_than_the_real_link() -> None:
    links = build(6)
    forged = dataclasses.replace(intruder_at(links, 2), seq=3)  # continues from seq 2, like the real seq 3
    report = verify_chain(MERCHANT, [*links[:3], forged, *links[3:]])
    assert (report.fault, report.position) == (ChainFault.INSERTED, 3)


def test_deleting_the_first_link_is_reported_as_missing_seq_one() -> None:
    report = verify_chain(MERCHANT, build(5)[1:])
    assert (report.fault, report.position, report.seq, report.checked) == (ChainFault.MISSING, 0, 1, 0)
    assert report.first_bad_seq == 1
    assert report.reason == "missing: seq 1 missing"
    assert verify_chain(MERCHANT, build(2)).reason == ""
    assert verify_chain(MERCHANT, [build(5)[0], build(5)[3]]).reason == "missing: seq 2..3 missing"
