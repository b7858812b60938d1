"""The vocabulary of Chirp: a rule, its parameters and examples, and what it finds.

A rule is a small pure unit (docs/design.md, rules): given one event's canonical facts, its
parameter values, the history windows in ``RuleState`` and the tenant's reference data, it returns
``Finding`` values. It never writes, publishes or reads a database; the engine decides what
becomes a detection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from core.domain.records import Vendor
from core.rules.errors import ChirpError
from core.rules.state import Window

if TYPE_CHECKING:
    from core.domain.parsing import ParsedEvent
    from core.rules.context import RuleContext

ParamValue = int | float | bool | str | tuple[str, ...]


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)


_SEVERITY_ORDER = list(Severity)


class Mode(StrEnum):
    """Per rule per tenant. Dry-run writes nothing; observation writes detections but never
    publishes to ``alerts``; alerting does both (docs/design.md, rules)."""

    DRY_RUN = "dry_run"
    OBSERVATION = "observation"
    ALERTING = "alerting"

    @property
    def rank(self) -> int:
        return list(Mode).index(self)


class Family(StrEnum):
    DISCOUNT = "discount_markdown"
    VOID_RETURN = "void_return"
    TENDER = "tender_mix"
    DRAWER = "drawer_session"
    AUDIT_TRAIL = "audit_trail"
    MARGIN = "margin_erosion"
    INVENTORY = "inventory_shrink"
    TAX = "tax_compliance"
    CUSTOMER_TIER = "customer_tier"
    MIX_MATCH = "mix_match"
    CARD_VELOCITY = "card_velocity"
    ANOMALY = "anomaly"  # Bubble's device episodes (A-BUBBLE-DEVICE)
    STORE_ANOMALY = "store_anomaly"  # Bubble's store episodes (A-BUBBLE-STORE)


class Queue(StrEnum):
    """Where a detection is routed: suspected fraud, a review queue (Q-IS-02 cash receivers are
    normal for growers), or a trend that informs rather than alerts (Q-AT-03, Q-IS-04)."""

    FRAUD = "fraud"
    REVIEW = "review"
    TREND = "trend"


class Scope(StrEnum):
    """What an allow-list entry can name. An entry holds one or more of these; all must match."""

    EMPLOYEE = "employee"
    CUSTOMER = "customer"
    CUSTOMER_TIER = "customer_tier"
    STATION = "station"
    ITEM = "item"
    CATEGORY = "category"
    LOCATION = "location"
    VENDOR = "vendor"
    TIME_WINDOW = "time_window"


# The vendors a rule can read, in the catalog's word for them (written as ``slug``: square,
# counterpoint). It is the one vendor enum, ``core.domain.records.Vendor``, not a second one.
Substrate = Vendor


class ParameterError(ChirpError, ValueError):
    """A parameter value of the wrong type or outside its bounds; the message says which."""


@dataclass(frozen=True)
class Parameter:
    """A tunable threshold. Numbers carry inclusive bounds; text carries its allowed choices; lists
    are tuples of strings (tiers, reason codes, patterns)."""

    name: str
    default: ParamValue
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""

    @property
    def kind(self) -> str:
        value = self.default
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, int):
            return "int"
        if isinstance(value, float):
            return "float"
        if isinstance(value, tuple):
            return "list"
        return "str"

    def coerce(self, value: object) -> ParamValue:
        """The value in this parameter's type, or ``ParameterError`` naming the bound it breaks."""
        kind = self.kind
        if kind == "bool":
            if not isinstance(value, bool):
                raise ParameterError(f"{self.name} takes true or false, not {value!r}")
            return value
        if kind == "list":
            if isinstance(value, str) or not isinstance(value, list | tuple):
                raise ParameterError(f"{self.name} takes a list of strings, not {value!r}")
            if not all(isinstance(v, str) for v in value):
                raise ParameterError(f"{self.name} takes a list of strings")
            return tuple(value)
        if kind == "str":
            if not isinstance(value, str):
                raise ParameterError(f"{self.name} takes text, not {value!r}")
            if self.choices and value not in self.choices:
                raise ParameterError(f"{self.name} must be one of {', '.join(self.choices)}; got {value!r}")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(f"{self.name} takes a number, not {value!r}")
        number: int | float = value
        if kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ParameterError(f"{self.name} takes a whole number, not {value!r}")
            number = int(value)
        else:
            number = float(value)
        if self.minimum is not None and number < self.minimum:
            raise ParameterError(f"{self.name} must be at least {_num(self.minimum)}; got {_num(number)}")
        if self.maximum is not None and number > self.maximum:
            raise ParameterError(f"{self.name} must be at most {_num(self.maximum)}; got {_num(number)}")
        return number


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True, slots=True)
class Subject:
    """Who and what a finding is about: the attributes allow-list entries are matched against."""

    employee_id: str | None = None
    customer_id: str | None = None
    customer_tier: str | None = None
    station_id: str | None = None
    location_id: str | None = None
    vendor_id: str | None = None
    drawer_session_id: str | None = None
    items: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    local_time: str | None = None  # the store's wall clock, ISO, for time-window entries


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a rule saw. ``evidence`` holds the substrate rows it read (canonical records or
    the window entries from state), so a detection stands on its own after the substrate moves on.
    ``dedupe_key`` makes a trend fire once per key (one employee-week, one route crossing).
    ``episode`` names one episode (one employee's voids in one drawer session): the detection id is
    derived from it alone, so whichever event completes the pattern the detection is the same one,
    and a finding whose ``extent`` (how many members it covers) is larger than the last one's
    updates that detection instead of adding another (docs/rules.md, "Arrival order").
    ``withdrawn`` (a reason; ``Finding.withdrawal`` builds one) says the episode no longer holds on
    the facts now known (a later-arriving, earlier-timed event changed its baseline or its members):
    the engine withdraws the episode's detection if it has one (a new revision, superseded), and a
    later finding for the episode revives it whatever its extent."""

    summary: str
    subject: Subject
    occurred_at: datetime
    measurements: Mapping[str, Any] = field(default_factory=dict)
    evidence: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity | None = None
    dedupe_key: str | None = None
    bundle_key: str | None = None
    entity_id: str | None = None
    episode: str | None = None
    extent: int = 0
    withdrawn: str = ""

    @classmethod
    def withdrawal(cls, episode: str, reason: str, occurred_at: datetime) -> Finding:
        """That ``episode`` no longer holds, and why (a no-op for an episode never detected)."""
        return cls(
            summary=f"withdrawn: {reason}",
            subject=Subject(),
            occurred_at=occurred_at,
            episode=episode,
            withdrawn=reason,
        )


EventsFactory = Callable[[], "list[ParsedEvent]"]


@dataclass(frozen=True)
class Case:
    """A table-driven example: the events (built as an adapter would) and how many findings the rule
    must produce over them. ``expect > 0`` is a positive case, ``0`` a negative one."""

    name: str
    source: Substrate
    events: EventsFactory
    expect: int
    params: Mapping[str, ParamValue] = field(default_factory=dict)

    @property
    def positive(self) -> bool:
        return self.expect > 0


Evaluate = Callable[["RuleContext"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A catalog entry. ``requires`` lists the canonical fields the rule reads as ``entity.field``;
    ``a|b`` means either will do. ``triggers`` are the facts keys whose presence makes the rule look
    at an event at all. ``history`` names the windows (``core/rules/state.py``'s ``Window``) it reads
    across events, each declared next to the rule that needs it or, when several rules share it, in
    ``core/rules/windows.py``; a rule's own accumulators are its memory. The business definition is
    the evaluate function's docstring."""

    id: str
    family: Family
    title: str
    evaluate: Evaluate
    requires: tuple[str, ...]
    triggers: frozenset[str]
    parameters: tuple[Parameter, ...] = ()
    allow_scopes: tuple[Scope, ...] = ()
    severity: Severity = Severity.MEDIUM
    queue: Queue = Queue.FRAUD
    version: int = 1
    substrates: tuple[Substrate, ...] = (Substrate.SQUARE, Substrate.COUNTERPOINT)
    optional: tuple[str, ...] = ()
    vertical_note: str = ""
    cases: tuple[Case, ...] = ()
    history: tuple[Window[Any], ...] = ()  # the windows it reads besides reference data

    @property
    def definition(self) -> str:
        doc = self.evaluate.__doc__ or ""
        return " ".join(doc.split())

    def parameter(self, name: str) -> Parameter:
        for param in self.parameters:
            if param.name == name:
                return param
        known = ", ".join(p.name for p in self.parameters) or "none"
        raise ParameterError(f"{self.id} has no parameter {name!r} (parameters: {known})")

    def defaults(self) -> dict[str, ParamValue]:
        return {p.name: p.default for p in self.parameters}

    def resolve(self, overrides: Mapping[str, object]) -> dict[str, ParamValue]:
        """Defaults with the tenant's overrides applied, each checked against its bounds."""
        values = self.defaults()
        for name, value in overrides.items():
            values[name] = self.parameter(name).coerce(value)
        return values


def rule(
    *,
    id: str,
    family: Family,
    title: str,
    requires: tuple[str, ...],
    triggers: tuple[str, ...],
    parameters: tuple[Parameter, ...] = (),
    allow_scopes: tuple[Scope, ...] = (),
    severity: Severity = Severity.MEDIUM,
    queue: Queue = Queue.FRAUD,
    version: int = 1,
    substrates: tuple[Substrate, ...] = (Substrate.SQUARE, Substrate.COUNTERPOINT),
    optional: tuple[str, ...] = (),
    vertical_note: str = "",
    history: tuple[Window[Any], ...] = (),
) -> Callable[[Evaluate], Rule]:
    """Decorator: the function is the rule's logic and its docstring the business definition."""

    def wrap(evaluate: Evaluate) -> Rule:
        return Rule(
            id=id,
            family=family,
            title=title,
            evaluate=evaluate,
            requires=requires,
            triggers=frozenset(triggers),
            parameters=parameters,
            allow_scopes=allow_scopes,
            severity=severity,
            queue=queue,
            version=version,
            substrates=substrates,
            optional=optional,
            vertical_note=vertical_note,
            history=history,
        )

    return wrap
