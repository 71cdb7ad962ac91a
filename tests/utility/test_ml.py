"""privlab.utility.ml_utility: train on a release, test on real records kept aside.

Known answers: a feature that decides the label gives accuracy 1 whether it is
released raw or generalized; suppressing it leaves only the majority class.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from privlab.hierarchy import interval_hierarchy
from privlab.utility import ReleaseView, Workload, coverage_from_hierarchy, ml_utility
from privlab.utility._ml import _matrix

# u decides y; 3 of 4 training records are (a, yes); the holdout is balanced
TRAIN = pl.DataFrame({"u": ["a"] * 30 + ["b"] * 10, "y": ["yes"] * 30 + ["no"] * 10})
HOLDOUT = pl.DataFrame({"u": ["a"] * 5 + ["b"] * 5, "y": ["yes"] * 5 + ["no"] * 5})


def workload(frame: pl.DataFrame = TRAIN) -> Workload:
    return Workload.build(frame, marginal_columns=list(frame.columns))


def test_feature_matrix_one_hot_for_values_spread_for_labels() -> None:
    """Columns: the original's bins (a, b) then "(other)"; '*' spreads as the original (¾, ¼)."""
    view = ReleaseView(pl.DataFrame({"u": ["a", "b", "*", "never-seen"]}))
    assert _matrix(workload(), view, ["u"]).tolist() == [
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.75, 0.25, 0.0],
        [0.0, 0.0, 1.0],
    ]


def test_deciding_feature_released_raw_scores_one() -> None:
    result = ml_utility(workload(), ReleaseView(TRAIN), HOLDOUT, ["u"], "y")
    assert result == {"accuracy": 1.0, "reference": 1.0, "relative": 1.0}


def test_deciding_feature_suppressed_leaves_the_majority_class() -> None:
    """All features equal: the model predicts 'yes' (¾ of training) → ½ of the holdout."""
    masked = TRAIN.with_columns(u=pl.lit("*"))
    result = ml_utility(workload(), ReleaseView(masked), HOLDOUT, ["u"], "y")
    assert result == {"accuracy": 0.5, "reference": 1.0, "relative": 0.5}


def test_generalized_labels_share_the_feature_space_of_raw_holdout_values() -> None:
    """Ages in their twenties say 'no', in their fifties 'yes'; 10-year bins keep that."""
    ages = [20 + i % 10 for i in range(20)] + [50 + i % 10 for i in range(20)]
    train = pl.DataFrame({"age": ages, "y": ["no"] * 20 + ["yes"] * 20})
    hierarchy = interval_hierarchy(widths=[10])
    coverage = coverage_from_hierarchy(hierarchy, train["age"], 1)
    labels = ["20-29"] * 20 + ["50-59"] * 20
    release = ReleaseView(train.with_columns(age=pl.Series(labels)), coverage={"age": coverage})
    holdout = pl.DataFrame({"age": [21, 28, 53, 57], "y": ["no", "no", "yes", "yes"]})
    w = workload(train)
    rows = _matrix(w, release, ["age"])
    assert rows.sum(axis=1) == pytest.approx(np.ones(40))  # each record weighs one
    assert np.count_nonzero(rows[0]) == 10  # '20-29' spreads over the ten ages it covers
    assert ml_utility(w, release, holdout, ["age"], "y")["accuracy"] == 1.0


def test_given_reference_is_used_and_suppressed_targets_are_not_trained_on() -> None:
    masked = TRAIN.with_columns(u=pl.lit("*"))
    result = ml_utility(workload(), ReleaseView(masked), HOLDOUT, ["u"], "y", reference=0.8)
    assert result == {"accuracy": 0.5, "reference": 0.8, "relative": pytest.approx(0.5 / 0.8)}
    # one label left after dropping suppressed targets: nothing to learn, accuracy 0
    targets = TRAIN.with_columns(
        y=pl.when(pl.int_range(pl.len()) < 39).then(pl.lit("*")).otherwise(pl.col("y"))
    )
    result = ml_utility(workload(), ReleaseView(targets), HOLDOUT, ["u"], "y", reference=0.8)
    assert result == {"accuracy": 0.0, "reference": 0.8, "relative": 0.0}


def test_same_seed_same_score_and_inputs_unchanged() -> None:
    rng = np.random.default_rng(0)
    noisy = pl.DataFrame(
        {
            "u": rng.choice(["a", "b", "c"], 200).tolist(),
            "v": rng.choice(["p", "q"], 200).tolist(),
            "y": rng.choice(["yes", "no"], 200).tolist(),
        }
    )
    before = noisy.clone()
    w = workload(noisy)
    first = ml_utility(w, ReleaseView(noisy), noisy.head(50), ["u", "v"], "y", seed=3)
    again = ml_utility(w, ReleaseView(noisy), noisy.head(50), ["u", "v"], "y", seed=3)
    assert first == again
    assert 0.0 <= first["accuracy"] <= 1.0
    assert noisy.equals(before)
