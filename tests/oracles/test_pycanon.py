"""pyCANON agrees with privlab on k, ℓ (distinct, entropy), t and DM of releases privlab made.

pyCANON pins its whole stack, so it runs from its own virtual environment
(.venv-oracles/pycanon, built on first use) and reads the release from a CSV file.
"""

from __future__ import annotations

import importlib.util
import math
import subprocess
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import privlab as pv
from privlab.anonymize import Hierarchy, KAnonymity, LDiversity, search
from privlab.tradeoff import auto_hierarchy

ROOT = Path(__file__).resolve().parents[2]
# Oracle runs in their own virtual environment (built on first use): the slow tier.
pytestmark = pytest.mark.slow


def oracle() -> Any:
    spec = importlib.util.spec_from_file_location("_oracles", ROOT / "benchmarks" / "_oracles.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        module.ensure_pycanon()
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"could not build the pyCANON virtual environment: {exc}")
    return module


def compare(
    release: pl.DataFrame,
    qis: list[str],
    sa: str,
    tmp_path: Path,
    original: pl.DataFrame | None = None,
) -> None:
    path = tmp_path / "release.csv"
    release.write_csv(path)
    raw = None
    if original is not None:
        raw = tmp_path / "original.csv"
        original.write_csv(raw)
    theirs = oracle().pycanon_measure(path, qis, sa, raw=raw)
    ours = pv.assess_risk(release, qis, sensitive=sa)
    assert ours.l is not None
    assert ours.t is not None
    assert theirs["k"] == ours.k
    assert theirs["l_distinct"] == ours.l["distinct"]
    assert theirs["l_entropy"] == math.floor(ours.l["entropy"] + 1e-9)
    assert theirs["t"] == pytest.approx(ours.t, abs=1e-9)
    if original is not None:  # DM with suppression: pyCANON counts n per dropped record
        assert theirs["dm"] == pv.utility(original, release, qis).discernibility


@pytest.mark.shared_data
def test_pycanon_agrees_on_adult_release(adult_dir: Path, tmp_path: Path) -> None:
    qis = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass",
           "occupation"]  # fmt: skip
    frame = pl.read_csv(adult_dir / "adult.csv", separator=";")
    hs = {q: Hierarchy.from_arx_csv(adult_dir / f"adult_hierarchy_{q}.csv") for q in qis}
    result = search(frame, hs, [KAnonymity(5), LDiversity("salary-class", 2)], max_suppression=0.05)
    release = result.apply(frame, suppression="drop").collect()
    assert release.height < frame.height  # records were dropped: DM charges them n each
    compare(release, qis, "salary-class", tmp_path, original=frame)


def test_pycanon_agrees_on_patients_release(samples_dir: Path, tmp_path: Path) -> None:
    patients = pv.read(samples_dir / "patients.csv").collect()
    qis = ["date_of_birth", "sex", "zip_code"]
    hs = {q: auto_hierarchy(patients[q]) for q in qis}
    result = search(patients, hs, [KAnonymity(5), LDiversity("diagnosis", 2)], max_suppression=0.05)
    release = result.apply(patients, suppression="drop").collect().select(*qis, "diagnosis")
    compare(release, qis, "diagnosis", tmp_path)
    # a numeric sensitive attribute exercises the ordered distance
    numeric = result.apply(patients, suppression="drop").collect().select(*qis, "total_charges")
    coarse = numeric.with_columns((pl.col("total_charges") // 1000 * 1000).cast(pl.Int64))
    compare(coarse, qis, "total_charges", tmp_path)
