"""Building the container for a command, from the environment, once."""

from __future__ import annotations

from core.bootstrap import Container, bootstrap
from core.settings import Settings


def load() -> Container:
    return bootstrap(Settings())
