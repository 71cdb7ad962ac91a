"""Widgets for differential privacy: a budget meter and an ε explorer.

Both are views: the budget meter reads the ledger, the ε explorer asks
:meth:`~privlab.dp.DPSession.half_width` and
:meth:`~privlab.dp.DPSession.error_curve` — which calibrate OpenDP
measurements but never run them, so *nothing is spent while exploring*. The
chosen value is exposed as ``explorer.epsilon`` for the notebook to continue
in code: ``session.release(query, epsilon=explorer.epsilon)``.

ipywidgets and altair are imported when a widget is created, never at import.
The widget classes are built on first use (they subclass ``ipywidgets.VBox``).
"""

from __future__ import annotations

import functools
import html
from typing import Any

import privlab.dp as pdp
from privlab.viz import epsilon_curve_chart
from privlab.widgets._kernel import in_kernel as _in_kernel

__all__ = ["budget_meter", "epsilon_explorer"]


@functools.cache
def _classes() -> dict[str, type]:
    import ipywidgets as widgets
    import traitlets

    class BudgetMeter(widgets.VBox):
        """Spent / remaining ε of a dataset and the list of its releases."""

        spent = traitlets.Float(0.0).tag(sync=True)
        total = traitlets.Float(0.0).tag(sync=True)
        remaining = traitlets.Float(0.0).tag(sync=True)
        releases = traitlets.Int(0).tag(sync=True)

        def __init__(self, source: Any, **kwargs: Any) -> None:
            self._source = source
            self._bar = widgets.FloatProgress(min=0.0, max=1.0, description="ε spent")
            self._label = widgets.HTML()
            self._table = widgets.HTML()
            self._button = widgets.Button(description="Refresh", icon="refresh")
            self._button.on_click(lambda _b: self.refresh())
            super().__init__(
                children=[widgets.HBox([self._bar, self._label, self._button]), self._table],
                **kwargs,
            )
            self.refresh()

        def _budget_and_entries(self) -> tuple[Any, Any]:
            if isinstance(self._source, pdp.DPSession):
                return self._source.budget(), self._source.ledger()
            return pdp.budget(str(self._source)), pdp.ledger(str(self._source))

        def refresh(self) -> None:
            """Re-read the ledger (the budget may have been spent elsewhere)."""
            b, entries = self._budget_and_entries()
            self.spent, self.total = b.epsilon_spent, b.epsilon_total
            self.remaining, self.releases = b.epsilon_remaining, b.releases
            self._bar.max = max(b.epsilon_total, 1e-12)
            self._bar.value = min(b.epsilon_spent, self._bar.max)
            self._bar.bar_style = "danger" if b.fraction_spent >= 0.9 else "info"
            self._label.value = (
                f"<b>{html.escape(b.dataset)}</b>: ε {b.epsilon_spent:.4g} of "
                f"{b.epsilon_total:.4g} spent, {b.epsilon_remaining:.4g} left; "
                f"δ {b.delta_spent:.3g} of {b.delta_total:.3g}"
            )
            rows = entries.filter(entries["status"] != "cancelled").tail(20).iter_rows(named=True)
            body = "".join(
                f"<tr><td>{html.escape(str(r['created_at'])[:19])}</td>"
                f"<td>{html.escape(r['statistic'])}</td><td>{r['epsilon']:.4g}</td>"
                f"<td>{r['delta']:.3g}</td><td>{html.escape(r['principal'])}</td>"
                f"<td>{html.escape(r['status'])}</td></tr>"
                for r in rows
            )
            self._table.value = (
                "<table><tr><th>time (UTC)</th><th>query</th><th>ε</th><th>δ</th>"
                f"<th>principal</th><th>status</th></tr>{body}</table>"
            )

    class EpsilonExplorer(widgets.VBox):
        """Slide ε, see the confidence interval a query would get; nothing is spent."""

        epsilon = traitlets.Float(1.0).tag(sync=True)
        confidence = traitlets.Float(0.95).tag(sync=True)
        half_width = traitlets.Float(float("nan")).tag(sync=True)

        def __init__(
            self,
            session: Any,
            query: Any,
            *,
            epsilon: float = 1.0,
            n: float | None = None,
            **kwargs: Any,
        ) -> None:
            self._session, self._query, self._n = session, query, n
            self._slider = widgets.FloatLogSlider(
                value=epsilon,
                base=10,
                min=-2,
                max=1,
                step=0.05,
                description="ε",
                readout_format=".3g",
                continuous_update=False,
            )
            self._conf = widgets.Dropdown(
                options=[("90%", 0.90), ("95%", 0.95), ("99%", 0.99)],
                value=0.95,
                description="confidence",
            )
            self._label = widgets.HTML()
            self._chart = widgets.Output()
            widgets.link((self._slider, "value"), (self, "epsilon"))
            widgets.link((self._conf, "value"), (self, "confidence"))
            super().__init__(
                children=[widgets.HBox([self._slider, self._conf]), self._label, self._chart],
                **kwargs,
            )
            self.epsilon = epsilon
            self._update()
            self.observe(lambda _c: self._update(), names=["epsilon", "confidence"])

        def _update(self) -> None:
            alpha = 1.0 - self.confidence
            hw = self._session.half_width(self._query, self.epsilon, alpha=alpha, n=self._n)
            self.half_width = hw
            self._label.value = (
                f"{html.escape(self._query.label)} at ε={self.epsilon:.3g}: "
                f"± {hw:.4g} with {self.confidence:.0%} confidence "
                "<i>(preview — nothing spent)</i>"
            )

            curve = self._session.error_curve(
                self._query, [10 ** (-2 + i / 4) for i in range(13)], alpha=alpha, n=self._n
            )
            #: The chart shown under the slider (an un-displayed Altair chart).
            self.chart = epsilon_curve_chart(curve, epsilon=self.epsilon)
            if _in_kernel():  # headless (tests, doctests): keep the chart, print nothing
                self._chart.clear_output(wait=True)
                with self._chart:
                    from IPython.display import display

                    display(self.chart)

    return {"BudgetMeter": BudgetMeter, "EpsilonExplorer": EpsilonExplorer}


