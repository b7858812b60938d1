"""Persisted rule state is the same bytes whatever the process's hash seed.

Rebuilds and replays are compared byte for byte, so nothing a set iterates in (salted per process by
PYTHONHASHSEED) may decide the order of what is persisted. Every catalog case runs through every
rule into one state, in two interpreters with different seeds, and both must write the same slices
and the same detections.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

RUN = """
import sys
from core.rules.backtest import run_events
from core.rules.engine import Engine, RuleSettings, TenantConfig
from core.rules.model import Mode
from core.rules.state import RuleState
from tests.rules_cases import catalog

rules = catalog()
engine = Engine(rules)
config = TenantConfig(rules={r.id: RuleSettings(mode=Mode.ALERTING) for r in rules.all()})
state = RuleState()
out = []
for rule in rules.all():
    for case in rule.cases:
        found = run_events(engine, case.events(), config, state)
        out += [f"{ev.detection_id} {ev.finding.summary}" for ev in found]
sys.stdout.write("\\n".join(out) + "\\n--\\n" + "\\n".join(f"{n} {t}" for n, t in state.dirty().items()))
"""


def _run(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", RUN], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_persisted_state_does_not_depend_on_the_hash_seed() -> None:
    first, second = _run("0"), _run("1")
    detections, _, slices = first.partition("\n--\n")
    assert detections.count("\n") > 10, "the cases fire"
    assert "\nsubstrate:0 {" in f"\n{slices}", "the substrate record (entities and fields) is persisted"
    assert first == second
