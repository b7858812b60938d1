"""Make every rule write its detections, the supported way: through ``ChirpService``.

A new tenant starts with every rule in dry-run (``core.rules.engine.TenantConfig.default_mode``,
Q.7.1), which writes nothing. The readiness check refuses a promotion without two weeks of dry-run
evidence, which a freshly onboarded replay cannot have, so the promotion is forced — and, like every
configuration change, recorded in the tenant's audit log with its actor and reason. Observation mode
writes detections without publishing alerts (docs/design.md, rules), which is all scoring needs (the
detection bench); alerting mode also publishes them to ``canary:alerts``, so Fox opens cases (the
demo). Either way the same detections are written, so the scores do not depend on the mode.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.rules.model import Mode, Queue
from core.rules.service import ChirpService

# The simulator's verticals → the vertical pack a merchant of that kind applies (if any).
VERTICAL_PACKS = {"garden": "garden-center"}


@dataclass(frozen=True)
class ModeChange:
    promoted: int
    pack: str | None


def make_rules_write(
    rules: ChirpService,
    merchant_id: str,
    *,
    vertical: str | None,
    actor: str,
    mode: Mode = Mode.OBSERVATION,
) -> ModeChange:
    """Apply the vertical's pack (if there is one), then move every catalog rule to ``mode``. In
    alerting mode a trend rule (the catalog's trend queue: it informs rather than alerts) stays in
    observation, so it writes its detections and opens no case."""
    pack = VERTICAL_PACKS.get(vertical or "")
    if pack is not None:
        rules.apply_vertical_pack(merchant_id, pack, actor=actor, reason=f"{vertical} merchant: {actor}")
    promoted = 0
    for rule in rules.catalog.all():
        target = Mode.OBSERVATION if mode is Mode.ALERTING and rule.queue is Queue.TREND else mode
        result = rules.promote_rule(
            merchant_id,
            rule.id,
            target,
            actor=actor,
            reason=f"{actor}: score every rule against the simulator's labels"
            + (", and open cases from its alerts" if target is Mode.ALERTING else ""),
            force=True,
        )
        promoted += result.applied
    return ModeChange(promoted, pack)