def budget_meter(source: Any) -> Any:
    """A widget showing a dataset's ε spent / remaining and its recent releases.

    Parameters
    ----------
    source:
        A :class:`~privlab.dp.DPSession` or a dataset name.

    Returns
    -------
    ipywidgets.VBox
        With traits ``spent``, ``total``, ``remaining``, ``releases`` and a
        ``refresh()`` method.

    Examples
    --------
    >>> import polars as pl, privlab.dp as pdp
    >>> from privlab.widgets import budget_meter
    >>> with pdp.DPSession(pl.DataFrame({"x": [1.0, 2.0] * 50}), dataset="meter") as s:
    ...     pdp.set_budget("meter", epsilon=2.0)
    ...     _ = s.count(epsilon=0.5)
    ...     meter = budget_meter(s)
    >>> meter.spent, meter.remaining, meter.total, meter.releases
    (0.5, 1.5, 2.0, 1)
    """
    return _classes()["BudgetMeter"](source)


def epsilon_explorer(
    session: Any, query: Any, *, epsilon: float = 1.0, n: float | None = None
) -> Any:
    """A slider over ε showing the interval ``query`` would get — nothing is spent.

    Parameters
    ----------
    session:
        The :class:`~privlab.dp.DPSession` the query would run in.
    query:
        A query with an accuracy (not a quantile).
    epsilon:
        Initial ε.
    n:
        For a mean: the number of values averaged (see ``half_width``).

    Returns
    -------
    ipywidgets.VBox
        With traits ``epsilon``, ``confidence`` and ``half_width``.

    Examples
    --------
    >>> import polars as pl, privlab.dp as pdp
    >>> from privlab.widgets import epsilon_explorer
    >>> s = pdp.DPSession(pl.DataFrame({"x": [1.0, 2.0] * 500}), dataset="w")
    >>> ex = epsilon_explorer(s, pdp.count(), epsilon=1.0)
    >>> round(ex.half_width, 3)
    3.376
    >>> ex.epsilon = 0.1
    >>> ex.half_width > 25, s.budget().epsilon_spent
    (True, 0.0)
    >>> s.close()
    """
    return _classes()["EpsilonExplorer"](session, query, epsilon=epsilon, n=n)
