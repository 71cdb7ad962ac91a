"""DP charts are pure functions returning un-displayed Altair charts."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from privlab.viz import budget_chart, epsilon_curve_chart


def _curve() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "statistic": ["count()"] * 3 + ["sum(x)"] * 3,
            "epsilon": [0.1, 1.0, 10.0] * 2,
            "half_width": [30.0, 3.0, 0.3, 3000.0, 300.0, float("inf")],
            "confidence": [0.95] * 6,
        }
    )


def test_epsilon_curve_is_log_log_with_rules() -> None:
    spec = epsilon_curve_chart(_curve(), target=3.0, epsilon=0.5).to_dict()
    line, target, eps = spec["layer"]
    assert line["mark"]["type"] == "line"
    assert line["encoding"]["x"]["scale"]["type"] == "log"
    assert line["encoding"]["y"]["scale"]["type"] == "log"
    assert line["encoding"]["color"]["field"] == "statistic"
    assert len(line["data"]["values"]) == 5  # the infinite width is dropped
    assert target["mark"]["type"] == "rule"
    assert eps["data"]["values"] == [{"epsilon": 0.5}]
    assert "95%" in spec["title"]


def test_coinciding_curves_are_one_line_named_after_both() -> None:
    """A count and a grouped count have the same noise: the legend lists only lines one sees."""
    same = _curve().filter(pl.col("statistic") == "count()")
    curve = pl.concat([_curve(), same.with_columns(statistic=pl.lit("count() by sex"))])
    values = epsilon_curve_chart(curve, target=1.0).to_dict()["layer"][0]["data"]["values"]
    assert {v["statistic"] for v in values} == {"count() = count() by sex", "sum(x)"}
    assert len(values) == 5  # each drawn point once
    # curves that differ anywhere stay apart
    apart = same.with_columns(
        statistic=pl.lit("count() by sex"), half_width=pl.col("half_width") * 1.01
    )
    chart = epsilon_curve_chart(pl.concat([same, apart]), target=1.0)
    values = chart.to_dict()["layer"][0]["data"]["values"]
    assert {v["statistic"] for v in values} == {"count()", "count() by sex"}


def test_epsilon_curve_without_rules_has_one_layer() -> None:
    assert len(epsilon_curve_chart(_curve()).to_dict()["layer"]) == 1


def test_epsilon_curve_rejects_other_frames() -> None:
    with pytest.raises(ValueError, match="error_curve"):
        epsilon_curve_chart(pl.DataFrame({"epsilon": [1.0]}))


def test_budget_chart_cumulates_and_skips_cancelled() -> None:
    entries = pl.DataFrame(
        {
            "created_at": [datetime(2024, 1, d, tzinfo=UTC) for d in (1, 2, 3)],
            "epsilon": [0.5, 9.0, 0.25],
            "status": ["spent", "cancelled", "spent"],
            "statistic": ["count()", "sum(x)", "mean(x)"],
        }
    )
    spec = budget_chart(entries, total=1.0).to_dict()
    values = spec["layer"][0]["data"]["values"]
    assert [v["cumulative"] for v in values] == [0.5, 0.75]
    assert spec["layer"][1]["data"]["values"] == [{"total": 1.0}]
