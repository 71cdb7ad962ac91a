"""From the released OpenDP frame to answers: estimates, intervals and notes.

Every answer is post-processing of OpenDP's output and OpenDP's own noise
description (:class:`~privlab.dp._calibrate.PartAccuracy`); nothing here
touches the data.

What an interval covers
-----------------------
The statistic *of the values clipped into the bounds* (missing values
dropped, or imputed when asked): the interval accounts for OpenDP's noise
(and the fixed-point truncation of float sums), not for clipping. A clipped
statistic can differ from the unclipped one by any amount the bounds cut
off; :meth:`~privlab.dp.DPSession.clipping` measures that as a separate DP
release.

- count, histogram, sum: OpenDP's accuracy at ``alpha`` (exact for its
  integer Laplace noise), a count's interval cut at 0;
- mean ``c + S/N`` from the centered noisy sum ``S`` and the noisy count
  ``N``: the set of means ``c + d`` the exact test of ``S − d·N`` (whose
  noise is ``X_s/k − d·X_n``, two independent integer Laplaces) does not
  reject at level ``alpha`` — exact coverage, no union bound;
- every estimate is moved inside its interval (a count below 0 becomes 0,
  a mean outside the bounds becomes the nearest bound), which is
  post-processing and costs no privacy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from privlab.dp._calibrate import PartAccuracy
from privlab.dp._plan import Part, PlanSpec, dyadic
from privlab.dp._queries import DPQuery

__all__ = ["MeanNoise", "answers", "mean_half_width", "mean_interval", "quantization"]

_GRID = 129
_MAX_SUPPORT = 4000


def answers(
    spec: PlanSpec,
    released: pl.DataFrame,
    acc: dict[str, PartAccuracy],
    *,
    alpha: float,
    max_rows: int,
    losses: Sequence[tuple[float, float]],
    notes: Sequence[str] = (),
) -> list[pl.DataFrame]:
    """One answer frame per query: group columns, estimate, lower, upper, …, note.

    ``notes`` are appended to every query's note (public inputs, snapshot).
    """
    groups = list(spec.group_columns)
    if spec.keys is not None:  # order rows as the public keys were declared
        released = spec.keys.join(released, on=groups, how="left", nulls_equal=True)
    elif groups:
        released = released.sort(groups)
    out = []
    for i, q in enumerate(spec.queries):
        parts = {p.role: p for p in spec.parts if p.index == i}
        est, lower, upper, note = _estimate(q, parts, released, acc, alpha, max_rows)
        eps, delta = losses[i]
        thr = [acc[p.alias].threshold for p in spec.parts if acc[p.alias].threshold is not None]
        pieces = [note]
        if thr:
            pieces.append(f"groups whose noisy count is below {thr[0]} are not released")
        pieces.extend(notes)
        frame = released.select(groups).with_columns(
            pl.lit(q.label).alias("statistic"),
            est.cast(pl.Float64).alias("estimate"),
            lower.cast(pl.Float64).alias("lower"),
            upper.cast(pl.Float64).alias("upper"),
            pl.lit(1.0 - alpha if q.has_accuracy else None, pl.Float64).alias("confidence"),
            pl.lit(eps).alias("epsilon"),
            pl.lit(delta).alias("delta"),
            pl.lit("; ".join(p for p in pieces if p)).alias("note"),
        )
        out.append(frame)
    return out


def _what(q: DPQuery) -> str:
    """What the statistic is over: clipping and missing values."""
    if q.kind in {"sum", "mean"}:
        assert isinstance(q.bounds, tuple)
        lo, hi = q.bounds
        nulls = (
            "missing values dropped inside the OpenDP plan"
            if q.nulls == "drop"
            else f"missing values imputed as {q.impute:g}"
        )
        return (
            f"the interval covers the noise around the {q.kind} of the values clipped into "
            f"[{lo:g}, {hi:g}] ({nulls}), not the clipping itself"
        )
    if q.kind == "count" and q.column is not None:
        return f"counts the non-missing values of {q.column!r}"
    return ""


def _estimate(
    q: DPQuery,
    parts: dict[str, Part],
    released: pl.DataFrame,
    acc: dict[str, PartAccuracy],
    alpha: float,
    max_rows: int,
) -> tuple[pl.Series, pl.Series, pl.Series, str]:
    height = released.height
    nulls = pl.Series([None] * height, dtype=pl.Float64)
    what = _what(q)
    if q.kind in {"count", "histogram"}:
        p = parts["n"]
        n = released[p.alias].cast(pl.Float64)
        a = acc[p.alias].accuracy
        assert a is not None
        note = "a count is >= 0: estimate and interval cut at 0"
        return (
            n.clip(lower_bound=0.0),
            (n - a).clip(lower_bound=0.0),
            (n + a).clip(lower_bound=0.0),
            "; ".join(x for x in (what, note) if x),
        )
    if q.kind == "sum":
        p = parts["s"]
        s = released[p.alias].cast(pl.Float64) / p.factor
        a_s = acc[p.alias].accuracy
        assert a_s is not None
        half = a_s / p.factor + quantization(p, max_rows)
        return s, s - half, s + half, what
    if q.kind == "mean":
        ps, pn = parts["s"], parts["n"]
        assert isinstance(q.bounds, tuple)
        est, lower, upper = mean_interval(
            released[ps.alias].cast(pl.Float64).to_numpy(),
            released[pn.alias].cast(pl.Float64).to_numpy(),
            MeanNoise.of(parts, acc, max_rows, q.bounds),
            alpha,
        )
        note = (
            f"mean = {ps.center:g} + noisy sum of (value − {ps.center:g}) / noisy count (two "
            "OpenDP releases); interval: the means an exact test of both noises does not reject"
        )
        return (
            pl.Series(est, dtype=pl.Float64),
            pl.Series(lower, dtype=pl.Float64),
            pl.Series(upper, dtype=pl.Float64),
            f"{what}; {note}",
        )
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


# --------------------------------------------------------------------------- mean intervals


@dataclass(frozen=True)
class MeanNoise:
    """What a mean's interval needs of its two OpenDP releases (public, no data).

    ``scale_s`` and ``scale_n``: integer Laplace scales of the centered sum
    (in fixed-point units) and of the count; ``factor``: the fixed-point
    multiplier; ``slack``: worst-case fixed-point truncation (column units);
    ``bounds`` and ``center``: the clipping bounds and their midpoint.
    """

    scale_s: float
    scale_n: float
    factor: float
    slack: float
    bounds: tuple[float, float]
    center: float

    @classmethod
    def of(
        cls,
        parts: dict[str, Part],
        acc: dict[str, PartAccuracy],
        max_rows: int,
        bounds: tuple[float, float],
    ) -> MeanNoise:
        """From a planned mean's parts and OpenDP's summary of them."""
        ps, pn = parts["s"], parts["n"]
        return cls(
            acc[ps.alias].scale,
            acc[pn.alias].scale,
            ps.factor,
            quantization(ps, max_rows),
            bounds,
            ps.center,
        )


def _dlap_ge(m: np.ndarray, b: float) -> np.ndarray:
    """``P(X >= m)`` for integer ``m`` and ``X`` OpenDP's integer Laplace of scale ``b``."""
    if b <= 0:
        return (m <= 0).astype(float)
    r = math.exp(-1.0 / b)
    pos = np.exp(-np.maximum(m, 1.0) / b) / (1.0 + r)
    neg = 1.0 - np.exp(-(1.0 - np.minimum(m, 0.0)) / b) / (1.0 + r)
    return np.where(m >= 1, pos, neg)


