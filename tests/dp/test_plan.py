"""Pure helpers of the plan layer: fixed-point factors, mean intervals, dyadic q."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from privlab.dp._answers import mean_interval
from privlab.dp._bounds import AUTO_EDGES, bounds_from_histogram
from privlab.dp._plan import dyadic, fixed_point_factor
from privlab.exceptions import DPQueryError


@given(
    st.floats(-1e9, 1e9),
    st.floats(1e-6, 1e9),
    st.integers(1, 2**40),
)
def test_fixed_point_never_overflows(lo: float, width: float, rows: int) -> None:
    hi = lo + width
    k = fixed_point_factor((lo, hi), rows, integer=False)
    assert rows * max(abs(lo), abs(hi)) * k <= 2.0**62
    assert math.log2(k) == int(math.log2(k))  # a power of two: exact scaling


def test_integer_columns_with_integer_bounds_are_not_scaled() -> None:
    assert fixed_point_factor((0, 120), 10**6, integer=True) == 1.0
    assert fixed_point_factor((0.5, 120), 10**6, integer=True) > 1.0
    with pytest.raises(DPQueryError, match="overflow"):
        fixed_point_factor((0, 2**40), 2**30, integer=True)


def test_mean_interval_contains_truth_when_components_do() -> None:
    # truth: sum 5000 over 100 values -> mean 50; noisy within the accuracies
    est, lo, hi = mean_interval(pl.Series([5040.0]), pl.Series([98.0]), 60.0, 3.0, 0.0, 100.0)
    assert lo[0] <= 50.0 <= hi[0]
    assert 0.0 <= lo[0] <= est[0] <= hi[0] <= 100.0


@given(
    s_true=st.floats(0, 1e5),
    n_true=st.integers(1, 10_000),
    ds=st.floats(-1.0, 1.0),
    dn=st.floats(-1.0, 1.0),
    a_s=st.floats(0.0, 1e4),
    a_n=st.floats(0.0, 50.0),
)
def test_mean_interval_is_valid_whenever_both_errors_are_within_accuracy(
    s_true: float, n_true: int, ds: float, dn: float, a_s: float, a_n: float
) -> None:
    lo_b, hi_b = 0.0, 100.0
    s_true = min(s_true, hi_b * n_true)
    s, n = s_true + ds * a_s, n_true + dn * a_n
    _, lo, hi = mean_interval(pl.Series([s]), pl.Series([n]), a_s, a_n, lo_b, hi_b)
    truth = s_true / n_true
    assert lo[0] - 1e-9 * (1 + abs(truth)) <= truth <= hi[0] + 1e-9 * (1 + abs(truth))


def test_mean_interval_with_nonpositive_count_falls_back_to_bounds() -> None:
    est, lo, hi = mean_interval(pl.Series([3.0]), pl.Series([-2.0]), 10.0, 5.0, -1.0, 1.0)
    assert est[0] is None
    assert (lo[0], hi[0]) == (-1.0, 1.0)


def test_dyadic_keeps_simple_quantiles() -> None:
    assert dyadic(0.5) == 0.5
    assert dyadic(0.25) == 0.25
    assert abs(dyadic(0.99) - 0.99) < 1 / 2048


def test_bounds_from_histogram_known_answers() -> None:
    edges = [0.0, 10.0, 20.0, 30.0]
    assert bounds_from_histogram(edges, [0, 5, 90, 5, 0], 0.01, 0.99) == (0.0, 30.0)
    assert bounds_from_histogram(edges, [0, 0, 100, 0, 0], 0.01, 0.99) == (10.0, 20.0)
    assert bounds_from_histogram(edges, [0, 0, 0, 0, 0], 0.01, 0.99) == (0.0, 30.0)
    lo, hi = bounds_from_histogram(edges, [0, 0, 0, 0, 7], 0.01, 0.99)
    assert lo < hi == 30.0


def test_auto_edges_are_symmetric_and_sorted() -> None:
    assert list(AUTO_EDGES) == sorted(AUTO_EDGES)
    assert 0.0 in AUTO_EDGES
    assert [-e for e in reversed(AUTO_EDGES)] == list(AUTO_EDGES)
