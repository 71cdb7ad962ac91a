"""From the released OpenDP frame to answers: estimates, intervals and notes.

Every answer is post-processing of OpenDP's output and OpenDP's own accuracy
description (:class:`~privlab.dp._calibrate.PartAccuracy`); nothing here
touches the data.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from privlab.dp._calibrate import PartAccuracy
from privlab.dp._plan import Part, PlanSpec, dyadic
from privlab.dp._queries import DPQuery

__all__ = ["answers", "mean_interval", "quantization"]


def answers(
    spec: PlanSpec,
    released: pl.DataFrame,
    acc: dict[str, PartAccuracy],
    *,
    alpha: float,
    max_rows: int,
    losses: Sequence[tuple[float, float]],
) -> list[pl.DataFrame]:
    """One answer frame per query: group columns, estimate, lower, upper, …"""
    groups = list(spec.group_columns)
    if spec.keys is not None:  # order rows as the public keys were declared
        released = spec.keys.join(released, on=groups, how="left", nulls_equal=True)
    elif groups:
        released = released.sort(groups)
    out = []
    for i, q in enumerate(spec.queries):
        parts = {p.role: p for p in spec.parts if p.index == i}
        est, lower, upper, note = _estimate(q, parts, released, acc, max_rows=max_rows)
        eps, delta = losses[i]
        thr = [acc[p.alias].threshold for p in spec.parts if acc[p.alias].threshold is not None]
        if thr:
            note = (note + "; " if note else "") + (
                f"groups whose noisy count is below {thr[0]} are not released"
            )
        frame = released.select(groups).with_columns(
            pl.lit(q.label).alias("statistic"),
            est.cast(pl.Float64).alias("estimate"),
            lower.cast(pl.Float64).alias("lower"),
            upper.cast(pl.Float64).alias("upper"),
            pl.lit(1.0 - alpha if q.has_accuracy else None, pl.Float64).alias("confidence"),
            pl.lit(eps).alias("epsilon"),
            pl.lit(delta).alias("delta"),
            pl.lit(note).alias("note"),
        )
        out.append(frame)
    return out


def _estimate(
    q: DPQuery,
    parts: dict[str, Part],
    released: pl.DataFrame,
    acc: dict[str, PartAccuracy],
    *,
    max_rows: int,
) -> tuple[pl.Series, pl.Series, pl.Series, str]:
    height = released.height
    nulls = pl.Series([None] * height, dtype=pl.Float64)
    if q.kind in {"count", "histogram"}:
        p = parts["n"]
        n = released[p.alias].cast(pl.Float64)
        a = acc[p.alias].accuracy
        assert a is not None
        return n, (n - a).clip(lower_bound=0.0), n + a, "interval clipped at 0 (a count is >= 0)"
    if q.kind == "sum":
        p = parts["s"]
        s = released[p.alias].cast(pl.Float64) / p.factor
        a_s = acc[p.alias].accuracy
        assert a_s is not None
        half = a_s / p.factor + quantization(p, max_rows)
        return s, s - half, s + half, ""
    if q.kind == "mean":
        ps, pn = parts["s"], parts["n"]
        assert isinstance(q.bounds, tuple)
        lo, hi = q.bounds
        a_s = acc[ps.alias].accuracy_half
        a_n = acc[pn.alias].accuracy_half
        assert a_s is not None
        assert a_n is not None
        a_s = a_s / ps.factor + quantization(ps, max_rows)
        s = released[ps.alias].cast(pl.Float64) / ps.factor
        n = released[pn.alias].cast(pl.Float64)
        est, lower, upper = mean_interval(s, n, a_s, a_n, lo, hi)
        note = (
            "mean = noisy sum / noisy count; interval combines the sum's and the count's "
            "OpenDP accuracies at alpha/2 each (union bound) — conservative"
        )
        return est, lower, upper, note
    if q.kind == "quantile":
        v = released[parts["q"].alias].cast(pl.Float64)
        note = "OpenDP reports no accuracy for quantiles: no interval"
        assert q.q is not None
        if dyadic(q.q) != q.q:
            note += f"; q taken as {dyadic(q.q):g} (a multiple of 1/1024, see dyadic())"
        return v, nulls, nulls, note
    raise AssertionError(q.kind)  # pragma: no cover


def quantization(part: Part, max_rows: int) -> float:
    """Worst-case truncation error of a fixed-point sum, in original units."""
    return 0.0 if part.factor == 1.0 else max_rows / part.factor


def mean_interval(
    s: pl.Series, n: pl.Series, a_s: float, a_n: float, lo: float, hi: float
) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Estimate and conservative interval of a mean from a noisy sum and count.

    If the true sum S* and count N* satisfy ``|S - S*| <= a_s`` and
    ``|N - N*| <= a_n`` (each with probability >= 1 - alpha/2, so both with
    >= 1 - alpha), the true mean S*/N* lies (a) within the range of s/n over
    that box when ``N - a_n > 0``, (b) within ``S/N ± (a_s + M a_n) / N`` with
    ``M = max(|lo|, |hi|)``, and (c) within the clipping bounds. We return
    the intersection of the three.

    Examples
    --------
    >>> import polars as pl
    >>> est, lo, hi = mean_interval(pl.Series([500.0]), pl.Series([10.0]), 10.0, 1.0, 0.0, 100.0)
    >>> round(est[0], 3), round(lo[0], 3), round(hi[0], 3)
    (50.0, 44.545, 56.667)
    """
    m = max(abs(lo), abs(hi))
    frame = pl.DataFrame({"s": s, "n": n})
    positive = pl.col("n") > 0
    est = pl.when(positive).then((pl.col("s") / pl.col("n")).clip(lo, hi))
    box_ok = pl.col("n") - a_n > 0
    s_lo, s_hi = pl.col("s") - a_s, pl.col("s") + a_s
    n_lo, n_hi = pl.col("n") - a_n, pl.col("n") + a_n
    corners = [s_lo / n_lo, s_lo / n_hi, s_hi / n_lo, s_hi / n_hi]
    box_lo = pl.when(box_ok).then(pl.min_horizontal(corners)).otherwise(lo)
    box_hi = pl.when(box_ok).then(pl.max_horizontal(corners)).otherwise(hi)
    half = pl.when(positive).then((a_s + m * a_n) / pl.col("n"))
    f_lo = pl.when(positive).then(pl.col("s") / pl.col("n") - half).otherwise(lo)
    f_hi = pl.when(positive).then(pl.col("s") / pl.col("n") + half).otherwise(hi)
    lower = pl.max_horizontal(box_lo, f_lo, pl.lit(lo)).clip(lo, hi)
    upper = pl.min_horizontal(box_hi, f_hi, pl.lit(hi)).clip(lo, hi)
    out = frame.select(est.alias("e"), lower.alias("l"), upper.alias("u"))
    return out["e"], out["l"], out["u"]
