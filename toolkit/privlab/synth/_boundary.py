"""The polars ↔ pandas boundary: the only place privlab.synth touches pandas.

``to_sdv`` turns a polars table into the pandas frame SDV fits on (dates held as
text are parsed first, categoricals become text); ``from_sdv`` turns SDV's output
back into polars with the input's dtypes and formats.
"""

from __future__ import annotations

import hashlib
from typing import Any

import polars as pl

from privlab.exceptions import SynthesisError, UnsupportedFormatError
from privlab.io import read
from privlab.synth._metadata import TablePlan

__all__ = ["as_polars", "content_fingerprint", "from_sdv", "to_sdv"]


def as_polars(data: Any, *, name: str = "data") -> pl.DataFrame:
    """A polars DataFrame from a polars/pandas frame, a LazyFrame or a file path."""
    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, pl.LazyFrame):
        return data.collect()
    module = type(data).__module__
    if module.startswith("pandas") and hasattr(data, "columns"):
        return pl.from_pandas(data)
    if isinstance(data, str) or hasattr(data, "__fspath__"):
        return read(data).collect()
    raise UnsupportedFormatError(
        f"table {name!r} must be a polars DataFrame/LazyFrame, a pandas DataFrame or a "
        f"file path, got {type(data).__name__!r}"
    )


def content_fingerprint(df: pl.DataFrame) -> str:
    """``sha256:<hex>`` of a table's schema and row contents (row order included).

    Examples
    --------
    >>> import polars as pl
    >>> a = content_fingerprint(pl.DataFrame({"x": [1, 2]}))
    >>> a == content_fingerprint(pl.DataFrame({"x": [1, 2]})), a.startswith("sha256:")
    (True, True)
    >>> a == content_fingerprint(pl.DataFrame({"x": [1, 3]}))
    False
    """
    digest = hashlib.sha256()
    digest.update(repr(list(df.schema.items())).encode())
    digest.update(df.hash_rows(seed=0, seed_1=1, seed_2=2, seed_3=3).to_numpy().tobytes())
    return "sha256:" + digest.hexdigest()


def _parse_text_dates(df: pl.DataFrame, plan: TablePlan) -> pl.DataFrame:
    exprs = []
    for col in plan.columns:
        fmt = col.datetime_format
        if fmt is None or col.name not in df.columns:
            continue
        if "%H" in fmt:
            exprs.append(pl.col(col.name).str.to_datetime(fmt, strict=False))
        else:
            exprs.append(pl.col(col.name).str.to_date(fmt, strict=False))
    return df.with_columns(exprs) if exprs else df


def to_sdv(df: pl.DataFrame, plan: TablePlan) -> Any:
    """The pandas frame SDV fits on (columns in plan order)."""
    df = _parse_text_dates(df.select(plan.names()), plan)
    df = df.with_columns(
        pl.col(name).cast(pl.String)
        for name, dtype in df.schema.items()
        if dtype == pl.Categorical or isinstance(dtype, pl.Enum)
    )
    # SDV's datetime transformer expects nanosecond timestamps.
    df = df.with_columns(
        pl.col(name).cast(pl.Datetime("ns"))
        for name, dtype in df.schema.items()
        if dtype == pl.Date or isinstance(dtype, pl.Datetime)
    )
    return df.to_pandas()


def from_sdv(frame: Any, plan: TablePlan) -> pl.DataFrame:
    """SDV output → polars with the dtypes (and date text formats) of the input."""
    try:
        out = pl.from_pandas(frame)
    except Exception as exc:  # pragma: no cover - SDV returned something unusual
        raise SynthesisError(f"SDV returned a table polars cannot read: {exc}") from exc
    exprs = []
    for col in plan.columns:
        if col.name not in out.columns:
            exprs.append(pl.lit(None).alias(col.name))
            continue
        target = _dtype_from_text(col.dtype)
        current = out.schema[col.name]
        expr = pl.col(col.name)
        if col.datetime_format is not None:
            if current == pl.String:
                expr = expr.str.to_datetime(strict=False)
            expr = expr.dt.strftime(col.datetime_format)
        elif target is not None and current != target:
            if target.is_integer() and current.is_float():
                expr = expr.round(0)
            expr = expr.cast(target, strict=False)
        exprs.append(expr.alias(col.name))
    return out.select(exprs)


_DTYPES: dict[str, pl.DataType] = {
    str(dtype): dtype
    for dtype in (
        pl.Int8(),
        pl.Int16(),
        pl.Int32(),
        pl.Int64(),
        pl.UInt8(),
        pl.UInt16(),
        pl.UInt32(),
        pl.UInt64(),
        pl.Float32(),
        pl.Float64(),
        pl.Boolean(),
        pl.String(),
        pl.Date(),
        pl.Categorical(),
    )
}


def _dtype_from_text(text: str) -> pl.DataType | None:
    if text in _DTYPES:
        return _DTYPES[text]
    if text.startswith("Datetime"):
        unit = "ms" if "'ms'" in text else "ns" if "'ns'" in text else "us"
        return pl.Datetime(time_unit=unit)  # type: ignore[arg-type]
    return None
