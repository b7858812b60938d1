"""``python -m servers.identity [--read-only]``: canary-identity over stdio."""

from __future__ import annotations

from servers.common.cli import main
from servers.identity import SPEC

if __name__ == "__main__":
    main(SPEC)
