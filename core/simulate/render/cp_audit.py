"""A Counterpoint document's audit trail (PS_DOC_AUDIT_LOG): the routine rows every ticket has, in
the simulator's vocabulary (``vocab.py``), around the rows a scenario added, each at the station
and by the user that did it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.simulate.clock import cp_local
from core.simulate.model import Audit, Ticket
from core.simulate.vocab import COMMIT, LOOKUP, NEW, OVERRIDE, PAYMENT, VOID, pay_code, text
from core.simulate.world import World

Json = dict[str, Any]


def routine(ticket: Ticket) -> list[Audit]:
    """The rows any ticket's audit log has, around the scenario's extra rows."""
    base = ticket.revision_of or ticket
    if not base.routine_audit:
        return list(base.audit)
    who, where = base.employee, base.station
    rows = [Audit(base.at, *text(NEW), who, where)]
    if base.refund and base.lookup:
        number = base.original.number if base.original else ""
        rows.append(
            Audit(base.at + timedelta(seconds=15), *text(LOOKUP, ticket=number or "unknown"), who, where)
        )
    explicit = any(a.activ == OVERRIDE[0] for a in base.audit)
    for n, line in enumerate(base.lines):
        if line.override and not explicit:
            rows.append(
                Audit(
                    base.at + timedelta(seconds=20 + n),
                    *text(
                        OVERRIDE,
                        line=n + 1,
                        item=line.item.sku,
                        regular=f"{line.reg_price / 100:.2f}",
                        price=f"{line.price / 100:.2f}",
                        reason=line.reason or "",
                    ),
                    who,
                    where,
                )
            )
    end = base.closed_at
    if base.kind == "VOID":
        number = base.original.number if base.original and base.link_original else ""
        rows.append(
            Audit(end - timedelta(seconds=12), *text(VOID, ticket=number or "(none)"), who, where, "V")
        )
    paid = end
    for payment in base.payments:
        code = pay_code(payment.method, payment.card.brand if payment.card else None)[0]
        sign = -1 if base.refund else 1
        at = end - timedelta(seconds=10) + timedelta(seconds=payment.delay)
        paid = max(paid, at)
        rows.append(
            Audit(at, *text(PAYMENT, code=code, amount=f"{sign * payment.amount / 100:.2f}"), who, where)
        )
    # The commit is the ticket's last routine entry: a payment taken slowly (a split across cards)
    # delays it, as Counterpoint commits a ticket only once it is paid.
    committed = paid + timedelta(seconds=5) if paid > end else end
    rows.append(Audit(committed, *text(COMMIT), who, where))
    return rows + list(base.audit)


def audit_rows(world: World, ticket: Ticket, doc_id: int, guid: str) -> list[Json]:
    rows = sorted(routine(ticket), key=lambda a: a.at)
    store = ticket.store
    return [
        {
            "DOC_ID": doc_id,
            "LOG_SEQ_NO": n + 1,
            "DOC_TYP": a.doc_type,
            "DOC_GUID": guid,
            "CURR_DT": cp_local(a.at, store.timezone),
            "CURR_STR_ID": store.external_id,
            "CURR_STA_ID": a.station.external_id,
            "CURR_DRW_ID": a.station.drawer_id,
            "CURR_USR_ID": a.user.external_id,
            "CURR_WKSTN_NAM": f"POS-{a.station.external_id}",
            "CURR_SERV_NAM": "CPSQL01",
            "CURR_DB_NAM": world.merchant.cp_company,
            "ACTIV": a.activ,
            "LOG_ENTRY": a.text,
            "PS_DOC_AUDIT_LOG_TOT": [],
        }
        for n, a in enumerate(rows)
    ]
