"""The Chirp service on SQLite and Postgres: tuning, allow-lists, promotion, packs, pins, reads."""

from __future__ import annotations

import pytest

from core.clock import FixedClock
from core.db.uow import Database
from core.rules.allow_lists import AllowListError
from core.rules.catalog import UnknownCatalogVersionError
from core.rules.model import ParameterError
from core.rules.service import ChirpService
from core.rules.service.consumer import ChirpStage
from core.rules.service.tuning import ConfigError
from core.simulate.canonical import L, P, at, square_drawer, square_txn

from .support import detections, for_merchant

pytestmark = pytest.mark.usefixtures("db")
ACTOR, WHY = "ops@store", "reviewed with the store GM"


def test_an_allow_list_entry_without_an_expiry_is_refused_with_a_clear_error(
    service: ChirpService, merchant: str
) -> None:
    with pytest.raises(AllowListError, match="needs an expiry"):
        service.add_allow_list_entry(
            merchant, "Q-DM-01", {"customer_tier": "WHOLESALE"}, reason=WHY, expires_at=None, actor=ACTOR
        )


def test_an_allow_list_entry_beyond_the_maximum_expiry_is_refused(
    service: ChirpService, merchant: str
) -> None:
    with pytest.raises(AllowListError, match="more than 365 days away; the maximum is 2027-05-04"):
        service.add_allow_list_entry(
            merchant,
            "Q-DM-01",
            {"customer_tier": "WHOLESALE"},
            reason=WHY,
            expires_at=at(days=500),
            actor=ACTOR,
        )
    assert service.list_allow_list_entries(merchant) == []
    assert service.audit_log(merchant).items == []


def test_revoking_an_entry_is_audited_with_actor_before_after_and_reason(
    service: ChirpService, merchant: str
) -> None:
    entry = service.add_allow_list_entry(
        merchant, "Q-DM-01", {"customer_tier": "WHOLESALE"}, reason=WHY, expires_at=at(days=90), actor=ACTOR
    )
    revoked = service.revoke_allow_list_entry(
        merchant, entry.entry_id, actor="lp@hq", reason="tier discontinued"
    )
    assert (revoked.status, revoked.revoked_by) == ("revoked", "lp@hq")
    [latest, added] = service.audit_log(merchant).items
    assert (latest.action, latest.actor, latest.reason, latest.target) == (
        "allow_list.revoke",
        "lp@hq",
        "tier discontinued",
        entry.entry_id,
    )
    assert latest.before is not None
    assert latest.before["status"] == "active"
    assert latest.after is not None
    assert latest.after["status"] == "revoked"
    assert added.action == "allow_list.add"
    with pytest.raises(AllowListError, match="already revoked"):
        service.revoke_allow_list_entry(merchant, entry.entry_id, actor="lp@hq", reason="tier discontinued")


def test_a_threshold_change_is_versioned_and_audited_and_bounds_are_enforced(
    service: ChirpService, merchant: str
) -> None:
    done = service.tune_rule_threshold(
        merchant, "Q-DM-01", "fallback_max_discount_pct", 35, actor=ACTOR, reason=WHY
    )
    assert (done.before, done.after, done.config_version) == (50.0, 35.0, 1)
    [entry] = service.audit_log(merchant, rule_id="Q-DM-01").items
    assert entry.action == "rule.tune"
    assert entry.before is not None
    assert entry.before["params"]["fallback_max_discount_pct"] == 50.0
    assert entry.after is not None
    assert entry.after["params"]["fallback_max_discount_pct"] == 35.0
    with pytest.raises(ParameterError, match="at most 100"):
        service.tune_rule_threshold(
            merchant, "Q-DM-01", "fallback_max_discount_pct", 150, actor=ACTOR, reason=WHY
        )
    with pytest.raises(ConfigError, match="reason"):
        service.tune_rule_threshold(
            merchant, "Q-DM-01", "fallback_max_discount_pct", 40, actor=ACTOR, reason=""
        )
    detail = service.get_rule(merchant, "Q-DM-01")
    assert next(p.current for p in detail.parameters if p.name == "fallback_max_discount_pct") == 35.0


def test_promotion_is_refused_without_history_and_the_refusal_is_logged(
    service: ChirpService, merchant: str
) -> None:
    result = service.promote_rule(merchant, "Q-VR-03", "observation", actor=ACTOR, reason=WHY)
    assert not result.applied
    assert result.readiness is not None
    assert any("no events" in r for r in result.readiness.reasons)
    assert service.get_rule(merchant, "Q-VR-03").mode == "dry_run"
    assert service.audit_log(merchant).items[0].action == "rule.promote_refused"


