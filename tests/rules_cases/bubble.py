"""Cases for Bubble's rules (``core/rules/families/bubble.py``): episodes as Bubble's scoring hands
them over (``core/bubble/signal.episode_event``)."""

from __future__ import annotations

from datetime import timedelta

from core.bubble.results import Episode, Evidence
from core.bubble.signal import episode_event
from core.domain.parsing import ParsedEvent
from core.simulate.canonical import MERCHANT, at
from tests.rules_cases import CP, SQ, case

VOIDS = Evidence("void_rate", 0.82, 0.4, 7.0, "voids")
TICKET = Evidence("avg_ticket", 0.1, 4_500.0, 1_230.0, "cents per transaction")
EMPLOYEES = Evidence("distinct_employees", 0.7, 1.2, 4.0, "employees")
REFUNDS = Evidence("refund_rate", 0.9, 2.0, 9.0, "refunds")


def episode(
    scope: str,
    prefix: str,
    *evidence: Evidence,
    peak: float = 2.4,
    hours: int = 3,
    channel: str = "hourly",
) -> list[ParsedEvent]:
    store = f"{prefix}:location:L1"
    device = f"{prefix}:device:REG1" if scope == "device" else None
    start = at(hours=10)
    ident = f"{scope}:{store}:{device or store}:{start:%Y%m%dT%H}"
    found = Episode(
        ident, scope, store, device, start, start + timedelta(hours=hours), hours, peak, channel, evidence
    )
    return [episode_event(MERCHANT, found)]


CASES = {
    "A-BUBBLE-DEVICE": (
        case(
            "a Square register's voids spike for three hours",
            SQ,
            1,
            lambda: episode("device", "sq", VOIDS, TICKET),
        ),
        case(
            "a Square register's only excursion is more employees than usual (context, not accusation)",
            SQ,
            0,
            lambda: episode("device", "sq", EMPLOYEES, VOIDS),
        ),
        case(
            "a Counterpoint station's refunds creep over two weeks",
            CP,
            1,
            lambda: episode("device", "cp", REFUNDS, hours=40, channel="drift", peak=1.3),
        ),
        case(
            "a Counterpoint drift episode when the tenant hears only spikes",
            CP,
            0,
            lambda: episode("device", "cp", REFUNDS, hours=40, channel="drift", peak=1.3),
            include_drift=False,
        ),
        case(
            "a store-wide episode is the store rule's, not the device rule's",
            CP,
            0,
            lambda: episode("store", "cp", REFUNDS),
        ),
    ),
    "A-BUBBLE-STORE": (
        case(
            "a Square store's voids drift together",
            SQ,
            1,
            lambda: episode("store", "sq", VOIDS, channel="drift"),
        ),
        case(
            "a Square store episode under the tenant's raised peak floor",
            SQ,
            0,
            lambda: episode("store", "sq", VOIDS, peak=1.5),
            min_peak_score=2.0,
        ),
        case(
            "a Counterpoint store's refunds run high for a day",
            CP,
            1,
            lambda: episode("store", "cp", REFUNDS, hours=9),
        ),
        case(
            "a one-hour Counterpoint store blip when the tenant wants two hours",
            CP,
            0,
            lambda: episode("store", "cp", REFUNDS, hours=1),
            min_hours=2,
        ),
    ),
}
