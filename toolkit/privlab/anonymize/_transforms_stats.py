"""Statistical perturbation: microaggregation (fixed-size groups, MDAV) and seeded noise.

Examples
--------
>>> import polars as pl
>>> from privlab.anonymize import Microaggregate
>>> df = pl.DataFrame({"income": [10.0, 11.0, 12.0, 50.0, 52.0, 54.0]})
>>> Microaggregate("income", k=3).fit_apply(df)["income"].to_list()
[11.0, 11.0, 11.0, 52.0, 52.0, 52.0]
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import polars as pl
from pydantic import Field

from privlab.anonymize._transforms_base import Transform, TransformParams
from privlab.exceptions import SchemaMismatchError

__all__ = ["AddNoise", "Microaggregate", "fixed_groups", "mdav_groups"]


def _numeric(frame: pl.LazyFrame, columns: list[str], op: str) -> None:
    schema = frame.collect_schema()
    for column in columns:
        dtype = schema[column]
        if not dtype.is_numeric():
            raise SchemaMismatchError(
                f"{op!r} needs a numeric column, got {column!r} of dtype {dtype}; "
                "cast it first or use another operation"
            )


def fixed_groups(order: np.ndarray, k: int) -> np.ndarray:
    """Group labels for records taken in *order*: consecutive runs of *k*.

    A last run shorter than *k* joins the run before it, so every group has
    between k and 2k-1 members (when there are at least k records).

    Examples
    --------
    >>> fixed_groups(np.array([3, 0, 1, 2, 4]), 2).tolist()
    [0, 1, 1, 0, 1]
    """
    n = len(order)
    labels = np.empty(n, dtype=np.int64)
    groups = max(n // k, 1)
    labels[order] = np.minimum(np.arange(n) // k, groups - 1)
    return labels


def mdav_groups(points: np.ndarray, k: int) -> np.ndarray:
    """MDAV (maximum distance to average vector) groups of at least *k* points.

    Standard MDAV (Domingo-Ferrer & Torra): while 3k or more points remain, take
    the point r farthest from the centroid and group it with its k-1 nearest
    neighbours, then the same around the point s farthest from r; with 2k..3k-1
    left, one group around the farthest point and one of the rest; fewer, one
    group. Each round is a vectorised numpy distance computation, so the cost is
    O(n²/k) arithmetic. Ties break by position (stable sorts), so the result is
    deterministic.

    Examples
    --------
    >>> pts = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [12.0]])
    >>> mdav_groups(pts, 3).tolist()
    [0, 0, 0, 1, 1, 1]
    """
    n = len(points)
    labels = np.full(n, -1, dtype=np.int64)
    remaining = np.arange(n)
    group = 0

    def take_around(anchor: np.ndarray) -> None:
        nonlocal remaining, group
        dist = np.linalg.norm(points[remaining] - anchor, axis=1)
        nearest = np.argsort(dist, kind="stable")[:k]
        labels[remaining[nearest]] = group
        group += 1
        remaining = np.delete(remaining, nearest)

    def farthest_from(anchor: np.ndarray) -> np.ndarray:
        dist = np.linalg.norm(points[remaining] - anchor, axis=1)
        return np.asarray(points[remaining[int(np.argmax(dist))]])

    while len(remaining) >= 3 * k:
        r = farthest_from(points[remaining].mean(axis=0))
        take_around(r)
        s = farthest_from(r)
        take_around(s)
    if len(remaining) >= 2 * k:
        take_around(farthest_from(points[remaining].mean(axis=0)))
    if len(remaining):
        labels[remaining] = group
    return labels


class Microaggregate(Transform):
    """Replace values by the mean (or median) of their group of at least ``k`` similar records.

    ``method: fixed`` sorts the records by the columns (in order) and groups runs
    of ``k``; ``method: mdav`` groups records close in all columns at once
    (columns standardised first); ``auto`` uses fixed for one column and MDAV for
    several. Rows with a null in any of the columns are left out and stay null.
    Output columns are Float64.

    The grouping is global, so it is computed in ``fit``; ``apply`` only maps rows
    to their group's value by a **row key learned in fit**: the row position, or
    the values of a unique ``row_key`` column. This is a *fit-on-this-table*
    transform: apply it to the table it was fitted on (a frame with a different
    number of rows, or unseen ``row_key`` values, raises when collected).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"h": [150.0, 152.0, 180.0, 181.0], "w": [50.0, 52.0, 90.0, 94.0]})
    >>> Microaggregate(["h", "w"], k=2).fit_apply(df).rows()
    [(151.0, 51.0), (151.0, 51.0), (180.5, 92.0), (180.5, 92.0)]
    """

    name = "microaggregate"

    class Params(TransformParams):
        """Parameters of ``microaggregate``."""

        k: int = Field(..., ge=2)
        method: Literal["auto", "fixed", "mdav"] = "auto"
        aggregate: Literal["mean", "median"] = "mean"
        row_key: str | None = None

    params: Params

    def reads(self) -> list[str]:
        """The ``row_key`` column when one is given and not aggregated itself."""
        key = self.params.row_key
        return [key] if key is not None and key not in self.columns else []

    def _fit(self, frame: pl.LazyFrame) -> None:
        _numeric(frame, self.columns, self.name)
        p = self.params
        cols = [pl.col(c).cast(pl.Float64) for c in self.columns]
        keyed = [pl.col(p.row_key)] if p.row_key is not None else []
        data = frame.select([*cols, *keyed]).collect()
        n = data.height
        values = data.select(self.columns).to_numpy().astype(np.float64)
        ok = ~np.isnan(values).any(axis=1)
        idx = np.flatnonzero(ok)
        sub = values[idx]
        method = p.method if p.method != "auto" else ("fixed" if sub.shape[1] == 1 else "mdav")
        if len(idx) == 0:
            labels = np.empty(0, dtype=np.int64)
        elif method == "fixed":
            order_keys = [idx] + [sub[:, j] for j in reversed(range(sub.shape[1]))]
            order = np.lexsort(order_keys)
            labels = fixed_groups(order, p.k)
        else:
            std = sub.std(axis=0)
            std[std == 0] = 1.0
            labels = mdav_groups((sub - sub.mean(axis=0)) / std, p.k)
        out = np.full_like(values, np.nan)
        if len(idx):
            grouped = pl.DataFrame({"g": labels}).with_columns(
                pl.Series(c, sub[:, j]) for j, c in enumerate(self.columns)
            )
            agg = (
                pl.col(self.columns).mean()
                if p.aggregate == "mean"
                else pl.col(self.columns).median()
            )
            centroids = grouped.group_by("g").agg(agg)
            mapped = grouped.select("g").join(centroids, on="g", how="left", maintain_order="left")
            out[idx] = mapped.select(self.columns).to_numpy()
        self.n_rows_ = n
        self.groups_ = int(labels.max()) + 1 if len(labels) else 0
        self.values_ = {
            c: pl.Series(c, out[:, j], dtype=pl.Float64).fill_nan(None)
            for j, c in enumerate(self.columns)
        }
        if p.row_key is not None:
            keys = data[p.row_key]
            if keys.is_duplicated().any() or keys.null_count():
                raise SchemaMismatchError(
                    f"row_key {p.row_key!r} must be unique and non-null to map rows back; "
                    "it has duplicates or nulls — drop row_key to map by row position"
                )
            self.keys_ = keys

    def _apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        p = self.params
        n = self.n_rows_
        if p.row_key is not None:
            key = pl.col(p.row_key)
            old = self.keys_
        else:
            # Row position, offset out of range whenever the height differs from fit's,
            # so replace_strict raises instead of silently mis-mapping rows.
            length = pl.len().cast(pl.Int64)
            key = pl.int_range(pl.len(), dtype=pl.Int64) + (length - n) * (n + 1)
            old = pl.Series(np.arange(n, dtype=np.int64))
        return frame.with_columns(
            key.replace_strict(old, self.values_[c], return_dtype=pl.Float64).alias(c)
            for c in self.columns
        )


_TWO_53 = float(2**53)


def _uniform(seed: int, stream: int) -> pl.Expr:
    """Per-row uniform in (0, 1) from a seeded hash of the row position."""
    h = pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed=seed, seed_1=stream)
    return ((h // 2048).cast(pl.Float64) + 0.5) / _TWO_53


class AddNoise(Transform):
    """Add seeded random noise to numbers; **this is NOT differential privacy**.

    The noise (``gaussian`` with standard deviation ``scale``, ``laplace`` with
    scale ``scale``, or ``uniform`` on ``[-scale, scale]``; with ``relative:
    true``, ``scale`` is a multiple of the column's standard deviation, learned in
    ``fit``) blurs values for casual viewing but gives no formal guarantee: it is
    not calibrated to any sensitivity, repeated releases can be averaged, and
    nothing tracks a privacy budget. For differential privacy use ``privlab.dp``
    (OpenDP). The noise is a deterministic function of ``seed``, the column and the
    row position (a hash, so ``apply`` stays a pure polars expression); output
    columns are Float64.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [1.0, 2.0, 3.0]})
    >>> a = AddNoise("x", scale=0.1, seed=7).fit_apply(df)
    >>> a.equals(AddNoise("x", scale=0.1, seed=7).fit_apply(df)), a.equals(df)
    (True, False)
    """

    name = "add_noise"

    class Params(TransformParams):
        """Parameters of ``add_noise`` (not differential privacy)."""

        scale: float = Field(..., gt=0)
        seed: int = Field(..., ge=0, lt=2**63)
        distribution: Literal["gaussian", "laplace", "uniform"] = "gaussian"
        relative: bool = False

    params: Params

    def _fit(self, frame: pl.LazyFrame) -> None:
        _numeric(frame, self.columns, self.name)
        scales = {c: self.params.scale for c in self.columns}
        if self.params.relative:
            stds = (
                frame.select(pl.col(self.columns).cast(pl.Float64).std())
                .collect()
                .row(0, named=True)
            )
            scales = {c: self.params.scale * float(stds[c] or 0.0) for c in self.columns}
        self.scales_ = scales

    def _noise(self, stream: int, scale: float) -> pl.Expr:
        seed = self.params.seed
        u1 = _uniform(seed, 2 * stream)
        if self.params.distribution == "uniform":
            return (u1 * 2.0 - 1.0) * scale
        if self.params.distribution == "laplace":
            v = u1 - 0.5
            return -scale * v.sign() * (1.0 - 2.0 * v.abs()).log()
        u2 = _uniform(seed, 2 * stream + 1)
        return (-2.0 * u1.log()).sqrt() * (2.0 * math.pi * u2).cos() * scale

    def _apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        return frame.with_columns(
            (pl.col(c).cast(pl.Float64) + self._noise(i, self.scales_[c])).alias(c)
            for i, c in enumerate(self.columns)
        )
