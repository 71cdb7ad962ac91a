"""DP widgets, headless: traits follow the ledger; exploring never spends."""

from __future__ import annotations

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
    assert "count()" in meter.children[1].value  # the per-query list
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
    assert "nothing spent" in ex.children[1].value
    assert session.budget().epsilon_spent == 0.0
    assert session.ledger().height == 0
    answer = session.release(q, epsilon=ex.epsilon)  # the notebook continues in code
    assert answer["epsilon"][0] == pytest.approx(0.1)
