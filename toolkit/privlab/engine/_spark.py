"""The Spark engine: polars over Arrow batches per partition, histograms to the driver.

Optional (``pip install 'privlab[spark]'``: pyspark ≥ 4 and a Java 17 runtime);
pyspark is imported only when a function here is called with a Spark DataFrame,
so ``import privlab`` never needs it.

- :func:`spark_map_batches` runs a per-row polars function on every partition
  with ``DataFrame.mapInArrow``: each Arrow record batch is wrapped by polars
  (zero-copy for numeric columns), transformed and handed back as Arrow. The
  function must not look at other rows (the design's *apply*), so the result
  equals the function applied to the whole table.
- :func:`spark_count_tuples` is a class histogram: ``groupBy(columns).count()``
  on the cluster, only the distinct tuples with their counts come to the driver.
- :func:`spark_sample` is a seeded sample for the release guard;
  :func:`spark_write` writes a Spark DataFrame to one Parquet folder atomically.

Examples
--------
>>> is_spark_frame([1, 2])
False
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from privlab.engine._local import COUNT
from privlab.exceptions import ColumnNotFoundError, EngineError, OutputError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "is_spark_frame",
    "spark_count_tuples",
    "spark_map_batches",
    "spark_read",
    "spark_sample",
    "spark_session",
    "spark_write",
]

BatchFunction = Callable[[pl.DataFrame], pl.DataFrame]


def is_spark_frame(obj: object) -> bool:
    """True for a ``pyspark.sql.DataFrame`` (classic or Connect), without importing pyspark.

    Examples
    --------
    >>> is_spark_frame(pl.DataFrame({"x": [1]}))
    False
    """
    kind = type(obj)
    return kind.__name__ == "DataFrame" and kind.__module__.startswith("pyspark.sql")


def _require(frame: Any) -> None:
    if not is_spark_frame(frame):
        raise EngineError(f"expected a pyspark.sql.DataFrame, got {type(frame).__name__}")
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:  # pragma: no cover - a Spark frame implies pyspark
        raise EngineError("the Spark engine needs pyspark: pip install 'privlab[spark]'") from exc


def _check_columns(frame: Any, columns: list[str]) -> None:
    names = list(frame.columns)
    for column in columns:
        if column not in names:
            raise ColumnNotFoundError(column, names, source="the Spark DataFrame")


def _spark_schema(schema: pl.Schema) -> Any:
    """The Spark schema of a polars schema (through Arrow)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    arrow = pl.DataFrame(schema=schema).to_arrow().schema
    return from_arrow_schema(_plain_arrow_schema(arrow))


def _plain_arrow_schema(schema: pa.Schema) -> pa.Schema:
    """Arrow view types (polars' strings) as plain large types Spark understands."""
    import pyarrow as pa

    fields = []
    for f in schema:
        kind = f.type
        if pa.types.is_string_view(kind) or pa.types.is_large_string(kind):
            kind = pa.string()
        elif pa.types.is_binary_view(kind) or pa.types.is_large_binary(kind):
            kind = pa.binary()
        fields.append(pa.field(f.name, kind, nullable=True))
    return pa.schema(fields)


