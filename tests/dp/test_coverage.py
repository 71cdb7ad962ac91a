"""Statistical check: released (1 − α) intervals cover the true value at rate ≥ 1 − α.

Each release goes through the whole path (ledger reservation, OpenDP run,
confirmation, interval from OpenDP's accuracy). With the calibration cached a
release costs ~15–30 ms here, so a few hundred of each fit in seconds.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

import privlab.dp as pdp

ALPHA = 0.05
REPEATS = 300  # per statistic


def _lower_limit(n: int) -> float:
    # coverage >= 1 - alpha, allowing three binomial standard errors of sampling noise
    return 1 - ALPHA - 3 * math.sqrt(ALPHA * (1 - ALPHA) / n)


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    rng = np.random.default_rng(11)
    return pl.DataFrame({"age": rng.integers(18, 90, 400), "score": rng.normal(50, 20, 400)})


@pytest.mark.slow
def test_count_and_mean_intervals_cover_the_truth(table: pl.DataFrame) -> None:
    true_count = table.height
    true_mean = table["score"].clip(0, 100).mean()  # the mean of the clipped values
    with pdp.DPSession(table, dataset="coverage", alpha=ALPHA) as s:
        pdp.set_budget("coverage", epsilon=1e6)
        count_hits = mean_hits = 0
        widths = []
        for _ in range(REPEATS):
            c = s.count(epsilon=0.5)
            count_hits += c["lower"][0] <= true_count <= c["upper"][0]
            m = s.mean("score", bounds=(0, 100), epsilon=1.0)
            mean_hits += m["lower"][0] <= true_mean <= m["upper"][0]
            widths.append(m["upper"][0] - m["lower"][0])
        assert s.ledger().height == 2 * REPEATS
    limit = _lower_limit(REPEATS)
    assert count_hits / REPEATS >= limit, (count_hits, limit)
    assert mean_hits / REPEATS >= limit, (mean_hits, limit)
    # and the intervals are informative, not the whole [0, 100]
    assert float(np.median(widths)) < 10
