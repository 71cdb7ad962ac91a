"""Chart of a profile: each column's role and confidence (pure function, no data values)."""

from __future__ import annotations

from typing import Any

from privlab.viz._legible import ROW_STEP, WIDTH, quant_axis

__all__ = ["sensitivity_chart"]

_ROLE_ORDER = ["direct_identifier", "quasi_identifier", "sensitive", "other"]
_COLORS = ["#d62728", "#ff7f0e", "#9467bd", "#7f7f7f"]


def sensitivity_chart(profile: Any) -> Any:
    """Columns as bars: length = confidence, colour = role, tooltip = semantic type.

    Examples
    --------
    >>> import polars as pl, privlab as pv
    >>> profile = pv.profile(pl.DataFrame({"email": [f"u{i}@corp.example" for i in range(30)],
    ...                                    "plan": ["basic", "pro", "plus"] * 10}))
    >>> rows = sensitivity_chart(profile).to_dict()["data"]["values"]
    >>> {row["column"]: row["role"] for row in rows}["email"]
    'direct_identifier'
    """
    import altair as alt

    rows = [
        {
            "column": c.name,
            "role": c.role,
            "semantic_type": c.semantic_type,
            "confidence": c.confidence,
            "uniqueness": c.uniqueness,
        }
        for c in profile.columns
    ]
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("column:N", sort=None, title=None),
            x=alt.X("confidence:Q", scale=alt.Scale(domain=[0, 1]), axis=quant_axis("confidence")),
            color=alt.Color(
                "role:N", scale=alt.Scale(domain=_ROLE_ORDER, range=_COLORS), title="role"
            ),
            tooltip=[
                "column:N",
                "semantic_type:N",
                "role:N",
                alt.Tooltip("confidence:Q", format=".2f"),
                alt.Tooltip("uniqueness:Q", format=".2%"),
            ],
        )
        .properties(title="Sensitivity profile", width=WIDTH, height=alt.Step(ROW_STEP))
    )
