"""``python -m servers.chirp [--read-only]``: canary-chirp over stdio for CANARY_MERCHANT_ID."""

from __future__ import annotations

import argparse

from servers.chirp import SPEC
from servers.common import run_stdio


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m servers.chirp",
        description="Serve canary-chirp over stdio for CANARY_MERCHANT_ID (settings: CANARY_* variables).",
    )
    parser.add_argument("--read-only", action="store_true", help="hide and refuse every write tool")
    args = parser.parse_args(argv)
    run_stdio(SPEC, read_only=args.read_only)


if __name__ == "__main__":
    main()
