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
from pathlib import Path
from typing import Any

from privlab.io import atomic_path

__all__ = ["EXPORT_WIDTH", "save_chart"]

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


def save_chart(chart: Any, path: str | Path, *, scale: float = 2.0) -> Path:
    """Write *chart* as a PNG or SVG file (chosen by the extension), atomically.

    Parameters
    ----------
    chart:
        An Altair chart or a Vega-Lite dict.
    path:
        Target file ending in ``.png`` or ``.svg``; written through a temporary
        file and renamed, so a failed export leaves no partial file.
    scale:
        Pixel density of a PNG (2 = sharp on high-DPI screens).

    Returns
    -------
    pathlib.Path
        *path*.

    Raises
    ------
    ValueError
        The extension is neither ``.png`` nor ``.svg``.

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
    spec = _fixed_width(_spec(chart), EXPORT_WIDTH)
    with atomic_path(target) as tmp:
        if suffix == ".svg":
            tmp.write_text(vlc.vegalite_to_svg(spec), encoding="utf-8")
        else:
            tmp.write_bytes(vlc.vegalite_to_png(spec, scale=scale))
    return target
