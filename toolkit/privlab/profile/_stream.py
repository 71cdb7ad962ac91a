"""Profiling a table larger than memory: statistics merged per batch, detectors on a sample.

:func:`profile_stream` gives the same :class:`~privlab.profile.Profile` as
:func:`~privlab.profile.profile` without holding the table:

- **pass 1** reads the file in batches (:mod:`privlab.engine`): per column the
  missing values and the value counts are merged batch by batch
  (:class:`ColumnStats`), and a seeded uniform sample (bottom-k of a seeded hash
  of the row position) is kept for the detectors. A column whose distinct values
  outgrow ``exact_limit`` (identifiers, free text) switches to a HyperLogLog
  sketch (16,384 registers, ±0.8 % standard error): its distinct count and
  uniqueness are then *estimates* and its entropy is the estimate's log2 — the
  column's evidence says ``"statistics": "estimated"``. Memory is one batch plus
  ``exact_limit`` values per column.
- the detectors run on the sample exactly as in memory (hierarchies are
  suggested from the column's distinct values when they are known exactly);
- **pass 2** counts the histogram of the detected quasi-identifiers; the
  smallest class, the unique share and every 1–3-column combination's sample
  uniques and minimal sample uniques follow from it exactly (a combination's
  class is a union of full-tuple classes, and a tuple seen twice is never
  unique), in memory O(distinct QI tuples).

Examples
--------
>>> import polars as pl
>>> stats = ColumnStats(["zip"])
>>> stats.update(pl.DataFrame({"zip": ["1", "1", None]}), 0)
>>> stats.update(pl.DataFrame({"zip": ["2"]}), 3)
>>> stats.result()["zip"]["distinct"], stats.result()["zip"]["null_share"]
(3, 0.25)
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import polars as pl

from privlab.engine import (
    COUNT,
    KeyCounter,
    LocalEngine,
    Sampler,
    TupleCounter,
    detach,
    one_pass,
)
from privlab.io import read
from privlab.profile._profile import _QI_LIMIT, Profile, _columns, _qi_risk_summary

__all__ = ["ColumnStats", "HyperLogLog", "profile_stream"]

_P = 14
_M = 1 << _P


class HyperLogLog:
    """A mergeable distinct-count sketch (HyperLogLog, 2**14 registers, seeded 64-bit hash).

    Examples
    --------
    >>> h = HyperLogLog()
    >>> h.add(pl.Series(range(100_000)))
    >>> abs(h.estimate() - 100_000) < 3_000
    True
    """

    def __init__(self) -> None:
        self.registers = np.zeros(_M, dtype=np.uint8)

    def add(self, values: pl.Series) -> None:
        """Add the values of a series (nulls count as one value, as ``n_unique`` does)."""
        if len(values) == 0:
            return
        h = values.hash(seed=0x7A3D).to_numpy().astype(np.uint64, copy=False)
        index = (h >> np.uint64(64 - _P)).astype(np.int64)
        rest = (h << np.uint64(_P)) | np.uint64(1 << (_P - 1))
        smear = rest.copy()
        for shift in (1, 2, 4, 8, 16, 32):
            smear |= smear >> np.uint64(shift)
        rank = (64 - np.bitwise_count(smear) + 1).astype(np.uint8)
        np.maximum.at(self.registers, index, rank)

    def merge(self, other: HyperLogLog) -> HyperLogLog:
        """The union of both sketches; returns self."""
        np.maximum(self.registers, other.registers, out=self.registers)
        return self

    def estimate(self) -> float:
        """The estimated number of distinct values."""
        alpha = 0.7213 / (1 + 1.079 / _M)
        raw = alpha * _M * _M / float(np.sum(2.0 ** -self.registers.astype(np.float64)))
        zeros = int(np.count_nonzero(self.registers == 0))
        if raw <= 2.5 * _M and zeros:
            return _M * float(np.log(_M / zeros))  # linear counting for small sets
        return raw


class ColumnStats:
    """Missing values, distinct values and entropy per column, merged batch by batch."""

    def __init__(self, columns: Sequence[str], *, exact_limit: int = 100_000) -> None:
        self.columns = list(columns)
        self.exact_limit = exact_limit
        self.rows = 0
        self.nulls = dict.fromkeys(self.columns, 0)
        self.counts: dict[str, pl.DataFrame | None] = dict.fromkeys(self.columns)
        self.sketches: dict[str, HyperLogLog] = {}

    def update(self, batch: pl.DataFrame, offset: int = 0) -> None:
        """Take one batch."""
        self.rows += batch.height
        for c in self.columns:
            column = batch.get_column(c)
            self.nulls[c] += column.null_count()
            sketch = self.sketches.get(c)
            if sketch is not None:
                sketch.add(column)
                continue
            counts = column.value_counts(name=COUNT).with_columns(pl.col(COUNT).cast(pl.Int64))
            current = self.counts[c]
            merged = (
                counts
                if current is None
                else pl.concat([current, counts]).group_by(c).agg(pl.col(COUNT).sum())
            )
            merged = detach(merged)  # keep no batch alive through its string views
            if merged.height > self.exact_limit:
                sketch = HyperLogLog()
                sketch.add(merged.get_column(c))
                self.sketches[c] = sketch
                self.counts[c] = None
            else:
                self.counts[c] = merged

    def distinct_values(self, column: str) -> pl.Series | None:
        """The column's distinct values when they are known exactly."""
        counts = self.counts.get(column)
        return None if counts is None else counts.get_column(column)

    def result(self) -> dict[str, dict[str, Any]]:
        """Per column: ``null_share``, ``distinct``, ``uniqueness``, ``entropy``, ``exact``."""
        n = self.rows
        out: dict[str, dict[str, Any]] = {}
        for c in self.columns:
            counts = self.counts[c]
            if counts is not None:
                distinct = counts.height
                freq = counts.get_column(COUNT).to_numpy().astype(np.float64)
                p = freq / freq.sum() if freq.sum() else freq
                entropy = float(-(p * np.log2(p)).sum()) if len(p) else 0.0
                exact = True
            else:
                distinct = round(min(self.sketches[c].estimate(), n))
                entropy = float(np.log2(distinct)) if distinct else 0.0
                exact = False
            out[c] = {
                "null_share": self.nulls[c] / n if n else 0.0,
                "distinct": distinct,
                "uniqueness": distinct / n if n else 0.0,
                "entropy": entropy,
                "exact": exact,
            }
        return out


