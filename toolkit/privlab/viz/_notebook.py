"""Charts in Jupyter without a network: Altair's ``JupyterChart`` in offline mode.

Altair's default HTML renderer loads Vega from a CDN, and JupyterLab's built-in
Vega-Lite renderer handles Vega-Lite v3–v5 while Altair 6 emits v6: offline,
both fail. ``alt.JupyterChart`` is an anywidget whose JavaScript (Vega,
Vega-Lite, Vega-Embed) ``vl-convert`` bundles locally once ``enable_offline()``
is called, so the chart travels to the browser inside the widget's own state.

Nothing here runs at import: :func:`enable_notebook` is called explicitly — by a
notebook's first cell — and :func:`chart_widget` by each privlab widget that
shows a chart.

Examples
--------
>>> import altair as alt
>>> from privlab.viz import chart_widget
>>> w = chart_widget(alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q"))
>>> w.spec["mark"]["type"], "esm.sh" in w._esm, len(w._esm) > 100_000  # Vega inside
('point', False, True)
"""

from __future__ import annotations

from typing import Any

__all__ = ["chart_widget", "enable_notebook"]


def _offline() -> Any:
    import altair as alt

    alt.JupyterChart.enable_offline()  # idempotent; bundles the JavaScript on first call
    return alt


def enable_notebook() -> None:
    """Render every Altair chart of this kernel offline, as a ``JupyterChart`` widget.

    Selects Altair's ``"jupyter"`` renderer in offline mode: a chart left as a
    cell's value is shown by an anywidget that carries Vega with it — no CDN,
    no network. Call it once, in a notebook's first cell; importing privlab
    never calls it. The first call takes a few seconds (``vl-convert`` bundles
    the JavaScript); later calls return at once.

    Returns
    -------
    None

    Examples
    --------
    >>> import altair as alt
    >>> from privlab.viz import enable_notebook
    >>> enable_notebook()
    >>> alt.renderers.active
    'jupyter'
    >>> _ = alt.renderers.enable("default")  # (this doctest restores Altair's default)
    """
    alt = _offline()
    alt.renderers.enable("jupyter", offline=True)


def chart_widget(chart: Any = None) -> Any:
    """An offline ``alt.JupyterChart`` showing *chart*; set ``.chart`` later to redraw.

    Widgets hold charts this way (a child widget, updated in place) instead of
    printing them into an ``Output`` area, so a chart's data is inspectable as
    the widget's ``spec`` and the chart renders without network access.

    Parameters
    ----------
    chart:
        An Altair chart, or ``None`` for an empty placeholder.

    Returns
    -------
    altair.JupyterChart
        An ipywidget (anywidget) whose ``spec`` is the chart's Vega-Lite dict.
    """
    alt = _offline()
    widget = alt.JupyterChart(chart, embed_options={"actions": False})
    widget.layout.width = "100%"
    return widget
