"""canary-chirp's answers: ``core.rules.service.views`` as the tools return them, cleaned by type.

Each name here is ``safe_model`` of the core model of the same name (servers/common/sanitise.py):
same fields, descriptions and JSON schema, with every text field cleaned unless the core model types
it ``Id`` or ``OurText``. Tools annotate their return with these names and return ``safe(result)``;
``tests/unit/servers/test_sanitise.py`` fails if a tool's return type lets text through uncleaned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.rules.service import views as core_results
from servers.common.sanitise import safe_model

__all__ = [
    "AllowListEntryView",
    "AuditPage",
    "CatalogPinResult",
    "DetectionDetail",
    "DetectionPage",
    "DryRunResult",
    "PackApplicationResult",
    "PackPreview",
    "PromotionResult",
    "RuleDetail",
    "RuleList",
    "Scorecard",
    "TuneResult",
]

if TYPE_CHECKING:  # the type checker sees the core models, of which these are subclasses
    from core.rules.service.views import (
        AllowListEntryView,
        AuditPage,
        CatalogPinResult,
        DetectionDetail,
        DetectionPage,
        DryRunResult,
        PackApplicationResult,
        PackPreview,
        PromotionResult,
        RuleDetail,
        RuleList,
        Scorecard,
        TuneResult,
    )
else:
    globals().update({name: safe_model(getattr(core_results, name)) for name in __all__})