def _codes(stats: ColumnStats, qis: Sequence[str]) -> list[tuple[str, list[str], int]] | None:
    """Per QI: its distinct values as text and the bit offset of its code in a packed key.

    A value's code is its position among the column's sorted distinct values plus
    one (0: missing). ``None`` when a QI's values are not known exactly (more than
    ``exact_limit`` of them) or the codes need more than 64 bits together.
    """
    out, offset = [], 0
    for q in qis:
        values = stats.distinct_values(q)
        if values is None:
            return None
        texts = sorted(set(values.drop_nulls().cast(pl.String).to_list()))
        out.append((q, texts, offset))
        offset += (len(texts) + 1).bit_length()
    return out if offset <= 64 else None


def _key(codes: Sequence[tuple[str, list[str], int]]) -> pl.Expr:
    """The packed key of a row: every QI's code at its bit offset (exact, no hashing)."""
    key = pl.lit(0, dtype=pl.UInt64)
    for q, texts, offset in codes:
        code = pl.col(q).cast(pl.String).cast(pl.Enum(texts)).to_physical().cast(pl.UInt64) + 1
        key = key + code.fill_null(0) * pl.lit(1 << offset, dtype=pl.UInt64)
    return key.alias("__key")


def _unpack(part: pl.DataFrame, codes: Sequence[tuple[str, list[str], int]]) -> pl.DataFrame:
    """A partition of packed keys back to one code column per QI (codes compare as values)."""
    keys = part.get_column("__key").to_numpy()
    columns = {}
    for i, (q, _texts, offset) in enumerate(codes):
        width = (codes[i + 1][2] if i + 1 < len(codes) else 64) - offset
        mask = np.uint64((1 << width) - 1) if width < 64 else np.uint64(2**64 - 1)
        columns[q] = ((keys >> np.uint64(offset)) & mask).astype(np.int64)
    return pl.DataFrame({**columns, COUNT: part.get_column(COUNT)})


