"""Square ``inventory.count.updated`` → ``InventoryCount`` records, one per (location, item variation,
state) in the event's ``inventory_counts`` array.

Mapping decisions: quantity is the decimal string as a float (weights exist); the location becomes
its canonical id; the version is ``calculated_at``, Square's time for the count, so a late-arriving
older count does not overwrite a newer one. No parsed event: the shrink rules read adjustments and
transfers, which Square only serves through its Inventory API, not counts.
"""

from __future__ import annotations

from core.adapters.square.envelope import Inbound
from core.adapters.square.fields import Obj, present
from core.adapters.square.keys import SQ, location_id
from core.domain.inventory import InventoryCount
from core.domain.parsing import Parsed, ParseError, ParseOutcome
from core.domain.records import version_key


def counts_event(inbound: Inbound) -> ParseOutcome:
    return Parsed(records=[_count(row, inbound) for row in inbound.objects("inventory_counts")])


def _count(row: Obj, inbound: Inbound) -> InventoryCount:
    quantity = row.decimal("quantity")
    if quantity is None:
        raise ParseError("missing", field=row.field("quantity"))
    calculated = row.time("calculated_at")
    return InventoryCount(
        location_id=location_id(row.require_text("location_id")) or "",
        catalog_object_id=row.require_text("catalog_object_id"),
        state=row.require_text("state"),
        source=SQ,
        quantity=quantity,
        version_key=version_key(calculated or inbound.occurred_at),
        **present(
            catalog_object_type=row.text("catalog_object_type"),
            is_estimated=row.boolean("is_estimated"),
            calculated_at=calculated,
        ),
    )
