"""DP widgets, headless: traits follow the ledger; exploring never spends."""

from __future__ import annotations

import json

import polars as pl
import pytest

import privlab.dp as pdp
from privlab.widgets import budget_meter, epsilon_explorer


@pytest.fixture
def session() -> pdp.DPSession:
    s = pdp.DPSession(
        pl.DataFrame({"x": [1.0, 2.0, 3.0] * 300, "g": ["a", "b", "c"] * 300}), dataset="widgets"
    )
    pdp.set_budget("widgets", epsilon=2.0)
    yield s
    s.close()


def test_budget_meter_tracks_the_ledger(session: pdp.DPSession) -> None:
    meter = budget_meter(session)
    assert (meter.spent, meter.total, meter.releases) == (0.0, 2.0, 0)
    session.count(epsilon=0.5)
    meter.refresh()
    assert meter.spent == pytest.approx(0.5)
    assert meter.remaining == pytest.approx(1.5)
    state = meter.get_state()
    assert state["spent"] == pytest.approx(0.5)
    assert "count()" in meter._table.value  # the per-query list, with column headers
    assert "<th>ε</th>" in meter._table.value
    assert "ε 1.5 of 2 left" in meter._label.value
    assert meter._chart.spec is not None  # cumulative spending, rendered offline
    by_name = budget_meter("widgets")
    assert by_name.spent == pytest.approx(0.5)


def test_epsilon_explorer_previews_without_spending(session: pdp.DPSession) -> None:
    q = pdp.count(by="g", keys=["a", "b", "c"])
    ex = epsilon_explorer(session, q, epsilon=1.0)
    wide = ex.half_width
    ex.epsilon = 0.1
    assert ex.half_width > 5 * wide
    ex.confidence = 0.99
    assert ex.half_width > session.half_width(q, 0.1, alpha=0.05)
    assert "nothing spent" in ex._label.value
    assert session.budget().epsilon_spent == 0.0
    assert session.ledger().height == 0
    answer = session.release(q, epsilon=ex.epsilon)  # the notebook continues in code
    assert answer["epsilon"][0] == pytest.approx(0.1)


def test_epsilon_control_shows_the_budget_left(session: pdp.DPSession) -> None:
    """Units and the remaining ε sit next to the slider; running out is a badge."""
    q = pdp.count()
    ex = epsilon_explorer(session, q, epsilon=0.5)
    assert "budget: ε 2 of 2 left" in ex._budget.value
    assert "would leave ε 1.5" in ex._budget.value
    ex.epsilon = 1.9
    assert "would leave less than 10.0% of the budget" in ex._budget.value
    ex.epsilon = 3.0
    assert "exceeds the budget left" in ex._budget.value
    assert ex.chart.to_dict()["layer"][0]["mark"]["type"] == "rect"  # ε beyond the budget
    assert "privacy loss of this one release" in ex._unit.value


def test_widget_state_is_strict_json(session: pdp.DPSession) -> None:
    """No NaN/Infinity reaches the frontend (jupyter_client warned about it)."""
    ex = epsilon_explorer(session, pdp.count(), epsilon=0.01)
    for widget in (ex, *ex.children):
        json.dumps(widget.get_state(), allow_nan=False, default=str)
