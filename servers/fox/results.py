"""canary-fox's answers: ``core.cases.service.views`` as the tools return them, cleaned by type.

Each name here is ``safe_model`` of the core model of the same name (servers/common/sanitise.py):
same fields and JSON schema, every text field cleaned unless the core model types it ``Id`` or
``OurText``. Tools annotate their return with these names and return ``safe(result)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.cases.service import views as core_results
from servers.common.sanitise import safe_model

__all__ = [
    "BundlingPolicyView",
    "CaseDetail",
    "CaseDigestView",
    "CasePage",
    "EvidenceView",
    "NoteView",
    "RuleOutcomeReport",
    "TopCases",
    "TransitionResult",
]

if TYPE_CHECKING:  # the type checker sees the core models, of which these are subclasses
    from core.cases.service.views import (
        BundlingPolicyView,
        CaseDetail,
        CaseDigestView,
        CasePage,
        EvidenceView,
        NoteView,
        RuleOutcomeReport,
        TopCases,
        TransitionResult,
    )
else:
    globals().update({name: safe_model(getattr(core_results, name)) for name in __all__})
