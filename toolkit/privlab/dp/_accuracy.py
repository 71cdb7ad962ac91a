"""Accuracy planning: what a query would cost or give, before anything is spent.

"A context spends, a query describes": these functions take a
:class:`~privlab.dp._calibrate.Calibrator` (the plans of one table and
privacy unit) and a query, calibrate OpenDP measurements and read OpenDP's
own accuracy — they never run a measurement, never touch the data and never
reserve budget. :class:`~privlab.dp.DPSession` exposes them as methods.

They use public inputs only: the query (bounds, grouping, public keys), the
schema, the public row bound ``max_rows`` and, for a mean, a declared number
of values ``rows`` (default: half the row bound, stated in the result). So
two tables with the same public inputs get the same previews, whatever
their row counts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from privlab._validate import check_fraction
from privlab.dp._answers import MeanNoise, mean_half_width, quantization
from privlab.dp._calibrate import Calibrator
from privlab.dp._queries import DPQuery
from privlab.exceptions import DPQueryError

__all__ = [
    "check_alpha",
    "default_rows",
    "epsilon_for",
    "error_curve",
    "half_width",
    "preview",
]

_AGGREGATE = {"n": "count", "s": "sum", "q": "quantile", "len": "rows"}


def check_alpha(alpha: object) -> float:
    """A significance level in (0, 1): answers carry (1 − alpha) intervals.

    Examples
    --------
    >>> check_alpha(0.05)
    0.05
    """
    return check_fraction(alpha, "alpha", inclusive=False, error=DPQueryError)


def default_rows(calibrator: Calibrator, rows: float | None) -> tuple[float, str]:
    """The declared number of values of a mean, or half the public row bound (and a note)."""
    max_rows = calibrator.planner.max_rows
    if rows is None:
        return max_rows / 2.0, f"rows={max_rows / 2:g} assumed (half the public row bound)"
    if isinstance(rows, bool) or not isinstance(rows, int | float) or not rows > 0:
        raise DPQueryError(f"`rows` must be a number > 0 (values the mean averages), got {rows!r}")
    return float(rows), f"rows={rows:g} declared"


def preview(
    calibrator: Calibrator,
    query: DPQuery,
    loss: tuple[float, float],
    alpha: float,
    *,
    rows: float | None = None,
) -> pl.DataFrame:
    """One row per OpenDP aggregate of ``query`` at privacy loss ``loss = (ε, δ)``.

    Columns: ``statistic``, ``aggregate``, ``distribution``, ``scale``,
    ``accuracy`` (half-width of a (1 − alpha) interval, column units),
    ``confidence``, ``threshold``, ``epsilon``, ``delta``, ``note``. A mean
    has a third row, ``aggregate="mean"``, with the half-width of the mean's
    own interval over ``rows`` values.
    """
    spec, cal = calibrator.prepare([query], [loss])
    acc = calibrator.summary(cal, alpha)
    max_rows = calibrator.planner.max_rows
    public = calibrator.planner.public_note
    out = []
    for part in spec.parts:
        pa = acc[part.alias]
        out.append(
            {
                "statistic": query.label,
                "aggregate": _AGGREGATE[part.role],
                "distribution": pa.distribution,
                "scale": pa.scale / part.factor,
                "accuracy": None
                if pa.accuracy is None
                else pa.accuracy / part.factor + quantization(part, max_rows),
                "confidence": 1.0 - alpha,
                "threshold": pa.threshold,
                "epsilon": cal.epsilon,
                "delta": cal.delta,
                "note": public,
            }
        )
    if query.kind == "mean":
        n_rows, note = default_rows(calibrator, rows)
        out.append(
            {
                **out[0],
                "aggregate": "mean",
                "distribution": None,
                "scale": None,
                "accuracy": half_width(calibrator, query, loss, alpha, rows=n_rows),
                "threshold": None,
                "note": f"{public}; {note}",
            }
        )
    return pl.DataFrame(
        out,
        schema={
            "statistic": pl.String,
            "aggregate": pl.String,
            "distribution": pl.String,
            "scale": pl.Float64,
            "accuracy": pl.Float64,
            "confidence": pl.Float64,
            "threshold": pl.Int64,
            "epsilon": pl.Float64,
            "delta": pl.Float64,
            "note": pl.String,
        },
    )


def half_width(
    calibrator: Calibrator,
    query: DPQuery,
    loss: tuple[float, float],
    alpha: float,
    *,
    rows: float | None = None,
) -> float:
    """Half-width of the (1 − alpha) interval ``query`` would get at ``loss``.

    For a mean it depends on how many values are averaged: ``rows`` (default
    half the public row bound) and the worst-case true mean within the bounds
    (:func:`~privlab.dp._answers.mean_half_width`).
    """
    if not query.has_accuracy:
        raise DPQueryError(
            f"OpenDP reports no accuracy for {query.label}: there is no interval to size"
        )
    spec, cal = calibrator.prepare([query], [loss], cache=False)
    acc = calibrator.summary(cal, alpha)
    max_rows = calibrator.planner.max_rows
    parts = {p.role: p for p in spec.parts if p.index == 0}
    if query.kind == "mean":
        n_rows, _ = default_rows(calibrator, rows)
        assert isinstance(query.bounds, tuple)
        return mean_half_width(MeanNoise.of(parts, acc, max_rows, query.bounds), n_rows, alpha)
    part = parts["s"] if query.kind == "sum" else parts["n"]
    a = acc[part.alias].accuracy
    assert a is not None
    return float(a / part.factor + quantization(part, max_rows))


def epsilon_for(
    calibrator: Calibrator,
    query: DPQuery,
    accuracy: float,
    alpha: float,
    *,
    delta: float = 0.0,
    rows: float | None = None,
    max_epsilon: float = 100.0,
) -> float:
    """Smallest ε whose (1 − alpha) interval has half-width ≤ ``accuracy``.

    The width is the one :func:`half_width` computes from public inputs; the
    search stops when the bracket is within 0.1 % (so the answer is within
    5 % of the smallest ε that meets the request by a wide margin).

    Raises
    ------
    DPQueryError
        If even ``max_epsilon`` does not reach the accuracy, or the query has
        no accuracy (quantiles).
    """
    if not (isinstance(accuracy, int | float) and accuracy > 0 and math.isfinite(accuracy)):
        raise DPQueryError(f"accuracy must be a number > 0, got {accuracy!r}")

    def width(eps: float) -> float:
        return half_width(calibrator, query, (eps, delta), alpha, rows=rows)

    if width(max_epsilon) > accuracy:
        raise DPQueryError(
            f"{query.label} cannot reach ±{accuracy:g} at {1 - alpha:.0%} confidence even "
            f"with ε={max_epsilon:g}; widen the target or narrow the bounds"
        )
    # Laplace accuracy scales like 1/ε: start from that guess, then bisect in log-space.
    w1 = width(1.0)
    guess = min(max(w1 / accuracy, 1e-6), max_epsilon)
    lo, hi = guess, guess
    while width(hi) > accuracy:
        lo, hi = hi, min(hi * 1.5, max_epsilon)
    while lo > 1e-9 and width(lo) <= accuracy:
        hi, lo = lo, lo / 1.5
    for _ in range(40):
        if hi / lo < 1 + 1e-3:
            break
        mid = math.sqrt(lo * hi)
        if width(mid) <= accuracy:
            hi = mid
        else:
            lo = mid
    return hi


def error_curve(
    calibrator: Calibrator,
    query: DPQuery,
    epsilons: Sequence[float] | None,
    alpha: float,
    *,
    delta: float = 0.0,
    rows: float | None = None,
) -> pl.DataFrame:
    """Half-width of the (1 − alpha) interval against ε — nothing is spent.

    Columns ``statistic``, ``epsilon``, ``half_width``, ``confidence``; plot it
    with :func:`privlab.viz.epsilon_curve_chart`.
    """
    if epsilons is None:
        epsilons = [10 ** (-2 + 3 * i / 24) for i in range(25)]  # 0.01 … 10
    eps = [float(e) for e in epsilons]
    widths = [half_width(calibrator, query, (e, delta), alpha, rows=rows) for e in eps]
    return pl.DataFrame(
        {
            "statistic": [query.label] * len(eps),
            "epsilon": eps,
            "half_width": widths,
            "confidence": [1.0 - alpha] * len(eps),
        }
    )
