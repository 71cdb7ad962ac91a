"""Read and write tables: CSV, Parquet, NDJSON and Arrow IPC as polars LazyFrames.

:func:`read` turns a file or an in-memory frame into a :class:`polars.LazyFrame`.
Files are checked before anything else sees them, in one fast pass for CSV, so
bad input fails with a message naming the file, the line and the columns instead
of turning into silently padded rows later:

- a missing file, an unknown extension, an empty file (0 bytes, or a header
  without data rows) — :class:`~privlab.exceptions.SourceNotFoundError`,
  :class:`~privlab.exceptions.UnsupportedFormatError`,
  :class:`~privlab.exceptions.EmptySourceError`;
- a CSV row with more or fewer fields than the header (polars would pad short
  rows with nulls) or an unterminated quote —
  :class:`~privlab.exceptions.MalformedRowError`; a blank line in a multi-column
  file counts as a row with one field;
- bytes the encoding cannot decode — :class:`~privlab.exceptions.DecodeError`;
- a corrupt Parquet / IPC file or a malformed NDJSON line —
  :class:`~privlab.exceptions.InputError`.

:func:`write` picks the format from the extension, writes to a temporary file
in the target folder and renames it into place, so a reader sees the old file
or the new one, never half of one; it refuses to overwrite the file the data
was read from. :func:`fingerprint` identifies a table's content without
revealing any value.

Examples
--------
>>> import tempfile, pathlib, polars as pl
>>> import privlab as pv
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "people.csv").write_text("name;zip\\nAda;02139\\nAlan;94107\\n")
>>> people = pv.read(folder / "people.csv")          # ';' is detected
>>> people.collect()["zip"].to_list()                # leading zeros kept
['02139', '94107']
>>> pv.write(people, folder / "people.parquet").name
'people.parquet'
>>> pv.fingerprint(folder / "people.parquet").rows
2
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io as _io
import json
import os
import re
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from privlab.exceptions import (
    DecodeError,
    EmptySourceError,
    InputError,
    MalformedRowError,
    OutputError,
    OverwriteSourceError,
    SourceNotFoundError,
    UnsupportedFormatError,
)

__all__ = ["Fingerprint", "fingerprint", "read", "write"]

_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".arrow": "ipc",
    ".ipc": "ipc",
    ".feather": "ipc",
}
_SEPARATOR_CANDIDATES = (",", ";", "\t", "|")
_CHUNK = 1 << 24  # 16 MiB per validation step
_INFER_ROWS = 10_000
_UTF8_NAMES = {"utf8", "utf-8", "utf_8", "u8"}

Frame = pl.DataFrame | pl.LazyFrame


# -- reading ---------------------------------------------------------------------------


def read(
    source: str | os.PathLike[str] | Any,
    *,
    sep: str | None = None,
    encoding: str = "utf8",
    null_values: str | Sequence[str] | None = None,
    schema_overrides: Mapping[str, Any] | None = None,
) -> pl.LazyFrame:
    """Open a table as a polars LazyFrame, checking it first.

    Parameters
    ----------
    source:
        A path to a ``.csv``/``.tsv``/``.txt``, ``.parquet``, ``.ndjson``/``.jsonl``
        or ``.arrow``/``.ipc``/``.feather`` file; or a polars DataFrame/LazyFrame;
        or a pandas DataFrame.
    sep:
        CSV field delimiter. ``None`` detects it from the header (``,`` ``;``
        tab ``|``).
    encoding:
        Text encoding of a CSV file; any codec Python knows. UTF-8 streams from
        disk; other encodings are transcoded in memory.
    null_values:
        CSV strings to read as missing.
    schema_overrides:
        Column name → polars dtype, to fix what inference would guess.

    Returns
    -------
    polars.LazyFrame
        A scan of the file (CSV, Parquet, IPC stream from disk), or the frame.

    Notes
    -----
    CSV dtypes are inferred from the first 10,000 rows; integer-looking columns
    with leading zeros (ZIP codes, IDs) stay strings so no digit is lost.

    Examples
    --------
    >>> import polars as pl, privlab as pv
    >>> pv.read(pl.DataFrame({"a": [1, 2]})).collect().shape
    (2, 1)
    """
    if isinstance(source, pl.LazyFrame):
        return source
    if isinstance(source, pl.DataFrame):
        return source.lazy()
    if _is_pandas(source):
        return pl.from_pandas(source).lazy()
    if not isinstance(source, str | os.PathLike):
        raise UnsupportedFormatError(
            f"cannot read an object of type {type(source).__name__!r}; pass a file path, a "
            "polars DataFrame/LazyFrame or a pandas DataFrame"
        )
    path = Path(source)
    fmt = _format_of(path)
    if not path.exists():
        raise SourceNotFoundError(f"input file {str(path)!r} does not exist")
    if path.is_dir():
        raise InputError(f"{str(path)!r} is a folder; pass a file")
    if path.stat().st_size == 0:
        raise EmptySourceError(f"{path} is empty (0 bytes)")
    if fmt == "csv":
        return _read_csv(path, sep, encoding, null_values, schema_overrides)
    if fmt == "parquet":
        return _read_binary(path, "Parquet", pl.scan_parquet, pl.read_parquet_schema)
    if fmt == "ipc":
        return _read_binary(path, "Arrow IPC", pl.scan_ipc, pl.read_ipc_schema)
    return _read_ndjson(path, schema_overrides)


def _is_pandas(obj: object) -> bool:
    return type(obj).__module__.startswith("pandas") and type(obj).__name__ == "DataFrame"


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        supported = ", ".join(sorted(_FORMATS))
        raise UnsupportedFormatError(
            f"cannot tell the format of {str(path)!r} from its extension {suffix!r}; "
            f"supported extensions are {supported}"
        )
    return _FORMATS[suffix]


def _read_binary(path: Path, label: str, scan: Any, read_schema: Any) -> pl.LazyFrame:
    try:
        read_schema(path)
        rows = scan(path).select(pl.len()).collect().item()
    except Exception as exc:  # polars raises several types for corrupt files
        raise InputError(f"{path} is not a readable {label} file: {exc}") from None
    if rows == 0:
        raise EmptySourceError(f"{path} has a schema but no rows")
    lazy: pl.LazyFrame = scan(path)
    return lazy


def _read_ndjson(path: Path, schema_overrides: Mapping[str, Any] | None) -> pl.LazyFrame:
    try:
        frame = pl.read_ndjson(path, schema_overrides=schema_overrides)
    except Exception as exc:
        line, detail = _first_bad_json_line(path)
        where = f" at line {line}: {detail}" if line else f": {exc}"
        raise InputError(f"{path} is not valid NDJSON{where}") from None
    if frame.height == 0:
        raise EmptySourceError(f"{path} holds no JSON records")
    return frame.lazy()


def _first_bad_json_line(path: Path) -> tuple[int | None, str]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except ValueError as exc:
                return number, str(exc)
            if not isinstance(value, dict):
                return number, f"expected a JSON object, got {type(value).__name__}"
    return None, ""


def _read_csv(
    path: Path,
    sep: str | None,
    encoding: str,
    null_values: str | Sequence[str] | None,
    schema_overrides: Mapping[str, Any] | None,
) -> pl.LazyFrame:
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(
            f"unknown encoding {encoding!r} for {path}; use a Python codec name such as "
            "'utf8', 'latin-1' or 'cp1252'"
        ) from None
    utf8 = codec in {"utf-8"} or encoding.lower().replace("-", "") in {"utf8"}
    data: bytes | None = None
    if not utf8:
        data = _transcode(path, codec)
    head = _head_bytes(path, data)
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    if not head.strip():
        raise EmptySourceError(f"{path} contains no header and no rows")
    separator = _resolve_separator(path, sep, head)
    records, header = _validate_structure(path, separator, data, check_utf8=utf8)
    if records == 0:
        raise EmptySourceError(f"{path} has a header ({', '.join(header)}) but no data rows")
    options: dict[str, Any] = {
        "separator": separator,
        "null_values": null_values,
        "infer_schema_length": _INFER_ROWS,
    }
    overrides = dict(schema_overrides or {})
    overrides.update(_leading_zero_columns(path, data, separator, null_values, overrides))
    options["schema_overrides"] = overrides or None
    try:
        if data is None:
            return pl.scan_csv(path, **options)
        return pl.read_csv(_io.BytesIO(data), **options).lazy()
    except Exception as exc:
        raise InputError(f"{path} could not be parsed as CSV: {exc}") from None


def _transcode(path: Path, codec: str) -> bytes:
    raw = path.read_bytes()
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DecodeError(
            f"{path}: byte {raw[exc.start]:#04x} at line {line}, column {column} cannot be "
            f"decoded as {codec}; pass the file's real encoding (--encoding)",
            path=str(path),
            line=line,
            column=column,
        ) from None
    return text.lstrip("\ufeff").encode("utf-8")


def _head_bytes(path: Path, data: bytes | None, size: int = 1 << 16) -> bytes:
    if data is not None:
        return data[:size]
    with path.open("rb") as handle:
        return handle.read(size)


def _resolve_separator(path: Path, sep: str | None, head: bytes) -> str:
    if sep is not None:
        if len(sep.encode()) != 1:
            raise InputError(f"the CSV delimiter must be one character, got {sep!r}")
        return sep
    lines = _unquoted_lines(head)[:20]
    if not lines:
        return ","
    best, best_score = ",", -1
    for candidate in _SEPARATOR_CANDIDATES:
        counts = [line.count(candidate) for line in lines]
        if counts[0] == 0:
            continue
        consistent = sum(1 for c in counts if c == counts[0])
        score = consistent * 1000 + counts[0]
        if score > best_score:
            best, best_score = candidate, score
    return best


def _unquoted_lines(head: bytes) -> list[str]:
    """The first complete lines of *head* with quoted sections removed."""
    text = head.decode("utf-8", errors="replace")
    if "\n" in text and not text.endswith("\n"):
        text = text[: text.rfind("\n")]
    stripped = re.sub(r'"(?:[^"]|"")*"', "", text)
    return [line for line in stripped.split("\n") if line.strip()]


def _iter_chunks(path: Path, data: bytes | None) -> Iterator[bytes]:
    if data is not None:
        for start in range(0, len(data), _CHUNK):
            yield data[start : start + _CHUNK]
        return
    with path.open("rb") as handle:
        first = True
        while chunk := handle.read(_CHUNK):
            if first and chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[len(codecs.BOM_UTF8) :]
            first = False
            yield chunk


def _validate_structure(
    path: Path, separator: str, data: bytes | None, *, check_utf8: bool
) -> tuple[int, list[str]]:
    """One pass over the bytes: field count of every record, quotes, encoding.

    Works on positions, not per-byte running sums: the quote state at a byte is
    the parity of the number of ``"`` before it (an escaped ``""`` flips it
    twice), found by binary search in the sorted quote positions, so
    separators and newlines inside quoted fields are not counted. Returns the
    number of data records and the header's names.
    """
    sep_byte = ord(separator)
    decoder = codecs.getincrementaldecoder("utf-8")() if check_utf8 else None
    parity = 0  # quotes seen before this chunk, mod 2
    lines_before = 0  # physical newlines before this chunk
    pending_fields = 0  # separators of the record still open at the chunk end
    pending_len = 0  # its length in bytes
    record_start_line = 1  # physical line the open record started on
    header_fields: int | None = None
    header_bytes = _head_bytes(path, data).lstrip(codecs.BOM_UTF8)
    records = 0
    for chunk in _iter_chunks(path, data):
        arr = np.frombuffer(chunk, dtype=np.uint8)
        if decoder is not None and (not chunk.isascii() or decoder.getstate()[0]):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                _raise_decode(path, chunk, exc.start, lines_before)
        newlines = np.flatnonzero(arr == 10)
        seps = np.flatnonzero(arr == sep_byte)
        quotes = np.flatnonzero(arr == 34)
        if quotes.size or parity:
            # quotes strictly before each position, plus the carried parity
            ends = newlines[((np.searchsorted(quotes, newlines) + parity) & 1) == 0]
            seps = seps[((np.searchsorted(quotes, seps) + parity) & 1) == 0]
        else:
            ends = newlines
        if ends.size:
            before_end = np.searchsorted(seps, ends)
            fields = np.diff(before_end, prepend=0) + 1
            fields[0] += pending_fields
            lengths = np.diff(ends, prepend=-1) - 1
            lengths[0] += pending_len
            # physical line of each record's start: newlines before it, plus one
            lines_through_end = np.searchsorted(newlines, ends, side="right") + lines_before
            start_lines = np.empty(ends.size, dtype=np.int64)
            start_lines[0] = record_start_line
            start_lines[1:] = lines_through_end[:-1] + 1
            check_from = 0
            if header_fields is None:
                header_fields = int(fields[0])
                check_from = 1
                records -= 1
            bad = np.flatnonzero(fields[check_from:] != header_fields)
            if bad.size:
                i = int(bad[0]) + check_from
                length = int(lengths[i])
                blank = length <= 0 or (length == 1 and chunk[int(ends[i]) - 1] == 13)
                _raise_malformed(
                    path,
                    int(start_lines[i]),
                    header_fields,
                    int(fields[i]),
                    header_bytes,
                    separator,
                    blank=blank,
                )
            records += int(ends.size)
            last = int(ends[-1])
            pending_fields = int(seps.size - before_end[-1])
            pending_len = len(chunk) - last - 1
            record_start_line = int(lines_through_end[-1]) + 1
        else:
            pending_fields += int(seps.size)
            pending_len += len(chunk)
        parity = (parity + int(quotes.size)) & 1
        lines_before += int(newlines.size)
    if parity:
        raise MalformedRowError(
            f"{path}: a quoted field opened on line {record_start_line} is never closed "
            "(unbalanced '\"')",
            path=str(path),
            line=record_start_line,
            expected=header_fields or 0,
            found=pending_fields + 1,
        )
    if pending_len > 0:  # the last record has no final newline
        fields_last = pending_fields + 1
        if header_fields is None:
            header_fields = fields_last
        else:
            if fields_last != header_fields:
                _raise_malformed(
                    path,
                    record_start_line,
                    header_fields,
                    fields_last,
                    header_bytes,
                    separator,
                    blank=False,
                )
            records += 1
    return records, _split_header(header_bytes, separator)


def _split_header(head: bytes, separator: str) -> list[str]:
    """Column names from the first bytes of a file (which hold the whole header)."""
    try:
        return pl.read_csv(
            _io.BytesIO(head), separator=separator, n_rows=0, truncate_ragged_lines=True
        ).columns
    except Exception:
        first = head.decode("utf-8", errors="replace").split("\n", 1)[0]
        return first.rstrip("\r").split(separator)


def _raise_malformed(
    path: Path,
    line: int,
    expected: int,
    found: int,
    header: bytes,
    separator: str,
    *,
    blank: bool,
) -> None:
    columns = _split_header(header, separator)
    kind = "too many" if found > expected else "too few"
    what = " (a blank line)" if blank else ""
    raise MalformedRowError(
        f"{path}: line {line}{what} has {found} field{'s' * (found != 1)} but the header has "
        f"{expected} ({', '.join(columns)}) — {kind} fields; check the delimiter "
        f"({separator!r}; pass --sep) and quoting on that line",
        path=str(path),
        line=line,
        expected=expected,
        found=found,
    )


def _raise_decode(path: Path, chunk: bytes, start: int, lines_before: int) -> None:
    line = lines_before + chunk.count(b"\n", 0, start) + 1
    column = start - (chunk.rfind(b"\n", 0, start) + 1) + 1
    raise DecodeError(
        f"{path}: byte {chunk[start]:#04x} at line {line}, column {column} is not valid UTF-8; "
        "pass the file's encoding, e.g. encoding='latin-1' (CLI: --encoding latin-1)",
        path=str(path),
        line=line,
        column=column,
    )


def _leading_zero_columns(
    path: Path,
    data: bytes | None,
    separator: str,
    null_values: str | Sequence[str] | None,
    overrides: Mapping[str, Any],
) -> dict[str, Any]:
    """Columns that polars would read as integers although values have leading zeros.

    Looks at the rows polars infers dtypes from (the first 10,000), read from
    the head of the file only.
    """
    head = _head_bytes(path, data, size=1 << 22).lstrip(codecs.BOM_UTF8)
    cut = -1
    for _ in range(_INFER_ROWS + 1):
        nxt = head.find(b"\n", cut + 1)
        if nxt < 0:
            break
        cut = nxt
    if cut >= 0 and len(head) >= (1 << 22):
        head = head[: cut + 1]
    opts: dict[str, Any] = {
        "separator": separator,
        "null_values": null_values,
        "truncate_ragged_lines": True,
    }
    try:
        typed = pl.read_csv(_io.BytesIO(head), infer_schema_length=_INFER_ROWS, **opts)
        ints = [c for c, t in typed.schema.items() if t.is_integer() and c not in overrides]
        if not ints:
            return {}
        raw = pl.read_csv(_io.BytesIO(head), infer_schema=False, columns=ints, **opts)
    except Exception:  # the head ends inside a quoted field: let the real scan decide
        return {}
    zero_padded = raw.select(pl.col(ints).str.contains(r"^[+-]?0\d").any())
    return {c: pl.String for c in ints if zero_padded[c].item()}


# -- writing ---------------------------------------------------------------------------


def write(
    frame: Frame | Any,
    path: str | os.PathLike[str],
    *,
    source: str | os.PathLike[str] | None = None,
) -> Path:
    """Write a table atomically; the format comes from the extension.

    The data goes to a temporary file in the target's folder, is flushed to
    disk, then renamed over *path*: readers see the old file or the new one.
    On any error the temporary file is removed and *path* is untouched.

    Parameters
    ----------
    frame:
        A polars DataFrame or LazyFrame (streamed to disk), or a pandas DataFrame.
    path:
        Target file: ``.csv``, ``.parquet``, ``.ndjson``/``.jsonl`` or ``.arrow``/``.ipc``.
    source:
        The file the data came from. Writing over it is refused, as is writing
        over any file a LazyFrame's plan scans.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    OverwriteSourceError
        *path* is the source of the data.
    UnsupportedFormatError, OutputError
        Unknown extension, missing folder, or the write failed.

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl, privlab as pv
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.csv"
    >>> pv.write(pl.DataFrame({"a": [1]}), target).read_text()
    'a\\n1\\n'
    """
    target = Path(path)
    fmt = _format_of(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"cannot write {target}: the folder {str(folder)!r} does not exist")
    protected = _plan_sources(frame) if isinstance(frame, pl.LazyFrame) else []
    if source is not None:
        protected.append(Path(source))
    for src in protected:
        if _same_file(src, target):
            raise OverwriteSourceError(
                f"refusing to overwrite {target}: it is the file the data was read from; "
                "write to another path"
            )
    if _is_pandas(frame):
        frame = pl.from_pandas(frame)
    if not isinstance(frame, pl.DataFrame | pl.LazyFrame):
        raise UnsupportedFormatError(
            f"cannot write an object of type {type(frame).__name__!r}; pass a polars or "
            "pandas frame"
        )
    handle, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        _write_format(frame, tmp, fmt)
        with tmp.open("rb+") as done:
            os.fsync(done.fileno())
        os.replace(tmp, target)
        _fsync_dir(folder)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(exc, Exception) and not isinstance(exc, OutputError):
            raise OutputError(f"writing {target} failed; nothing was written: {exc}") from exc
        raise
    return target


def _write_format(frame: Frame, path: Path, fmt: str) -> None:
    if isinstance(frame, pl.LazyFrame):  # streamed: never materialized whole
        if fmt == "csv":
            frame.sink_csv(path)
        elif fmt == "parquet":
            frame.sink_parquet(path)
        elif fmt == "ndjson":
            frame.sink_ndjson(path)
        else:
            frame.sink_ipc(path)
        return
    if fmt == "csv":
        frame.write_csv(path)
    elif fmt == "parquet":
        frame.write_parquet(path)
    elif fmt == "ndjson":
        frame.write_ndjson(path)
    else:
        frame.write_ipc(path)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _plan_sources(frame: pl.LazyFrame) -> list[Path]:
    """Every local file a LazyFrame's plan scans."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            plan = frame.serialize(format="json")
        except Exception:  # plans holding Python UDFs may not serialize
            plan = frame.explain(optimized=False)
    found = re.findall(r'"Local":"((?:[^"\\]|\\.)*)"', plan)
    found += re.findall(r"SCAN \[([^\]]+)\]", plan)
    return [Path(json.loads(f'"{p}"')) if "\\" in p else Path(p) for p in found]


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


