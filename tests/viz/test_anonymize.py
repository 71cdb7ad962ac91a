"""Anonymization charts, checked through their Vega-Lite specs."""

from __future__ import annotations

import polars as pl
import pytest

import privlab as pv
from privlab.viz import class_size_chart, risk_distribution_chart

SIZES = pl.DataFrame({"size": [1, 2, 5], "classes": [4, 3, 2], "records": [4, 6, 10]})


def _data(spec: dict) -> list[dict]:
    (values,) = spec["datasets"].values()
    return values


def test_class_size_chart_marks_classes_below_k() -> None:
    spec = class_size_chart(SIZES, k=2).to_dict()
    assert spec["encoding"]["x"]["field"] == "size"
    assert spec["encoding"]["y"]["field"] == "records"
    rows = {r["size"]: r["status"] for r in _data(spec)}
    assert rows == {1: "below k=2", 2: "ok", 5: "ok"}


def test_risk_chart_has_shares_and_threshold() -> None:
    spec = risk_distribution_chart(SIZES, threshold=0.4).to_dict()
    _, rule = spec["layer"]
    rows = [r for values in spec["datasets"].values() for r in values if "risk" in r]
    values = {round(r["risk"], 3): round(r["share"], 9) for r in rows}
    assert values == {1.0: 0.2, 0.5: 0.3, 0.2: 0.5}
    assert rule["mark"]["type"] == "rule"
    assert "threshold" in str(spec)


def test_charts_from_a_risk_report_hold_no_values() -> None:
    data = pl.DataFrame({"zip": ["SECRET-ZIP-1", "SECRET-ZIP-1", "Z2"], "dx": ["a", "b", "a"]})
    report = pv.assess_risk(data, ["zip"], sensitive="dx")
    for chart in (class_size_chart(report, k=2), risk_distribution_chart(report)):
        assert "SECRET-ZIP" not in str(chart.to_dict())


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="size, classes, records"):
        class_size_chart(pl.DataFrame({"size": [1]}))
