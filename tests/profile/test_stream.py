"""profile_stream: the in-memory profile from merged batch statistics and a seeded sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

import privlab as pv
from privlab.engine import LocalEngine
from privlab.profile import ColumnStats, HyperLogLog, profile_stream

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
