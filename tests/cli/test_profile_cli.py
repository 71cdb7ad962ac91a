"""`privlab profile FILE --format json`: the stable contract."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from privlab.cli import main


def test_profile_json_contract(samples_dir: Path) -> None:
    result = CliRunner().invoke(
        main, ["profile", str(samples_dir / "employees.csv"), "--format", "json", "--sample", "500"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["rows"] == 1500
    first = payload["columns"][0]
    assert {"name", "dtype", "semantic_type", "role", "confidence", "evidence"} <= set(first)
    assert set(payload["qi_risk"]) >= {"min_class_size", "unique_share", "risky_combinations"}
    assert "zip_code" in payload["quasi_identifiers"]
    assert "@northwind-corp.com" not in result.output  # no raw value


def test_profile_table_and_sep(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("mail;n\nana@x.org;1\nbo@y.org;2\ncy@z.net;3\n")
    result = CliRunner().invoke(main, ["profile", str(path), "--sep", ";"])
    assert result.exit_code == 0, result.output
    assert "email" in result.output
    assert "direct_identifier" in result.output
