"""Building the container for a command, from the environment, once."""

from __future__ import annotations

from core.bootstrap import Container, bootstrap
from core.cli.errors import UsageError
from core.db.engine import make_engine
from core.db.migrate import create_sqlite_schema
from core.db.uow import Database
from core.settings import Settings
from core.tenancy import UnknownMerchantError, require_merchant


def load(*, ingress: bool = False) -> Container:
    return bootstrap(Settings(), ingress=ingress)


def known_merchant(container: Container, merchant_id: str) -> str:
    """The merchant id, or a usage error (exit 2) that names it when no tenant has it."""
    try:
        require_merchant(container.db, merchant_id)
    except UnknownMerchantError as exc:
        raise UsageError(str(exc)) from None
    return merchant_id


def known_merchant_in_database(merchant_id: str) -> str:
    """``known_merchant`` for a command that needs only the database (``canary owl`` and ``canary fox``
    hand the rest of the settings to the servers they start, which treat empty ones as unset)."""
    engine = make_engine(Settings().database_url.get_secret_value())
    try:
        if engine.dialect.name == "sqlite":
            create_sqlite_schema(engine)  # as bootstrap does: embedded mode sets itself up
        require_merchant(Database(engine), merchant_id)
    except UnknownMerchantError as exc:
        raise UsageError(str(exc)) from None
    finally:
        engine.dispose()
    return merchant_id
