"""The TradeoffExplorer: pick a release of an evaluated trade-off and see where it stands.

A view over a :class:`~privlab.tradeoff.Tradeoff`: a technique toggle with the
control that applies to it (k for k-anonymity, the ℓ release for ℓ-diversity,
the model for synthetic data; the others are disabled) and ε for the DP panel.
Every chart rings the chosen release (the frontier, the DP panel, k against
loss), and the chosen release's distribution of one quasi-identifier is shown
beside the original's. The chosen release is available as a value —
``explorer.value`` (its label) and ``explorer.release`` (its rows) — so the
notebook continues in code.

ipywidgets and altair are imported when the widget is created, never at import.
"""

from __future__ import annotations

import functools
from typing import Any

import polars as pl

from privlab.viz import chart_widget, column_chart, k_loss_chart, tradeoff_chart
from privlab.widgets._chrome import esc, fmt, header, table

__all__ = ["TradeoffExplorer"]

_TECHNIQUES = ("k-anonymity", "ℓ-diversity", "synthetic", "original")
_MEASURES = (
    ("advantage", "linkage advantage: success on members − on non-members", False),
    ("advantage_lo", "… its 95 % interval from", False),
    ("advantage_hi", "… to", False),
    ("attack_success", "attack success on members", True),
    ("attack_non_member", "attack success on non-members", True),
    ("prosecutor_max", "max prosecutor re-identification risk", False),
    ("identified", "members re-identified by the attack", False),
    ("risk", "risk on the Pareto front (CI high or re-identified)", False),
    ("workload_error", "workload error (0 = exact answers)", False),
    ("ml_relative", "ML accuracy vs original", False),
    ("suppressed", "suppressed records", False),
    ("loss", "information loss (ARX, 0–1)", False),
)


