"""Square Team Members (``team_member.created`` / ``updated``) → ``EmployeeRecord``.

Mapping decisions: rules and tools speak of employee ids, so only the id, status, owner flag and
assigned locations are kept; names, email address and phone number are never read. Assigned
locations are canonical location ids, comma-separated; an assignment of ALL_CURRENT_AND_FUTURE
locations lists none (the payload names none), which reads as "not restricted". Wage settings
(``team_member.wage_setting.updated``) are payroll data and ignored (see parser.py). Version:
``updated_at``.
"""

from __future__ import annotations

from core.adapters.square.envelope import Inbound, dump
from core.adapters.square.fields import present
from core.adapters.square.keys import SQ, location_id, sq_id
from core.domain.parsing import Parsed, ParseOutcome
from core.domain.parties import EmployeeRecord
from core.domain.records import version_key


def team_member_event(inbound: Inbound) -> ParseOutcome:
    member = inbound.object("team_member")
    external = member.require_text("id")
    assigned = member.child("assigned_locations")
    locations = [location_id(ext) or "" for ext in (assigned.strings("location_ids") if assigned else [])]
    updated = member.time("updated_at") or member.time("created_at") or inbound.occurred_at
    record = EmployeeRecord(
        id=sq_id("employee", external),
        source=SQ,
        external_id=external,
        location_ids=",".join(locations)[:2_000],
        version_key=version_key(updated),
        **present(status=member.text("status"), is_owner=member.boolean("is_owner")),
    )
    facts = {"employee": dump(record)}
    return Parsed(records=[record], events=[inbound.parsed_event("employee", record.id, updated, facts)])
