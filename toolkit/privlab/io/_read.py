"""``read``: any supported source -> a validated polars LazyFrame."""

from __future__ import annotations

import codecs
import glob
import gzip
import io
import json
import mmap
import os
import re
import warnings
import weakref
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeGuard

import polars as pl

from privlab.exceptions import (
    ColumnNotFoundError,
    DecodeError,
    EmptySourceError,
    InputError,
    MalformedRowError,
    SourceNotFoundError,
    UnsupportedFormatError,
)
from privlab.io._csv import (
    CsvLayout,
    header_columns,
    iter_bytes_chunks,
    iter_file_chunks,
    sniff_separator,
    validate_csv,
)
from privlab.io._formats import FileFormat, file_format

if TYPE_CHECKING:  # pandas is imported only to convert a frame the user handed in
    import pandas as pd

Source: TypeAlias = "str | os.PathLike[str] | pl.DataFrame | pl.LazyFrame | pd.DataFrame"
NullValues: TypeAlias = "str | Sequence[str] | None"
SchemaOverrides: TypeAlias = "Mapping[str, Any] | None"

#: Rows polars looks at to infer CSV column types (its default is 100).
INFER_SCHEMA_LENGTH = 10_000
_SAMPLE_BYTES = 1 << 20  # header names and line endings are looked up here
_SNIFF_BYTES = 64 << 10  # the separator is guessed from this much

# Frames read into memory (non-UTF-8 text, gzip) carry no file path in their
# plan; remember where they came from so ``write`` can still refuse to
# overwrite the source. Keyed by id, with a weak reference to check identity.
_MATERIALIZED: dict[int, tuple[weakref.ref[pl.LazyFrame], Path]] = {}


def _remember_source(frame: pl.LazyFrame, path: Path) -> pl.LazyFrame:
    key = id(frame)
    _MATERIALIZED[key] = (weakref.ref(frame, lambda _: _MATERIALIZED.pop(key, None)), path)
    return frame


def materialized_source(frame: object) -> Path | None:
    """The file a frame returned by :func:`read` was loaded from, if loaded into memory.

    Frames are loaded rather than scanned for non-UTF-8 or gzip text.

    Examples
    --------
    >>> import polars as pl
    >>> materialized_source(pl.LazyFrame({"a": [1]})) is None
    True
    """
    entry = _MATERIALIZED.get(id(frame))
    if entry is not None and entry[0]() is frame:
        return entry[1]
    return None


def is_pandas_frame(obj: object) -> TypeGuard[pd.DataFrame]:
    """Whether *obj* is a pandas DataFrame, without importing pandas.

    Examples
    --------
    >>> is_pandas_frame([1, 2])
    False
    """
    kind = type(obj)
    return kind.__module__.startswith("pandas") and kind.__name__ == "DataFrame"


def from_pandas(frame: pd.DataFrame) -> pl.DataFrame:
    """Convert a pandas DataFrame to polars; a named index becomes columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from_pandas(pd.DataFrame({"a": [1, 2]})).to_dict(as_series=False)
    {'a': [1, 2]}
    """
    include_index = any(name is not None for name in frame.index.names)
    try:
        return pl.from_pandas(frame, include_index=include_index)
    except Exception as exc:  # pyarrow raises several types for mixed object columns
        raise UnsupportedFormatError(
            f"cannot convert the pandas DataFrame to polars: {exc}; columns of Python "
            "objects with mixed types need converting first, e.g. df[col].astype(str)"
        ) from exc


def _codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(
            f"unknown encoding {encoding!r}; use a codec Python knows, e.g. 'utf8', "
            "'latin-1', 'cp1252' or 'utf-16'"
        ) from None


def _decode(raw: bytes, codec: str, name: str) -> str:
    """Decode *raw* strictly; a failure names the line and column."""
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode(codec, errors="replace")
        line = prefix.count("\n") + 1
        column = len(prefix) - (prefix.rfind("\n") + 1) + 1
        raise DecodeError(
            f"{name}, line {line}, column {column} (byte offset {exc.start}): byte "
            f"0x{raw[exc.start]:02x} cannot be decoded as {codec} ({exc.reason}); pass the "
            "file's real encoding, e.g. encoding='latin-1' (CLI: --encoding latin-1)",
            path=name,
            line=line,
            column=column,
        ) from None


