"""A content fingerprint computed batch by batch (mergeable, order-independent).

:func:`privlab.io.fingerprint` sorts every row hash, which needs the whole table
in memory. For a streamed or partitioned table the fingerprint is instead the
wrapping sums of two seeded 64-bit row hashes (over the columns in name order,
Categorical/Enum as text), with the row count and the logical schema: equal
content gives an equal hash whatever the row order or the batching, and parts
merge by addition. It is a different scheme (named in the result), so its
hash is not comparable with an in-memory fingerprint of the same data.

Examples
--------
>>> import polars as pl
>>> a, b = RowHasher(), RowHasher()
>>> a.update(pl.DataFrame({"x": [1, 2], "y": ["a", "b"]}), 0)
>>> b.update(pl.DataFrame({"y": ["b"], "x": [2]}), 0)
>>> b.update(pl.DataFrame({"y": ["a"], "x": [1]}), 1)
>>> a.result()["content_hash"] == b.result()["content_hash"]
True
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import polars as pl

__all__ = ["SCHEME", "RowHasher"]

SCHEME = "privlab-fingerprint-stream-v1"
_SEEDS = ((0x5EED, 0x0B5E, 0xC0FF, 0xEE11), (0x1D0E, 0xB1A5, 0x7AB1, 0xE5E7))
_MASK = (1 << 64) - 1


def _logical(dtype: pl.DataType) -> pl.DataType:
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return pl.String()
    return dtype


class RowHasher:
    """Accumulates the streamed fingerprint of the batches it sees (a batch consumer)."""

    def __init__(self) -> None:
        self.rows = 0
        self.sums = [0, 0]
        self.schema: list[tuple[str, str]] | None = None

    def update(self, batch: pl.DataFrame, offset: int = 0) -> None:
        """Add one batch's rows."""
        names = sorted(batch.columns)
        if self.schema is None:
            self.schema = [(c, str(batch.schema[c])) for c in batch.columns]
        frame = batch.select(pl.col(n).cast(_logical(batch.schema[n])) for n in names)
        for i, seeds in enumerate(_SEEDS):
            if frame.height:
                # numpy's uint64 sum wraps modulo 2**64: an order-independent combination
                total = int(frame.hash_rows(*seeds).to_numpy().sum(dtype=np.uint64))
                self.sums[i] = (self.sums[i] + total) & _MASK
        self.rows += batch.height

    def merge(self, other: RowHasher) -> RowHasher:
        """Add another part's rows; returns self."""
        self.rows += other.rows
        self.sums = [(a + b) & _MASK for a, b in zip(self.sums, other.sums, strict=True)]
        self.schema = self.schema or other.schema
        return self

    def result(self) -> dict[str, Any]:
        """``{scheme, schema_hash, rows, content_hash, schema}`` — hashes only, no values."""
        schema = self.schema or []
        logical = sorted([n, t.replace("Categorical", "String")] for n, t in schema)
        schema_hash = hashlib.sha256(
            json.dumps([SCHEME, sorted([list(p) for p in schema])]).encode()
        ).hexdigest()
        digest = hashlib.sha256(
            json.dumps([SCHEME, logical, self.rows, self.sums]).encode()
        ).hexdigest()
        return {
            "scheme": SCHEME,
            "schema_hash": schema_hash,
            "rows": self.rows,
            "content_hash": digest,
            "schema": [list(p) for p in schema],
        }
