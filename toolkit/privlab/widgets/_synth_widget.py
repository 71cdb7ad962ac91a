"""SynthWidget: pick a model and a row count, fit with named progress, see the scores.

A view over :func:`privlab.synthesize` and :meth:`Synthetic.evaluate`; the result is
``widget.synthetic`` so the notebook can continue in code. Everything on screen
is labelled with the settings it belongs to; during a refit the previous scores
stay greyed out under their own label. Column comparisons chart generalized
values only (bins, periods, categories of at least five real rows) and never a
column that is a direct identifier or generated fresh (see
:func:`privlab.viz.column_comparison_chart`).
"""

from __future__ import annotations

from typing import Any

from privlab._progress import ProgressCallback
from privlab.exceptions import PrivlabError
from privlab.io import read
from privlab.synth import synthesize
from privlab.viz import chart_widget, column_comparison_chart, privacy_risk_chart, quality_chart
from privlab.widgets._chrome import Job, badge, esc, fmt, header, table
from privlab.widgets._kernel import in_kernel as _in_kernel

__all__ = ["SynthWidget", "comparable_columns"]

_MODELS = ["gaussian_copula", "ctgan", "tvae", "copulagan"]


def comparable_columns(synthetic: Any) -> list[str]:
    """Columns whose real and synthetic distributions may be charted side by side.

    Only modelled columns: never a direct identifier, a key or a column generated
    fresh (free text, identifiers), whose real values would be the only content.

    Examples
    --------
    >>> import polars as pl, privlab as pv
    >>> real = pl.DataFrame({"email": [f"u{i}@corp.example" for i in range(40)],
    ...                      "age": [20 + i % 30 for i in range(40)]})
    >>> comparable_columns(pv.synthesize(real, rows=10, profile={"email": "email"}, seed=1))
    ['age']
    """
    out = []
    for table_ in synthetic.metadata.tables.values():
        for column in table_.columns:
            role = getattr(column, "role", None)
            if column.handling == "modelled" and role != "direct_identifier":
                out.append(column.name)
    return out