# -- fingerprints ----------------------------------------------------------------------


@dataclass(frozen=True)
class Fingerprint:
    """Identity of a table's content, revealing no value.

    Attributes
    ----------
    schema_hash:
        sha256 of the column names and dtypes, in order.
    rows:
        Number of rows.
    content_hash:
        sha256 over the schema and a 64-bit hash of every row (polars
        ``hash_rows`` with fixed seeds; stable within the pinned polars version).
        Equal data — same columns, dtypes, values and row order — gives an equal
        hash whatever file or name it came from.
    schema:
        ``(name, dtype)`` pairs.
    """

    schema_hash: str
    rows: int
    content_hash: str
    schema: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for manifests)."""
        out = asdict(self)
        out["schema"] = [list(pair) for pair in self.schema]
        return out


def fingerprint(data: str | os.PathLike[str] | Any, **read_kwargs: Any) -> Fingerprint:
    """Fingerprint a table (a path, or anything :func:`read` accepts).

    Examples
    --------
    >>> import polars as pl, privlab as pv
    >>> a = pv.fingerprint(pl.DataFrame({"x": [1, 2]}))
    >>> b = pv.fingerprint(pl.DataFrame({"x": [1, 2]}).lazy())
    >>> a == b, a.rows, a == pv.fingerprint(pl.DataFrame({"x": [1, 3]}))
    (True, 2, False)
    """
    frame = read(data, **read_kwargs).collect()
    schema = tuple((name, str(dtype)) for name, dtype in frame.schema.items())
    schema_json = json.dumps(schema).encode()
    schema_hash = hashlib.sha256(schema_json).hexdigest()
    content = hashlib.sha256(schema_json)
    content.update(str(frame.height).encode())
    if frame.width and frame.height:
        row_hashes = frame.hash_rows(seed=0x5EED, seed_1=1, seed_2=2, seed_3=3)
        content.update(row_hashes.to_numpy().tobytes())
    return Fingerprint(
        schema_hash=schema_hash,
        rows=frame.height,
        content_hash=content.hexdigest(),
        schema=schema,
    )
