"""RecipeBuilder, headless: set widget values, read the recipe, readout and charts."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import privlab as pv
from privlab.exceptions import RecipeError
from privlab.hierarchy import suggest
from privlab.widgets import RecipeBuilder
from privlab.widgets._recipe_builder import build_recipe, compose_recipe, plan_roles, verdict

KEY = "widget-test-key-0123456789"
ROOT = Path(__file__).resolve().parents[2]


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
    assert b.k.disabled  # targets need a quasi-identifier
    assert b.l.disabled
    b.roles["name"].value = "drop"
    b.roles["pid"].value = "pseudonymize"
    b.roles["age"].value = "quasi-identifier"
    b.roles["zip"].value = "quasi-identifier"
    assert not b.k.disabled  # ℓ and t need a sensitive column
    assert b.l.disabled
    b.roles["dx"].value = "sensitive"
    assert not b.l.disabled  # c applies to recursive ℓ only
    assert b.c.disabled
    b.k.value = 2
    b.l.value = 2
    b.t.value = 0.5
    assert b.figures is not None
    assert b.figures["k"] >= 2
    assert b.figures["l_distinct"] >= 2
    assert b.figures["verdict"] == "met"
    readout = b.readout.value
    for text in ("k (smallest class)", "ℓ (distinct)", "t (closeness)", "≥ 2", "≤ 0.5"):
        assert text in readout
    assert "Preview of: 2 quasi-identifier(s) · k ≥ 2 · ℓ ≥ 2 (distinct, dx)" in readout
    assert b.last_charts is not None
    sizes, risk = (c.to_dict() for c in b.last_charts)
    assert sizes["encoding"]["x"]["field"] == "size"
    assert risk["layer"][1]["data"]["values"][0]["threshold"] == pytest.approx(1 / 2)
    assert b.chart_widgets[0].spec == sizes  # the charts the widget shows
    recipe = b.recipe
    assert recipe.privacy is not None
    assert recipe.privacy.quasi_identifiers == ["age", "zip"]
    assert recipe.privacy.k == 2
    # the recipe the widget hands back anonymizes the full data the same way
    release = pv.anonymize(_data(), recipe, key=KEY)
    assert release.report.privacy is not None
    assert release.report.privacy["met"]
    assert "name" not in release.frame.columns
    b.l_variant.value = "recursive"
    assert not b.c.disabled
    b.k.value = 4  # all zips start 941: k=4 is met by generalizing zip to one value
    assert b.figures["verdict"] == "met only by suppressing whole columns"
    assert "no information left in: zip" in b.readout.value


def test_unreachable_target_is_shown_not_raised() -> None:
    b = RecipeBuilder(_data(), live=False)
    b.roles["age"].value = "quasi-identifier"
    b.roles["dx"].value = "sensitive"
    b.l.value = 9
    assert b.refresh() is None
    assert b.release is None
    assert b.error is not None
    assert "not met" in b.readout.value
    assert all(w.spec is None for w in b.chart_widgets)


def test_target_met_only_by_full_suppression_is_flagged() -> None:
    """k = 50 at 0 % suppression on 80 rows is met only by generalizing zip to '*'."""
    b = RecipeBuilder(_data(), live=False)
    b.roles["zip"].value = "quasi-identifier"
    b.k.value = 50
    b.max_suppression.value = 0.0
    figures = b.refresh()
    assert figures is not None
    assert figures["verdict"] == "met only by suppressing whole columns"
    assert figures["whole_columns"] == ["zip"]
    assert "no information left in: zip" in b.readout.value
    b.k.value = 2
    assert b.refresh()["verdict"] == "met"


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
    state = b.k.get_state()
    assert state["_options_labels"][state["index"]] == "3"
    assert b.recipe == recipe


NOTEBOOK_02 = r"""
recipe_version: 1
name: patients-for-research
steps:
  - {op: drop, columns: [full_name, email, phone, ssn, city]}
  - op: date_shift
    columns: [admission_date, discharge_date]
    params: {subject: patient_id, max_days: 30, domain: research}
  - {op: pseudonymize, columns: [patient_id], params: {prefix: "P-", domain: research}}
  - op: redact_text
    columns: [notes]
    params:
      use_profile_patterns: false
      patterns:
        email: '[\w.+-]+@[\w-]+\.[\w.]+'
