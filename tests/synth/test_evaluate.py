"""Synthetic.evaluate: SDMetrics reports, privacy figures, JSON without data."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest


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
    assert 0 <= p["exact_copy_rate"] <= 0.05
    assert 0 <= p["dcr_overfitting"]["score"] <= 1
    attacks = p["attacks"]
    assert set(attacks) == {"singling_out", "linkability", "inference"}
    assert set(attacks["inference"]) == {"diagnosis_code", "total_charges"}
    s = report.summary()
    assert s["privacy_risk"] == max(a.risk for a in report.attacks())
    assert s["privacy_risk"] < 0.5  # a copula on 210 rows does not copy records


def test_report_json_has_no_data(report: Any, patients_df: pl.DataFrame) -> None:
    text = json.dumps(report.to_dict())
    for col in ["full_name", "email", "ssn", "city", "zip_code", "diagnosis_code"]:
        for value in patients_df[col].unique().to_list():
            assert json.dumps(value) not in text


def test_evaluate_without_holdout_or_attacks(fitted_hma: Any) -> None:
    r = fitted_hma.evaluate(attacks=False)
    assert set(r.privacy) == {"customers", "orders"}
    assert r.quality["overall"] > 0
    assert "dcr_overfitting" not in r.privacy["orders"]
    assert r.summary()["privacy_risk"] is None
