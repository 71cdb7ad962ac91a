"""Charts of the privacy–utility trade-off (pure functions: data in, un-displayed chart out)."""

from __future__ import annotations

from typing import Any

import polars as pl

from privlab.utility import ReleaseView

__all__ = ["column_chart", "epsilon_error_chart", "k_loss_chart", "tradeoff_chart"]

_TECH_ORDER = ["original", "k-anonymity", "ℓ-diversity", "synthetic"]


def tradeoff_chart(tradeoff: Any) -> Any:
    """The microdata frontier beside the DP panel, sharing the utility (error) axis.

    Left: measured linkage-attack advantage (success on members minus success on
    non-members) against workload error, one point per release with its 95 %
    interval as a vertical bar, colour = technique; the Pareto front (computed on
    the interval's upper end) is joined through the upper ends.
    Right: ε against the DP answers' expected workload error.

    Examples
    --------
    >>> import polars as pl, privlab as pv
    >>> data = pl.DataFrame({"age": list(range(20, 80)) * 3, "dx": ["a", "b", "c"] * 60})
    >>> t = pv.tradeoff(data, profile={"age": "quasi_identifier", "dx": "sensitive"},
    ...                 candidates={"k": [2, 5], "l": [], "epsilon": [0.5, 1.0], "synthetic": []},
    ...                 targets=20, progress=False)
    >>> spec = tradeoff_chart(t).to_dict()
    >>> [panel["title"] for panel in spec["hconcat"]]
    ['Released microdata: measured risk vs utility', 'DP answers: ε vs expected error']
    """
    import altair as alt

    points = tradeoff.points.with_columns(
        pl.when(pl.col("pareto"))
        .then(pl.lit("on the front"))
        .otherwise(pl.lit("dominated"))
        .alias("front")
    )
    scale = alt.Scale(domain=[0, max(0.05, _max_error(tradeoff))])
    title = "workload error (0 = exact answers)"
    x = alt.X("workload_error:Q", title=title, scale=scale)
    base = alt.Chart(alt.Data(values=points.to_dicts()))
    attacker = getattr(tradeoff, "attacker", "prosecutor")
    bars = base.mark_rule(opacity=0.6).encode(
        x=x,
        y=alt.Y("advantage_lo:Q"),
        y2="advantage_hi:Q",
        color=alt.Color("technique:N", sort=_TECH_ORDER, title="technique"),
    )
    dots = base.mark_point(filled=True, size=90).encode(
        x=x,
        y=alt.Y(
            "advantage:Q",
            title=f"linkage advantage, members − non-members ({attacker}, 95 % CI)",
        ),
        color=alt.Color("technique:N", sort=_TECH_ORDER, title="technique"),
        shape=alt.Shape("front:N", title="Pareto"),
        tooltip=[
            "label:N",
            alt.Tooltip("advantage:Q", format=".3f"),
            alt.Tooltip("advantage_lo:Q", format=".3f", title="95 % CI low"),
            alt.Tooltip("advantage_hi:Q", format=".3f", title="95 % CI high"),
            alt.Tooltip("attack_success:Q", format=".3f", title="success on members"),
            alt.Tooltip("attack_non_member:Q", format=".3f", title="success on non-members"),
            alt.Tooltip("workload_error:Q", format=".3f"),
            alt.Tooltip("ml_relative:Q", format=".2f", title="ML accuracy vs original"),
            alt.Tooltip("prosecutor_max:Q", format=".3f", title="prosecutor risk (max)"),
        ],
    )
    front = (
        alt.Chart(
            alt.Data(values=points.filter(pl.col("pareto")).sort("workload_error").to_dicts())
        )
        .mark_line(strokeDash=[4, 3], color="#555")
        .encode(x="workload_error:Q", y="advantage_hi:Q")
    )
    labelled = points.filter(pl.col("pareto") | (pl.col("technique") == "synthetic"))
    labels = (
        alt.Chart(alt.Data(values=labelled.to_dicts()))
        .mark_text(align="left", dx=7, dy=-6, fontSize=10)
        .encode(x="workload_error:Q", y="advantage:Q", text="label:N")
    )
    frontier = (front + bars + dots + labels).properties(
        title="Released microdata: measured risk vs utility", width=420, height=300
    )
    dp_rows = tradeoff.dp.to_dicts()
    dp = (
        alt.Chart(alt.Data(values=dp_rows))
        .mark_line(point=True, color="#d62728")
        .encode(
            x=alt.X("expected_error:Q", title=title, scale=scale),
            y=alt.Y("epsilon:Q", title="ε (worst-case bound)", scale=alt.Scale(type="log")),
            tooltip=[
                alt.Tooltip("epsilon:Q", format=".2f"),
                alt.Tooltip("expected_error:Q", format=".3f", title="expected workload error"),
            ],
        )
        .properties(title="DP answers: ε vs expected error", width=220, height=300)
    )
    return alt.hconcat(frontier, dp).resolve_scale(x="shared")


