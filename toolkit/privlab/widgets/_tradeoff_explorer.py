"""The TradeoffExplorer: k and ε sliders and a model picker over an evaluated trade-off.

A view over a :class:`~privlab.tradeoff.Tradeoff`: moving a control selects a
grid point and redraws the charts (frontier with the chosen release ringed, the
chosen release's column against the original). The chosen release is available
as a value — ``explorer.value`` (its label) and ``explorer.release`` (its rows)
— so the notebook continues in code.

ipywidgets and altair are imported when the widget is created, never at import.
"""

from __future__ import annotations

import functools
from typing import Any

import polars as pl

from privlab.viz import column_chart, tradeoff_chart
from privlab.widgets._kernel import in_kernel as _in_kernel

__all__ = ["TradeoffExplorer"]


@functools.cache
def _explorer_class() -> type:
    import ipywidgets as widgets
    import traitlets

    class _TradeoffExplorer(widgets.VBox):
        """k / ε / model controls over a Tradeoff; ``value`` is the chosen release's label."""

        technique = traitlets.Unicode("k-anonymity").tag(sync=True)
        k = traitlets.Int(0).tag(sync=True)
        epsilon = traitlets.Float(0.0).tag(sync=True)
        model = traitlets.Unicode("").tag(sync=True)
        value = traitlets.Unicode("").tag(sync=True)
        summary = traitlets.Unicode("").tag(sync=True)

        def __init__(self, tradeoff: Any, **kwargs: Any) -> None:
            self.tradeoff = tradeoff
            points = tradeoff.points
            ks = sorted(
                int(p) for p in points.filter(pl.col("technique") == "k-anonymity")["param"]
            )
            models = [
                p for p in points.filter(pl.col("technique") == "synthetic")["param"].to_list()
            ]
            epsilons = sorted(tradeoff.dp["epsilon"].to_list())
            techniques = [t for t in ("k-anonymity", "synthetic", "original") if self._has(t)]
            self._technique = widgets.ToggleButtons(options=techniques, description="release")
            self._k = widgets.SelectionSlider(options=ks or [0], description="k")
            self._eps = widgets.SelectionSlider(options=epsilons or [0.0], description="ε")
            self._model = widgets.Dropdown(options=models or [""], description="model")
            self._readout = widgets.HTML()
            self._chart = widgets.Output()
            super().__init__(
                children=[
                    self._technique,
                    widgets.HBox([self._k, self._model]),
                    self._eps,
                    self._readout,
                    self._chart,
                ],
                **kwargs,
            )
            for control, trait in (
                (self._technique, "technique"),
                (self._k, "k"),
                (self._eps, "epsilon"),
                (self._model, "model"),
            ):
                widgets.link((control, "value"), (self, trait))
            self.technique = techniques[0] if techniques else "original"
            self.k = ks[0] if ks else 0
            self.model = models[0] if models else ""
            self.epsilon = epsilons[0] if epsilons else 0.0
            self.observe(self._update, names=["technique", "k", "model", "epsilon"])
            self._update()

        def _has(self, technique: str) -> bool:
            return bool(self.tradeoff.points.filter(pl.col("technique") == technique).height)

        def _label(self) -> str:
            if self.technique == "k-anonymity":
                return f"k={self.k}"
            if self.technique == "synthetic":
                return f"synthetic ({self.model})"
            return "original"

        def _update(self, _change: Any = None) -> None:
            label = self._label()
            row = self.tradeoff.points.filter(pl.col("label") == label)
            if not row.height:
                return
            point = row.row(0, named=True)
            dp = self.tradeoff.dp.filter(pl.col("epsilon") == self.epsilon)
            dp_err = dp["expected_error"][0] if dp.height else None
            self.value = label
            self.summary = (
                f"{label}: attack advantage {point['advantage']:.3f} · workload error "
                f"{point['workload_error']:.3f} · ML accuracy vs original "
                f"{point['ml_relative']:.2f}"
                + (f" | DP at ε={self.epsilon:g}: expected error {dp_err:.3f}" if dp_err else "")
            )
            self._readout.value = f"<b>{self.summary}</b>"
            if _in_kernel():
                self._draw(label)

        def _draw(self, label: str) -> None:
            from IPython.display import display

            self._chart.clear_output(wait=True)
            with self._chart:
                display(tradeoff_chart(self.tradeoff))
                if label != "original" and self.tradeoff.quasi_identifiers:
                    display(column_chart(self.tradeoff, label, self.tradeoff.quasi_identifiers[0]))

        @property
        def release(self) -> pl.DataFrame:
            """The chosen release's rows."""
            return self.tradeoff.release(self.value)

    return _TradeoffExplorer


def TradeoffExplorer(tradeoff: Any, **kwargs: Any) -> Any:
    """Create the explorer widget for *tradeoff* (see the module docstring).

    Examples
    --------
    >>> import polars as pl, privlab as pv
    >>> from privlab.widgets import TradeoffExplorer
    >>> data = pl.DataFrame({"age": list(range(20, 80)) * 4, "dx": ["a", "b", "c"] * 80})
    >>> t = pv.tradeoff(data, profile={"age": "quasi_identifier", "dx": "sensitive"},
    ...                 candidates={"k": [2, 5], "l": [], "epsilon": [0.5, 1.0], "synthetic": []},
    ...                 targets=40, progress=False)
    >>> ex = TradeoffExplorer(t)
    >>> ex.technique = "k-anonymity"; ex.k = 5
    >>> ex.value, ex.release.height
    ('k=5', 192)
    """
    return _explorer_class()(tradeoff, **kwargs)
