"""``write``: atomic writes that never overwrite an input; the one output-path guard.

Every privlab output goes through :func:`atomic_path` (a temp file renamed into
place) and every command or API that writes checks *all* its outputs with
:func:`check_outputs` before it writes the first byte: no output may be, resolve
to (through a symlink), or hard-link to one of the command's inputs (data,
recipe, key file, policy) or to another of its outputs, and every output's
folder must already exist (privlab never creates folders for you). A temp file
is recorded with the registry set by :func:`temp_registry` (the privlab store)
*before* it is written, so the temp of a killed writer is found and swept.
"""

from __future__ import annotations

import contextlib
import glob
import gzip
import json
import os
import re
import secrets
import stat
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any, Protocol, TypeAlias, cast

import polars as pl

from privlab.exceptions import (
    OutputError,
    OverwriteSourceError,
    PrivlabError,
    UnsupportedFormatError,
)
from privlab.io._formats import FileFormat, file_format
from privlab.io._json import dumps_strict
from privlab.io._read import from_pandas, is_pandas_frame, materialized_source

Frame: TypeAlias = "pl.LazyFrame | pl.DataFrame"
Writer: TypeAlias = "Callable[[Frame, Path, FileFormat], None]"

_SCAN_LINE = re.compile(r"SCAN \[(.*)\]\s*$")

#: Every temp file privlab writes ends with this (a sweep deletes nothing else).
TEMP_SUFFIX = ".privlab-tmp"