@functools.cache
def _explorer_class() -> type:
    import ipywidgets as widgets
    import traitlets

    class _TradeoffExplorer(widgets.VBox):
        """k / ℓ / model / ε controls over a Tradeoff; ``value`` is the chosen release's label."""

        technique = traitlets.Unicode("k-anonymity").tag(sync=True)
        k = traitlets.Int(0).tag(sync=True)
        variant = traitlets.Unicode("").tag(sync=True)
        epsilon = traitlets.Float(0.0).tag(sync=True)
        model = traitlets.Unicode("").tag(sync=True)
        column = traitlets.Unicode("").tag(sync=True)
        value = traitlets.Unicode("").tag(sync=True)
        summary = traitlets.Unicode("").tag(sync=True)

        def __init__(self, tradeoff: Any, **kwargs: Any) -> None:
            self.tradeoff = tradeoff
            points = tradeoff.points

            def labels(technique: str) -> list[str]:
                return points.filter(pl.col("technique") == technique)["label"].to_list()

            ks = sorted(
                int(p) for p in points.filter(pl.col("technique") == "k-anonymity")["param"]
            )
            variants = labels("ℓ-diversity")
            models = points.filter(pl.col("technique") == "synthetic")["param"].to_list()
            epsilons = sorted(tradeoff.dp["epsilon"].to_list())
            techniques = [t for t in _TECHNIQUES if labels(t)]
            style = {"description_width": "7rem"}
            self._technique = widgets.ToggleButtons(
                options=techniques, description="release", style=style
            )
            self._k = widgets.SelectionSlider(
                options=ks or [0], description="k (class size)", style=style
            )
            self._variant = widgets.Dropdown(
                options=variants or [""], description="ℓ release", style=style
            )
            self._model = widgets.Dropdown(options=models or [""], description="model", style=style)
            self._eps = widgets.SelectionSlider(
                options=epsilons or [0.0], description="ε (DP panel)", style=style
            )
            eps_note = widgets.HTML(
                "<span class='privlab-label'>ε per release of the whole workload — a plan; "
                "nothing is spent</span>"
            )
            qis = list(tradeoff.quasi_identifiers)
            self._column = widgets.Dropdown(options=qis or [""], description="compare", style=style)
            self._readout = widgets.HTML()
            self._frontier = chart_widget()
            self._k_chart = chart_widget()
            self._column_chart = chart_widget()
            super().__init__(
                children=[
                    widgets.HTML(
                        header(
                            "Privacy–utility trade-off",
                            "Choose a release: the controls that do not apply to it are "
                            "disabled, every chart rings the choice, and explorer.release "
                            "holds its rows. Lower-left on the frontier is better.",
                        )
                    ),
                    self._technique,
                    widgets.HBox(
                        [self._k, self._variant, self._model], layout={"flex_flow": "row wrap"}
                    ),
                    widgets.HBox([self._eps, eps_note]),
                    self._readout,
                    self._frontier,
                    widgets.HBox([self._column]),
                    self._column_chart,
                    self._k_chart,
                ],
                layout={"width": "100%"},
                **kwargs,
            )
            for control, trait in (
                (self._technique, "technique"),
                (self._k, "k"),
                (self._variant, "variant"),
                (self._eps, "epsilon"),
                (self._model, "model"),
                (self._column, "column"),
            ):
                widgets.link((control, "value"), (self, trait))
            self.technique = techniques[0] if techniques else "original"
            self.k = ks[0] if ks else 0
            self.variant = variants[0] if variants else ""
            self.model = models[0] if models else ""
            self.epsilon = epsilons[0] if epsilons else 0.0
            self.column = qis[0] if qis else ""
            self.observe(
                self._update, names=["technique", "k", "variant", "model", "epsilon", "column"]
            )
            self._update()

        def _label(self) -> str:
            if self.technique == "k-anonymity":
                return f"k={self.k}"
            if self.technique == "ℓ-diversity":
                return self.variant
            if self.technique == "synthetic":
                return f"synthetic ({self.model})"
            return "original"

        def _update(self, _change: Any = None) -> None:
            self._k.disabled = self.technique != "k-anonymity"
            self._variant.disabled = self.technique != "ℓ-diversity"
            self._model.disabled = self.technique != "synthetic"
            label = self._label()
            row = self.tradeoff.points.filter(pl.col("label") == label)
            if not row.height:
                return
            point = row.row(0, named=True)
            dp = self.tradeoff.dp.filter(pl.col("epsilon") == self.epsilon)
            dp_err = dp["expected_error"][0] if dp.height else None
            self.value = label
            self.summary = (
                f"{label}: attack advantage {fmt(point['advantage'])} · workload error "
                f"{fmt(point['workload_error'])} · ML accuracy vs original "
                f"{fmt(point['ml_relative'], digits=2)}"
                + (
                    f" | DP at ε={self.epsilon:g}: expected error {fmt(dp_err)}"
                    if dp_err is not None
                    else ""
                )
            )
            rows = [[name, fmt(point.get(key))] for key, name, _pct in _MEASURES if key in point]
            if dp_err is not None:
                rows.append(
                    [f"DP answers at ε = {self.epsilon:g}: expected workload error", fmt(dp_err)]
                )
            self._readout.value = (
                f"<div class='privlab-label'><b>Chosen release:</b> {esc(label)} · "
                f"DP panel at ε = {self.epsilon:g}</div>" + table(["measure", esc(label)], rows)
            )
            self._draw(label)

        def _draw(self, label: str) -> None:
            #: The charts the explorer shows (un-displayed Altair charts).
            self.charts = {
                "frontier": tradeoff_chart(self.tradeoff, highlight=label, epsilon=self.epsilon)
            }
            has_k = bool(self.tradeoff.points.filter(pl.col("technique") == "k-anonymity").height)
            if has_k:
                self.charts["k_loss"] = k_loss_chart(
                    self.tradeoff, highlight=self.k if self.technique == "k-anonymity" else None
                )
            if label != "original" and self.column:
                self.charts["column"] = column_chart(self.tradeoff, label, self.column)
            self._frontier.chart = self.charts["frontier"]
            self._k_chart.chart = self.charts.get("k_loss")
            self._column_chart.chart = self.charts.get("column")
            self._column.disabled = label == "original"

        @property
        def release(self) -> pl.DataFrame:
            """The chosen release's rows."""
            return self.tradeoff.release(self.value)

    return _TradeoffExplorer


def TradeoffExplorer(tradeoff: Any, **kwargs: Any) -> Any:
    """Create the explorer widget for *tradeoff* (see the module docstring).

    Parameters
    ----------
    tradeoff:
        The result of :func:`privlab.tradeoff`.
    **kwargs:
        Passed to ``ipywidgets.VBox``.

    Returns
    -------
    ipywidgets.VBox
        With traits ``technique``, ``k``, ``variant``, ``model``, ``epsilon``,
        ``column``, ``value`` (the chosen release's label) and ``summary``, and
        the property ``release``.

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
