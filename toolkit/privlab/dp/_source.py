"""Snapshot semantics: a session's data is fixed when it opens.

Every input — a CSV, Parquet, Arrow/IPC or NDJSON file, a polars DataFrame
or LazyFrame, a pandas frame — is copied once, when the session opens, to a
private Arrow IPC (or, for Parquet files, a byte-for-byte Parquet) file in a
``0700`` temporary folder, with mode ``0600``; every query scans that copy,
and it is deleted when the session closes or is garbage-collected. So a file
replaced or appended to under an open session changes nothing: the row
count, the public row bound (OpenDP's ``max_length``) and the fixed-point
scale of float sums, all fixed at open, stay true for every query (the
measured failure without a snapshot: one row past the bound flipped a sum by
~8,190 at noise scale ~1). Scanning a file copy also keeps OpenDP's plans
small: a plan over an in-memory frame serializes the whole frame.
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

from privlab._time import utc_now
from privlab.exceptions import SourceNotFoundError, UnsupportedFormatError
from privlab.io import read

__all__ = ["PreparedSource", "prepare_source"]

_IPC_SUFFIXES = (".arrow", ".ipc", ".feather")


@dataclass
class PreparedSource:
    """The snapshot OpenDP reads, and what it was taken from."""

    frame: pl.LazyFrame
    origin: str  # a path, or a description such as "DataFrame"
    path: Path | None  # the user's file, if the data came from one
    spilled: bool  # always True: every input is snapshotted
    snapshot: Path | None = None  # the private copy
    taken_at: str = ""  # UTC time the snapshot was taken
    _cleanup: Any = None

    def close(self) -> None:
        """Delete the private copy (idempotent)."""
        if self._cleanup is not None:
            self._cleanup()

    def describe(self) -> str:
        """One line for answers' notes: which snapshot the numbers come from."""
        return f"snapshot of {self.origin} taken {self.taken_at}"


def _private_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="privlab-dp-"))  # mkdtemp makes it 0700
    os.chmod(folder, 0o700)
    return folder


def _snapshot(
    write: Callable[[Path], None], suffix: str, origin: str, path: Path | None
) -> PreparedSource:
    folder = _private_folder()
    target = folder / f"snapshot{suffix}"
    try:
        write(target)
        os.chmod(target, 0o600)
        frame = (
            pl.scan_parquet(target)
            if suffix == ".parquet"
            else pl.scan_ipc(target, memory_map=True)
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    source = PreparedSource(frame, origin, path, True, target, utc_now())
    source._cleanup = weakref.finalize(source, shutil.rmtree, str(folder), True)
    return source


def _copy_file(path: Path) -> Callable[[Path], None]:
    def write(target: Path) -> None:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)

    return write


def prepare_source(data: Any, *, read_kwargs: dict[str, Any] | None = None) -> PreparedSource:
    """Snapshot ``data`` into a private file and return a scan of it.

    Parameters
    ----------
    data:
        A path (CSV, Parquet, IPC/Arrow, NDJSON — text formats read with
        :func:`privlab.read`), a polars DataFrame or LazyFrame, or a pandas
        DataFrame.
    read_kwargs:
        Passed to :func:`privlab.read` for text formats.

    Examples
    --------
    >>> import polars as pl
    >>> src = prepare_source(pl.DataFrame({"x": [1, 2, 3]}))
    >>> src.spilled, src.frame.collect()["x"].to_list(), oct(src.snapshot.stat().st_mode & 0o777)
    (True, [1, 2, 3], '0o600')
    >>> src.close()
    """
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        if not path.exists():
            raise SourceNotFoundError(f"no such file: {str(path)!r}")
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            return _snapshot(_copy_file(path), ".parquet", str(path), path)
        if suffix in _IPC_SUFFIXES:
            frame = pl.scan_ipc(path)
            return _snapshot(frame.sink_ipc, ".arrow", str(path), path)
        frame_in = read(path, **(read_kwargs or {}))
        return _snapshot(frame_in.sink_ipc, ".arrow", str(path), path)
    if isinstance(data, pl.LazyFrame):
        return _snapshot(data.sink_ipc, ".arrow", "LazyFrame", None)
    if isinstance(data, pl.DataFrame):
        return _snapshot(data.write_ipc, ".arrow", "DataFrame", None)
    if type(data).__module__.startswith("pandas"):
        return _snapshot(pl.from_pandas(data).write_ipc, ".arrow", "pandas DataFrame", None)
    raise UnsupportedFormatError(
        "expected a file path, a polars DataFrame/LazyFrame or a pandas DataFrame, "
        f"got {type(data).__name__!r}"
    )