def test_promotion_after_a_dry_run_over_recent_history_reports_its_hit_count(
    stage: ChirpStage, service: ChirpService, clock: FixedClock, merchant: str
) -> None:
    events = [square_txn(f"v{i}", at(-60 + 10 * i), [L("SEED", 800)], type="VOID") for i in range(3)]
    stage.process(merchant, for_merchant(merchant, events))
    result = service.promote_rule(merchant, "Q-VR-03", "observation", actor=ACTOR, reason=WHY)
    assert result.applied
    assert not result.forced
    assert result.readiness is not None
    assert (result.readiness.events, result.readiness.hits, result.readiness.false_positive_rate) == (
        3,
        1,
        None,
    )
    assert service.get_rule(merchant, "Q-VR-03").mode == "observation"


def test_a_high_false_positive_rate_blocks_promotion_unless_forced(
    stage: ChirpStage, service: ChirpService, db: Database, merchant: str
) -> None:
    service.promote_rule(merchant, "Q-VR-03", "observation", actor=ACTOR, reason=WHY, force=True)
    for day in range(5):
        events = [
            square_txn(f"d{day}v{i}", at(10 * i, days=-day - 1), [L("S", 800)], type="VOID") for i in range(3)
        ]
        stage.process(merchant, for_merchant(merchant, events))
    rows = detections(db, merchant)
    assert len(rows) == 5
    for row in rows:
        service.record_outcome(merchant, row.id, "false_positive", actor="lp@hq")
    refused = service.promote_rule(merchant, "Q-VR-03", "alerting", actor=ACTOR, reason=WHY)
    assert not refused.applied
    assert refused.readiness is not None
    assert refused.readiness.false_positive_rate == 1.0
    forced = service.promote_rule(
        merchant, "Q-VR-03", "alerting", actor=ACTOR, reason="GM accepts the noise", force=True
    )
    assert forced.applied
    assert forced.forced
    assert service.audit_log(merchant, rule_id="Q-VR-03").items[0].action == "rule.promote_forced"


def test_any_rule_can_be_demoted_alone(service: ChirpService, merchant: str) -> None:
    for rule_id in ("Q-VR-03", "Q-TM-03"):
        service.promote_rule(merchant, rule_id, "alerting", actor=ACTOR, reason=WHY, force=True)
    demoted = service.demote_rule(merchant, "Q-VR-03", actor=ACTOR, reason="firing on training tills")
    assert (demoted.from_mode, demoted.to_mode, demoted.readiness) == ("alerting", "dry_run", None)
    modes = {r.rule_id: r.mode for r in service.list_rules(merchant).items}
    assert (modes["Q-VR-03"], modes["Q-TM-03"]) == ("dry_run", "alerting")
    with pytest.raises(ConfigError, match="would be a promotion"):
        service.demote_rule(merchant, "Q-VR-03", actor=ACTOR, reason=WHY, mode="alerting")


def test_the_garden_center_pack_previews_exactly_what_it_changes(
    service: ChirpService, merchant: str
) -> None:
    preview = service.preview_vertical_pack(merchant, "garden-center")
    assert {c.allow_list for c in preview.changes} == {"Q.6.1", "Q.6.2", "Q.6.3", "Q.6.4", "Q.6.5"}
    by_key = {(c.rule_id, c.parameter): (c.current, c.proposed, c.changes_value) for c in preview.changes}
    assert by_key[("Q-IS-02", "classification")] == ("review", "ad_hoc_vendor_payment", True)
    assert by_key[("Q-IS-01", "qty_pct")] == (5.0, 10.0, True)
    assert by_key[("Q-DM-03", "exclude_mix_match_lines")] == (True, True, False)
    assert not preview.applied
    assert service.audit_log(merchant).items == []  # a preview writes nothing


def test_applying_a_pack_snapshots_the_old_configuration_and_tuning_after_it_is_an_override(
    service: ChirpService, merchant: str
) -> None:
    service.tune_rule_threshold(merchant, "Q-IS-01", "amount_cents", 15_000, actor=ACTOR, reason=WHY)
    applied = service.apply_vertical_pack(
        merchant, "garden-center", actor=ACTOR, reason="tenant is a garden center"
    )
    assert applied.snapshot["Q-IS-01"]["params"] == {"amount_cents": 15_000}
    rule = service.get_rule(merchant, "Q-IS-01")
    assert rule.config_source == "pack:garden-center@1"
    assert {p.name: p.current for p in rule.parameters} == {"qty_pct": 10.0, "amount_cents": 25_000}
    assert all(n.applied_to_tenant for n in rule.packs)
    override = service.tune_rule_threshold(merchant, "Q-IS-01", "qty_pct", 8.0, actor=ACTOR, reason=WHY)
    assert override.after == 8.0
    actions = [a.action for a in service.audit_log(merchant, rule_id="Q-IS-01").items]
    assert actions[:2] == ["rule.tune", "rule.pack"]
    with pytest.raises(ConfigError, match="already applied"):
        service.apply_vertical_pack(merchant, "garden-center", actor=ACTOR, reason="again please")
    assert service.preview_vertical_pack(merchant, "garden-center").applied


