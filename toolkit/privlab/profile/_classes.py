"""Equivalence-class sizes of every small combination of columns, from one pass over the rows.

The profile's quasi-identifier risk and the release guard's uniqueness check both
ask, for many combinations of up to three columns, how many records share each
combination of values. :class:`CombinationClasses` groups the rows once by *all*
the columns (the only pass over every row) and answers each combination from that
table of distinct combinations and their counts — usually far smaller than the
data, never larger.

Examples
--------
>>> import polars as pl
>>> from privlab.profile import CombinationClasses
>>> frame = pl.DataFrame({"sex": ["F", "F", "M", "M"], "zip": ["1", "1", "1", "2"]})
>>> classes = CombinationClasses(frame, ["sex", "zip"])
>>> sorted(classes.sizes(["sex"]).tolist()), sorted(classes.sizes(["sex", "zip"]).tolist())
([2, 2], [1, 1, 2])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

__all__ = ["CombinationClasses"]

_COUNT = "\x1fcount"
_KEY = "\x1fkey"


class CombinationClasses:
    """Class sizes of any combination of *columns*, after one group-by over every row.

    Parameters
    ----------
    frame:
        The records (nulls form a class of their own).
    columns:
        Every column a combination may use.
    """

    def __init__(self, frame: pl.DataFrame, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self.rows = frame.height
        # one 64-bit hash per row over every column (two different combinations share one
        # with probability ~ m² / 2^65 for m combinations: 3e-8 at a million), then one
        # representative row per combination — far less memory than a group-by on strings
        key = frame.select(pl.struct(self.columns).hash(0x5EED).alias(_KEY))[_KEY]
        first = key.is_first_distinct().arg_true()
        table = (
            frame[first]
            .select(self.columns)
            .with_columns(key.gather(first).alias(_KEY))
            .join(key.value_counts(name=_COUNT), on=_KEY)
        )
        self._table = table
        self._weights = table[_COUNT].to_numpy().astype(np.int64)
        coded = table.select(
            pl.col(c).cast(pl.String).rank("dense").fill_null(0).cast(pl.Int64)
            for c in self.columns
        )
        self._codes = {c: coded[c].to_numpy() for c in self.columns}
        self._cards = {c: int(self._codes[c].max(initial=0)) + 1 for c in self.columns}

    def sizes(self, combination: Sequence[str]) -> np.ndarray:
        """Records per distinct value combination of *combination* (any order)."""
        cols = list(combination)
        if not cols or self._table.height == 0:
            return np.array([self.rows] if self.rows else [], dtype=np.int64)
        space = 1
        for c in cols:
            space *= self._cards[c]
        if space >= 1 << 62:
            key = self._table.select(pl.struct(cols).hash(7))[:, 0].to_numpy().astype(np.int64)
        else:
            key = np.zeros(self._table.height, dtype=np.int64)
            for c in cols:
                key = key * self._cards[c] + self._codes[c]
        _, groups = np.unique(key, return_inverse=True)
        return np.bincount(groups, weights=self._weights).astype(np.int64)
