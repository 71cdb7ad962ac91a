"""Sample uniques and minimal sample uniques (SUDA2's definition) over quasi-identifiers.

A record is a **sample unique** on a set of attributes when no other record shares
its values on them. The set is a **minimal sample unique** (MSU) for that record
when no proper subset is unique for it as well (Elliot et al.'s SUDA; Manning,
Haglin & Keane's SUDA2). Small MSUs are what make a record easy to single out:
an attacker needs fewer facts. Uniqueness only grows with more attributes, so a
set is minimal exactly when none of its subsets one attribute smaller is unique
for the record — which is what is checked here, level by level.

``tests/oracles/test_arx.py`` checks the counts against SUDA2 as ARX ships it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from privlab._validate import check_int
from privlab.exceptions import ColumnNotFoundError, InputError
from privlab.io import read

__all__ = ["SampleUniques", "minimal_sample_uniques"]


@dataclass
class SampleUniques:
    """Sample uniques and minimal sample uniques of a table (counts only, no values).

    Attributes
    ----------
    combinations:
        One row per attribute combination of size 1 … ``max_size``: ``columns``,
        ``size``, ``unique_records`` (records alone on it), ``msu_records``
        (records for which it is a minimal sample unique), ``unique_share``,
        ``msu_share`` and ``min_class_size``.
    per_record:
        MSUs per record (SUDA2's count), in row order.
    keys:
        Number of MSUs (record, attribute set) — SUDA2's number of keys.
    keys_by_size:
        ``keys_by_size[s]`` = MSUs with ``s`` attributes (index 0 unused).
    records_with_key:
        Records with at least one MSU.
    """

    quasi_identifiers: list[str]
    max_size: int
    records: int
    combinations: pl.DataFrame
    per_record: np.ndarray = field(repr=False)
    keys: int = 0
    keys_by_size: list[int] = field(default_factory=list)
    records_with_key: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "quasi_identifiers": self.quasi_identifiers,
            "max_size": self.max_size,
            "records": self.records,
            "keys": self.keys,
            "keys_by_size": self.keys_by_size,
            "records_with_key": self.records_with_key,
            "combinations": self.combinations.to_dicts(),
        }


def _codes(frame: pl.DataFrame, columns: Sequence[str]) -> dict[str, np.ndarray]:
    """Dense integer codes per column (a missing value is a value of its own)."""
    coded = frame.select(
        [
            pl.col(c)
            .cast(pl.String)
            .cast(pl.Categorical)
            .to_physical()
            .rank("dense")
            .fill_null(0)
            .cast(pl.Int64)
            .alias(c)
            for c in columns
        ]
    )
    return {c: coded[c].to_numpy() for c in columns}


def _class_sizes(
    codes: dict[str, np.ndarray], cards: dict[str, int], columns: Sequence[str], n: int
) -> np.ndarray:
    """Per record: the size of its class on *columns*."""
    size = 1
    for c in columns:
        size *= cards[c]
    if size >= 1 << 62:  # too many combinations to pack: let polars group
        frame = pl.DataFrame({c: codes[c] for c in columns})
        return frame.select(pl.len().over(list(columns)))["len"].to_numpy()
    key = np.zeros(n, dtype=np.int64)
    for c in columns:
        key = key * cards[c] + codes[c]
    if size <= max(4 * n, 1 << 20):
        return np.bincount(key, minlength=size)[key]
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    return counts[inverse]


def minimal_sample_uniques(
    data: Any, quasi_identifiers: Sequence[str], *, max_size: int = 3
) -> SampleUniques:
    """Sample uniques and minimal sample uniques on every combination of up to *max_size* QIs.

    Parameters
    ----------
    data:
        The table (polars, pandas or a path).
    quasi_identifiers:
        The columns an attacker may know.
    max_size:
        Largest combination examined (SUDA2's maximum key size).

    Returns
    -------
    SampleUniques
        Counts only; a missing value counts as a value of its own.

    Raises
    ------
    InputError
        If no quasi-identifier is given, or *max_size* is not an integer >= 1.
    ColumnNotFoundError
        If a quasi-identifier is not a column of *data*.

    Examples
    --------
    Zip 3 singles out its one record; zip 1 with sex M another (neither alone does):

    >>> import polars as pl
    >>> data = pl.DataFrame({"zip": ["1", "1", "1", "2", "2", "3"],
    ...                      "sex": ["F", "F", "M", "F", "F", "M"]})
    >>> msu = minimal_sample_uniques(data, ["zip", "sex"])
    >>> msu.keys_by_size, msu.records_with_key
    ([0, 1, 1], 2)
    >>> msu.combinations.select("columns", "unique_records", "msu_records").rows()
    [(['zip'], 1, 1), (['sex'], 0, 0), (['zip', 'sex'], 2, 1)]
    """
    qis = list(dict.fromkeys(quasi_identifiers))
    if not qis:
        raise InputError("give at least one quasi-identifier column")
    max_size = check_int(max_size, "max_size", minimum=1)
    frame = read(data).collect()
    for c in qis:
        if c not in frame.columns:
            raise ColumnNotFoundError(c, frame.columns)
    n = frame.height
    codes = _codes(frame, qis) if n else {c: np.zeros(0, dtype=np.int64) for c in qis}
    cards = {c: int(codes[c].max()) + 1 if n else 1 for c in qis}
    per_record = np.zeros(n, dtype=np.int64)
    keys_by_size = [0] * (min(max_size, len(qis)) + 1)
    rows: list[dict[str, Any]] = []
    previous: dict[tuple[str, ...], np.ndarray] = {}
    for size in range(1, min(max_size, len(qis)) + 1):
        current: dict[tuple[str, ...], np.ndarray] = {}
        for combo in itertools.combinations(qis, size):
            sizes = _class_sizes(codes, cards, combo, n)
            unique = sizes == 1
            current[combo] = unique
            minimal = unique.copy()
            if size > 1:
                for sub in itertools.combinations(combo, size - 1):
                    minimal &= ~previous[sub]
            n_msu = int(minimal.sum())
            per_record += minimal
            keys_by_size[size] += n_msu
            rows.append(
                {
                    "columns": list(combo),
                    "size": size,
                    "unique_records": int(unique.sum()),
                    "msu_records": n_msu,
                    "unique_share": float(unique.mean()) if n else 0.0,
                    "msu_share": n_msu / n if n else 0.0,
                    "min_class_size": int(sizes.min()) if n else 0,
                }
            )
        previous = current
    combinations = pl.DataFrame(
        rows,
        schema={
            "columns": pl.List(pl.String),
            "size": pl.Int64,
            "unique_records": pl.Int64,
            "msu_records": pl.Int64,
            "unique_share": pl.Float64,
            "msu_share": pl.Float64,
            "min_class_size": pl.Int64,
        },
    )
    return SampleUniques(
        quasi_identifiers=qis,
        max_size=max_size,
        records=n,
        combinations=combinations,
        per_record=per_record,
        keys=int(per_record.sum()),
        keys_by_size=keys_by_size,
        records_with_key=int((per_record > 0).sum()),
    )
