"""Square Labor (``labor.timecard.*`` and the deprecated ``labor.shift.*``) → ``Timecard``.

Mapping decisions:
- Shifts and timecards are the same object under two API generations with the same ids, so both map
  to ``sq:timecard:<id>``; the object key is ``timecard`` or ``shift``.
- Kept: status, team member (``team_member_id``, else the deprecated ``employee_id``), location, start
  and end, the location's time zone, the job id, declared cash tips and the number of breaks. The
  wage (hourly rate, title) is payroll data and is not kept.
- ``*.deleted`` carries no object, only ``data.id`` and ``deleted: true``: it becomes a timecard with
  status DELETED, versioned at the deletion event's time. Its other fields are unknown and left empty.
- Scheduled shifts (``labor.scheduled_shift.*``) are plans, not worked time, and are ignored.
"""

from __future__ import annotations

from core.adapters.square.envelope import Inbound
from core.adapters.square.fields import present
from core.adapters.square.keys import SQ, employee_id, location_id, sq_id
from core.domain.labor import Timecard
from core.domain.parsing import Parsed, ParseOutcome
from core.domain.records import version_key


def timecard_event(inbound: Inbound) -> ParseOutcome:
    if inbound.type.endswith(".deleted") or inbound.deleted:
        external = inbound.data.require_text("id")
        record = Timecard(
            id=sq_id("timecard", external),
            source=SQ,
            external_id=external,
            status="DELETED",
            version_key=version_key(inbound.occurred_at),
        )
        return Parsed(records=[record])
    card = inbound.object("timecard" if inbound.type.startswith("labor.timecard.") else "shift")
    external = card.require_text("id")
    wage = card.child("wage")
    breaks = card.data.get("breaks")
    record = Timecard(
        id=sq_id("timecard", external),
        source=SQ,
        external_id=external,
        status=card.text("status") or "OPEN",
        version_key=version_key(card.time("updated_at") or card.time("created_at"), card.integer("version")),
        **present(
            employee_id=employee_id(card.text("team_member_id") or card.text("employee_id")),
            location_id=location_id(card.text("location_id")),
            start_at=card.time("start_at"),
            end_at=card.time("end_at"),
            timezone=card.text("timezone"),
            job_id=wage.text("job_id") if wage else None,
            declared_cash_tip_cents=card.cents("declared_cash_tip_money"),
            break_count=len(card.children("breaks")) if breaks is not None else None,
        ),
    )
    return Parsed(records=[record])