def _to_arrow_batches(frame: pl.DataFrame, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    table = frame.to_arrow().cast(schema)
    yield from table.to_batches()


def spark_map_batches(frame: Any, function: BatchFunction, output_schema: pl.Schema) -> Any:
    """Apply a per-row polars *function* to every partition of a Spark *frame* (lazily).

    *function* takes and returns a polars DataFrame (one Arrow batch at a time)
    and must return *output_schema*; it is pickled to the executors, which must
    be able to import privlab (the driver's ``PYSPARK_PYTHON``).

    Examples
    --------
    The Spark tests (``tests/engine/test_spark.py``, mark ``spark``) run these; a
    session takes seconds to start, so the example is not run as a doctest:

    >>> frame = spark_session().createDataFrame([(34,), (51,)], ["age"])  # doctest: +SKIP
    >>> decade = lambda b: b.select((pl.col("age") // 10 * 10).alias("age"))
    >>> spark_map_batches(frame, decade, pl.Schema({"age": pl.Int64})).collect()  # doctest: +SKIP
    [Row(age=30), Row(age=50)]
    """
    _require(frame)
    spark_schema = _spark_schema(output_schema)
    arrow_schema = _plain_arrow_schema(pl.DataFrame(schema=output_schema).to_arrow().schema)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            out = function(pl.from_arrow(batch))  # type: ignore[arg-type]
            yield from _to_arrow_batches(out, arrow_schema)

    return frame.mapInArrow(run, spark_schema)


def spark_count_tuples(frame: Any, columns: list[str]) -> pl.DataFrame:
    """The class histogram of *columns* (``COUNT`` per distinct tuple), grouped on the cluster.

    Examples
    --------
    The Spark tests (``tests/engine/test_spark.py``, mark ``spark``) run these; a
    session takes seconds to start, so the example is not run as a doctest:

    >>> frame = spark_session().createDataFrame([("F",), ("F",), ("M",)], ["sex"])  # doctest: +SKIP
    >>> spark_count_tuples(frame, ["sex"]).sort("sex").rows()  # doctest: +SKIP
    [('F', 2), ('M', 1)]
    """
    _require(frame)
    _check_columns(frame, columns)
    counted = frame.groupBy(*columns).count().withColumnRenamed("count", COUNT)
    result = pl.from_arrow(counted.toArrow())
    assert isinstance(result, pl.DataFrame)
    return result.with_columns(pl.col(COUNT).cast(pl.Int64))


def spark_sample(frame: Any, n: int, *, seed: int = 0) -> pl.DataFrame:
    """A seeded sample of about *n* rows: the rows with the smallest seeded content hash.

    Deterministic for the same content (the hash covers every column and the
    seed), so the guard sees the same rows on every run.

    Examples
    --------
    The Spark tests (``tests/engine/test_spark.py``, mark ``spark``) run these; a
    session takes seconds to start, so the example is not run as a doctest:

    >>> frame = spark_session().range(100_000)  # doctest: +SKIP
    >>> spark_sample(frame, 10_000, seed=0).height  # doctest: +SKIP
    10000
    """
    _require(frame)
    from pyspark.sql import functions as F

    key = F.xxhash64(F.lit(int(seed)), *[F.col(f"`{c}`") for c in frame.columns])
    picked = frame.withColumn("__privlab_h__", key).orderBy("__privlab_h__").limit(int(n))
    result = pl.from_arrow(picked.drop("__privlab_h__").toArrow())
    assert isinstance(result, pl.DataFrame)
    return result


def spark_write(frame: Any, path: str | os.PathLike[str]) -> Path:
    """Write *frame* as a folder of Parquet files at *path*, atomically (local file system).

    Spark writes into a hidden temporary folder beside *path*, which is then
    renamed into place; on failure the temporary folder is removed and *path*
    is left as it was. An existing *path* is refused (a release never
    overwrites).

    Examples
    --------
    The Spark tests (``tests/engine/test_spark.py``, mark ``spark``) run these; a
    session takes seconds to start, so the example is not run as a doctest:

    >>> spark_write(spark_session().range(3), "/tmp/three.parquet")  # doctest: +SKIP
    PosixPath('/tmp/three.parquet')
    """
    _require(frame)
    target = Path(path).absolute()
    if target.exists():
        raise OutputError(f"refusing to write {str(target)!r}: it exists; choose a new path")
    if not target.parent.is_dir():
        raise OutputError(
            f"cannot write {str(target)!r}: the folder {str(target.parent)!r} is missing"
        )
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    staged = tmp / "data"
    try:
        frame.write.mode("error").parquet(str(staged))
        os.replace(staged, target)  # the last step: on any failure before it, target is absent
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def spark_session(master: str | None = None) -> Any:
    """A Spark session set up for Arrow exchange: the existing one, or a new one on *master*.

    *master* defaults to ``PRIVLAB_SPARK_MASTER`` or ``local[2]``; executors run
    this Python (``PYSPARK_PYTHON``).

    Examples
    --------
    The Spark tests (``tests/engine/test_spark.py``, mark ``spark``) run these; a
    session takes seconds to start, so the example is not run as a doctest:

    >>> spark_session().range(3).count()  # doctest: +SKIP
    3
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError(
            "the Spark engine needs pyspark and Java 17: pip install 'privlab[spark]' "
            "(and e.g. apt-get install openjdk-17-jre-headless)"
        ) from exc
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master or os.environ.get("PRIVLAB_SPARK_MASTER", "local[2]"))
        .appName("privlab")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
    )
    return builder.getOrCreate()


def spark_read(session: Any, path: str | os.PathLike[str], schema: pl.Schema, *,
               sep: str = ",") -> Any:  # fmt: skip
    """Read a CSV (with *schema*, as :func:`privlab.read` typed it) or Parquet file in Spark.

    Examples
    --------
    ``privlab anonymize --engine spark`` reads its input this way (the Spark
    tests run it; a session takes seconds to start, so this is not a doctest):

    >>> from privlab.io import read
    >>> schema = read("visits.csv").collect_schema()  # doctest: +SKIP
    >>> spark_read(spark_session(), "visits.csv", schema).count()  # doctest: +SKIP
    1000
    """
    name = os.fspath(path)
    if name.endswith((".parquet", ".pq")):
        return session.read.parquet(name)
    if name.endswith((".csv", ".tsv", ".txt")):
        reader = session.read.schema(_spark_schema(schema)).option("header", True)
        return reader.option("sep", sep).option("mode", "FAILFAST").csv(name)
    raise EngineError(f"the Spark engine reads CSV or Parquet files, got {name!r}")
