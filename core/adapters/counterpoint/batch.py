"""A batch directory → raw units: ``*.json`` files hold one API response each (e.g. a saved GET
/Document), ``*.jsonl`` files hold export rows, one unit per non-blank line. Files are read in name
order, the directory only (not its subdirectories); other files are not units and are skipped.

Nothing is parsed here beyond what the id needs: a line that is not JSON is still a unit, sealed
with a content hash for an id, and fails at parse where ingestion_log shows it. An id is the record
and its version (``PS_TKT_HIST:<key>@<RS_UTC_DT>``), for people reading the log, then a hash of the
bytes: a byte-identical re-export de-duplicates, and two different payloads never share an id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from core.adapters.counterpoint.units import Unit, unit_id
from core.domain import bounded_json

# The columns that identify a row of each export table (docs/counterpoint.md, "Export rows").
KEY_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "PS_DOC_HDR": ("STR_ID", "DOC_ID"),
    "PS_TKT_HIST": ("STR_ID", "DOC_ID"),
    "IM_XFER_HDR": ("FROM_LOC_ID", "XFER_NO"),
    "IM_XFER_IN_HIST": ("FROM_LOC_ID", "XFER_NO"),
    "PO_RECVR_HIST": ("RECVR_LOC_ID", "RECVR_NO"),
    "PO_RTV_HIST": ("RTV_LOC_ID", "RTV_NO"),
    "IM_ADJ_HIST": ("LOC_ID", "BAT_ID", "ITEM_NO", "SEQ_NO"),
    "IM_ADJ_TRX": ("LOC_ID", "BAT_ID", "ITEM_NO", "SEQ_NO"),
}


def iter_batch(directory: Path) -> Iterator[Unit]:
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.suffix == ".json":
            raw = path.read_bytes()
            yield Unit(unit_id(label(raw), raw), raw)
        elif path.suffix == ".jsonl":
            for line in path.read_bytes().splitlines():
                line = line.strip()
                if line:
                    yield Unit(unit_id(label(line), line), line)


def label(raw: bytes) -> str:
    """What the unit is, for humans reading ingestion_log: never parsed again, never trusted."""
    try:
        body = bounded_json.loads(raw.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        return "unreadable"
    if not isinstance(body, dict):
        return "unreadable"
    if isinstance(body.get("table"), str):
        table = body["table"].upper()
        row = body["row"] if isinstance(body.get("row"), dict) else {}
        return f"{table}:{_key(table, row)}@{_scalar(row.get('RS_UTC_DT'))}"
    header = body.get("PS_DOC_HDR")
    if isinstance(header, dict):
        return f"PS_DOC_HDR:{_key('PS_DOC_HDR', header)}@{_scalar(header.get('RS_UTC_DT'))}"
    return next((key for key in body if key not in ("ErrorCode", "Message")), "response")


def _key(table: str, row: Mapping[str, Any]) -> str:
    guid = row.get("DOC_GUID")
    if isinstance(guid, str) and guid:
        return guid
    return "/".join(_scalar(row.get(column)) for column in KEY_COLUMNS.get(table, ()))


def _scalar(value: Any) -> str:
    return str(value) if isinstance(value, str | int | float) and not isinstance(value, bool) else ""
