"""`privlab report FILE --roles R.json --out report.html`."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from privlab.cli import main


def test_report_command_writes_html_and_png(tmp_path: Path) -> None:
    data = tmp_path / "t.csv"
    pl.DataFrame(
        {"age": list(range(20, 80)) * 3, "sex": ["F", "M"] * 90, "dx": ["a", "b", "c"] * 60}
    ).write_csv(data)
    roles = tmp_path / "roles.json"
    roles.write_text(
        json.dumps({"age": "quasi_identifier", "sex": "quasi_identifier", "dx": "sensitive"})
    )
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        main,
        ["report", str(data), "--roles", str(roles), "--out", str(out), "--k", "2,5",
         "--epsilon", "1", "--synthetic", "", "--png"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "report written to" in result.output
    assert "vegaEmbed" in out.read_text()
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
