"""Pagination arguments every list tool takes: an opaque cursor and a bounded page size."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_PAGE = 100

Limit = Annotated[
    int,
    Field(
        ge=1, le=MAX_PAGE, description=f"Items per page, 1 to {MAX_PAGE}. Ask for more pages, not more items."
    ),
]
Cursor = Annotated[
    str | None,
    Field(
        default=None,
        max_length=512,
        description="Opaque cursor from a previous answer's next_cursor; omit it for the first page.",
    ),
]
