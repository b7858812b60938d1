"""`canary bench detection`: the quick form reports scores of the right shape, and the matching
that produces them judges a hand-made case correctly (the real numbers are never checked)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.bench import detection
from core.bench.harness import BUILT_IN
from core.demo.matching import Detected, Label, match
from core.demo.scoring import FN_COST, FP_COST, per_rule
from core.ingest.inbox import IncomingEvent
from tests.support import quick_bench

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
SCORE_FIELDS = {
    "tp",
    "fp",
    "tolerated",
    "found",
    "missed",
    "precision",
    "recall",
    "f1",
    "cost",
    "cost_weighted",
}


def label(scenario: str, rule: str, polarity: str, entity: tuple[str, str], **extra: Any) -> Label:
    return Label.of_json(
        {
            "scenario_id": scenario,
            "rule_id": rule,
            "polarity": polarity,
            "entity": {"type": entity[0], "id": entity[1], "store": "S2"},
            "window": {"start": "2026-03-10T15:00:00Z", "end": "2026-03-10T16:00:00Z"},
            "objects": extra.pop("objects", []),
            **extra,
        }
    )


def found(rule: str, *refs: str, at: datetime = T0, queue: str = "fraud", ident: str = "") -> Detected:
    return Detected(ident or f"{rule}@{at:%H%M}", rule, "family", queue, at + timedelta(minutes=10), refs)


LABELS = [
    label(
        "void-1",
        "Q-VR-01",
        "positive",
        ("employee", "UITO25"),
        objects=[{"vendor": "counterpoint", "type": "document", "id": "GUID1"}],
        also_may_fire=["Q-AT-03"],
    ),
    label("tier-1", "Q-DM-01", "hard_negative", ("customer", "6128")),
    label("grower-1", "Q-IS-02", "hard_negative", ("vendor", "GRW-MEADOW"), allowed_queue="review"),
    label("swap-1", "Q-TM-02", "positive", ("employee", "YBAKER26")),
]


def test_a_hand_made_case_is_judged_by_rule_entity_and_window() -> None:
    detections = [
        found("Q-VR-01", "cp:doc:GUID1", "cp:employee:UITO25", ident="tp"),  # the labelled void
        found("Q-DM-01", "cp:customer:6128", ident="hard-negative"),  # must not fire, fired
        found("Q-VR-02", "cp:employee:NOBODY", ident="unlabelled"),  # nothing explains it
        found("Q-VR-01", "cp:employee:UITO25", at=T0 + timedelta(days=2), ident="late"),  # outside window
        found("Q-AT-03", "cp:employee:UITO25|2026-W11", ident="also"),  # allowed by also_may_fire
        found("Q-IS-02", "20", "GRW-MEADOW", queue="review", ident="review-ok"),  # allowed queue
        found("Q-IS-02", "20", "GRW-MEADOW", queue="fraud", ident="review-not"),  # wrong queue
    ]
    result = match(detections, LABELS)
    verdicts = {j.detection.id: j.verdict for j in result.judged}
    assert verdicts == {
        "tp": "true_positive",
        "hard-negative": "false_positive",
        "unlabelled": "false_positive",
        "late": "false_positive",
        "also": "tolerated",
        "review-ok": "tolerated",
        "review-not": "false_positive",
    }
    assert [lb.scenario_id for lb in result.missed(LABELS)] == ["swap-1"]
    assert sorted(result.charged) == ["grower-1", "tier-1"]
    assert result.quiet(LABELS) == []

    scores = per_rule(result, LABELS)
    void = scores["Q-VR-01"]
    assert (void.tp, void.fp, void.found, void.missed) == (1, 1, 1, 0)
    assert void.precision == 0.5
    assert void.recall == 1.0
    assert void.f1 == pytest.approx(2 / 3)
    assert void.cost_weighted == pytest.approx(1 / (1 + FP_COST))
    swap = scores["Q-TM-02"]
    assert swap.precision is None
    assert swap.recall == 0.0
    assert swap.cost == FN_COST
    assert scores["Q-DM-01"].fp == 1
    assert scores["Q-DM-01"].recall is None
    assert scores["Q-AT-03"].tolerated == 1
    assert scores["Q-AT-03"].tp == scores["Q-AT-03"].fp == 0


def test_a_detection_of_another_store_or_rule_does_not_match() -> None:
    other_station = found("Q-TM-02", "cp:employee:YBAKER99", "cp:device:20/20-1")
    assert match([other_station], LABELS).judged[0].verdict == "false_positive"
    right_entity_wrong_rule = found("Q-TM-01", "cp:employee:YBAKER26")
    assert match([right_entity_wrong_rule], LABELS).judged[0].verdict == "false_positive"


@pytest.mark.slow
@quick_bench.reads_the_report
def test_the_quick_bench_reports_scores_per_rule_and_family(
    quick_bench_report: tuple[dict[str, Any], str],
) -> None:
    assert "detection" in BUILT_IN
    out = quick_bench.scenario(quick_bench_report[0], "detection")
    assert out["status"] == "ok", out["error"]
    quality = out["quality"]
    assert quality["weights"] == {"false_positive": FP_COST, "false_negative": FN_COST}
    assert quality["overall"].keys() >= SCORE_FIELDS
    assert quality["families"]
    assert all(f.keys() >= SCORE_FIELDS for f in quality["families"])
    assert {r["family"] for r in quality["rules"]} >= {f["name"] for f in quality["families"]}
    assert quality["overall"]["found"] + quality["overall"]["missed"] > 0
    assert out["measurements"][0]["count"] > 0
    report = quick_bench_report[1]
    assert "## detection" in report
    assert any(line.startswith("- void_return: precision") for line in report.splitlines())
    order = quality["arrival_order"]
    assert order.keys() == {"ordered", "shuffled", "agree", "rules_differing", "shuffle"}
    assert order["ordered"].keys() == order["shuffled"].keys() == {"precision", "recall"}
    assert order["agree"] == (order["rules_differing"] == [])
    assert [m["name"] for m in out["measurements"]] == [
        "replay: import → every stage",
        "replay out of order: import → every stage",
    ]
    assert out["measurements"][1]["count"] == out["measurements"][0]["count"]  # the same world sealed
    assert any(line.startswith("- arrival order: in order precision") for line in report.splitlines())


def incoming(n: int) -> IncomingEvent:
    return IncomingEvent(
        merchant_id="m", source="SQUARE", source_type="BATCH", raw=b"{}", source_event_id=str(n)
    )


def test_the_shuffled_arrivals_keep_every_delivery_within_the_bound_and_repeat_some() -> None:
    events = [incoming(n) for n in range(5_000)]
    arrived = detection.bounded_shuffle(events, random.Random(1))
    ids = [int(e.source_event_id or 0) for e in arrived]
    assert set(ids) == set(range(5_000))
    assert 5_000 < len(ids) < 5_000 * 1.1  # about one in twenty again
    assert ids != sorted(ids)
    first: dict[int, int] = {}
    for place, n in enumerate(ids):
        first.setdefault(n, place)
    # A delivery is only ever held back, by less than the bound: it never arrives after one that
    # was generated more than the bound later.
    bound = detection.SHUFFLE_BOUND
    assert all(first[n - bound - 1] < first[n] for n in range(bound + 1, 5_000))
    chunks = detection.shuffled_chunks(iter(events), random.Random(1))
    assert sorted(int(e.source_event_id or 0) for e in chunks) == list(range(5_000))
    starts = [int(chunks[k].source_event_id or 0) for k in range(0, 5_000, 500)]
    assert sorted(starts) == list(range(0, 5_000, 500))
    assert starts != sorted(starts)


def test_the_two_runs_agree_only_when_every_rule_scores_the_same() -> None:
    detections = [found("Q-VR-01", "cp:doc:GUID1", "cp:employee:UITO25", ident="tp")]
    ordered = detection.Replayed(LABELS, match(detections, LABELS), 10, 1.0, True)
    same = detection.Replayed(LABELS, match(list(detections), LABELS), 10, 1.0, True)
    extra = [*detections, found("Q-VR-02", "cp:employee:NOBODY", ident="unlabelled")]
    worse = detection.Replayed(LABELS, match(extra, LABELS), 10, 1.0, True)
    assert detection.arrival_order(ordered, same)["agree"] is True
    differ = detection.arrival_order(ordered, worse)
    assert (differ["agree"], differ["rules_differing"]) == (False, ["Q-VR-02"])
    assert differ["ordered"]["precision"] == 1.0
    assert differ["shuffled"]["precision"] == 0.5
