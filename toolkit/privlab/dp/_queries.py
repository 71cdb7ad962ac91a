"""Query specifications: what to release, independent of data and budget.

A :class:`DPQuery` is plain data (kind, column, bounds, grouping, public keys).
It touches no data and spends nothing; a :class:`~privlab.dp.DPSession` turns
it into an OpenDP polars plan, previews its accuracy, or releases it.

Examples
--------
>>> import privlab.dp as pdp
>>> q = pdp.mean("age", bounds=(18, 90), by="sex", keys=["F", "M"])
>>> q.kind, q.column, q.bounds, q.by
('mean', 'age', (18.0, 90.0), ('sex',))
>>> q.fingerprint() == pdp.mean("age", bounds=(18, 90), by="sex", keys=["M", "F"]).fingerprint()
True
"""

from __future__ import annotations

import builtins
import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from privlab.exceptions import DPQueryError

__all__ = [
    "DPQuery",
    "count",
    "histogram",
    "mean",
    "median",
    "quantile",
    "sum",
]

Kind = Literal["count", "sum", "mean", "quantile", "histogram"]
Nulls = Literal["drop", "impute"]
BoundsLike = tuple[float, float] | Sequence[float] | Literal["auto"] | None
KeysLike = Sequence[Any] | Mapping[str, Sequence[Any]] | pl.DataFrame | None

#: Name of the bin column a numeric histogram groups by.
BIN_COLUMN = "bin"


