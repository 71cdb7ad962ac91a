"""Synthetic.evaluate: SDMetrics reports, privacy figures, JSON without data."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import polars as pl
import pytest

import privlab as pv
from privlab.exceptions import SynthesisError


@pytest.fixture(scope="module")
def report(fitted: Any) -> Any:
    return fitted.evaluate(n_attacks=80)


def test_quality_and_diagnostic(report: Any) -> None:
    q = report.quality
    assert 0 < q["overall"] <= 1
    assert 0 < q["column_shapes"] <= 1
    assert 0 < q["column_pair_trends"] <= 1
    assert {c["column"] for c in q["columns"]} >= {"age", "sex", "total_charges"}
    assert report.diagnostic["overall"] == pytest.approx(1.0)


def test_privacy_figures(report: Any) -> None:
    p = report.privacy["data"]
    assert p["columns"] == [
        "date_of_birth",
        "sex",
        "zip_code",
        "city",
        "age",
        "diagnosis_code",
        "total_charges",
    ]
    # every identifying column, free text included (issue 13)
    assert p["pii_replay"] == {"patient_id": 0, "full_name": 0, "email": 0, "ssn": 0, "notes": 0}
    assert 0 <= p["exact_copies"]["train_rate"] <= 0.05
    assert 0 <= p["dcr"]["score"] <= 1
    attacks = p["attacks"]
    assert set(attacks) == {"singling_out", "linkability", "inference"}
    assert set(attacks["inference"]) == {"diagnosis_code", "total_charges"}
    s = report.summary()
    # the headline is the largest *upper* end of the attacks' intervals, not a point
    assert s["privacy_risk"] == max(a.ci[1] for a in report.attacks())
    assert s["privacy_risk"] >= max(a.risk for a in report.attacks())
    # 300 rows, 30 % holdout: 210 training rows scored at the holdout's 90
    assert report.rows["data"] == {
        "train": 210,
        "holdout": 90,
        "synthetic": 250,
        "attack_train": 90,
        "attack_holdout": 90,
        "full_copy_singling_out": pytest.approx(90 / 210),
        "singling_out_attacks": 80,
    }
    assert any("subsampled from 210 to the holdout's 90" in n for n in report.notes)


def test_report_json_has_no_data(report: Any, patients_df: pl.DataFrame) -> None:
    text = json.dumps(report.to_dict())
    for col in ["full_name", "email", "ssn", "city", "zip_code", "diagnosis_code"]:
        for value in patients_df[col].unique().to_list():
            assert json.dumps(value) not in text


def test_evaluate_needs_a_holdout(fitted_hma: Any) -> None:
    """Without non-members there is nothing to compare members with: a clear refusal."""
    with pytest.raises(SynthesisError, match="needs real rows the model never saw"):
        fitted_hma.evaluate(attacks=False)
    assert fitted_hma.report is None


def test_multi_table_evaluation_with_holdout(
    fitted_hma: Any, shop_holdout: dict[str, pl.DataFrame]
) -> None:
    held = shop_holdout  # same population, never fitted
    r = fitted_hma.evaluate(holdout=held, attacks=False, n_attacks=30)
    assert set(r.privacy) == {"customers", "orders"}
    assert r.quality["overall"] > 0
    assert r.rows["customers"]["attack_train"] == r.rows["customers"]["attack_holdout"] == 30
    assert "dcr" in r.privacy["orders"]
    assert r.summary()["privacy_risk"] is None  # attacks were not run


def _population(n: int, seed: int) -> pl.DataFrame:
    """Rows of one population: mostly unique on (age, zip, plan), some common values."""
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "zip": rng.choice([f"z{i:03d}" for i in range(60)], n),
            "plan": rng.choice(["basic", "plus", "pro", "max"], n, p=[0.5, 0.3, 0.15, 0.05]),
            "spend": np.round(rng.gamma(2.0, 40.0, n), 1),
        }
    )


def test_a_copy_of_the_full_training_set_scores_n_holdout_over_n_train() -> None:
    """Attacker: holds a synthetic set that is the training table itself.

    Training (900 rows) is subsampled to the holdout's 300 before scoring, so only
    the copied rows in that subsample can be singled out: about 300/900 = 1/3 — not
    the ~1.0 a size-mismatched comparison (or none at all) would show.
    """
    train, hold = _population(900, 1), _population(300, 2)
    report = pv.evaluate_synthetic(train, train, hold, quality=False, n_attacks=300,
                                   progress=False)  # fmt: skip
    so = report.risks()["singling_out"]
    assert report.rows["data"]["full_copy_singling_out"] == pytest.approx(1 / 3)
    assert so["ci"][0] <= 1 / 3 + 0.05
    assert so["risk"] >= 1 / 3 - 0.1
    assert so["ci"][1] < 0.6
    # exact copies: every synthetic row is a training row; a third of them are in the
    # scored subsample, against ~0 holdout copies
    copies = report.risks()["exact_copies"]
    assert copies["train_rate"] == pytest.approx(1 / 3, abs=0.02)
    assert copies["ci"][0] > 0.25


def test_fresh_rows_score_no_excess() -> None:
    """Attacker: holds real rows of the same population that were never used.

    Nothing about the members leaks, so every figure's interval reaches 0 and the
    headline (largest upper end) stays small.
    """
    train, hold, fresh = _population(600, 3), _population(600, 4), _population(600, 5)
    report = pv.evaluate_synthetic(train, fresh, hold, quality=False, n_attacks=600,
                                   progress=False)  # fmt: skip
    risks = report.risks()
    for key in ("singling_out", "linkability", "inference", "dcr"):
        assert risks[key]["ci"][0] == 0.0, key
    assert risks["exact_copies"]["ci"][0] <= 0 <= risks["exact_copies"]["ci"][1]
    assert report.summary()["privacy_risk"] < 0.2
    assert risks["rows"]["data"]["attack_train"] == 600


def test_evaluate_refuses_mismatched_tables() -> None:
    train = _population(50, 1)
    with pytest.raises(pv.exceptions.InputError, match="lacks column"):
        pv.evaluate_synthetic(train, train.drop("zip"), train, quality=False)
    with pytest.raises(pv.exceptions.InputError, match="n_attacks"):
        pv.evaluate_synthetic(train, train, train, n_attacks=0)
