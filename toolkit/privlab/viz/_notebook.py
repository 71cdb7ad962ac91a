"""Charts in Jupyter without a network: one offline Vega runtime per kernel, small chart widgets.

Altair's default HTML renderer loads Vega from a CDN, and JupyterLab's built-in
Vega-Lite renderer handles Vega-Lite v3–v5 while Altair 6 emits v6: offline,
both fail. ``alt.JupyterChart.enable_offline()`` fixes that by putting the whole
Vega bundle (~0.9 MB, from ``vl-convert``) into *every* chart widget; anywidget
gives each widget 2 s to load its module, which a loaded machine misses (the
chart then never appears — seen in the browser test). So privlab's chart widget
is an anywidget of its own: a few-kilobyte module that, the first time a page
needs it, imports the ``vl-convert`` bundle held once by a shared runtime widget,
then draws each chart's Vega-Lite spec with ``vega-embed``. Everything travels
over the kernel's own connection: no CDN, no other host.

Nothing here runs at import: :func:`enable_notebook` is called explicitly — by a
notebook's first cell — and :func:`chart_widget` by each privlab widget that
shows a chart.

Examples
--------
>>> import altair as alt
>>> from privlab.viz import chart_widget
>>> w = chart_widget(alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q"))
>>> w.spec["mark"]["type"], "http" in w._esm, len(w.runtime.bundle) > 100_000  # Vega inside
('point', False, True)
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["chart_widget", "enable_notebook"]

#: The chart widget's module: fetch the shared bundle once per page, then draw.
_CHART_ESM = r"""
const KEY = Symbol.for("privlab.vegaEmbed");

function vegaEmbed(model) {
  if (!globalThis[KEY]) {
    globalThis[KEY] = (async () => {
      const ref = model.get("runtime");
      const id = ref.startsWith("IPY_MODEL_") ? ref.slice("IPY_MODEL_".length) : ref;
      const runtime = await model.widget_manager.get_model(id);
      const blob = new Blob([runtime.get("bundle")], { type: "text/javascript" });
      const url = URL.createObjectURL(blob);
      try {
        await import(url);
      } finally {
        URL.revokeObjectURL(url);
      }
      return globalThis.__privlabVegaEmbed;
    })();
    globalThis[KEY].catch(() => { delete globalThis[KEY]; });
  }
  return globalThis[KEY];
}

function render({ model, el }) {
  el.classList.add("privlab-chart");
  let result = null;
  let drawn = 0;
  const draw = async () => {
    const mine = ++drawn;
    const spec = model.get("spec");
    el.dataset.state = "loading";  // loading | drawn | empty | error (tests read it)
    try {
      const embed = spec ? await vegaEmbed(model) : null;
      if (mine !== drawn) return;
      if (result) { result.finalize(); result = null; }
      const target = document.createElement("div");
      el.replaceChildren(target);
      if (embed) result = await embed(target, structuredClone(spec), { actions: false });
      if (mine === drawn) el.dataset.state = embed ? "drawn" : "empty";
    } catch (error) {
      const message = document.createElement("pre");
      message.textContent = "Chart error: " + (error && error.message ? error.message : error);
      el.replaceChildren(message);
      el.dataset.state = "error";
    }
  };
  model.on("change:spec", draw);
  draw();
  return () => {
    model.off("change:spec", draw);
    if (result) result.finalize();
  };
}

export default { render };
"""

_CHART_CSS = """
.privlab-chart { width: 100%; }
.privlab-chart > div, .privlab-chart .vega-embed { width: 100%; display: block; }
"""


@functools.cache
def _bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one module that publishes ``vegaEmbed``."""
    import vl_convert as vlc

    return str(vlc.javascript_bundle("globalThis.__privlabVegaEmbed = vegaEmbed;"))


@functools.cache
def _classes() -> tuple[type, type]:
    import anywidget
    import ipywidgets
    import traitlets

    class VegaRuntime(anywidget.AnyWidget):
        """Holds the Vega JavaScript once per kernel for every chart widget."""

        _esm = "export default {};"
        bundle = traitlets.Unicode("").tag(sync=True)

    class ChartWidget(anywidget.AnyWidget):
        """One Altair chart, drawn offline; set ``chart`` (or ``spec``) to redraw."""

        _esm = _CHART_ESM
        _css = _CHART_CSS
        spec = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
        runtime = traitlets.Instance(VegaRuntime).tag(sync=True, **ipywidgets.widget_serialization)

        def __init__(self, chart: Any = None, **kwargs: Any) -> None:
            super().__init__(runtime=_runtime(), **kwargs)
            self.chart = chart

        def _get_chart(self) -> Any:
            return self._chart

        def _set_chart(self, chart: Any) -> None:
            self._chart = chart
            spec = None
            if chart is not None:
                spec = chart.to_dict() if hasattr(chart, "to_dict") else dict(chart)
            self.set_trait("spec", spec)

        #: The chart shown (an Altair chart, a Vega-Lite dict or ``None``).
        chart = property(_get_chart, _set_chart)

    return VegaRuntime, ChartWidget


@functools.cache
def _runtime() -> Any:
    """The kernel's one Vega runtime widget (built on first use, then shared)."""
    runtime_class, _chart_class = _classes()
    return runtime_class(bundle=_bundle())


def _render(spec: dict[str, Any], **_metadata: Any) -> Any:
    """Altair renderer: show *spec* as an offline chart widget."""
    _runtime_class, chart_class = _classes()
    return chart_class(spec)._repr_mimebundle_()


def enable_notebook() -> None:
    """Render every Altair chart of this kernel offline, as a privlab chart widget.

    Registers and selects Altair's ``"privlab"`` renderer: a chart left as a
    cell's value is drawn by a small widget with the Vega JavaScript the kernel
    sends once — no CDN, no network. Call it once, in a notebook's first cell;
    importing privlab never calls it. The first call takes a few seconds
    (``vl-convert`` bundles the JavaScript); later calls return at once.

    Returns
    -------
    None

    Examples
    --------
    >>> import altair as alt
    >>> from privlab.viz import enable_notebook
    >>> enable_notebook()
    >>> alt.renderers.active
    'privlab'
    >>> _ = alt.renderers.enable("default")  # (this doctest restores Altair's default)
    """
    import altair as alt

    _bundle()
    alt.renderers.register("privlab", _render)
    alt.renderers.enable("privlab")


def chart_widget(chart: Any = None) -> Any:
    """A widget showing *chart* offline; set its ``.chart`` later to redraw in place.

    Widgets hold charts this way (a child widget, updated in place) instead of
    printing them into an ``Output`` area, so a chart's data is inspectable as
    the widget's ``spec`` and the chart renders without network access.

    Parameters
    ----------
    chart:
        An Altair chart, a Vega-Lite dict, or ``None`` for an empty placeholder.

    Returns
    -------
    anywidget.AnyWidget
        An ipywidget whose ``spec`` is the chart's Vega-Lite dict and whose
        ``chart`` is the chart.

    Examples
    --------
    >>> import altair as alt
    >>> w = chart_widget()
    >>> w.spec is None
    True
    >>> w.chart = alt.Chart(alt.Data(values=[{"x": 1}])).mark_bar().encode(x="x:Q")
    >>> w.spec["mark"]["type"]
    'bar'
    """
    _runtime_class, chart_class = _classes()
    widget = chart_class(chart)
    widget.layout.width = "100%"
    return widget
