"""TradeoffExplorer, headless: controls select releases; state is plain traitlets."""

from __future__ import annotations

import json

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
        candidates={"k": [2, 5, 10], "l": [2], "epsilon": [0.5, 1.0, 2.0], "synthetic": []},
        targets=40,
        progress=False,
    )


def test_sliders_pick_releases(tradeoff: object) -> None:
    ex = TradeoffExplorer(tradeoff)
    assert ex.value == "k=2"  # the first technique, k-anonymity, is chosen first
    ex.k = 10
    assert ex.value == "k=10"
    assert "k=10: attack advantage" in ex.summary
    ex.technique = "ℓ-diversity"
    assert ex.value == "k=5, ℓ=2"
    ex.technique = "original"
    assert ex.value == "original"
    assert ex.release.height == 192
    ex.epsilon = 2.0
    assert "DP at ε=2" in ex.summary


def test_controls_apply_only_to_their_technique(tradeoff: object) -> None:
    ex = TradeoffExplorer(tradeoff)
    ex.technique = "k-anonymity"
    assert not ex._k.disabled
    assert ex._variant.disabled
    assert ex._model.disabled
    ex.technique = "ℓ-diversity"
    assert ex._k.disabled
    assert not ex._variant.disabled
    ex.technique = "original"
    assert ex._k.disabled
    assert ex._variant.disabled
    assert ex._model.disabled
    assert ex._column.disabled  # nothing to compare the original with


def test_every_chart_rings_the_choice(tradeoff: object) -> None:
    """Each k, ε and release gives different charts: the choice is ringed on each."""
    ex = TradeoffExplorer(tradeoff)
    ex.technique = "k-anonymity"
    ex.k = 5
    ex.epsilon = 1.0
    frontier = json.dumps(ex._frontier.spec, ensure_ascii=False)
    assert "chosen: k=5" in frontier
    assert "chosen ε = 1" in frontier
    assert ex._k_chart.spec["layer"][1]["data"]["values"][0]["k"] == 5
    assert "k=5 (chosen) vs original" in ex._column_chart.spec["title"]
    before = ex._frontier.spec
    ex.k = 10
    assert ex._frontier.spec != before
    ex.column = "sex"
    assert ex._column_chart.spec["encoding"]["x"]["axis"]["title"] == "sex"
    assert "<th>k=10</th>" in ex._readout.value


def test_state_is_serializable(tradeoff: object) -> None:
    ex = TradeoffExplorer(tradeoff)
    ex.technique = "k-anonymity"
    ex.k = 5
    state = ex.get_state()
    assert state["value"] == "k=5"
    assert state["k"] == 5
