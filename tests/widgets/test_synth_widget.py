"""SynthWidget, headless: set traits, fit, read state."""

from __future__ import annotations

import numpy as np
import polars as pl

from privlab.widgets import SynthWidget


def test_fit_through_the_widget() -> None:
    rng = np.random.default_rng(0)
    data = pl.DataFrame(
        {"age": rng.integers(18, 80, 100), "plan": rng.choice(["a", "b", "c"], 100)}
    )
    w = SynthWidget(data, n_attacks=30)
    w.rows.value = 40
    w.seed.value = 2
    syn = w.fit()
    assert syn is w.synthetic
    assert syn.data.shape == (40, 2)
    assert w.progress.value == w.progress.max > 0
    assert w.status.value == "done"
    assert "quality" in w.scores.value
    assert "privacy risk" in w.scores.value
    assert w.button.get_state()["disabled"] is False
    w.column.value = "plan"  # redraws without error


def test_error_is_shown_not_raised() -> None:
    w = SynthWidget(pl.DataFrame({"x": [[1], [2]]}))
    assert w.fit() is None
    assert "error" in w.status.value
