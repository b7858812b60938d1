"""Routes a sealed event to its vendor adapter. Adding a vendor is one line here."""

from __future__ import annotations

from collections.abc import Callable

from core.domain.parsing import ParseContext, ParseOutcome, RawEvent

Parser = Callable[[RawEvent, ParseContext], ParseOutcome]
PARSER_VERSION = "2026.11.1"  # bump when a parser change should be visible in ingestion_log


def parser_for(source: str) -> Parser:
    if source == "SQUARE":
        from core.adapters.square.parser import parse as parse_square

        return parse_square
    if source == "CANARY":
        from core.adapters.internal import parse as parse_internal

        return parse_internal
    if source == "COUNTERPOINT":
        from core.adapters.counterpoint.parser import parse as parse_counterpoint

        return parse_counterpoint
    raise LookupError(f"no adapter for source {source!r}")


def parse(event: RawEvent, ctx: ParseContext) -> ParseOutcome:
    return parser_for(event.source)(event, ctx)
