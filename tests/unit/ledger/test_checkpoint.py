"""Signed checkpoints: C2SP signed-note format, byte-compatible with Go's golang.org/x/mod/sumdb/note."""

from __future__ import annotations

import base64
import hashlib

import pytest

from core.ledger import merkle
from core.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    generate_signing_key,
    key_id,
    load_private_key,
    load_public_key,
    merchant_origin,
    open_checkpoint,
    open_note,
    private_key_bytes,
    public_key_bytes,
    sign_checkpoint,
    sign_note,
)

# The worked example of golang.org/x/mod/sumdb/note (note.go doc comment and note_test.go): signer
# "PRIVATE+KEY+PeterNeumann+c74f20a3+<base64(0x01 || seed)>", verifier "...+<base64(0x01 || pub)>".
GO_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_PUBLIC = base64.b64decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")[1:]
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_SIGNATURE = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
GO_NOTE = f"{GO_TEXT}\n— PeterNeumann {GO_SIGNATURE}\n"

KEY = load_private_key(bytes(range(32)))
NAME = "canary.ledger/v1/m_123"
CHECKPOINT = Checkpoint(
    origin=merchant_origin("m_123"), size=5, root=merkle.root([b"a", b"b", b"c", b"d", b"e"])
)


def test_a_signed_checkpoint_opens_to_the_same_checkpoint() -> None:
    note = sign_checkpoint(CHECKPOINT, KEY, NAME)
    assert open_checkpoint(note, KEY.public_key(), NAME, origin="canary.ledger/v1/m_123") == CHECKPOINT
    assert open_checkpoint(note, public_key_bytes(KEY), NAME) == CHECKPOINT


def test_the_note_has_the_c2sp_layout() -> None:
    lines = sign_checkpoint(CHECKPOINT, KEY, NAME).split("\n")
    assert lines[:4] == ["canary.ledger/v1/m_123", "5", base64.b64encode(CHECKPOINT.root).decode(), ""]
    assert lines[4].startswith("\u2014 canary.ledger/v1/m_123 ")
    assert lines[5:] == [""]
    assert len(base64.b64decode(lines[4].split(" ")[2])) == 4 + 64


def test_the_key_id_is_the_first_four_bytes_of_sha256_of_name_newline_type_and_key() -> None:
    want = hashlib.sha256(NAME.encode() + b"\n\x01" + public_key_bytes(KEY)).digest()[:4]
    assert key_id(NAME, KEY.public_key()) == want
    signature_line = sign_checkpoint(CHECKPOINT, KEY, NAME).split("\n")[4]
    assert base64.b64decode(signature_line.split(" ")[2])[:4] == want
    assert key_id("PeterNeumann", load_public_key(GO_PUBLIC)).hex() == "c74f20a3"


def test_signing_reproduces_the_go_reference_note_byte_for_byte() -> None:
    key = load_private_key(GO_SEED)
    assert public_key_bytes(key) == GO_PUBLIC
    assert sign_note(GO_TEXT, key, "PeterNeumann") == GO_NOTE
    assert open_note(GO_NOTE, GO_PUBLIC, "PeterNeumann") == GO_TEXT
    with pytest.raises(CheckpointError, match="does not verify"):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), GO_PUBLIC, "PeterNeumann")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("\n5\n", "\n6\n"),  # size
        ("canary.ledger/v1/m_123\n", "canary.ledger/v1/m_124\n"),  # origin
        (base64.b64encode(CHECKPOINT.root).decode(), base64.b64encode(merkle.EMPTY_ROOT).decode()),  # root
    ],
    ids=["size", "origin", "root"],
)
def test_an_edited_body_fails_the_signature(old: str, new: str) -> None:
    note = sign_checkpoint(CHECKPOINT, KEY, NAME)
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(note.replace(old, new, 1), KEY.public_key(), NAME)


def test_an_edited_signature_is_rejected() -> None:
    note = sign_checkpoint(CHECKPOINT, KEY, NAME)
    line = note.split("\n")[4]
    blob = bytearray(base64.b64decode(line.split(" ")[2]))
    blob[10] ^= 1
    forged = note.replace(line, f"\u2014 {NAME} {base64.b64encode(bytes(blob)).decode()}")
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(forged, KEY.public_key(), NAME)


