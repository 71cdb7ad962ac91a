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
import math
from typing import Any

import privlab.dp as pdp
from privlab.viz import budget_chart, chart_widget, epsilon_curve_chart
from privlab.widgets._chrome import badge, esc, fmt, header, table

__all__ = ["budget_meter", "budget_note", "epsilon_explorer"]

#: A release that would leave less than this share of the budget gets a warning badge.
LOW_BUDGET = 0.1


def budget_note(budget: Any, epsilon: float | None = None) -> str:
    """The budget left as HTML, with a badge when it (or *epsilon*) is about to run out.

    Examples
    --------
    >>> from types import SimpleNamespace as B
    >>> b = B(epsilon_total=3.0, epsilon_spent=2.0499999999994603)
    >>> "0.95 of 3 left" in budget_note(b)
    True
    >>> "would be refused" in budget_note(b, epsilon=1.0), "leave less" in budget_note(b, 0.9)
    (True, True)
    """
    total, spent = float(budget.epsilon_total), float(budget.epsilon_spent)
    left = max(total - spent, 0.0)
    text = f"<span class='privlab-label'>budget: ε {fmt(left)} of {fmt(total)} left</span> "
    if total <= 0 or left <= 0:
        return text + badge("budget used up", level="danger")
    if epsilon is None:
        if left < LOW_BUDGET * total:
            return text + badge("budget almost used up", level="warn")
        return text
    if epsilon > left:
        return text + badge(
            f"ε {fmt(epsilon)} exceeds the budget left: the release would be refused",
            level="danger",
        )
    if left - epsilon < LOW_BUDGET * total:
        return text + badge(
            f"would leave less than {fmt(LOW_BUDGET, percent=True)} of the budget",
            level="warn",
        )
    return text + badge(f"would leave ε {fmt(left - epsilon)}", level="ok")


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
            self._chart = chart_widget()
            self._button = widgets.Button(description="Refresh", icon="refresh")
            self._button.on_click(lambda _b: self.refresh())
            super().__init__(
                children=[
                    widgets.HTML(
                        header(
                            "Privacy budget",
                            "ε spent on this dataset across sessions and people, and its "
                            "releases. Refresh after spending elsewhere.",
                        )
                    ),
                    widgets.HBox([self._bar, self._label, self._button]),
                    self._table,
                    self._chart,
                ],
                layout={"width": "100%"},
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
                f"<b>{esc(b.dataset)}</b>: ε {fmt(b.epsilon_spent)} of {fmt(b.epsilon_total)} "
                f"spent; δ {fmt(b.delta_spent)} of {fmt(b.delta_total)} — " + budget_note(b)
            )
            shown = entries.filter(entries["status"] != "cancelled")
            rows = [
                [str(r["created_at"])[:19], r["statistic"], r["epsilon"], r["delta"],
                 r["principal"], r["status"]]
                for r in shown.tail(20).iter_rows(named=True)
            ]  # fmt: skip
            self._table.value = (
                table(["time (UTC)", "query", "ε", "δ", "principal", "status"], rows)
                if rows
                else "<span class='privlab-label'>no releases yet</span>"
            )
            self._chart.chart = (
                budget_chart(entries, total=b.epsilon_total) if shown.height else None
            )

    class EpsilonExplorer(widgets.VBox):
        """Slide ε, see the confidence interval a query would get; nothing is spent."""

        epsilon = traitlets.Float(1.0).tag(sync=True)
        confidence = traitlets.Float(0.95).tag(sync=True)
        # not synced: an unreachable accuracy is infinite, which JSON cannot carry
        half_width = traitlets.Float(0.0)

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
            self._unit = widgets.HTML(
                "<span class='privlab-label'>privacy loss of this one release</span>"
            )
            self._budget = widgets.HTML()
            self._conf = widgets.Dropdown(
                options=[("90%", 0.90), ("95%", 0.95), ("99%", 0.99)],
                value=0.95,
                description="confidence",
            )
            self._label = widgets.HTML()
            self._chart = chart_widget()
            widgets.link((self._slider, "value"), (self, "epsilon"))
            widgets.link((self._conf, "value"), (self, "confidence"))
            super().__init__(
                children=[
                    widgets.HTML(
                        header(
                            "ε explorer",
                            "Slide ε to see the interval the query would get and what it "
                            "would leave of the budget. Nothing is spent while exploring; "
                            "continue in code with explorer.epsilon.",
                        )
                    ),
                    widgets.HBox([self._slider, self._unit, self._conf]),
                    self._budget,
                    self._label,
                    self._chart,
                ],
                layout={"width": "100%"},
                **kwargs,
            )
            self.epsilon = epsilon
            self._update()
            self.observe(lambda _c: self._update(), names=["epsilon", "confidence"])

        def _update(self) -> None:
            alpha = 1.0 - self.confidence
            hw = self._session.half_width(self._query, self.epsilon, alpha=alpha, n=self._n)
            self.half_width = hw
            budget = self._session.budget()
            self._budget.value = budget_note(budget, self.epsilon)
            accuracy = f"± {fmt(hw)}" if math.isfinite(hw) else "no useful accuracy"
            self._label.value = (
                f"{esc(self._query.label)} at ε = {fmt(self.epsilon)}: {accuracy} with "
                f"{self.confidence:.0%} confidence <i>(preview — nothing spent)</i>"
            )

            curve = self._session.error_curve(
                self._query, [10 ** (-2 + i / 4) for i in range(13)], alpha=alpha, n=self._n
            )
            #: The chart shown under the slider (an un-displayed Altair chart).
            self.chart = epsilon_curve_chart(
                curve, epsilon=self.epsilon, remaining=budget.epsilon_remaining
            )
            self._chart.chart = self.chart

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
        With traits ``epsilon``, ``confidence`` and ``half_width``; beside the
        slider the budget left and what this ε would leave of it.

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
