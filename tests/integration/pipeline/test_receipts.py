"""Evidence receipts (canary-receipt/v1, docs/ledger.md) on both backends: an exported receipt
verifies offline, in Canary's own checker and in an independent verifier that imports nothing of
Canary, and each kind of tampering is rejected by both; two checkpoints and a consistency proof show
the log only grew; `canary proof check` needs no database."""

from __future__ import annotations

import ast
import base64
import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from core.bootstrap import Container
from core.cli.main import app
from core.db.tables.ledger import EvidenceRecord
from core.ledger import receipt as receipts
from core.ledger.checkpoint import generate_signing_key, public_key_bytes
from core.pipeline.workers import drain
from tests.support import independent_verifier
from tests.support.independent_verifier import Rejected, verify_receipt
from tests.support.pipeline import (
    TEST_MASTER_KEY,
    TEST_SIGNING_KEY,
    new_merchant,
    post,
    running_canary,
    settings_for,
    webhook,
)

Canary = tuple[Container, TestClient]
Tamper = Callable[[dict[str, Any], bytearray], None]


def _sealed(canary: Canary, batches: int = 3, per_batch: int = 5) -> tuple[str, dict[int, bytes]]:
    """A merchant with batches × per_batch sealed payments (one checkpoint per batch); the raw body
    of each seq."""
    container, client = canary
    merchant, url = new_merchant(container)
    bodies = []
    for _ in range(batches):
        for _ in range(per_batch):
            bodies.append(webhook("payment.created"))
            post(client, url, bodies[-1])
        drain(container.pipeline)
    with container.db.tenant(merchant) as s:
        seqs = {
            e.event_hash: e.seq
            for e in s.exec(select(EvidenceRecord).where(EvidenceRecord.merchant_id == merchant))
        }
    return merchant, {seqs[hashlib.sha256(b).digest()]: b for b in bodies}


def _key(container: Container) -> bytes:
    return public_key_bytes(container.signer.public_key)


def _flip_hex(value: str) -> str:
    return ("1" if value[0] == "0" else "0") + value[1:]


def _note_root(r: dict[str, Any], _raw: bytearray) -> None:
    """Re-root the note body (the signature then covers different text)."""
    lines = r["checkpoint"]["note"].split("\n")
    lines[2] = base64.b64encode(bytes(32)).decode()
    r["checkpoint"]["note"] = "\n".join(lines)


def _signature(r: dict[str, Any], _raw: bytearray) -> None:
    note = r["checkpoint"]["note"]
    body, sep, line = note.rstrip("\n").rpartition("\n")
    name, encoded = line.rsplit(" ", 1)
    blob = bytearray(base64.b64decode(encoded))
    blob[-1] ^= 1
    r["checkpoint"]["note"] = f"{body}{sep}{name} {base64.b64encode(bytes(blob)).decode()}\n"


TAMPERED: dict[str, Tamper] = {
    "one payload byte": lambda r, raw: raw.__setitem__(10, raw[10] ^ 1),
    "a proof hash": lambda r, raw: r["event"]["inclusion_proof"].__setitem__(
        0, _flip_hex(r["event"]["inclusion_proof"][0])
    ),
    "a shortened proof": lambda r, raw: r["event"]["inclusion_proof"].pop(),
    "the event hash": lambda r, raw: r["event"].__setitem__(
        "event_hash", _flip_hex(r["event"]["event_hash"])
    ),
    "the chain hash": lambda r, raw: r["event"].__setitem__(
        "chain_hash", _flip_hex(r["event"]["chain_hash"])
    ),
    "the checkpoint root": lambda r, raw: r["checkpoint"].__setitem__(
        "root", _flip_hex(r["checkpoint"]["root"])
    ),
    "the checkpoint size": lambda r, raw: r["checkpoint"].__setitem__(
        "tree_size", r["checkpoint"]["tree_size"] + 1
    ),
    "the root inside the signed note": _note_root,
    "the signature": _signature,
    "the leaf index": lambda r, raw: r["event"].__setitem__("leaf_index", r["event"]["leaf_index"] + 1),
}


def test_the_independent_verifier_imports_nothing_of_canary() -> None:
    tree = ast.parse(Path(independent_verifier.__file__).read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"__future__", "base64", "hashlib", "typing", "cryptography"}


