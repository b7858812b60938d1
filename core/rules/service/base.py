"""What every Chirp use case shares: the database, the clock, the catalog and an engine over it."""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import Clock
from core.db.uow import Database
from core.rules.catalog import Catalog
from core.rules.engine import Engine


@dataclass(frozen=True)
class Chirp:
    db: Database
    clock: Clock
    catalog: Catalog
    engine: Engine

    @classmethod
    def of(cls, db: Database, clock: Clock, catalog: Catalog) -> Chirp:
        return cls(db, clock, catalog, Engine(catalog))
