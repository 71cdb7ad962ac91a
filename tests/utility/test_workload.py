"""privlab.utility.Workload: bins, truth and errors computed by hand, plus invariants.

A workload answers every 1-/2-way marginal and grouped mean on a release; a
generalized label spreads its record over the bins of the values it covers, a
suppressed value (``*``) over the original's distribution.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privlab.hierarchy import interval_hierarchy
from privlab.utility import ReleaseView, Workload, bin_spec, coverage_from_hierarchy

SEX_PAY = pl.DataFrame({"sex": ["F", "M", "F", "F"], "pay": [1.0, 2.0, 3.0, 4.0]})


# ------------------------------------------------------------------ bins


def test_many_numbers_get_equal_width_bins_and_the_maximum_lands_in_the_last() -> None:
    spec = bin_spec(pl.Series("x", list(range(100))), bins=4)
    assert spec.kind == "numeric"
    assert spec.edges == (0.0, 24.75, 49.5, 74.25, 99.0)
    values = pl.DataFrame({"x": [0.0, 24.7, 24.75, 99.0, None]})
    assert values.select(spec.expr(pl.col("x"))).to_series().to_list() == ["0", "0", "1", "3", None]


def test_few_numbers_and_text_are_categories_and_rare_ones_are_pooled() -> None:
    assert bin_spec(pl.Series("n", [1, 2, 2, 3])).kind == "category"
    # 31 categories: the 30 most frequent are kept, the rarest becomes "(other)"
    values = [f"c{i:02d}" for i in range(30) for _ in range(2)] + ["rare"]
    spec = bin_spec(pl.Series("c", values))
    assert spec.kind == "category"
    assert len(spec.categories) == 30
    assert "rare" not in spec.categories
    binned = pl.DataFrame({"c": ["c00", "rare", "never-seen"]}).select(spec.expr(pl.col("c")))
    assert binned["c"].to_list() == ["c00", "(other)", "(other)"]


def test_many_dates_are_binned_by_year() -> None:
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=40 * i) for i in range(40)]
    spec = bin_spec(pl.Series("d", days))
    assert spec.kind == "date"
    text = pl.Series("d", [d.isoformat() for d in days])
    assert bin_spec(text).kind == "date"
    years = pl.DataFrame({"d": days[:2] + days[-1:]}).select(spec.expr(pl.col("d")))["d"]
    assert years.to_list() == ["2020", "2020", "2024"]


# ------------------------------------------------------------------ known answers


def test_queries_and_truth_by_hand() -> None:
    w = Workload.build(
        SEX_PAY.with_columns(g=pl.Series(["a", "a", "b", "b"])),
        marginal_columns=["sex", "g"],
        numeric=["pay"],
        group_by=["sex"],
    )
    assert w.marginals == [("sex",), ("g",), ("sex", "g")]
    assert w.means == [("pay", "sex")]
    assert w.truth["marginal:sex"] == {("F",): 0.75, ("M",): 0.25}
    assert w.truth["marginal:sex×g"] == {("F", "a"): 0.25, ("M", "a"): 0.25, ("F", "b"): 0.5}
    assert w.truth["mean:pay|sex"] == pytest.approx({"F": 8 / 3, "M": 2.0})
    assert w.cells() == {"marginal:sex": 2, "marginal:g": 2, "marginal:sex×g": 3, "mean:pay|sex": 2}
    assert w.describe() == {
        "marginals": ["sex", "g", "sex×g"],
        "means": ["mean(pay) by sex"],
        "bins": {"sex": "category", "g": "category"},
    }


def test_a_fully_suppressed_group_column_spreads_over_the_original_distribution() -> None:
    """Every sex is '*': each record counts 3/4 F and 1/4 M.

    The marginal is then exact (TV 0), but both group means become the overall
    mean 2.5: F errs |2.5 − 8/3| / (8/3) = 1/16, M errs |2.5 − 2| / 2 = 1/4.
    """
    w = Workload.build(SEX_PAY, marginal_columns=["sex"], numeric=["pay"], group_by=["sex"])
    masked = SEX_PAY.with_columns(sex=pl.lit("*"))
    result = w.evaluate(ReleaseView(masked, aligned=True))
    assert result["queries"]["marginal:sex"] == pytest.approx(0.0)
    assert result["queries"]["mean:pay|sex"] == pytest.approx((1 / 16 + 1 / 4) / 2)
    assert result["error"] == pytest.approx((0 + (1 / 16 + 1 / 4) / 2) / 2)


def test_a_generalized_label_spreads_over_the_values_it_covers() -> None:
    """'30-39' covers 31 and 35, which the original holds 2:1 — so it counts 2/3 and 1/3.

    Truth: 31 → 1/2, 35 → 1/4, 52 → 1/4. Release: two '30-39' records give 31 4/3 and
    35 2/3 records (1/3 and 1/6 of 4); the two '50-59' records give 52 1/2. Total
    variation = ½ (1/6 + 1/12 + 1/4) = 1/4.
    """
    original = pl.DataFrame({"age": [31, 31, 35, 52]})
    w = Workload.build(original, marginal_columns=["age"])
    coverage = coverage_from_hierarchy(interval_hierarchy(widths=[10]), original["age"], 1)
    assert sorted(coverage.rows()) == [
        ("*", "31"), ("*", "35"), ("*", "52"), ("30-39", "31"), ("30-39", "35"), ("50-59", "52"),
    ]  # fmt: skip
    released = pl.DataFrame({"age": ["30-39", "30-39", "50-59", "50-59"]})
    result = w.evaluate(ReleaseView(released, coverage={"age": coverage}, aligned=True))
    assert result["queries"]["marginal:age"] == pytest.approx(1 / 4)
    weights = w.weights(ReleaseView(released, coverage={"age": coverage}), "age")
    per_row = weights.group_by("row").agg(pl.col("weight").sum()).sort("row")
    assert per_row["weight"].to_list() == pytest.approx([1.0] * 4)  # every record counts once


def test_missing_groups_and_zero_means_have_defined_errors() -> None:
    """Group b vanishes from the release (error 1); a zero true mean uses |estimate|."""
    original = pl.DataFrame({"g": ["a", "a", "b", "c"], "x": [1.0, 3.0, 5.0, 0.0]})
    w = Workload.build(original, marginal_columns=["g"], numeric=["x"], group_by=["g"])
    released = pl.DataFrame({"g": ["a", "a", "a", "c"], "x": [2.0, 2.0, 5.0, 0.25]})
    result = w.evaluate(ReleaseView(released))
    # a: mean 3 vs 2 → 1/2; b: missing → 1; c: true 0, estimate 0.25 → 0.25
    assert result["queries"]["mean:x|g"] == pytest.approx((0.5 + 1 + 0.25) / 3)
    # marginal: truth a ½, b ¼, c ¼; release a ¾, c ¼ → TV = ½ (¼ + ¼) = ¼
    assert result["queries"]["marginal:g"] == pytest.approx(0.25)


def test_synthetic_values_outside_the_original_bins_count_as_other() -> None:
    original = pl.DataFrame({"c": ["x", "y", "y", "z"]})
    w = Workload.build(original, marginal_columns=["c"])
    synthetic = pl.DataFrame({"c": ["x", "y", "q", "q"]})
    # truth x ¼, y ½, z ¼; synthetic x ¼, y ¼, (other) ½ → TV = ½ (¼ + ¼ + ½) = ½
    assert w.evaluate(ReleaseView(synthetic))["error"] == pytest.approx(0.5)


# ------------------------------------------------------------------ properties

CATEGORY = st.sampled_from(["a", "b", "c", "d"])


@st.composite
def frames(draw: st.DrawFn, min_size: int = 1) -> pl.DataFrame:
    n = draw(st.integers(min_value=min_size, max_value=40))
    return pl.DataFrame(
        {
            "u": draw(st.lists(CATEGORY, min_size=n, max_size=n)),
            "v": draw(st.lists(CATEGORY, min_size=n, max_size=n)),
            "x": draw(st.lists(st.floats(1, 100), min_size=n, max_size=n)),
        }
    )


@settings(max_examples=40, deadline=None)
@given(frames(), frames(), st.integers(0, 999))
def test_original_scores_zero_and_every_error_is_in_unit_interval(
    original: pl.DataFrame, other: pl.DataFrame, seed: int
) -> None:
    w = Workload.build(original, marginal_columns=["u", "v"], numeric=["x"], group_by=["u"])
    assert w.evaluate(ReleaseView(original, aligned=True))["error"] == pytest.approx(0.0, abs=1e-9)
    # the order of rows never matters to an unaligned release
    shuffled = original.sample(fraction=1.0, shuffle=True, seed=seed)
    assert w.evaluate(ReleaseView(shuffled))["error"] == pytest.approx(0.0, abs=1e-9)
    result = w.evaluate(ReleaseView(other))
    assert all(0.0 <= e <= 1.0 + 1e-9 for e in result["queries"].values())
    assert 0.0 <= result["error"] <= 1.0 + 1e-9