def _default_column(synthetic: Any, options: list[str]) -> str | None:
    by_role = {
        c.name: getattr(c, "role", None)
        for t in synthetic.metadata.tables.values()
        for c in t.columns
    }
    quasi = [c for c in options if by_role.get(c) == "quasi_identifier"]
    first = quasi or options
    return first[0] if first else None


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
    callback:
        Receives every progress event ``(stage, done, total)`` of fit, sampling
        and evaluation.

    Examples
    --------
    >>> import polars as pl
    >>> from privlab.widgets import SynthWidget
    >>> w = SynthWidget(pl.DataFrame({"a": [1, 2, 3, 4], "b": ["x", "y", "x", "y"]}))
    >>> w.model.value, w.rows.value, w.epochs.disabled, w.column.disabled
    ('gaussian_copula', 4, True, True)
    """

    def __init__(
        self,
        data: Any,
        *,
        profile: Any = None,
        holdout: float = 0.2,
        n_attacks: int = 200,
        callback: ProgressCallback | None = None,
    ) -> None:
        import ipywidgets as w

        self.data = read(data).collect()
        self.profile = profile
        self.holdout = holdout
        self.n_attacks = n_attacks
        self.synthetic: Any = None
        self.report: Any = None
        self.error: str | None = None
        style = {"description_width": "4rem"}
        self.model = w.Dropdown(options=_MODELS, value="gaussian_copula", description="model")
        self.rows = w.BoundedIntText(
            value=self.data.height, min=1, max=10_000_000, description="rows", style=style
        )
        self.seed = w.IntText(value=0, description="seed", style=style)
        self.epochs = w.BoundedIntText(
            value=50, min=1, max=10_000, description="epochs", style=style, disabled=True
        )
        self.button = w.Button(description="Fit & sample", button_style="primary", icon="play")
        self.cancel = w.Button(description="Cancel", icon="stop", disabled=True)
        self.progress = w.IntProgress(value=0, min=0, max=1, layout={"width": "14rem"})
        self.status = w.HTML(value="")
        self.results_label = w.HTML(value="")
        self.scores = w.HTML(value="")
        self.column = w.Dropdown(options=[], description="compare", disabled=True)
        self.comparison = chart_widget()
        self.quality = chart_widget()
        self.risk = chart_widget()
        self.job = Job(self.progress, self.status, self.cancel, forward=callback)
        self.button.on_click(lambda _b: self._start())
        self.model.observe(lambda _c: self._sync_enabled(), names="value")
        self.column.observe(lambda _c: self._draw_comparison(), names="value")
        controls = w.HBox(
            [self.model, self.rows, self.seed, self.epochs, self.button],
            layout={"flex_flow": "row wrap"},
        )
        self.box = w.VBox(
            [
                w.HTML(
                    header(
                        "Synthetic data",
                        "Pick a model and a row count and press Fit & sample: privlab fits an "
                        "SDV model (identifiers are generated fresh, never learned), samples "
                        "and scores quality and privacy risk against held-out rows. "
                        "widget.synthetic holds the result.",
                    )
                ),
                controls,
                w.HBox([self.progress, self.cancel, self.status]),
                self.results_label,
                self.scores,
                self.column,
                self.comparison,
                w.HBox([self.quality, self.risk], layout={"width": "100%"}),
            ],
            layout={"width": "100%"},
        )
        self.quality.layout.width = self.risk.layout.width = "50%"

    def _sync_enabled(self) -> None:
        self.epochs.disabled = self.model.value == "gaussian_copula"

    def settings(self) -> str:
        """The current settings as one line (what results are labelled with)."""
        text = f"{self.model.value} · {fmt(int(self.rows.value))} rows · seed {self.seed.value}"
        if self.model.value != "gaussian_copula":
            text += f" · {self.epochs.value} epochs"
        return text

    def _work(self, job: Job) -> Any:
        model = str(self.model.value)
        neural = model != "gaussian_copula"
        with job.stages(2, model) as bar:
            bar.set_stage("fit and sample")
            synthetic = synthesize(
                self.data,
                model=model,
                rows=int(self.rows.value),
                profile=self.profile,
                seed=int(self.seed.value),
                holdout=self.holdout,
                epochs=int(self.epochs.value) if neural else None,
                progress=False,
                callback=job.callback,
            )
            bar.advance(stage="evaluate")
            report = synthetic.evaluate(n_attacks=self.n_attacks, callback=job.callback)
            bar.advance(stage="done")
        return synthetic, report

    def _attempt(self, job: Job) -> Any:
        try:
            return self._work(job)
        except PrivlabError as exc:
            return exc

    def _begin(self) -> str:
        settings = self.settings()
        self.button.disabled = True
        if self.results_label.value:  # keep the previous results, visibly stale
            self.results_label.value = (
                f"<div class='privlab-stale'>{self.results_label.value}</div>"
                f"<span class='privlab-label'>refitting with {esc(settings)} …</span>"
            )
            self.scores.value = f"<div class='privlab-stale'>{self.scores.value}</div>"
        return settings

    def fit(self) -> Any:
        """Fit, sample and evaluate with the current settings; returns the Synthetic.

        Runs in the caller's thread (the *Fit & sample* button runs it in a
        background thread so *Cancel* can be pressed). Returns ``None`` — with
        the reason on screen — when it failed or was cancelled.
        """
        settings = self._begin()
        self.job.run(settings, self._attempt, lambda result: self._show(result, settings))
        return self.synthetic if self.error is None and not self.job.cancelled else None

    def _start(self) -> None:
        if not _in_kernel():
            self.fit()
            return
        settings = self._begin()
        self.job.start(settings, self._attempt, lambda result: self._show(result, settings))

    def _show(self, result: Any, settings: str) -> None:
        self.button.disabled = False
        if result is None:  # cancelled: the previous results stay, greyed out
            self.error = None
            return
        if isinstance(result, PrivlabError):
            self.error = str(result)
            self.status.value = badge("error", level="danger") + esc(self.error)
            return
        self.error = None
        self.synthetic, self.report = result
        summary = self.report.summary()
        real_rows = sum(self.synthetic.rows.get("real", {}).values())
        self.results_label.value = (
            f"<div class='privlab-label'><b>Results of:</b> {esc(settings)} · fitted on "
            f"{fmt(real_rows)} real rows, {fmt(self.n_attacks)} attacks per evaluator</div>"
        )
        self.scores.value = _scores_html(summary)
        self.status.value = f"<span class='privlab-label'>{esc(settings)} — done</span>"
        options = comparable_columns(self.synthetic)
        current = self.column.value if self.column.value in options else None
        self.column.options = options
        self.column.value = current or _default_column(self.synthetic, options)
        self.column.disabled = not options
        self.quality.chart = quality_chart(self.report)
        self.risk.chart = privacy_risk_chart(self.report)
        self._draw_comparison()

    def _draw_comparison(self) -> None:
        column = self.column.value
        if self.synthetic is None or column is None:
            self.comparison.chart = None
            return
        synthetic = self.synthetic.data
        self.comparison.chart = column_comparison_chart(self.data, synthetic, column)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)


_MEANINGS = {
    "quality_score": ("quality (SDMetrics)", "1 = same column shapes and pair trends"),
    "privacy_risk": (
        "privacy risk (worst attack)",
        "largest upper end of the attacks' intervals: success on training rows minus "
        "success on held-out rows",
    ),
    "singling_out_risk": ("singling-out risk", ""),
    "linkability_risk": ("linkability risk", ""),
    "inference_risk": ("inference risk", ""),
    "exact_copy_rate": ("exact copies of training rows", "share of synthetic rows"),
    "pii_replay": ("real identifier values replayed", "must be 0"),
    "dcr_overfitting_protection": ("DCR overfitting protection", "1 = not closer to training rows"),
}


def _scores_html(summary: dict[str, Any]) -> str:
    badges = []
    if summary.get("pii_replay"):
        badges.append(badge(f"{summary['pii_replay']} real identifiers replayed", level="danger"))
    if (summary.get("exact_copy_rate") or 0) > 0:
        badges.append(badge("contains exact copies of training rows", level="warn"))
    risk = summary.get("privacy_risk")
    if risk is not None and risk > 0.1:
        badges.append(badge(f"attack risk {fmt(risk)}", level="warn"))
    rows = []
    for key, (name, meaning) in _MEANINGS.items():
        if key not in summary:
            continue
        value = summary[key]
        percent = key == "exact_copy_rate"
        text = fmt(value, percent=percent)
        interval = summary.get(f"{key}_ci")
        if value is not None and isinstance(interval, list | tuple) and len(interval) == 2:
            text += f" (95 % CI {fmt(interval[0])} to {fmt(interval[1])})"
        rows.append([name, text, meaning])
    return "".join(badges) + table(["measure", "value", "what it means"], rows)
