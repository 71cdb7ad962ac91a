"""One fixed query workload, answered on any release and on the original.

The workload is the same for every technique so their errors compare: all 1-way
and 2-way marginals over chosen columns, and the mean of each numeric column by
group. Columns are binned on the *original* domain (numbers into equal-width
bins, dates into years, categories as they are — rare ones pooled), so a
marginal is a distribution over bins.

A release column can hold generalized labels (``30-39``, ``021**``, ``*``). A
:class:`ReleaseView` says which original values each label covers; a record
with such a label spreads its weight over the bins of the values its label
covers, in proportion to how often the original holds each covered value — the
same rule as for ``*``, which spreads over all values by the original's distribution (a
uniform spread would make a partly generalized release look worse than a fully
suppressed one). Raw values (original or synthetic data) count fully in their bin.

Errors are in [0, 1]: the total variation distance for a marginal, and the mean
relative error (capped at 1) over groups for a grouped mean.

Examples
--------
>>> import polars as pl
>>> from privlab.utility import Workload, ReleaseView
>>> data = pl.DataFrame({"sex": ["F", "M", "F", "F"], "pay": [1.0, 2.0, 3.0, 4.0]})
>>> w = Workload.build(data, marginal_columns=["sex"], numeric=["pay"], group_by=["sex"])
>>> w.evaluate(ReleaseView(data))["error"]
0.0
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

__all__ = ["ReleaseView", "Workload", "bin_spec"]

SUPPRESSED = "*"
_MAX_CATEGORIES = 30


@dataclass
class ReleaseView:
    """A released table plus, per generalized column, the original values each label covers.

    Attributes
    ----------
    frame:
        The released rows.
    coverage:
        column → DataFrame(``label``, ``value``) (both strings). Columns absent
        here hold raw values. ``*`` always covers every value.
    aligned:
        The release keeps the original row order (row *i* is original record
        *i*), as a masked anonymized release does; False for synthetic data.
    """

    frame: pl.DataFrame
    coverage: dict[str, pl.DataFrame] = field(default_factory=dict)
    aligned: bool = False


@dataclass(frozen=True)
class _Bins:
    column: str
    kind: str  # numeric | date | category
    edges: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()

    def expr(self, values: pl.Expr) -> pl.Expr:
        """Bin label (string) of each value; null stays null."""
        if self.kind == "numeric":
            num = values.cast(pl.Float64, strict=False)
            idx = pl.lit(0, dtype=pl.Int64)
            for edge in self.edges[1:-1]:
                idx = idx + (num >= edge).cast(pl.Int64)
            return pl.when(num.is_null()).then(None).otherwise(idx.cast(pl.String))
        if self.kind == "date":
            text = values.cast(pl.String).str.slice(0, 4)
            return text
        known = pl.lit(pl.Series(list(self.categories), dtype=pl.String)).implode()
        text = values.cast(pl.String)
        return pl.when(text.is_in(known)).then(text).otherwise(pl.lit("(other)"))


def bin_spec(series: pl.Series, *, bins: int = 10) -> _Bins:
    """Bins for one original column (see the module docstring).

    A numeric column with more than 30 distinct values gets *bins* equal-width
    bins between its minimum and maximum; a date column (or ISO-date text with
    more than 30 values) is binned by year; anything else keeps its 30 most
    frequent values as categories, the rest pooled as ``"(other)"``.

    Parameters
    ----------
    series:
        The original column (its name names the bins).
    bins:
        Number of equal-width bins of a numeric column.

    Returns
    -------
    _Bins
        ``kind`` (``"numeric"``, ``"date"`` or ``"category"``), ``edges`` or
        ``categories``, and ``expr(values)``: the bin label of each value.

    Examples
    --------
    >>> import polars as pl
    >>> spec = bin_spec(pl.Series("age", range(100)), bins=4)
    >>> spec.kind, spec.edges
    ('numeric', (0.0, 24.75, 49.5, 74.25, 99.0))
    >>> pl.select(spec.expr(pl.lit(60))).item()
    '2'
    >>> bin_spec(pl.Series("sex", ["F", "M", "F"])).categories
    ('F', 'M')
    """
    name = series.name
    dtype = series.dtype
    if dtype.is_numeric() and series.n_unique() > _MAX_CATEGORIES:
        lo, hi = float(series.min()), float(series.max())  # type: ignore[arg-type]
        if hi == lo:
            hi = lo + 1
        edges = tuple(np.linspace(lo, hi, bins + 1).tolist())
        return _Bins(name, "numeric", edges=edges)
    if dtype.is_temporal() or (
        dtype == pl.String
        and series.drop_nulls().head(50).str.contains(r"^\d{4}-\d{2}-\d{2}").all()
        and series.n_unique() > _MAX_CATEGORIES
    ):
        return _Bins(name, "date")
    counts = series.cast(pl.String).value_counts(sort=True)
    cats = tuple(str(v) for v in counts[name].head(_MAX_CATEGORIES).to_list() if v is not None)
    return _Bins(name, "category", categories=cats)


@dataclass
class Workload:
    """The fixed workload of one original table (build it once, evaluate many releases)."""

    original: pl.DataFrame
    bins: dict[str, _Bins]
    marginals: list[tuple[str, ...]]
    means: list[tuple[str, str]]  # (numeric column, group column)
    truth: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        original: pl.DataFrame,
        *,
        marginal_columns: Sequence[str],
        numeric: Sequence[str] = (),
        group_by: Sequence[str] = (),
        bins: int = 10,
    ) -> Workload:
        """All 1- and 2-way marginals over *marginal_columns*; means of *numeric* by *group_by*."""
        cols = list(dict.fromkeys([*marginal_columns, *group_by]))
        spec = {c: bin_spec(original[c], bins=bins) for c in cols}
        marginals: list[tuple[str, ...]] = [(c,) for c in marginal_columns]
        marginals += list(itertools.combinations(marginal_columns, 2))
        means = [(x, g) for x in numeric for g in group_by if x != g]
        work = cls(original, spec, marginals, means)
        truth_view = ReleaseView(original, aligned=True)
        work.truth = work._answers(truth_view)
        return work

    # -- answering ---------------------------------------------------------------------

    def weights(self, view: ReleaseView, column: str) -> pl.DataFrame:
        """(row, bin, weight) for one column of a release."""
        bins = self.bins[column]
        rows = view.frame.select(
            pl.int_range(pl.len(), dtype=pl.Int64).alias("row"),
            pl.col(column).cast(pl.String).alias("label"),
        )
        cov = view.coverage.get(column)
        if cov is None:
            direct = view.frame.select(
                pl.int_range(pl.len(), dtype=pl.Int64).alias("row"),
                bins.expr(pl.col(column)).alias("bin"),
            )
            star = rows.filter(pl.col("label") == SUPPRESSED).select("row")
            out = direct.join(star, on="row", how="anti").with_columns(weight=pl.lit(1.0))
            if star.height:
                out = pl.concat([out, self._spread_all(star, column)])
            return out.drop_nulls("bin")
        counts = (
            self.original.select(pl.col(column).cast(pl.String).alias("value"))
            .drop_nulls()
            .group_by("value")
            .len("n")
        )
        table = (
            cov.with_columns(bins.expr(pl.col("value")).alias("bin"))
            .drop_nulls("bin")
            .join(counts, on="value", how="left")
            .with_columns(pl.col("n").fill_null(0).cast(pl.Float64))
        )
        # a label whose values never occur in the original spreads uniformly
        table = table.with_columns(
            pl.when(pl.col("n").sum().over("label") > 0)
            .then(pl.col("n"))
            .otherwise(pl.lit(1.0))
            .alias("n")
        )
        per_label = (
            table.group_by("label", "bin")
            .agg(pl.col("n").sum())
            .with_columns((pl.col("n") / pl.col("n").sum().over("label")).alias("weight"))
            .select("label", "bin", "weight")
        )
        covered = rows.join(per_label, on="label", how="inner").select("row", "bin", "weight")
        star = rows.join(per_label.select("label").unique(), on="label", how="anti").filter(
            pl.col("label") == SUPPRESSED
        )
        if star.height:
            covered = pl.concat([covered, self._spread_all(star.select("row"), column)])
        return covered

    def _spread_all(self, rows: pl.DataFrame, column: str) -> pl.DataFrame:
        """A fully suppressed value: spread over the original's bins by their frequency."""
        values = self.original.select(self.bins[column].expr(pl.col(column)).alias("bin"))
        dist = values.drop_nulls().group_by("bin").len()
        dist = dist.with_columns((pl.col("len") / pl.col("len").sum()).alias("weight"))
        return rows.join(dist.select("bin", "weight"), how="cross").select("row", "bin", "weight")

    def _answers(self, view: ReleaseView) -> dict[str, Any]:
        weights = {c: self.weights(view, c) for c in self.bins}
        out: dict[str, Any] = {}
        for cols in self.marginals:
            frame = weights[cols[0]].rename({"bin": "b0", "weight": "w"})
            for i, c in enumerate(cols[1:], start=1):
                other = weights[c].rename({"bin": f"b{i}", "weight": "w2"})
                frame = (
                    frame.join(other, on="row")
                    .with_columns((pl.col("w") * pl.col("w2")).alias("w"))
                    .drop("w2")
                )
            keys = [f"b{i}" for i in range(len(cols))]
            table = frame.group_by(keys).agg(pl.col("w").sum())
            total = table["w"].sum()
            out["marginal:" + "×".join(cols)] = (
                {tuple(k): w / total for *k, w in table.iter_rows()} if total else {}
            )
        for x, g in self.means:
            vals = view.frame.select(
                pl.int_range(pl.len(), dtype=pl.Int64).alias("row"),
                pl.col(x).cast(pl.Float64, strict=False).alias("x"),
            )
            joined = weights[g].join(vals, on="row").drop_nulls("x")
            table = joined.group_by("bin").agg(
                ((pl.col("x") * pl.col("weight")).sum() / pl.col("weight").sum()).alias("mean")
            )
            out[f"mean:{x}|{g}"] = dict(table.iter_rows())
        return out

    def evaluate(self, view: ReleaseView) -> dict[str, Any]:
        """Error of every workload query on *view*, and their mean (``error``)."""
        answers = self._answers(view)
        per_query: dict[str, float] = {}
        for name, truth in self.truth.items():
            got = answers.get(name, {})
            if name.startswith("marginal:"):
                keys = set(truth) | set(got)
                per_query[name] = 0.5 * sum(abs(truth.get(k, 0.0) - got.get(k, 0.0)) for k in keys)
            else:
                errs = []
                for group, true_mean in truth.items():
                    est = got.get(group)
                    if est is None or true_mean is None:
                        errs.append(1.0)
                    elif true_mean == 0:
                        errs.append(min(1.0, abs(est)))
                    else:
                        errs.append(min(1.0, abs(est - true_mean) / abs(true_mean)))
                per_query[name] = float(np.mean(errs)) if errs else 0.0
        return {
            "error": float(np.mean(list(per_query.values()))) if per_query else 0.0,
            "queries": per_query,
        }

    def cells(self) -> dict[str, int]:
        """Non-empty cells (or groups) of each query in the original.

        This depends on the data; a DP plan must use :meth:`domains` (every public
        cell) instead.
        """
        return {name: max(len(truth), 1) for name, truth in self.truth.items()}

    def domains(self) -> dict[str, list[str]]:
        """Every bin label of each column — the workload's public domain, empty bins included.

        Numbers: the equal-width bins ``"0"`` … ``"bins-1"``; dates: every year from the
        first to the last; categories: the kept categories and ``"(other)"``.

        Examples
        --------
        >>> import polars as pl
        >>> w = Workload.build(pl.DataFrame({"sex": ["F", "M"]}), marginal_columns=["sex"])
        >>> w.domains()["sex"]
        ['F', 'M', '(other)']
        """
        out: dict[str, list[str]] = {}
        for column, spec in self.bins.items():
            if spec.kind == "numeric":
                out[column] = [str(i) for i in range(len(spec.edges) - 1)]
            elif spec.kind == "date":
                years = (
                    self.original.select(spec.expr(pl.col(column)).alias("y"))["y"]
                    .drop_nulls()
                    .cast(pl.Int64, strict=False)
                    .drop_nulls()
                )
                lo, hi = (int(years.min()), int(years.max())) if years.len() else (0, -1)  # type: ignore[arg-type]
                out[column] = [str(y) for y in range(lo, hi + 1)]
            else:
                out[column] = [*spec.categories, "(other)"]
        return out

    def describe(self) -> dict[str, Any]:
        """What the workload asks (no data values)."""
        return {
            "marginals": ["×".join(m) for m in self.marginals],
            "means": [f"mean({x}) by {g}" for x, g in self.means],
            "bins": {c: b.kind for c, b in self.bins.items()},
        }


