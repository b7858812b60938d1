"""Where an alert goes: a fraud case, a review case, or no case at all.

Chirp stamps each alert with its rule's queue. Fox also knows, by rule id, the rules whose findings
are never fraud, so a mislabelled alert still cannot open a fraud case: Q-IS-02 (cash-paid
receivers, normal for growers) goes to the review queue, and the trend rules Q-IS-04 (dead-count
write-offs against the seasonal baseline) and Q-AT-03 (manager-override frequency) inform and open
no case.
"""

from __future__ import annotations

from core.cases.domain.model import Alert, CaseQueue

REVIEW_RULES = frozenset({"Q-IS-02"})
INFORMATIONAL_RULES = frozenset({"Q-IS-04", "Q-AT-03"})


def route(alert: Alert) -> CaseQueue | None:
    """The queue of the case this alert belongs in, or None for an informational alert."""
    if alert.rule_id in INFORMATIONAL_RULES or alert.queue == "trend":
        return None
    if alert.rule_id in REVIEW_RULES or alert.queue == "review":
        return CaseQueue.REVIEW
    return CaseQueue.FRAUD
