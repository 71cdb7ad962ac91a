"""profile_stream: the in-memory profile from merged batch statistics and a seeded sample."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import privlab as pv
from privlab.engine import LocalEngine
from privlab.profile import ColumnStats, HyperLogLog, profile_stream
from privlab.profile._profile import _qi_risk
from privlab.profile._stream import _streamed_qi_risk

SAMPLES = Path(__file__).resolve().parents[2] / "data_samples"


def test_streamed_profile_equals_the_in_memory_profile() -> None:
    """Batches of 700 rows: the same statistics, types, roles and QI risk as pv.profile."""
    mine = pv.profile(SAMPLES / "patients.csv").to_dict()
    streamed = profile_stream(SAMPLES / "patients.csv", engine=LocalEngine(batch_rows=700))
    theirs = streamed.to_dict()
    assert theirs["qi_risk"] == mine["qi_risk"]
    assert theirs["columns"] == mine["columns"]


def test_statistics_merge_exactly_below_the_limit_and_estimate_above() -> None:
    rng = np.random.default_rng(3)
    frame = pl.DataFrame(
        {"id": [f"r{i}" for i in range(50_000)], "grade": rng.integers(0, 5, 50_000)}
    )
    stats = ColumnStats(["id", "grade"], exact_limit=10_000)
    for start in range(0, 50_000, 7_000):
        stats.update(frame[start : start + 7_000], start)
    out = stats.result()
    assert out["grade"]["exact"] is True
    assert out["grade"]["distinct"] == 5
    counts = frame["grade"].value_counts()["count"].to_numpy() / 50_000
    assert out["grade"]["entropy"] == pytest.approx(float(-(counts * np.log2(counts)).sum()))
    assert out["id"]["exact"] is False
    assert abs(out["id"]["distinct"] - 50_000) < 50_000 * 0.03
    assert stats.distinct_values("id") is None


def test_hyperloglog_merges_like_a_union() -> None:
    a, b, both = HyperLogLog(), HyperLogLog(), HyperLogLog()
    a.add(pl.Series(range(0, 60_000)))
    b.add(pl.Series(range(30_000, 90_000)))
    both.add(pl.Series(range(0, 90_000)))
    assert a.merge(b).estimate() == both.estimate()
    assert abs(both.estimate() - 90_000) < 90_000 * 0.03
    assert HyperLogLog().estimate() == 0.0


_qi_frames = st.integers(min_value=1, max_value=400).flatmap(
    lambda n: st.tuples(
        st.lists(st.sampled_from(["F", "M", None]), min_size=n, max_size=n),
        st.lists(st.integers(18, 30), min_size=n, max_size=n),
        st.lists(st.sampled_from(["02139", "94110", "10001", None]), min_size=n, max_size=n),
        st.lists(st.integers(0, 3), min_size=n, max_size=n),
    )
)


@settings(max_examples=25, deadline=None)
@given(columns=_qi_frames, spill=st.booleans(), exact_limit=st.sampled_from([3, 100_000]))
def test_streamed_qi_risk_equals_the_in_memory_figures(
    columns: tuple[list[Any], ...], spill: bool, exact_limit: int
) -> None:
    """Invariant: the streamed QI risk — packed keys counted in spilled partitions, or (more
    than *exact_limit* values in a QI) the values' histogram — equals the in-memory figures
    (CombinationClasses and SUDA2's minimal sample uniques on every row)."""
    frame = pl.DataFrame(
        dict(zip(["sex", "age", "zip", "grade"], columns, strict=True)),
        schema={"sex": pl.String, "age": pl.Int64, "zip": pl.String, "grade": pl.Int64},
    )
    qis = ["zip", "age", "sex", "grade"]
    stats = ColumnStats(qis, exact_limit=exact_limit)
    stats.update(frame, 0)
    # a tiny limit spills every batch to disk and spreads the keys over 64 partitions
    packed = exact_limit > 3  # else the values' histogram, which is never spilled
    engine = LocalEngine(memory_limit=4096 if spill and packed else None, batch_rows=97)
    streamed = _streamed_qi_risk(frame.lazy(), qis, frame.height, stats, engine)
    assert streamed == _qi_risk(frame, qis)


def test_streamed_profile_qi_risk_is_bounded_by_the_limit_not_the_histogram() -> None:
    """200,000 rows nearly all distinct on four QIs: the packed histogram spills to disk
    under a 4 MiB histogram budget instead of being refused, with the in-memory answer."""
    rng = np.random.default_rng(5)
    n = 200_000
    frame = pl.DataFrame(
        {
            "zip": rng.integers(0, 1000, n).astype(str),
            "age": rng.integers(0, 100, n),
            "day": rng.integers(0, 366, n),
            "sex": rng.choice(["F", "M"], n),
        }
    )
    qis = ["zip", "age", "day", "sex"]
    stats = ColumnStats(qis)
    stats.update(frame, 0)
    engine = LocalEngine(memory_limit=8 * 2**20, batch_rows=20_000)
    assert _streamed_qi_risk(frame.lazy(), qis, n, stats, engine) == _qi_risk(frame, qis)