def test_an_exported_receipt_verifies_offline_and_every_tampered_variant_is_rejected(canary: Canary) -> None:
    container, _ = canary
    merchant, raw_by_seq = _sealed(canary)
    key = _key(container)
    for seq in (1, 7, 15):
        receipt = json.loads(
            json.dumps(container.proofs.export(merchant, container.signer, seq=seq))
        )  # as written to a file
        raw = raw_by_seq[seq]
        verify_receipt(receipt, key, raw)
        ours = receipts.check(receipt, raw=raw, key=key)
        assert ours.ok, ours.failures
        assert not ours.warnings  # the caller supplied the key
        for name, tamper in TAMPERED.items():
            bad, bad_raw = copy.deepcopy(receipt), bytearray(raw)
            tamper(bad, bad_raw)
            with pytest.raises(Rejected):
                verify_receipt(bad, key, bytes(bad_raw))
            assert not receipts.check(bad, raw=bytes(bad_raw), key=key).ok, name
    # A key that is not the merchant's signing key: the signature cannot verify under it.
    stranger = public_key_bytes(generate_signing_key())
    with pytest.raises(Rejected, match="no signature by the given key"):
        verify_receipt(receipt, stranger)
    assert not receipts.check(receipt, key=stranger).ok
    # A note and key both substituted pass only a check that trusts the receipt's own key: say so.
    assert receipts.check(receipt).warnings


def test_two_checkpoints_and_a_consistency_proof_show_the_log_only_grew(canary: Canary) -> None:
    container, _ = canary
    merchant, _ = _sealed(canary)
    key = _key(container)
    old = container.proofs.export(merchant, container.signer, seq=2, tree_size=5)
    new = container.proofs.export(merchant, container.signer, tree_size=15, consistency_from=5)
    assert receipts.check_consistency(old, new, key=key).ok
    assert receipts.check(new, key=key).ok  # a checkpoint-only receipt checks on its own too
    bad = copy.deepcopy(new)
    bad["consistency"]["proof"][0] = _flip_hex(bad["consistency"]["proof"][0])
    assert not receipts.check_consistency(old, bad, key=key).ok
    without = container.proofs.export(merchant, container.signer, tree_size=15)
    found = receipts.check_consistency(old, without, key=key)
    assert "--consistency-from 5" in " ".join(found.failures)
    assert not receipts.check_consistency(new, old, key=key).ok  # the wrong way round


@pytest.fixture
def exported(tmp_path: Path) -> Iterator[tuple[Path, Path, str]]:
    """old.json (event 2 under checkpoint 3) and new.json (event 5 under checkpoint 6, with a
    consistency proof from 3), written by `canary proof export` on an embedded deployment."""
    database_url = f"sqlite:///{tmp_path / 'canary.db'}"
    with running_canary(settings_for(database_url, tmp_path, redis=False)) as canary:
        container = canary[0]
        merchant, raw_by_seq = _sealed(canary, batches=2, per_batch=3)
        env = {
            "CANARY_DATABASE_URL": database_url,
            "CANARY_VAR_DIR": str(tmp_path),
            "CANARY_MASTER_KEY": TEST_MASTER_KEY,
            "CANARY_LEDGER_SIGNING_KEY": TEST_SIGNING_KEY,
        }
        runner = CliRunner()
        for args in (
            ["--event", "2", "--size", "3", "--out", str(tmp_path / "old.json")],
            ["--event", "5", "--consistency-from", "3", "--out", str(tmp_path / "new.json")],
        ):
            done = runner.invoke(app, ["proof", "export", "--merchant", merchant, *args], env=env)
            assert done.exit_code == 0, done.output
        (tmp_path / "payload.bin").write_bytes(raw_by_seq[5])
        yield tmp_path, tmp_path / "payload.bin", container.signer.public_key_b64()


def test_canary_proof_check_needs_no_database_and_names_what_failed(
    exported: tuple[Path, Path, str], tmp_path: Path
) -> None:
    folder, payload, key = exported
    offline = {"CANARY_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "CANARY_MASTER_KEY": ""}
    runner = CliRunner()

    def check(*args: str) -> Any:
        return runner.invoke(app, ["proof", "check", *args], env=offline)

    good = check(str(folder / "new.json"), "--raw", str(payload), "--key", key)
    assert good.exit_code == 0, good.output
    assert "receipt verified" in good.output
    assert "inclusion: leaf 4 is in the signed tree of size 6" in good.output
    (folder / "key.pub").write_text(key + "\n")
    assert check(str(folder / "new.json"), "--key", str(folder / "key.pub")).exit_code == 0
    grew = check("--consistency", str(folder / "old.json"), str(folder / "new.json"), "--key", key)
    assert grew.exit_code == 0, grew.output
    assert "extends the tree of size 3" in grew.output
    unkeyed = check(str(folder / "new.json"))
    assert unkeyed.exit_code == 0
    assert "pass --key" in unkeyed.output
    wrong_payload = check(str(folder / "new.json"), "--raw", str(folder / "old.json"), "--key", key)
    assert wrong_payload.exit_code == 1
    assert "not the sealed event hash" in wrong_payload.output
    stranger = base64.b64encode(public_key_bytes(generate_signing_key())).decode()
    assert check(str(folder / "new.json"), "--key", stranger).exit_code == 1
    (folder / "broken.json").write_text("{not json")
    broken = check(str(folder / "broken.json"))
    assert (broken.exit_code, "Traceback" in broken.output) == (2, False)
    assert "not a readable JSON receipt" in broken.output
