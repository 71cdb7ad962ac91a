"""Generalization hierarchies: one per quasi-identifier, level 0 = the raw value.

A :class:`Hierarchy` maps every value of a column to a label at each level,
from the value itself (level 0) to a single top label (usually ``*``, the
attribute fully suppressed). Two kinds exist:

- **materialized** — an explicit table, as in ARX's hierarchy CSV files (one row
  per value, one column per level) or the inline ``levels`` form of a recipe;
- **rule-based** — interval, prefix, date and suppress hierarchies, which
  compute labels from the value (so unseen values on a new batch generalize
  without a table); :meth:`Hierarchy.fit` materializes them over the values
  present in the data for the search.

Every hierarchy turns into a per-row polars expression with
:meth:`Hierarchy.generalize_expr` (apply needs only what fit learned) and
round-trips through a spec dict (the ``hierarchies`` section of a recipe):

=========================================================  ===============================
spec                                                       hierarchy
=========================================================  ===============================
``{type: interval, widths: [5, 10, 20]}``                  numeric bins of growing width
``{type: interval, edges: [[0, 18, 65], [0, 65]]}``        numeric bins by edges per level
``{type: prefix, keep: [4, 3, 2]}``                        ``94107 → 9410* → 941** → 94***``
``{type: date, levels: [month, quarter, year]}``           dates (also ``week``, ``decade``);
                                                           ``formats: ["%d.%m.%Y"]`` for
                                                           non-ISO text, tried in order
``{type: arx_csv, path: h.csv, sep: ";"}``                 ARX hierarchy file
``{type: levels, values: {Male: ["*"], Female: ["*"]}}``   inline table: value → labels
``{type: suppress}``                                       value → ``*``
=========================================================  ===============================

Examples
--------
>>> import polars as pl
>>> from privlab.hierarchy import prefix_hierarchy
>>> h = prefix_hierarchy(keep=[3, 1])
>>> h.height
4
>>> pl.DataFrame({"zip": ["94107"]}).select(h.generalize_expr("zip", 1))["zip"].item()
'941**'
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from privlab.exceptions import HierarchyError

__all__ = [
    "Hierarchy",
    "date_hierarchy",
    "interval_hierarchy",
    "prefix_hierarchy",
    "suppress_hierarchy",
]

TOP = "*"
_TIME = r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
_DATE_LEVELS = ("day", "week", "month", "quarter", "year", "decade")


class Hierarchy:
    """A generalization hierarchy for one column.

    Build one with :meth:`from_arx_csv`, :meth:`from_levels`, :meth:`from_spec`
    or the builders :func:`interval_hierarchy`, :func:`prefix_hierarchy`,
    :func:`date_hierarchy`, :func:`suppress_hierarchy`.

    Examples
    --------
    >>> h = Hierarchy.from_levels({"Male": ["*"], "Female": ["*"]})
    >>> h.height, h.labels("Female")
    (2, ['Female', '*'])
    """

    def __init__(self, spec: Mapping[str, Any], table: Mapping[str, Sequence[str]] | None = None):
        self._spec = dict(spec)
        self._table: dict[str, list[str]] | None = (
            None if table is None else {str(k): [str(x) for x in v] for k, v in table.items()}
        )
        self._height = self._compute_height()
        self.fitted_values_: list[str] | None = None

    # -- constructors ------------------------------------------------------------------

    @classmethod
    def from_levels(cls, table: Mapping[Any, Sequence[Any]]) -> Hierarchy:
        """An explicit table: value → labels of levels 1, 2, … (level 0 is the value)."""
        clean = {str(k): [str(x) for x in v] for k, v in table.items()}
        _check_table(clean, "levels hierarchy")
        return cls({"type": "levels", "values": clean}, clean)

    @classmethod
    def from_arx_csv(cls, path: str | Path, *, sep: str = ";") -> Hierarchy:
        r"""Read an ARX hierarchy file: one row per value, one column per level.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "sex.csv"
        >>> _ = p.write_text("Male;*\nFemale;*\n")
        >>> Hierarchy.from_arx_csv(p).height
        2
        """
        path = Path(path)
        if not path.exists():
            raise HierarchyError(f"hierarchy file {str(path)!r} does not exist")
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.reader(handle, delimiter=sep) if row and any(row)]
        if not rows:
            raise HierarchyError(f"hierarchy file {path} is empty")
        widths = {len(r) for r in rows}
        if len(widths) != 1:
            bad = next(i for i, r in enumerate(rows, 1) if len(r) != len(rows[0]))
            raise HierarchyError(
                f"hierarchy file {path}: line {bad} has {len(rows[bad - 1])} levels but line 1 "
                f"has {len(rows[0])}; every row needs one column per level (separator {sep!r})"
            )
        table = {r[0]: r[1:] for r in rows}
        if len(table) != len(rows):
            dup = [v for v, n in Counter(r[0] for r in rows).items() if n > 1][:3]
            raise HierarchyError(f"hierarchy file {path} lists values more than once: {dup!r}")
        _check_table(table, f"hierarchy file {path}")
        return cls({"type": "arx_csv", "path": str(path), "sep": sep}, table)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], *, base_dir: Path | None = None) -> Hierarchy:
        """Build a hierarchy from its recipe spec (see the module docstring)."""
        if isinstance(spec, Hierarchy):
            return spec
        if not isinstance(spec, Mapping) or "type" not in spec:
            raise HierarchyError(
                f"a hierarchy spec must be a mapping with a 'type' key, got {spec!r}"
            )
        kind = spec["type"]
        extra = set(spec) - _SPEC_KEYS.get(kind, set()) - {"type"}
        if kind not in _SPEC_KEYS:
            raise HierarchyError(
                f"unknown hierarchy type {kind!r}; use one of {sorted(_SPEC_KEYS)}"
            )
        if extra:
            raise HierarchyError(
                f"unknown key(s) {sorted(extra)} for a {kind!r} hierarchy; "
                f"allowed: {sorted(_SPEC_KEYS[kind])}"
            )
        if kind == "interval":
            return interval_hierarchy(widths=spec.get("widths"), edges=spec.get("edges"))
        if kind == "prefix":
            return prefix_hierarchy(keep=spec.get("keep", ()))
        if kind == "date":
            return date_hierarchy(
                levels=spec.get("levels", ("month", "quarter", "year")),
                formats=spec.get("formats"),
            )
        if kind == "suppress":
            return suppress_hierarchy()
        if kind == "levels":
            return cls.from_levels(spec.get("values", {}))
        path = Path(spec.get("path", ""))
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        return cls.from_arx_csv(path, sep=spec.get("sep", ";"))

    # -- description -------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """The spec type: interval, prefix, date, suppress, levels or arx_csv."""
        return str(self._spec["type"])

    @property
    def materialized(self) -> bool:
        """True when the hierarchy is an explicit table (ARX CSV or inline levels)."""
        return self._table is not None

    @property
    def height(self) -> int:
        """Number of levels, level 0 (the raw value) included."""
        return self._height

    def _compute_height(self) -> int:
        kind = self._spec["type"]
        if self._table is not None:
            return 1 + len(next(iter(self._table.values())))
        if kind == "interval":
            return 2 + len(self._spec.get("widths") or self._spec.get("edges") or [])
        if kind == "prefix":
            return 2 + len(self._spec["keep"])
        if kind == "date":
            return 2 + len(self._spec["levels"])
        return 2  # suppress

    def to_spec(self) -> dict[str, Any]:
        """The recipe spec; ``Hierarchy.from_spec(h.to_spec())`` rebuilds *h*."""
        return json.loads(json.dumps(self._spec))

    def content_hash(self) -> str:
        """sha256 of the hierarchy's content (file contents included, not its path)."""
        if self._table is not None:
            payload: Any = {"table": sorted(self._table.items())}
        else:
            payload = self._spec
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def __repr__(self) -> str:
        return f"Hierarchy({self._spec!r}, height={self.height})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Hierarchy) and other.content_hash() == self.content_hash()

    def __hash__(self) -> int:
        return hash(self.content_hash())

    # -- labels ------------------------------------------------------------------------

    def labels(self, value: Any) -> list[str]:
        """Labels of *value* at every level, level 0 first."""
        frame = pl.DataFrame({"v": [value]})
        return [
            str(frame.select(self.generalize_expr("v", lv)).item()) for lv in range(self.height)
        ]

    def table(self, values: Sequence[Any] | pl.Series) -> list[list[str]]:
        """Labels of every value per level: ``table[level][i]`` for ``values[i]``.

        Raises
        ------
        HierarchyError
            When a value is not covered (materialized hierarchies) or cannot be
            generalized (e.g. text in an interval hierarchy).
        """
        series = values if isinstance(values, pl.Series) else pl.Series("v", list(values))
        if self._table is not None and series.dtype == pl.String:
            # a table lookup per value (the search calls this on distinct values only)
            texts = series.to_list()
            rows = [self._table.get(v) if v is not None else None for v in texts]
            if all(r is not None for r in rows):
                return [texts] + [[r[lv] for r in rows] for lv in range(self.height - 1)]  # type: ignore[index]
        frame = pl.DataFrame({"v": series})
        self._check_covered(series, series.name or "v")
        out = frame.select(
            [self.generalize_expr("v", lv).alias(f"l{lv}") for lv in range(self.height)]
        )
        return [out[f"l{lv}"].cast(pl.String).to_list() for lv in range(self.height)]

    def domain_size(self, fitted_values: int) -> int:
        """Size of the domain for ARX's Loss: the table's rows, or the fitted distinct values."""
        return len(self._table) if self._table is not None else fitted_values

    def shares(self, level: int, labels: Sequence[str], fitted: Sequence[str]) -> np.ndarray:
        """ARX domain shares of *labels* at *level*: covered values / domain size.

        For a materialized hierarchy the domain is its table (as ARX's
        ``DomainShareMaterialized``); for a rule-based one, the distinct values
        it was fitted on (*fitted*: their labels at *level*).
        """
        if self._table is not None:
            column = (
                list(self._table) if level == 0 else [v[level - 1] for v in self._table.values()]
            )
        else:
            column = list(fitted)
        counts = Counter(column)
        size = len(column)
        return np.array([counts.get(label, 0) / size for label in labels], dtype=np.float64)

    def fit(self, values: pl.Series) -> Hierarchy:
        """Check the hierarchy covers *values* and remember their distinct values; returns self."""
        nulls = values.null_count()
        distinct = values.unique()  # coverage depends on the distinct values only
        if nulls and not distinct.null_count():  # pragma: no cover - unique keeps a null
            distinct = distinct.append(pl.Series([None], dtype=values.dtype))
        self._check_covered(distinct, values.name or "column", nulls=nulls)
        self.fitted_values_ = distinct.drop_nulls().cast(pl.String).sort().to_list()
        return self

    def _check_covered(self, values: pl.Series, column: str, *, nulls: int | None = None) -> None:
        nulls = values.null_count() if nulls is None else nulls
        if nulls:
            raise HierarchyError(
                f"column {column!r} has {nulls} missing value(s); a generalization hierarchy "
                "needs a value on every row — fill them (e.g. with 'unknown' and add it to the "
                "hierarchy) or drop those rows first"
            )
        if self._table is not None:
            present = values.cast(pl.String).unique()
            missing = present.filter(~present.is_in(list(self._table))).sort().to_list()
            if missing:
                shown = ", ".join(repr(m) for m in missing[:5])
                more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
                raise HierarchyError(
                    f"the hierarchy for column {column!r} does not cover {len(missing)} value(s) "
                    f"in the data: {shown}{more}; add rows for them to the hierarchy"
                )
            return
        try:
            out = pl.DataFrame({"v": values}).select(
                [self.generalize_expr("v", lv).alias(f"l{lv}") for lv in range(1, self.height - 1)]
            )
            if self._spec.get("formats") and out.width and out[:, 0].null_count():
                unread = out[:, 0].null_count()
                raise HierarchyError(
                    f"column {column!r}: {unread} value(s) match none of the date formats "
                    f"{self._spec['formats']!r}; add their format to the hierarchy's formats"
                )
        except pl.exceptions.PolarsError as exc:
            raise HierarchyError(
                f"column {column!r} (dtype {values.dtype}) cannot be generalized with a "
                f"{self.kind!r} hierarchy: {exc}"
            ) from None

    # -- expressions -------------------------------------------------------------------

    def generalize_expr(self, column: str, level: int) -> pl.Expr:
        """A per-row polars expression generalizing *column* to *level* (named *column*).

        Level 0 returns the column unchanged; every other level returns strings.
        """
        if not 0 <= level < self.height:
            raise HierarchyError(
                f"level {level} is outside the hierarchy of {column!r} "
                f"(levels 0..{self.height - 1})"
            )
        col = pl.col(column)
        if level == 0:
            return col
        if level == self.height - 1 and self._table is None:
            return pl.when(col.is_null()).then(None).otherwise(pl.lit(TOP)).alias(column)
        if self._table is not None:
            mapping = {value: labels[level - 1] for value, labels in self._table.items()}
            return (
                col.cast(pl.String)
                .replace_strict(mapping, default=None, return_dtype=pl.String)
                .alias(column)
            )
        kind = self._spec["type"]
        if kind == "interval":
            return _interval_expr(col, self._spec, level).alias(column)
        if kind == "prefix":
            keep = int(self._spec["keep"][level - 1])
            text = col.cast(pl.String)
            return (text.str.slice(0, keep) + text.str.slice(keep).str.replace_all(".", "*")).alias(
                column
            )
        if kind == "date":
            unit = self._spec["levels"][level - 1]
            return _date_expr(col, unit, self._spec.get("formats")).alias(column)
        raise HierarchyError(f"cannot generalize with a {kind!r} hierarchy")  # pragma: no cover


