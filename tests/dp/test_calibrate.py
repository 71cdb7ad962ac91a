"""Fast calibration returns what OpenDP's own search would, in a few constructions."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

dp = pytest.importorskip("opendp.prelude")


@pytest.fixture(scope="module")
def space() -> tuple[Any, Any, Any, pl.LazyFrame]:
    dp.enable_features("contrib")
    lf = pl.LazyFrame({"g": ["a", "b"] * 50, "x": [1.0, 2.0] * 50})
    domain = dp.with_margin(dp.domain_of(lf, infer=True), dp.polars.Margin(by=[], max_length=1000))
    return domain, dp.symmetric_distance(), dp.approximate(dp.max_divergence()), lf


def _maker(space: Any, plan: pl.LazyFrame, counter: list[int]) -> Any:
    domain, metric, measure, _ = space

    def make(scale: float | None, threshold: int | None) -> Any:
        counter.append(1)
        return dp.m.make_private_lazyframe(
            domain, metric, measure, plan, global_scale=scale, threshold=threshold
        )

    return make


@pytest.mark.parametrize("epsilon", [0.01, 0.3, 1.0, 7.5])
def test_scale_matches_opendp_within_a_hair(space: Any, epsilon: float) -> None:
    from privlab.dp._calibrate import calibrate

    lf = space[3]
    plan = lf.select(dp.len(signed=True), pl.col("x").dp.sum((0.0, 2.0)))
    calls: list[int] = []
    cal = calibrate(_maker(space, plan, calls), 1, epsilon, 0.0)
    assert cal.epsilon <= epsilon
    assert cal.epsilon > epsilon * (1 - 1e-9)  # tight: no noise wasted
    assert cal.measurement.check(1, (epsilon, 0.0))
    assert len(calls) <= 4  # OpenDP's own search makes ~1,100
    assert cal.threshold is None


def test_threshold_found_for_stable_keys(space: Any) -> None:
    from privlab.dp._calibrate import calibrate

    plan = space[3].group_by("g").agg(dp.len(signed=True))
    cal = calibrate(_maker(space, plan, []), 1, 1.0, 1e-7)
    assert cal.threshold is not None
    assert cal.threshold > 0
    assert cal.delta <= 1e-7
    # one less and delta would be exceeded: the threshold is the smallest that fits
    domain, metric, measure, _ = space
    smaller = dp.m.make_private_lazyframe(
        domain, metric, measure, plan, global_scale=cal.scale, threshold=cal.threshold - 1
    )
    assert smaller.map(1)[1] > 1e-7


def test_stable_keys_need_delta(space: Any) -> None:
    from privlab.dp._calibrate import calibrate

    plan = space[3].group_by("g").agg(dp.len(signed=True))
    with pytest.raises(ValueError, match="delta > 0"):
        calibrate(_maker(space, plan, []), 1, 1.0, 0.0)


def test_invalid_plan_raises_opendp_error(space: Any) -> None:
    from privlab.dp._calibrate import calibrate

    plan = space[3].select(pl.col("x").sum())  # no noise: not a private plan
    with pytest.raises(Exception, match=r"(?i)recogni|privacy|noise|not"):
        calibrate(_maker(space, plan, []), 1, 1.0, 0.0)


def test_nonpositive_epsilon_rejected(space: Any) -> None:
    from privlab.dp._calibrate import calibrate

    with pytest.raises(ValueError, match="`epsilon` must be a finite number > 0"):
        calibrate(_maker(space, space[3].select(dp.len(signed=True)), []), 1, 0.0, 0.0)
