"""The one hierarchy suggester, used by the profile, the recipe builder and the trade-off."""

from __future__ import annotations

import math

import polars as pl

from privlab.detect import parse_dates
from privlab.hierarchy._hierarchy import (
    Hierarchy,
    date_hierarchy,
    interval_hierarchy,
    prefix_hierarchy,
    suppress_hierarchy,
)

__all__ = ["suggest"]

_ISO_DATE = r"^\d{4}-\d{2}-\d{2}"
_DATE_LEVELS = ["month", "quarter", "year", "decade"]
_DATE_TYPES = frozenset({"date", "date_of_birth"})


def suggest(series: pl.Series, *, semantic_type: str | None = None) -> Hierarchy:
    """A reasonable generalization hierarchy for a quasi-identifier column.

    Numbers → four nested interval widths (5, 10, 20, 40 × a power of ten that
    fits the range); dates and ISO date text → month, quarter, year, decade;
    digit strings of one length ≥ 3 (ZIP codes, postcodes) → every prefix;
    anything else → suppression (the value or ``*``).

    Parameters
    ----------
    series:
        The column's values (the name is not used).
    semantic_type:
        The profile's type for the column, when known. ``"date"`` or
        ``"date_of_birth"`` text in other orders (``31.12.1980``, ``12/31/1980``)
        gets a date hierarchy that reads the formats the values are written in.

    Returns
    -------
    Hierarchy
        A rule-based hierarchy (export it with :meth:`Hierarchy.to_spec`).

    Examples
    --------
    >>> import polars as pl
    >>> suggest(pl.Series("zip", ["02139", "94107"])).to_spec()
    {'type': 'prefix', 'keep': [4, 3, 2, 1]}
    >>> suggest(pl.Series("age", [18, 45, 90])).to_spec()
    {'type': 'interval', 'widths': [5, 10, 20, 40]}
    >>> suggest(pl.Series("sex", ["F", "M"])).to_spec()
    {'type': 'suppress'}
    >>> suggest(pl.Series(["12/31/1980", "11/30/1975"]), semantic_type="date_of_birth").to_spec()
    {'type': 'date', 'levels': ['month', 'quarter', 'year', 'decade'], 'formats': ['%m/%d/%Y']}
    """
    values = series.drop_nulls()
    dtype = series.dtype
    if dtype.is_temporal():
        return date_hierarchy(levels=_DATE_LEVELS)
    if dtype.is_numeric() and dtype != pl.Boolean:
        lo, hi = (values.min(), values.max()) if len(values) else (0, 0)
        span = float(hi) - float(lo)  # type: ignore[arg-type]
        base = 10 ** max(0, math.floor(math.log10(span / 20))) if span > 20 else 1
        widths = [base * 5, base * 10, base * 20, base * 40]
        if dtype.is_float() and span <= 20:
            widths = [1, 2, 4, 8]
        return interval_hierarchy(widths=widths)
    text = values.cast(pl.String)
    if len(text) and text.str.contains(_ISO_DATE).all():
        return date_hierarchy(levels=_DATE_LEVELS)
    if semantic_type in _DATE_TYPES and len(text):
        parsed = parse_dates(text)
        if parsed.is_date:
            return date_hierarchy(levels=_DATE_LEVELS, formats=list(parsed.formats))
    lengths = text.str.len_chars().unique()
    if len(text) and lengths.len() == 1 and text.str.contains(r"^\d+$").all():
        width = int(lengths[0])
        if width >= 3:
            return prefix_hierarchy(keep=list(range(width - 1, 0, -1)))
    return suppress_hierarchy()
