"""Charts of the privacy–utility trade-off (pure functions: data in, un-displayed chart out)."""

from __future__ import annotations

from typing import Any

import polars as pl

from privlab.utility import ReleaseView
from privlab.viz._format import format_number
from privlab.viz._legible import (
    MAX_AXIS_LABELS,
    WIDTH,
    band_axis,
    point_labels,
    quant_axis,
)

__all__ = ["column_chart", "epsilon_error_chart", "k_loss_chart", "tradeoff_chart"]

_TECH_ORDER = ["original", "k-anonymity", "ℓ-diversity", "synthetic"]
_CHOSEN = "#111"
#: Fixed width of the two stacked panels of :func:`tradeoff_chart` (Vega-Lite cannot
#: size the parts of a concatenated chart to their container).
_PANEL_WIDTH = 560


def _ring(alt: Any, rows: list[dict[str, Any]], x: str, y: str) -> Any:
    """A large open circle around the chosen point(s): the highlight every chart shares."""
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_point(size=420, filled=False, strokeWidth=2.5, color=_CHOSEN)
        .encode(x=f"{x}:Q", y=f"{y}:Q")
    )


def tradeoff_chart(
    tradeoff: Any, *, highlight: str | None = None, epsilon: float | None = None
) -> Any:
    """The microdata frontier above the DP panel, sharing the utility (error) axis.

    Top: measured linkage-attack advantage (success on members minus success on
    non-members) against workload error, one point per release with its 95 %
    interval as a vertical bar, colour = technique; the Pareto front (computed on
    ``risk``: the interval's upper end, or the share of members re-identified when
    larger — drawn as a red cross) is joined through those risks. Points are named
    beside them when there are at most ten (nearby points share one label); the
    tooltip names every point. Bottom: ε against the DP answers' expected
    workload error.

    Parameters
    ----------
    tradeoff:
        A :class:`~privlab.tradeoff.Tradeoff`.
    highlight:
        The label of the chosen release (e.g. ``"k=5"``): ringed on the frontier.
    epsilon:
        The chosen ε: ringed on the DP panel.

    Examples
    --------
    >>> import polars as pl, privlab as pv
    >>> data = pl.DataFrame({"age": list(range(20, 80)) * 3, "dx": ["a", "b", "c"] * 60})
    >>> t = pv.tradeoff(data, profile={"age": "quasi_identifier", "dx": "sensitive"},
    ...                 candidates={"k": [2, 5], "l": [], "epsilon": [0.5, 1.0], "synthetic": []},
    ...                 targets=20, progress=False)
    >>> spec = tradeoff_chart(t, highlight="k=5").to_dict()
    >>> for panel in spec["vconcat"]:
    ...     print(panel["title"])
    Released microdata: measured risk vs utility (chosen: k=5)
    DP answers: ε vs expected error
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
    x = alt.X("workload_error:Q", axis=quant_axis(title), scale=scale)
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
            axis=quant_axis(f"linkage advantage, members − non-members ({attacker}, 95 % CI)"),
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
            alt.Tooltip("identified:Q", format=".3f", title="members re-identified"),
        ],
    )
    risk = "risk" if "risk" in points.columns else "advantage_hi"
    front = (
        alt.Chart(
            alt.Data(values=points.filter(pl.col("pareto")).sort("workload_error").to_dicts())
        )
        .mark_line(strokeDash=[4, 3], color="#555")
        .encode(x="workload_error:Q", y=f"{risk}:Q")
    )
    layers = [front, bars, dots]
    named = points.filter(pl.col("identified").fill_null(0.0) > pl.col("advantage_hi"))
    if named.height:  # the front's risk there is the re-identified share: show it
        layers.append(
            alt.Chart(alt.Data(values=named.to_dicts()))
            .mark_point(shape="cross", filled=True, size=110, color="#b2182b")
            .encode(
                x="workload_error:Q",
                y="identified:Q",
                tooltip=[
                    "label:N",
                    alt.Tooltip("identified:Q", format=".3f", title="members re-identified"),
                ],
            )
        )
    top = points[risk].max()
    spans = (_max_error(tradeoff), float(top) if top else 1.0)
    names = point_labels(points.to_dicts(), "workload_error", "advantage", "label", spans=spans)
    if names:
        layers.append(
            alt.Chart(alt.Data(values=names))
            .mark_text(align="left", dx=8, dy=-8, fontSize=11)
            .encode(x="workload_error:Q", y="advantage:Q", text="text:N")
        )
    chosen = points.filter(pl.col("label") == highlight).to_dicts() if highlight else []
    if chosen:
        layers.append(_ring(alt, chosen, "workload_error", "advantage"))
    heading = "Released microdata: measured risk vs utility"
    frontier = alt.layer(*layers).properties(
        title=f"{heading} (chosen: {highlight})" if chosen else heading,
        width=_PANEL_WIDTH,
        height=300,
    )
    dp_rows = tradeoff.dp.to_dicts()
    dp_line = (
        alt.Chart(alt.Data(values=dp_rows))
        .mark_line(point=True, color="#d62728")
        .encode(
            x=alt.X("expected_error:Q", axis=quant_axis(title), scale=scale),
            y=alt.Y(
                "epsilon:Q", axis=quant_axis("ε (worst-case bound)"), scale=alt.Scale(type="log")
            ),
            tooltip=[
                alt.Tooltip("epsilon:Q", format=".2f", title="ε"),
                alt.Tooltip("expected_error:Q", format=".3f", title="expected workload error"),
            ],
        )
    )
    dp_layers = [dp_line]
    picked = [r for r in dp_rows if epsilon is not None and r["epsilon"] == epsilon]
    if picked:
        dp_layers.append(_ring(alt, picked, "expected_error", "epsilon"))
    dp = alt.layer(*dp_layers).properties(
        title="DP answers: ε vs expected error" + (f" (chosen ε = {epsilon:g})" if picked else ""),
        width=_PANEL_WIDTH,
        height=160,
    )
    return alt.vconcat(frontier, dp).resolve_scale(x="shared")


def _max_error(tradeoff: Any) -> float:
    values = tradeoff.points["workload_error"].to_list() + tradeoff.dp["expected_error"].to_list()
    values = [v for v in values if v is not None]
    return float(max(values)) * 1.1 if values else 1.0


def k_loss_chart(tradeoff: Any, *, highlight: int | None = None) -> Any:
    """ARX information loss and workload error against k (anonymized releases).

    Reads ``tradeoff.points``: its ``technique``, ``param`` (k), ``loss`` and
    ``workload_error`` columns. *highlight*: the chosen k, ringed on both lines.

    Examples
    --------
    >>> import types, polars as pl
    >>> points = pl.DataFrame({"technique": ["original", "k-anonymity", "k-anonymity"],
    ...                        "param": [None, "2", "5"], "loss": [None, 0.2, 0.4],
    ...                        "workload_error": [0.0, 0.05, 0.1]})
    >>> spec = k_loss_chart(types.SimpleNamespace(points=points), highlight=5).to_dict()
    >>> len(spec["layer"][0]["data"]["values"]), spec["layer"][1]["data"]["values"][0]["k"]
    (4, 5)
    """
    import altair as alt

    rows = (
        tradeoff.points.filter(pl.col("technique") == "k-anonymity")
        .with_columns(pl.col("param").cast(pl.Int64).alias("k"))
        .select("k", "loss", "workload_error")
        .unpivot(index="k", variable_name="measure", value_name="value")
        .to_dicts()
    )
    ks = sorted({r["k"] for r in rows})
    lines = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "k:Q",
                scale=alt.Scale(type="log"),
                axis=quant_axis("k", values=ks if len(ks) <= MAX_AXIS_LABELS else None),
            ),
            y=alt.Y("value:Q", axis=quant_axis("loss / error")),
            color=alt.Color("measure:N", title=None),
            tooltip=["k:Q", "measure:N", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    chosen = [r for r in rows if highlight is not None and r["k"] == highlight]
    chart = lines + _ring(alt, chosen, "k", "value") if chosen else lines
    return chart.properties(
        title="k-anonymity: information loss and workload error", width=WIDTH, height=220
    )


def epsilon_error_chart(tradeoff: Any, *, highlight: float | None = None) -> Any:
    """ε against the DP answers' expected workload error; *highlight*: the chosen ε, ringed.

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

    rows = tradeoff.dp.to_dicts()
    line = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(point=True, color="#d62728")
        .encode(
            x=alt.X("epsilon:Q", scale=alt.Scale(type="log"), axis=quant_axis("ε")),
            y=alt.Y("expected_error:Q", axis=quant_axis("expected workload error")),
            tooltip=[
                alt.Tooltip("epsilon:Q", format=".3g", title="ε"),
                alt.Tooltip("expected_error:Q", format=".3f"),
            ],
        )
    )
    chosen = [r for r in rows if highlight is not None and r["epsilon"] == highlight]
    chart = line + _ring(alt, chosen, "epsilon", "expected_error") if chosen else line
    return chart.properties(
        title="Differential privacy: ε vs expected error", width=WIDTH, height=220
    )