def _max_error(tradeoff: Any) -> float:
    values = tradeoff.points["workload_error"].to_list() + tradeoff.dp["expected_error"].to_list()
    values = [v for v in values if v is not None]
    return float(max(values)) * 1.1 if values else 1.0


def k_loss_chart(tradeoff: Any) -> Any:
    """ARX information loss and workload error against k (anonymized releases).

    Reads ``tradeoff.points``: its ``technique``, ``param`` (k), ``loss`` and
    ``workload_error`` columns.

    Examples
    --------
    >>> import types, polars as pl
    >>> points = pl.DataFrame({"technique": ["original", "k-anonymity", "k-anonymity"],
    ...                        "param": [None, "2", "5"], "loss": [None, 0.2, 0.4],
    ...                        "workload_error": [0.0, 0.05, 0.1]})
    >>> spec = k_loss_chart(types.SimpleNamespace(points=points)).to_dict()
    >>> spec["mark"]["type"], len(spec["data"]["values"])  # two k × two measures
    ('line', 4)
    """
    import altair as alt

    rows = (
        tradeoff.points.filter(pl.col("technique") == "k-anonymity")
        .with_columns(pl.col("param").cast(pl.Int64).alias("k"))
        .select("k", "loss", "workload_error")
        .unpivot(index="k", variable_name="measure", value_name="value")
        .to_dicts()
    )
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_line(point=True)
        .encode(
            x=alt.X("k:Q", scale=alt.Scale(type="log"), title="k"),
            y=alt.Y("value:Q", title="loss / error"),
            color=alt.Color("measure:N", title=None),
        )
        .properties(title="k-anonymity: information loss and workload error", width=320, height=220)
    )


def epsilon_error_chart(tradeoff: Any) -> Any:
    """ε against the DP answers' expected workload error.

    Reads ``tradeoff.dp``: its ``epsilon`` and ``expected_error`` columns.

    Examples
    --------
    >>> import types, polars as pl
    >>> dp = pl.DataFrame({"epsilon": [0.5, 1.0, 2.0], "expected_error": [0.2, 0.1, 0.05]})
    >>> spec = epsilon_error_chart(types.SimpleNamespace(dp=dp)).to_dict()
    >>> spec["encoding"]["x"]["scale"]["type"], len(spec["data"]["values"])
    ('log', 3)
    """
    import altair as alt

    return (
        alt.Chart(alt.Data(values=tradeoff.dp.to_dicts()))
        .mark_line(point=True, color="#d62728")
        .encode(
            x=alt.X("epsilon:Q", scale=alt.Scale(type="log"), title="ε"),
            y=alt.Y("expected_error:Q", title="expected workload error"),
        )
        .properties(title="Differential privacy: ε vs expected error", width=320, height=220)
    )


def column_chart(tradeoff: Any, label: str, column: str) -> Any:
    """A release's distribution of one workload column beside the original's.

    Examples
    --------
    >>> import polars as pl, privlab as pv
    >>> data = pl.DataFrame({"age": list(range(20, 80)) * 3, "dx": ["a", "b", "c"] * 60})
    >>> t = pv.tradeoff(data, profile={"age": "quasi_identifier", "dx": "sensitive"},
    ...                 candidates={"k": [2, 5], "l": [], "epsilon": [0.5, 1.0], "synthetic": []},
    ...                 targets=20, progress=False)
    >>> spec = column_chart(t, "k=5", "age").to_dict()
    >>> sorted({row["release"] for row in spec["data"]["values"]})
    ['k=5', 'original']
    """
    import altair as alt

    work = tradeoff.workload
    rows = []
    for name, view in (("original", ReleaseView(work.original)), (label, tradeoff.releases[label])):
        weights = work.weights(view, column)
        dist = weights.group_by("bin").agg(pl.col("weight").sum())
        total = dist["weight"].sum()
        rows += [
            {"release": name, "bin": b, "share": w / total if total else 0.0}
            for b, w in dist.iter_rows()
        ]
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("bin:N", title=column, sort="ascending"),
            xOffset="release:N",
            y=alt.Y("share:Q", title="share of records"),
            color=alt.Color("release:N", title=None),
        )
        .properties(title=f"{column}: {label} vs original", width=380, height=200)
    )
