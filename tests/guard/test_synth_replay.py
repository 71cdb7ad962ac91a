"""`privlab synth` on the adversarial table replays no real value of an identifying column."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from privlab.cli import main

GENERATOR = Path(__file__).resolve().parents[2] / "benchmarks" / "adversarial" / "generate.py"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_synth_cli_replays_no_identifier(tmp_path: Path) -> None:
    """Attacker: holds the real table and searches the synthetic file for any real name,
    phone, national ID, IBAN, hashed ID, member number or e-mail — also inside notes."""
    spec = importlib.util.spec_from_file_location("adversarial", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data, key_path = module.generate(tmp_path / "adv", rows=600, seed=5)
    out = tmp_path / "syn.csv"
    result = CliRunner().invoke(main, ["synth", str(data), "--out", str(out), "--seed", "1"])
    assert result.exit_code == 0, result.output
    real = pl.read_csv(data, infer_schema=False)
    syn = pl.read_csv(out, infer_schema=False)
    key = json.loads(Path(key_path).read_text())
    identifying = [c for c, v in key.items() if v["role"] == "direct_identifier"]
    for column in identifying:
        hits = syn[column].is_in(real[column].drop_nulls().implode()).sum()
        assert hits == 0, (column, key[column]["meaning"], hits)
    notes = next(c for c, v in key.items() if v["meaning"] == "note")
    text = "\n".join(syn[notes].drop_nulls().to_list())
    for column in identifying:
        leaked = [
            v for v in real[column].drop_nulls().unique().to_list() if len(v) > 6 and v in text
        ]
        assert leaked == [], (column, leaked[:3])
