"""Engines that run privlab's per-row plans and histograms beyond one table in memory.

The **local engine** (:mod:`privlab.engine._local`) streams a file larger than
memory through polars on one machine: per-row plans are written with
``sink_parquet``, class histograms are counted batch by batch and merged, and
any mergeable statistic (profile statistics, a seeded sample) is accumulated in
the same pass. The **Spark engine** (:mod:`privlab.engine._spark`, optional:
``pip install 'privlab[spark]'``) runs the same per-row plans per partition
with ``mapInArrow`` (polars over Arrow batches) and brings class histograms back
from ``groupBy().count()``. Neither knows about recipes: the anonymizer, the risk
measures and the profile build on them.

Examples
--------
>>> import polars as pl
>>> from privlab.engine import count_tuples
>>> count_tuples(pl.LazyFrame({"zip": ["1", "1", "2"]}), ["zip"]).sort("zip").rows()
[('1', 2), ('2', 1)]
"""

from __future__ import annotations

from privlab.engine._local import (
    COUNT,
    BatchConsumer,
    KeyCounter,
    LocalEngine,
    Sampler,
    TupleCounter,
    count_tuples,
    detach,
    iter_batches,
    one_pass,
    parse_memory,
    sink,
)
from privlab.engine._rowhash import RowHasher
from privlab.engine._spark import (
    is_spark_frame,
    spark_count_tuples,
    spark_map_batches,
    spark_read,
    spark_sample,
    spark_session,
    spark_write,
)

__all__ = [
    "COUNT",
    "BatchConsumer",
    "KeyCounter",
    "LocalEngine",
    "RowHasher",
    "Sampler",
    "TupleCounter",
    "count_tuples",
    "detach",
    "is_spark_frame",
    "iter_batches",
    "one_pass",
    "parse_memory",
    "sink",
    "spark_count_tuples",
    "spark_map_batches",
    "spark_read",
    "spark_sample",
    "spark_session",
    "spark_write",
]
