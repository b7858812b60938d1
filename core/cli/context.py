"""Building the container for a command, from the environment, once."""

from __future__ import annotations

from core.bootstrap import Container, bootstrap
from core.cli.errors import UsageError
from core.settings import Settings
from core.tenancy import UnknownMerchantError, require_merchant


def load() -> Container:
    return bootstrap(Settings())


def known_merchant(container: Container, merchant_id: str) -> str:
    """The merchant id, or a usage error (exit 2) that names it when no tenant has it."""
    try:
        require_merchant(container.db, merchant_id)
    except UnknownMerchantError as exc:
        raise UsageError(str(exc)) from None
    return merchant_id
