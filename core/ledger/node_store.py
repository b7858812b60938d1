"""The Merkle log's node store over ``app.merkle_nodes``, inside the caller's tenant transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import tuple_
from sqlmodel import Session, select

from core.db.bulk import insert_rows
from core.db.tables.ledger import MerkleNode
from core.ledger.tree import NodeKey, NodeRow


class DbNodeStore:
    def __init__(self, session: Session, merchant_id: str) -> None:
        self._session = session
        self._merchant_id = merchant_id

    def get_many(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        wanted = list(set(keys))
        if not wanted:
            return {}
        rows = self._session.exec(
            select(MerkleNode.level, MerkleNode.idx, MerkleNode.hash).where(
                MerkleNode.merchant_id == self._merchant_id,
                tuple_(MerkleNode.level, MerkleNode.idx).in_(wanted),
            )
        ).all()
        return {(level, idx): digest for level, idx, digest in rows}

    def put_many(self, rows: Sequence[NodeRow]) -> None:
        if rows:
            insert_rows(  # one statement for the batch (core/db/bulk.py)
                self._session,
                MerkleNode.__table__,  # type: ignore[attr-defined]
                [{"merchant_id": self._merchant_id, "level": lv, "idx": ix, "hash": h} for lv, ix, h in rows],
            )
