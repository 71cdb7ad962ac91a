"""The local engine: polars streaming, batched and mergeable, in bounded memory.

Three kinds of work scale to a file larger than memory on one machine:

- **applying** a per-row plan (a resolved recipe): polars' streaming engine
  writes it with ``sink_parquet`` (or CSV, NDJSON, Arrow) in bounded memory
  (:func:`sink`);
- **counting** the distinct tuples of a few columns (class histograms for the
  search, the risk measures and the release check): polars' streaming
  ``group_by`` grows with the number of groups (pola-rs/polars#25607), so the
  rows are read in batches, each batch is grouped, and the partial counts are
  merged (:class:`TupleCounter`) — memory is one batch plus O(distinct tuples);
- **anything mergeable** per batch (profile statistics, a seeded sample): a
  :class:`BatchConsumer` sees every batch once, and consumers built on different
  parts of the data merge (:meth:`TupleCounter.merge`), which is also how Spark
  partitions' partial results come back to the driver.

:func:`one_pass` drives any number of consumers over one read of the data, with
progress per batch.

Examples
--------
>>> import polars as pl
>>> data = pl.LazyFrame({"zip": ["1", "1", "2"], "sex": ["F", "F", "M"]})
>>> counter = TupleCounter(["zip", "sex"])
>>> one_pass(data, [counter], batch_rows=2, show=False)
3
>>> counter.result().sort("zip").rows()
[('1', 'F', 2), ('2', 'M', 1)]
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import polars as pl

from privlab._progress import ProgressCallback, progress
from privlab.exceptions import ColumnNotFoundError, ConfigError, MemoryLimitError
from privlab.io import write

__all__ = [
    "COUNT",
    "BatchConsumer",
    "KeyCounter",
    "LocalEngine",
    "Sampler",
    "TupleCounter",
    "count_tuples",
    "iter_batches",
    "one_pass",
    "parse_memory",
    "sink",
]

#: Name of the record-count column of every class histogram.
COUNT = "__privlab_n__"
_ROW = "__privlab_row__"
_DEFAULT_BATCH = 200_000
_UNITS = {
    "": 1, "B": 1, "K": 2**10, "KB": 10**3, "KIB": 2**10, "M": 2**20, "MB": 10**6,
    "MIB": 2**20, "G": 2**30, "GB": 10**9, "GIB": 2**30, "T": 2**40, "TB": 10**12,
    "TIB": 2**40,
}  # fmt: skip


def parse_memory(value: str | int) -> int:
    """A memory size in bytes from ``"1GiB"``, ``"512MB"``, ``"2G"`` or a number of bytes.

    Examples
    --------
    >>> parse_memory("1GiB"), parse_memory("512MB"), parse_memory(2**30)
    (1073741824, 512000000, 1073741824)
    """
    if isinstance(value, bool):
        raise ConfigError(f"a memory size must be a number or text like '1GiB', got {value!r}")
    if isinstance(value, int):
        number, unit = float(value), ""
    else:
        found = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", str(value))
        if found is None or found.group(2).upper() not in _UNITS:
            raise ConfigError(
                f"a memory size must look like '1GiB', '512MB' or '2G', got {value!r}"
            )
        number, unit = float(found.group(1)), found.group(2).upper()
    size = int(number * _UNITS[unit])
    if size < 64 * 2**20:
        raise ConfigError(f"a memory limit below 64 MiB cannot hold one batch, got {value!r}")
    return size


@dataclass(frozen=True)
class LocalEngine:
    """Settings of the local streaming engine.

    Attributes
    ----------
    memory_limit:
        Bytes the work may use (``None``: no limit). It sizes the batches
        (a sixteenth of the limit per batch) and bounds every histogram: a
        histogram that would outgrow half of it raises
        :class:`~privlab.exceptions.MemoryLimitError` instead of being killed.
    batch_rows:
        Rows per batch (default: from the memory limit and the row width,
        200,000 without a limit).
    show:
        Show progress bars (default: config).
    callback:
        Progress callback ``(stage, done, total)``.

    Examples
    --------
    >>> LocalEngine(memory_limit=parse_memory("1GiB")).histogram_budget()
    536870912
    """

    memory_limit: int | None = None
    batch_rows: int | None = None
    show: bool | None = None
    callback: ProgressCallback | None = None

    def rows_per_batch(self, schema: pl.Schema) -> int:
        """Rows per batch for a table of *schema*."""
        if self.batch_rows is not None:
            return max(1, int(self.batch_rows))
        if self.memory_limit is None:
            return _DEFAULT_BATCH
        width = sum(_width(dtype) for dtype in schema.dtypes()) or 8
        return int(min(1_000_000, max(10_000, self.memory_limit // 16 // width)))

    def histogram_budget(self) -> int | None:
        """Bytes a histogram may take (half the limit), or ``None``."""
        return None if self.memory_limit is None else self.memory_limit // 2


def detach(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy of a small *frame* that holds no reference to the batch it was taken from.

    polars strings are views into their batch's buffers: rows kept from many
    batches (a sample, distinct values) would keep every one of those batches
    alive, and memory would grow with the file.

    Examples
    --------
    >>> kept = detach(pl.DataFrame({"zip": ["02139", "94110"]}).head(1))
    >>> kept.rows()
    [('02139',)]
    """
    if not any(dtype in (pl.String, pl.Binary) for dtype in frame.dtypes):
        return frame
    copied = pl.from_arrow(frame.to_arrow(compat_level=pl.CompatLevel.oldest()))
    assert isinstance(copied, pl.DataFrame)
    return copied


