"""``python -m servers.chirp [--read-only]``: canary-chirp over stdio for CANARY_MERCHANT_ID."""

from __future__ import annotations

from servers.chirp import SPEC
from servers.common.cli import main

if __name__ == "__main__":
    main(SPEC)
