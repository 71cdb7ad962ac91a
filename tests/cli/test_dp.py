"""``privlab dp``: releases, budget and ledger from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from privlab.cli import main


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "visits.csv"
    pl.DataFrame({"age": list(range(20, 80)) * 20, "sex": ["F", "M", "M"] * 400}).write_csv(path)
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["dp", *args])
    return result.exit_code, result.stdout, result.stderr


def test_budget_count_mean_and_ledger(data: Path) -> None:
    code, out, _ = run("budget", str(data), "--dataset", "visits", "--epsilon", "2")
    assert code == 0, out
    assert "ε budget 2" in out
    code, out, err = run(
        "count", str(data), "--dataset", "visits", "--epsilon", "0.5", "--format", "json"
    )
    assert code == 0, out
    answer = json.loads(out)[0]
    assert abs(answer["estimate"] - 1200) < 60
    assert "1.5 left" in err
    code, out, _ = run(
        "mean",
        str(data),
        "--dataset",
        "visits",
        "--epsilon",
        "0.5",
        "--column",
        "age",
        "--bounds",
        "0,100",
        "--by",
        "sex",
        "--keys",
        "F,M",
    )
    assert code == 0, out
    assert "mean(age) by sex" in out
    code, out, _ = run("ledger", "--dataset", "visits", "--format", "csv")
    rows = pl.read_csv(out.encode())
    assert rows["statistic"].to_list() == ["count()", "mean(age) by sex"]
    assert rows["epsilon"].sum() == pytest.approx(1.0)


def test_refusal_and_bad_input_exit_2(data: Path) -> None:
    run("budget", str(data), "--dataset", "v2", "--epsilon", "0.5")
    code, _, err = run("count", str(data), "--dataset", "v2", "--epsilon", "1")
    assert code == 2
    assert "error:" in err
    assert "remains" in err
    code, _, err = run("sum", str(data), "--dataset", "v2", "--epsilon", "0.1", "--column", "age")
    assert code == 2
    assert "bounds" in err
    code, _, err = run(
        "sum",
        str(data),
        "--dataset",
        "v2",
        "--epsilon",
        "0.1",
        "--column",
        "agee",
        "--bounds",
        "0,1",
    )
    assert code == 2
    assert "did you mean 'age'" in err
    code, _, err = run(
        "mean",
        str(data),
        "--dataset",
        "v2",
        "--epsilon",
        "0.1",
        "--column",
        "age",
        "--bounds",
        "1;2",
    )
    assert code == 2
    assert "LO,HI" in err
    code, out, _ = run("budget", "--dataset", "v2")
    assert "spent 0," in out


def test_quantile_command(data: Path) -> None:
    run("budget", str(data), "--dataset", "v3", "--epsilon", "1")
    code, out, _ = run(
        "quantile",
        str(data),
        "--dataset",
        "v3",
        "--epsilon",
        "0.5",
        "--column",
        "age",
        "--bounds",
        "0,100",
        "--q",
        "0.5",
        "--format",
        "json",
    )
    assert code == 0, out
    assert 35 <= json.loads(out)[0]["estimate"] <= 65


def test_ledger_json_shows_dataset_names(data: Path) -> None:
    run("budget", str(data), "--dataset", "visits-named", "--epsilon", "1")
    code, _, err = run("count", str(data), "--dataset", "visits-named", "--epsilon", "0.25")
    assert code == 0, err
    code, out, _ = run("ledger", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["dataset"], r["statistic"], r["status"]) for r in rows] == [
        ("visits-named", "count()", "spent")
    ]
    assert rows[0]["epsilon"] == pytest.approx(0.25)