# -- writers: one per format; each writes the whole table to `tmp` ---------------------
@contextlib.contextmanager
def _gzip_open(path: Path) -> Iterator[IO[bytes]]:
    """A gzip stream with no file name or time in its header: reproducible bytes."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        yield cast(IO[bytes], gz)  # GzipFile is a binary file object; typeshed disagrees


def _write_csv(frame: Frame, tmp: Path, fmt: FileFormat) -> None:
    sep = "\t" if fmt.extension == ".tsv" else ","
    if fmt.gzip:
        data = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
        with _gzip_open(tmp) as handle:
            data.write_csv(handle, separator=sep)
    elif isinstance(frame, pl.LazyFrame):
        frame.sink_csv(tmp, separator=sep)
    else:
        frame.write_csv(tmp, separator=sep)


def _write_parquet(frame: Frame, tmp: Path, fmt: FileFormat) -> None:
    if isinstance(frame, pl.LazyFrame):
        frame.sink_parquet(tmp)
    else:
        frame.write_parquet(tmp)


def _write_ndjson(frame: Frame, tmp: Path, fmt: FileFormat) -> None:
    if fmt.gzip:
        data = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
        with _gzip_open(tmp) as handle:
            data.write_ndjson(handle)
    elif isinstance(frame, pl.LazyFrame):
        frame.sink_ndjson(tmp)
    else:
        frame.write_ndjson(tmp)


def _write_ipc(frame: Frame, tmp: Path, fmt: FileFormat) -> None:
    if isinstance(frame, pl.LazyFrame):
        frame.sink_ipc(tmp)
    else:
        frame.write_ipc(tmp)


#: format -> writer. Module-level so tests can swap one in to simulate a failure.
WRITERS: dict[str, Writer] = {
    "csv": _write_csv,
    "ipc": _write_ipc,
    "ndjson": _write_ndjson,
    "parquet": _write_parquet,
}


# -- where did the data come from? ---------------------------------------------------------
def _paths_in_json(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Paths" and isinstance(value, list):
                for entry in value:
                    if isinstance(entry, dict):
                        yield from (v for v in entry.values() if isinstance(v, str))
                    elif isinstance(entry, str):
                        yield entry
            else:
                yield from _paths_in_json(value)
    elif isinstance(node, list):
        for value in node:
            yield from _paths_in_json(value)


def scan_sources(frame: pl.LazyFrame) -> list[str]:
    """File paths (or glob patterns) the plan of *frame* scans.

    Reads the unoptimized plan from ``explain``, which is cheap; only for a
    multi-file scan (which ``explain`` lists ambiguously, or abbreviates as
    "… 2 other sources") or a plan it cannot build is the plan serialized to
    JSON (costly when the plan also holds in-memory data).

    Examples
    --------
    >>> import polars as pl
    >>> scan_sources(pl.scan_csv("/data/a.csv").join(pl.LazyFrame({"x": [1]}), how="cross"))
    ['/data/a.csv']
    """
    try:
        plan = frame.explain(optimized=False)
    except Exception:
        plan = None
    if plan is not None:
        found = [m.group(1) for m in map(_SCAN_LINE.search, plan.splitlines()) if m]
        # One path per scan is unambiguous; a list ("a, b" or "a, ... 2 other
        # sources") is not, as a file name may itself contain ", ".
        if not any(", " in path for path in found):
            return found
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # polars marks JSON serialization unstable
            text = frame.serialize(format="json")
    except Exception:  # e.g. a plan with Python UDFs; `source=` remains the guard
        return []
    return list(dict.fromkeys(_paths_in_json(json.loads(text))))


def _same_file(a: str | Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_not_source(data: Any, target: Path, source: str | os.PathLike[str] | None) -> None:
    if not target.exists():
        return  # nothing there to overwrite
    candidates: list[tuple[str, str]] = []
    if source is not None:
        candidates.append((os.fspath(source), "the source= argument"))
    if isinstance(data, pl.LazyFrame):
        remembered = materialized_source(data)
        if remembered is not None:
            candidates.append((str(remembered), "the file it was read from"))
        for path in scan_sources(data):
            matches = glob.glob(path) if glob.has_magic(path) and not os.path.exists(path) else []
            for each in matches or [path]:
                candidates.append((each, "a file its query plan scans"))
    for path, why in candidates:
        if _same_file(path, target):
            suggestion = target.with_name(f"{_stem(target)}.out{''.join(target.suffixes)}")
            raise OverwriteSourceError(
                f"refusing to overwrite {str(target)!r}: it is {why} ({path!r}), and "
                f"privlab never modifies its inputs; write elsewhere, e.g. {str(suggestion)!r}"
            )


def check_not_source(path: str | os.PathLike[str], *sources: str | os.PathLike[str]) -> None:
    r"""Refuse *path* when it is one of *sources* — before any slow work is done.

    :func:`write` makes the same check as it writes; call this first when the
    output is only written after a long computation (a model fit, a search).

    Raises
    ------
    OverwriteSourceError
        *path* exists and is the same file as one of *sources*.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> src = pathlib.Path(tempfile.mkdtemp()) / "in.csv"
    >>> _ = src.write_text("a\n1\n")
    >>> check_not_source(src.with_name("out.csv"), src)  # fine: another file
    >>> check_not_source(src, src)
    Traceback (most recent call last):
    ...
    privlab.exceptions.OverwriteSourceError: refusing to overwrite '...in.csv': ...
    """
    for source in sources:
        _check_not_source(None, Path(path), source)


PathLike: TypeAlias = "str | os.PathLike[str]"


def _relation(output: Path, other: Path) -> str | None:
    """How *output* would overwrite *other*: ``"is"``, ``"resolves to"``, ``"hard-links to"``."""
    if os.path.abspath(output) == os.path.abspath(other):
        return "is"
    if os.path.realpath(output) == os.path.realpath(other):
        return "resolves to"
    if _same_file(output, other):
        return "hard-links to"
    return None


def frame_sources(data: Any) -> list[Path]:
    """The files a table argument comes from: a path itself, or what a LazyFrame scans.

    Examples
    --------
    >>> import polars as pl
    >>> [p.name for p in frame_sources("/data/visits.csv")]
    ['visits.csv']
    >>> frame_sources(pl.DataFrame({"a": [1]}))
    []
    """
    if isinstance(data, str | os.PathLike):
        return [Path(os.fspath(data))]
    out: list[Path] = []
    if isinstance(data, pl.LazyFrame):
        remembered = materialized_source(data)
        if remembered is not None:
            out.append(Path(remembered))
        for path in scan_sources(data):
            matches = glob.glob(path) if glob.has_magic(path) and not os.path.exists(path) else []
            out.extend(Path(each) for each in matches or [path])
    return out


def check_outputs(
    outputs: Iterable[tuple[str, PathLike]],
    inputs: Iterable[tuple[str, PathLike]] = (),
    *,
    new_folders: Iterable[PathLike] = (),
    folders_must_exist: bool = True,
) -> None:
    r"""The output guard: refuse every output that would overwrite an input or another output.

    Call it with *all* of a command's outputs and inputs before writing
    anything. Each is a ``(label, path)`` pair; the label is what the user
    wrote (``"--out"``, ``"--resolved"``, ``"--recipe"``, ``"FILE"``) so the
    refusal names the option and the input.

    Parameters
    ----------
    outputs:
        Files the command will write.
    inputs:
        Files it reads: data, recipe, key file, policy …
    new_folders:
        Folders the command itself creates (their parent must exist); outputs
        inside them pass the folder check.
    folders_must_exist:
        Check that each output's folder exists (the one rule: privlab never
        creates folders implicitly).

    Raises
    ------
    OverwriteSourceError
        An output is, resolves to (symlink), or hard-links to an input.
    OutputError
        Two outputs are the same file, an output is a folder, or its folder is missing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "in.csv").write_text("a\n1\n")
    >>> check_outputs([("--out", d / "out.csv")], [("FILE", d / "in.csv")])
    >>> check_outputs([("--resolved", d / "in.csv")], [("FILE", d / "in.csv")])
    Traceback (most recent call last):
    ...
    privlab.exceptions.OverwriteSourceError: refusing to overwrite the input FILE ...
    """
    outs = [(label, Path(os.fspath(p))) for label, p in outputs]
    ins = [(label, Path(os.fspath(p))) for label, p in inputs]
    created = {os.path.realpath(f) for f in new_folders}
    for folder in created:
        parent = Path(folder).parent
        if not parent.is_dir():
            raise OutputError(
                f"cannot create the folder {folder!r}: its parent {str(parent)!r} does not "
                "exist; create it first (privlab never creates folders implicitly)"
            )
        if Path(folder).exists() and not Path(folder).is_dir():
            raise OutputError(f"cannot write into {folder!r}: it is a file, not a folder")
    for label, out in outs:
        for in_label, source in ins:
            how = _relation(out, source)
            if how is not None:
                suggestion = out.with_name(f"{_stem(out)}.out{''.join(out.suffixes)}")
                which = {
                    "is": "is",
                    "resolves to": "resolves to",
                    "hard-links to": "is a hard link to",
                }
                raise OverwriteSourceError(
                    f"refusing to overwrite the input {in_label} {str(source)!r} with {label} "
                    f"{str(out)!r}, which {which[how]} it: privlab never modifies its inputs. "
                    f"Nothing was written; write elsewhere, e.g. {str(suggestion)!r}"
                )
    for i, (label, out) in enumerate(outs):
        for other_label, other in outs[i + 1 :]:
            if _relation(out, other) is not None:
                raise OutputError(
                    f"{label} and {other_label} name the same file {str(out)!r}; give them "
                    "different paths (nothing was written)"
                )
    if not folders_must_exist:
        return
    for label, out in outs:
        parent = out.absolute().parent
        if os.path.realpath(parent) in created:
            continue
        if not parent.exists():
            raise OutputError(
                f"cannot write {label} {str(out)!r}: the folder {str(parent)!r} does not exist; "
                "create it first (privlab never creates folders implicitly; nothing was written)"
            )
        if not parent.is_dir():
            raise OutputError(f"cannot write {label} {str(out)!r}: {str(parent)!r} is not a folder")
        if out.is_dir():
            raise OutputError(
                f"cannot write {label} {str(out)!r}: it is a folder; give a file name"
            )


def _stem(path: Path) -> str:
    name = path.name
    return name[: -len("".join(path.suffixes))] if path.suffixes else name


# -- atomic replace ------------------------------------------------------------------------
def _new_file_mode() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync(path: Path, *, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:
            return  # some platforms cannot open directories; the rename is still atomic
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


def _check_destination(target: Path, name: str) -> Path:
    parent = target.absolute().parent
    if not parent.exists():
        raise OutputError(
            f"cannot write {name!r}: the folder {str(parent)!r} does not exist; create it "
            "first (privlab does not create folders implicitly)"
        )
    if not parent.is_dir():
        raise OutputError(f"cannot write {name!r}: {str(parent)!r} is not a folder")
    if target.is_dir():
        raise OutputError(f"cannot write {name!r}: it is a directory; give a file name")
    return parent


def _as_frame(frame: object) -> Frame:
    if isinstance(frame, pl.LazyFrame | pl.DataFrame):
        return frame
    if is_pandas_frame(frame):
        return from_pandas(frame)
    raise UnsupportedFormatError(
        "write() takes a polars LazyFrame/DataFrame or a pandas DataFrame, "
        f"got {type(frame).__name__}"
    )


def _check_csv_types(data: Frame, name: str) -> None:
    schema = data.collect_schema()
    nested = [c for c, t in schema.items() if t.is_nested() or t == pl.Object]
    if nested:
        raise UnsupportedFormatError(
            f"cannot write {name!r} as CSV: columns {nested!r} hold nested values "
            f"({', '.join(str(schema[c]) for c in nested)}); write Parquet or Arrow IPC "
            "instead, or flatten them first"
        )


class TempRegistry(Protocol):
    """Where temp files are recorded before they are written (the privlab store is one)."""

    def record_temp(self, path: Path) -> None:
        """Remember *path* before anything is written to it."""
        ...

    def forget_temp(self, path: Path) -> None:
        """Forget *path* once it was renamed into place or removed."""
        ...


_TEMPS: ContextVar[TempRegistry | None] = ContextVar("privlab_temp_registry", default=None)


@contextlib.contextmanager
def temp_registry(registry: TempRegistry | None) -> Iterator[None]:
    """Record every temp file :func:`atomic_path` creates in this block with *registry*.

    The release gate and the command line set the privlab store here, so a
    temp file left by a killed writer is deleted by the next store open (after
    an hour). Scoped like :func:`privlab.config_context` (a context variable):
    threads and tasks do not share it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> class Log:
    ...     def __init__(self): self.seen = []
    ...     def record_temp(self, path): self.seen.append(("+", path.name.endswith(".privlab-tmp")))
    ...     def forget_temp(self, path): self.seen.append(("-", path.exists()))
    >>> log = Log()
    >>> with temp_registry(log):
    ...     _ = write_text(pathlib.Path(tempfile.mkdtemp()) / "a.txt", "hi")
    >>> log.seen
    [('+', True), ('-', False)]
    """
    token = _TEMPS.set(registry)
    try:
        yield
    finally:
        _TEMPS.reset(token)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside *path* that replaces it atomically when the block succeeds.

    The one temp-file-and-rename implementation behind every privlab output:
    the temp file (``.<name>.<random>.privlab-tmp``, created ``0600``) is
    recorded with the current :func:`temp_registry` before the block writes
    it; on success it is flushed to disk (fsync), given *path*'s permission
    bits (or the umask's for a new file) and renamed over *path*
    (``os.replace``), and the folder is fsynced; on any error the temp file is
    removed and *path* keeps its old content, or stays absent.

    Raises
    ------
    OutputError
        The folder is missing or not a folder, *path* is a directory, or the
        write failed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text()
    'hello'
    """
    name = os.fspath(path)
    target = Path(name)
    parent = _check_destination(target, name)
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else _new_file_mode()
    tmp = parent / f".{target.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    registry = _TEMPS.get()
    if registry is not None:
        registry.record_temp(tmp)
    try:
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            yield tmp
            _fsync(tmp)
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            if isinstance(exc, OSError) and not isinstance(exc, PrivlabError):
                raise OutputError(f"could not write {name!r}: {exc}") from exc
            raise
    finally:
        if registry is not None:
            registry.forget_temp(tmp)
    _fsync(parent, directory=True)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write *text* (UTF-8) to *path* atomically (:func:`atomic_path`); returns the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from privlab.io import write_text
    >>> path = write_text(pathlib.Path(tempfile.mkdtemp()) / "note.txt", "k = 5")
    >>> path.read_text(), sorted(p.name for p in path.parent.iterdir())  # no temp file left
    ('k = 5', ['note.txt'])
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | os.PathLike[str], payload: Any) -> Path:
    """Write *payload* as indented, key-sorted, strict JSON to *path* atomically.

    NaN and ±Infinity become ``null`` with a note under ``notes``
    (:func:`privlab.io.dumps_strict`): the file parses in any JSON reader.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> from privlab.io import write_json
    >>> path = write_json(pathlib.Path(tempfile.mkdtemp()) / "m.json", {"k": 5, "dataset": "a"})
    >>> path.read_text().splitlines()[1], json.loads(path.read_text())["k"]
    ('  "dataset": "a",', 5)
    >>> json.loads(write_json(path, {"t": float("nan")}).read_text())
    {'notes': ['t is nan: reported as null'], 't': None}
    """
    return write_text(path, dumps_strict(payload, indent=2, sort_keys=True) + "\n")


