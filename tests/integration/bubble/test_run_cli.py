"""`canary bubble run` on a SQLite deployment: it scores the stored device-hours and says what it
found; a calibration window too small to calibrate on is a clear error (exit 2, no traceback).
`canary bubble plot` then draws a device's week as a PNG; a bad week or a week without hours is a
clear error."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from core.bootstrap import bootstrap
from core.bubble.service.scoring import snapshot
from core.cli.main import app
from core.tenancy import onboard_merchant
from tests.support.bubble_world import seed, world
from tests.support.pipeline import TEST_MASTER_KEY, TEST_SIGNING_KEY, settings_for

MERCHANT = "m_bubble_cli"


def test_bubble_run_scores_the_stored_hours_and_reports_the_episodes(tmp_path: Path) -> None:
    settings = settings_for(f"sqlite:///{tmp_path / 'canary.db'}", tmp_path, redis=False)
    container = bootstrap(settings)
    try:
        onboard_merchant(container.db, container.keyring, merchant_id=MERCHANT, name="Greenleaf")
        seed(container.db, world(), MERCHANT)
    finally:
        container.close()
    env = {
        "CANARY_DATABASE_URL": f"sqlite:///{tmp_path / 'canary.db'}",
        "CANARY_VAR_DIR": str(tmp_path),
        "CANARY_MASTER_KEY": TEST_MASTER_KEY,
        "CANARY_LEDGER_SIGNING_KEY": TEST_SIGNING_KEY,
    }
    runner = CliRunner()
    done = runner.invoke(app, ["bubble", "run", "--merchant", MERCHANT], env=env)
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())  # rich wraps long lines
    assert f"{MERCHANT}: 504 device-hours, 168 store-hours scored" in said
    assert "1 device and 0 store episodes; thresholds default" in said
    small = runner.invoke(
        app, ["bubble", "run", "--merchant", MERCHANT, "--calibrate-until", "2026-03-03T00:00:00Z"], env=env
    )
    assert small.exit_code == 2, small.output
    assert " ".join(small.output.split()).startswith(f"error: {MERCHANT}: ")
    assert "Traceback" not in small.output
    container = bootstrap(settings)
    try:
        [episode] = snapshot(container.db, MERCHANT)["bubble_episodes"]  # the failed run changed nothing
    finally:
        container.close()
    assert episode[1] == "A-BUBBLE-DEVICE"

    # the week of the spike (2026-03-15 is a Sunday: ISO week 11), as a picture
    out = tmp_path / "d1.png"
    plot = ["bubble", "plot", "--merchant", MERCHANT, "--device", "sq:device:D1", "--out", str(out)]
    drawn = runner.invoke(app, [*plot, "--week", "2026-W11"], env=env)
    assert drawn.exit_code == 0, drawn.output
    said = " ".join(drawn.output.split())
    assert "sq:device:D1 in 2026-W11, 84 device-hours (1 alerted), 1 episodes shaded, 8 dimensions" in said
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 20_000
    for week, message in (
        ("2026-11", "--week must look like 2026-W11"),
        ("2027-W53", "2027 has no ISO week 53"),
        ("2026-W20", "has no scored hours in 2026-W20; it has hours in 2026-W10, 2026-W11"),
    ):
        refused = runner.invoke(app, [*plot, "--week", week], env=env)
        assert refused.exit_code == 2, refused.output
        assert message in " ".join(refused.output.split())
        assert "Traceback" not in refused.output
