"""SynthWidget: pick a model and a row count, fit with a progress bar, see the scores.

A view over :func:`privlab.synthesize` and :meth:`Synthetic.evaluate`; the result is
``widget.synthetic`` so the notebook can continue in code.
"""

from __future__ import annotations

from typing import Any

from privlab.exceptions import PrivlabError
from privlab.io import read
from privlab.synth import synthesize
from privlab.viz import column_comparison_chart, privacy_risk_chart, quality_chart

__all__ = ["SynthWidget"]


class SynthWidget:
    """Interactive synthesis of one table.

    Parameters
    ----------
    data:
        The real table (polars or pandas).
    profile:
        Passed to :func:`privlab.synthesize`.
    holdout:
        Fraction kept out of fitting for the privacy evaluation.
    n_attacks:
        Attacks per evaluator in the evaluation.

    Examples
    --------
    >>> import polars as pl
    >>> from privlab.widgets import SynthWidget
    >>> w = SynthWidget(pl.DataFrame({"a": [1, 2, 3, 4], "b": ["x", "y", "x", "y"]}))
    >>> w.model.value, w.rows.value
    ('gaussian_copula', 4)
    """

    def __init__(
        self, data: Any, *, profile: Any = None, holdout: float = 0.2, n_attacks: int = 200
    ) -> None:
        import ipywidgets as w

        self.data = read(data).collect()
        self.profile = profile
        self.holdout = holdout
        self.n_attacks = n_attacks
        self.synthetic: Any = None
        self.model = w.Dropdown(
            options=["gaussian_copula", "ctgan", "tvae", "copulagan"],
            value="gaussian_copula",
            description="model",
        )
        self.rows = w.BoundedIntText(
            value=self.data.height, min=1, max=10_000_000, description="rows"
        )
        self.seed = w.IntText(value=0, description="seed")
        self.epochs = w.BoundedIntText(value=50, min=1, max=10_000, description="epochs")
        self.button = w.Button(description="Fit & sample", button_style="primary")
        self.progress = w.IntProgress(value=0, min=0, max=1, description="")
        self.status = w.HTML(value="")
        self.scores = w.HTML(value="")
        self.column = w.Dropdown(options=list(self.data.columns), description="column")
        self.charts = w.Output()
        self.button.on_click(lambda _: self.fit())
        self.column.observe(lambda _: self._draw(), names="value")
        controls = w.HBox([self.model, self.rows, self.seed, self.epochs, self.button])
        self.box = w.VBox(
            [controls, w.HBox([self.progress, self.status]), self.scores, self.column, self.charts]
        )

    def _on_step(self, stage: str, done: int, total: int) -> None:
        self.progress.max = total
        self.progress.value = done
        self.status.value = stage

    def fit(self) -> Any:
        """Fit, sample and evaluate with the current settings; returns the Synthetic."""
        self.button.disabled = True
        self.status.value = "fitting…"
        try:
            neural = self.model.value != "gaussian_copula"
            self.synthetic = synthesize(
                self.data,
                model=self.model.value,
                rows=int(self.rows.value),
                profile=self.profile,
                seed=int(self.seed.value),
                holdout=self.holdout,
                epochs=int(self.epochs.value) if neural else None,
                progress=False,
                callback=self._on_step,
            )
            self.status.value = "evaluating…"
            report = self.synthetic.evaluate(n_attacks=self.n_attacks)
        except PrivlabError as exc:
            self.status.value = f"<b>error:</b> {exc}"
            return None
        finally:
            self.button.disabled = False
        self.status.value = "done"
        self.scores.value = _scores_html(report.summary())
        self._draw()
        return self.synthetic

    def _draw(self) -> None:
        if self.synthetic is None:
            return

        report = self.synthetic.report
        self.charts.clear_output()
        with self.charts:
            from IPython.display import display

            display(
                column_comparison_chart(
                    self.synthetic._real[next(iter(self.synthetic._real))],
                    self.synthetic.data,
                    self.column.value,
                )
            )
            if report is not None:
                display(quality_chart(report) | privacy_risk_chart(report))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)


def _fmt(value: Any, pattern: str) -> str:
    return "n/a" if value is None else format(value, pattern)


def _scores_html(summary: dict[str, Any]) -> str:
    return (
        f"<b>quality</b> {_fmt(summary['quality_score'], '.3f')} · "
        f"<b>privacy risk</b> {_fmt(summary['privacy_risk'], '.3f')} "
        f"(singling out {_fmt(summary['singling_out_risk'], '.3f')}, "
        f"linkability {_fmt(summary['linkability_risk'], '.3f')}, "
        f"inference {_fmt(summary['inference_risk'], '.3f')}) · "
        f"<b>exact copies</b> {_fmt(summary['exact_copy_rate'], '.1%')} · "
        f"<b>DCR overfitting protection</b> {_fmt(summary['dcr_overfitting_protection'], '.2f')}"
    )
