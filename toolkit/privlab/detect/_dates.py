"""Dates written in any common order, inferred from the values and parsed with polars.

A column may mix formats (``1984-03-07`` beside ``07.03.1984``). Every value is
parsed with every candidate format at once (``str.to_date(fmt, strict=False)``,
vectorized), the formats are ranked by how many values they parse, and the
results are coalesced in that order: a value that two formats read differently
(``03/07/1984``: 3 July or 7 March) takes the reading of the format that parses
more of the column — month-first wins only when no value has a day above 12 in
the month position. A column is a date when at least 95 % of its non-null values
parse. No Python runs per value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

__all__ = ["DATE_FORMATS", "DateParse", "parse_dates"]

#: Candidate formats: (strftime format, order). Times after the date are cut off first.
DATE_FORMATS: tuple[tuple[str, str], ...] = (
    ("%Y-%m-%d", "year_first"),
    ("%Y/%m/%d", "year_first"),
    ("%Y.%m.%d", "year_first"),
    ("%Y%m%d", "year_first"),
    ("%d.%m.%Y", "day_first"),
    ("%d/%m/%Y", "day_first"),
    ("%d-%m-%Y", "day_first"),
    ("%m/%d/%Y", "month_first"),
    ("%m-%d-%Y", "month_first"),
    ("%m.%d.%Y", "month_first"),
    ("%d.%m.%y", "day_first"),
    ("%d/%m/%y", "day_first"),
    ("%m/%d/%y", "month_first"),
    ("%d %B %Y", "day_first"),
    ("%d %b %Y", "day_first"),
    ("%B %d, %Y", "month_first"),
    ("%b %d, %Y", "month_first"),
    ("%Y年%m月%d日", "year_first"),
)
#: A value must look like a date before any format is tried (digits and separators,
#: or a month name); keeps numbers and codes from being read as dates.
_SHAPE = (
    r"^(?:\d{1,4}[./\-]\d{1,2}[./\-]\d{2,4}|\d{8}|\d{4}年\d{1,2}月\d{1,2}日|"
    r"\d{1,2} [A-Za-z]{3,9}\.? \d{4}|[A-Za-z]{3,9}\.? \d{1,2}, \d{4})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_TIME = r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
_MIN_SHARE = 0.95
_YEARS = (1850, 2150)


@dataclass(frozen=True)
class DateParse:
    """The outcome of :func:`parse_dates`: the dates, the share parsed and the formats used."""

    dates: pl.Series
    share: float
    formats: dict[str, float] = field(default_factory=dict)  # format -> share it parsed
    order: str | None = None  # year_first / day_first / month_first (the best format's)

    @property
    def is_date(self) -> bool:
        """At least 95 % of the non-null values parsed."""
        return self.share >= _MIN_SHARE


def parse_dates(values: pl.Series) -> DateParse:
    """Parse a string column whose date format is unknown (or mixed); see the module doc.

    Parameters
    ----------
    values:
        The column (strings; temporal columns are cast to dates as they are).

    Returns
    -------
    DateParse
        ``dates`` (same length, null where nothing parsed), ``share`` of non-null
        values parsed, ``formats`` that parsed anything with their shares, and the
        ``order`` of the best format (``"typed"`` for a temporal column).
        Years outside 1850–2150 count as not parsed.

    Examples
    --------
    >>> import polars as pl
    >>> found = parse_dates(pl.Series(["31.12.1980", "01.02.1975", "1990-06-30"]))
    >>> found.dates.to_list()
    [datetime.date(1980, 12, 31), datetime.date(1975, 2, 1), datetime.date(1990, 6, 30)]
    >>> found.order, found.share, found.is_date
    ('day_first', 1.0, True)
    """
    if values.dtype.is_temporal():
        dates = values.cast(pl.Date, strict=False)
        return DateParse(dates, 1.0 if len(values.drop_nulls()) else 0.0, {}, "typed")
    text = values.cast(pl.String).str.strip_chars()
    non_null = max(int(text.is_not_null().sum()), 1)
    shaped = text.str.contains(_SHAPE).fill_null(False)
    if float(shaped.sum()) / non_null < 0.5:
        return DateParse(pl.Series(values.name, [None] * len(values), dtype=pl.Date), 0.0)
    day = pl.when(shaped).then(text.str.replace(_TIME, "")).otherwise(None)
    frame = pl.DataFrame({"v": text}).with_columns(day.alias("d"))
    parsed = frame.select(
        [
            pl.col("d").str.to_date(fmt, strict=False).alias(str(i))
            for i, (fmt, _) in enumerate(DATE_FORMATS)
        ]
    )
    in_range = parsed.select(
        [
            pl.when(pl.col(c).dt.year().is_between(*_YEARS)).then(pl.col(c)).otherwise(None)
            for c in parsed.columns
        ]
    )
    counts = {
        int(c): int(n) for c, n in in_range.select(pl.all().count()).row(0, named=True).items()
    }
    ranked = sorted((i for i in counts if counts[i] > 0), key=lambda i: (-counts[i], i))
    if not ranked:
        return DateParse(pl.Series(values.name, [None] * len(values), dtype=pl.Date), 0.0)
    dates = in_range.select(pl.coalesce([pl.col(str(i)) for i in ranked])).to_series()
    share = float(dates.is_not_null().sum()) / non_null
    formats = {DATE_FORMATS[i][0]: round(counts[i] / non_null, 4) for i in ranked}
    return DateParse(dates.rename(values.name), share, formats, DATE_FORMATS[ranked[0]][1])
