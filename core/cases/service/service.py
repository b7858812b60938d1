"""``FoxService``: the case operations behind canary-fox (and the CLI).

Reads page with the one cursor codec (core/paging.py). Every write runs under ``FOX_LOCK`` (the
lock the ``fox`` consumer holds while bundling), so a transition and a joining alert never race.
State changes go through the domain's state machine (core/cases/domain/lifecycle.py) and are
audited in ``app.fox_transitions`` with the caller as actor. Closing a case records its outcome on
each of its detections (``app.detections.outcome``), which is what Chirp's promotion readiness and
dry runs read as the rule's false-positive history; reopening clears it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, and_, case, func, or_, select, union_all
from sqlmodel import Session

from core.auth.principal import store_filter
from core.cases.domain import digest as digest_domain
from core.cases.domain.bundling import DEFAULT_POLICIES, BundleBy, BundlingPolicy
from core.cases.domain.escalation import DEFAULT_RULES, EscalationRule, rule_config, rules_from_config
from core.cases.domain.lifecycle import Action, transition
from core.cases.domain.model import CaseState, FoxError, Outcome, Severity
from core.cases.domain.stats import RuleStats
from core.cases.service.consumer import (
    ALERT_T,
    CASE_T,
    ESCALATION_T,
    FOX_LOCK,
    OPEN_STATES,
    POLICY_T,
    RULE_DAY_T,
)
from core.cases.service.views import (
    BundlingPolicyView,
    CaseDetail,
    CaseDetection,
    CaseDigestView,
    CasePage,
    CaseSummary,
    CaseTotals,
    EscalationView,
    EvidenceView,
    LedgerReceipt,
    NoteView,
    PatternCount,
    RuleOutcomeReport,
    RuleOutcomeStats,
    StoreOpenCases,
    TopCases,
    TransitionResult,
    TransitionView,
)
from core.clock import Clock
from core.db.dialect import insert_for
from core.db.tables.cases import FoxEvidence, FoxNote, FoxTransition
from core.db.tables.documents import DocumentRow
from core.db.tables.rules import DetectionRow
from core.db.tables.sales import TransactionRow
from core.db.uow import Database
from core.ledger.proofs import ProofError, ProofService
from core.paging import as_datetime, check_limit, decode_cursor, encode_cursor

TRANSITION_T: Table = FoxTransition.__table__  # type: ignore[attr-defined]
NOTE_T: Table = FoxNote.__table__  # type: ignore[attr-defined]
EVIDENCE_T: Table = FoxEvidence.__table__  # type: ignore[attr-defined]
DETECTION_T: Table = DetectionRow.__table__  # type: ignore[attr-defined]
TXN_T: Table = TransactionRow.__table__  # type: ignore[attr-defined]
DOC_T: Table = DocumentRow.__table__  # type: ignore[attr-defined]
CASE_DETECTIONS_SHOWN = 100
MAX_NOTE = 4_000
MAX_EVIDENCE = 200
EVIDENCE_KINDS = {"detection": DETECTION_T, "transaction": TXN_T, "document": DOC_T}
MAX_STATS_DAYS = 366


class CaseNotFoundError(FoxError, LookupError):
    pass


class InvalidCaseRequestError(FoxError, ValueError):
    pass


class FoxService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db, self._clock = db, clock
        self._proofs = ProofService(db)

    # Reads ------------------------------------------------------------------------------------------

    def list_cases(
        self,
        merchant_id: str,
        *,
        state: str | None = None,
        queue: str | None = None,
        min_severity: str | None = None,
        location_id: str | None = None,
        employee_id: str | None = None,
        cursor: str | None = None,
        limit: int = 20,
        stores: frozenset[str] | None = None,
    ) -> CasePage:
        """Cases newest first (by when they opened), filtered; ``stores``: the caller's token's
        stores (core/auth/principal.py), None for every store."""
        limit = check_limit(limit)
        locations = store_filter(stores, location_id or None)
        if locations is not None and not locations:
            return CasePage(items=[], next_cursor=None)  # a store this token does not see
        where = [CASE_T.c.merchant_id == merchant_id]
        if state is not None:
            where.append(CASE_T.c.state == _state(state).value)
        if queue is not None:
            if queue not in ("fraud", "review"):
                raise InvalidCaseRequestError(f"queue must be fraud or review, got {queue!r}")
            where.append(CASE_T.c.queue == queue)
        if min_severity is not None:
            where.append(CASE_T.c.severity_rank >= _severity(min_severity).rank)
        where += _of_stores(locations)
        if employee_id:
            where.append(CASE_T.c.employee_id == employee_id)
        position = decode_cursor("cases", cursor, 2)
        if position is not None:
            at = as_datetime(position[0])
            where.append(
                or_(CASE_T.c.opened_at < at, and_(CASE_T.c.opened_at == at, CASE_T.c.id < str(position[1])))
            )
        with self._db.tenant(merchant_id) as s:
            rows = s.execute(
                select(CASE_T)
                .where(*where)
                .order_by(CASE_T.c.opened_at.desc(), CASE_T.c.id.desc())
                .limit(limit + 1)
            ).all()
        items = [_summary(r) for r in rows[:limit]]
        more = len(rows) > limit
        return CasePage(
            items=items,
            next_cursor=encode_cursor("cases", [items[-1].opened_at, items[-1].case_id]) if more else None,
        )

    def get_case(self, merchant_id: str, case_id: str, *, stores: frozenset[str] | None = None) -> CaseDetail:
        """One case in full: its detections, escalations, transitions, notes and evidence, each piece
        of evidence with a fresh ledger inclusion receipt. A case of a store outside ``stores`` is
        not found, like another merchant's."""
        with self._db.tenant(merchant_id) as s:
            row = _case(s, merchant_id, case_id, stores)
            members = s.execute(
                select(ALERT_T)
                .where(ALERT_T.c.merchant_id == merchant_id, ALERT_T.c.case_id == case_id)
                .order_by(ALERT_T.c.occurred_at, ALERT_T.c.detection_id)
                .limit(CASE_DETECTIONS_SHOWN)
            ).all()
            transitions = s.execute(
                select(TRANSITION_T)
                .where(TRANSITION_T.c.merchant_id == merchant_id, TRANSITION_T.c.case_id == case_id)
                .order_by(TRANSITION_T.c.at, TRANSITION_T.c.id)
            ).all()
            notes = s.execute(
                select(NOTE_T)
                .where(NOTE_T.c.merchant_id == merchant_id, NOTE_T.c.case_id == case_id)
                .order_by(NOTE_T.c.at, NOTE_T.c.id)
            ).all()
            evidence = s.execute(
                select(EVIDENCE_T)
                .where(EVIDENCE_T.c.merchant_id == merchant_id, EVIDENCE_T.c.case_id == case_id)
                .order_by(EVIDENCE_T.c.at, EVIDENCE_T.c.kind, EVIDENCE_T.c.ref)
            ).all()
        return CaseDetail(
            case=_summary(row),
            bundle_key=row.bundle_key,
            basis=row.basis,
            window_hours=row.window_hours,
            base_severity=row.base_severity,
            escalations=[
                EscalationView(
                    rule=b["rule"], from_severity=b["from"], to_severity=b["to"], reason=b["reason"]
                )
                for b in row.escalations or []
            ],
            detections=[
                CaseDetection(
                    detection_id=m.detection_id,
                    rule_id=m.rule_id,
                    severity=m.severity,
                    occurred_at=m.occurred_at,
                    summary=m.summary,
                    employee_id=m.employee_id,
                    drawer_session_id=m.drawer_session_id,
                    withdrawn=m.withdrawn,
                )
                for m in members
            ],
            transitions=[_transition_view(t) for t in transitions],
            notes=[NoteView(note_id=n.id, author=n.author, body=n.body, at=n.at) for n in notes],
            evidence=[self._evidence_view(merchant_id, e) for e in evidence],
        )

    def check_visible(self, merchant_id: str, case_id: str, stores: frozenset[str] | None) -> None:
        """Raise "not found" for a case the caller may not see (another store's, for a token limited
        to stores), before a write touches it."""
        if stores is not None:
            with self._db.tenant(merchant_id) as s:
                _case(s, merchant_id, case_id, stores)

    def top_cases(
        self,
        merchant_id: str,
        *,
        queue: str | None = "fraud",
        limit: int = 10,
        stores: frozenset[str] | None = None,
    ) -> TopCases:
        """The open cases that most need attention: highest severity, then most detections, then the
        most recent activity; only of ``stores`` when the caller's token is limited to some."""
        limit = check_limit(limit)
        if stores is not None and not stores:
            return TopCases(items=[])
        only = _of_stores(stores)
        order = (
            CASE_T.c.severity_rank.desc(),
            CASE_T.c.detections.desc(),
            CASE_T.c.last_at.desc(),
            CASE_T.c.id,
        )
        rows: list[Any] = []
        with self._db.tenant(merchant_id) as s:
            # One ordered, limited read per (queue, state): each walks ix_fox_cases_top backwards, so the
            # cost does not grow with the number of open cases; the few rows are then merged here.
            for queue_value in [queue] if queue is not None else ["fraud", "review"]:
                for state in ("open", "in_progress"):
                    rows += s.execute(
                        select(CASE_T)
                        .where(
                            CASE_T.c.merchant_id == merchant_id,
                            CASE_T.c.queue == queue_value,
                            CASE_T.c.state == state,
                            *only,
                        )
                        .order_by(*order)
                        .limit(limit)
                    ).all()
        rows.sort(key=lambda r: (-r.severity_rank, -r.detections, -r.last_at.timestamp(), r.id))
        rows = rows[:limit]
        return TopCases(items=[_summary(r) for r in rows])

    def rule_outcome_stats(
        self,
        merchant_id: str,
        start: datetime,
        end: datetime,
        rule_id: str | None = None,
        *,
        stores: frozenset[str] | None = None,
    ) -> RuleOutcomeReport:
        """Per rule over [start, end) (by when the detection happened): hits, cases, outcomes,
        false-positive rate and precision (core/cases/domain/stats.py). ``stores``: a store-limited
        token's; only the alerts of detections at those stores count."""
        if end <= start:
            raise InvalidCaseRequestError("end must be after start")
        if end - start > timedelta(days=MAX_STATS_DAYS):
            raise InvalidCaseRequestError(f"the window is at most {MAX_STATS_DAYS} days")
        stats = self._rule_stats(merchant_id, start, end, rule_id, stores)
        return RuleOutcomeReport(
            start=start,
            end=end,
            rules=[
                RuleOutcomeStats(
                    rule_id=st.rule_id,
                    hits=st.hits,
                    cases=st.cases,
                    outcomes=st.outcomes,
                    false_positive_rate=st.false_positive_rate,
                    precision=st.precision,
                )
                for st in stats
            ],
        )

    def _rule_stats(
        self,
        merchant_id: str,
        start: datetime,
        end: datetime,
        rule_id: str | None,
        stores: frozenset[str] | None = None,
    ) -> list[RuleStats]:
        """``stats.rule_stats`` of the alerts in [start, end), counted by the database: whole UTC days
        from ``fox_rule_days`` (one row per rule, case and day), the partial days at the window's two
        ends from ``fox_alerts`` itself, so the figures are exactly the alerts'. One grouped query:
        only a row per rule comes back. For ``stores`` (the day rows do not know the store) the whole
        window is read from ``fox_alerts``, by the alert's store."""
        first = datetime.combine(start.astimezone(UTC).date(), time(), UTC)
        if first < start:
            first += timedelta(days=1)
        last = datetime.combine(end.astimezone(UTC).date(), time(), UTC)
        if stores is not None:
            first = last = start
        d, a, c = RULE_DAY_T.c, ALERT_T.c, CASE_T.c
        closed = c.state.in_(("resolved", "dismissed"))
        parts: list[Any] = []
        for lo, hi in [(start, end)] if last <= first else [(start, first), (last, end)]:
            if lo < hi:
                where = [
                    a.merchant_id == merchant_id,
                    a.occurred_at >= lo,
                    a.occurred_at < hi,
                    a.withdrawn == "",
                    *([] if stores is None else [a.location_id.in_(sorted(stores))]),
                ]
                grouped = (
                    select(a.rule_id, func.coalesce(a.case_id, "").label("case_id"), func.count().label("n"))
                    .where(*where, *([a.rule_id == rule_id] if rule_id else []))
                    .group_by(a.rule_id, a.case_id)
                    .subquery()
                )
                # Each (rule, case) pair's case outcome while it is closed, as fox_rule_days keeps
                # it: one primary-key look-up a pair.
                outcome = (
                    select(case((closed, c.outcome)))
                    .where(c.merchant_id == merchant_id, c.id == grouped.c.case_id)
                    .scalar_subquery()
                )
                parts.append(
                    select(
                        grouped.c.rule_id,
                        grouped.c.case_id,
                        grouped.c.n,
                        func.coalesce(outcome, "").label("outcome"),
                    )
                )
        if first < last:
            where = [d.merchant_id == merchant_id, d.day >= first.date(), d.day < last.date(), d.alerts > 0]
            parts.append(
                select(d.rule_id, d.case_id, d.alerts.label("n"), d.outcome).where(
                    *where, *([d.rule_id == rule_id] if rule_id else [])
                )
            )
        counted = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
        query = select(  # no join: the outcome is on the rows
            counted.c.rule_id,
            func.sum(counted.c.n).label("hits"),
            func.count(func.distinct(func.nullif(counted.c.case_id, ""))).label("cases"),
            *[
                func.sum(case((counted.c.outcome == o.value, counted.c.n), else_=0)).label(o.value)
                for o in Outcome
            ],
        ).group_by(counted.c.rule_id)
        with self._db.tenant(merchant_id) as s:
            rows = s.execute(query).all()
        return [
            RuleStats(
                r.rule_id,
                int(r.hits),
                int(r.cases),
                {o.value: int(getattr(r, o.value) or 0) for o in Outcome},
            )
            for r in sorted(rows, key=lambda r: r.rule_id)  # as stats.rule_stats: by rule id, not collation
        ]

    def case_digest(
        self,
        merchant_id: str,
        period: str,
        end: datetime | None = None,
        *,
        stores: frozenset[str] | None = None,
    ) -> CaseDigestView:
        """The daily or weekly digest ending at ``end`` (default now) (core/cases/domain/digest.py),
        of ``stores`` only when the caller's token is limited to some."""
        made = self.digest(merchant_id, _period(period), end or self._clock.now(), stores=stores)
        return CaseDigestView(
            period=made.period.value,
            start=made.start,
            end=made.end,
            opened=made.opened,
            closed=made.closed,
            confirmed_fraud_rate=made.confirmed_fraud_rate,
            top_patterns=[PatternCount(rule_id=r, detections=n) for r, n in made.top_patterns],
            open_by_store=[
                StoreOpenCases(
                    location_id=line.store,
                    open_cases=line.open_cases,
                    highest=line.highest.value,
                    top_case_ids=list(line.top_case_ids),
                )
                for line in made.open_by_store
            ],
        )

    def digest_totals(
        self,
        merchant_id: str,
        period: str,
        end: datetime | None = None,
        *,
        stores: frozenset[str] | None = None,
    ) -> CaseTotals:
        """The digest's opened, closed and confirmed-fraud figures alone (the console's column for
        the period before), without its patterns and open cases per store."""
        end = end or self._clock.now()
        start = end - _period(period).length
        with self._db.tenant(merchant_id) as s:
            opened, closed, fraud = _digest_counts(s, merchant_id, start, end, _of_stores(stores))
        return CaseTotals(
            start=start,
            end=end,
            opened=opened,
            closed=closed,
            confirmed_fraud=fraud,
            confirmed_fraud_rate=fraud / closed if closed else None,
        )

    def case_totals(
        self, merchant_id: str, start: datetime, end: datetime, *, stores: frozenset[str] | None = None
    ) -> CaseTotals:
        """Counts for [start, end): cases opened, cases closed, and how many closed as confirmed fraud
        (of ``stores`` only, when given)."""
        if end <= start:
            raise InvalidCaseRequestError("end must be after start")
        only = _of_stores(stores)
        with self._db.tenant(merchant_id) as s:
            opened = s.execute(
                select(func.count()).where(
                    CASE_T.c.merchant_id == merchant_id,
                    *only,
                    CASE_T.c.opened_at >= start,
                    CASE_T.c.opened_at < end,
                )
            ).scalar_one()
            closed_rows = s.execute(
                select(CASE_T.c.outcome, func.count())
                .where(
                    CASE_T.c.merchant_id == merchant_id,
                    *only,
                    CASE_T.c.closed_at >= start,
                    CASE_T.c.closed_at < end,
                )
                .group_by(CASE_T.c.outcome)
            ).all()
        closed = sum(int(n) for _o, n in closed_rows)
        fraud = sum(int(n) for o, n in closed_rows if o == Outcome.CONFIRMED_FRAUD.value)
        return CaseTotals(
            start=start,
            end=end,
            opened=int(opened),
            closed=closed,
            confirmed_fraud=fraud,
            confirmed_fraud_rate=fraud / closed if closed else None,
        )

    def digest(
        self,
        merchant_id: str,
        period: digest_domain.Period,
        end: datetime,
        *,
        stores: frozenset[str] | None = None,
    ) -> digest_domain.Digest:
        """What ``digest_domain.build`` makes of ``case_facts``, counted by the database: a few
        grouped, indexed queries instead of loading every open case and its detections (the
        digest of a merchant with 50,000 open cases took seconds). Same figures, same order; of
        ``stores`` only, when given."""
        start = end - period.length
        c, a = CASE_T.c, ALERT_T.c
        only = _of_stores(stores)
        with self._db.tenant(merchant_id) as s:
            opened, closed, fraud = _digest_counts(s, merchant_id, start, end, only)
            patterns = s.execute(
                select(a.rule_id, func.count())
                .select_from(ALERT_T.join(CASE_T, and_(c.merchant_id == a.merchant_id, c.id == a.case_id)))
                .where(
                    c.merchant_id == merchant_id,
                    *only,
                    c.opened_at >= start,
                    c.opened_at < end,
                    a.withdrawn == "",
                )
                .group_by(a.rule_id)
            ).all()
            stores: dict[str, list[int]] = {}  # store → [open cases, highest rank]
            for location, n, rank in s.execute(
                select(c.location_id, func.count(), func.max(c.severity_rank))
                .where(c.merchant_id == merchant_id, *only, c.state.in_(OPEN_STATES), c.opened_at < end)
                .group_by(c.location_id)
            ):
                line = stores.setdefault(location or digest_domain.NO_STORE, [0, 0])
                line[0], line[1] = line[0] + int(n), max(line[1], int(rank))
            lines = [
                digest_domain.StoreLine(store, n, *self._store_top(s, merchant_id, store, rank, end))
                for store, (n, rank) in stores.items()
            ]
        lines.sort(key=lambda line: (-line.highest.rank, -line.open_cases, line.store))
        ranked = sorted(((str(r), int(n)) for r, n in patterns), key=lambda kv: (-kv[1], kv[0]))
        return digest_domain.Digest(
            period=period,
            start=start,
            end=end,
            opened=opened,
            closed=closed,
            confirmed_fraud_rate=fraud / closed if closed else None,
            top_patterns=tuple(ranked[: digest_domain.TOP_PATTERNS]),
            open_by_store=tuple(lines),
        )

    @staticmethod
    def _store_top(
        s: Session, merchant_id: str, store: str, highest: int, end: datetime
    ) -> tuple[Severity, tuple[str, ...]]:
        """The store's highest severity and its first open cases by (severity, opened, id): one read
        per (state, severity) down from the highest, each in ``ix_fox_cases_store`` order."""
        c = CASE_T.c
        where = [c.merchant_id == merchant_id, c.opened_at < end]
        where.append(
            or_(c.location_id.is_(None), c.location_id == "")
            if store == digest_domain.NO_STORE
            else c.location_id == store
        )
        want = digest_domain.TOP_CASES_PER_STORE
        found: list[Any] = []
        for rank in range(highest, -1, -1):
            rows: list[Any] = []
            for state in OPEN_STATES:
                rows += s.execute(
                    select(c.id, c.severity, c.opened_at)
                    .where(*where, c.state == state, c.severity_rank == rank)
                    .order_by(c.opened_at, c.id)
                    .limit(want)
                ).all()
            found += sorted(rows, key=lambda r: (r.opened_at, r.id))
            if len(found) >= want:
                break
        return Severity(found[0].severity), tuple(r.id for r in found[:want])

    def case_facts(
        self, merchant_id: str, start: datetime, end: datetime, *, stores: frozenset[str] | None = None
    ) -> list[digest_domain.CaseFact]:
        """Every case the digest of [start, end) can mention: opened before the end and still open, or
        opened or closed inside the period (of ``stores`` only, when given)."""
        only = _of_stores(stores)
        with self._db.tenant(merchant_id) as s:
            rows = s.execute(
                select(CASE_T).where(
                    CASE_T.c.merchant_id == merchant_id,
                    *only,
                    CASE_T.c.opened_at < end,
                    or_(
                        CASE_T.c.state.in_(("open", "in_progress")),
                        CASE_T.c.opened_at >= start,
                        CASE_T.c.closed_at >= start,
                    ),
                )
            ).all()
            counts: dict[str, dict[str, int]] = defaultdict(dict)
            ids = [r.id for r in rows]
            for part in range(0, len(ids), 500):
                for c in s.execute(
                    select(ALERT_T.c.case_id, ALERT_T.c.rule_id, func.count())
                    .where(
                        ALERT_T.c.merchant_id == merchant_id,
                        ALERT_T.c.case_id.in_(ids[part : part + 500]),
                        ALERT_T.c.withdrawn == "",
                    )
                    .group_by(ALERT_T.c.case_id, ALERT_T.c.rule_id)
                ):
                    counts[c[0]][c[1]] = c[2]
        return [
            digest_domain.CaseFact(
                case_id=r.id,
                title=r.title,
                store=r.location_id,
                state=CaseState(r.state),
                severity=Severity(r.severity),
                opened_at=r.opened_at,
                closed_at=r.closed_at,
                outcome=Outcome(r.outcome) if r.outcome else None,
                rule_counts=counts.get(r.id, {}),
            )
            for r in rows
        ]

    def bundling_policies(self, merchant_id: str) -> list[BundlingPolicyView]:
        """Every family's policy in force: the tenant's where set, else the default."""
        with self._db.tenant(merchant_id) as s:
            rows = {
                r.family: r for r in s.execute(select(POLICY_T).where(POLICY_T.c.merchant_id == merchant_id))
            }
        views = []
        for family in sorted(DEFAULT_POLICIES.keys() | rows.keys()):
            if family in rows:
                r = rows[family]
                views.append(
                    BundlingPolicyView(
                        family=family,
                        by=r.by,
                        window_hours=r.window_hours,
                        source="tenant",
                        updated_by=r.updated_by,
                        updated_at=r.updated_at,
                    )
                )
            else:
                d = DEFAULT_POLICIES[family]
                views.append(
                    BundlingPolicyView(
                        family=family, by=d.by.value, window_hours=d.window_hours, source="default"
                    )
                )
        return views

    # Writes ------------------------------------------------------------------------------------------

    def start_investigation(
        self, merchant_id: str, case_id: str, *, actor: str, assignee: str | None = None, reason: str = ""
    ) -> TransitionResult:
        return self._transition(
            merchant_id, case_id, Action.START, actor=actor, reason=reason, assignee=assignee
        )

    def resolve(
        self, merchant_id: str, case_id: str, *, outcome: str, reason: str, actor: str
    ) -> TransitionResult:
        return self._transition(
            merchant_id, case_id, Action.RESOLVE, actor=actor, reason=reason, outcome=_outcome(outcome)
        )

    def dismiss(
        self, merchant_id: str, case_id: str, *, outcome: str, reason: str, actor: str
    ) -> TransitionResult:
        return self._transition(
            merchant_id, case_id, Action.DISMISS, actor=actor, reason=reason, outcome=_outcome(outcome)
        )

    def reopen(self, merchant_id: str, case_id: str, *, reason: str, actor: str) -> TransitionResult:
        return self._transition(merchant_id, case_id, Action.REOPEN, actor=actor, reason=reason)

    def add_note(self, merchant_id: str, case_id: str, body: str, *, actor: str) -> NoteView:
        body = body.strip()
        if not body:
            raise InvalidCaseRequestError("a note needs some text")
        if len(body) > MAX_NOTE:
            raise InvalidCaseRequestError(f"a note is at most {MAX_NOTE} characters")
        now = self._clock.now()
        with FOX_LOCK.tenant(self._db, merchant_id) as s:
            _case(s, merchant_id, case_id)
            note_id = _next_id(s, NOTE_T, merchant_id, case_id, "note")
            s.execute(
                NOTE_T.insert().values(
                    merchant_id=merchant_id,
                    id=note_id,
                    case_id=case_id,
                    author=actor[:120],
                    body=body,
                    at=now,
                )
            )
        return NoteView(note_id=note_id, author=actor, body=body, at=now)

    def attach_evidence(
        self, merchant_id: str, case_id: str, kind: str, ref: str, *, actor: str, note: str = ""
    ) -> EvidenceView:
        """Attach a detection, transaction or document to a case, with the evidence record (ledger
        position) it came from; attaching the same thing twice keeps the first attachment."""
        table = EVIDENCE_KINDS.get(kind)
        if table is None:
            raise InvalidCaseRequestError(f"kind must be one of {', '.join(EVIDENCE_KINDS)}, got {kind!r}")
        now = self._clock.now()
        with FOX_LOCK.tenant(self._db, merchant_id) as s:
            _case(s, merchant_id, case_id)
            found = s.execute(
                select(table.c.evidence_seq).where(table.c.merchant_id == merchant_id, table.c.id == ref)
            ).first()
            if found is None:
                raise CaseNotFoundError(f"no {kind} {ref!r} for this merchant")
            attached = s.execute(
                select(func.count()).where(
                    EVIDENCE_T.c.merchant_id == merchant_id, EVIDENCE_T.c.case_id == case_id
                )
            ).scalar_one()
            if attached >= MAX_EVIDENCE:
                raise InvalidCaseRequestError(f"a case holds at most {MAX_EVIDENCE} pieces of evidence")
            insert = insert_for(s)(EVIDENCE_T)
            s.execute(
                insert.on_conflict_do_nothing(index_elements=["merchant_id", "case_id", "kind", "ref"]),
                [
                    {
                        "merchant_id": merchant_id,
                        "case_id": case_id,
                        "kind": kind,
                        "ref": ref,
                        "evidence_seq": found[0],
                        "receipt": {},
                        "attached_by": actor[:120],
                        "note": note.strip()[:1_000],
                        "at": now,
                    }
                ],
            )
            row = s.execute(
                select(EVIDENCE_T).where(
                    EVIDENCE_T.c.merchant_id == merchant_id,
                    EVIDENCE_T.c.case_id == case_id,
                    EVIDENCE_T.c.kind == kind,
                    EVIDENCE_T.c.ref == ref,
                )
            ).one()
        return self._evidence_view(merchant_id, row)

    def set_bundling_policy(
        self, merchant_id: str, family: str, by: str, window_hours: int, *, actor: str
    ) -> BundlingPolicyView:
        """Set how one rule family's alerts are bundled for this tenant (``*``: every family without
        its own policy). Applies to alerts received from now on; existing cases keep their members."""
        if family not in DEFAULT_POLICIES:
            raise InvalidCaseRequestError(
                f"unknown rule family {family!r}: choose from {', '.join(sorted(DEFAULT_POLICIES))}"
            )
        try:
            policy = BundlingPolicy(BundleBy(by), window_hours)
        except ValueError as exc:
            if isinstance(exc, FoxError):
                raise
            raise InvalidCaseRequestError(
                f"by must be one of {', '.join(b.value for b in BundleBy)}, got {by!r}"
            ) from None
        now = self._clock.now()
        with FOX_LOCK.tenant(self._db, merchant_id) as s:
            insert = insert_for(s)(POLICY_T)
            s.execute(
                insert.on_conflict_do_update(
                    index_elements=["merchant_id", "family"],
                    set_={c: insert.excluded[c] for c in ("by", "window_hours", "updated_by", "updated_at")},
                ),
                [
                    {
                        "merchant_id": merchant_id,
                        "family": family,
                        "by": policy.by.value,
                        "window_hours": policy.window_hours,
                        "updated_by": actor[:120],
                        "updated_at": now,
                    }
                ],
            )
        return BundlingPolicyView(
            family=family,
            by=policy.by.value,
            window_hours=policy.window_hours,
            source="tenant",
            updated_by=actor,
            updated_at=now,
        )

    def escalation_rules(self, merchant_id: str) -> tuple[str, list[EscalationRule]]:
        """("tenant" | "default", the rules in force)."""
        with self._db.tenant(merchant_id) as s:
            rows = s.execute(
                select(ESCALATION_T.c.config).where(ESCALATION_T.c.merchant_id == merchant_id)
            ).all()
        if not rows:
            return "default", list(DEFAULT_RULES)
        return "tenant", list(rules_from_config([r.config for r in rows]))

    def set_escalation_rule(self, merchant_id: str, rule: EscalationRule, *, actor: str) -> None:
        """Add or replace one of the tenant's escalation rules. The first one a tenant sets replaces
        the defaults (they are copied in first, so nothing changes silently); cases are re-escalated
        the next time an alert joins them."""
        now = self._clock.now()
        with FOX_LOCK.tenant(self._db, merchant_id) as s:
            present = s.execute(
                select(ESCALATION_T.c.name).where(ESCALATION_T.c.merchant_id == merchant_id)
            ).all()
            rules = {r.name: r for r in ([] if present else DEFAULT_RULES)} | {rule.name: rule}
            insert = insert_for(s)(ESCALATION_T)
            s.execute(
                insert.on_conflict_do_update(
                    index_elements=["merchant_id", "name"],
                    set_={c: insert.excluded[c] for c in ("config", "updated_by", "updated_at")},
                ),
                [
                    {
                        "merchant_id": merchant_id,
                        "name": r.name[:64],
                        "config": rule_config(r),
                        "updated_by": actor[:120],
                        "updated_at": now,
                    }
                    for r in rules.values()
                ],
            )

    def remove_escalation_rule(self, merchant_id: str, name: str) -> None:
        with FOX_LOCK.tenant(self._db, merchant_id) as s:
            gone = s.execute(
                ESCALATION_T.delete().where(
                    ESCALATION_T.c.merchant_id == merchant_id, ESCALATION_T.c.name == name
                )
            )
            if not gone.rowcount:
                raise CaseNotFoundError(f"this tenant has no escalation rule {name!r} of its own")

    # Internals ----------------------------------------------------------------------------------------

    def _transition(
        self,
        merchant_id: str,
        case_id: str,
        action: Action,
        *,
        actor: str,
        reason: str,
        outcome: Outcome | None = None,
        assignee: str | None = None,
    ) -> TransitionResult:
        now = self._clock.now()
        with FOX_LOCK.tenant(self._db, merchant_id) as s:
            row = _case(s, merchant_id, case_id)
            made = transition(
                case_id,
                CaseState(row.state),
                action,
                actor=actor,
                at=now,
                reason=reason,
                outcome=outcome,
                assignee=assignee,
            )
            values: dict[str, Any] = {"state": made.to_state.value}
            if action is Action.START:
                values["assignee"] = (made.assignee or actor)[:120]
            if made.to_state.closed:
                values |= {"outcome": made.outcome.value if made.outcome else None, "closed_at": now}
            if action is Action.REOPEN:
                values |= {"outcome": None, "closed_at": None}
            s.execute(
                CASE_T.update()
                .where(CASE_T.c.merchant_id == merchant_id, CASE_T.c.id == case_id)
                .values(values)
            )
            _record_outcome(s, merchant_id, case_id, values.get("outcome"), now, action)
            transition_id = _next_id(s, TRANSITION_T, merchant_id, case_id, "tr")
            s.execute(
                TRANSITION_T.insert().values(
                    merchant_id=merchant_id,
                    id=transition_id,
                    case_id=case_id,
                    action=action.value,
                    from_state=made.from_state.value,
                    to_state=made.to_state.value,
                    actor=actor[:120],
                    reason=made.reason[:1_000],
                    outcome=made.outcome.value if made.outcome else None,
                    assignee=values.get("assignee"),
                    at=now,
                )
            )
            updated = _case(s, merchant_id, case_id)
            audit = s.execute(
                select(TRANSITION_T).where(
                    TRANSITION_T.c.merchant_id == merchant_id, TRANSITION_T.c.id == transition_id
                )
            ).one()
        return TransitionResult(case=_summary(updated), transition=_transition_view(audit))

    def _evidence_view(self, merchant_id: str, row: Any) -> EvidenceView:
        receipt, status = None, "no evidence record: this row was not written from a sealed event"
        if row.evidence_seq is not None:
            try:
                r = self._proofs.inclusion(merchant_id, row.evidence_seq)
            except ProofError as exc:
                status = f"no receipt yet: {exc}"
            else:
                receipt = LedgerReceipt(
                    seq=r.seq,
                    leaf_index=r.leaf_index,
                    tree_size=r.tree_size,
                    event_hash=r.event_hash,
                    chain_hash=r.chain_hash,
                    proof=r.proof,
                    root=r.root,
                    checkpoint_note=r.checkpoint_note,
                )
                status = "verified by inclusion proof"
        return EvidenceView(
            kind=row.kind,
            ref=row.ref,
            attached_by=row.attached_by,
            note=row.note,
            at=row.at,
            evidence_seq=row.evidence_seq,
            receipt=receipt,
            receipt_status=status,
        )


