"""File formats privlab reads and writes, keyed by file extension."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from privlab.exceptions import UnsupportedFormatError

# extension -> format. ``.gz`` may follow a text format (csv, ndjson).
EXTENSIONS: dict[str, str] = {
    ".arrow": "ipc",
    ".csv": "csv",
    ".feather": "ipc",
    ".ipc": "ipc",
    ".jsonl": "ndjson",
    ".ndjson": "ndjson",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".tsv": "csv",
    ".txt": "csv",
}
TEXT_FORMATS = frozenset({"csv", "ndjson"})


@dataclass(frozen=True)
class FileFormat:
    """What a file name says about its content.

    Examples
    --------
    >>> file_format("data/People.CSV.gz")
    FileFormat(kind='csv', extension='.csv', gzip=True)
    """

    kind: str
    extension: str
    gzip: bool


def supported() -> str:
    """The supported extensions as one readable string.

    Examples
    --------
    >>> supported().startswith(".arrow, .csv")
    True
    """
    names = sorted(EXTENSIONS)
    gz = sorted(ext + ".gz" for ext, kind in EXTENSIONS.items() if kind in TEXT_FORMATS)
    return ", ".join(names + gz)


def file_format(path: str | os.PathLike[str]) -> FileFormat:
    """The format of *path* from its extension (case-insensitive).

    Raises
    ------
    UnsupportedFormatError
        The extension is not one privlab reads or writes.

    Examples
    --------
    >>> file_format("t.parquet").kind
    'parquet'
    >>> file_format("t.xlsx")
    Traceback (most recent call last):
    ...
    privlab.exceptions.UnsupportedFormatError: cannot tell the format of 't.xlsx' ...
    """
    name = Path(path).name.lower()
    gzip = name.endswith(".gz")
    stem = name[:-3] if gzip else name
    extension = os.path.splitext(stem)[1]
    kind = EXTENSIONS.get(extension)
    if kind is None or (gzip and kind not in TEXT_FORMATS):
        raise UnsupportedFormatError(
            f"cannot tell the format of {os.fspath(path)!r} from its extension "
            f"{(extension + ('.gz' if gzip else '')) or '(none)'!r}; supported extensions "
            f"are {supported()} — rename the file or convert it"
        )
    return FileFormat(kind=kind, extension=extension, gzip=gzip)
