"""Turn user data into a LazyFrame that is cheap to hand to OpenDP.

OpenDP serializes the data's polars plan when a context is built. A plan over
an in-memory frame carries the whole frame (7.5 s at 10M rows here, 28 s in
the design notes' measurement), while a plan over a Parquet/IPC scan is a
few hundred bytes. CSV and NDJSON scans are cheap to serialize but re-parse
the file on every release. So:

* Parquet / IPC files (or LazyFrames that only scan such files) are used as
  they are;
* everything else (DataFrames, pandas frames, CSV/NDJSON, plans over memory)
  is written once to a session-private Arrow IPC file in a 0700 temporary
  folder, scanned (memory-mapped) from there, and deleted when the session
  closes or is garbage-collected.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from privlab.exceptions import SourceNotFoundError, UnsupportedFormatError
from privlab.io import read

__all__ = ["PreparedSource", "prepare_source"]

_SCAN_SUFFIXES: dict[str, Callable[..., pl.LazyFrame]] = {
    ".parquet": pl.scan_parquet,
    ".arrow": pl.scan_ipc,
    ".ipc": pl.scan_ipc,
    ".feather": pl.scan_ipc,
}
_CHEAP_LEAVES = ("Parquet SCAN", "Ipc SCAN")
_COSTLY_LEAVES = ("DF [", "Csv SCAN", "NDJSON SCAN", "PYTHON SCAN", "python dataset")


@dataclass
class PreparedSource:
    """The LazyFrame OpenDP reads, and what it was made from."""

    frame: pl.LazyFrame
    origin: str  # a path, or a description such as "DataFrame"
    path: Path | None  # the user's file, if the data came from one
    spilled: bool  # True when a temporary IPC copy was written
    _cleanup: Any = None

    def close(self) -> None:
        """Delete the temporary copy, if any (idempotent)."""
        if self._cleanup is not None:
            self._cleanup()


def _is_cheap_plan(lf: pl.LazyFrame) -> bool:
    text = lf.explain(optimized=False)
    if any(marker in text for marker in _COSTLY_LEAVES):
        return False
    return any(marker in text for marker in _CHEAP_LEAVES)


def _spilled(data: pl.LazyFrame | pl.DataFrame, origin: str, path: Path | None) -> PreparedSource:
    folder = tempfile.mkdtemp(prefix="privlab-dp-")
    os.chmod(folder, 0o700)
    target = Path(folder) / "data.arrow"
    try:
        if isinstance(data, pl.DataFrame):
            data.write_ipc(target)
        else:
            data.sink_ipc(target)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    source = PreparedSource(pl.scan_ipc(target, memory_map=True), origin, path, True)
    source._cleanup = weakref.finalize(source, shutil.rmtree, folder, True)
    return source


def prepare_source(data: Any, *, read_kwargs: dict[str, Any] | None = None) -> PreparedSource:
    """Return a LazyFrame over ``data`` whose plan is small to serialize.

    Parameters
    ----------
    data:
        A path (CSV, Parquet, IPC/Arrow, NDJSON — read with :func:`privlab.read`
        unless it is Parquet/IPC), a polars DataFrame or LazyFrame, or a
        pandas DataFrame.
    read_kwargs:
        Passed to :func:`privlab.read` for text formats.

    Examples
    --------
    >>> import polars as pl
    >>> src = prepare_source(pl.DataFrame({"x": [1, 2, 3]}))
    >>> src.spilled, src.frame.collect()["x"].to_list()
    (True, [1, 2, 3])
    >>> src.close()
    """
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        if not path.exists():
            raise SourceNotFoundError(f"no such file: {str(path)!r}")
        scan = _SCAN_SUFFIXES.get(path.suffix.lower())
        if scan is not None:
            return PreparedSource(scan(path), str(path), path, False)

        return _spilled(read(path, **(read_kwargs or {})), str(path), path)
    if isinstance(data, pl.LazyFrame):
        if _is_cheap_plan(data):
            return PreparedSource(data, "LazyFrame", None, False)
        return _spilled(data, "LazyFrame", None)
    if isinstance(data, pl.DataFrame):
        return _spilled(data, "DataFrame", None)
    if type(data).__module__.startswith("pandas"):
        return _spilled(pl.from_pandas(data), "pandas DataFrame", None)
    raise UnsupportedFormatError(
        "expected a file path, a polars DataFrame/LazyFrame or a pandas DataFrame, "
        f"got {type(data).__name__!r}"
    )
