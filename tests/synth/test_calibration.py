"""Calibration: the synthetic-data risk figures order known cases the way they must.

From one real table, three disjoint sets of equal size — training, holdout, fresh — and
synthetic sets whose leakage is known: 0, 25, 50 and 100 % of training rows copied into
GaussianCopula output, column-shuffle noise (every column shuffled on its own), and fresh
real rows of the same population that no generator ever saw (a perfect generator).

Attacker in every case: anyone holding the synthetic set (and, for linkability and
inference, some columns of a target), scored on training rows against holdout rows.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[2]
N_ATTACKS = 1000
ORDERED = ("singling_out", "inference", "exact_copies", "dcr")  # strictly above at 100 %


def _calibration() -> Any:
    spec = importlib.util.spec_from_file_location(
        "_calibration", ROOT / "benchmarks" / "_calibration.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _results(data: pl.DataFrame, n: int) -> dict[str, dict[str, Any]]:
    cal = _calibration()
    train, holdout, fresh = cal.split(data, n)
    return cal.evaluate_sets(  # type: ignore[no-any-return]
        train, holdout, cal.synthetic_sets(train, fresh), n_attacks=N_ATTACKS
    )


def _check(results: dict[str, dict[str, Any]], *, zero_sets: tuple[str, ...]) -> None:
    cal = _calibration()
    shares = [f"copies {s} %" for s in cal.COPY_SHARES]
    for figure in cal.FIGURES:
        # non-decreasing in the copy share, within the intervals: a larger share never
        # scores below the smaller share's lower end
        for small, large in itertools.pairwise(shares):
            assert results[large][figure]["risk"] >= results[small][figure]["ci"][0], (
                figure,
                small,
                large,
            )
        # noise and fresh rows are no riskier than GaussianCopula, within the intervals
        copula = results["copies 0 %"][figure]
        for name in ("noise", "fresh"):
            assert results[name][figure]["ci"][0] <= copula["ci"][1], (figure, name)
    for figure in ORDERED:  # copying every training row is unmistakable
        assert results["copies 100 %"][figure]["ci"][0] > results["copies 0 %"][figure]["ci"][1]
    for name in ("noise", "fresh"):
        for figure in ("singling_out", "linkability"):
            assert results[name][figure]["risk"] <= 0.05, (name, figure)
            if name in zero_sets:
                assert results[name][figure]["ci"][0] == 0.0, (name, figure)
    assert results["copies 100 %"]["singling_out"]["ci"][0] >= 0.8


def _fresh_at_default(data: pl.DataFrame, n: int) -> float:
    """privacy_risk (largest upper end) of fresh real rows at the default n_attacks."""
    cal = _calibration()
    train, holdout, fresh = cal.split(data, n)
    return float(cal.evaluate_sets(train, holdout, {"fresh": fresh})["fresh"]["privacy_risk"])


@pytest.mark.slow
def test_calibration_on_patients(samples_dir: Path) -> None:
    columns = ["date_of_birth", "sex", "zip_code", "city", "admission_date", "discharge_date",
               "diagnosis_code", "insurance_plan", "total_charges"]  # fmt: skip
    data = pl.read_csv(samples_dir / "patients.csv").select(columns)
    results = _results(data, 1600)
    print(json.dumps(results))  # the RESULTS.md table comes from the benchmark, same code
    # Column-shuffle noise keeps every training *value*: a birth date only one training
    # patient has still appears in the noise, and a predicate on it singles that member
    # out (no holdout row has it). That is a real membership signal, which the attack
    # reports (singling out ≈ 0.03, lower end above 0); fresh rows carry none.
    _check(results, zero_sets=("fresh",))
    # a perfect generator passes the policy templates' 0.1 limit on the upper end
    assert results["fresh"]["privacy_risk"] < 0.1


@pytest.mark.slow
@pytest.mark.shared_data
def test_calibration_on_adult(adult_dir: Path) -> None:
    data = pl.read_csv(adult_dir / "adult.csv", separator=";")
    _check(_results(data, 3000), zero_sets=("noise", "fresh"))
    # at the default n_attacks a perfect generator passes the templates' 0.1 limit; with
    # 1,000 attacks the interval of salary-class inference (guessed right ~75 % of the time
    # from population patterns alone) is still too wide for that
    assert _fresh_at_default(data, 3000) < 0.1
