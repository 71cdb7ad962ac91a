"""The legibility rules every privlab chart follows (private helpers of ``privlab.viz``).

- at most :data:`MAX_AXIS_LABELS` labels on an axis that encodes values
  (numbers, dates, sizes, bins): quantitative axes ask Vega for at most
  :data:`TICK_COUNT` ticks, ordered axes label every n-th value. Axes that name
  one item per row (columns of a table, attacks) give each row its own band of
  :data:`ROW_STEP` pixels instead, so their labels never overlap;
- count axes have integer ticks;
- text labels beside points only for at most :data:`MAX_POINT_LABELS` points
  (else the legend, tooltip and a table carry the names), and points too close
  to label separately share one label;
- single and layered charts take the width of their container.

Examples
--------
>>> thin(list(range(100)))[:4], len(thin(list(range(100))))
([0, 7, 14, 21], 15)
>>> [r["text"] for r in point_labels(
...     [{"x": 0.0, "y": 0.0, "l": "a"}, {"x": 0.001, "y": 0.0, "l": "b"},
...      {"x": 1.0, "y": 1.0, "l": "c"}], "x", "y", "l")]
['a / b', 'c']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

__all__ = [
    "MAX_AXIS_LABELS",
    "MAX_POINT_LABELS",
    "ROW_STEP",
    "TICK_COUNT",
    "WIDTH",
    "band_axis",
    "count_axis",
    "point_labels",
    "quant_axis",
    "thin",
]

MAX_AXIS_LABELS = 15
MAX_POINT_LABELS = 10
#: Tick hint for quantitative axes: d3's nice ticks stay well under 15 labels.
TICK_COUNT = 8
#: Pixels per row of an axis that names one item per row.
ROW_STEP = 20
WIDTH: Literal["container"] = "container"


def thin(values: Sequence[Any], limit: int = MAX_AXIS_LABELS) -> list[Any]:
    """Every n-th of *values* so that at most *limit* remain (the first is kept)."""
    values = list(values)
    if len(values) <= limit:
        return values
    step = -(-len(values) // limit)
    return values[::step]


def quant_axis(title: str | None, *, fmt: str | None = None, **kwargs: Any) -> Any:
    """A quantitative axis with at most :data:`TICK_COUNT` ticks and no overlapping labels."""
    import altair as alt

    options: dict[str, Any] = {"title": title, "tickCount": TICK_COUNT, "labelOverlap": True}
    if fmt is not None:
        options["format"] = fmt
    return alt.Axis(**options, **kwargs)


def count_axis(title: str | None, **kwargs: Any) -> Any:
    """A quantitative axis of counts: integer ticks only, thousands separated."""
    return quant_axis(title, fmt=",d", tickMinStep=1, **kwargs)


def band_axis(title: str | None, values: Sequence[Any], **kwargs: Any) -> Any:
    """An ordinal/nominal axis labelling at most :data:`MAX_AXIS_LABELS` of *values*."""
    import altair as alt

    options: dict[str, Any] = {"title": title, "labelOverlap": True}
    if len(values) > MAX_AXIS_LABELS:
        options["values"] = thin(values)
    return alt.Axis(**options, **kwargs)


def point_labels(
    rows: Sequence[Mapping[str, Any]],
    x: str,
    y: str,
    label: str,
    *,
    limit: int = MAX_POINT_LABELS,
    spans: tuple[float | None, float | None] = (None, None),
    cells: tuple[int, int] = (6, 12),
) -> list[dict[str, Any]]:
    """One text label per group of nearby points, or ``[]`` when there are too many points.

    A point closer to a group's first point than ``span / cells`` in both
    directions (the axes' spans, default the points' own range; wide in x, where
    a label is long, narrow in y, one text line) joins that group; each group gets
    one label, its names joined by " / ", so no label hides another's point.
    Rows with a missing coordinate are left out.
    """
    points = [r for r in rows if r.get(x) is not None and r.get(y) is not None]
    if not points or len(points) > limit:
        return []
    xs = [float(r[x]) for r in points]
    ys = [float(r[y]) for r in points]
    near_x = (spans[0] or (max(xs) - min(xs)) or 1.0) / cells[0]
    near_y = (spans[1] or (max(ys) - min(ys)) or 1.0) / cells[1]
    groups: list[list[tuple[float, float, Mapping[str, Any]]]] = []
    for r, px, py in sorted(zip(points, xs, ys, strict=True), key=lambda t: (t[1], t[2])):
        for group in groups:  # join the first group whose anchor is near
            gx, gy, _first = group[0]
            if abs(px - gx) <= near_x and abs(py - gy) <= near_y:
                group.append((px, py, r))
                break
        else:
            groups.append([(px, py, r)])
    return [
        {
            x: group[0][2][x],
            y: group[0][2][y],
            "text": " / ".join(str(m[label]) for _a, _b, m in group),
        }
        for group in groups
    ]
