"""canary-bubble's answers: ``core.bubble.service.results`` as the tools return them, cleaned by type
(servers/common/sanitise.py): ids pass verbatim, Canary's own text (dimensions, units, revision
details) is ``OurText``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.bubble.service import results as core_results
from servers.common.sanitise import safe_model

__all__ = ["AnomalyPage", "BaselineHistoryPage", "DeviceBaseline", "StorePattern"]

if TYPE_CHECKING:
    from core.bubble.service.results import AnomalyPage, BaselineHistoryPage, DeviceBaseline, StorePattern
else:
    globals().update({name: safe_model(getattr(core_results, name)) for name in __all__})
