"""Writing a simulated world to a directory, byte for byte the same for the same world.

Layout (docs/simulator.md):

    manifest.json  world.json  labels.jsonl
    square/config.json  square/webhooks.jsonl  square/polled/cash_drawer_shifts.jsonl
    square/api/{orders,payments,refunds,cash_drawer_shifts}/<location>/<date>.json
    square/api/cash_drawer_shift_events/<shift id>.json
    counterpoint/config.json  counterpoint/batch/*.json|*.jsonl  (a Counterpoint batch directory)

JSON is compact, UTF-8, in the key order the objects were built in; JSON Lines end every line with
``\\n``. Configs, the manifest and world.json are indented for people.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.simulate.output import Chunk, Output

READABLE = ("manifest.json", "world.json", "square/config.json", "counterpoint/config.json")


class OutputDirectoryError(Exception):
    pass


def dumps(value: Any, path: str) -> str:
    if path in READABLE:
        return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def prepare(directory: Path, *, overwrite: bool = False) -> None:
    """An empty directory to write into. With ``overwrite`` a previous simulator output (recognised
    by its manifest) is removed first; anything else is refused rather than deleted."""
    if directory.exists() and any(directory.iterdir()):
        if not overwrite:
            raise OutputDirectoryError(f"{directory} is not empty (use --force to replace a previous run)")
        manifest = directory / "manifest.json"
        if not manifest.is_file() or json.loads(manifest.read_text()).get("generator") != "canary.simulate":
            raise OutputDirectoryError(f"{directory} does not hold a previous simulator run; not deleting it")
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    # Marks the directory as ours from the start, so an interrupted run can be replaced with --force;
    # the last chunk overwrites it with the real manifest.
    (directory / "manifest.json").write_text(
        dumps({"generator": "canary.simulate", "complete": False}, "manifest.json"), encoding="utf-8"
    )


def write(source: Output | Iterable[Chunk], directory: Path, *, overwrite: bool = False) -> Path:
    """Write every chunk (an ``Output``'s, or a ``stream``'s as it is generated) under ``directory``."""
    prepare(directory, overwrite=overwrite)
    chunks = source.chunks if isinstance(source, Output) else source
    for chunk in chunks:
        for path, value in chunk.files.items():
            target = directory / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(dumps(value, path), encoding="utf-8")
        appends = dict(chunk.lines)
        if chunk.webhooks:
            appends["square/webhooks.jsonl"] = [d.line() for d in chunk.webhooks]
        for path, values in appends.items():
            target = directory / path
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("a", encoding="utf-8", newline="\n") as handle:
                handle.writelines(dumps(value, path) + "\n" for value in values)
    return directory