privacy:
  quasi_identifiers: [date_of_birth, sex, zip_code]
  hierarchies:
    date_of_birth: {type: date, levels: [month, year, decade]}
    sex: {type: suppress}
    zip_code: {type: prefix, keep: [4, 3, 2]}
  k: 5
  l: {column: diagnosis, l: 2}
  max_suppression: 0.05
"""


def test_notebook_02_recipe_keeps_every_step() -> None:
    """The issue's case: date shifts and redaction used to vanish from builder.recipe."""
    patients = pv.read(ROOT / "data_samples" / "patients.csv").collect().head(600)
    recipe = pv.Recipe.from_yaml(NOTEBOOK_02)
    b = RecipeBuilder(patients, recipe=recipe, key=KEY, live=False)
    assert b.recipe == recipe
    assert "date_shift" in b.kept_steps.value
    assert "redact_text" in b.kept_steps.value
    b.roles["insurance_plan"].value = "drop"  # an edit keeps every other step in place
    b.roles["city"].value = "keep"
    ops = [(s.op, s.columns) for s in b.recipe.steps]
    assert ops == [
        ("drop", ["full_name", "email", "phone", "ssn", "insurance_plan"]),
        ("date_shift", ["admission_date", "discharge_date"]),
        ("pseudonymize", ["patient_id"]),
        ("redact_text", ["notes"]),
    ]
    b.roles["patient_id"].value = "mask"  # moves from the pseudonymize step to a new mask step
    assert [s.op for s in b.recipe.steps] == ["drop", "date_shift", "redact_text", "mask"]
    figures = b.refresh()
    assert figures is not None, b.error
    assert figures["verdict"] == "met"


