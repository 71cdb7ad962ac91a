"""Our numpy DCR equals SDMetrics' DCRBaselineProtection / DCROverfittingProtection."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from privlab.synth._dcr import dcr, dcr_baseline_protection, dcr_overfitting_protection


def _frame(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "x": rng.normal(0, 1, n),
            "k": rng.integers(0, 5, n),
            "c": rng.choice(["a", "b", "c"], n),
            "d": pl.date_range(pl.date(2020, 1, 1), pl.date(2021, 1, 1), eager=True).sample(
                n, with_replacement=True, seed=seed
            ),
        }
    ).with_columns(pl.when(pl.col("k") == 0).then(None).otherwise(pl.col("x")).alias("x"))


META = {
    "columns": {
        "x": {"sdtype": "numerical"},
        "k": {"sdtype": "numerical"},
        "c": {"sdtype": "categorical"},
        "d": {"sdtype": "datetime"},
    }
}


def test_dcr_known_answer() -> None:
    ref = pl.DataFrame({"x": [0.0, 10.0], "c": ["a", "b"]})
    data = pl.DataFrame({"x": [0.0, 5.0, None], "c": ["a", "a", "b"]})
    assert dcr(data, ref, ["x", "c"]).tolist() == [0.0, 0.25, 0.5]


def test_matches_sdmetrics_exactly() -> None:
    from sdmetrics.single_table import DCROverfittingProtection

    train, syn, hold = _frame(120, 1), _frame(90, 2), _frame(100, 3)
    cols = train.columns
    ours = dcr_overfitting_protection(train, syn, hold, cols)
    theirs = DCROverfittingProtection.compute_breakdown(
        train.to_pandas(), syn.to_pandas(), hold.to_pandas(), META, None
    )
    assert ours["score"] == pytest.approx(theirs["score"])
    assert ours["closer_to_training"] == pytest.approx(
        theirs["synthetic_data_percentages"]["closer_to_training"]
    )
    random_rows = _frame(90, 9)  # same random rows for both, so medians must agree
    base = dcr_baseline_protection(train, syn, cols, random_data=random_rows)
    from sdmetrics.single_table.privacy.dcr_utils import calculate_dcr

    med_syn = calculate_dcr(syn.to_pandas(), train.to_pandas(), META).median()
    med_rand = calculate_dcr(random_rows.to_pandas(), train.to_pandas(), META).median()
    assert base["median_dcr_synthetic"] == pytest.approx(med_syn)
    assert base["median_dcr_random"] == pytest.approx(med_rand)
    assert base["score"] == pytest.approx(min(med_syn / med_rand, 1.0))


def test_copies_score_zero_protection() -> None:
    train, hold = _frame(100, 1), _frame(100, 2)
    assert dcr_overfitting_protection(train, train, hold, train.columns)["score"] == 0.0
    assert dcr_baseline_protection(train, train, train.columns, seed=0)["score"] == 0.0
