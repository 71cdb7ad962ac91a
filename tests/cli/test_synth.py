"""``privlab synth`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from privlab.cli import main
from privlab.governance import PolicyWarning


def _table(path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 120
    pl.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "plan": rng.choice(["basic", "plus", "pro"], n),
            "spend": np.round(rng.gamma(2, 30, n), 2),
        }
    ).write_csv(path, separator=";")
    return path


def test_synth_writes_data_and_report(tmp_path: Path) -> None:
    src = _table(tmp_path / "in.csv")
    out, report = tmp_path / "out.parquet", tmp_path / "report.json"
    args = ["synth", str(src), "--sep", ";", "--rows", "50", "--seed", "3"]
    result = CliRunner().invoke(main, [*args, "--out", str(out), "--report", str(report)])
    assert result.exit_code == 0, result.output
    data = pl.read_parquet(out)
    assert data.shape == (50, 3)
    payload = json.loads(report.read_text())
    assert 0 < payload["summary"]["quality_score"] <= 1
    assert payload["manifest"]["seed"] == 3
    assert payload["manifest"]["params"]["holdout"] == 0.2
    assert "quality" in result.output
    again = tmp_path / "again.parquet"
    # without --report nothing was evaluated: the baseline policy says so (permissive mode)
    with pytest.warns(PolicyWarning, match="identifier replay was not measured"):
        CliRunner().invoke(main, [*args, "--holdout", "0.2", "--out", str(again)])
    assert pl.read_parquet(again).equals(data)


def test_synth_errors_exit_2(tmp_path: Path) -> None:
    src = _table(tmp_path / "in.csv")
    before = src.read_bytes()
    result = CliRunner().invoke(main, ["synth", str(src), "--sep", ";", "--out", str(src)])
    assert result.exit_code == 2
    assert "error:" in result.output
    assert "refusing to overwrite" in result.output
    assert src.read_bytes() == before


def test_synth_evaluate_json_contract(tmp_path: Path) -> None:
    """The CONTRACTS.md shape: each risk with its interval, the sizes used and the runtime."""
    rng = np.random.default_rng(1)

    def table(n: int, path: Path) -> Path:
        pl.DataFrame(
            {"age": rng.integers(18, 80, n), "plan": rng.choice(["a", "b", "c"], n)}
        ).write_csv(path)
        return path

    train, syn, hold = (table(n, tmp_path / f"{name}.csv") for n, name in
                        [(300, "train"), (200, "syn"), (100, "hold")])  # fmt: skip
    args = ["synth", "evaluate", str(train), str(syn), "--holdout", str(hold), "--n-attacks", "50"]
    result = CliRunner().invoke(main, [*args, "--no-quality", "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    for key in ("singling_out", "linkability", "inference", "exact_copies", "dcr"):
        lo, hi = payload[key]["ci"]
        assert lo <= payload[key]["risk"] <= hi or key == "exact_copies"
    rows = payload["rows"]["data"]
    assert (rows["train"], rows["holdout"], rows["attack_train"]) == (300, 100, 100)
    assert payload["seconds"] > 0
    assert payload["privacy_risk"] == max(
        payload[k]["ci"][1] for k in ("singling_out", "linkability", "inference")
    )
    table_out = CliRunner().invoke(main, [*args, "--no-quality"])
    assert "95 % interval" in table_out.output
    # the old form still works: `privlab synth FILE` is `privlab synth generate FILE`
    assert CliRunner().invoke(main, ["synth", "--help"]).exit_code == 0