def _record_outcome(
    s: Session, merchant_id: str, case_id: str, outcome: str | None, now: datetime, action: Action
) -> None:
    """The case's outcome on each of its detections (Chirp's readiness reads it) and on its
    ``fox_rule_days`` rows (the per-rule statistics read it there); cleared on reopen."""
    if action not in (Action.RESOLVE, Action.DISMISS, Action.REOPEN):
        return
    s.execute(
        RULE_DAY_T.update()
        .where(RULE_DAY_T.c.merchant_id == merchant_id, RULE_DAY_T.c.case_id == case_id)
        .values(outcome=outcome or "")
    )
    members = select(ALERT_T.c.detection_id).where(
        ALERT_T.c.merchant_id == merchant_id,
        ALERT_T.c.case_id == case_id,
        *([ALERT_T.c.withdrawn == ""] if outcome else []),  # a withdrawn detection is not judged
    )
    s.execute(
        DETECTION_T.update()
        .where(DETECTION_T.c.merchant_id == merchant_id, DETECTION_T.c.id.in_(members.scalar_subquery()))
        .values(outcome=outcome, outcome_at=now if outcome else None)
    )


def _next_id(s: Session, table: Table, merchant_id: str, case_id: str, prefix: str) -> str:
    """An id that sorts in the order the case's rows were written (under ``FOX_LOCK``), even when
    several share a timestamp."""
    n = s.execute(
        select(func.count()).where(table.c.merchant_id == merchant_id, table.c.case_id == case_id)
    ).scalar_one()
    return f"{prefix}_{n + 1:06d}_{uuid.uuid4().hex[:12]}"