def test_a_note_signed_by_another_key_or_name_is_not_accepted() -> None:
    other = generate_signing_key()
    with pytest.raises(CheckpointError, match="not signed by"):
        open_checkpoint(sign_checkpoint(CHECKPOINT, other, NAME), KEY.public_key(), NAME)
    with pytest.raises(CheckpointError, match="not signed by"):
        open_checkpoint(sign_checkpoint(CHECKPOINT, KEY, "someone.else"), KEY.public_key(), NAME)


def test_a_cosignature_by_an_unknown_key_is_ignored_but_never_enough() -> None:
    witness = generate_signing_key()
    cosigned = sign_checkpoint(CHECKPOINT, KEY, NAME)
    witness_line = sign_checkpoint(CHECKPOINT, witness, "witness.example").split("\n")[4]
    cosigned += witness_line + "\n"
    assert open_checkpoint(cosigned, KEY.public_key(), NAME) == CHECKPOINT
    witness_only = CHECKPOINT.text() + "\n" + witness_line + "\n"
    with pytest.raises(CheckpointError, match="not signed by"):
        open_checkpoint(witness_only, KEY.public_key(), NAME)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("canary.ledger/v1/m_123\n05\n{root}\n", "canonical decimal"),
        ("canary.ledger/v1/m_123\n5\n{root}\nextension\n", "expected 3"),
        ("canary.ledger/v1/m_123\n5\n", "expected 3"),
        ("canary.ledger/v1/m_123\n5\nAAAA\n", "32 bytes"),
        ("canary.ledger/v1/m_123\n5\n{root}=\n", "base64"),
    ],
    ids=["leading-zero", "extension-line", "no-root", "short-root", "bad-base64"],
)
def test_a_correctly_signed_but_malformed_body_is_rejected(body: str, message: str) -> None:
    note = sign_note(body.format(root=base64.b64encode(CHECKPOINT.root).decode()), KEY, NAME)
    with pytest.raises(CheckpointError, match=message):
        open_checkpoint(note, KEY.public_key(), NAME)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda n: n.replace("\n\n", "\n"),  # no separator line
        lambda n: n.replace("\u2014 ", "- "),  # not an em dash
        lambda n: n.replace("\n5\n", "\n5\r\n"),  # control character
        lambda n: n[:-1],  # missing final newline
        lambda n: n + "\n",  # trailing blank line
    ],
    ids=["no-blank-line", "hyphen", "carriage-return", "no-final-newline", "trailing-blank"],
)
def test_a_malformed_envelope_is_rejected(mangle: object) -> None:
    note = sign_checkpoint(CHECKPOINT, KEY, NAME)
    with pytest.raises(CheckpointError):
        open_checkpoint(mangle(note), KEY.public_key(), NAME)  # type: ignore[operator]


def test_the_origin_can_be_pinned() -> None:
    note = sign_checkpoint(CHECKPOINT, KEY, NAME)
    with pytest.raises(CheckpointError, match=r"expected 'canary\.ledger/v1/m_999'"):
        open_checkpoint(note, KEY.public_key(), NAME, origin=merchant_origin("m_999"))


def test_keys_round_trip_through_raw_and_base64_forms() -> None:
    seed = private_key_bytes(KEY)
    assert seed == bytes(range(32))
    assert public_key_bytes(load_private_key(base64.b64encode(seed).decode())) == public_key_bytes(KEY)
    assert public_key_bytes(
        load_public_key(base64.b64encode(public_key_bytes(KEY)).decode())
    ) == public_key_bytes(KEY)
    with pytest.raises(ValueError, match="32 raw bytes"):
        load_private_key(b"\x00" * 31)
    with pytest.raises(ValueError, match="base64"):
        load_public_key("not base64!")


def test_invalid_checkpoints_and_key_names_are_refused_when_signing() -> None:
    with pytest.raises(CheckpointError, match="origin"):
        Checkpoint(origin="has space", size=1, root=CHECKPOINT.root)
    with pytest.raises(CheckpointError, match="root"):
        Checkpoint(origin="o", size=1, root=b"short")
    with pytest.raises(CheckpointError, match="negative"):
        Checkpoint(origin="o", size=-1, root=CHECKPOINT.root)
    with pytest.raises(CheckpointError, match="key name"):
        sign_checkpoint(CHECKPOINT, KEY, "name+with+plus")
