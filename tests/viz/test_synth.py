"""Chart builders of privlab.viz._synth, tested through to_dict()."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import polars as pl

from privlab.synth import AttackResult
from privlab.viz import column_comparison_chart, privacy_risk_chart, quality_chart


class _Report:
    quality: ClassVar[dict[str, Any]] = {
        "columns": [{"table": None, "column": "age", "metric": "KSComplement", "score": 0.8}]
    }

    def attacks(self) -> list[AttackResult]:
        return [
            AttackResult.from_counts(
                "singling_out_multivariate", n_attacks=100, n_success=10, n_baseline=1, n_control=5
            ),
            AttackResult.from_counts(
                "inference",
                n_attacks=100,
                n_success=60,
                n_baseline=30,
                n_control=55,
                details={"secret": "diag"},
            ),
        ]


def test_numeric_column_chart_holds_binned_shares_only() -> None:
    real = pl.DataFrame({"age": [21, 33, 47, 52, 64]})
    syn = pl.DataFrame({"age": [25, 25, 45, 67]})
    spec = column_comparison_chart(real, syn, "age", bins=5).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert {r["source"] for r in rows} == {"real", "synthetic"}
    assert abs(sum(r["share"] for r in rows if r["source"] == "real") - 1) < 1e-9
    assert set(rows[0]) == {"count", "start", "end", "source", "share"}
    assert spec["encoding"]["x"]["bin"] == "binned"
    edges = {r["start"] for r in rows} | {r["end"] for r in rows}
    assert edges <= {20.0, 30.0, 40.0, 50.0, 60.0, 70.0}  # round edges (step 10)
    assert not edges & {21.0, 67.0}  # the real minimum / synthetic maximum are not shown


def test_categorical_column_chart_names_only_frequent_real_categories() -> None:
    """A category is named only when >= min_count real rows share it; the rest is "other"."""
    real = pl.DataFrame({"c": ["a"] * 5 + ["b"] * 3 + ["c"]})
    syn = pl.DataFrame({"c": ["a", "z", None]})
    spec = column_comparison_chart(real, syn, "c", top=2, min_count=3).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert {r["value"] for r in rows if r["source"] == "real"} == {"a", "b", "other"}
    assert {r["value"] for r in rows if r["source"] == "synthetic"} == {"a", "other", "(missing)"}
    assert spec["encoding"]["yOffset"]["field"] == "source"
    strict = column_comparison_chart(real, syn, "c").to_dict()  # default min_count=5
    assert {r["value"] for r in next(iter(strict["datasets"].values()))} == {
        "a",
        "other",
        "(missing)",
    }


def test_identifier_and_birth_dates_are_never_charted_raw() -> None:
    """Attacker: reads the chart data of a comparison someone left in a notebook.

    They must not learn any real ID (unique per person) nor any exact birth date.
    """
    n = 400
    real = pl.DataFrame(
        {
            "patient_id": [f"PID-{i:05d}" for i in range(n)],
            "date_of_birth": [
                f"{1930 + i % 70}-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)
            ],
        }
    )
    syn = real.with_columns(pl.col("patient_id").str.replace("PID", "SYN"))
    for column in real.columns:
        text = json.dumps(column_comparison_chart(real, syn, column).to_dict())
        leaked = [v for v in real[column].to_list() if v in text]
        assert leaked == [], (column, leaked[:3])
    dob = column_comparison_chart(real, syn, "date_of_birth").to_dict()
    periods = {r["value"] for r in next(iter(dob["datasets"].values()))}
    assert len(periods) <= 20
    assert "1930–1934" in periods  # 70 years in 5-year spans


def test_quality_and_risk_charts() -> None:
    q = quality_chart(_Report()).to_dict()
    assert next(iter(q["datasets"].values()))[0]["column"] == "age"
    r = privacy_risk_chart(_Report()).to_dict()
    labels = {row["attack"] for row in next(iter(r["datasets"].values()))}
    assert labels == {"singling_out_multivariate", "inference: diag"}