def write(
    frame: pl.LazyFrame | pl.DataFrame | Any,
    path: str | os.PathLike[str],
    *,
    source: str | os.PathLike[str] | None = None,
) -> Path:
    """Write a table to *path* atomically, in the format its extension names.

    Parameters
    ----------
    frame:
        A polars LazyFrame (streamed to disk where polars can) or DataFrame, or
        a pandas DataFrame.
    path:
        Target file: ``.csv``/``.tsv``/``.txt`` (optionally ``.gz``),
        ``.parquet``/``.pq``, ``.ndjson``/``.jsonl`` (optionally ``.gz``),
        ``.arrow``/``.ipc``/``.feather``. Its folder must exist.
    source:
        The file the data came from, if the frame's plan does not show it
        (e.g. it was collected); *path* may not be that file.

    Returns
    -------
    pathlib.Path
        The absolute path written.

    Raises
    ------
    UnsupportedFormatError
        Unknown extension, unsupported object, or nested columns for CSV.
    OverwriteSourceError
        *path* is *source*, a file the LazyFrame's plan scans, or the file
        :func:`privlab.read` loaded the frame from.
    OutputError
        The folder is missing, or writing failed.

    Notes
    -----
    The table goes to a hidden temporary file in the target's folder, which is
    flushed to disk (fsync) and then renamed over *path* (``os.replace``). On
    any error the temporary file is removed, so *path* keeps its old content,
    or stays absent. A replaced file keeps its permission bits.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import polars as pl
    >>> import privlab as pv
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> out = pv.write(pl.DataFrame({"age": [39, 28]}), folder / "ages.parquet")
    >>> pv.read(out).collect()["age"].to_list()
    [39, 28]
    >>> pv.write(pv.read(out), out)
    Traceback (most recent call last):
    ...
    privlab.exceptions.OverwriteSourceError: refusing to overwrite '...ages.parquet': ...
    """
    name = os.fspath(path)
    target = Path(name)
    fmt = file_format(target)
    data = _as_frame(frame)
    _check_destination(target, name)
    _check_not_source(data, target, source)
    if fmt.kind == "csv":
        _check_csv_types(data, name)
    with atomic_path(target) as tmp:
        WRITERS[fmt.kind](data, tmp, fmt)
    return target.absolute()
