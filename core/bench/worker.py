"""One pipeline stage as the benchmark runs it (``python -m core.bench.worker seal|parse --consumer C``).

The same runner as ``canary worker <stage>`` (``core.pipeline.workers.runner`` over the settings from
``CANARY_*``, stopped by SIGTERM after the batch in hand), without loading the whole CLI, so the
benchmark measures the stage and not whichever command modules happen to import.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from core.bootstrap import bootstrap
from core.pipeline.workers import STAGE_NAMES, runner
from core.settings import Settings


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m core.bench.worker")
    parser.add_argument("stage", choices=STAGE_NAMES)
    parser.add_argument("--consumer", required=True)
    args = parser.parse_args(argv)
    container = bootstrap(Settings())
    try:
        runner(container.pipeline, args.stage, consumer=args.consumer).run_forever(install_signals=True)
    finally:
        container.close()


if __name__ == "__main__":
    main()
