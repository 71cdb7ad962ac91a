"""Microaggregation (fixed, MDAV) and seeded non-DP noise."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privlab.anonymize import AddNoise, Microaggregate
from privlab.anonymize._transforms_stats import fixed_groups, mdav_groups
from privlab.exceptions import RecipeError, SchemaMismatchError


def test_fixed_microaggregation_known_answer() -> None:
    df = pl.DataFrame({"x": [5, 1, 4, 2, 3, 100, None]})
    out = Microaggregate("x", k=3).fit_apply(df)["x"].to_list()
    # sorted: 1 2 3 | 4 5 100 -> means 2 and 36.33..
    assert out[:5] == [pytest.approx(109 / 3), 2.0, pytest.approx(109 / 3), 2.0, 2.0]
    assert out[5] == pytest.approx(109 / 3)
    assert out[6] is None
    median = Microaggregate("x", k=3, aggregate="median").fit_apply(df)["x"].to_list()
    assert median[:6] == [5.0, 2.0, 5.0, 2.0, 2.0, 5.0]


def test_remainder_joins_last_group() -> None:
    labels = fixed_groups(np.arange(7), 3)
    assert labels.tolist() == [0, 0, 0, 1, 1, 1, 1]
    assert fixed_groups(np.arange(2), 3).tolist() == [0, 0]


@settings(max_examples=30, deadline=None)
@given(
    points=st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)), min_size=1, max_size=60),
    k=st.integers(2, 6),
)
def test_mdav_groups_have_k_to_2k_minus_1_members(
    points: list[tuple[float, float]], k: int
) -> None:
    labels = mdav_groups(np.array(points, dtype=float), k)
    sizes = np.bincount(labels)
    assert (labels >= 0).all()
    if len(points) >= k:
        assert sizes.min() >= k
        assert sizes.max() <= 2 * k - 1
    else:
        assert sizes.tolist() == [len(points)]


def test_mdav_output_is_k_anonymous_on_the_aggregated_columns() -> None:
    rng = np.random.default_rng(0)
    df = pl.DataFrame({"h": rng.normal(170, 10, 200), "w": rng.normal(70, 12, 200)})
    out = Microaggregate(["h", "w"], k=4, method="mdav").fit_apply(df)
    counts = out.group_by(["h", "w"]).len()["len"]
    assert counts.min() >= 4
    # Means are preserved by mean-microaggregation.
    assert out["h"].mean() == pytest.approx(df["h"].mean())


def test_row_key_mapping_and_height_guard() -> None:
    df = pl.DataFrame({"id": ["a", "b", "c", "d"], "x": [1.0, 2.0, 10.0, 11.0]})
    fitted = Microaggregate("x", k=2, row_key="id").fit(df)
    shuffled = df.reverse()
    assert fitted.apply(shuffled)["x"].to_list() == [10.5, 10.5, 1.5, 1.5]
    by_position = Microaggregate("x", k=2).fit(df)
    with pytest.raises(pl.exceptions.InvalidOperationError):
        by_position.apply(df.head(3))
    with pytest.raises(pl.exceptions.InvalidOperationError):
        by_position.apply(pl.concat([df, df]))
    with pytest.raises(SchemaMismatchError, match="unique"):
        Microaggregate("x", k=2, row_key="id").fit(pl.DataFrame({"id": ["a", "a"], "x": [1, 2]}))


def test_microaggregate_validation() -> None:
    with pytest.raises(RecipeError, match=">= 2"):
        Microaggregate("x", k=1)
    with pytest.raises(SchemaMismatchError, match="numeric"):
        Microaggregate("x", k=2).fit(pl.DataFrame({"x": ["a", "b"]}))


def test_noise_is_documented_as_not_dp() -> None:
    assert "NOT differential privacy" in (AddNoise.__doc__ or "")
    assert "not differential privacy" in (AddNoise.Params.__doc__ or "")


@pytest.mark.parametrize(
    ("distribution", "std"),
    [("gaussian", 2.0), ("laplace", 2.0 * 2**0.5), ("uniform", 2.0 / 3**0.5)],
)
def test_noise_distribution_moments(distribution: str, std: float) -> None:
    df = pl.DataFrame({"x": np.zeros(20_000)})
    noise = AddNoise("x", scale=2.0, seed=11, distribution=distribution).fit_apply(df)["x"]
    assert abs(noise.mean()) < 0.1  # type: ignore[operator]
    assert noise.std() == pytest.approx(std, rel=0.05)


def test_noise_seeded_per_column_and_relative() -> None:
    df = pl.DataFrame({"a": [0.0] * 50, "b": [0.0] * 50, "c": np.arange(50.0)})
    out = AddNoise(["a", "b"], scale=1.0, seed=1).fit_apply(df)
    assert not out["a"].equals(out["b"])  # independent streams per column
    other_seed = AddNoise(["a"], scale=1.0, seed=2).fit_apply(df)
    assert not out["a"].equals(other_seed["a"])
    rel = AddNoise("c", scale=0.01, seed=1, relative=True).fit(df)
    assert rel.scales_["c"] == pytest.approx(0.01 * df["c"].std())
