"""The ``python -m servers.<name>`` entry point every server package shares."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from servers.common.server import ServerSpec, run_stdio


def main(spec: ServerSpec, argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog=f"python -m servers.{spec.name.removeprefix('canary-').replace('-', '_')}",
        description=f"Serve {spec.name} over stdio (settings from CANARY_* variables).",
    )
    parser.add_argument(
        "--read-only", action="store_true", help="Hide and refuse every write tool, whatever the caller."
    )
    args = parser.parse_args(argv)
    run_stdio(spec, read_only=args.read_only)
