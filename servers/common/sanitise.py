"""Untrusted strings on their way to an LLM: payload text, notes, names, reasons.

Retail data is typed by cashiers and customers, so a refund reason can carry control characters,
terminal escapes, invisible or direction-reversing characters (which make text read differently than
it is), or simply be very long. ``clean`` removes the first three and bounds the length; it does not
try to detect "instructions" in text, which no filter can do reliably: tool descriptions tell the
model that these fields are data.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

MAX_TEXT = 500
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
# Zero-width characters, bidi embeddings/overrides/isolates, the BOM, and interlinear annotations.
_INVISIBLE = dict.fromkeys(
    [*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0xFEFF, *range(0xFFF9, 0xFFFC)]
)


def clean(text: str, max_len: int = MAX_TEXT) -> str:
    text = _ESCAPES.sub("", text).translate(_INVISIBLE)
    text = "".join(
        ch if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs") else " " for ch in text
    )
    text = unicodedata.normalize("NFC", text).strip()
    if len(text) > max_len:
        text = text[: max_len - 1].rstrip() + "…"
    return text


SafeStr = Annotated[str, AfterValidator(clean)]
"""A result field holding untrusted text: cleaned whenever a result model is built."""
