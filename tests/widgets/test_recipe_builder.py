"""RecipeBuilder, headless: set widget values, read the recipe, readout and charts."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest

import privlab as pv
from privlab.hierarchy import suggest
from privlab.widgets import RecipeBuilder
from privlab.widgets._recipe_builder import build_recipe

KEY = "widget-test-key-0123456789"


def _data(n: int = 80) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "pid": [f"p{i}" for i in range(n)],
            "name": [f"N{i}" for i in range(n)],
            "age": [20 + (i * 7) % 60 for i in range(n)],
            "zip": [f"{94100 + (i * 11) % 60}" for i in range(n)],
            "dx": ["flu", "cold", "asthma", "copd"] * (n // 4),
        }
    )


def test_builder_uses_the_one_suggester() -> None:
    """RecipeBuilder's starting hierarchies are privlab.hierarchy.suggest's (tradeoff's levels)."""
    data = _data()
    builder = RecipeBuilder(data, key=KEY)
    for column in ("age", "zip"):
        assert builder.hierarchies[column] == suggest(data[column]).to_spec()
    assert builder.hierarchies["age"] == {"type": "interval", "widths": [5, 10, 20, 40]}
    assert builder.hierarchies["zip"] == {"type": "prefix", "keep": [4, 3, 2, 1]}


def test_build_recipe_roles() -> None:
    recipe = build_recipe(
        {"pid": "pseudonymize", "name": "drop", "ssn": "mask", "age": "quasi-identifier",
         "dx": "sensitive", "x": "keep"},
        hierarchies={"age": {"type": "interval", "widths": [10]}},
        k=4, l=2, l_variant="recursive", t=0.5, max_suppression=0.1,
    )  # fmt: skip
    assert [s.op for s in recipe.steps] == ["drop", "pseudonymize", "mask"]
    assert recipe.privacy is not None
    assert recipe.privacy.l is not None
    assert (recipe.privacy.l.variant, recipe.privacy.l.c) == ("recursive", 3.0)
    assert recipe.privacy.t is not None
    assert recipe.privacy.t.t == 0.5
    assert build_recipe({"a": "keep"}, hierarchies={}).privacy is None


def test_controls_drive_the_recipe_and_the_readout() -> None:
    b = RecipeBuilder(_data(), key=KEY)
    assert b.figures is not None
    assert b.figures["k"] is None  # nothing chosen yet
    b.roles["name"].value = "drop"
    b.roles["pid"].value = "pseudonymize"
    b.roles["age"].value = "quasi-identifier"
    b.roles["zip"].value = "quasi-identifier"
    b.roles["dx"].value = "sensitive"
    b.k.value = 4
    b.l.value = 2
    assert b.figures is not None
    assert b.figures["k"] >= 4
    assert b.figures["l_distinct"] >= 2
    assert "<b>k</b>" in b.readout.value
    assert b.last_charts is not None
    assert b.last_charts[0].to_dict()["encoding"]["x"]["field"] == "size"
    recipe = b.recipe
    assert recipe.privacy is not None
    assert recipe.privacy.quasi_identifiers == ["age", "zip"]
    assert recipe.privacy.k == 4
    # the recipe the widget hands back anonymizes the full data the same way
    release = pv.anonymize(_data(), recipe, key=KEY)
    assert release.report.privacy is not None
    assert release.report.privacy["met"]
    assert "name" not in release.frame.columns


def test_unreachable_target_is_shown_not_raised() -> None:
    b = RecipeBuilder(_data(), live=False)
    b.roles["age"].value = "quasi-identifier"
    b.roles["dx"].value = "sensitive"
    b.l.value = 9
    assert b.refresh() is None
    assert b.release is None
    assert b.error is not None
    assert "not met" in b.readout.value


def test_preset_from_recipe_and_state() -> None:
    recipe = pv.Recipe.from_dict(
        {
            "steps": [{"op": "drop", "columns": ["name"]}],
            "privacy": {
                "quasi_identifiers": ["age"],
                "hierarchies": {"age": {"type": "interval", "widths": [10, 20]}},
                "k": 3,
                "t": {"column": "dx", "t": 0.4},
                "max_suppression": 0.05,
            },
        }
    )
    b = RecipeBuilder(_data(), recipe=recipe, live=False)
    assert b.roles["name"].value == "drop"
    assert b.roles["dx"].value == "sensitive"
    assert b.t.value == pytest.approx(0.4)
    assert b.recipe.privacy.hierarchies["age"] == {"type": "interval", "widths": [10, 20]}
    assert b.k.get_state()["value"] == 3


def test_importing_privlab_does_not_import_widgets() -> None:
    code = (
        "import sys, privlab; privlab.anonymize; "
        "print('ipywidgets' in sys.modules, 'altair' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