def _support(b: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Integer support, probabilities and left-out tail mass of an integer Laplace."""
    if b <= 0:
        return np.zeros(1), np.ones(1), 0.0
    r = math.exp(-1.0 / b)
    size = min(math.ceil(40.0 * b) + 1, _MAX_SUPPORT)
    j = np.arange(-size, size + 1, dtype=float)
    p = (1.0 - r) / (1.0 + r) * np.power(r, np.abs(j))
    tail = float(2.0 * _dlap_ge(np.array([size + 1.0]), b)[0])
    return j, p, tail


def _exceed(z: np.ndarray, d: np.ndarray, b_s: float, b_n: float, factor: float) -> np.ndarray:
    """``P(|X_s/factor − d·X_n| >= z)`` elementwise over ``d`` (and ``z`` of the same shape)."""
    j, p, tail = _support(b_n)
    shift = d[:, None] * j[None, :]
    upper = _dlap_ge(np.ceil(factor * (z[:, None] + shift) - 1e-9), b_s)
    lower = _dlap_ge(np.ceil(factor * (z[:, None] - shift) - 1e-9), b_s)  # P(X_s <= -…)
    prob = (upper + lower) @ p + tail
    return np.minimum(prob, 1.0)


def mean_interval(
    s: np.ndarray, n: np.ndarray, noise: MeanNoise, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate and (1 − alpha) interval of a mean from a noisy centered sum and count.

    ``s`` is the released integer sum of ``factor · (clip(x) − center)``,
    ``n`` the released count; ``scale_s`` and ``scale_n`` their integer
    Laplace scales (OpenDP's summary). For a candidate mean ``center + d``,
    ``s/factor − d·n`` equals the noise ``X_s/factor − d·X_n`` (plus at most
    ``slack`` of fixed-point truncation); the interval holds every ``d`` in
    the bounds whose exact two-sided p-value exceeds ``alpha``.

    Examples
    --------
    >>> import numpy as np
    >>> noise = MeanNoise(72.0, 2.0, 1.0, 0.0, (18.0, 90.0), 54.0)
    >>> est, lo, hi = mean_interval(np.array([-360.0]), np.array([1000.0]), noise, 0.05)
    >>> round(float(est[0]), 2), bool(lo[0] < est[0] < hi[0]), round(float(hi[0] - lo[0]), 2)
    (53.64, True, 0.43)
    """
    scale_s, scale_n, factor, slack = noise.scale_s, noise.scale_n, noise.factor, noise.slack
    center = noise.center
    lo_b, hi_b = noise.bounds
    dlo, dhi = lo_b - center, hi_b - center
    grid = np.linspace(dlo, dhi, _GRID)
    est = np.empty(len(s))
    lower = np.empty(len(s))
    upper = np.empty(len(s))
    for i, (si, ni) in enumerate(zip(s, n, strict=True)):
        if not (math.isfinite(si) and math.isfinite(ni)):  # a public key with no release
            est[i], lower[i], upper[i] = center, lo_b, hi_b
            continue
        total = si / factor

        def accepted(d: np.ndarray, total: float = total, ni: float = ni) -> np.ndarray:
            z = np.maximum(np.abs(total - d * ni) - slack, 0.0)
            return _exceed(z, d, scale_s, scale_n, factor) > alpha

        with np.errstate(over="ignore"):  # a tiny noisy count: the clamp bounds the ratio
            d_hat = min(max(total / ni, dlo), dhi) if ni > 0 else 0.0
        # the estimate joins the grid: an interval narrower than a grid step is found too
        points = np.unique(np.append(grid, d_hat))
        ok = accepted(points)
        if not ok.any():
            # the releases are unlikely under every mean: claim only the bounds
            est[i], lower[i], upper[i] = center + d_hat, lo_b, hi_b
            continue
        first, last = int(np.argmax(ok)), len(ok) - 1 - int(np.argmax(ok[::-1]))
        left = _refine(accepted, points[first], points[first - 1]) if first > 0 else dlo
        right = _refine(accepted, points[last], points[last + 1]) if last < len(ok) - 1 else dhi
        lower[i], upper[i] = center + left, center + right
        est[i] = min(max(center + d_hat, lower[i]), upper[i])
    return est, lower, upper


def _refine(accepted: object, inside: float, outside: float, steps: int = 24) -> float:
    """The boundary between an accepted and a rejected mean, found by bisection.

    Returns the first rejected point after *steps* halvings, so the interval that
    ends there never shrinks below what the test accepts.
    """
    test = accepted  # callable: np.ndarray -> np.ndarray
    for _ in range(steps):
        mid = (inside + outside) / 2.0
        if bool(test(np.array([mid]))[0]):  # type: ignore[operator]
            inside = mid
        else:
            outside = mid
    return outside  # the first rejected point: conservative by < 2**-24 of a grid step


def mean_half_width(noise: MeanNoise, rows: float, alpha: float) -> float:
    """Half-width a mean's interval will have over ``rows`` values (public inputs only).

    The error of a mean ``c + d`` is ``(X_s/factor − d·X_n) / rows``, whose
    spread grows with ``|d|``; but the estimate is clipped to the bounds, so
    a mean within ``w`` of a bound cannot err by more than ``w`` towards it.
    The worst case is therefore ``|d| = h − w`` (``h`` the distance from the
    midpoint to a bound) — found by a short fixed-point iteration — and the
    half-width is the (1 − alpha) quantile of the two-sided error there.

    Examples
    --------
    >>> round(mean_half_width(MeanNoise(72.0, 2.0, 1.0, 0.0, (18.0, 90.0), 54.0), 1000, 0.05), 3)
    0.294
    """
    scale_s, scale_n, factor, slack = noise.scale_s, noise.scale_n, noise.factor, noise.slack
    bounds, center = noise.bounds, noise.center

    def quantile(d: float) -> float:
        darr = np.array([d])
        lo, hi = 0.0, 1.0
        while _exceed(np.array([hi]), darr, scale_s, scale_n, factor)[0] > alpha:
            lo, hi = hi, hi * 2.0
        for _ in range(60):
            mid = (lo + hi) / 2.0
            if _exceed(np.array([mid]), darr, scale_s, scale_n, factor)[0] > alpha:
                lo = mid
            else:
                hi = mid
        return (hi + slack) / rows

    worst = 0.0
    for edge in (abs(bounds[0] - center), abs(bounds[1] - center)):
        width = quantile(edge)
        for _ in range(8):  # |d| = edge − width; converges in a few steps
            nxt = quantile(max(edge - width, 0.0))
            if abs(nxt - width) <= 1e-9 * max(width, 1e-300):
                break
            width = nxt
        worst = max(worst, width)
    return min(worst, bounds[1] - bounds[0])
