"""From :class:`DPQuery` specs to one OpenDP polars plan, and from its output to answers.

Each query becomes one or more *parts* (aggregates with unique aliases):

=========  ================================================================
count      ``n``: ``dp.len`` (rows, or the rows left by the null filter)
           or ``col.dp.count`` (non-null values)
sum        ``s``: a fixed-point integer sum (see below)
mean       ``s`` (values minus the bounds' midpoint ``c``) and ``n`` — the
           estimate is ``c + s / n``; two releases, like OpenDP's mean
quantile   ``q``: ``col.dp.quantile(q, candidates)``
histogram  ``n`` per bin (``dp.len`` grouped by ``cut`` labels or values)
=========  ================================================================

Missing values
--------------
With ``nulls="drop"`` (the default) a batch whose queries all read one
column filters the rows where it is null (or NaN) inside the OpenDP plan,
so sums, counts and a mean's numerator and denominator cover the same rows,
and a group-by without public keys thresholds on that count (``dp.len``,
which OpenDP requires) — no third release. In mixed batches a missing value
adds 0 to a sum (OpenDP's sum bounds then include 0, which does not change
its sensitivity ``max(|lower|, |upper|)``) and is not counted by
``col.dp.count``. With ``nulls="impute"`` it takes the declared value
before clipping.

The public row bound
--------------------
OpenDP's ``max_length`` margin and the fixed-point scale below both come
from one number, the planner's ``max_rows``, fixed when the session opens
(over a snapshot that cannot grow).

Fixed-point sums
----------------
OpenDP bounds the rounding error of a *float* sum by a term that grows with
``max_length²``; at 11M rows it more than triples the ε a float sum costs at a
given noise scale (measured: ε 1.0 → 3.69 at the same scale). Integer sums
have no such term. So a float column is clipped, multiplied by ``k = 2**p``
and cast to Int64 before OpenDP's ``dp.sum``; the noisy integer sum is divided
by ``k`` afterwards (post-processing). ``k`` is the largest power of two with
``max_rows · max(|lower|, |upper|) · k ≤ 2**62`` (no overflow), so the
truncation error, at most ``max_rows / k`` in total, is negligible — and it
is added to the reported interval anyway.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from privlab._validate import check_delta, check_epsilon
from privlab.dp._queries import BIN_COLUMN, DPQuery, bin_labels
from privlab.exceptions import ColumnNotFoundError, DPQueryError

__all__ = [
    "Part",
    "PlanSpec",
    "Planner",
    "build_parts",
    "dyadic",
    "fixed_point_factor",
    "mean_center",
    "needs_delta",
    "opendp",
    "query_losses",
    "split_epsilon",
    "validate",
]

_NUMERIC = (
    pl.Int8,
    pl.Int16,
    pl.Int32,
    pl.Int64,
    pl.UInt8,
    pl.UInt16,
    pl.UInt32,
    pl.UInt64,
    pl.Float32,
    pl.Float64,
)


def _is_numeric(dtype: pl.DataType) -> bool:
    return any(dtype == t for t in _NUMERIC)


def _is_integer(dtype: pl.DataType) -> bool:
    return _is_numeric(dtype) and not dtype.is_float()


def fixed_point_factor(bounds: tuple[float, float], max_rows: int, *, integer: bool) -> float:
    """Multiplier ``k`` that turns clipped values into Int64 without overflow.

    Examples
    --------
    >>> fixed_point_factor((0.0, 100.0), 1_000_000, integer=False) == 2.0**35
    True
    >>> fixed_point_factor((0.0, 100.0), 1_000_000, integer=True)
    1.0
    """
    lo, hi = bounds
    m = max(abs(lo), abs(hi), 1e-300)
    if integer and lo == math.floor(lo) and hi == math.floor(hi):
        if max_rows * m > 2.0**62:
            raise DPQueryError(
                f"the integer sum could overflow: max_rows={max_rows} × {m:g} > 2**62; "
                "narrow the bounds or lower max_rows"
            )
        return 1.0
    p = math.floor(math.log2(2.0**62 / (max_rows * m)))
    p = min(p, math.floor(math.log2(2.0**52 / m)))  # stay within exact float integers
    return 2.0**p


@dataclass
class Part:
    """One aggregate of the plan."""

    index: int  # which query in the batch
    role: str  # "n", "s", "q" or "len"
    alias: str
    build: Callable[[float | None], pl.Expr]  # scale -> expression
    factor: float = 1.0  # fixed-point multiplier (sums)
    rows: bool = False  # a dp.len() count of rows (OpenDP thresholds group-bys on it)
    center: float = 0.0  # subtracted from every value before summing (means)


@dataclass
class PlanSpec:
    """Everything needed to build and read the plan of a batch of queries."""

    queries: list[DPQuery]
    parts: list[Part]
    group_columns: tuple[str, ...]
    keys: pl.DataFrame | None
    pre: list[pl.Expr]  # row-by-row columns added first (histogram bins)
    filtered: str | None = None  # rows where this column is missing are dropped first
    present: pl.Expr | None = None  # the filter keeping the rows where it is present


def validate(query: DPQuery, schema: pl.Schema, *, source: str) -> None:
    """Raise DPQueryError / ColumnNotFoundError before anything is calibrated or spent."""
    names = schema.names()
    columns = [query.column] if query.column is not None else []
    for col in [*columns, *query.by]:
        if col not in names:
            raise ColumnNotFoundError(col, names, source=source)
    if query.kind in {"sum", "mean", "quantile"} or (
        query.kind == "histogram" and query.edges is not None
    ):
        dtype = schema[str(query.column)]
        if not _is_numeric(dtype):
            raise DPQueryError(
                f"{query.label} needs a numeric column, but {query.column!r} in {source} "
                f"has dtype {dtype}; choose a numeric column (or cast it before the session)"
            )
    if query.kind in {"sum", "mean", "quantile"} and query.bounds is None:
        raise DPQueryError(f"{query.label} needs bounds=(lower, upper) or bounds='auto'")
    for col in query.group_columns:
        if query.kind == "histogram" and query.edges is not None:
            continue
        dtype = schema[col]
        if dtype.is_float():
            raise DPQueryError(
                f"cannot group by float column {col!r} (dtype {dtype}); bin it with "
                "histogram(edges=...) or cast it to integers or strings first"
            )


def _cast_keys(keys: pl.DataFrame, schema: pl.Schema, query: DPQuery) -> pl.DataFrame:
    try:
        return keys.cast({c: schema[c] for c in keys.columns}, strict=True)
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError) as exc:
        want = {c: str(schema[c]) for c in keys.columns}
        raise DPQueryError(
            f"public keys of {query.label} do not match the column dtypes {want}: {exc}"
        ) from None


def _group_setup(
    query: DPQuery, schema: pl.Schema
) -> tuple[tuple[str, ...], pl.DataFrame | None, list[pl.Expr]]:
    if query.kind == "histogram" and query.edges is not None:
        labels = bin_labels(query.edges)
        pre = [pl.col(str(query.column)).cut(list(query.edges), labels=labels).alias(BIN_COLUMN)]
        bins = pl.DataFrame({BIN_COLUMN: labels}, schema={BIN_COLUMN: pl.Categorical})
        return (BIN_COLUMN,), bins, pre
    keys = None if query.keys is None else _cast_keys(query.keys, schema, query)
    return query.group_columns, keys, []


def _keys_equal(a: pl.DataFrame | None, b: pl.DataFrame | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.columns == b.columns and a.sort(a.columns).equals(b.sort(b.columns))


def _null_filter(queries: Sequence[DPQuery], schema: pl.Schema) -> str | None:
    """The column whose missing rows the whole batch may drop up front, if any."""
    columns = {q.column for q in queries}
    if len(columns) != 1 or None in columns:
        return None
    if any(q.kind == "histogram" or q.nulls != "drop" for q in queries):
        return None
    return str(next(iter(columns)))


def mean_center(bounds: tuple[float, float], *, integer: bool) -> float:
    """The midpoint a mean's values are centered on (an integer for integer data).

    Examples
    --------
    >>> mean_center((18.0, 90.0), integer=True), mean_center((0.0, 1.0), integer=False)
    (54.0, 0.5)
    """
    mid = (bounds[0] + bounds[1]) / 2.0
    return float(math.floor(mid)) if integer else mid


def build_parts(
    queries: Sequence[DPQuery], schema: pl.Schema, *, max_rows: int, needs_len: bool = True
) -> PlanSpec:
    """Plan specification of a batch of queries sharing one grouping.

    ``needs_len``: add a ``dp.len`` part to group-bys without public keys
    (OpenDP's stable-key release thresholds on it) when no query counts rows.
    """
    group_columns, keys, pre = _group_setup(queries[0], schema)
    for q in queries[1:]:
        g, k, _p = _group_setup(q, schema)
        if g != group_columns or not _keys_equal(k, keys):
            raise DPQueryError(
                "queries released together must share their grouping and public keys; got "
                f"{queries[0].label!r} and {q.label!r} — release them separately"
            )
    filtered = _null_filter(queries, schema)
    parts: list[Part] = []
    for i, q in enumerate(queries):
        prefix = f"__q{i}_"
        col = q.column
        if q.kind in {"count", "histogram"}:
            if q.kind == "count" and col is not None and filtered is None:
                parts.append(Part(i, "n", prefix + "n", _count_expr(col, prefix + "n", schema)))
            else:
                parts.append(Part(i, "n", prefix + "n", _len_expr(prefix + "n"), rows=True))
        elif q.kind in {"sum", "mean"}:
            assert col is not None
            assert isinstance(q.bounds, tuple)
            integer = _is_integer(schema[col]) and (
                q.impute is None or float(q.impute).is_integer()
            )
            center = mean_center(q.bounds, integer=integer) if q.kind == "mean" else 0.0
            shifted = (q.bounds[0] - center, q.bounds[1] - center)
            factor = fixed_point_factor(
                (min(shifted[0], 0.0), max(shifted[1], 0.0)), max_rows, integer=integer
            )
            parts.append(
                Part(
                    i,
                    "s",
                    prefix + "s",
                    _sum_expr(
                        col,
                        q,
                        center,
                        factor,
                        integer,
                        prefix + "s",
                        filtered is not None,
                        _float_kind(schema[col]),
                    ),
                    factor,
                    center=center,
                )
            )
            if q.kind == "mean":
                if filtered is not None or q.nulls == "impute":
                    parts.append(Part(i, "n", prefix + "n", _len_expr(prefix + "n"), rows=True))
                else:
                    parts.append(Part(i, "n", prefix + "n", _count_expr(col, prefix + "n", schema)))
        elif q.kind == "quantile":
            assert col is not None
            assert q.candidates is not None
            assert q.q is not None
            parts.append(
                Part(
                    i,
                    "q",
                    prefix + "q",
                    _quantile_expr(col, q.q, q.candidates, schema[col], prefix + "q"),
                )
            )
        else:  # pragma: no cover - kinds are closed
            raise DPQueryError(f"unknown query kind {q.kind!r}")
    if needs_len and group_columns and keys is None and not any(p.rows for p in parts):
        parts.append(Part(-1, "len", "__len", _len_expr("__len"), rows=True))
    present = None if filtered is None else _present(filtered, schema)
    return PlanSpec(list(queries), parts, group_columns, keys, pre, filtered, present)


def _dp(expr: pl.Expr) -> Any:
    """OpenDP's ``.dp`` expression namespace (registered when OpenDP is imported)."""
    return expr.dp  # type: ignore[attr-defined]


def _len_expr(alias: str) -> Callable[[float | None], pl.Expr]:
    import opendp.prelude as dp

    return lambda scale: dp.len(scale=scale, signed=True).alias(alias)


def _float_kind(dtype: pl.DataType) -> str:
    """``"f64"`` for Float64, ``"f32"`` for Float32, ``""`` otherwise (no NaN possible)."""
    if dtype == pl.Float64:
        return "f64"
    return "f32" if dtype.is_float() else ""


def _present(col: str, schema: pl.Schema) -> pl.Expr:
    """Rows where ``col`` holds a value (not null, and not NaN for floats)."""
    expr = pl.col(col).is_not_null()
    if schema[col].is_float():
        expr = expr & pl.col(col).is_not_nan()
    return expr


def _count_expr(col: str, alias: str, schema: pl.Schema) -> Callable[[float | None], pl.Expr]:
    """Count of present values: ``col.dp.count``, or a sum of 0/1 flags for floats (NaN)."""
    if not schema[col].is_float():
        return lambda scale: _dp(pl.col(col)).count(scale=scale, signed=True).alias(alias)
    flag = _present(col, schema).cast(pl.Int64)
    return lambda scale: _dp(flag).sum((0, 1), scale=scale).alias(alias)


def _sum_expr(
    col: str,
    q: DPQuery,
    center: float,
    k: float,
    integer: bool,
    alias: str,
    filtered: bool,
    floating: str = "",
) -> Callable[[float | None], pl.Expr]:
    """A (centered) fixed-point sum; missing values impute, or add 0 after clipping."""
    assert isinstance(q.bounds, tuple)
    lo, hi = q.bounds
    # bounds of the summed integers: 0 included, so a dropped value (0) is in range
    if k == 1.0 and integer and center == math.floor(center):
        ilo, ihi, ic = int(lo), int(hi), int(center)
        slo, shi = min(ilo - ic, 0), max(ihi - ic, 0)

        def build_int(scale: float | None) -> pl.Expr:
            x = pl.col(col)
            if q.nulls == "impute":
                x = x.fill_null(
                    int(q.impute or 0) if float(q.impute or 0).is_integer() else q.impute
                )
            x = x.clip(ilo, ihi).cast(pl.Int64) - ic
            if not filtered:
                x = x.fill_null(0)
            return _dp(x).sum((slo, shi), scale=scale).alias(alias)

        return build_int
    klo, khi = math.floor(min(lo - center, 0.0) * k), math.ceil(max(hi - center, 0.0) * k)

    is_float = bool(floating)

    def build(scale: float | None) -> pl.Expr:
        # as few per-row operations as the plan needs: this runs over every row
        x = pl.col(col) if floating == "f64" else pl.col(col).cast(pl.Float64)
        if q.nulls == "impute":
            x = x.fill_null(float(q.impute or 0.0))
            if is_float:
                x = x.fill_nan(float(q.impute or 0.0))
        x = x.clip(lo, hi)
        if center != 0.0:
            x = x - center
        if filtered:
            x = (x * k).cast(pl.Int64)
        else:
            # NaN (and null) become null in a non-strict cast, then add 0: one operation
            # fewer than fill_nan + fill_null, which OpenDP's plans make costly per row
            x = (x * k).cast(pl.Int64, strict=False).fill_null(0)
        return _dp(x).sum((klo, khi), scale=scale).alias(alias)

    return build


def dyadic(q: float) -> float:
    """``q`` rounded to a multiple of 1/1024.

    OpenDP turns the float ``q`` into an exact fraction and scales the
    integer quantile scores by its denominator: 0.99 is about n/2**52, the
    scores saturate and the choice becomes uniform over the candidates
    (measured: noise scale 4.5e15 at q=0.99 against 1013 at q=1014/1024).

    Examples
    --------
    >>> dyadic(0.5), dyadic(0.99)
    (0.5, 0.990234375)
    """
    return round(q * 1024) / 1024


def _quantile_expr(
    col: str, q: float, candidates: tuple[float, ...], dtype: pl.DataType, alias: str
) -> Callable[[float | None], pl.Expr]:
    q = dyadic(q)
    if _is_integer(dtype) and all(c == math.floor(c) for c in candidates):
        ints = sorted({int(c) for c in candidates})
        return lambda scale: (
            _dp(pl.col(col).cast(pl.Int64)).quantile(q, ints, scale=scale).alias(alias)
        )
    floats = list(candidates)
    return lambda scale: (
        _dp(pl.col(col).cast(pl.Float64)).quantile(q, floats, scale=scale).alias(alias)
    )


def plan_frame(
    spec: PlanSpec,
    base: Any,
    scales: dict[str, float] | None,
    truncate: Callable[[Any, tuple[str, ...]], Any],
) -> Any:
    """Apply the spec to an OpenDP ``LazyFrameQuery`` ``base``; return the polars plan."""
    query = base
    if spec.present is not None:
        query = query.filter(spec.present)
    if spec.pre:
        query = query.with_columns(*spec.pre)
    query = truncate(query, spec.group_columns)
    exprs = [p.build(None if scales is None else scales[p.alias]) for p in spec.parts]
    if spec.group_columns:
        query = query.group_by(*spec.group_columns).agg(*exprs)
        if spec.keys is not None:
            query = query.with_keys(spec.keys.lazy())
    else:
        query = query.select(*exprs)
    return query.polars_plan


# --------------------------------------------------------------------------- planner


def opendp() -> Any:
    """Import OpenDP and switch on the features privlab uses (only here, never at import)."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def split_epsilon(n_queries: int, epsilon: float | Sequence[float]) -> list[float]:
    """One ε per query: a single total split evenly, or one value per query, each checked.

    Examples
    --------
    >>> split_epsilon(2, 1.0), split_epsilon(2, [0.25, 0.5])
    ([0.5, 0.5], [0.25, 0.5])
    """
    if isinstance(epsilon, int | float) and not isinstance(epsilon, bool):
        return [check_epsilon(epsilon) / n_queries] * n_queries
    if isinstance(epsilon, str | bytes | bool) or not isinstance(epsilon, Sequence):
        check_epsilon(epsilon)  # raises with a clear message
        raise AssertionError  # pragma: no cover - check_epsilon raised
    eps = list(epsilon)
    if len(eps) != n_queries:
        raise DPQueryError(
            f"got {len(eps)} epsilons for {n_queries} queries; pass one per query "
            "or a single total to split evenly"
        )
    return [check_epsilon(e) for e in eps]


class Planner:
    """Turns queries into OpenDP plans and measurements for one table and privacy unit.

    Everything a plan depends on lives here, fixed when the planner is made:
    the table's schema, the public row bound ``max_rows`` (OpenDP's
    ``max_length`` margin *and* the fixed-point scale of float sums), and the
    privacy unit (rows, or a person identifier with its truncation). A
    planner reads no data and spends nothing, so it can be tested alone.

    Parameters
    ----------
    frame:
        The (lazy) table the plans will run on; only its schema is read.
    source:
        How errors name the data (a file or dataset name).
    max_rows:
        The public upper bound on the number of rows.
    declared:
        Whether the user declared ``max_rows`` (else it was derived from the
        row count, which makes the count's order of magnitude public).
    identifier, contributions, max_rows_per_id, max_groups_per_id:
        The privacy unit, as :class:`~privlab.dp.DPSession` documents them.

    Examples
    --------
    >>> import polars as pl, privlab.dp as pdp
    >>> planner = Planner(pl.LazyFrame({"x": [1, 2, 3]}), source="demo", max_rows=8)
    >>> spec = planner.spec([pdp.sum("x", bounds=(0, 10))])
    >>> [p.role for p in spec.parts]
    ['s']
    """

    def __init__(
        self,
        frame: pl.LazyFrame,
        *,
        source: str,
        max_rows: int,
        declared: bool = True,
        identifier: str | None = None,
        contributions: int = 1,
        max_rows_per_id: int = 1,
        max_groups_per_id: int | None = None,
    ) -> None:
        self.source = source
        self.declared = declared
        self.schema: pl.Schema = frame.collect_schema()
        self.max_rows = int(max_rows)
        self.identifier = identifier
        self.contributions = contributions
        self.max_rows_per_id = max_rows_per_id
        self.max_groups_per_id = max_groups_per_id
        self.dp = dp = opendp()
        domain = dp.domain_of(frame, infer=True)
        self.domain = dp.with_margin(domain, dp.polars.Margin(by=[], max_length=self.max_rows))
        if identifier is None:
            self.metric, self.d_in = dp.unit_of(contributions=contributions)
        else:
            self.metric, self.d_in = dp.unit_of(contributions=1, identifier=pl.col(identifier))
        self.measure = dp.approximate(dp.max_divergence())

    @property
    def public_note(self) -> str:
        """What the answers treat as public, for every result's note."""
        how = (
            "declared"
            if self.declared
            else "derived from the data as the next power of two >= 2 × its rows, which "
            "makes the order of magnitude of the row count public; declare max_rows to avoid it"
        )
        return f"public: the row bound max_rows={self.max_rows} ({how})"

    def spec(self, queries: Sequence[DPQuery]) -> PlanSpec:
        """Validate a batch of queries against the schema and lay out its aggregates."""
        for q in queries:
            if not isinstance(q, DPQuery):
                raise DPQueryError(
                    f"expected a query built with privlab.dp.count/sum/mean/…, got {q!r}"
                )
            validate(q, self.schema, source=self.source)
            if q.bounds == "auto":
                raise DPQueryError(
                    f"{q.label} has bounds='auto': release it (auto bounds spend budget) or "
                    "give bounds=(lower, upper) to preview it"
                )
        return build_parts(queries, self.schema, max_rows=self.max_rows)

    def base(self) -> Any:
        """An OpenDP ``LazyFrameQuery`` over the planner's domain (no data)."""
        from opendp.context import Query
        from opendp.domains import _lazyframe_from_domain
        from opendp.extras.polars import LazyFrameQuery

        query = Query(chain=(self.domain, self.metric), output_measure=self.measure, d_in=self.d_in)
        return LazyFrameQuery(_lazyframe_from_domain(self.domain), query)

    def truncate(self, query: Any, groups: tuple[str, ...]) -> Any:
        """Bound each person's rows (and groups) when the unit is a person."""
        if self.identifier is None:
            return query
        if not groups or self.max_groups_per_id is None:
            # Each person keeps at most max_rows_per_id rows in total, across all
            # groups: one person moves the released counts by max_rows_per_id in
            # total, whatever the number of groups (no noise × number of groups).
            return query.truncate_per_group(self.max_rows_per_id)
        # Each person keeps max_rows_per_id rows in each of at most
        # max_groups_per_id groups. keep="sample" builds a struct with duplicate
        # field names that polars 1.36 rejects at run time; "first" is valid DP,
        # only less random.
        query = query.truncate_per_group(self.max_rows_per_id, by=list(groups))
        return query.truncate_num_groups(self.max_groups_per_id, by=list(groups), keep="first")

    def plan(self, spec: PlanSpec, scales: dict[str, float] | None) -> Any:
        """The polars plan of ``spec`` (per-aggregate ``scales``, or ``None`` for a global one)."""
        return plan_frame(spec, self.base(), scales, self.truncate)

    def make(self, plan: Any, scale: float | None, threshold: int | None) -> Any:
        """OpenDP's measurement of ``plan`` at a global noise ``scale`` and group ``threshold``."""
        return self.dp.m.make_private_lazyframe(
            input_domain=self.domain,
            input_metric=self.metric,
            output_measure=self.measure,
            lazyframe=plan,
            global_scale=scale,
            threshold=threshold,
        )


def needs_delta(query: DPQuery) -> bool:
    """Whether ``query`` releases only groups above a noisy threshold (it spends δ)."""
    return (
        bool(query.group_columns)
        and query.keys is None
        and not (query.kind == "histogram" and query.edges is not None)
    )


def query_losses(
    queries: Sequence[DPQuery],
    epsilons: Sequence[float],
    delta: float | None,
    default_delta: Callable[[], float],
) -> list[tuple[float, float]]:
    """``(ε, δ)`` per query: δ is ``delta``, or ``default_delta()`` for thresholded group-bys.

    Raises
    ------
    DPQueryError
        For an invalid ε or δ, or a thresholded group-by left with δ = 0.
    """
    out = []
    for q, e in zip(queries, epsilons, strict=True):
        if needs_delta(q):
            d = check_delta(default_delta() if delta is None else delta)
            if not d > 0:
                raise DPQueryError(
                    f"{q.label} has no public keys: only groups above a noisy threshold "
                    "are released, which needs delta > 0; pass delta= or declare keys="
                )
            out.append((check_epsilon(e), d))
        else:
            out.append((check_epsilon(e), check_delta(0.0 if delta is None else delta)))
    return out