def _streamed_qi_risk(
    lazy: pl.LazyFrame,
    ranked: Sequence[str],
    n: int,
    stats: ColumnStats,
    engine: LocalEngine,
) -> dict[str, Any]:
    """:func:`privlab.profile` 's ``qi_risk`` from one more streamed pass, exactly.

    Every row becomes one integer — its QIs' codes packed side by side — and the
    distinct integers are counted in hash partitions spilled to disk beyond the
    memory limit (:class:`~privlab.engine.KeyCounter`): the figures on all QIs
    are sums over partitions, and each 1–3-column combination's histogram is
    accumulated from the partitions (it is at most the size of that
    combination's distinct values). When a QI's values are not known exactly or
    the codes need more than 64 bits, the histogram of the values themselves is
    counted instead (memory O(distinct QI tuples)).
    """
    qis = list(ranked)[:_QI_LIMIT]
    if not qis or n == 0:
        return _qi_risk_summary(qis, 0, 0, 0, None)
    codes = _codes(stats, qis)
    combos = [c for size in (1, 2, 3) for c in itertools.combinations(qis, size)]
    counters = {c: TupleCounter(list(c), weight=COUNT) for c in combos}
    min_class, unique = n, 0

    def take(parts: Iterable[pl.DataFrame]) -> None:
        nonlocal min_class, unique
        for part in parts:
            sizes = part.get_column(COUNT)
            min_class = min(min_class, int(sizes.min()))  # type: ignore[arg-type]
            unique += int((sizes == 1).sum())
            for combo, counter in counters.items():
                counter.update(part.select(*combo, COUNT))

    if codes is None:
        counter = TupleCounter(qis, max_bytes=engine.histogram_budget())
        one_pass(lazy.select(qis), [counter], engine=engine, stage="profiling QI risk")
        take([counter.result()])
    else:
        with KeyCounter("__key", max_bytes=engine.histogram_budget()) as keys:
            one_pass(lazy.select(_key(codes)), [keys], engine=engine, stage="profiling QI risk")
            take(_unpack(part, codes) for part in keys.partitions())
    found = _combinations({c: counters[c].result() for c in combos}, n)
    return _qi_risk_summary(qis, n, min_class, unique, found)


def _combinations(hists: dict[tuple[str, ...], pl.DataFrame], n: int) -> pl.DataFrame:
    """:attr:`privlab.risk.SampleUniques.combinations` from each combination's histogram.

    A record alone on a combination is the one record of a class of size 1, so
    it is known by its values there; it is a *minimal* sample unique when every
    sub-combination one column smaller puts it in a class of 2 or more (SUDA2's
    definition, as :func:`privlab.risk.minimal_sample_uniques` checks it per record).
    """
    rows = []
    for combo, hist in hists.items():
        single = hist.filter(pl.col(COUNT) == 1).select(combo)
        minimal = single
        if len(combo) > 1:
            for sub in itertools.combinations(combo, len(combo) - 1):
                shared = hists[sub].filter(pl.col(COUNT) > 1).select(sub)
                minimal = minimal.join(shared, on=list(sub), how="semi", nulls_equal=True)
        unique, msu = single.height, minimal.height
        rows.append(
            {
                "columns": list(combo),
                "size": len(combo),
                "unique_records": unique,
                "msu_records": msu,
                "unique_share": unique / n,
                "msu_share": msu / n,
                "min_class_size": int(hist.get_column(COUNT).min()),  # type: ignore[arg-type]
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "columns": pl.List(pl.String),
            "size": pl.Int64,
            "unique_records": pl.Int64,
            "msu_records": pl.Int64,
            "unique_share": pl.Float64,
            "msu_share": pl.Float64,
            "min_class_size": pl.Int64,
        },
    )


