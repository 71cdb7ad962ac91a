"""TradeoffExplorer, headless: controls select releases; state is plain traitlets."""

from __future__ import annotations

import polars as pl
import pytest

import privlab as pv
from privlab.widgets import TradeoffExplorer


@pytest.fixture(scope="module")
def tradeoff() -> object:
    data = pl.DataFrame(
        {"age": list(range(20, 80)) * 4, "sex": ["F", "M"] * 120, "dx": ["a", "b", "c"] * 80}
    )
    return pv.tradeoff(
        data,
        profile={"age": "quasi_identifier", "sex": "quasi_identifier", "dx": "sensitive"},
        candidates={"k": [2, 5, 10], "l": [], "epsilon": [0.5, 1.0, 2.0], "synthetic": []},
        targets=40,
        progress=False,
    )


def test_sliders_pick_releases(tradeoff: object) -> None:
    ex = TradeoffExplorer(tradeoff)
    assert ex.value == "k=2"
    ex.k = 10
    assert ex.value == "k=10"
    assert "k=10: attack advantage" in ex.summary
    ex.technique = "original"
    assert ex.value == "original"
    assert ex.release.height == 192
    ex.epsilon = 2.0
    assert "DP at ε=2" in ex.summary


def test_state_is_serializable(tradeoff: object) -> None:
    ex = TradeoffExplorer(tradeoff)
    ex.k = 5
    state = ex.get_state()
    assert state["value"] == "k=5"
    assert state["k"] == 5