def _bin_labels(spec: Any, bins: list[str]) -> dict[str, tuple[Any, str]]:
    """Each workload bin's (sort key, label for people); years grouped into ≤ 15 spans."""
    kind = getattr(spec, "kind", "category")
    if kind == "numeric":
        edges = list(getattr(spec, "edges", ()))
        out = {}
        for b in bins:
            i = int(b)
            lo, hi = (edges[i], edges[i + 1]) if i + 1 < len(edges) else (None, None)
            text = f"{format_number(lo, digits=2)}–{format_number(hi, digits=2)}"
            out[b] = (i, text if lo is not None else b)
        return out
    if kind == "date":
        years = sorted(int(b) for b in bins if b.isdigit())
        span = (years[-1] - years[0] + 1) if years else 1
        width = next(w for w in (1, 2, 5, 10, 20, 50, 100, 1000) if span / w <= MAX_AXIS_LABELS)
        out = {}
        for b in bins:
            if not b.isdigit():
                out[b] = (10**9, b)
                continue
            start = int(b) // width * width
            out[b] = (start, str(start) if width == 1 else f"{start}–{start + width - 1}")
        return out
    return {b: (b, "other" if b == "(other)" else b) for b in bins}


def column_chart(
    tradeoff: Any, label: str, column: str, *, top: int = 15, min_count: int = 5
) -> Any:
    """A release's distribution of one workload column beside the original's.

    Only the workload's bins (generalized values: number ranges, years grouped
    into at most 15 spans, categories) are charted, and of those only the *top*
    that at least *min_count* original records fall in; the rest are summed as
    ``"other"``, so a value held by a handful of people is never named.

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
    frames = {
        "original": work.weights(ReleaseView(work.original), column),
        label: work.weights(tradeoff.releases[label], column),
    }
    every = sorted({str(b) for f in frames.values() for b in f["bin"].to_list()})
    names = _bin_labels(work.bins.get(column), every)
    relabel = {b: text for b, (_key, text) in names.items()}
    order_key = {text: key for _b, (key, text) in names.items()}
    for name, weights in frames.items():
        frames[name] = weights.with_columns(
            pl.col("bin").cast(pl.String).replace_strict(relabel, default="other").alias("bin")
        )
    counts = frames["original"].group_by("bin").agg(pl.col("weight").sum())
    frequent = counts.filter((pl.col("weight") >= min_count) & (pl.col("bin") != "other"))
    named = frequent.sort("weight", descending=True).head(top)["bin"].to_list()
    named.sort(key=lambda text: (str(type(order_key[text])), order_key[text]))
    rows = []
    for name, weights in frames.items():
        shown = weights.with_columns(
            pl.when(pl.col("bin").is_in(named)).then(pl.col("bin")).otherwise(pl.lit("other"))
        )
        dist = shown.group_by("bin").agg(pl.col("weight").sum())
        total = dist["weight"].sum()
        rows += [
            {"release": name, "bin": b, "share": w / total if total else 0.0}
            for b, w in dist.iter_rows()
        ]
    order = [*named, "other"]
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("bin:N", sort=order, axis=band_axis(column, order, labelAngle=-30)),
            xOffset=alt.XOffset("release:N", sort=["original", label]),
            y=alt.Y("share:Q", axis=quant_axis("share of records", fmt="%")),
            color=alt.Color(
                "release:N",
                scale=alt.Scale(domain=["original", label], range=["#9e9e9e", "#1f77b4"]),
                title=None,
            ),
            tooltip=["release:N", "bin:N", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(title=f"{column}: {label} (chosen) vs original", width=WIDTH, height=220)
    )
