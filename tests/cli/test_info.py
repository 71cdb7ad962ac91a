"""`privlab info`: rows and schema of a file."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from privlab.cli import main


def test_info_table_and_json(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("age;zip\n34;02139\n51;94107\n")
    runner = CliRunner()
    table = runner.invoke(main, ["info", str(path), "--sep", ";"])
    assert table.exit_code == 0, table.output
    assert "2 rows × 2 columns" in table.output
    assert "zip" in table.output
    as_json = runner.invoke(main, ["info", str(path), "--format", "json"])
    payload = json.loads(as_json.output)
    assert payload["rows"] == 2
    assert payload["columns"] == [
        {"name": "age", "dtype": "Int64"},
        {"name": "zip", "dtype": "String"},
    ]


def test_info_reports_bad_input_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3\n")
    result = CliRunner().invoke(main, ["info", str(path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert "bad.csv: line 3" in lines[0]


def test_info_null_values_and_encoding_options(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes("city,n\nMálaga,?\n".encode("latin-1"))
    result = CliRunner().invoke(
        main, ["info", str(path), "--encoding", "latin-1", "--null-values", "?", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["columns"][1]["dtype"] == "String"
