"""Row-local transforms and the one registry of every transform a recipe may name.

The row-local transforms: drop, keep, suppress, mask, generalize, top/bottom
coding and rounding.

Examples
--------
>>> import polars as pl
>>> from privlab.anonymize import Generalize, transform_names
>>> "generalize" in transform_names()
True
>>> df = pl.DataFrame({"zip": ["94107", "10001"], "age": [34, 71]})
>>> Generalize(["zip"], keep_prefix=3).fit_apply(df)["zip"].to_list()
['941**', '100**']
>>> Generalize(["age"], width=10).fit_apply(df)["age"].to_list()
['30-39', '70-79']
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import polars as pl
from pydantic import Field, field_validator, model_validator

from privlab.anonymize._transforms_base import Transform, TransformParams
from privlab.anonymize._transforms_keyed import DateShift, Pseudonymize, RedactText
from privlab.anonymize._transforms_stats import AddNoise, Microaggregate
from privlab.exceptions import HierarchyError, RecipeError, SchemaMismatchError
from privlab.hierarchy import Hierarchy

__all__ = [
    "REGISTRY",
    "Condition",
    "Drop",
    "Generalize",
    "Mask",
    "Round",
    "Suppress",
    "TopBottomCode",
    "build_transform",
    "get_transform",
    "transform_names",
]

Scalar = bool | int | float | str | dt.datetime | dt.date


def _char_class_escape(chars: str) -> str:
    """Rust-regex escape of characters for use inside ``[...]``."""
    return "".join(f"\\x{{{ord(ch):X}}}" for ch in chars)


def _repl_escape(text: str) -> str:
    """Escape ``$`` so a replacement string is taken literally by ``replace_all``."""
    return text.replace("$", "$$")


def _mask_all(expr: pl.Expr, mask_char: str, keep_chars: str = "") -> pl.Expr:
    pattern = f"[^{_char_class_escape(keep_chars)}\\n]" if keep_chars else "(?s)."
    return expr.str.replace_all(pattern, _repl_escape(mask_char))


def _is_numeric(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() and not isinstance(dtype, pl.Boolean)


def _require(frame: pl.LazyFrame, column: str, ok: bool, op: str, expected: str) -> None:
    if not ok:
        dtype = frame.collect_schema()[column]
        raise SchemaMismatchError(
            f"{op!r} needs {expected} in column {column!r}, got dtype {dtype}; "
            "cast the column first or pick another operation"
        )


# ------------------------------------------------------------------------------ drop
class Drop(Transform):
    """Remove columns from the release.

    Examples
    --------
    >>> import polars as pl
    >>> Drop(["ssn"]).fit_apply(pl.DataFrame({"ssn": ["1"], "age": [3]})).columns
    ['age']
    """

    name = "drop"

    class Params(TransformParams):
        """``drop`` takes no parameters."""

    def _apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        return frame.drop(self.columns)


# ------------------------------------------------------------------------------ keep
class Keep(Transform):
    """Keep columns unchanged on purpose, with a reason the release guard records.

    The release guard refuses a release that carries a direct identifier; a
    ``keep`` step is the recipe's way to say "release it anyway, because …". The
    data is not changed; the reason goes into the manifest and the audit log.

    Examples
    --------
    >>> import polars as pl
    >>> step = Keep(["site_code"], reason="public registry number of the clinic")
    >>> step.fit_apply(pl.DataFrame({"site_code": ["A1"]}))["site_code"].to_list()
    ['A1']
    """

    name = "keep"
    masking = False
    identity = True

    class Params(TransformParams):
        """Parameters of ``keep``: why the columns are released as they are."""

        reason: str = Field(..., min_length=3)

    params: Params

    def _apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        return frame


# -------------------------------------------------------------------------- suppress
class Condition(TransformParams):
    """A row condition usable from YAML: ``{column, op, value}``.

    ``op`` is one of ``eq``, ``ne``, ``in``, ``not_in``, ``lt``, ``le``, ``gt``,
    ``ge``, ``is_null``, ``not_null``. ``in``/``not_in`` take a list; the null
    tests take no value. Values are compared after casting to the column's dtype
    (ISO strings work for date columns).

    Examples
    --------
    >>> import polars as pl
    >>> cond = Condition(column="age", op="gt", value=89)
    >>> pl.DataFrame({"age": [30, 95]}).filter(cond.expr({"age": pl.Int64}))["age"].to_list()
    [95]
    """

    column: str
    op: Literal["eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "is_null", "not_null"]
    value: Scalar | list[Scalar] | None = None

    @model_validator(mode="after")
    def _value_matches_op(self) -> Condition:
        if self.op in {"is_null", "not_null"}:
            if self.value is not None:
                raise ValueError(f"op {self.op!r} takes no value, got {self.value!r}")
        elif self.op in {"in", "not_in"}:
            if not isinstance(self.value, list):
                raise ValueError(f"op {self.op!r} needs a list value, got {self.value!r}")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} needs a single value, got {self.value!r}")
        return self

    def expr(self, schema: Mapping[str, pl.DataType]) -> pl.Expr:
        """The boolean polars expression for this condition over a frame with *schema*."""
        col = pl.col(self.column)
        if self.op == "is_null":
            return col.is_null()
        if self.op == "not_null":
            return col.is_not_null()
        dtype = schema[self.column]
        if isinstance(self.value, list):
            values = pl.Series([_coerce(v, dtype) for v in self.value]).cast(dtype)
            hit = col.is_in(values.implode())
            return hit if self.op == "in" else ~hit
        lit = pl.lit(_coerce(self.value, dtype)).cast(dtype)
        return {
            "eq": col == lit,
            "ne": col != lit,
            "lt": col < lit,
            "le": col <= lit,
            "gt": col > lit,
            "ge": col >= lit,
        }[self.op]


def _coerce(value: Any, dtype: pl.DataType) -> Any:
    if isinstance(value, str):
        if isinstance(dtype, pl.Datetime):
            return dt.datetime.fromisoformat(value)
        if isinstance(dtype, pl.Date):
            return dt.date.fromisoformat(value)
    return value


class Suppress(Transform):
    """Blank cells (``scope: cells``) or drop records (``scope: records``) where a condition holds.

    ``where`` is a list of :class:`Condition`; they are combined with ``match``
    (``all`` = AND, ``any`` = OR). With no condition every row matches (blank a
    column entirely). Blanked cells become null, or ``replacement`` (the column
    is then a string column).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"age": [30, 95], "zip": ["94107", "10001"]})
    >>> Suppress(["age"], where=[{"column": "age", "op": "gt", "value": 89}]).fit_apply(df)[
    ...     "age"
    ... ].to_list()
    [30, None]
    >>> drop_ny = Suppress(scope="records", where=[{"column": "zip", "op": "eq", "value": "10001"}])
    >>> drop_ny.fit_apply(df).height
    1
    """

    name = "suppress"
    needs_columns = False

    class Params(TransformParams):
        """Parameters of ``suppress``."""

        where: list[Condition] = Field(default_factory=list)
        match: Literal["all", "any"] = "all"
        scope: Literal["cells", "records"] = "cells"
        replacement: str | None = None

    params: Params

    def __init__(self, columns: str | Sequence[str] = (), **params: Any) -> None:
        super().__init__(columns, **params)
        if self.params.scope == "cells" and not self.columns:
            raise RecipeError(
                "'suppress' with scope 'cells' needs the columns to blank, got none",
                ["columns: must list at least one column when scope is 'cells'"],
            )

    def reads(self) -> list[str]:
        """The columns the ``where`` conditions test, other than those blanked (sorted)."""
        return sorted({c.column for c in self.params.where} - set(self.columns))

    def _condition(self, frame: pl.LazyFrame) -> pl.Expr:
        schema = frame.collect_schema()
        if not self.params.where:
            return pl.lit(True)
        exprs = [c.expr(schema).fill_null(False) for c in self.params.where]
        return pl.all_horizontal(exprs) if self.params.match == "all" else pl.any_horizontal(exprs)

    def _apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        cond = self._condition(frame)
        if self.params.scope == "records":
            return frame.filter(~cond)
        repl = self.params.replacement
        return frame.with_columns(
            pl.when(cond)
            .then(pl.lit(repl, dtype=pl.String) if repl is not None else None)
            .otherwise(pl.col(c) if repl is None else pl.col(c).cast(pl.String))
            .alias(c)
            for c in self.columns
        )


# ------------------------------------------------------------------------------ mask
class Mask(Transform):
    """Replace characters by ``mask_char``, keeping the first/last N.

    Values not longer than ``keep_first + keep_last`` are masked entirely (else
    nothing would be hidden). Characters in ``keep_chars`` (e.g. ``"@.-"``) are
    never masked, so the shape of an e-mail or phone number stays visible.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"phone": ["555-123-4567", "12"]})
    >>> Mask("phone", keep_last=4, keep_chars="-").fit_apply(df)["phone"].to_list()
    ['***-***-4567', '**']
    """

    name = "mask"

    class Params(TransformParams):
        """Parameters of ``mask``."""

        keep_first: int = Field(0, ge=0)
        keep_last: int = Field(0, ge=0)
        mask_char: str = Field("*", min_length=1, max_length=1)
        keep_chars: str = ""

    params: Params

    def _apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        p = self.params
        keep = p.keep_first + p.keep_last

        def one(column: str) -> pl.Expr:
            s = pl.col(column).cast(pl.String)
            n = s.str.len_chars()
            mid = _mask_all(s.str.slice(p.keep_first, n - keep), p.mask_char, p.keep_chars)
            kept = pl.concat_str([s.str.head(p.keep_first), mid, s.str.tail(p.keep_last)])
            return (
                pl.when(n > keep)
                .then(kept)
                .otherwise(_mask_all(s, p.mask_char, p.keep_chars))
                .alias(column)
            )

        return frame.with_columns(one(c) for c in self.columns)


# ------------------------------------------------------------------------ generalize
class Generalize(Transform):
    """Coarsen values: numeric intervals, date periods, string prefixes or a hierarchy level.

    Give exactly one of:

    - ``width``: equal-width intervals (``35-39`` for whole widths, else ``[2.5, 5.0)``);
    - ``edges``: interval bounds ``[18, 65]`` → ``<18``, ``[18, 65)``, ``>=65``;
    - ``date``: ``day``, ``week`` (``2024-W05``, ISO week), ``month`` (``2024-03``),
      ``quarter`` (``2024-Q1``), ``year`` (``2024``) or ``decade`` (``2020s``);
    - ``keep_prefix``: keep N leading characters, mask the rest (ZIP ``94107`` → ``941**``);
    - ``hierarchy`` (a hierarchy spec, as under ``privacy.hierarchies``, e.g. an ARX
      CSV) and ``level``: each value's label at that level.

    Each mode is a one-level :class:`~privlab.anonymize.Hierarchy`, so labels match
    what the privacy search produces. The result is a string column; nulls stay
    null. Generalizing the quasi-identifiers of a privacy target is the search's
    job (``privacy:``); use this step for columns coarsened regardless.

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> df = pl.DataFrame({"d": [dt.date(2024, 2, 29)], "x": [17.5]})
    >>> Generalize("d", date="quarter").fit_apply(df)["d"].to_list()
    ['2024-Q1']
    >>> Generalize("x", edges=[0, 18, 65]).fit_apply(df)["x"].to_list()
    ['[0, 18)']
    """

    name = "generalize"

    class Params(TransformParams):
        """Parameters of ``generalize`` (exactly one mode)."""

        width: float | None = Field(None, gt=0)
        edges: list[float] | None = Field(None, min_length=1)
        date: Literal["day", "week", "month", "quarter", "year", "decade"] | None = None
        keep_prefix: int | None = Field(None, ge=0)
        hierarchy: dict[str, Any] | None = None
        level: int | None = Field(None, ge=0)

        @field_validator("edges")
        @classmethod
        def _increasing(cls, edges: list[float] | None) -> list[float] | None:
            if edges is not None and any(b <= a for a, b in itertools.pairwise(edges)):
                raise ValueError(f"must be strictly increasing, got {edges!r}")
            return edges

        @model_validator(mode="after")
        def _one_mode(self) -> Generalize.Params:
            modes = [
                m
                for m in ("width", "edges", "date", "keep_prefix", "hierarchy")
                if getattr(self, m) is not None
            ]
            if len(modes) != 1:
                raise ValueError(
                    "give exactly one of width, edges, date, keep_prefix, hierarchy; "
                    f"got {modes or 'none'}"
                )
            if (self.hierarchy is None) != (self.level is None):
                raise ValueError("`hierarchy` and `level` go together")
            if self.hierarchy is not None and self.hierarchy.get("type") != "arx_csv":
                try:
                    height = Hierarchy.from_spec(self.hierarchy).height
                except HierarchyError as exc:
                    raise ValueError(str(exc)) from None
                if self.level is not None and self.level >= height:
                    raise ValueError(
                        f"level must be < {height} for this hierarchy, got {self.level}"
                    )
            return self

        def spec(self) -> tuple[dict[str, Any], int]:
            """The equivalent hierarchy spec and level."""
            if self.width is not None:
                return {"type": "interval", "widths": [self.width]}, 1
            if self.edges is not None:
                return {"type": "interval", "edges": [self.edges]}, 1
            if self.date is not None:
                return {"type": "date", "levels": [self.date]}, 1
            if self.keep_prefix is not None:
                return {"type": "prefix", "keep": [self.keep_prefix]}, 1
            assert self.hierarchy is not None
            assert self.level is not None
            return dict(self.hierarchy), self.level

    params: Params

    def __init__(
        self, columns: str | Sequence[str] = (), *, base_dir: Path | None = None, **params: Any
    ) -> None:
        super().__init__(columns, **params)
        self._base_dir = base_dir  # where relative hierarchy files live; not a parameter

    def _fit(self, frame: pl.LazyFrame) -> None:

        p = self.params
        schema = frame.collect_schema()
        for column in self.columns:
            dtype = schema[column]
            if p.width is not None or p.edges is not None:
                _require(frame, column, _is_numeric(dtype), self.name, "numbers")
            if p.date is not None:
                _require(frame, column, dtype.is_temporal(), self.name, "dates")
        spec, self.level_ = p.spec()
        self.hierarchies_: dict[str, Any] = {}
        for column in self.columns:
            hierarchy = Hierarchy.from_spec(spec, base_dir=self._base_dir)
            if self.level_ >= hierarchy.height:
                raise HierarchyError(
                    f"level {self.level_} is outside the hierarchy of {column!r} "
                    f"(levels 0..{hierarchy.height - 1})"
                )
            values = frame.select(pl.col(column).drop_nulls().unique()).collect().to_series()
            self.hierarchies_[column] = hierarchy.fit(values)

    def _apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        return frame.with_columns(
            self.hierarchies_[c].generalize_expr(c, self.level_).cast(pl.String).alias(c)
            for c in self.columns
        )


# ------------------------------------------------------------------ top/bottom coding
class TopBottomCode(Transform):
    """Clip extreme values to a threshold (top- and bottom-coding).

    Thresholds are absolute (``lower``/``upper``) or quantiles learned in ``fit``
    (``lower_quantile``/``upper_quantile``, per column). The column keeps its dtype;
    integer columns get thresholds rounded inwards.

    Examples
    --------
    >>> import polars as pl
    >>> TopBottomCode("age", upper=89).fit_apply(pl.DataFrame({"age": [40, 97]}))["age"].to_list()
    [40, 89]
    """

    name = "top_bottom_code"

    class Params(TransformParams):
        """Parameters of ``top_bottom_code``."""

        lower: float | None = None
        upper: float | None = None
        lower_quantile: float | None = Field(None, ge=0, le=1)
        upper_quantile: float | None = Field(None, ge=0, le=1)

        @model_validator(mode="after")
        def _consistent(self) -> TopBottomCode.Params:
            if self.lower is not None and self.lower_quantile is not None:
                raise ValueError("give `lower` or `lower_quantile`, not both")
            if self.upper is not None and self.upper_quantile is not None:
                raise ValueError("give `upper` or `upper_quantile`, not both")
            if all(
                v is None
                for v in (self.lower, self.upper, self.lower_quantile, self.upper_quantile)
            ):
                raise ValueError(
                    "give at least one of lower, upper, lower_quantile, upper_quantile"
                )
            if self.lower is not None and self.upper is not None and self.lower > self.upper:
                raise ValueError(f"lower ({self.lower}) must be <= upper ({self.upper})")
            return self

    params: Params

    def _fit(self, frame: pl.LazyFrame) -> None:
        p = self.params
        schema = frame.collect_schema()
        for column in self.columns:
            _require(frame, column, _is_numeric(schema[column]), self.name, "numbers")
        exprs: list[pl.Expr] = []
        for column in self.columns:
            if p.lower_quantile is not None:
                exprs.append(pl.col(column).quantile(p.lower_quantile).alias(f"{column}\0lo"))
            if p.upper_quantile is not None:
                exprs.append(pl.col(column).quantile(p.upper_quantile).alias(f"{column}\0hi"))
        stats = frame.select(exprs).collect().row(0, named=True) if exprs else {}
        self.bounds_: dict[str, tuple[float | None, float | None]] = {}
        for column in self.columns:
            lo = stats.get(f"{column}\0lo", p.lower)
            hi = stats.get(f"{column}\0hi", p.upper)
            if schema[column].is_integer():
                lo = None if lo is None else math.ceil(lo)
                hi = None if hi is None else math.floor(hi)
            self.bounds_[column] = (lo, hi)

    def _apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        schema = frame.collect_schema()
        out = []
        for column in self.columns:
            lo, hi = self.bounds_[column]
            dtype = schema[column]
            out.append(
                pl.col(column).clip(
                    None if lo is None else pl.lit(lo).cast(dtype),
                    None if hi is None else pl.lit(hi).cast(dtype),
                )
            )
        return frame.with_columns(out)


# ----------------------------------------------------------------------------- round
class Round(Transform):
    """Round numbers to a multiple of ``base`` or to ``digits`` decimals.

    ``mode`` is ``nearest`` (halves away from zero), ``down`` (floor) or ``up``
    (ceiling). Integer columns rounded to an integer base stay integers.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"income": [52_499, 52_500], "bmi": [22.46, 22.44]})
    >>> Round("income", base=1000).fit_apply(df)["income"].to_list()
    [52000, 53000]
    >>> Round("bmi", digits=1, mode="down").fit_apply(df)["bmi"].to_list()
    [22.4, 22.4]
    """

    name = "round"

    class Params(TransformParams):
        """Parameters of ``round``."""

        base: float | None = Field(None, gt=0)
        digits: int | None = Field(None, ge=-15, le=15)
        mode: Literal["nearest", "down", "up"] = "nearest"

        @model_validator(mode="after")
        def _one(self) -> Round.Params:
            if (self.base is None) == (self.digits is None):
                raise ValueError("give exactly one of `base` or `digits`")
            return self

    params: Params

    def _fit(self, frame: pl.LazyFrame) -> None:
        schema = frame.collect_schema()
        for column in self.columns:
            _require(frame, column, _is_numeric(schema[column]), self.name, "numbers")

    def _round(self, expr: pl.Expr) -> pl.Expr:
        if self.params.mode == "down":
            return expr.floor()
        if self.params.mode == "up":
            return expr.ceil()
        return expr.round(0, mode="half_away_from_zero")

    def _apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        p = self.params
        schema = frame.collect_schema()
        out = []
        for column in self.columns:
            col = pl.col(column).cast(pl.Float64)
            if p.base is not None:
                expr = self._round(col / p.base) * p.base
                if schema[column].is_integer() and p.base.is_integer():
                    expr = expr.cast(schema[column])
            else:
                assert p.digits is not None
                scale = 10.0**p.digits
                expr = self._round(col * scale) / scale
            out.append(expr.alias(column))
        return frame.with_columns(out)


# -------------------------------------------------------------------------- registry
def _registry() -> tuple[type[Transform], ...]:

    return (
        Drop,
        Keep,
        Suppress,
        Mask,
        Pseudonymize,
        RedactText,
        Generalize,
        TopBottomCode,
        Round,
        DateShift,
        Microaggregate,
        AddNoise,
    )


#: Every transform a recipe may name, in one explicit list (no plugin discovery).
REGISTRY: tuple[type[Transform], ...] = _registry()
_BY_NAME: dict[str, type[Transform]] = {cls.name: cls for cls in REGISTRY}


def transform_names() -> list[str]:
    """The registered recipe ops, sorted.

    Examples
    --------
    >>> transform_names()[:3]
    ['add_noise', 'date_shift', 'drop']
    """
    return sorted(_BY_NAME)


def get_transform(op: str) -> type[Transform]:
    """The transform class registered under *op*.

    Parameters
    ----------
    op:
        A recipe step's ``op``, one of :func:`transform_names`.

    Returns
    -------
    type[Transform]
        The class (not an instance); build one with its columns and parameters.

    Raises
    ------
    RecipeError
        *op* is not registered; the message lists the registered ops.

    Examples
    --------
    >>> get_transform("mask")
    <class 'privlab.anonymize._transforms.Mask'>
    >>> get_transform("mask")(["ssn"], keep_last=4).to_step()
    {'op': 'mask', 'columns': ['ssn'], 'params': {'keep_last': 4}}
    >>> get_transform("blur")
    Traceback (most recent call last):
    ...
    privlab.exceptions.RecipeError: unknown op 'blur'; registered ops are [...]
    """
    try:
        return _BY_NAME[op]
    except KeyError:
        msg = f"unknown op {op!r}; registered ops are {transform_names()}"
        raise RecipeError(msg, [msg]) from None


def build_transform(
    step: Mapping[str, Any] | Any,
    *,
    key: bytes | str | None = None,
    base_dir: Path | None = None,
) -> Transform:
    """Build the transform for one recipe step (a dict or a recipe ``Step``).

    *key* is handed to keyed transforms only (it is never stored in parameters);
    *base_dir* is where relative hierarchy files are looked up.

    Examples
    --------
    >>> build_transform({"op": "mask", "columns": ["ssn"], "params": {"keep_last": 4}})
    Mask(['ssn'], keep_last=4)
    """
    if not isinstance(step, Mapping):
        step = step.to_dict() if hasattr(step, "to_dict") else step.model_dump(mode="json")
    cls = get_transform(step["op"])
    columns = step.get("columns") or []
    params = dict(step.get("params") or {})
    if cls.keyed:
        return cls(columns, key=key, base_dir=base_dir, **params)
    if cls is Generalize:
        return Generalize(columns, base_dir=base_dir, **params)
    return cls(columns, **params)