def profile_stream(
    data: Any,
    *,
    sample_size: int = 10_000,
    seed: int = 0,
    qi_analysis: bool = True,
    engine: LocalEngine | None = None,
    exact_limit: int = 100_000,
    **read_kwargs: Any,
) -> Profile:
    """Profile a file of any size in two streamed passes (see the module docstring).

    Parameters
    ----------
    data:
        A path (CSV, Parquet, NDJSON, Arrow) or a polars LazyFrame.
    sample_size, seed:
        The seeded sample the detectors examine.
    qi_analysis:
        Count the QI histogram (second pass) for the QI risk.
    engine:
        :class:`~privlab.engine.LocalEngine` settings (memory limit, batch size).
    exact_limit:
        Distinct values per column kept exactly before switching to a sketch.
    **read_kwargs:
        Passed to :func:`privlab.read` for a path (``sep``, ``encoding`` …).

    Returns
    -------
    Profile
        What :func:`privlab.profile` returns for the same table; distinct counts
        of columns with more than *exact_limit* values are estimates (their
        evidence says ``"statistics": "estimated"``).

    Examples
    --------
    >>> import polars as pl
    >>> from privlab.engine import LocalEngine
    >>> data = pl.LazyFrame({"zip": ["02139", "02141", "02139", "94110"] * 50,
    ...                      "age": [34, 51, 34, 29] * 50})
    >>> p = profile_stream(data, engine=LocalEngine(batch_rows=64, show=False))
    >>> p.rows, p.column("zip").distinct, p.qi_risk["min_class_size"]
    (200, 3, 50)
    """
    engine = engine or LocalEngine()
    clock = time.perf_counter()
    lazy = data if isinstance(data, pl.LazyFrame) else read(data, **read_kwargs)
    schema = lazy.collect_schema()
    plain = [c for c, t in schema.items() if not (t.is_nested() or t == pl.Object)]
    stats_acc = ColumnStats(plain, exact_limit=exact_limit)
    sampler = Sampler(sample_size, seed=seed)
    n = one_pass(lazy, [stats_acc, sampler], engine=engine, stage="profiling statistics")
    timings = {"statistics": time.perf_counter() - clock}
    stats = stats_acc.result()
    for c in schema.names():
        stats.setdefault(c, {"null_share": 0.0, "distinct": 0, "uniqueness": 0.0, "entropy": 0.0})
    sample = sampler.result()
    if sample.width == 0:
        sample = pl.DataFrame(schema=schema)

    def values_of(column: str) -> pl.Series:
        exact = stats_acc.distinct_values(column)
        return exact if exact is not None else sample.get_column(column)

    mark = time.perf_counter()
    columns = _columns(stats, sample, values_of, n)
    for found in columns:
        if not stats[found.name].get("exact", True):
            found.evidence["statistics"] = "estimated"
    timings["detectors"] = time.perf_counter() - mark
    mark = time.perf_counter()
    qis = [c.name for c in columns if c.role == "quasi_identifier"]
    ranked = sorted(qis, key=lambda q: -stats[q]["entropy"])[:_QI_LIMIT]
    risk: dict[str, Any] = {}
    if qi_analysis:
        risk = _streamed_qi_risk(lazy, ranked, n, stats_acc, engine)
    timings["qi_risk"] = time.perf_counter() - mark
    return Profile(
        rows=n,
        columns=columns,
        qi_risk=risk,
        sample_size=sample.height,
        seed=seed,
        timings=timings,
    )
