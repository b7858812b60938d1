"""canary-identity's answers: ``core.customers.results`` as the tools return them, cleaned by type.

Each name here is ``safe_model`` of R's model of the same name (servers/common/sanitise.py): the
schema the model sees is R's own, and every text field (reasons, item descriptions, tiers, card
brands, …) is cleaned unless R types it ``Id`` (passed back to the tools verbatim) or ``OurText``.
``tests/unit/servers/test_sanitise.py`` fails if a tool's return type lets text through uncleaned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.customers import results as core_results
from servers.common.sanitise import safe_model

__all__ = [
    "CardLookup",
    "ComplaintsReport",
    "CustomerHistory",
    "CustomerLookup",
    "CustomerMetrics",
    "SegmentReport",
]

if TYPE_CHECKING:  # the type checker sees R's models, of which these are subclasses
    from core.customers.results import (
        CardLookup,
        ComplaintsReport,
        CustomerHistory,
        CustomerLookup,
        CustomerMetrics,
        SegmentReport,
    )
else:
    globals().update({name: safe_model(getattr(core_results, name)) for name in __all__})
