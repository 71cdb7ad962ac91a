"""Charts for differential privacy: the error-vs-ε curve and budget spending.

Both are pure functions of frames privlab.dp already returns; neither
spends budget nor touches data.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from privlab.viz._legible import WIDTH, quant_axis

__all__ = ["budget_chart", "epsilon_curve_chart"]

_CURVE_COLUMNS = {"statistic", "epsilon", "half_width", "confidence"}


def epsilon_curve_chart(
    curve: pl.DataFrame,
    *,
    target: float | None = None,
    epsilon: float | None = None,
    remaining: float | None = None,
    title: str | None = None,
) -> Any:
    """Half-width of the confidence interval against ε (log–log), one line per statistic.

    Parameters
    ----------
    curve:
        Output of :meth:`privlab.dp.DPSession.error_curve` (columns
        ``statistic``, ``epsilon``, ``half_width``, ``confidence``); several
        curves may be concatenated.
    target:
        Draw a horizontal rule at this accuracy (e.g. from ``epsilon_for``).
    epsilon:
        Draw a vertical rule at this ε (e.g. the ε explorer's slider).
    remaining:
        The ε still left in the dataset's budget: larger ε values are shaded as
        "beyond the remaining budget".
    title:
        Chart title; default names the confidence level.

    Returns
    -------
    altair.LayerChart
        Not displayed; render it in a notebook or save it.

    Examples
    --------
    >>> import polars as pl
    >>> from privlab.viz import epsilon_curve_chart
    >>> curve = pl.DataFrame({"statistic": ["count()"] * 3, "epsilon": [0.1, 1.0, 10.0],
    ...                       "half_width": [30.0, 3.0, 0.3], "confidence": [0.95] * 3})
    >>> spec = epsilon_curve_chart(curve, target=3.0).to_dict()
    >>> spec["layer"][0]["mark"]["type"], spec["layer"][0]["encoding"]["x"]["scale"]["type"]
    ('line', 'log')
    """
    import altair as alt

    missing = _CURVE_COLUMNS - set(curve.columns)
    if missing:
        raise ValueError(
            f"curve frame lacks columns {sorted(missing)}; pass DPSession.error_curve(...)"
        )
    data = _merge_coinciding(
        curve.select(sorted(_CURVE_COLUMNS)).filter(pl.col("half_width").is_finite())
    )
    conf = curve["confidence"][0] if curve.height else 0.95
    line = (
        alt.Chart(alt.Data(values=data.to_dicts()))
        .mark_line(point=True, opacity=0.85)
        .encode(
            x=alt.X("epsilon:Q", scale=alt.Scale(type="log"), axis=quant_axis("ε (privacy loss)")),
            y=alt.Y("half_width:Q", scale=alt.Scale(type="log"), axis=quant_axis("± half-width")),
            color=alt.Color("statistic:N", title="statistic"),
            strokeDash=alt.StrokeDash("statistic:N", title="statistic"),
            tooltip=[
                "statistic:N",
                alt.Tooltip("epsilon:Q", format=".3g", title="ε"),
                alt.Tooltip("half_width:Q", format=".3g", title="± half-width"),
            ],
        )
    )
    layers: list[Any] = []
    top = float(data["epsilon"].max()) if data.height else 0.0  # type: ignore[arg-type]
    if remaining is not None and float(remaining) < top:
        beyond = {"from": max(float(remaining), 1e-9), "to": top, "label": "beyond the budget left"}
        layers.append(
            alt.Chart(alt.Data(values=[beyond]))
            .mark_rect(color="#e45756", opacity=0.12)
            .encode(x="from:Q", x2="to:Q", tooltip=[alt.Tooltip("label:N", title="ε")])
        )
    layers.append(line)
    if target is not None:
        layers.append(
            alt.Chart(alt.Data(values=[{"target": float(target)}]))
            .mark_rule(strokeDash=[4, 4], color="gray")
            .encode(y="target:Q")
        )
    if epsilon is not None:
        layers.append(
            alt.Chart(alt.Data(values=[{"epsilon": float(epsilon)}]))
            .mark_rule(color="firebrick")
            .encode(x="epsilon:Q")
        )
    return alt.layer(*layers).properties(
        title=title or f"Error vs ε ({conf:.0%} interval half-width; nothing spent)",
        width=WIDTH,
        height=260,
    )


def _merge_coinciding(data: pl.DataFrame) -> pl.DataFrame:
    """One line per distinct curve: statistics with the same curve share a label.

    A count and a grouped count have the same noise scale, so their curves lie on
    top of each other; drawn apart, the legend would list a line nobody can see.
    """
    groups: dict[tuple[tuple[float, float], ...], list[str]] = {}
    for (statistic,), part in data.sort("epsilon").group_by("statistic", maintain_order=True):
        shape = tuple(
            (float(e), float(f"{h:.9g}"))
            for e, h in zip(part["epsilon"], part["half_width"], strict=True)
        )
        groups.setdefault(shape, []).append(str(statistic))
    if all(len(names) == 1 for names in groups.values()):
        return data
    label = {name: " = ".join(names) for names in groups.values() for name in names}
    first = [names[0] for names in groups.values()]
    return data.filter(pl.col("statistic").is_in(first)).with_columns(
        pl.col("statistic").replace_strict(label)
    )


def budget_chart(entries: pl.DataFrame, *, total: float | None = None) -> Any:
    """Cumulative ε spent over time, with the budget as a rule.

    Parameters
    ----------
    entries:
        :func:`privlab.dp.ledger` output (``created_at``, ``epsilon``,
        ``status``, ``statistic``); cancelled rows are ignored.
    total:
        The dataset's total ε budget.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, UTC
    >>> entries = pl.DataFrame({"created_at": [datetime(2024, 1, 1, tzinfo=UTC)],
    ...                         "epsilon": [0.5], "status": ["spent"], "statistic": ["count()"]})
    >>> budget_chart(entries, total=1.0).to_dict()["layer"][0]["mark"]["type"]
    'line'
    """
    import altair as alt

    data = (
        entries.filter(pl.col("status") != "cancelled")
        .sort("created_at")
        .select(
            pl.col("created_at").dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ").alias("time"),
            pl.col("statistic"),
            pl.col("epsilon"),
            pl.col("epsilon").cum_sum().alias("cumulative"),
        )
    )
    line = (
        alt.Chart(alt.Data(values=data.to_dicts()))
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X("time:T", axis=quant_axis("time")),
            y=alt.Y("cumulative:Q", axis=quant_axis("ε spent (cumulative)")),
            tooltip=[
                "time:T",
                "statistic:N",
                alt.Tooltip("epsilon:Q", format=".3g", title="ε"),
                alt.Tooltip("cumulative:Q", format=".3g", title="ε spent so far"),
            ],
        )
    )
    layers: list[Any] = [line]
    if total is not None:
        layers.append(
            alt.Chart(alt.Data(values=[{"total": float(total)}]))
            .mark_rule(color="firebrick", strokeDash=[4, 4])
            .encode(y="total:Q")
        )
    return alt.layer(*layers).properties(title="Privacy budget spent", width=WIDTH, height=200)