def test_a_tenant_without_the_pack_sees_the_bypass_as_not_applied(
    service: ChirpService, merchant: str
) -> None:
    notes = service.get_rule(merchant, "Q-IS-02").packs
    assert [(n.pack_id, n.allow_list, n.applied_to_tenant) for n in notes] == [
        ("garden-center", "Q.6.1", False)
    ]


def test_catalog_versions_are_pinned_per_tenant_and_unknown_ones_refused(
    service: ChirpService, merchant: str
) -> None:
    with pytest.raises(UnknownCatalogVersionError):
        service.pin_catalog_version(merchant, "9.9.9", actor=ACTOR, reason=WHY)
    pinned = service.pin_catalog_version(merchant, "1.0.0", actor=ACTOR, reason=WHY)
    assert (pinned.before, pinned.after, pinned.rules) == (None, "1.0.0", 28)
    assert service.list_rules(merchant).catalog_version == "1.0.0"
    assert service.audit_log(merchant).items[0].action == "catalog.pin"


def test_the_scorecard_names_what_a_square_only_tenant_lacks_and_when_each_entity_was_last_seen(
    stage: ChirpStage, service: ChirpService, clock: FixedClock, merchant: str
) -> None:
    stage.process(
        merchant,
        for_merchant(
            merchant,
            [
                square_txn(
                    "s1", at(), [L("SOIL", 2_000, discount=200)], [P("CARD", 1_800, "fp1")], customer="C1"
                ),
                square_drawer(
                    "sh1",
                    opened=at(),
                    closed=at(hours=8),
                    expected=5_000,
                    counted=5_000,
                    events=[("NO_SALE", at(hours=2), 0)],
                ),
            ],
        ),
    )
    card = service.substrate_scorecard(merchant)
    rules = {r.rule_id: r for r in card.rules}
    assert rules["Q-DM-03"].status == "not_applicable"
    assert rules["Q-DM-03"].message == (
        "not applicable: missing line_items.unit_cost_cents or line_items.extended_cost_cents"
    )
    assert rules["Q-IS-01"].message.startswith("not applicable: missing receiver_lines.quantity_received")
    for supported in ("Q-DM-01", "Q-VR-02", "Q-VR-03", "Q-TM-01", "Q-TM-03", "Q-DS-01", "Q-DS-02", "C-005"):
        assert rules[supported].status == "applicable", rules[supported].message
    assert "store_config.max_discount_pct" in rules["Q-DM-01"].degraded
    entities = {e.entity: e for e in card.entities}
    assert entities["transaction"].last_seen_at == at()
    assert entities["drawer_shift"].events == 1
    assert not entities["transaction"].stale
    assert entities["receiver"].stale
    assert entities["receiver"].last_seen_at is None
    clock.advance(days=5)
    assert {e.entity: e.stale for e in service.substrate_scorecard(merchant).entities}["transaction"]


def test_detections_are_paginated_newest_first_without_gaps_or_repeats(
    stage: ChirpStage, service: ChirpService, merchant: str
) -> None:
    service.promote_rule(merchant, "Q-TM-03", "observation", actor=ACTOR, reason=WHY, force=True)
    events = [
        square_txn(
            f"f{n}",
            at(n),
            [L("M", 9_000)],
            [P("CARD", 3_000, "a"), P("CARD", 3_000, "b"), P("CARD", 3_000, "c")],
        )
        for n in range(7)
    ]
    stage.process(merchant, for_merchant(merchant, events))
    seen, cursor = [], None
    while True:
        page = service.query_detections(merchant, rule_id="Q-TM-03", limit=3, cursor=cursor)
        seen += [d.occurred_at for d in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted((at(n) for n in range(7)), reverse=True)
    assert service.query_detections(merchant, rule_id="Q-DM-01").items == []


def test_a_dry_run_reports_what_would_have_fired_and_writes_nothing(
    stage: ChirpStage, service: ChirpService, db: Database, merchant: str
) -> None:
    shifts = [
        square_drawer(
            f"sh{n}",
            opened=at(days=-n),
            closed=at(days=-n, hours=8),
            expected=50_000,
            counted=50_000 - 400 * n,
        )
        for n in range(1, 8)
    ]
    stage.process(merchant, for_merchant(merchant, shifts))
    before = service.audit_log(merchant).items
    result = service.dry_run_rule(merchant, "Q-DS-01", at(days=-10), at(days=1))
    assert result.hits == 5
    tighter = service.dry_run_rule(
        merchant, "Q-DS-01", at(days=-10), at(days=1), {"gap_cents": 2_500, "gap_pct": 50.0}
    )
    assert tighter.hits == 1  # only the 28-dollar gap
    assert tighter.params["gap_cents"] == 2_500
    assert detections(db, merchant) == []
    assert service.audit_log(merchant).items == before
