"""``python -m servers.tsp_ops [--read-only]``: canary-tsp-ops over stdio."""

from __future__ import annotations

from servers.common.cli import main
from servers.tsp_ops import SPEC

if __name__ == "__main__":
    main(SPEC)
