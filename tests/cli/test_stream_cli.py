"""Streaming from the command line: anonymize with a resolved recipe, risk, profile."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal

import privlab as pv
from privlab.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "data_samples"
RECIPE = """
steps:
  - {op: drop, columns: [full_name, email, phone, ssn, notes, patient_id]}
privacy:
  quasi_identifiers: [sex, zip_code, date_of_birth]
  hierarchies:
    sex: {type: suppress}
    zip_code: {type: prefix, keep: [3, 1]}
    date_of_birth: {type: date, levels: [year, decade]}
  k: 5
  max_suppression: 0.05
"""


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_resolved_recipe_streams_and_matches_the_in_memory_run(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE)
    src = str(SAMPLES / "patients.csv")
    first, resolved = tmp_path / "first.parquet", tmp_path / "resolved.yaml"
    _run("anonymize", src, "--recipe", str(recipe), "--out", str(first),
         "--resolved", str(resolved))  # fmt: skip
    again = tmp_path / "again.parquet"
    out = _run("anonymize", src, "--recipe", str(resolved), "--out", str(again))
    assert "k=" in out
    manifest = json.loads((tmp_path / "again.parquet.manifest.json").read_text())
    assert manifest["engine"]["engine"] == "local-stream"  # resolved → streamed by default
    a, b = pl.read_parquet(first), pl.read_parquet(again)
    assert_frame_equal(a.sort(a.columns), b.sort(b.columns))
    limited = tmp_path / "limited.parquet"
    _run("anonymize", src, "--recipe", str(recipe), "--out", str(limited),
         "--memory-limit", "256MiB")  # fmt: skip
    c = pl.read_parquet(limited)
    assert_frame_equal(a.sort(a.columns), c.sort(c.columns))


def test_memory_limit_too_small_for_the_histogram_is_refused(tmp_path: Path) -> None:
    """A limit that cannot hold the class histogram fails cleanly (exit 2), writes nothing."""
    frame = pl.DataFrame({"id": [f"identifier-{i:012d}" for i in range(400_000)], "x": 1})
    src = tmp_path / "ids.parquet"
    frame.write_parquet(src)
    result = CliRunner().invoke(main, ["risk", str(src), "--qi", "id", "--memory-limit", "64MiB"])
    assert result.exit_code == 2
    assert "outgrow" in result.output
    assert "--memory-limit" in result.output


def test_risk_from_the_batched_histogram_equals_assess_risk() -> None:
    src = SAMPLES / "patients.csv"
    qis = ["sex", "zip_code", "date_of_birth"]
    out = json.loads(_run("risk", str(src), "--qi", ",".join(qis), "--sensitive",
                          "diagnosis_code", "--format", "json"))  # fmt: skip
    report = pv.assess_risk(pv.read(src), qis, sensitive="diagnosis_code")
    assert out["k"] == report.k
    assert out["records"] == report.records == 5_000
    assert out["l"] == report.l
    assert out["t"] == pytest.approx(report.t)
    assert out["prosecutor_risk"]["avg"] == pytest.approx(report.prosecutor["avg"])
    assert out["unique_share"] == pytest.approx(report.unique_share)


def test_streamed_profile_keeps_the_json_contract() -> None:
    src = str(SAMPLES / "patients.csv")
    streamed = json.loads(_run("profile", src, "--engine", "stream", "--format", "json"))
    memory = json.loads(_run("profile", src, "--format", "json"))
    assert streamed["rows"] == memory["rows"] == 5_000
    assert streamed["qi_risk"] == memory["qi_risk"]
    assert [c["role"] for c in streamed["columns"]] == [c["role"] for c in memory["columns"]]