def _width(dtype: pl.DataType) -> int:
    """A rough in-memory width per value (strings: 24 bytes of view plus their text)."""
    if dtype == pl.String or dtype == pl.Categorical:
        return 40
    if dtype.is_numeric() or dtype.is_temporal() or dtype == pl.Boolean:
        return 8
    return 32


def tuple_bytes(columns: int) -> int:
    """Memory one distinct tuple takes while counting.

    Measured: ~550 bytes for 5 columns, the partial counts, their merge and
    polars' group-by tables included.
    """
    return 96 * (columns + 1)


class BatchConsumer(Protocol):
    """Anything that accumulates a result from batches of rows."""

    def update(self, batch: pl.DataFrame, offset: int) -> None:
        """Take one batch; *offset* is the position of its first row in the whole table."""
        ...


class TupleCounter:
    """Counts the distinct tuples of *columns* batch by batch (a mergeable histogram).

    Each batch is grouped on its own; the partial counts are merged whenever
    they reach an eighth of the running total, so memory stays at one batch plus
    about 1.1× the distinct tuples, however many rows there are. With
    *max_bytes*, a histogram that outgrows it raises
    :class:`~privlab.exceptions.MemoryLimitError`.

    Examples
    --------
    >>> a, b = TupleCounter(["x"]), TupleCounter(["x"])
    >>> a.update(pl.DataFrame({"x": [1, 1, 2]}), 0)
    >>> b.update(pl.DataFrame({"x": [2]}), 3)
    >>> a.merge(b).result().sort("x").rows()
    [(1, 2), (2, 2)]
    """

    def __init__(
        self,
        columns: Sequence[str],
        *,
        weight: str | None = None,
        max_bytes: int | None = None,
    ) -> None:
        self.columns = list(columns)
        self.weight = weight
        self.max_bytes = max_bytes
        self.rows = 0
        self._total: pl.DataFrame | None = None
        self._parts: list[pl.DataFrame] = []
        self._pending = 0
        self._text: list[str] = []

    def update(self, batch: pl.DataFrame, offset: int = 0) -> None:
        """Count one batch."""
        missing = [c for c in self.columns if c not in batch.columns]
        if missing:
            raise ColumnNotFoundError(missing[0], batch.columns)
        count = pl.len() if self.weight is None else pl.col(self.weight).sum()
        # text as categorical codes while counting: 4 bytes per value in the partial
        # counts instead of the strings (the QIs' distinct values are few)
        self._text = self._text or [c for c in self.columns if batch.schema[c] == pl.String]
        part = (
            batch.lazy()
            .select(
                *[pl.col(c).cast(pl.Categorical) if c in self._text else pl.col(c)
                  for c in self.columns],
                *([pl.col(self.weight)] if self.weight is not None else []),
            )
            .group_by(self.columns)
            .agg(count.cast(pl.Int64).alias(COUNT))
            .collect()
        )  # fmt: skip
        self.rows += batch.height
        self._add(part)

    def merge(self, other: TupleCounter) -> TupleCounter:
        """Add *other*'s counts (e.g. another partition's); returns self."""
        if other.columns != self.columns:
            raise ValueError(f"cannot merge counts of {other.columns} into {self.columns}")
        self.rows += other.rows
        other._compact()
        if other._total is not None:
            self._text = self._text or other._text
            self._add(other._total)
        return self

    def _add(self, part: pl.DataFrame) -> None:
        self._parts.append(part)
        self._pending += part.height
        total = 0 if self._total is None else self._total.height
        # merge once the partial counts reach an eighth of the running total: the peak stays
        # within ~1.125× the final histogram whatever the number of rows (at the price of
        # more merges on tables with many distinct tuples)
        if self._pending > max(total // 8, 100_000):
            self._compact()

    def _compact(self) -> None:
        frames = ([self._total] if self._total is not None else []) + self._parts
        self._parts, self._pending = [], 0
        if not frames:
            return
        self._total = (
            pl.concat(frames, rechunk=False).group_by(self.columns).agg(pl.col(COUNT).sum())
        )
        needed = self._total.height * tuple_bytes(len(self.columns))
        if self.max_bytes is not None and needed > self.max_bytes:
            raise MemoryLimitError(
                f"the distinct tuples of {self.columns} ({self._total.height:,} after "
                f"{self.rows:,} rows, about {needed / 2**20:,.0f} MiB to count) outgrow "
                f"the {self.max_bytes / 2**20:,.0f} MiB this memory limit leaves for them; raise "
                "--memory-limit, use fewer or coarser columns, or run on Spark (--engine spark)"
            )

    def result(self) -> pl.DataFrame:
        """The histogram: one row per distinct tuple, its records in ``COUNT``."""
        self._compact()
        if self._total is None:
            return pl.DataFrame(schema={**dict.fromkeys(self.columns, pl.Null), COUNT: pl.Int64})
        return self._total.with_columns(pl.col(self._text).cast(pl.String))


class KeyCounter:
    """Counts a 64-bit key column in hash partitions, spilled to disk beyond a budget.

    For a histogram that may not fit in memory (e.g. every combination of a
    profile's quasi-identifiers, packed into one integer per row): each batch is
    grouped on the key and its (key, count) rows go to one of *partitions*
    buffers by a hash of the key; once the buffers hold more than a quarter of
    *max_bytes* they are written to a temporary folder. :meth:`partitions` then
    yields each partition's merged histogram in turn — keys of different
    partitions never meet — so memory is one partition's histogram, not the
    whole. Without *max_bytes* there is one partition, kept in memory. Use it as
    a context manager (the folder is removed on exit).

    Examples
    --------
    >>> with KeyCounter("k", max_bytes=1 << 20, partitions=4) as counter:
    ...     counter.update(pl.DataFrame({"k": [1, 2, 2, 3]}, schema={"k": pl.UInt64}))
    ...     counter.update(pl.DataFrame({"k": [3, 3]}, schema={"k": pl.UInt64}))
    ...     parts = list(counter.partitions())
    >>> sorted(row for part in parts for row in part.rows())
    [(1, 1), (2, 2), (3, 3)]
    """

    def __init__(self, column: str, *, max_bytes: int | None = None, partitions: int = 64) -> None:
        if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
            raise ValueError(f"`partitions` must be an integer >= 1, got {partitions!r}")
        self.column = column
        self.max_bytes = max_bytes
        self.count = 1 if max_bytes is None else 1 << max(0, (partitions - 1).bit_length())
        self.rows = 0
        self._buffers: list[list[np.ndarray]] = [[] for _ in range(self.count)]
        self._buffered = 0
        self._chunks = 0
        self._folder: Path | None = None

    def __enter__(self) -> KeyCounter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the spill folder and forget the buffers."""
        self._buffers = [[] for _ in range(self.count)]
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def update(self, batch: pl.DataFrame, offset: int = 0) -> None:
        """Count one batch (its *column*, an unsigned 64-bit key)."""
        if self.column not in batch.columns:
            raise ColumnNotFoundError(self.column, batch.columns)
        part = batch.group_by(self.column).agg(pl.len().cast(pl.Int64).alias(COUNT))
        self.rows += batch.height
        rows = np.empty(part.height, dtype=_KEY_COUNT)
        rows["k"] = part.get_column(self.column).cast(pl.UInt64).to_numpy()
        rows["c"] = part.get_column(COUNT).to_numpy()
        if self.count == 1:
            self._buffers[0].append(rows)
        else:
            shift = np.uint64(64 - (self.count.bit_length() - 1))
            # a multiplicative hash spreads packed codes (low bits vary most) over partitions
            which = (rows["k"] * np.uint64(0x9E3779B97F4A7C15)) >> shift
            order = np.argsort(which, kind="stable")
            bounds = np.searchsorted(which[order], np.arange(self.count + 1))
            for index in range(self.count):
                if bounds[index + 1] > bounds[index]:
                    self._buffers[index].append(rows[order[bounds[index] : bounds[index + 1]]])
        self._buffered += rows.nbytes
        if self.max_bytes is not None and self._buffered > self.max_bytes // 4:
            self._spill()
        elif self.count == 1 and len(self._buffers[0]) > 64:
            self._buffers[0] = [_merge_keys(self._buffers[0])]
            self._buffered = self._buffers[0][0].nbytes

    def _spill(self) -> None:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="privlab-spill-"))
        for index, parts in enumerate(self._buffers):
            if parts:
                np.save(self._folder / f"{index}-{self._chunks}.npy", np.concatenate(parts))
        self._chunks += 1
        self._buffers = [[] for _ in range(self.count)]
        self._buffered = 0

    def partitions(self) -> Iterator[pl.DataFrame]:
        """Each partition's histogram (*column*, ``COUNT``); the partitions' keys are disjoint."""
        for index in range(self.count):
            parts = list(self._buffers[index])
            if self._folder is not None:
                for chunk in sorted(self._folder.glob(f"{index}-*.npy")):
                    parts.append(np.load(chunk))
                    chunk.unlink()
            self._buffers[index] = []
            if not parts:
                continue
            merged = _merge_keys(parts)
            if self.max_bytes is not None and merged.nbytes * 4 > self.max_bytes:
                raise MemoryLimitError(
                    f"one of {self.count} partitions of the distinct keys holds {len(merged):,} "
                    f"of them (about {merged.nbytes * 4 / 2**20:,.0f} MiB to use), more than the "
                    f"{self.max_bytes / 2**20:,.0f} MiB this memory limit leaves; raise "
                    "--memory-limit"
                )
            yield pl.DataFrame({self.column: merged["k"], COUNT: merged["c"]})


_KEY_COUNT = np.dtype([("k", np.uint64), ("c", np.int64)])


def _merge_keys(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Sum the counts of equal keys over (key, count) record arrays."""
    rows = np.concatenate(parts)
    keys, inverse = np.unique(rows["k"], return_inverse=True)
    out = np.empty(len(keys), dtype=_KEY_COUNT)
    out["k"] = keys
    out["c"] = np.bincount(inverse, weights=rows["c"], minlength=len(keys)).astype(np.int64)
    return out


class Sampler:
    """A seeded uniform sample of *n* rows without replacement, batch by batch (mergeable).

    Each row gets a seeded 64-bit hash of its position in the whole table; the
    sample is the *n* rows with the smallest hashes (a bottom-k sketch), so it
    is the same whatever the batch sizes, and two samplers of different parts
    merge exactly.

    Examples
    --------
    >>> s = Sampler(2, seed=1)
    >>> s.update(pl.DataFrame({"x": [10, 20, 30, 40]}), 0)
    >>> s.result().height
    2
    """

    def __init__(self, n: int, *, seed: int = 0) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"`n` must be an integer >= 1, got {n!r}")
        self.n = n
        self.seed = seed
        self._kept: pl.DataFrame | None = None

    def update(self, batch: pl.DataFrame, offset: int) -> None:
        """Keep the batch's rows whose hashes are among the *n* smallest so far."""
        keyed = batch.with_columns(
            pl.int_range(offset, offset + batch.height, dtype=pl.UInt64)
            .hash(seed=self.seed)
            .alias(_ROW)
        ).bottom_k(self.n, by=_ROW)
        self._keep(keyed)

    def merge(self, other: Sampler) -> Sampler:
        """Combine with another part's sample; returns self."""
        if other._kept is not None:
            self._keep(other._kept)
        return self

    def _keep(self, keyed: pl.DataFrame) -> None:
        both = keyed if self._kept is None else pl.concat([self._kept, keyed], how="vertical")
        self._kept = detach(both.bottom_k(self.n, by=_ROW))

    def result(self) -> pl.DataFrame:
        """The sample, in a seeded random order (without the hash column)."""
        if self._kept is None:
            return pl.DataFrame()
        return self._kept.sort(_ROW).drop(_ROW)