def _load_text(path: Path, fmt: FileFormat, codec: str, name: str) -> bytes:
    """The file's bytes as UTF-8: gunzipped and transcoded when needed."""
    raw = path.read_bytes()
    if fmt.gzip:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise UnsupportedFormatError(
                f"{name} is not a readable gzip file ({exc}); check the file or its extension"
            ) from None
        if not raw:
            raise EmptySourceError(f"{name} is empty (0 bytes once decompressed)")
    if codec not in ("utf-8", "utf-8-sig"):
        raw = _decode(raw, codec, name).encode("utf-8")
    return raw


def _check_line_endings(sample: bytes, name: str) -> None:
    if b"\n" not in sample and b"\r" in sample.rstrip(b"\r"):
        raise UnsupportedFormatError(
            f"{name} separates lines with a bare carriage return (old Mac style), which "
            "polars reads as one line; convert the line endings to LF or CRLF"
        )


def _head(source: Path | bytes, size: int) -> bytes:
    if isinstance(source, bytes):
        return source[:size]
    with open(source, "rb") as handle:
        return handle.read(size)


def _infer_schema(
    head: bytes, sep: str, nulls: list[str] | None, overrides: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    r"""Column types from the first data records (*head*), then two corrections.

    Inferring from exactly the data records keeps trailing blank lines out (a
    bare ``\r`` there would turn an integer column into strings). A column
    with values like ``02139`` (a leading zero: ZIP codes, IDs) stays a string,
    where polars would infer an integer and drop the zero. Integer columns
    with values wider than 64 bits are read as text (returned second).
    """
    options: dict[str, Any] = {"separator": sep, "null_values": nulls}
    raw = pl.read_csv(io.BytesIO(head), infer_schema=False, **options)
    wide = _wide_integer_columns(raw.lazy(), list(raw.columns))
    typed = pl.read_csv(
        io.BytesIO(head),
        infer_schema_length=INFER_SCHEMA_LENGTH,
        schema_overrides={c: pl.String for c in wide},
        **options,
    )
    zeros = raw.select(pl.all().str.contains(r"^\s*[+-]?0[0-9]").any()).row(0) if raw.width else ()
    schema: dict[str, Any] = dict(typed.schema)
    for name, flagged in zip(raw.columns, zeros, strict=True):
        if flagged and schema[name] != pl.String:
            schema[name] = pl.String
    schema.update(overrides)
    return schema, [c for c in wide if c not in overrides]


class InputWarning(UserWarning):
    """A note on how input was read — not an error.

    For example, integers wider than 64 bits were read as text. The command
    line prints each as one ``note: …`` line.
    """


_INTEGER = r"^\s*[+-]?[0-9]+\s*$"
_LONG_DIGITS = re.compile(rb"[0-9]{19}")  # int64 holds at most 19 digits


def _wide_integer_columns(strings: pl.LazyFrame, columns: Sequence[str]) -> list[str]:
    """Columns (read as text) holding integers that do not fit in 64 bits."""
    if not columns:
        return []
    checks = [
        (
            pl.col(c).str.contains(_INTEGER)
            & pl.col(c).str.strip_chars().cast(pl.Int64, strict=False).is_null()
        )
        .any()
        .alias(c)
        for c in columns
    ]
    row = strings.select(checks).collect(engine="streaming").row(0)
    return [c for c, wide in zip(columns, row, strict=True) if wide]


def _has_long_digit_run(source: Path | bytes) -> bool:
    """Whether the file has 19 digits in a row anywhere (a cheap C-speed scan)."""
    if isinstance(source, bytes):
        return _LONG_DIGITS.search(source) is not None
    with open(source, "rb") as handle:
        try:
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
                return _LONG_DIGITS.search(view) is not None
        except ValueError:  # an empty file cannot be mapped
            return False


def _widen_integers(
    schema: dict[str, Any],
    source: Path | bytes,
    options: dict[str, Any],
    name: str,
    wide: list[str],
) -> None:
    """Integers beyond 64 bits anywhere in the file: read their columns as text, with a note.

    *wide* are the columns already found so in the first records; the rest of
    the file is checked only when it has 19 digits in a row somewhere.
    """
    integer_columns = [c for c, t in schema.items() if t.is_integer()]
    if integer_columns and _has_long_digit_run(source):
        text = {c: pl.String for c in schema}
        strings = (
            pl.read_csv(io.BytesIO(source), schema=text, **options).lazy()
            if isinstance(source, bytes)
            else pl.scan_csv(source, glob=False, schema=text, **options)
        )
        wide = wide + _wide_integer_columns(strings, integer_columns)
    for column in wide:
        schema[column] = pl.String
    if wide:
        warnings.warn(
            f"{name}: column(s) {wide} hold integers wider than 64 bits; they were read as "
            "text (exact digits kept). Cast them with pl.col(...).cast(pl.Decimal(38, 0)) if "
            "you need arithmetic",
            InputWarning,
            stacklevel=6,  # the caller of privlab.read
        )


def _csv_options(
    layout: CsvLayout,
    source: Path | bytes,
    null_values: NullValues,
    schema_overrides: SchemaOverrides,
    name: str,
) -> dict[str, Any]:
    overrides = dict(schema_overrides or {})
    for column in overrides:
        if column not in layout.columns:
            raise ColumnNotFoundError(column, layout.columns, source=name)
    nulls = _null_list(null_values)
    head = _head(source, layout.head_bytes)
    schema, wide = _infer_schema(head, layout.sep, nulls, overrides)
    _widen_integers(
        schema,
        source,
        {"separator": layout.sep, "null_values": nulls, "encoding": "utf8"},
        name,
        wide,
    )
    schema.update(overrides)
    return {
        "separator": layout.sep,
        "null_values": nulls,
        "schema": schema,
        "n_rows": layout.rows if layout.trailing_blank_lines else None,
    }


def _null_list(null_values: NullValues) -> list[str] | None:
    if null_values is None:
        return None
    return [null_values] if isinstance(null_values, str) else list(null_values)


def _read_csv(
    path: Path,
    fmt: FileFormat,
    name: str,
    *,
    sep: str | None,
    encoding: str,
    null_values: NullValues,
    schema_overrides: SchemaOverrides,
) -> pl.LazyFrame:
    codec = _codec(encoding)
    in_memory = fmt.gzip or codec not in ("utf-8", "utf-8-sig")
    if in_memory:
        data = _load_text(path, fmt, codec, name)
        sample = data[:_SAMPLE_BYTES]
    else:
        with open(path, "rb") as handle:
            sample = handle.read(_SAMPLE_BYTES)
    _check_line_endings(sample, name)
    if sep is None:
        default = "\t" if fmt.extension == ".tsv" else ","
        sep = sniff_separator(sample[:_SNIFF_BYTES], default=default)
    elif len(sep) != 1 or not sep.isascii() or sep in '"\r\n':
        raise InputError(
            f"sep must be one ASCII character other than a quote or newline, got {sep!r}"
        )
    columns = header_columns(sample, sep)
    duplicated = sorted(c for c, n in Counter(columns).items() if n > 1)
    if duplicated:
        raise InputError(
            f"{name} has duplicate column names {duplicated}: each column needs its own "
            "name (privlab does not rename them for you); rename them in the header"
        )
    chunks = iter_bytes_chunks(data) if in_memory else iter_file_chunks(path)
    layout = validate_csv(
        chunks, sep=sep, name=name, columns=columns, head_rows=INFER_SCHEMA_LENGTH
    )
    options = _csv_options(layout, data if in_memory else path, null_values, schema_overrides, name)
    if in_memory:
        frame = pl.read_csv(io.BytesIO(data), **options).lazy()
        return _remember_source(frame, path.absolute())
    return pl.scan_csv(path.absolute(), glob=False, encoding="utf8", **options)


def _first_bad_json_line(lines: Sequence[bytes]) -> tuple[int, str] | None:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            return number, f"invalid JSON at column {getattr(exc, 'colno', '?')}"
        if not isinstance(value, dict):
            return number, f"expected a JSON object, found {type(value).__name__}"
    return None


def _read_ndjson(path: Path, fmt: FileFormat, name: str, *, encoding: str) -> pl.LazyFrame:
    codec = _codec(encoding)
    # scan_ndjson has no glob=False: a name like "a[1].ndjson" is read into memory.
    in_memory = fmt.gzip or codec not in ("utf-8", "utf-8-sig") or glob.has_magic(str(path))
    data = _load_text(path, fmt, codec, name) if in_memory else b""
    try:
        if in_memory:
            loaded = pl.read_ndjson(io.BytesIO(data), infer_schema_length=INFER_SCHEMA_LENGTH)
            rows = loaded.height
            frame = loaded.lazy()
        else:
            frame = pl.scan_ndjson(path.absolute(), infer_schema_length=INFER_SCHEMA_LENGTH)
            # Validate by parsing every line (a bare count would not parse them),
            # streaming, so memory stays flat; the user's query parses again.
            counts = frame.select(pl.all().null_count(), pl.len().alias("\x00rows"))
            rows = counts.collect(engine="streaming")["\x00rows"].item()
    except pl.exceptions.PolarsError as exc:
        # Error path only: find the first bad line with the json module.
        lines = (data if in_memory else path.read_bytes()).splitlines()
        bad = _first_bad_json_line(lines)
        if bad is None:
            if not any(line.strip() for line in lines):
                raise EmptySourceError(f"{name} has no JSON records (only blank lines)") from None
            raise UnsupportedFormatError(
                f"{name} is not readable as NDJSON: {str(exc).splitlines()[0]}"
            ) from None
        line, why = bad
        raise MalformedRowError(
            f"{name}, line {line}: {why}; NDJSON needs one JSON object per line — fix or "
            "remove that line",
            path=name,
            line=line,
            expected=1,
            found=0,
        ) from None
    if rows == 0:
        raise EmptySourceError(f"{name} has no JSON records")
    return _remember_source(frame, path.absolute()) if in_memory else frame


def _read_binary(path: Path, fmt: FileFormat, name: str) -> pl.LazyFrame:
    label = "Parquet" if fmt.kind == "parquet" else "Arrow IPC"
    try:
        if fmt.kind == "parquet":
            frame = pl.scan_parquet(path.absolute(), glob=False)
        else:
            with open(path, "rb") as handle:
                is_file_format = handle.read(6) == b"ARROW1"
            if is_file_format:
                frame = pl.scan_ipc(path.absolute(), glob=False)
            else:  # the Arrow IPC *stream* format has no footer to scan
                frame = _remember_source(pl.read_ipc_stream(path).lazy(), path.absolute())
        frame.collect_schema()
        rows = frame.select(pl.len()).collect().item()
    except pl.exceptions.PolarsError as exc:
        raise UnsupportedFormatError(
            f"{name} is not a readable {label} file ({str(exc).splitlines()[0]}); it may be "
            "truncated or corrupt, or its extension may be wrong"
        ) from None
    if rows == 0:
        raise EmptySourceError(f"{name} has a schema but no rows")
    return frame


def _cast(frame: pl.LazyFrame, schema_overrides: SchemaOverrides, name: str) -> pl.LazyFrame:
    if not schema_overrides:
        return frame
    columns = frame.collect_schema().names()
    for column in schema_overrides:
        if column not in columns:
            raise ColumnNotFoundError(column, columns, source=name)
    return frame.with_columns(pl.col(c).cast(t) for c, t in schema_overrides.items())


def _nulls(frame: pl.LazyFrame, null_values: NullValues) -> pl.LazyFrame:
    nulls = _null_list(null_values)
    if not nulls:
        return frame
    strings = [n for n, t in frame.collect_schema().items() if t == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).is_in(nulls)).then(None).otherwise(pl.col(c)).alias(c) for c in strings
    )


