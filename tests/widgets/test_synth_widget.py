"""SynthWidget, headless: set traits, fit, read state."""

from __future__ import annotations

import numpy as np
import polars as pl

from privlab.widgets import SynthWidget


def _data() -> pl.DataFrame:
    rng = np.random.default_rng(0)
    return pl.DataFrame(
        {"age": rng.integers(18, 80, 100), "plan": rng.choice(["a", "b", "c"], 100)}
    )


def test_fit_through_the_widget() -> None:
    seen: list[tuple[str, int, int]] = []
    w = SynthWidget(_data(), n_attacks=30, callback=lambda *e: seen.append(e))
    w.rows.value = 40
    w.seed.value = 2
    assert w.epochs.disabled  # gaussian_copula has no epochs
    syn = w.fit()
    assert syn is w.synthetic
    assert syn.data.shape == (40, 2)
    assert w.progress.value == w.progress.max > 0
    assert "done" in w.status.value
    assert "Results of:</b> gaussian_copula · 40 rows · seed 2" in w.results_label.value
    assert "quality (SDMetrics)" in w.scores.value
    assert "privacy risk" in w.scores.value
    assert w.button.get_state()["disabled"] is False
    stages = [s for s, _d, _t in seen]
    assert stages[0] == "fit and sample"
    assert stages[-1] == "done"
    assert "evaluate" in stages  # the evaluation is its own named stage
    assert len(stages) > 3  # synthesize's own steps come through the same callback
    assert set(w.column.options) == {"age", "plan"}
    w.column.value = "plan"  # redraws without error
    assert w.comparison.spec["encoding"]["y"]["field"] == "value"
    w.model.value = "ctgan"
    assert not w.epochs.disabled


def test_refit_keeps_old_scores_labelled_and_cancel_keeps_them() -> None:
    w = SynthWidget(_data(), n_attacks=30)
    w.rows.value = 30
    w.fit()
    first = w.results_label.value
    w.seed.value = 5
    w.job.forward = lambda *e: w.job.cancel()  # press Cancel at the first event
    assert w.fit() is None
    assert "cancelled" in w.status.value
    assert "privlab-stale" in w.results_label.value  # previous results greyed out ...
    assert first in w.results_label.value  # ... under their own settings
    assert "refitting with gaussian_copula · 30 rows · seed 5" in w.results_label.value
    assert w.synthetic is not None
    assert not w.button.disabled


def test_error_is_shown_not_raised() -> None:
    w = SynthWidget(pl.DataFrame({"x": [[1], [2]]}))
    assert w.fit() is None
    assert "error" in w.status.value
