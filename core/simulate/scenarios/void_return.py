"""Void and return (seed Q.2.2): Q-VR-01, Q-VR-02, Q-VR-03 on Counterpoint stores, where a void is a
post-void document marked by an audit row with DOC_TYP 'V' and linked (or not) to its original
through PS_DOC_HDR_ORIG_DOC, and a return starts with a receipt look-up in the audit trail."""

from __future__ import annotations

from datetime import timedelta

from core.simulate.scenarios import kit
from core.simulate.scenarios.base import POSITIVE, Planner
from core.simulate.world import COUNTERPOINT


def void_without_original(planner: Planner) -> None:
    """Q-VR-01: "flag any voided transaction whose Events.original_doc_refs is empty, distinguishing
    'no link present' (suspicious) from 'training-mode transaction'". A cash void that points at no
    original ticket: the original reference array is present and empty."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    day = planner.day(weekday=True)
    shift = planner.shift(store, day)
    at = kit.within(planner, shift)
    phantom = kit.sale(planner, "vr01/phantom", shift, at, kit.plain(planner, 2), method="CASH")
    void = kit.post_void(planner, "vr01", phantom, at + timedelta(minutes=3), link=False)
    planner.inject(store, day, void)  # the phantom sale itself is never rung
    planner.label(
        "Q-VR-01",
        POSITIVE,
        kit.employee(shift.employee),
        void.at,
        void.closed_at,
        store,
        [void],
        note="PS_DOC_HDR_ORIG_DOC is [] on the void document",
    )


def refund_without_lookup(planner: Planner) -> None:
    """Q-VR-02: "flag refund transactions where no receipt-lookup audit-log entry preceded the refund
    — refund without ticket lookup is the high-confidence cash-refund-fraud signal". A cash refund
    at the service desk for goods never sold here: no look-up, no original-document link."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    day = planner.day(weekday=True)
    desk = planner.shift(store, day, kind="service")
    register = planner.shift(store, day)
    fake = kit.sale(
        planner,
        "vr02/never-sold",
        register,
        kit.within(planner, register),
        kit.plain(planner, 2),
        method="CASH",
    )
    refund = kit.returned(planner, "vr02", fake, desk, kit.within(planner, desk), lookup=False, link=False)
    planner.inject(store, day, refund)
    planner.label(
        "Q-VR-02",
        POSITIVE,
        kit.employee(desk.employee),
        refund.at,
        refund.closed_at,
        store,
        [refund],
        note="cash refund with no look-up entry and no original-document link",
    )


def void_cluster(planner: Planner) -> None:
    """Q-VR-03: "same-employee void clusters within a single drawer session bundled into a single
    case". Four post-voids by one cashier within ninety minutes of one drawer session, each linked to
    the sale it voids (so Q-VR-01 stays quiet)."""
    store = planner.store(COUNTERPOINT)
    if store is None:
        return
    day = planner.day(weekday=True)
    shift = planner.shift(store, day)
    start = kit.within(planner, shift, 0.1, 0.4)
    objects: list[object] = []
    voids = []
    for n in range(4):
        at = start + timedelta(minutes=22 * n)
        sale = kit.sale(
            planner,
            f"vr03/sale{n}",
            shift,
            at,
            kit.plain(planner, planner.rng.randint(1, 3)),
            method=planner.rng.choice(("CASH", "CARD")),
        )
        void = kit.post_void(planner, f"vr03/void{n}", sale, sale.closed_at + timedelta(minutes=2))
        objects += [sale, void]
        voids.append(void)
    planner.inject(store, day, *objects)
    planner.label(
        "Q-VR-03",
        POSITIVE,
        kit.employee(shift.employee),
        voids[0].at,
        voids[-1].closed_at,
        store,
        voids,
        note="four voids in one DRW_SESSION_ID",
    )


SCENARIOS = (void_without_original, refund_without_lookup, void_cluster)
