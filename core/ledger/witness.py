"""Witnessed checkpoints: signed checkpoints copied to storage the database cannot rewrite.

The checkpoints in ``app.checkpoints`` prove the log to anyone who trusts the database; someone who
can rewrite the database can also delete the tail of the log together with its leaves and its last
checkpoints, and what is left verifies. A witness keeps its own copy, outside the database: an
append-only directory (one file per merchant, one JSON line per checkpoint, ``O_APPEND`` and
``fsync``), which the operator puts on separate storage (docs/ledger.md, "Witnessed checkpoints").

Like a transparency-log witness, it adds a checkpoint only after a consistency proof from the last
one it holds (built from the stored Merkle nodes) verifies: it never co-signs a rewritten history.
``canary verify`` then checks the log against the latest witnessed checkpoint (``core/pipeline/
verify.py``), so truncation or a rewrite since is reported with the position where it starts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import col, select

from core.db.tables.ledger import Checkpoint
from core.db.uow import Database
from core.ledger.merkle import verify_consistency
from core.ledger.node_store import DbNodeStore
from core.ledger.tree import MerkleLog, MissingNodeError

log = logging.getLogger(__name__)
TAIL_BYTES = 65_536  # the newest line is in the file's last few hundred bytes
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True)
class WitnessedCheckpoint:
    size: int
    root: bytes
    note: str


class FileWitness:
    """An append-only directory of witnessed checkpoints."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, merchant_id: str) -> Path:
        name = merchant_id if _SAFE_NAME.fullmatch(merchant_id) and merchant_id[0] != "." else None
        return self.directory / f"{name or hashlib.sha256(merchant_id.encode()).hexdigest()}.checkpoints"

    def append(self, merchant_id: str, checkpoint: WitnessedCheckpoint) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"size": checkpoint.size, "root": checkpoint.root.hex(), "note": checkpoint.note},
            separators=(",", ":"),
        )
        fd = os.open(self._path(merchant_id), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)

    def latest(self, merchant_id: str) -> WitnessedCheckpoint | None:
        """The newest well-formed line (a torn last write is skipped), or None."""
        path = self._path(merchant_id)
        if not path.exists():
            return None
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - TAIL_BYTES))
            lines = handle.read().splitlines()
        for line in reversed(lines):
            try:
                entry = json.loads(line)
                return WitnessedCheckpoint(
                    int(entry["size"]), bytes.fromhex(entry["root"]), str(entry["note"])
                )
            except (ValueError, KeyError, TypeError):
                continue
        return None


def consistent(log_: MerkleLog, old: WitnessedCheckpoint, new_size: int, new_root: bytes) -> bool:
    """True when the stored log of ``new_size`` (root ``new_root``) extends ``old``."""
    if old.size > new_size:
        return False
    try:
        proof = log_.consistency_proof(old.size, new_size) if old.size < new_size else []
    except MissingNodeError:
        return False
    return verify_consistency(old.size, new_size, old.root, new_root, proof)


class WitnessService:
    """Copies each merchant's newest checkpoint to the witness (housekeeping runs it)."""

    def __init__(self, db: Database, witness: FileWitness | None) -> None:
        self._db, self.witness = db, witness

    def run(self, merchant_id: str) -> str:
        """``witnessed``, ``current`` (nothing new), ``refused`` (not consistent) or ``off``."""
        if self.witness is None:
            return "off"
        held = self.witness.latest(merchant_id)
        with self._db.tenant(merchant_id) as session:
            newest = session.exec(
                select(Checkpoint)
                .where(Checkpoint.merchant_id == merchant_id)
                .order_by(col(Checkpoint.tree_size).desc())
                .limit(1)
            ).first()
            if newest is None or (held is not None and held.size == newest.tree_size):
                return "current"
            tree = MerkleLog(DbNodeStore(session, merchant_id), newest.tree_size)
            if held is not None and not consistent(tree, held, newest.tree_size, newest.root):
                log.error(
                    "witness refused a checkpoint: not consistent with the one it holds",
                    extra={"merchant_id": merchant_id, "held": held.size, "offered": newest.tree_size},
                )
                return "refused"
            candidate = WitnessedCheckpoint(newest.tree_size, newest.root, newest.note)
        self.witness.append(merchant_id, candidate)
        return "witnessed"
