"""Chart builders of privlab.viz._synth, tested through to_dict()."""

from __future__ import annotations

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
    real = pl.DataFrame({"age": [20, 30, 40, 50, 60]})
    syn = pl.DataFrame({"age": [25, 25, 45, 65]})
    spec = column_comparison_chart(real, syn, "age", bins=5).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert {r["source"] for r in rows} == {"real", "synthetic"}
    assert abs(sum(r["share"] for r in rows if r["source"] == "real") - 1) < 1e-9
    assert set(rows[0]) == {"count", "start", "end", "source", "share"}
    assert spec["encoding"]["x"]["bin"] == "binned"


def test_categorical_column_chart_keeps_top_real_categories() -> None:
    real = pl.DataFrame({"c": ["a"] * 5 + ["b"] * 3 + ["c"]})
    syn = pl.DataFrame({"c": ["a", "z", None]})
    spec = column_comparison_chart(real, syn, "c", top=2).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert {r["value"] for r in rows} == {"a", "b"}
    assert spec["encoding"]["yOffset"]["field"] == "source"


def test_quality_and_risk_charts() -> None:
    q = quality_chart(_Report()).to_dict()
    assert next(iter(q["datasets"].values()))[0]["column"] == "age"
    r = privacy_risk_chart(_Report()).to_dict()
    labels = {row["attack"] for row in next(iter(r["datasets"].values()))}
    assert labels == {"singling_out_multivariate", "inference: diag"}
