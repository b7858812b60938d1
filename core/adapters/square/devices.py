"""Square Devices (``device.created``, ``device.code.paired``) → ``DeviceRecord`` (N).

Mapping decisions:
- ``device.created``: the Devices API id (``device:<uuid>``), ``attributes.name`` and ``attributes.type``
  (TERMINAL, …) as name and kind, and its status. The example sends ``status`` as a bare string
  while the spec has ``{category}`` (notes §1.5); both are read. The location is the one the device's
  application session reports (``components[].application_details.session_location``). Network
  details (IPs, SSID) are not kept: no model reads them yet.
- ``device.code.paired``: a Terminal API device was paired at a location. It becomes a device record
  for the paired ``device_id`` with status PAIRED, kind = the code's ``product_type``: a new terminal
  appearing at a store is exactly what the device model and an analyst want to see. A code with no
  device yet is ignored.
- Square spells device ids differently per API (Devices API ``device:<uuid>``, Terminal API serials);
  each is kept as sent, so one physical device may appear under two ids.
- Version: the attributes' (or code's) status time, else the event time.
"""

from __future__ import annotations

from core.adapters.square.envelope import Inbound, dump
from core.adapters.square.fields import Obj, clip, present
from core.adapters.square.keys import SQ, location_id, sq_id
from core.domain.parsing import Ignored, Parsed, ParseOutcome
from core.domain.parties import DeviceRecord
from core.domain.records import version_key


def device_event(inbound: Inbound) -> ParseOutcome:
    device = inbound.object("device")
    external = device.require_text("id")
    attributes = device.child("attributes")
    updated = (attributes.time("updated_at") if attributes else None) or inbound.occurred_at
    record = DeviceRecord(
        id=sq_id("device", external),
        source=SQ,
        external_id=external,
        version_key=version_key(updated),
        **present(
            location_id=location_id(_session_location(device)),
            name=clip(attributes.text("name"), 200) if attributes else None,
            kind=attributes.text("type") if attributes else None,
            status=_status(device),
        ),
    )
    return _outcome(inbound, record)


def device_code_event(inbound: Inbound) -> ParseOutcome:
    code = inbound.object("device_code")
    external = code.text("device_id")
    if external is None:
        return Ignored("device code not yet paired to a device")
    changed = code.time("status_changed_at") or code.time("paired_at") or inbound.occurred_at
    record = DeviceRecord(
        id=sq_id("device", external),
        source=SQ,
        external_id=external,
        version_key=version_key(changed),
        **present(
            location_id=location_id(code.text("location_id") or inbound.location_hint),
            name=clip(code.text("name"), 200),
            kind=code.text("product_type"),
            status=code.text("status"),
        ),
    )
    return _outcome(inbound, record)


def _outcome(inbound: Inbound, record: DeviceRecord) -> Parsed:
    facts = {"device": dump(record)}
    return Parsed(
        records=[record], events=[inbound.parsed_event("device", record.id, inbound.occurred_at, facts)]
    )


def _status(device: Obj) -> str | None:
    if isinstance(device.data.get("status"), dict):
        status = device.child("status")
        return status.text("category") if status else None
    return device.text("status")


def _session_location(device: Obj) -> str | None:
    for component in device.children("components"):
        details = component.child("application_details")
        location = details.text("session_location") if details else None
        if location:
            return location
    return None