def iter_batches(
    data: pl.LazyFrame,
    *,
    batch_rows: int = _DEFAULT_BATCH,
) -> Iterator[pl.DataFrame]:
    """The rows of *data* as DataFrames of about *batch_rows* rows, streamed.

    The reader may run ahead of a slow loop (batches are buffered); for bounded
    memory hand consumers to :func:`one_pass` instead.

    Examples
    --------
    >>> [b.height for b in iter_batches(pl.LazyFrame({"x": range(5)}), batch_rows=2)]
    [2, 2, 1]
    """
    yield from data.collect_batches(chunk_size=batch_rows, maintain_order=True)


def one_pass(
    data: pl.LazyFrame,
    consumers: Sequence[BatchConsumer],
    *,
    engine: LocalEngine | None = None,
    batch_rows: int | None = None,
    stage: str = "reading",
    show: bool | None = None,
    callback: ProgressCallback | None = None,
) -> int:
    """Read *data* once in batches and hand every batch to every consumer.

    Returns the number of rows read. Progress counts batches (the total is not
    known before the end of the file).

    Examples
    --------
    >>> counter, sample = TupleCounter(["sex"]), Sampler(2, seed=0)
    >>> one_pass(pl.LazyFrame({"sex": list("FFMF")}), [counter, sample], show=False)
    4
    >>> counter.result().sort("sex").rows(), sample.result().height
    ([('F', 3), ('M', 1)], 2)
    """
    engine = engine or LocalEngine()
    rows_per = batch_rows or engine.rows_per_batch(data.collect_schema())
    shown = engine.show if show is None else show
    offset = 0
    with progress(0, stage, show=shown, callback=callback or engine.callback, unit="batch") as bar:

        def take(batch: pl.DataFrame) -> bool | None:
            nonlocal offset
            for consumer in consumers:
                consumer.update(batch, offset)
            offset += batch.height
            bar.advance(stage=f"{stage}: {offset:,} rows")
            return None

        # sink_batches calls back inside the streaming engine, so reading waits for the
        # consumers (collect_batches reads ahead and buffers: memory grows with the file)
        data.sink_batches(take, chunk_size=rows_per, maintain_order=True, lazy=False)
    return offset


