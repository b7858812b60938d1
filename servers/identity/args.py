"""Arguments the identity tools share, typed and described once."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from servers.common.identifiers import AsWritten

CustomerRef = Annotated[
    str,
    AsWritten,
    Field(
        min_length=1,
        max_length=200,
        description="Canary's customer_id (e.g. 'sq:customer:ABC123', from another answer) or the POS's own "
        "customer id (a Counterpoint customer number may be given as a number).",
    ),
]
OptionalCustomerRef = Annotated[
    str | None,
    AsWritten,
    Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Only this customer (customer_id or the POS's id); omit it for all customers.",
    ),
]
