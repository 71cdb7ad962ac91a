"""Synthetic.evaluate: SDMetrics reports, privacy figures, JSON without data."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest

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
    assert p["pii_replay"] == {"patient_id": 0, "full_name": 0, "email": 0, "ssn": 0}
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