def _period(period: str) -> digest_domain.Period:
    try:
        return digest_domain.Period(period)
    except ValueError:
        raise InvalidCaseRequestError(f"period must be daily or weekly, got {period!r}") from None


def _digest_counts(
    s: Session, merchant_id: str, start: datetime, end: datetime, only: list[Any]
) -> tuple[int, int, int]:
    """A digest period's cases opened, closed, and closed as confirmed fraud (index-only reads of
    ``ix_fox_cases_opened`` and ``ix_fox_cases_closed``)."""
    c = CASE_T.c
    opened = s.execute(
        select(func.count()).where(
            c.merchant_id == merchant_id, *only, c.opened_at >= start, c.opened_at < end
        )
    ).scalar_one()
    closed_rows = s.execute(
        select(c.outcome, func.count())
        .where(
            c.merchant_id == merchant_id, *only, c.closed_at >= start, c.closed_at < end, c.opened_at < end
        )
        .group_by(c.outcome)
    ).all()
    closed = sum(int(n) for _o, n in closed_rows)
    fraud = sum(int(n) for o, n in closed_rows if o == Outcome.CONFIRMED_FRAUD.value)
    return int(opened), closed, fraud


def _of_stores(stores: frozenset[str] | None) -> list[Any]:
    """The WHERE clause that keeps cases to ``stores`` (a store-limited token's), none for every store."""
    return [] if stores is None else [CASE_T.c.location_id.in_(sorted(stores))]