def _read_path(
    source: str | os.PathLike[str],
    *,
    sep: str | None,
    encoding: str,
    null_values: NullValues,
    schema_overrides: SchemaOverrides,
) -> pl.LazyFrame:
    name = os.fspath(source)
    path = Path(name)
    fmt = file_format(path)
    if not path.exists():
        hint = f" (the folder {str(path.parent)!r} does not exist either)"
        raise SourceNotFoundError(
            f"no such file: {name!r}{hint if not path.parent.exists() else ''}; "
            f"check the path (working directory: {os.getcwd()!r})"
        )
    if not path.is_file():
        raise UnsupportedFormatError(f"{name!r} is a directory, not a file; give one file")
    if path.stat().st_size == 0:
        raise EmptySourceError(f"{name} is empty (0 bytes)")
    if fmt.kind == "csv":
        return _read_csv(
            path,
            fmt,
            name,
            sep=sep,
            encoding=encoding,
            null_values=null_values,
            schema_overrides=schema_overrides,
        )
    if fmt.kind == "ndjson":
        frame = _read_ndjson(path, fmt, name, encoding=encoding)
    else:
        frame = _read_binary(path, fmt, name)
    frame = _cast(_nulls(frame, null_values), schema_overrides, name)
    return frame


def read(
    source: Source,
    *,
    sep: str | None = None,
    encoding: str = "utf8",
    null_values: str | Sequence[str] | None = None,
    schema_overrides: Mapping[str, Any] | None = None,
) -> pl.LazyFrame:
    r"""Read a table into a polars LazyFrame, checking it first.

    Parameters
    ----------
    source:
        A path to a CSV (``.csv``, ``.tsv``, ``.txt``, optionally ``.gz``),
        Parquet (``.parquet``, ``.pq``), NDJSON (``.ndjson``, ``.jsonl``,
        optionally ``.gz``) or Arrow IPC (``.arrow``, ``.ipc``, ``.feather``)
        file; a polars DataFrame or LazyFrame; or a pandas DataFrame (a named
        index becomes columns).
    sep:
        CSV field separator; detected from the first lines when ``None``
        (``,`` ``;`` tab ``|``, quote-aware). Ignored for other formats.
    encoding:
        Text encoding of a CSV/NDJSON file: any codec Python knows. UTF-8 files
        are scanned by polars; other encodings are decoded by Python and read
        into memory.
    null_values:
        Strings read as missing (CSV: by polars; other sources: in String columns).
    schema_overrides:
        Column -> polars dtype, instead of the inferred type.

    Returns
    -------
    polars.LazyFrame
        For UTF-8 CSV, Parquet, NDJSON and Arrow IPC files a scan, so large
        files stream; the scan's plan names the file (``write`` uses it to
        refuse overwriting the source). CSV types are inferred from the first
        10,000 rows; a column with values like ``02139`` (a leading zero) stays
        a string rather than becoming an integer that loses the zero.

    Raises
    ------
    SourceNotFoundError
        The file does not exist.
    UnsupportedFormatError
        Unknown extension or object type; a corrupt Parquet/IPC/gzip file.
    EmptySourceError
        A 0-byte file, or a file with no data rows — a CSV with a header and
        no rows counts as empty.
    MalformedRowError
        A CSV record with more or fewer fields than the header (polars alone
        would pad short rows with nulls), a blank line between CSV records, an
        unclosed quote, or an NDJSON line that is not a JSON object (reported
        with ``expected=1, found=0``). ``line`` is the 1-based physical line.
    DecodeError
        Bytes the encoding cannot decode; ``line`` and ``column`` (1-based,
        counted in bytes for UTF-8) say where.
    ColumnNotFoundError
        A ``schema_overrides`` column is not in the data.

    Notes
    -----
    A CSV file is validated in one vectorized pass over its bytes before the
    scan is returned. Error messages name the file, line and field counts but
    never quote the data itself. Blank lines after the last CSV record are
    ignored; in a one-column CSV an empty line is a missing value.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import privlab as pv
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "people.csv"
    >>> _ = p.write_text("sex;age\r\nMale;39\r\nFemale;28\r\n")
    >>> pv.read(p).collect().to_dict(as_series=False)
    {'sex': ['Male', 'Female'], 'age': [39, 28]}
    >>> _ = p.write_text("sex;age\nMale;39\nFemale\n")
    >>> pv.read(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    privlab.exceptions.MalformedRowError: .../people.csv, line 3: expected 2 fields ... found 1; ...
    """
    if isinstance(source, pl.LazyFrame):
        frame = source
    elif isinstance(source, pl.DataFrame):
        frame = source.lazy()
    elif is_pandas_frame(source):
        frame = from_pandas(source).lazy()
    elif isinstance(source, str | os.PathLike):
        return _read_path(
            source,
            sep=sep,
            encoding=encoding,
            null_values=null_values,
            schema_overrides=schema_overrides,
        )
    else:
        raise UnsupportedFormatError(
            "read() takes a file path, a polars DataFrame/LazyFrame or a pandas DataFrame, "
            f"got {type(source).__name__}; convert it, e.g. pl.DataFrame(data)"
        )
    return _cast(_nulls(frame, null_values), schema_overrides, "the frame")