def test_export_recipe_and_charts(tmp_path: Path) -> None:
    b = RecipeBuilder(_data(), key=KEY, live=False)
    b.roles["age"].value = "quasi-identifier"
    with pytest.raises(ValueError, match="no charts to save"):
        b.save_charts("png", tmp_path)
    b.refresh()
    path = b.save_recipe(tmp_path / "r.yaml")
    assert pv.Recipe.from_yaml(path).to_dict() == b.recipe.to_dict()
    pngs = b.save_charts("png", tmp_path)
    assert [p.name for p in pngs] == ["recipe-class-sizes.png", "recipe-risk.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)
    assert "<svg" in b.save_charts("svg", tmp_path)[0].read_text()
    b._ui_save(b.save_recipe, str(tmp_path / "missing-dir" / "r.yaml"))
    assert "not saved" in b.saved.value


def test_progress_events_and_cancel() -> None:
    """Progress arrives through the reporter's callback; Cancel stops the preview."""
    seen: list[tuple[str, int, int]] = []
    b = RecipeBuilder(_data(), live=False, callback=lambda *e: seen.append(e))
    b.roles["age"].value = "quasi-identifier"
    assert b.refresh() is not None
    assert [s for s, _d, _t in seen] == ["search", "measure", "done"]
    assert seen[-1][1:] == (2, 2)
    assert "k ≥ 5" in b.status.value  # what is on screen is labelled by its settings

    seen.clear()
    b.job.forward = lambda *e: b.job.cancel()  # press Cancel at the first event
    assert b.refresh() is None
    assert "cancelled" in b.status.value
    assert b.cancel.disabled  # only enabled while a preview runs


def test_importing_privlab_does_not_import_widgets() -> None:
    code = (
        "import sys, privlab; privlab.anonymize; "
        "print('ipywidgets' in sys.modules, 'altair' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


# -- property: RecipeBuilder(data, recipe=r).recipe == r ---------------------------------

FRAME = pl.DataFrame(
    {
        "pid": [1, 2, 3, 4] * 5,
        "ssn": [f"123-45-{i:04d}" for i in range(20)],
        "zip": ["94107", "94110", "10001", "10002"] * 5,
        "age": [23, 35, 47, 59, 90] * 4,
        "sex": ["F", "M"] * 10,
        "income": [31_000.0, 52_500.0, 47_100.0, 88_000.0] * 5,
        "admit": [dt.date(2024, 1, 1) + dt.timedelta(days=7 * i) for i in range(20)],
        "note": ["mail ann@x.org", "MRN-1234 seen", "ok", "MRN-99"] * 5,
        "dx": ["a", "b", "c", "d"] * 5,
    }
)
ANY = [*FRAME.columns, "not_in_data"]


def _step(op: str, draw: Any) -> dict[str, Any]:
    cols = st.lists(st.sampled_from(ANY), min_size=1, max_size=3, unique=True)
    one = st.sampled_from(ANY).map(lambda c: [c])
    if op == "drop":
        return {"op": op, "columns": draw(cols)}
    if op == "mask":
        return {"op": op, "columns": draw(cols), "params": {"keep_last": draw(st.integers(0, 4))}}
    if op == "pseudonymize":
        params = draw(st.sampled_from([{}, {"prefix": "P-"}, {"prefix": "X", "domain": "d"}]))
        return {"op": op, "columns": draw(cols), "params": params}
    return {
        "suppress": {"op": "suppress", "columns": draw(one),
                     "params": {"where": [{"column": "age", "op": "ge", "value": 89}]}},
        "redact_text": {"op": "redact_text", "columns": ["note"],
                        "params": {"patterns": {"mrn": r"MRN-\d+"}, "use_profile_patterns": False}},
        "generalize": {"op": "generalize", "columns": ["zip"], "params": {"keep_prefix": 3}},
        "top_bottom_code": {"op": "top_bottom_code", "columns": ["income"],
                            "params": {"upper_quantile": 0.9}},
        "round": {"op": "round", "columns": ["income"], "params": {"base": 1000}},
        "date_shift": {"op": "date_shift", "columns": ["admit"],
                       "params": {"subject": "pid", "max_days": draw(st.integers(1, 90))}},
        "microaggregate": {"op": "microaggregate", "columns": ["age", "income"],
                           "params": {"k": 2}},
        "add_noise": {"op": "add_noise", "columns": ["income"],
                      "params": {"scale": 100, "seed": draw(st.integers(0, 9))}},
    }[op]  # fmt: skip


HIERARCHIES = {
    "age": {"type": "interval", "widths": [5, 10]},
    "zip": {"type": "prefix", "keep": [3]},
    "sex": {"type": "suppress"},
    "admit": {"type": "date", "levels": ["month", "year"]},
    "elsewhere": {"type": "suppress"},
}


@st.composite
def recipes(draw: Any) -> pv.Recipe:
    ops = ["drop", "mask", "pseudonymize", "suppress", "redact_text", "generalize",
           "top_bottom_code", "round", "date_shift", "microaggregate", "add_noise"]  # fmt: skip
    data: dict[str, Any] = {
        "steps": [_step(op, draw) for op in draw(st.lists(st.sampled_from(ops), max_size=6))]
    }
    if draw(st.booleans()):
        data["name"] = draw(st.sampled_from(["r", "patients-for-research"]))
    if draw(st.booleans()):
        qis = draw(st.lists(st.sampled_from(list(HIERARCHIES)), min_size=1, unique=True))
        privacy: dict[str, Any] = {
            "quasi_identifiers": qis,
            "hierarchies": {q: HIERARCHIES[q] for q in qis},
            "max_suppression": draw(st.sampled_from([0.0, 0.02, 0.05, 0.037, 0.75])),
        }
        if draw(st.booleans()):
            privacy["suppression"] = draw(st.sampled_from(["mask", "drop"]))
        if draw(st.booleans()):
            privacy["k"] = draw(st.sampled_from([2, 5, 11, 73, 200]))
        sensitive = draw(st.sampled_from(["dx", "income"]))
        if draw(st.booleans()):
            variant = draw(st.sampled_from(["distinct", "entropy", "recursive"]))
            l_value = draw(st.sampled_from([2, 3, 12])) if variant != "entropy" else 2.5
            privacy["l"] = {"column": sensitive, "l": l_value, "variant": variant}
            if variant == "recursive":
                privacy["l"]["c"] = draw(st.sampled_from([0.5, 3.0]))
        if draw(st.booleans()):
            privacy["t"] = {"column": draw(st.sampled_from(["dx", "income"])),
                            "t": draw(st.sampled_from([0.05, 0.2, 0.33, 1.0]))}  # fmt: skip
            if draw(st.booleans()):
                privacy["t"]["ordered"] = draw(st.booleans())
        if draw(st.booleans()):
            privacy["resolved"] = {"levels": dict.fromkeys(qis, 1)}
        data["privacy"] = privacy
    try:
        return pv.Recipe.from_dict(data)
    except RecipeError:
        assume(False)
        raise


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(recipe=recipes())
def test_any_recipe_round_trips(recipe: pv.Recipe) -> None:
    """Nothing the builder cannot edit is dropped: unchanged controls give back the recipe."""
    builder = RecipeBuilder(FRAME, recipe=recipe, live=False)
    assert builder.recipe == recipe
    assert builder.recipe.to_yaml() == recipe.to_yaml()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(recipe=recipes(), column=st.sampled_from(FRAME.columns), role=st.sampled_from(
    ["keep", "drop", "pseudonymize", "mask"]))  # fmt: skip
def test_an_edit_changes_only_that_column(recipe: pv.Recipe, column: str, role: str) -> None:
    """Giving one column a new role never loses another column's step or target."""
    plan = plan_roles(recipe, FRAME.columns)
    assume(column not in plan.locked)
    roles = {**plan.roles, column: role}
    try:
        edited = compose_recipe(
            recipe, roles, editable=plan.editable, hierarchies=HIERARCHIES,
            k=recipe.privacy.k if recipe.privacy else None,
            l=recipe.privacy.l.l if recipe.privacy and recipe.privacy.l else None,
            l_variant=(
                recipe.privacy.l.variant if recipe.privacy and recipe.privacy.l else "distinct"
            ),
            c=recipe.privacy.l.c if recipe.privacy and recipe.privacy.l else None,
            t=recipe.privacy.t.t if recipe.privacy and recipe.privacy.t else None,
            max_suppression=recipe.privacy.max_suppression if recipe.privacy else 0.0,
        )  # fmt: skip
    except RecipeError:
        return  # e.g. dropping a column a later step reads: shown as invalid, nothing lost
    kept_before = [s.to_dict() for i, s in enumerate(recipe.steps) if i not in plan.editable]
    kept_after = [s.to_dict() for s in edited.steps]
    assert all(step in kept_after for step in kept_before)
    for other, other_role in plan.roles.items():
        if other != column and other_role in ("drop", "pseudonymize", "mask"):
            assert any(s.op == other_role and other in s.columns for s in edited.steps)
    if role in ("drop", "pseudonymize", "mask"):
        assert any(s.op == role and column in s.columns for s in edited.steps)


def test_verdict_of_a_failed_release_is_not_met() -> None:
    class _Report:
        privacy: ClassVar[dict[str, bool]] = {"met": False}

    class _Release:
        report = _Report()
        frame = _data()

    assert verdict(_Release(), _data()) == ("not met", [])
