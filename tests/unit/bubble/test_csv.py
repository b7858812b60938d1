"""The offline format: errors name the line; the CLI writes the same scores as the model."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.bubble import DEFAULT_THRESHOLDS, calibrate, score
from core.bubble.csvio import CsvFormatError, read_hours, write_hours
from core.cli.main import app
from core.simulate.devices import device_world

HEADER = (
    "device_id,store_id,hour,transactions,amount_cents,voids,refunds,no_sales,cash_tenders,"
    "gap_minutes_mean,distinct_employees"
)


def parse(text: str) -> list[object]:
    return list(read_hours(io.StringIO(text)))


def test_a_row_is_read_with_optional_network_events() -> None:
    (row,) = parse(HEADER + ",network_events\nR1,S1,2026-03-02T10:00:00Z,12,5400,1,0,2,3,4.5,2,\n")
    assert (row.device_id, row.transactions, row.gap_minutes_mean, row.network_events) == (
        "R1",
        12,
        4.5,
        None,
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "R1,S1,2026-03-02 10:00,1,1,0,0,0,0,,1",
            "line 2: hour '2026-03-02 10:00' is not an ISO 8601 UTC hour",
        ),
        ("R1,S1,2026-03-02T10:30:00Z,1,1,0,0,0,0,,1", "line 2: hour .* not the start of an hour"),
        ("R1,S1,yesterday,1,1,0,0,0,0,,1", "line 2: hour 'yesterday'"),
        ("R1,S1,2026-03-02T10:00:00Z,1,1,-2,0,0,0,,1", r"line 2: voids is negative \(-2\)"),
        ("R1,S1,2026-03-02T10:00:00Z,x,1,0,0,0,0,,1", "line 2: transactions 'x' is not a whole number"),
        ("R1,S1,2026-03-02T10:00:00+02:00,1,1,0,0,0,0,,1", "line 2: hour .* not UTC"),
    ],
)
def test_bad_rows_name_their_line(line: str, message: str) -> None:
    with pytest.raises(CsvFormatError, match=message):
        parse(f"{HEADER}\n{line}\n")


def test_a_missing_column_names_the_header_line() -> None:
    with pytest.raises(CsvFormatError, match="line 1: missing column voids"):
        parse(HEADER.replace(",voids", "") + "\n")


def test_a_repeated_device_hour_names_both_lines() -> None:
    row = "R1,S1,2026-03-02T10:00:00Z,1,1,0,0,0,0,,1"
    with pytest.raises(CsvFormatError, match=r"line 3: hour repeats device R1 .* \(first on line 2\)"):
        parse(f"{HEADER}\n{row}\n{row}\n")


def test_the_cli_scores_a_csv_exactly_as_the_model_does(tmp_path: Path) -> None:
    world = device_world(seed=3, stores=3, weeks=6)
    hours_csv = tmp_path / "hours.csv"
    with hours_csv.open("w") as out:
        write_hours(world.hours, out)
    until = world.calibration_end
    result = CliRunner().invoke(
        app,
        [
            "bubble",
            "score",
            "--input",
            str(hours_csv),
            "--output",
            str(tmp_path / "s.csv"),
            "--calibrate-until",
            until.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ],
    )
    assert result.exit_code == 0, result.output
    with (tmp_path / "s.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    direct = score(world.hours, calibrate(world.hours, until))
    assert len(rows) == len(direct.devices) + len(direct.stores)
    for row, expected in zip(rows, direct.devices, strict=False):
        assert row["device_id"] == expected.device_id
        assert row["score"] == ("" if expected.score is None else f"{expected.score:.4f}")
        assert row["alert"] == str(int(expected.alert))
        assert row["state"] == expected.state
    assert {r["state"] for r in rows} >= {"ok", "insufficient_history"}
    assert any(r["device_id"] == "" for r in rows)  # the store rows


def test_the_cli_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nR1,S1,2026-03-02T10:00:00Z,1,1,0,0,0,-1,,1\n")
    result = CliRunner().invoke(
        app, ["bubble", "score", "--input", str(bad), "--output", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 2
    assert "line 2: cash_tenders is negative" in result.output
    assert "Traceback" not in result.output
    assert DEFAULT_THRESHOLDS.source == "default"