def coverage_from_hierarchy(hierarchy: Any, original: pl.Series, level: int) -> pl.DataFrame:
    """The label → value table of a hierarchy level over the original's distinct values.

    What a :class:`ReleaseView` needs for a column generalized to *level*; ``*``
    always covers every value.

    Parameters
    ----------
    hierarchy:
        A :class:`~privlab.hierarchy.Hierarchy`.
    original:
        The original column (nulls are left out; values compared as text).
    level:
        The hierarchy level of the released labels.

    Returns
    -------
    polars.DataFrame
        Distinct ``label``, ``value`` pairs (both strings), in no set order.

    Examples
    --------
    >>> import polars as pl
    >>> from privlab.hierarchy import interval_hierarchy
    >>> cov = coverage_from_hierarchy(interval_hierarchy(widths=[10]), pl.Series([31, 35, 52]), 1)
    >>> cov.sort("label", "value").rows()
    [('*', '31'), ('*', '35'), ('*', '52'), ('30-39', '31'), ('30-39', '35'), ('50-59', '52')]
    """
    values = original.drop_nulls().cast(pl.String).unique().sort()
    table = hierarchy.table(values)
    frame = pl.DataFrame({"label": table[level], "value": values.to_list()})
    star = pl.DataFrame({"label": [SUPPRESSED] * len(values), "value": values.to_list()})
    return pl.concat([frame, star]).unique()


def as_mapping(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value or {})
