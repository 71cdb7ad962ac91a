"""`privlab anonymize`, `privlab risk` and `privlab recipe` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from privlab.cli import main
from privlab.governance import PolicyWarning

RECIPE = """
steps:
  - {op: drop, columns: [name]}
  - {op: pseudonymize, columns: [pid], params: {prefix: "P-", key_env: NO_SUCH_ENV_VAR}}
privacy:
  quasi_identifiers: [age, zip]
  hierarchies:
    age: {type: interval, widths: [5, 10, 20]}
    zip: {type: prefix, keep: [4, 3, 2]}
  k: 3
  max_suppression: 0.1
"""


@pytest.fixture
def table(tmp_path: Path) -> Path:
    n = 40
    frame = pl.DataFrame(
        {
            "pid": [f"id{i}" for i in range(n)],
            "name": [f"Name {i}" for i in range(n)],
            "age": [20 + (i * 7) % 45 for i in range(n)],
            "zip": [f"0{2100 + (i * 3) % 30}" for i in range(n)],
            "dx": ["a", "b", "c", "d"] * (n // 4),
        }
    )
    path = tmp_path / "in" / "people.csv"
    path.parent.mkdir()
    frame.write_csv(path, separator=";")
    return path


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "key.txt"
    path.write_text("cli-test-key-not-a-real-secret\n")
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_anonymize_writes_data_manifest_and_resolved(
    table: Path, key_file: Path, tmp_path: Path
) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE)
    out = tmp_path / "out" / "people.parquet"
    out.parent.mkdir()
    # an unprofiled source has no column roles: the baseline policy warns (permissive mode)
    with pytest.warns(PolicyWarning, match="column roles of the release were not recorded"):
        code, output = _run(
            "anonymize", str(table), "--sep", ";", "--recipe", str(recipe), "--out", str(out),
            "--key-file", str(key_file), "--resolved", str(tmp_path / "out" / "resolved.yaml"),
        )  # fmt: skip
    assert code == 0, output
    assert "verified on the released data: k=" in output
    released = pl.read_parquet(out)
    assert "name" not in released.columns
    assert released["pid"].str.starts_with("P-").all()
    manifest = json.loads((out.parent / "people.parquet.manifest.json").read_text())
    assert manifest["kind"] == "anonymized"
    assert manifest["privacy"]["met"] is True
    assert manifest["keys"][0]["key_source"] == "argument"
    assert "cli-test-key" not in json.dumps(manifest)
    # the resolved recipe replays to the same data
    again = out.parent / "again.parquet"
    with pytest.warns(PolicyWarning, match="column roles"):
        code, output = _run(
            "anonymize", str(table), "--sep", ";", "--recipe", str(out.parent / "resolved.yaml"),
            "--out", str(again), "--key-file", str(key_file),
        )  # fmt: skip
    assert code == 0, output
    assert pl.read_parquet(again).equals(released)


def test_target_not_met_exits_non_zero_and_writes_nothing(
    table: Path, key_file: Path, tmp_path: Path
) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE.replace("k: 3", "k: 3\n  l: {column: dx, l: 5}"))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, output = _run(
        "anonymize", str(table), "--sep", ";", "--recipe", str(recipe),
        "--out", str(out_dir / "x.parquet"), "--key-file", str(key_file),
        "--resolved", str(out_dir / "resolved.yaml"),
    )  # fmt: skip
    assert code == 2
    assert output.startswith("error: no generalization")
    assert list(out_dir.iterdir()) == []


def test_missing_key_and_bad_recipe_exit_2(table: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE)
    out = tmp_path / "x.parquet"
    code, output = _run("anonymize", str(table), "--recipe", str(recipe), "--out", str(out))
    assert code == 2
    assert "no key" in output
    assert not out.exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "steps:\n  - {op: mask, columns: [a], params: {keep_first: -1}}\n  - {op: nope}\n"
    )
    code, output = _run("anonymize", str(table), "--recipe", str(bad), "--out", str(out))
    assert code == 2
    assert "steps[0].params.keep_first: must be >= 0, got -1" in output
    assert "steps[1]: unknown op 'nope'" in output


def test_risk_json(table: Path) -> None:
    code, output = _run(
        "risk", str(table), "--sep", ";", "--qi", "age,zip", "--sensitive", "dx", "--format", "json"
    )
    assert code == 0, output
    payload = json.loads(output)
    for key in ("k", "l", "t", "prosecutor_risk", "unique_share", "records"):
        assert key in payload
    assert set(payload["prosecutor_risk"]) == {"max", "avg"}
    assert payload["records"] == 40
    assert set(payload["l"]) >= {"distinct", "entropy"}
    code, output = _run("risk", str(table), "--sep", ";", "--qi", "age")
    assert code == 0, output
    assert "prosecutor risk" in output
    code, output = _run("risk", str(table), "--sep", ";", "--qi", "agee")
    assert code == 2
    assert "did you mean 'age'" in output


@pytest.mark.shared_data
def test_risk_on_adult(adult_dir: Path) -> None:
    code, output = _run(
        "risk", str(adult_dir / "adult.csv"), "--sep", ";", "--qi", "sex,age,race",
        "--sensitive", "salary-class", "--format", "json",
    )  # fmt: skip
    assert code == 0, output
    payload = json.loads(output)
    assert payload["records"] == 30162
    assert payload["k"] >= 1


def test_recipe_schema_and_validate(tmp_path: Path) -> None:
    code, output = _run("recipe", "schema")
    assert code == 0
    schema = json.loads(output)
    assert schema["title"] == "privlab recipe"
    good = tmp_path / "r.yaml"
    good.write_text(RECIPE)
    code, output = _run("recipe", "validate", str(good))
    assert code == 0, output
    assert output.startswith("ok: ")
    bad = tmp_path / "bad.yaml"
    bad.write_text("privacy: {quasi_identifiers: [a], k: 1}\nextra: 1\n")
    code, output = _run("recipe", "validate", str(bad))
    assert code == 2
    assert "privacy.k: must be >= 2, got 1" in output
    assert "extra: unknown field" in output
