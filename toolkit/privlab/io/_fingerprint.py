"""``fingerprint``: a content identity for a table that reveals no values."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

import polars as pl

from privlab.io._read import read

#: Bumped whenever the hashing scheme changes; part of every hash.
SCHEME = "privlab-fingerprint-v1"
# Two independent 64-bit row hashes (fixed seeds) -> 128 bits per row.
_SEEDS = ((0x5EED, 0x0B5E, 0xC0FF, 0xEE11), (0x1D0E, 0xB1A5, 0x7AB1, 0xE5E7))


@dataclass(frozen=True)
class Fingerprint:
    """Identity of a table's content: equal data gives an equal fingerprint.

    Attributes
    ----------
    schema_hash:
        sha256 (hex) of the sorted ``(column, dtype)`` pairs.
    rows:
        Number of rows.
    content_hash:
        sha256 (hex) over the column names, their logical types and the hashes
        of all rows, independent of row order, column order and file format.
    schema:
        ``(column, dtype)`` pairs in the table's column order.

    Examples
    --------
    >>> fp = Fingerprint("ab", 2, "cd", (("age", "Int64"),))
    >>> fp.to_dict()
    {'schema_hash': 'ab', 'rows': 2, 'content_hash': 'cd', 'schema': [['age', 'Int64']]}
    >>> Fingerprint.from_dict(fp.to_dict()) == fp
    True
    """

    schema_hash: str
    rows: int
    content_hash: str
    schema: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``schema`` as a list of ``[name, dtype]`` lists)."""
        return {
            "schema_hash": self.schema_hash,
            "rows": self.rows,
            "content_hash": self.content_hash,
            "schema": [list(pair) for pair in self.schema],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fingerprint:
        """Rebuild a fingerprint from :meth:`to_dict` output."""
        return cls(
            schema_hash=str(data["schema_hash"]),
            rows=int(data["rows"]),
            content_hash=str(data["content_hash"]),
            schema=tuple((str(n), str(t)) for n, t in data["schema"]),
        )


def _logical(dtype: pl.DataType) -> pl.DataType:
    """Categorical and Enum hash as String: the values are the same."""
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return pl.String()
    return dtype


def _sha(parts: list[Any]) -> hashlib._Hash:
    digest = hashlib.sha256()
    digest.update(json.dumps([SCHEME, *parts], separators=(",", ":")).encode())
    return digest


def fingerprint(
    source: str | os.PathLike[str] | pl.DataFrame | pl.LazyFrame | Any, **read_args: Any
) -> Fingerprint:
    """Fingerprint a table: what the store and release manifests use as its identity.

    Parameters
    ----------
    source:
        Anything :func:`privlab.read` accepts.
    **read_args:
        Passed to :func:`privlab.read` (``sep``, ``encoding``, …).

    Returns
    -------
    Fingerprint

    Notes
    -----
    Rows are hashed with polars' row hash under fixed seeds (two 64-bit hashes
    per row), the row hashes are sorted and fed to sha256 with the column names
    and logical types. So the same rows give the same ``content_hash`` whatever
    the file name, format, row order or column order — a shuffled or re-saved
    copy is recognised as the same data. polars documents its row hash as stable
    only within one version; privlab pins polars, and the scheme name is part of
    the hash so a change can be detected. The fingerprint holds only hashes, a
    row count and the schema, never values; but it is unkeyed, so for a tiny
    table with guessable values a guess can be confirmed by hashing it.

    Examples
    --------
    >>> import polars as pl
    >>> import privlab as pv
    >>> a = pv.fingerprint(pl.DataFrame({"age": [39, 28], "sex": ["M", "F"]}))
    >>> b = pv.fingerprint(pl.DataFrame({"sex": ["F", "M"], "age": [28, 39]}))
    >>> a.content_hash == b.content_hash, a.rows, a.schema
    (True, 2, (('age', 'Int64'), ('sex', 'String')))
    >>> pv.fingerprint(pl.DataFrame({"age": [39, 29], "sex": ["M", "F"]})) == a
    False
    """
    frame = read(source, **read_args)
    schema = frame.collect_schema()
    pairs = tuple((name, str(dtype)) for name, dtype in schema.items())
    names = sorted(schema.names())
    logical = [[n, str(_logical(schema[n]))] for n in names]
    schema_hash = _sha([sorted([list(p) for p in pairs])]).hexdigest()
    if not names:
        rows = int(frame.select(pl.len()).collect().item())
        return Fingerprint(schema_hash, rows, _sha([logical, rows]).hexdigest(), pairs)
    row = pl.struct([pl.col(n).cast(_logical(schema[n])) for n in names])
    hashes = (
        frame.select(
            row.hash(*_SEEDS[0]).alias("h0"),
            row.hash(*_SEEDS[1]).alias("h1"),
        )
        .sort("h0", "h1")
        .collect()
    )
    rows = hashes.height
    digest = _sha([logical, rows])
    for column in ("h0", "h1"):
        digest.update(hashes[column].to_numpy().astype("<u8", copy=False).tobytes())
    return Fingerprint(schema_hash, rows, digest.hexdigest(), pairs)
