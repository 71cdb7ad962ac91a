"""Charts of an anonymized release: equivalence-class sizes and re-identification risk.

Pure functions returning un-displayed ``alt.Chart`` objects built from class-size
aggregates (size → number of classes and records), never from records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

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
    return (
        alt.Chart(frame.to_pandas())
        .mark_bar()
        .encode(
            x=alt.X("size:O", title="equivalence class size"),
            y=alt.Y("records:Q", title="records"),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=["ok", f"below k={k}"], range=["#4c78a8", "#e45756"]),
                legend=None if k is None else alt.Legend(title=None),
            ),
            tooltip=["size:O", "classes:Q", "records:Q"],
        )
        .properties(title="Class sizes", width=320, height=180)
    )


def risk_distribution_chart(risk: Any, *, threshold: float | None = None) -> alt.Chart:
    """Records per prosecutor re-identification risk (1 / class size), with a threshold rule.

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
        threshold = float(getattr(risk, "threshold", 0.2))
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
            x=alt.X("risk:Q", scale=alt.Scale(domain=[0, 1]), title="prosecutor risk (1 / size)"),
            y=alt.Y("share:Q", title="share of records", axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("risk:Q", format=".3f"),
                "records:Q",
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
    )
    rule = (
        alt.Chart(alt.Data(values=[{"threshold": threshold}]))
        .mark_rule(color="#e45756", strokeDash=[4, 3])
        .encode(x="threshold:Q")
    )
    return (bars + rule).properties(title="Re-identification risk", width=320, height=180)