_SPEC_KEYS: dict[str, set[str]] = {
    "interval": {"widths", "edges"},
    "prefix": {"keep"},
    "date": {"levels", "formats"},
    "suppress": set(),
    "levels": {"values"},
    "arx_csv": {"path", "sep"},
}


def _check_table(table: Mapping[str, Sequence[str]], where: str) -> None:
    if not table:
        raise HierarchyError(f"{where} lists no values")
    lengths = {len(v) for v in table.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise HierarchyError(
            f"{where}: every value needs the same number (>= 1) of generalization levels, "
            f"got lengths {sorted(lengths)}"
        )
    for level in range(len(next(iter(table.values()))) - 1):
        parent: dict[str, str] = {}
        for labels in table.values():
            seen = parent.setdefault(labels[level], labels[level + 1])
            if seen != labels[level + 1]:
                raise HierarchyError(
                    f"{where}: label {labels[level]!r} at level {level + 1} generalizes to both "
                    f"{seen!r} and {labels[level + 1]!r} at level {level + 2}; levels must nest"
                )
    tops = {v[-1] for v in table.values()}
    if len(tops) != 1:
        raise HierarchyError(
            f"{where}: the top level must be one label for every value (e.g. '*'), "
            f"got {sorted(tops)[:5]!r}"
        )


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _interval_expr(col: pl.Expr, spec: Mapping[str, Any], level: int) -> pl.Expr:
    num = col.cast(pl.Float64)
    widths = spec.get("widths")
    if widths:
        width = float(widths[level - 1])
        lo = (num / width).floor() * width
        integral = all(float(w).is_integer() for w in widths)
        if integral:
            lo_i = lo.cast(pl.Int64)
            return lo_i.cast(pl.String) + "-" + (lo_i + int(width) - 1).cast(pl.String)
        return "[" + lo.cast(pl.String) + ", " + (lo + width).cast(pl.String) + ")"
    edges = [float(e) for e in spec["edges"][level - 1]]
    expr: Any = pl.when(num < edges[0]).then(pl.lit(f"<{_fmt(edges[0])}"))
    for a, b in itertools.pairwise(edges):
        expr = expr.when(num < b).then(pl.lit(f"[{_fmt(a)}, {_fmt(b)})"))
    result: pl.Expr = expr.otherwise(pl.lit(f">={_fmt(edges[-1])}"))
    return result


def _date_expr(col: pl.Expr, unit: str, formats: Sequence[str] | None = None) -> pl.Expr:
    date = pl.when(col.is_null()).then(None).otherwise(col)
    if formats:  # text in other orders: the first format that reads a value wins
        text = date.cast(pl.String).str.strip_chars().str.replace(_TIME, "")
        as_date = pl.coalesce([text.str.to_date(f, strict=False) for f in formats])
    else:
        as_date = date.cast(pl.String).str.slice(0, 10).str.to_date("%Y-%m-%d")
    if unit == "day":
        return as_date.dt.strftime("%Y-%m-%d")
    if unit == "week":
        return as_date.dt.strftime("%G-W%V")
    if unit == "month":
        return as_date.dt.strftime("%Y-%m")
    if unit == "quarter":
        return as_date.dt.year().cast(pl.String) + "-Q" + as_date.dt.quarter().cast(pl.String)
    if unit == "year":
        return as_date.dt.year().cast(pl.String)
    decade = (as_date.dt.year() // 10 * 10).cast(pl.String)
    return decade + "s"


# -- builders ----------------------------------------------------------------------------


def interval_hierarchy(
    *,
    widths: Sequence[float] | None = None,
    edges: Sequence[Sequence[float]] | None = None,
) -> Hierarchy:
    """Numeric bins per level, by growing *widths* or by explicit *edges*; top level ``*``.

    Examples
    --------
    >>> h = interval_hierarchy(widths=[5, 10])
    >>> h.labels(37)
    ['37', '35-39', '30-39', '*']
    >>> interval_hierarchy(edges=[[18, 65]]).labels(70)
    ['70', '>=65', '*']
    """
    if (widths is None) == (edges is None):
        raise HierarchyError("give exactly one of widths=[...] or edges=[[...], ...]")
    if widths is not None:
        ws = [float(w) for w in widths]
        if not ws or any(not w > 0 for w in ws) or any(b < a for a, b in itertools.pairwise(ws)):
            raise HierarchyError(
                f"interval widths must be > 0 and non-decreasing, got {list(widths)!r}"
            )
        for a, b in itertools.pairwise(ws):
            if not math.isclose(b / a, round(b / a)):
                raise HierarchyError(
                    f"each interval width must be a multiple of the one before (so bins nest), "
                    f"got {a:g} then {b:g}"
                )
        spec: dict[str, Any] = {"type": "interval", "widths": [_num(w) for w in widths]}
    else:
        levels = [[float(e) for e in level] for level in edges or []]
        if not levels or any(not lv or sorted(lv) != lv for lv in levels):
            raise HierarchyError(
                f"interval edges must be non-empty, sorted lists, one per level; got {edges!r}"
            )
        for finer, coarser in itertools.pairwise(levels):
            if not set(coarser) <= set(finer):
                raise HierarchyError(
                    "each level's edges must be a subset of the level below (so bins nest); "
                    f"{coarser} is not a subset of {finer}"
                )
        spec = {"type": "interval", "edges": [[_num(e) for e in lv] for lv in edges or []]}
    return Hierarchy(spec)


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def prefix_hierarchy(*, keep: Sequence[int]) -> Hierarchy:
    """Keep the first *keep[i]* characters at level *i + 1*, masking the rest with ``*``.

    Examples
    --------
    >>> prefix_hierarchy(keep=[4, 3]).labels("94107")
    ['94107', '9410*', '941**', '*']
    """
    ks = [int(k) for k in keep]
    if not ks or any(k < 0 for k in ks) or any(b > a for a, b in itertools.pairwise(ks)):
        raise HierarchyError(
            "prefix 'keep' must be a non-empty, non-increasing list of lengths >= 0, "
            f"got {list(keep)!r}"
        )
    return Hierarchy({"type": "prefix", "keep": ks})


def date_hierarchy(
    *,
    levels: Sequence[str] = ("month", "quarter", "year"),
    formats: Sequence[str] | None = None,
) -> Hierarchy:
    """Dates (or date strings) to coarser periods: day, week, month, quarter, year, decade.

    Text is read as ISO ``YYYY-MM-DD`` unless *formats* (strftime, e.g.
    ``["%m/%d/%Y"]``) are given; then each value takes the first format that
    reads it, and a value none reads is an error when the hierarchy is fitted.

    Examples
    --------
    >>> date_hierarchy(levels=["month", "year"]).labels("2021-05-17")
    ['2021-05-17', '2021-05', '2021', '*']
    >>> date_hierarchy(levels=["year"], formats=["%d.%m.%Y"]).labels("17.05.2021")
    ['17.05.2021', '2021', '*']
    """
    units = [str(u) for u in levels]
    bad = [u for u in units if u not in _DATE_LEVELS]
    if not units or bad:
        raise HierarchyError(f"date levels must be some of {list(_DATE_LEVELS)}, got {units!r}")
    order = [_DATE_LEVELS.index(u) for u in units]
    if order != sorted(set(order)):
        raise HierarchyError(f"date levels must go from fine to coarse, got {units!r}")
    if "week" in units and len(units) > 1:
        raise HierarchyError(
            "ISO weeks do not nest in months, quarters or calendar years; use 'week' as the "
            "only level, or day → month → quarter → year"
        )
    spec: dict[str, Any] = {"type": "date", "levels": units}
    if formats is not None:
        fmts = [str(f) for f in formats]
        if not fmts or not all("%" in f for f in fmts):
            raise HierarchyError(
                f"date formats must be strftime patterns such as '%d.%m.%Y', got {formats!r}"
            )
        spec["formats"] = fmts
    return Hierarchy(spec)


def suppress_hierarchy() -> Hierarchy:
    """Two levels: the value, then ``*``.

    Examples
    --------
    >>> suppress_hierarchy().labels("F")
    ['F', '*']
    """
    return Hierarchy({"type": "suppress"})
