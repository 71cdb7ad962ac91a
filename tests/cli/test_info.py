"""``privlab info FILE``: rows and schema; clear one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from privlab.cli import main


@pytest.fixture
def people(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text("sex;age;zip\nMale;39;02139\nFemale;28;10001\nFemale;41;NA\n")
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_table_output(people: Path) -> None:
    code, out, _ = invoke("info", str(people))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"{people}: 3 rows × 3 columns"
    assert [line.split() for line in lines[1:]] == [
        ["sex", "String"],
        ["age", "Int64"],
        ["zip", "String"],
    ]


def test_explicit_separator(people: Path) -> None:
    code, out, _ = invoke("info", str(people), "--sep", ";")
    assert code == 0
    assert "3 rows × 3 columns" in out
    code, out, _ = invoke("info", str(people), "--sep", ",")  # wrong on purpose: one column
    assert code == 0
    assert "3 rows × 1 columns" in out


def test_tab_separator_escape(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("a\tb\n1\t2\n")
    code, out, _ = invoke("info", str(path), "--sep", "\\t")
    assert code == 0
    assert "1 rows × 2 columns" in out


def test_json_output_with_null_values(people: Path) -> None:
    code, out, _ = invoke("info", str(people), "--format", "json", "--null-values", "NA")
    assert code == 0
    assert json.loads(out) == {
        "path": str(people),
        "rows": 3,
        "columns": [
            {"name": "sex", "dtype": "String"},
            {"name": "age", "dtype": "Int64"},
            {"name": "zip", "dtype": "String"},
        ],
    }


def test_encoding_option(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("name,city\nJosé,Zürich\n".encode("latin-1"))
    code, _, err = invoke("info", str(path))
    assert code == 2
    assert "--encoding latin-1" in err
    code, out, _ = invoke("info", str(path), "--encoding", "latin-1")
    assert code == 0
    assert "1 rows × 2 columns" in out


def test_adult(adult_dir: Path) -> None:
    code, out, _ = invoke("info", str(adult_dir / "adult.csv"), "--sep", ";", "--format", "json")
    assert code == 0
    summary = json.loads(out)
    assert summary["rows"] == 30162
    assert len(summary["columns"]) == 9


def test_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    code, out, err = invoke("info", str(tmp_path / "nope.csv"))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: no such file")
    assert "nope.csv" in err
    assert "Traceback" not in err


def test_malformed_row_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3\n")
    code, _, err = invoke("info", str(path))
    assert code == 2
    assert err.count("\n") == 1
    assert f"error: {path}, line 3: expected 2 fields" in err
