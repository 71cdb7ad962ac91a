"""The local engine: batched counts, the seeded sample, the streamed fingerprint, limits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from privlab.engine import (
    COUNT,
    KeyCounter,
    LocalEngine,
    RowHasher,
    Sampler,
    TupleCounter,
    count_tuples,
    one_pass,
    parse_memory,
)
from privlab.exceptions import ConfigError, MemoryLimitError

rows = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", None]), st.integers(0, 4)), min_size=1, max_size=200
)


@settings(max_examples=60, deadline=None)
@given(rows, st.integers(1, 50))
def test_batched_counts_equal_one_group_by(data: list[tuple[str | None, int]], batch: int) -> None:
    """Whatever the batch size, merged partial counts are the table's exact histogram."""
    frame = pl.DataFrame(data, schema={"x": pl.String, "y": pl.Int64}, orient="row")
    counted = count_tuples(frame.lazy(), ["x", "y"], engine=LocalEngine(batch_rows=batch))
    expected = frame.group_by("x", "y").agg(pl.len().cast(pl.Int64).alias(COUNT))
    assert_frame_equal(counted.sort("x", "y"), expected.sort("x", "y"))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 300), st.integers(1, 40), st.integers(1, 60))
def test_sample_does_not_depend_on_batches(n_rows: int, size: int, batch: int) -> None:
    """The seeded bottom-k sample is the same rows whether read in one batch or many."""
    frame = pl.DataFrame({"i": range(n_rows)})
    whole, parts = Sampler(size, seed=5), Sampler(size, seed=5)
    whole.update(frame, 0)
    one_pass(frame.lazy(), [parts], batch_rows=batch, show=False)
    assert whole.result()["i"].to_list() == parts.result()["i"].to_list()
    assert parts.result().height == min(size, n_rows)
    assert parts.result()["i"].n_unique() == parts.result().height  # without replacement


def test_samples_of_two_halves_merge_into_the_whole_sample() -> None:
    frame = pl.DataFrame({"i": range(1000)})
    whole, left, right = Sampler(50, seed=1), Sampler(50, seed=1), Sampler(50, seed=1)
    whole.update(frame, 0)
    left.update(frame[:400], 0)
    right.update(frame[400:], 400)
    assert left.merge(right).result()["i"].to_list() == whole.result()["i"].to_list()
    assert Sampler(50, seed=2).result().height == 0


def test_streamed_fingerprint_ignores_row_order_and_batching() -> None:
    frame = pl.DataFrame({"a": [1, 2, 3, 4], "b": ["wolf", "xeno", "yak", "zebra"]})
    one, two, other = RowHasher(), RowHasher(), RowHasher()
    one.update(frame, 0)
    one_pass(frame.reverse().lazy(), [two], batch_rows=1, show=False)
    other.update(frame.with_columns(pl.col("a").replace(4, 5)), 0)
    assert one.result() == two.result()
    assert other.result()["content_hash"] != one.result()["content_hash"]
    assert one.result()["rows"] == 4
    assert "wolf" not in str(one.result())  # hashes, never values


def test_histogram_beyond_its_memory_budget_is_refused_not_killed() -> None:
    """A histogram that outgrows the limit's share raises MemoryLimitError naming the columns."""
    frame = pl.LazyFrame({"id": [f"identifier-{i:012d}" for i in range(400_000)]})
    with pytest.raises(MemoryLimitError, match=r"distinct tuples of \['id'\]"):
        count_tuples(frame, ["id"], engine=LocalEngine(memory_limit=parse_memory("64MiB")))


def test_counter_merge_adds_partitions() -> None:
    a, b = TupleCounter(["x"]), TupleCounter(["x"])
    a.update(pl.DataFrame({"x": ["p", "q"]}), 0)
    b.update(pl.DataFrame({"x": ["q", "q"]}), 0)
    assert sorted(a.merge(b).result().rows()) == [("p", 1), ("q", 3)]
    assert a.rows == 4
    with pytest.raises(ValueError, match="cannot merge"):
        a.merge(TupleCounter(["y"]))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1GiB", 2**30), ("1.5 GB", 1_500_000_000), ("512MiB", 2**29), ("2g", 2 * 2**30)],
)
def test_parse_memory(text: str, expected: int) -> None:
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text", ["lots", "1 PB", "-1GB", "10MB", True])
def test_parse_memory_refuses(text: object) -> None:
    with pytest.raises(ConfigError):
        parse_memory(text)  # type: ignore[arg-type]


def test_batches_follow_the_memory_limit(tmp_path: Path) -> None:
    schema = pl.Schema({"a": pl.String, "b": pl.Int64})
    small = LocalEngine(memory_limit=parse_memory("256MiB")).rows_per_batch(schema)
    large = LocalEngine(memory_limit=parse_memory("4GiB")).rows_per_batch(schema)
    assert 10_000 <= small < large <= 1_000_000


def test_key_counter_spills_partitions_and_counts_exactly(tmp_path: Path) -> None:
    """Over its budget the counter writes disjoint hash partitions to disk; read back and
    merged they are the exact histogram, and nothing is left on disk afterwards."""
    rng = np.random.default_rng(9)
    keys = rng.integers(0, 50_000, 300_000).astype(np.uint64)
    frame = pl.DataFrame({"k": keys})
    with KeyCounter("k", max_bytes=1 << 20, partitions=16) as counter:
        for start in range(0, frame.height, 25_000):
            counter.update(frame[start : start + 25_000])
        folder = counter._folder
        assert folder is not None
        assert len(list(folder.glob("*.npy"))) > 16  # spilled more than once
        parts = list(counter.partitions())
    assert not folder.exists()
    assert 1 < len(parts) <= 16
    seen = [set(p["k"].to_list()) for p in parts]
    assert sum(len(s) for s in seen) == len(set().union(*seen))  # disjoint partitions
    merged = pl.concat(parts).sort("k")
    expected = frame.group_by("k").len().sort("k")
    assert merged["k"].to_list() == expected["k"].to_list()
    assert merged[COUNT].to_list() == expected["len"].to_list()
