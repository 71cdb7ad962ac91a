"""Reading and writing tables: every file goes in and out through here.

:func:`read` turns a CSV, Parquet, NDJSON or Arrow IPC file (or a polars or
pandas frame) into a polars ``LazyFrame`` after one fast validation pass;
:func:`write` writes atomically and never overwrites the data's own source;
:func:`fingerprint` gives a table a content identity that reveals no values.

Examples
--------
>>> import tempfile, pathlib
>>> import polars as pl
>>> from privlab.io import fingerprint, read, write
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> frame = pl.DataFrame({"zip": ["02139", "02141"], "age": [34, 51]})
>>> csv = write(frame, folder / "t.csv")
>>> parquet = write(read(csv), folder / "t.parquet")
>>> read(csv).collect()["zip"].to_list()  # leading zeros kept
['02139', '02141']
>>> fingerprint(csv) == fingerprint(parquet) == fingerprint(frame)
True
"""

from __future__ import annotations

from privlab.io._fingerprint import Fingerprint, fingerprint
from privlab.io._json import dumps_strict, strict_json
from privlab.io._read import InputWarning, materialized_source, read
from privlab.io._write import (
    TEMP_SUFFIX,
    TempRegistry,
    atomic_path,
    check_not_source,
    check_outputs,
    frame_sources,
    scan_sources,
    temp_registry,
    write,
    write_json,
    write_text,
)

__all__ = [
    "TEMP_SUFFIX",
    "Fingerprint",
    "InputWarning",
    "TempRegistry",
    "atomic_path",
    "check_not_source",
    "check_outputs",
    "dumps_strict",
    "fingerprint",
    "frame_sources",
    "materialized_source",
    "read",
    "scan_sources",
    "strict_json",
    "temp_registry",
    "write",
    "write_json",
    "write_text",
]