def _case(s: Session, merchant_id: str, case_id: str, stores: frozenset[str] | None = None) -> Any:
    row = s.execute(select(CASE_T).where(CASE_T.c.merchant_id == merchant_id, CASE_T.c.id == case_id)).first()
    if row is None or (stores is not None and row.location_id not in stores):
        raise CaseNotFoundError(f"no case {case_id!r}: list_cases or top_cases list the case ids")
    return row


def _summary(r: Any) -> CaseSummary:
    return CaseSummary(
        case_id=r.id,
        title=r.title,
        queue=r.queue,
        state=r.state,
        severity=r.severity,
        family=r.family,
        detections=r.detections,
        withdrawn=r.withdrawn,
        location_id=r.location_id,
        employee_id=r.employee_id,
        assignee=r.assignee,
        outcome=r.outcome,
        first_at=r.first_at,
        last_at=r.last_at,
        opened_at=r.opened_at,
        closed_at=r.closed_at,
    )


def _transition_view(t: Any) -> TransitionView:
    return TransitionView(
        action=t.action,
        from_state=t.from_state,
        to_state=t.to_state,
        actor=t.actor,
        reason=t.reason,
        outcome=t.outcome,
        assignee=t.assignee,
        at=t.at,
    )


def _state(value: str) -> CaseState:
    try:
        return CaseState(value)
    except ValueError:
        raise InvalidCaseRequestError(
            f"state must be one of {', '.join(s.value for s in CaseState)}, got {value!r}"
        ) from None


def _severity(value: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise InvalidCaseRequestError(
            f"severity must be one of {', '.join(s.value for s in Severity)}, got {value!r}"
        ) from None


def _outcome(value: str) -> Outcome:
    try:
        return Outcome(value)
    except ValueError:
        raise InvalidCaseRequestError(
            f"outcome must be one of {', '.join(o.value for o in Outcome)}, got {value!r}"
        ) from None
