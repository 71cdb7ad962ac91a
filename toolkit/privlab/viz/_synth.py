"""Charts of a synthetic release: real vs synthetic distributions, quality and risk.

Pure functions returning un-displayed ``alt.Chart`` objects. Column charts embed
generalized aggregates only, never records and never a rare value: numbers and
dates in bins with rounded edges, categories only when at least ``min_count``
real rows share them (the rest are counted together as "other").
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import polars as pl

from privlab.viz._legible import ROW_STEP, WIDTH, band_axis, quant_axis

if TYPE_CHECKING:  # pragma: no cover
    import altair as alt

__all__ = ["column_comparison_chart", "privacy_risk_chart", "quality_chart"]

_SOURCES = ["real", "synthetic"]
_OTHER = "other"


def _nice_step(span: float, bins: int) -> float:
    """A 1-2-5 step near ``span / bins`` (so bin edges are round numbers, not data)."""
    raw = span / max(bins, 1)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _as_dates(s: pl.Series) -> pl.Series | None:
    """*s* as dates when it holds dates (a temporal dtype, or text that parses as dates)."""
    if s.dtype in (pl.Date, pl.Datetime):
        return s.cast(pl.Date)
    if s.dtype != pl.String:
        return None
    present = s.drop_nulls()
    if present.len() == 0:
        return None
    try:
        parsed = s.str.to_date(strict=False)
    except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError):
        return None  # no date format fits the values
    if parsed.drop_nulls().len() < 0.95 * present.len():
        return None
    return parsed


def _date_bins(dates: pl.Series, lo: Any, hi: Any, bins: int) -> pl.Series:
    """Period labels (month, quarter, year or n-year spans) giving at most *bins* bins."""
    years = (hi - lo).days / 365.25 if lo is not None and hi is not None else 0.0
    if years * 12 <= bins:
        return dates.dt.strftime("%Y-%m")
    if years * 4 <= bins:
        return dates.dt.year().cast(pl.String) + " Q" + dates.dt.quarter().cast(pl.String)
    width = next(w for w in (1, 2, 5, 10, 20, 50, 100, 1000) if years / w <= bins)
    if width == 1:
        return dates.dt.year().cast(pl.String)
    start = (dates.dt.year() // width) * width
    return start.cast(pl.String) + "–" + (start + width - 1).cast(pl.String)


def _shares(labels: pl.Series, name: str) -> pl.DataFrame:
    n = max(labels.len(), 1)
    vc = labels.fill_null("(missing)").value_counts(name="count")
    return vc.rename({vc.columns[0]: "value"}).with_columns(
        pl.lit(name).alias("source"), (pl.col("count") / n).alias("share")
    )


def _column_counts(
    real: pl.Series, synthetic: pl.Series, bins: int, top: int, min_count: int
) -> tuple[pl.DataFrame, str, list[str]]:
    """Generalized counts ``value, count, source, share``, the kind and the value order."""
    real_dates, syn_dates = _as_dates(real), _as_dates(synthetic)
    if real_dates is not None and syn_dates is not None:
        both = pl.concat([real_dates, syn_dates]).drop_nulls()
        lo, hi = (both.min(), both.max()) if both.len() else (None, None)
        labelled = [_date_bins(d, lo, hi, bins) for d in (real_dates, syn_dates)]
        frame = pl.concat([_shares(lab, n) for lab, n in zip(labelled, _SOURCES, strict=True)])
        order = sorted(v for v in frame["value"].unique().to_list() if v != "(missing)")
        return frame, "date", order
    if real.dtype.is_numeric() and real.dtype != pl.Boolean:
        both = pl.concat([real.cast(pl.Float64), synthetic.cast(pl.Float64)]).drop_nulls()
        lo, hi = (float(both.min()), float(both.max())) if both.len() else (0.0, 1.0)  # type: ignore[arg-type]
        step = _nice_step(hi - lo, bins)
        base = math.floor(lo / step) * step
        frames = []
        for name, s in zip(_SOURCES, (real, synthetic), strict=True):
            idx = ((s.cast(pl.Float64) - base) / step).floor()
            counts = idx.drop_nulls().value_counts(name="count").rename({idx.name: "bin"})
            frames.append(
                counts.with_columns(
                    (base + pl.col("bin") * step).round(10).alias("start"),
                    (base + (pl.col("bin") + 1) * step).round(10).alias("end"),
                    pl.lit(name).alias("source"),
                    (pl.col("count") / max(s.len(), 1)).alias("share"),
                ).drop("bin")
            )
        return pl.concat(frames), "number", []
    real_text = real.cast(pl.String)
    counts = real_text.drop_nulls().value_counts(name="count", sort=True)
    shown = counts.filter(pl.col("count") >= min_count).head(top)[counts.columns[0]]
    keep = shown.implode()
    frames = []
    for name, s in zip(_SOURCES, (real_text, synthetic.cast(pl.String)), strict=True):
        grouped = pl.when(s.is_null()).then(pl.lit("(missing)")).when(s.is_in(keep))
        frames.append(
            _shares(pl.select(grouped.then(s).otherwise(pl.lit(_OTHER))).to_series(), name)
        )
    order = [*shown.to_list(), _OTHER, "(missing)"]
    return pl.concat(frames), "category", order


def column_comparison_chart(
    real: pl.DataFrame,
    synthetic: pl.DataFrame,
    column: str,
    *,
    bins: int = 20,
    top: int = 15,
    min_count: int = 5,
) -> alt.Chart:
    """Share of rows per bin, period or frequent category in real vs synthetic data.

    Only generalized values reach the chart: numbers in bins whose edges are round
    numbers (never a data value such as the real minimum), dates in months,
    quarters, years or n-year spans, and text categories only when at least
    *min_count* real rows share them — the others, and every synthetic value the
    real data does not have that often, are counted together as ``"other"``. A
    direct identifier's values (each held by one person) therefore never appear.

    Parameters
    ----------
    real, synthetic:
        The two tables.
    column:
        The column to compare.
    bins:
        At most this many bins for numbers and dates.
    top:
        At most this many categories (the most frequent real ones).
    min_count:
        Smallest number of real rows a category needs to be shown by name.

    Examples
    --------
    >>> import polars as pl
    >>> real = pl.DataFrame({"age": [23, 31, 44, 58]})
    >>> syn = pl.DataFrame({"age": [22, 35, 35, 61]})
    >>> spec = column_comparison_chart(real, syn, "age", bins=4).to_dict()
    >>> spec["mark"]["type"], spec["encoding"]["color"]["field"]
    ('bar', 'source')
    >>> rows = next(iter(spec["datasets"].values()))
    >>> sorted({r["start"] for r in rows})  # round edges, not the data's 22 or 61
    [20.0, 30.0, 40.0, 50.0, 60.0]
    """
    import altair as alt

    counts, kind, order = _column_counts(real[column], synthetic[column], bins, top, min_count)
    color = alt.Color("source:N", scale=alt.Scale(domain=_SOURCES), title=None)
    share_tip = alt.Tooltip("share:Q", format=".1%")
    if kind == "number":
        return (
            alt.Chart(counts.to_pandas())
            .mark_bar(opacity=0.6)
            .encode(
                x=alt.X("start:Q", bin="binned", axis=quant_axis(column)),
                x2="end:Q",
                y=alt.Y("share:Q", stack=None, axis=quant_axis("share of rows", fmt="%")),
                color=color,
                tooltip=["source:N", "start:Q", "end:Q", share_tip],
            )
            .properties(title=f"{column}: real vs synthetic", width=WIDTH, height=200)
        )
    if kind == "date":
        return (
            alt.Chart(counts.to_pandas())
            .mark_bar()
            .encode(
                x=alt.X("value:O", sort=order, axis=band_axis(column, order, labelAngle=-45)),
                xOffset=alt.XOffset("source:N", sort=_SOURCES),
                y=alt.Y("share:Q", axis=quant_axis("share of rows", fmt="%")),
                color=color,
                tooltip=["source:N", alt.Tooltip("value:N", title="period"), share_tip],
            )
            .properties(title=f"{column}: real vs synthetic", width=WIDTH, height=200)
        )
    return (
        alt.Chart(counts.to_pandas())
        .mark_bar()
        .encode(
            y=alt.Y("value:N", sort=order, title=column),
            x=alt.X("share:Q", axis=quant_axis("share of rows", fmt="%")),
            yOffset=alt.YOffset("source:N", sort=_SOURCES),
            color=color,
            tooltip=["source:N", "value:N", share_tip],
        )
        .properties(
            title=f"{column}: real vs synthetic (categories of ≥ {min_count} real rows)",
            width=WIDTH,
            height=alt.Step(ROW_STEP),
        )
    )


def quality_chart(report: Any) -> alt.Chart:
    """Per-column shape score (SDMetrics KSComplement / TVComplement) of a SynthReport.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> rep = SimpleNamespace(quality={"columns": [
    ...     {"table": None, "column": "age", "metric": "KSComplement", "score": 0.9}]})
    >>> quality_chart(rep).to_dict()["encoding"]["x"]["field"]
    'score'
    """
    import altair as alt
    import pandas as pd

    rows = report.quality.get("columns", [])
    frame = pd.DataFrame(rows or [{"table": None, "column": "", "metric": "", "score": 0.0}])
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("column:N", sort="x", title=None),
            x=alt.X(
                "score:Q", scale=alt.Scale(domain=[0, 1]), axis=quant_axis("column shape score")
            ),
            color=alt.Color("metric:N"),
            tooltip=["column:N", "metric:N", alt.Tooltip("score:Q", format=".3f")],
        )
        .properties(
            title="Quality per column (1 = same distribution)",
            width=WIDTH,
            height=alt.Step(ROW_STEP),
        )
    )


def privacy_risk_chart(report: Any) -> alt.LayerChart:
    """Attack risks with their confidence intervals (Anonymeter's method).

    Examples
    --------
    >>> from privlab.synth import AttackResult
    >>> from types import SimpleNamespace
    >>> r = AttackResult.from_counts("linkability", n_attacks=100, n_success=30,
    ...                              n_baseline=2, n_control=10)
    >>> rep = SimpleNamespace(attacks=lambda: [r])
    >>> layers = privacy_risk_chart(rep).to_dict()["layer"]
    >>> [layer["mark"]["type"] for layer in layers]
    ['rule', 'point']
    """
    import altair as alt
    import pandas as pd

    rows = []
    for a in report.attacks():
        label = a.attack
        if a.attack == "inference":
            label = f"inference: {a.details.get('secret')}"
        rows.append({"attack": label, "risk": a.risk, "low": a.ci[0], "high": a.ci[1]})
    frame = pd.DataFrame(rows or [{"attack": "", "risk": 0.0, "low": 0.0, "high": 0.0}])
    base = alt.Chart(frame).encode(y=alt.Y("attack:N", title=None))
    rule = base.mark_rule().encode(
        x=alt.X("low:Q", scale=alt.Scale(domain=[0, 1]), axis=quant_axis("risk (95% CI)")),
        x2="high:Q",
    )
    point = base.mark_point(filled=True, size=80).encode(
        x="risk:Q",
        tooltip=[
            "attack:N",
            alt.Tooltip("risk:Q", format=".3f"),
            alt.Tooltip("low:Q", format=".3f", title="95% CI from"),
            alt.Tooltip("high:Q", format=".3f", title="to"),
        ],
    )
    return alt.LayerChart(
        layer=[rule, point],
        title="Privacy risk per attack",
        width=WIDTH,
        height=alt.Step(ROW_STEP),
    )
