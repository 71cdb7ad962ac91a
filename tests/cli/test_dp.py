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


@pytest.fixture
def with_nulls(tmp_path: Path) -> Path:
    path = tmp_path / "nulls.csv"
    ages = [float(a) for a in range(20, 80)] * 20
    pl.DataFrame(
        {
            "age": [None if i % 5 == 0 else a for i, a in enumerate(ages)],
            "pid": range(1200),
            "site": ["north", "south", "east"] * 400,
        }
    ).write_csv(path)
    return path


def test_nulls_max_rows_and_user_level_options(with_nulls: Path) -> None:
    run("budget", str(with_nulls), "--dataset", "n", "--epsilon", "500")
    base = ["mean", str(with_nulls), "--dataset", "n", "--column", "age", "--bounds", "18,90"]
    code, out, err = run(*base, "--epsilon", "100", "--max-rows", "4096", "--format", "json")
    assert code == 0, err
    row = json.loads(out)[0]
    present = [a for i, a in enumerate([float(a) for a in range(20, 80)] * 20) if i % 5]
    assert row["estimate"] == pytest.approx(sum(present) / len(present), abs=0.1)
    assert "missing values dropped" in row["note"]
    assert "max_rows=4096 (declared)" in row["note"]
    code, out, _ = run(
        *base, "--epsilon", "100", "--nulls", "impute", "--impute-value", "18", "--format", "json"
    )
    assert code == 0
    assert "imputed as 18" in json.loads(out)[0]["note"]
    code, _, err = run(*base, "--epsilon", "1", "--nulls", "impute", "--impute-value", "5")
    assert code == 2
    assert "inside the bounds" in err
    code, out, err = run(
        "count",
        str(with_nulls),
        "--dataset",
        "n",
        "--epsilon",
        "1",
        "--identifier",
        "pid",
        "--max-rows-per-id",
        "1",
        "--max-groups-per-id",
        "1",
        "--by",
        "site",
        "--keys",
        "south,north",
        "--format",
        "json",
    )
    assert code == 0, err
    assert [r["site"] for r in json.loads(out)] == ["south", "north"]


def test_preview_and_epsilon_for_spend_nothing(data: Path) -> None:
    run("budget", str(data), "--dataset", "pv", "--epsilon", "1")
    code, out, err = run(
        "preview",
        "mean",
        str(data),
        "--dataset",
        "pv",
        "--epsilon",
        "1",
        "--column",
        "age",
        "--bounds",
        "0,100",
        "--rows",
        "1000",
        "--format",
        "json",
    )
    assert code == 0, err
    rows = json.loads(out)
    assert [r["aggregate"] for r in rows] == ["sum", "count", "mean"]
    assert "rows=1000 declared" in rows[2]["note"]
    code, out, err = run(
        "epsilon-for",
        "mean",
        str(data),
        "--dataset",
        "pv",
        "--accuracy",
        "1",
        "--column",
        "age",
        "--bounds",
        "0,100",
        "--rows",
        "1000",
        "--format",
        "json",
    )
    assert code == 0, err
    answer = json.loads(out)
    assert 0.2 < answer["epsilon"] < 0.6
    assert "public" in answer["note"]
    _, out, _ = run("budget", "--dataset", "pv")
    assert "spent 0," in out


def test_budget_lists_shared_budgets_and_declares_independence(data: Path, tmp_path: Path) -> None:
    copy = tmp_path / "visits_copy.parquet"
    pl.read_csv(data).with_columns(pl.lit(1).alias("batch")).write_parquet(copy)
    wide = tmp_path / "wide.csv"
    pl.DataFrame({"x": [i * 0.37 for i in range(1200)]}).write_csv(wide)
    wide_copy = tmp_path / "wide_copy.csv"
    pl.DataFrame({"x": [i * 0.37 for i in range(1100)], "k": ["a"] * 1100}).write_csv(wide_copy)
    run("budget", str(wide), "--dataset", "wide", "--epsilon", "2")
    code, out, _ = run("budget", str(wide_copy), "--dataset", "wide-copy")
    assert code == 0
    assert "shared budget: wide, wide-copy" in out
    assert "ε budget 2" in out
    code, _, err = run("budget", "--dataset", "wide-copy", "--independent-of", "wide")
    assert code == 2
    assert "--reason" in err
    code, out, err = run(
        "budget", "--dataset", "wide-copy", "--independent-of", "wide", "--reason", "other people"
    )
    assert code == 0, err
    assert "shared budget" not in out
    assert "split" in err
