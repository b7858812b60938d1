"""``python -m servers.bubble``: canary-bubble over stdio (read-only: it has no write tools)."""

from __future__ import annotations

from servers.bubble import SPEC
from servers.common.cli import main

if __name__ == "__main__":
    main(SPEC)
