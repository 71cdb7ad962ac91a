"""No widget shows a raw identifying value, in its state or in its charts' data.

Attacker: a colleague who opens a notebook someone shared (or its saved widget
state) and reads everything the widgets hold — every synced trait, every HTML
snippet, every chart's Vega-Lite data — after the owner clicked through every
choice a widget offers. They must not find a single direct identifier of the
input (ID, name, e-mail, phone, SSN) nor an exact date of birth.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import privlab as pv
import privlab.dp as pdp
from privlab.widgets import (
    ProfileWidget,
    RecipeBuilder,
    SynthWidget,
    TradeoffExplorer,
    budget_meter,
    epsilon_explorer,
)

ROOT = Path(__file__).resolve().parents[2]
IDENTIFIERS = ["patient_id", "full_name", "email", "phone", "ssn", "date_of_birth"]
KEY = "no-identifier-test-key-0123456789"

pytestmark = pytest.mark.slow  # synthesis, evaluation and a trade-off: ~1 min on 2 cores


def _widgets(root: Any) -> Iterator[Any]:
    """Every ipywidget under *root* (children of boxes included)."""
    yield root
    for child in getattr(root, "children", ()):
        yield from _widgets(child)


def _everything(widget: Any) -> str:
    """All a frontend can read: every widget's synced state, chart specs included."""
    return "\n".join(
        json.dumps(w.get_state(), default=str, ensure_ascii=False) for w in _widgets(widget)
    )


@pytest.fixture(scope="module")
def patients() -> pl.DataFrame:
    return pv.read(ROOT / "data_samples" / "patients.csv").collect().head(300)


@pytest.fixture(scope="module")
def secrets(patients: pl.DataFrame) -> dict[str, list[str]]:
    return {c: [str(v) for v in patients[c].drop_nulls().unique().to_list()] for c in IDENTIFIERS}


def _assert_clean(text: str, secrets: dict[str, list[str]], where: str) -> None:
    leaked = {c: [v for v in values if v in text][:3] for c, values in secrets.items()}
    leaked = {c: v for c, v in leaked.items() if v}
    assert not leaked, f"{where} shows {leaked}"


def test_profile_widget(patients: pl.DataFrame, secrets: dict[str, list[str]]) -> None:
    w = ProfileWidget(pv.profile(patients, seed=0))
    w.set_role("ssn", "other")
    _assert_clean(_everything(w), secrets, "ProfileWidget")


def test_recipe_builder(patients: pl.DataFrame, secrets: dict[str, list[str]]) -> None:
    profile = pv.profile(patients, seed=0)
    b = RecipeBuilder(patients, recipe=profile.suggest_recipe(), key=KEY)
    seen = [_everything(b.box)]
    b.roles["date_of_birth"].value = "quasi-identifier"
    b.roles["ssn"].value = "keep"  # even an identifier left in is never displayed
    seen.append(_everything(b.box))
    assert b.figures is not None
    _assert_clean("\n".join(seen), secrets, "RecipeBuilder")


def test_synth_widget(patients: pl.DataFrame, secrets: dict[str, list[str]]) -> None:
    w = SynthWidget(patients, n_attacks=50)
    w.rows.value = 200
    assert w.fit() is not None, w.error
    assert "patient_id" not in w.column.options  # identifiers are not offered at all
    assert "date_of_birth" in w.column.options  # ... dates are, binned into periods
    seen = []
    for column in w.column.options:
        w.column.value = column
        seen.append(_everything(w.box))
    _assert_clean("\n".join(seen), secrets, "SynthWidget")


def test_tradeoff_explorer(patients: pl.DataFrame, secrets: dict[str, list[str]]) -> None:
    roles = {
        "patient_id": "direct_identifier",
        "full_name": "direct_identifier",
        "email": "direct_identifier",
        "phone": "direct_identifier",
        "ssn": "direct_identifier",
        "date_of_birth": "quasi_identifier",
        "zip_code": "quasi_identifier",
        "sex": "quasi_identifier",
        "diagnosis": "sensitive",
    }
    t = pv.tradeoff(
        patients.select(list(roles)),
        profile=roles,
        candidates={"k": [2, 5], "l": [], "epsilon": [1.0], "synthetic": []},
        targets=40,
        progress=False,
    )
    ex = TradeoffExplorer(t)
    seen = []
    for technique in ex._technique.options:
        ex.technique = technique
        for column in t.quasi_identifiers:
            ex.column = column
            seen.append(_everything(ex))
    _assert_clean("\n".join(seen), secrets, "TradeoffExplorer")


def test_dp_widgets(patients: pl.DataFrame, secrets: dict[str, list[str]]) -> None:
    session = pdp.DPSession(patients, dataset="no-identifiers")
    try:
        session.count(by="sex", keys=["F", "M"], epsilon=0.1)
        meter = budget_meter(session)
        explorer = epsilon_explorer(session, pdp.count(by="sex", keys=["F", "M"]))
        _assert_clean(_everything(meter) + _everything(explorer), secrets, "DP widgets")
    finally:
        session.close()


def test_the_check_catches_a_leak(secrets: dict[str, list[str]]) -> None:
    """The assertion itself fails when one planted value is shown."""
    with pytest.raises(AssertionError, match="ssn"):
        _assert_clean(f"<td>{secrets['ssn'][0]}</td>", secrets, "a leaky widget")