@dataclass(frozen=True, eq=False)
class DPQuery:
    """A differentially private statistic to release (no data, no budget).

    Build one with :func:`count`, :func:`sum`, :func:`mean`, :func:`quantile`,
    :func:`median` or :func:`histogram`.

    Attributes
    ----------
    kind:
        ``"count"``, ``"sum"``, ``"mean"``, ``"quantile"`` or ``"histogram"``.
    column:
        The column aggregated (``None`` for a row count).
    bounds:
        Clipping bounds ``(lower, upper)`` for sums, means and quantile
        candidates, or ``"auto"`` to estimate them with a small share of ε.
    by:
        Grouping columns (empty for a scalar statistic).
    keys:
        Public group keys (a frame with the ``by`` columns), or ``None`` to
        release only groups whose noisy count clears a δ-calibrated threshold.
    q:
        The quantile in ``[0, 1]`` (quantiles only).
    candidates:
        Candidate values the quantile is chosen from (quantiles only).
    edges:
        Bin edges of a numeric histogram; ``None`` bins a categorical column
        by its values.
    nulls:
        Missing values (null, and NaN in float columns): ``"drop"`` — the
        statistic is over the non-missing values, dropped inside the OpenDP
        plan, so a mean's sum and count cover the same rows — or
        ``"impute"``, replacing them by ``impute`` (a value inside the
        bounds) before clipping.
    impute:
        The value missing values take with ``nulls="impute"``.
    """

    kind: Kind
    column: str | None = None
    bounds: tuple[float, float] | Literal["auto"] | None = None
    by: tuple[str, ...] = ()
    keys: pl.DataFrame | None = field(default=None, repr=False)
    q: float | None = None
    candidates: tuple[float, ...] | None = None
    edges: tuple[float, ...] | None = None
    nulls: Nulls = "drop"
    impute: float | None = None

    @property
    def label(self) -> str:
        """Short human name, e.g. ``mean(age) by sex``."""
        inner = self.column or ""
        name = (
            f"quantile({inner}, {self.q:g})" if self.kind == "quantile" else f"{self.kind}({inner})"
        )
        return name + (f" by {', '.join(self.by)}" if self.by else "")

    @property
    def group_columns(self) -> tuple[str, ...]:
        """Columns the released frame is keyed by (``bin`` for numeric histograms)."""
        if self.kind == "histogram":
            return (BIN_COLUMN,) if self.edges is not None else (str(self.column),)
        return self.by

    @property
    def has_accuracy(self) -> bool:
        """Whether OpenDP reports an accuracy (a confidence interval) for it."""
        return self.kind != "quantile"

    def describe(self) -> dict[str, Any]:
        """JSON-ready description: what the ledger and audit log record.

        No data values appear in it except declared public keys.
        """
        keys = None
        if self.keys is not None:
            rows = sorted(self.keys.rows(), key=lambda r: json.dumps(r, default=str))
            keys = {"columns": self.keys.columns, "rows": rows}
        return {
            "kind": self.kind,
            "column": self.column,
            "bounds": list(self.bounds) if isinstance(self.bounds, tuple) else self.bounds,
            "by": list(self.by),
            "keys": keys,
            "q": self.q,
            "candidates": list(self.candidates) if self.candidates is not None else None,
            "edges": list(self.edges) if self.edges is not None else None,
            "nulls": self.nulls,
            "impute": self.impute,
        }

    def fingerprint(self) -> str:
        """sha256 of the canonical description: equal queries, equal fingerprints."""
        text = json.dumps(self.describe(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def with_bounds(self, bounds: tuple[float, float]) -> DPQuery:
        """A copy with concrete clipping bounds (used after ``bounds='auto'``)."""
        candidates = self.candidates
        if self.kind == "quantile" and self.candidates is None:
            candidates = _linspace(bounds, 101)
        return DPQuery(
            self.kind,
            self.column,
            bounds,
            self.by,
            self.keys,
            self.q,
            candidates,
            self.edges,
            self.nulls,
            self.impute,
        )


# --------------------------------------------------------------------------- helpers


def _linspace(bounds: tuple[float, float], n: int) -> tuple[float, ...]:
    lo, hi = bounds
    return tuple(lo + (hi - lo) * i / (n - 1) for i in range(n))


def _check_column(column: Any, what: str) -> str:
    if not isinstance(column, str) or not column:
        raise DPQueryError(f"{what} must be a column name (a non-empty string), got {column!r}")
    return column


def _normalize_by(by: str | Sequence[str] | None) -> tuple[str, ...]:
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    out = tuple(by)
    for col in out:
        _check_column(col, "`by`")
    if len(set(out)) != len(out):
        raise DPQueryError(f"`by` lists a column twice: {list(out)!r}")
    return out


def _normalize_bounds(bounds: BoundsLike, what: str) -> tuple[float, float] | Literal["auto"]:
    if isinstance(bounds, str):
        if bounds == "auto":
            return "auto"
        raise DPQueryError(f"bounds for {what} must be (lower, upper) or 'auto', got {bounds!r}")
    if bounds is None:
        raise DPQueryError(
            f"{what} needs clipping bounds: expected bounds=(lower, upper) — each value is "
            "clipped into them, which bounds one person's influence — got None; pass "
            "bounds=(lo, hi) or bounds='auto' to estimate them with a small share of ε"
        )
    try:
        lo, hi = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise DPQueryError(
            f"bounds for {what} must be two numbers (lower, upper), got {bounds!r}"
        ) from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        raise DPQueryError(f"bounds for {what} must be finite with lower < upper, got {bounds!r}")
    return (lo, hi)


def _normalize_nulls(
    nulls: Any, impute_value: Any, bounds: tuple[float, float] | Literal["auto"], what: str
) -> tuple[Nulls, float | None]:
    if nulls == "drop":
        if impute_value is not None:
            raise DPQueryError(
                f"{what}: impute_value={impute_value!r} needs nulls='impute' (got nulls='drop')"
            )
        return "drop", None
    if nulls != "impute":
        raise DPQueryError(f"{what}: nulls must be 'drop' or 'impute', got {nulls!r}")
    if bounds == "auto":
        raise DPQueryError(
            f"{what}: nulls='impute' needs explicit bounds (the value must lie inside them); "
            "give bounds=(lower, upper), or drop the missing values (nulls='drop')"
        )
    if isinstance(impute_value, bool) or not isinstance(impute_value, int | float):
        raise DPQueryError(
            f"{what}: nulls='impute' needs impute_value= (a number inside the bounds), "
            f"got {impute_value!r}"
        )
    lo, hi = bounds
    if not (math.isfinite(impute_value) and lo <= impute_value <= hi):
        raise DPQueryError(
            f"{what}: impute_value must lie inside the bounds [{lo:g}, {hi:g}], got "
            f"{impute_value!r}; a value outside would be clipped and bias the statistic"
        )
    return "impute", float(impute_value)


def _normalize_keys(keys: KeysLike, by: tuple[str, ...]) -> pl.DataFrame | None:
    if keys is None:
        return None
    if not by:
        raise DPQueryError("`keys` were given without `by`: pass the grouping column(s) too")
    if isinstance(keys, pl.DataFrame):
        frame = keys
    elif isinstance(keys, Mapping):
        frame = None
        for col in by:
            if col not in keys:
                raise DPQueryError(f"`keys` has no values for grouping column {col!r}")
            part = pl.DataFrame({col: list(keys[col])})
            frame = part if frame is None else frame.join(part, how="cross")
        assert frame is not None
    else:
        if len(by) != 1:
            raise DPQueryError(
                f"a plain list of keys needs exactly one `by` column, got by={list(by)!r}; "
                "pass a dict {column: values} or a polars DataFrame of key combinations"
            )
        frame = pl.DataFrame({by[0]: list(keys)})
    assert frame is not None
    missing = [c for c in by if c not in frame.columns]
    if missing:
        raise DPQueryError(f"`keys` frame lacks grouping column(s) {missing!r}")
    frame = frame.select(by).unique(maintain_order=True)
    if frame.height == 0:
        raise DPQueryError("`keys` is empty: declare at least one public group key")
    return frame


# --------------------------------------------------------------------------- builders


def count(
    column: str | None = None,
    *,
    by: str | Sequence[str] | None = None,
    keys: KeysLike = None,
) -> DPQuery:
    """Count rows (``column=None``) or non-missing values of ``column``.

    Parameters
    ----------
    column:
        ``None`` counts rows; a column name counts its non-null values.
    by:
        Grouping column(s).
    keys:
        Public keys of the groups: a list (one ``by`` column), a dict
        ``{column: values}`` (all combinations) or a polars DataFrame. Without
        keys, only groups whose noisy count clears a threshold are released
        (this needs δ > 0).

    Examples
    --------
    >>> import privlab.dp as pdp
    >>> pdp.count(by="sex", keys=["F", "M"]).label
    'count() by sex'
    """
    col = None if column is None else _check_column(column, "column")
    by_t = _normalize_by(by)
    return DPQuery("count", col, None, by_t, _normalize_keys(keys, by_t))


def sum(
    column: str,
    *,
    bounds: BoundsLike = None,
    by: str | Sequence[str] | None = None,
    keys: KeysLike = None,
    nulls: Nulls = "drop",
    impute_value: float | None = None,
) -> DPQuery:
    """Sum of the non-missing values of ``column``, each clipped into ``bounds``.

    With ``nulls="impute"`` missing values count as ``impute_value`` (inside
    the bounds) instead.

    Parameters
    ----------
    column:
        The numeric column summed.
    bounds:
        ``(lower, upper)``: each value is clipped into them, which bounds one
        person's influence; or ``"auto"`` to estimate them in the session with a
        small share of ε.
    by, keys:
        Grouping column(s) and their public keys, as for :func:`count`.
    nulls, impute_value:
        ``"drop"`` missing values (null, and NaN in float columns), or
        ``"impute"`` them as ``impute_value``, a number inside explicit bounds.

    Raises
    ------
    DPQueryError
        If the bounds are missing, not finite or not increasing, the keys do not
        fit ``by``, or ``impute_value`` does not fit ``nulls``.

    Examples
    --------
    >>> import privlab.dp as pdp
    >>> pdp.sum("income", bounds=(0, 200_000)).bounds
    (0.0, 200000.0)
    """
    col = _check_column(column, "column")
    by_t = _normalize_by(by)
    b = _normalize_bounds(bounds, f"sum({col})")
    how, value = _normalize_nulls(nulls, impute_value, b, f"sum({col})")
    return DPQuery("sum", col, b, by_t, _normalize_keys(keys, by_t), nulls=how, impute=value)


def mean(
    column: str,
    *,
    bounds: BoundsLike = None,
    by: str | Sequence[str] | None = None,
    keys: KeysLike = None,
    nulls: Nulls = "drop",
    impute_value: float | None = None,
) -> DPQuery:
    """Mean of the non-missing values of ``column``, each clipped into ``bounds``.

    Released as two noisy numbers in one OpenDP measurement, as OpenDP's
    ``.dp.mean`` does (ε split evenly): the sum of the clipped values minus
    the bounds' midpoint, and the count of the same rows (missing values are
    dropped inside the plan); the estimate is the midpoint plus their ratio.
    Centering halves the sum's sensitivity for data far from 0. With
    ``nulls="impute"`` missing values count as ``impute_value`` instead.

    Parameters
    ----------
    column:
        The numeric column averaged.
    bounds:
        ``(lower, upper)``: each value is clipped into them, which bounds one
        person's influence; or ``"auto"`` to estimate them in the session with a
        small share of ε.
    by, keys:
        Grouping column(s) and their public keys, as for :func:`count`.
    nulls, impute_value:
        As for :func:`sum`.

    Raises
    ------
    DPQueryError
        As for :func:`sum`.

    Examples
    --------
    >>> import privlab.dp as pdp
    >>> pdp.mean("age", bounds=(0, 100)).label
    'mean(age)'
    """
    col = _check_column(column, "column")
    by_t = _normalize_by(by)
    b = _normalize_bounds(bounds, f"mean({col})")
    how, value = _normalize_nulls(nulls, impute_value, b, f"mean({col})")
    return DPQuery("mean", col, b, by_t, _normalize_keys(keys, by_t), nulls=how, impute=value)


def quantile(
    column: str,
    q: float,
    *,
    bounds: BoundsLike = None,
    candidates: Sequence[float] | None = None,
    by: str | Sequence[str] | None = None,
    keys: KeysLike = None,
) -> DPQuery:
    """The ``q``-quantile of ``column``, chosen among ``candidates`` by OpenDP.

    Give either ``candidates`` (the values the answer may take) or ``bounds``
    (101 evenly spaced candidates between them). OpenDP reports no accuracy
    for quantiles, so the answer carries no confidence interval.

    Parameters
    ----------
    column:
        The numeric column.
    q:
        The quantile, in [0, 1].
    bounds:
        ``(lower, upper)`` for 101 evenly spaced candidates, or ``"auto"``.
    candidates:
        The values the answer may take (at least two finite numbers); they
        replace *bounds*.
    by, keys:
        Grouping column(s) and their public keys, as for :func:`count`.

    Raises
    ------
    DPQueryError
        If *q* is not in [0, 1], or the candidates, bounds or keys are invalid.

    Examples
    --------
    >>> import privlab.dp as pdp
    >>> q = pdp.quantile("age", 0.9, bounds=(0, 100))
    >>> len(q.candidates), q.candidates[:3]
    (101, (0.0, 1.0, 2.0))
    """
    col = _check_column(column, "column")
    if isinstance(q, bool) or not isinstance(q, int | float) or not 0.0 <= float(q) <= 1.0:
        raise DPQueryError(f"q must be a number in [0, 1], got {q!r}")
    by_t = _normalize_by(by)
    cands: tuple[float, ...] | None = None
    norm_bounds: tuple[float, float] | Literal["auto"] | None
    if candidates is not None:
        try:
            cands = tuple(sorted({float(c) for c in candidates}))
        except (TypeError, ValueError):
            raise DPQueryError(f"candidates must be numbers, got {candidates!r}") from None
        if len(cands) < 2 or not all(math.isfinite(c) for c in cands):
            raise DPQueryError(f"candidates must be >= 2 finite numbers, got {candidates!r}")
        norm_bounds = (cands[0], cands[-1])
    else:
        norm_bounds = _normalize_bounds(bounds, f"quantile({col})")
        if norm_bounds != "auto":
            cands = _linspace(norm_bounds, 101)
    return DPQuery("quantile", col, norm_bounds, by_t, _normalize_keys(keys, by_t), float(q), cands)


def median(
    column: str,
    *,
    bounds: BoundsLike = None,
    candidates: Sequence[float] | None = None,
    by: str | Sequence[str] | None = None,
    keys: KeysLike = None,
) -> DPQuery:
    """The median: ``quantile(column, 0.5, ...)``.

    Examples
    --------
    >>> import privlab.dp as pdp
    >>> pdp.median("age", bounds=(0, 100)).q
    0.5
    """
    return quantile(column, 0.5, bounds=bounds, candidates=candidates, by=by, keys=keys)


def histogram(
    column: str,
    *,
    edges: Sequence[float] | None = None,
    keys: Sequence[Any] | None = None,
) -> DPQuery:
    """Counts per bin of a numeric column (``edges``) or per value of a categorical one.

    With ``edges`` the bins are ``(-inf, e0], (e0, e1], …, (e_last, inf)`` —
    public by construction. Without ``edges`` the column's values are the
    groups: declare them as ``keys``, or leave ``keys=None`` to release only
    values whose noisy count clears a δ-calibrated threshold.

    Parameters
    ----------
    column:
        The column counted.
    edges:
        Strictly increasing bin edges (numeric column).
    keys:
        The public categories (categorical column).

    Raises
    ------
    DPQueryError
        If both *edges* and *keys* are given, or the edges are not increasing
        numbers.

    Examples
    --------
    >>> import privlab.dp as pdp
    >>> pdp.histogram("age", edges=[18, 30, 50, 70]).group_columns
    ('bin',)
    """
    col = _check_column(column, "column")
    if edges is not None:
        if keys is not None:
            raise DPQueryError(
                "give either `edges` (numeric bins) or `keys` (categories), not both"
            )
        try:
            e = tuple(float(v) for v in edges)
        except (TypeError, ValueError):
            raise DPQueryError(f"edges must be numbers, got {edges!r}") from None
        if not e or any(b <= a for a, b in itertools.pairwise(e)):
            raise DPQueryError(f"edges must be strictly increasing and non-empty, got {edges!r}")
        return DPQuery("histogram", col, None, (), None, None, None, e)
    return DPQuery("histogram", col, None, (), _normalize_keys(keys, (col,)), None, None, None)


def bin_labels(edges: Sequence[float]) -> list[str]:
    """Labels of the bins ``(-inf, e0], (e0, e1], …, (e_last, inf)``.

    Examples
    --------
    >>> bin_labels([0, 10])
    ['(-inf, 0]', '(0, 10]', '(10, inf)']
    """
    fmt = [f"{v:g}" for v in edges]
    out = [f"(-inf, {fmt[0]}]"]
    out += [f"({a}, {b}]" for a, b in itertools.pairwise(fmt)]
    out.append(f"({fmt[-1]}, inf)")
    return out


_ = builtins  # keep the builtins import explicit: this module shadows `sum`
