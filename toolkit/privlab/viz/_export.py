"""Export one chart as PNG or SVG, offline (``vl-convert`` renders it in-process).

Examples
--------
>>> import tempfile, pathlib, altair as alt
>>> from privlab.viz import save_chart
>>> chart = alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q")
>>> path = save_chart(chart, pathlib.Path(tempfile.mkdtemp()) / "c.svg")
>>> path.read_text().lstrip().startswith("<svg")
True
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from privlab.exceptions import PolicyViolationError
from privlab.guard import GuardReport, inspect_published
from privlab.io import atomic_path, check_outputs

__all__ = ["EXPORT_WIDTH", "chart_rows", "check_published", "save_chart"]

#: Width in pixels given to ``width="container"`` charts in an exported file
#: (a file has no container to take the width from).
EXPORT_WIDTH = 640


def _spec(chart: Any) -> dict[str, Any]:
    spec: dict[str, Any] = chart.to_dict() if hasattr(chart, "to_dict") else copy.deepcopy(chart)
    return spec


def _fixed_width(node: Any, width: int) -> Any:
    """*node* with every ``"width": "container"`` replaced by *width* (a copy)."""
    if isinstance(node, dict):
        return {
            k: (width if k == "width" and v == "container" else _fixed_width(v, width))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_fixed_width(v, width) for v in node]
    return node


def save_chart(
    chart: Any, path: str | Path, *, scale: float = 2.0, keep: Mapping[str, str] | None = None
) -> Path:
    """Write *chart* as a PNG or SVG file (chosen by the extension), atomically.

    The chart's data passes the release guard first (:func:`check_published`):
    an e-mail, phone, national ID, IBAN, card number or IP address in it raises
    :class:`~privlab.exceptions.PolicyViolationError` and nothing is written.

    Parameters
    ----------
    chart:
        An Altair chart or a Vega-Lite dict.
    path:
        Target file ending in ``.png`` or ``.svg``, checked by the output guard
        (:func:`privlab.io.check_outputs`: its folder must exist); written through
        a temporary file and renamed, so a failed export leaves no partial file.
    scale:
        Pixel density of a PNG (2 = sharp on high-DPI screens).
    keep:
        ``{column: reason}``: data columns published on purpose (see
        :func:`check_published`).

    Returns
    -------
    pathlib.Path
        *path*.

    Raises
    ------
    ValueError
        The extension is neither ``.png`` nor ``.svg``.
    PolicyViolationError
        The release guard found identifying values in the chart's data.

    Examples
    --------
    >>> import tempfile, pathlib, altair as alt
    >>> chart = alt.Chart(alt.Data(values=[{"x": 1}, {"x": 2}])).mark_point().encode(x="x:Q")
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> save_chart(chart.properties(width="container"), folder / "points.png").stat().st_size > 0
    True
    >>> save_chart(chart, folder / "points.gif")
    Traceback (most recent call last):
    ...
    ValueError: export charts as .png or .svg, got '.gif' (...points.gif')
    """
    import vl_convert as vlc

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ValueError(f"export charts as .png or .svg, got {target.suffix!r} ({str(target)!r})")
    check_outputs([("path", target)])
    spec = _fixed_width(_spec(chart), EXPORT_WIDTH)
    check_published({"chart": chart_rows(spec)}, keep=keep)
    with atomic_path(target) as tmp:
        if suffix == ".svg":
            tmp.write_text(vlc.vegalite_to_svg(spec), encoding="utf-8")
        else:
            tmp.write_bytes(vlc.vegalite_to_png(spec, scale=scale))
    return target


def chart_rows(spec: Any) -> list[Mapping[str, Any]]:
    """The inline data rows of a Vega-Lite spec (``datasets``, ``data.values``, nested).

    What a chart publishes: the release guard reads these rows before a chart is
    exported or put into a report.

    Examples
    --------
    >>> chart_rows({"datasets": {"d1": [{"x": 1}]}, "layer": [{"data": {"values": [{"y": 2}]}}]})
    [{'x': 1}, {'y': 2}]
    """
    rows: list[Mapping[str, Any]] = []
    if isinstance(spec, Mapping):
        for key, value in spec.items():
            if key == "datasets" and isinstance(value, Mapping):
                for values in value.values():
                    rows.extend(v for v in values if isinstance(v, Mapping))
            elif key == "values" and isinstance(value, list):
                rows.extend(v for v in value if isinstance(v, Mapping))
            else:
                rows.extend(chart_rows(value))
    elif isinstance(spec, list):
        for item in spec:
            rows.extend(chart_rows(item))
    return rows


def check_published(
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    sources: Sequence[pl.DataFrame] = (),
    keep: Mapping[str, str] | None = None,
) -> GuardReport:
    """Run the release guard on what a report or chart publishes; raise when it refuses.

    Examples
    --------
    >>> check_published({"summary": [{"k": 5, "records": 100}]}).ok
    True
    >>> check_published({"contacts": [{"who": "ann.lee@example.com"}]})
    Traceback (most recent call last):
    ...
    privlab.exceptions.PolicyViolationError: the release guard refused the report: ...
    """
    found: Sequence[pl.DataFrame | None] = list(sources) or [None]
    reports = [inspect_published(tables, source=source, keep=keep) for source in found]
    blocking = [f for r in reports for f in r.blocking]
    if blocking:
        raise PolicyViolationError(
            "the release guard refused the report: "
            + "; ".join(dict.fromkeys(f.message for f in blocking))
            + ". Nothing was written; leave those columns out of the report, or keep one on "
            "purpose with keep={column: reason}",
            blocking,
        )
    return reports[0]
