"""``python -m servers.fox [--read-only]``: canary-fox over stdio for CANARY_MERCHANT_ID."""

from __future__ import annotations

from servers.common.cli import main
from servers.fox import SPEC

if __name__ == "__main__":
    main(SPEC)
