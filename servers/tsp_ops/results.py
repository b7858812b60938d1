"""canary-tsp-ops's answers: ``core.pipeline.ops_results`` as the tools return them, cleaned by type
(servers/common/sanitise.py): parser errors and vendor event types are cleaned, ids and hashes pass."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.pipeline import ops_results as core_results
from servers.common.sanitise import safe_model

__all__ = [
    "AnchorStatus",
    "ChainVerification",
    "ConsistencyProof",
    "InclusionProof",
    "IngestionStatus",
    "ParseFailurePage",
    "PipelineHealthView",
    "ReplayOutcome",
]

if TYPE_CHECKING:
    from core.pipeline.ops_results import (
        AnchorStatus,
        ChainVerification,
        ConsistencyProof,
        InclusionProof,
        IngestionStatus,
        ParseFailurePage,
        PipelineHealthView,
        ReplayOutcome,
    )
else:
    globals().update({name: safe_model(getattr(core_results, name)) for name in __all__})
