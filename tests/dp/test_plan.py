"""Pure helpers of the plan layer: fixed-point factors, mean intervals, dyadic q."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from privlab.dp._answers import MeanNoise, mean_half_width, mean_interval
from privlab.dp._bounds import AUTO_EDGES, bounds_from_counts
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


def _dlap(rng: np.random.Generator, scale: float, size: int) -> np.ndarray:
    """OpenDP's integer Laplace: the difference of two geometric variables."""
    p = 1.0 - math.exp(-1.0 / scale)
    return (rng.geometric(p, size) - rng.geometric(p, size)).astype(float)


@given(
    s=st.floats(-1e6, 1e6),
    n=st.floats(-50.0, 5_000.0),
    scale_s=st.floats(0.5, 500.0),
    scale_n=st.floats(0.5, 20.0),
)
def test_mean_estimate_is_always_inside_its_interval_and_the_bounds(
    s: float, n: float, scale_s: float, scale_n: float
) -> None:
    noise = MeanNoise(scale_s, scale_n, 1.0, 0.0, (18.0, 90.0), 54.0)
    est, lo, hi = mean_interval(np.array([s]), np.array([n]), noise, 0.05)
    assert 18.0 <= lo[0] <= est[0] <= hi[0] <= 90.0


@pytest.mark.slow
def test_mean_interval_covers_at_the_stated_rate_under_openDP_noise() -> None:
    """Test inversion: coverage ≥ 95 % at the worst-case mean (values at a bound), and not
    much more: the non-randomized test of an integer-valued noise is conservative by the
    probability of its boundary atom (~1 %)."""
    rng = np.random.default_rng(5)
    draws, n_true, center, d_true = 2_000, 400, 54.0, 36.0  # every value at the upper bound
    s = d_true * n_true + _dlap(rng, 72.0, draws)
    n = n_true + _dlap(rng, 2.0, draws)
    _, lo, hi = mean_interval(s, n, MeanNoise(72.0, 2.0, 1.0, 0.0, (18.0, 90.0), center), 0.05)
    covered = float(np.mean((lo <= center + d_true) & (center + d_true <= hi)))
    assert 0.94 <= covered <= 0.985, covered


def test_mean_half_width_is_the_worst_case_error_quantile() -> None:
    rng = np.random.default_rng(6)
    rows, draws = 1_000, 200_000
    hw = mean_half_width(MeanNoise(72.0, 2.0, 1.0, 0.0, (18.0, 90.0), 54.0), rows, 0.05)
    d = 36.0 - hw  # the worst case: as far out as clipping does not help
    err = (_dlap(rng, 72.0, draws) - d * _dlap(rng, 2.0, draws)) / rows
    assert float(np.mean(np.abs(err) <= hw)) == pytest.approx(0.95, abs=0.003)


def test_dyadic_keeps_simple_quantiles() -> None:
    assert dyadic(0.5) == 0.5
    assert dyadic(0.25) == 0.25
    assert abs(dyadic(0.99) - 0.99) < 1 / 2048


def test_bounds_from_counts_known_answers() -> None:
    edges = [0.0, 10.0, 20.0, 30.0]
    assert bounds_from_counts(edges, [0, 5, 90, 60, 0], 50.0, 20.0)[:2] == (10.0, 30.0)
    assert bounds_from_counts(edges, [0, 0, 100, 0, 0], 50.0, 20.0)[:2] == (10.0, 20.0)
    # a significant neighbour extends the core; one beyond a gap does not
    assert bounds_from_counts(edges, [0, 30, 100, 0, 30], 50.0, 20.0)[:2] == (0.0, 20.0)
    # one noisy far bin below the core threshold and not adjacent cannot stretch the bounds
    assert bounds_from_counts(edges, [49, 0, 100, 0, 49], 50.0, 60.0)[:2] == (10.0, 20.0)
    # nothing clears it: the fullest bin, said in the note
    lo, hi, note = bounds_from_counts(edges, [1, 0, 3, 7, 0], 50.0, 20.0)
    assert (lo, hi) == (20.0, 30.0)
    assert "fullest" in note
    # only an unbounded tail bin: its finite neighbour
    assert bounds_from_counts(edges, [0, 0, 0, 0, 70], 50.0, 20.0)[:2] == (20.0, 30.0)
    assert bounds_from_counts(edges, [70, 0, 0, 0, 0], 50.0, 20.0)[:2] == (0.0, 10.0)


def test_auto_edges_are_symmetric_and_sorted() -> None:
    assert list(AUTO_EDGES) == sorted(AUTO_EDGES)
    assert 0.0 in AUTO_EDGES
    assert [-e for e in reversed(AUTO_EDGES)] == list(AUTO_EDGES)
