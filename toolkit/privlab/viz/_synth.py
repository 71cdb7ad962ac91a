"""Charts of a synthetic release: real vs synthetic distributions, quality and risk.

Pure functions returning un-displayed ``alt.Chart`` objects. Column charts embed
binned counts (aggregates), never individual records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:  # pragma: no cover
    import altair as alt

__all__ = ["column_comparison_chart", "privacy_risk_chart", "quality_chart"]

_SOURCES = ["real", "synthetic"]


def _column_counts(real: pl.Series, synthetic: pl.Series, bins: int) -> tuple[pl.DataFrame, bool]:
    numeric = real.dtype.is_numeric() and real.dtype != pl.Boolean
    frames = []
    if numeric:
        both = pl.concat([real.cast(pl.Float64), synthetic.cast(pl.Float64)]).drop_nulls()
        lo, hi = (float(both.min()), float(both.max())) if both.len() else (0.0, 1.0)  # type: ignore[arg-type]
        width = (hi - lo) / bins or 1.0
        for name, s in zip(_SOURCES, (real, synthetic), strict=True):
            idx = ((s.cast(pl.Float64) - lo) / width).floor().clip(0, bins - 1)
            counts = idx.drop_nulls().value_counts(name="count").rename({idx.name: "bin"})
            frames.append(
                counts.with_columns(
                    (lo + pl.col("bin") * width).alias("start"),
                    (lo + (pl.col("bin") + 1) * width).alias("end"),
                    pl.lit(name).alias("source"),
                    (pl.col("count") / s.len()).alias("share"),
                ).drop("bin")
            )
    else:
        for name, s in zip(_SOURCES, (real, synthetic), strict=True):
            vc = s.cast(pl.String).fill_null("(missing)").value_counts(name="count")
            frames.append(
                vc.rename({vc.columns[0]: "value"}).with_columns(
                    pl.lit(name).alias("source"), (pl.col("count") / s.len()).alias("share")
                )
            )
    return pl.concat(frames), numeric


def column_comparison_chart(
    real: pl.DataFrame, synthetic: pl.DataFrame, column: str, *, bins: int = 20, top: int = 20
) -> alt.Chart:
    """Share of rows per bin (numbers) or category (text) in real vs synthetic data.

    Examples
    --------
    >>> import polars as pl
    >>> real = pl.DataFrame({"age": [20, 30, 40, 50]})
    >>> syn = pl.DataFrame({"age": [22, 35, 35, 60]})
    >>> spec = column_comparison_chart(real, syn, "age", bins=4).to_dict()
    >>> spec["mark"]["type"], spec["encoding"]["color"]["field"]
    ('bar', 'source')
    """
    import altair as alt

    counts, numeric = _column_counts(real[column], synthetic[column], bins)
    if numeric:
        return (
            alt.Chart(counts.to_pandas())
            .mark_bar(opacity=0.6)
            .encode(
                x=alt.X("start:Q", bin="binned", title=column),
                x2="end:Q",
                y=alt.Y("share:Q", stack=None, title="share of rows"),
                color=alt.Color("source:N", scale=alt.Scale(domain=_SOURCES)),
                tooltip=["source:N", "start:Q", "end:Q", alt.Tooltip("share:Q", format=".1%")],
            )
            .properties(title=f"{column}: real vs synthetic", width=360, height=180)
        )
    keep = (
        counts.filter(pl.col("source") == "real").sort("count", descending=True).head(top)["value"]
    )
    counts = counts.filter(pl.col("value").is_in(keep.implode()))
    return (
        alt.Chart(counts.to_pandas())
        .mark_bar()
        .encode(
            y=alt.Y("value:N", sort="-x", title=column),
            x=alt.X("share:Q", title="share of rows"),
            yOffset="source:N",
            color=alt.Color("source:N", scale=alt.Scale(domain=_SOURCES)),
            tooltip=["source:N", "value:N", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(title=f"{column}: real vs synthetic", width=360)
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
            x=alt.X("score:Q", scale=alt.Scale(domain=[0, 1]), title="column shape score"),
            color=alt.Color("metric:N"),
            tooltip=["column:N", "metric:N", alt.Tooltip("score:Q", format=".3f")],
        )
        .properties(title="Quality per column (1 = same distribution)", width=360)
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
        x=alt.X("low:Q", scale=alt.Scale(domain=[0, 1]), title="risk (95% CI)"), x2="high:Q"
    )
    point = base.mark_point(filled=True, size=80).encode(
        x="risk:Q", tooltip=["attack:N", alt.Tooltip("risk:Q", format=".3f")]
    )
    return alt.LayerChart(layer=[rule, point], title="Privacy risk per attack", width=360)