def count_tuples(
    data: pl.LazyFrame | pl.DataFrame,
    columns: Sequence[str],
    *,
    engine: LocalEngine | None = None,
    stage: str = "counting",
) -> pl.DataFrame:
    """The class histogram of *columns*: distinct tuples with their record count (``COUNT``).

    A ``DataFrame`` is grouped at once; a ``LazyFrame`` (a scan of a file of
    any size) is counted batch by batch in bounded memory.

    Examples
    --------
    >>> count_tuples(pl.LazyFrame({"a": [1, 1, 2]}), ["a"]).sort("a").rows()
    [(1, 2), (2, 1)]
    """
    engine = engine or LocalEngine()
    names = data.collect_schema().names()
    for column in columns:
        if column not in names:
            raise ColumnNotFoundError(column, names)
    if isinstance(data, pl.DataFrame):
        return data.group_by(list(columns)).agg(pl.len().cast(pl.Int64).alias(COUNT))
    counter = TupleCounter(columns, max_bytes=engine.histogram_budget())
    one_pass(data.select(list(columns)), [counter], engine=engine, stage=stage)
    return counter.result()


def sink(
    data: pl.LazyFrame,
    path: str | os.PathLike[str],
    *,
    source: str | os.PathLike[str] | None = None,
) -> Path:
    """Stream a per-row plan to *path* (format by extension), atomically.

    polars' streaming engine runs the plan batch by batch (``sink_parquet``,
    ``sink_csv``, ``sink_ndjson``, ``sink_ipc``), so the table never sits in
    memory whole; gzip-compressed targets cannot stream and are refused.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "out.parquet"
    >>> plan = pl.LazyFrame({"age": [31, 47]}).select((pl.col("age") // 10 * 10).alias("age"))
    >>> pl.read_parquet(sink(plan, out))["age"].to_list()
    [30, 40]
    """
    target = Path(path)
    if target.suffix.lower() == ".gz":
        raise ConfigError(
            f"cannot stream to {str(target)!r}: gzip output is written in memory; "
            "write .parquet (recommended), .csv, .ndjson or .arrow"
        )
    return write(data, target, source=source)
