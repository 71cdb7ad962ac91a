"""Charts of an anonymized release: equivalence-class sizes and re-identification risk.

Pure functions returning un-displayed ``alt.Chart`` objects built from class-size
aggregates (size → number of classes and records), never from records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from privlab.viz._legible import WIDTH, band_axis, count_axis, quant_axis

if TYPE_CHECKING:  # pragma: no cover
    import altair as alt

__all__ = ["class_size_chart", "risk_distribution_chart"]


def _class_sizes(risk: Any) -> pl.DataFrame:
    """``size, classes, records`` from a RiskReport (or such a frame)."""
    frame = risk if isinstance(risk, pl.DataFrame) else risk.class_sizes
    missing = {"size", "classes", "records"} - set(frame.columns)
    if missing:
        raise ValueError(
            f"expected class sizes with columns size, classes, records; missing {sorted(missing)}"
        )
    return frame.select(
        pl.col("size").cast(pl.Int64),
        pl.col("classes").cast(pl.Int64),
        pl.col("records").cast(pl.Int64),
    ).sort("size")


def class_size_chart(risk: Any, *, k: int | None = None) -> alt.Chart:
    """Records per equivalence-class size; classes below *k* are highlighted.

    Parameters
    ----------
    risk:
        A :class:`~privlab.risk.RiskReport` (its ``class_sizes``) or a frame with
        columns ``size``, ``classes``, ``records``.
    k:
        The k-anonymity target: sizes below it are coloured as violations.

    Examples
    --------
    >>> import polars as pl
    >>> sizes = pl.DataFrame({"size": [1, 5], "classes": [3, 2], "records": [3, 10]})
    >>> spec = class_size_chart(sizes, k=5).to_dict()
    >>> spec["mark"]["type"], spec["encoding"]["x"]["field"], len(spec["datasets"])
    ('bar', 'size', 1)
    """
    import altair as alt

    frame = _class_sizes(risk).with_columns(
        pl.when(pl.col("size") < (k or 0))
        .then(pl.lit(f"below k={k}"))
        .otherwise(pl.lit("ok"))
        .alias("status")
    )
    sizes = frame["size"].to_list()
    return (
        alt.Chart(frame.to_pandas())
        .mark_bar()
        .encode(
            x=alt.X("size:O", axis=band_axis("equivalence class size", sizes)),
            y=alt.Y("records:Q", axis=count_axis("records")),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=["ok", f"below k={k}"], range=["#4c78a8", "#e45756"]),
                legend=None if k is None else alt.Legend(title=None),
            ),
            tooltip=[
                alt.Tooltip("size:O", title="class size"),
                alt.Tooltip("classes:Q", format=",d"),
                alt.Tooltip("records:Q", format=",d"),
            ],
        )
        .properties(
            title="Class sizes" if k is None else f"Class sizes (target k = {k})",
            width=WIDTH,
            height=180,
        )
    )


def risk_distribution_chart(
    risk: Any, *, threshold: float | None = None, k: int | None = None
) -> alt.LayerChart:
    """Records per prosecutor re-identification risk (1 / class size), with a threshold rule.

    Parameters
    ----------
    risk:
        A :class:`~privlab.risk.RiskReport` or a frame of class sizes (see
        :func:`class_size_chart`).
    threshold:
        Where to draw the rule; default ``1 / k`` when *k* is given, else the
        report's own ``threshold`` (0.2).
    k:
        The k-anonymity target the rule stands for.

    Examples
    --------
    >>> import polars as pl
    >>> sizes = pl.DataFrame({"size": [2, 4], "classes": [1, 2], "records": [2, 8]})
    >>> spec = risk_distribution_chart(sizes, threshold=0.3).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['bar', 'rule']
    """
    import altair as alt

    frame = _class_sizes(risk)
    if threshold is None:
        threshold = 1.0 / k if k else float(getattr(risk, "threshold", 0.2))
    rule_label = f"1/k = {threshold:.3g}" if k else f"threshold {threshold:.3g}"
    n = max(int(frame["records"].sum()), 1)
    data = frame.select(
        (1.0 / pl.col("size")).alias("risk"),
        pl.col("records"),
        (pl.col("records") / n).alias("share"),
    )
    bars = (
        alt.Chart(data.to_pandas())
        .mark_bar(width=6)
        .encode(
            x=alt.X(
                "risk:Q",
                scale=alt.Scale(domain=[0, 1]),
                axis=quant_axis("prosecutor risk (1 / class size)"),
            ),
            y=alt.Y("share:Q", axis=quant_axis("share of records", fmt="%")),
            tooltip=[
                alt.Tooltip("risk:Q", format=".3f"),
                alt.Tooltip("records:Q", format=",d"),
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
    )
    rule = (
        alt.Chart(alt.Data(values=[{"threshold": threshold, "label": rule_label}]))
        .mark_rule(color="#e45756", strokeDash=[4, 3])
        .encode(x="threshold:Q", tooltip=[alt.Tooltip("label:N", title="rule")])
    )
    return (bars + rule).properties(title="Re-identification risk", width=WIDTH, height=180)
