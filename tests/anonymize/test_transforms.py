"""Conformance of every registered transform, and known answers for the row-local ones."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from privlab.anonymize import (
    REGISTRY,
    Drop,
    Generalize,
    Mask,
    Recipe,
    Round,
    Suppress,
    TopBottomCode,
    Transform,
    build_transform,
    get_transform,
    transform_names,
)
from privlab.exceptions import (
    ColumnNotFoundError,
    HierarchyError,
    NotFittedError,
    RecipeError,
    SchemaMismatchError,
)

SECRET = b"conformance-key-\xf0\x9f\x94\x91-do-not-leak"

FRAME = pl.DataFrame(
    {
        "pid": [1, 1, 2, 3, 3, 4, 5, 6],
        "ssn": ["123-45-6789", "123-45-6789", "987-65-4321", "111-22-3333", "111-22-3333",
                "222-33-4444", None, "555-66-7777"],
        "zip": ["94107", "94107", "94110", "10001", "10001", "10002", "60601", "60614"],
        "age": [23, 23, 35, 47, 47, 59, 90, 61],
        "income": [31_000.0, 31_000.0, 52_500.0, 47_100.0, 47_100.0, 88_000.0, 250_000.0, None],
        "admit": [dt.date(2024, 1, 3), dt.date(2024, 2, 1), dt.date(2023, 12, 30),
                  dt.date(2024, 3, 31), dt.date(2024, 4, 2), dt.date(2022, 6, 15),
                  dt.date(2021, 1, 1), None],
        "note": ["mail ann@x.org now", "MRN-1234 seen", None, "ok", "MRN-1234 and bob@y.com",
                 "", "nothing", "MRN-99"],
    }
)  # fmt: skip

# One representative step per registered op (a new transform must add one here).
EXAMPLES: dict[str, dict[str, Any]] = {
    "drop": {"op": "drop", "columns": ["ssn"]},
    "keep": {"op": "keep", "columns": ["ssn"], "params": {"reason": "court order 2026-14"}},
    "suppress": {
        "op": "suppress",
        "columns": ["income"],
        "params": {"where": [{"column": "age", "op": "ge", "value": 89}]},
    },
    "mask": {"op": "mask", "columns": ["ssn"], "params": {"keep_last": 4, "keep_chars": "-"}},
    "pseudonymize": {
        "op": "pseudonymize",
        "columns": ["pid"],
        "params": {"prefix": "P-", "domain": "conformance"},
    },
    "redact_text": {
        "op": "redact_text",
        "columns": ["note"],
        "params": {
            "patterns": {"email": r"[\w.+-]+@[\w-]+\.[\w.]+", "mrn": r"MRN-\d+"},
            "use_profile_patterns": False,
            "replacement": "pseudonym",
        },
    },
    "generalize": {"op": "generalize", "columns": ["zip"], "params": {"keep_prefix": 3}},
    "top_bottom_code": {
        "op": "top_bottom_code",
        "columns": ["income"],
        "params": {"upper_quantile": 0.9},
    },
    "round": {"op": "round", "columns": ["income"], "params": {"base": 1000}},
    "date_shift": {
        "op": "date_shift",
        "columns": ["admit"],
        "params": {"subject": "pid", "max_days": 30},
    },
    "microaggregate": {"op": "microaggregate", "columns": ["age", "income"], "params": {"k": 2}},
    "add_noise": {"op": "add_noise", "columns": ["income"], "params": {"scale": 100, "seed": 3}},
}


def _fresh(op: str) -> Transform:
    return build_transform(EXAMPLES[op], key=SECRET)


def test_every_registered_transform_has_an_example() -> None:
    assert sorted(EXAMPLES) == transform_names()
    assert len({cls.name for cls in REGISTRY}) == len(REGISTRY)


@pytest.mark.parametrize("op", sorted(EXAMPLES))
class TestConformance:
    def test_params_round_trip_through_the_recipe(self, op: str) -> None:
        transform = _fresh(op)
        step = transform.to_step()
        recipe = Recipe.from_yaml(Recipe.from_dict({"steps": [step]}).to_yaml())
        assert recipe.steps[0].to_dict()["op"] == op
        assert recipe.steps[0].transform().to_step() == step
        assert type(recipe.steps[0].transform()) is get_transform(op)

    def test_lazy_equals_eager_and_type_is_kept(self, op: str) -> None:
        eager = _fresh(op).fit(FRAME).apply(FRAME)
        lazy = _fresh(op).fit(FRAME.lazy()).apply(FRAME.lazy())
        assert isinstance(eager, pl.DataFrame)
        assert isinstance(lazy, pl.LazyFrame)
        assert_frame_equal(eager, lazy.collect())

    def test_input_not_mutated(self, op: str) -> None:
        before = FRAME.clone()
        _fresh(op).fit_apply(FRAME)
        assert_frame_equal(FRAME, before)

    def test_same_seed_same_output_and_output_changes(self, op: str) -> None:
        first = _fresh(op).fit_apply(FRAME)
        assert_frame_equal(first, _fresh(op).fit_apply(FRAME))
        assert first.equals(FRAME) is get_transform(op).identity

    def test_apply_before_fit_raises(self, op: str) -> None:
        with pytest.raises(NotFittedError, match="fit"):
            _fresh(op).apply(FRAME)

    def test_missing_column_is_named(self, op: str) -> None:
        frame = FRAME.drop(EXAMPLES[op]["columns"][0])
        with pytest.raises(ColumnNotFoundError, match=EXAMPLES[op]["columns"][0]):
            _fresh(op).fit(frame)

    def test_secret_never_in_step_or_repr(self, op: str) -> None:
        transform = _fresh(op).fit(FRAME)
        text = json.dumps(transform.to_step()) + repr(transform)
        assert SECRET.decode(errors="ignore") not in text
        assert "conformance-key" not in text

    def test_name_is_a_class_constant_and_params_refuse_unknown_keys(self, op: str) -> None:
        cls = get_transform(op)
        assert cls.name == op
        with pytest.raises(RecipeError, match="no_such_param"):
            cls(EXAMPLES[op]["columns"], no_such_param=1)


# --------------------------------------------------------------------- known answers
def test_drop() -> None:
    assert Drop(["ssn", "zip"]).fit_apply(FRAME).columns == [
        "pid", "age", "income", "admit", "note",
    ]  # fmt: skip


def test_suppress_cells_and_records() -> None:
    cells = Suppress(["income"], where=[{"column": "age", "op": "ge", "value": 89}]).fit_apply(
        FRAME
    )
    assert cells["income"].to_list() == [
        31_000.0, 31_000.0, 52_500.0, 47_100.0, 47_100.0, 88_000.0, None, None,
    ]  # fmt: skip
    records = Suppress(
        scope="records",
        where=[
            {"column": "zip", "op": "in", "value": ["10001", "10002"]},
            {"column": "ssn", "op": "is_null"},
        ],
        match="any",
    ).fit_apply(FRAME)
    assert records["pid"].to_list() == [1, 1, 2, 6]


def test_suppress_conditions_on_dates_and_replacement() -> None:
    out = Suppress(
        ["zip"],
        where=[{"column": "admit", "op": "lt", "value": "2023-01-01"}],
        replacement="*",
    ).fit_apply(FRAME)
    assert out["zip"].to_list() == ["94107", "94107", "94110", "10001", "10001", "*", "*", "60614"]
    everything = Suppress(["ssn"]).fit_apply(FRAME)
    assert everything["ssn"].null_count() == FRAME.height


def test_suppress_cells_needs_columns() -> None:
    with pytest.raises(RecipeError, match="columns"):
        Suppress(where=[{"column": "age", "op": "eq", "value": 1}])


def test_mask_known_answers() -> None:
    df = pl.DataFrame({"s": ["4111222233334444", "ab", "abcdef", None, "a@b.com"]})
    assert Mask("s", keep_last=4).fit_apply(df)["s"].to_list() == [
        "************4444", "**", "**cdef", None, "***.com",
    ]  # fmt: skip
    assert Mask("s", keep_first=1, keep_last=1, mask_char="#", keep_chars="@.").fit_apply(df)[
        "s"
    ].to_list() == ["4##############4", "##", "a####f", None, "a@#.##m"]
    nums = pl.DataFrame({"n": [123456]})
    assert Mask("n", keep_first=2).fit_apply(nums)["n"].to_list() == ["12****"]


def test_mask_dollar_is_literal() -> None:
    df = pl.DataFrame({"s": ["secret"]})
    assert Mask("s", mask_char="$").fit_apply(df)["s"].to_list() == ["$$$$$$"]


def test_generalize_numeric_intervals() -> None:
    df = pl.DataFrame({"age": [0, 9, 10, 95, None], "x": [-0.5, 2.5, 7.5, 12.0, 30.0]})
    assert Generalize("age", width=10).fit_apply(df)["age"].to_list() == [
        "0-9", "0-9", "10-19", "90-99", None,
    ]  # fmt: skip
    assert Generalize("x", width=2.5).fit_apply(df)["x"].to_list()[:2] == [
        "[-2.5, 0.0)", "[2.5, 5.0)",
    ]  # fmt: skip
    assert Generalize("x", edges=[0, 2.5, 10]).fit_apply(df)["x"].to_list() == [
        "<0", "[2.5, 10)", "[2.5, 10)", ">=10", ">=10",
    ]  # fmt: skip


def test_generalize_labels_match_the_search_hierarchies() -> None:
    from privlab.anonymize import interval_hierarchy

    df = pl.DataFrame({"age": [23, 47, 90]})
    mine = Generalize("age", width=5).fit_apply(df)["age"].to_list()
    theirs = df.select(interval_hierarchy(widths=[5]).generalize_expr("age", 1))["age"].to_list()
    assert mine == theirs


def test_generalize_through_a_hierarchy(tmp_path: Path) -> None:
    (tmp_path / "sex.csv").write_text("F;person;*\nM;person;*\n")
    df = pl.DataFrame({"sex": ["F", "M", None]})
    spec = {"type": "arx_csv", "path": "sex.csv"}
    out = Generalize("sex", hierarchy=spec, level=1, base_dir=tmp_path).fit_apply(df)
    assert out["sex"].to_list() == ["person", "person", None]
    inline = {"type": "levels", "values": {"F": ["*"], "M": ["*"]}}
    assert Generalize("sex", hierarchy=inline, level=1).fit_apply(df)["sex"].to_list() == [
        "*", "*", None,
    ]  # fmt: skip
    with pytest.raises(RecipeError, match="level must be < 2"):
        Generalize("sex", hierarchy=inline, level=2)
    with pytest.raises(HierarchyError, match="does not cover"):
        Generalize("sex", hierarchy=inline, level=1).fit(pl.DataFrame({"sex": ["X"]}))
    step = {"op": "generalize", "columns": ["sex"], "params": {"hierarchy": spec, "level": 1}}
    recipe = Recipe.from_dict({"steps": [step]}, base_dir=tmp_path)
    before = recipe.id()
    (tmp_path / "sex.csv").write_text("F;human;*\nM;human;*\n")
    assert recipe.id() != before


def test_generalize_dates() -> None:
    df = pl.DataFrame({"d": [dt.date(2024, 12, 30), dt.date(2021, 1, 3)]})
    expect = {
        "week": ["2025-W01", "2020-W53"],
        "month": ["2024-12", "2021-01"],
        "quarter": ["2024-Q4", "2021-Q1"],
        "year": ["2024", "2021"],
    }
    for period, want in expect.items():
        assert Generalize("d", date=period).fit_apply(df)["d"].to_list() == want
    assert Generalize("d", date="decade").fit_apply(df)["d"].to_list() == ["2020s", "2020s"]
    ts = pl.DataFrame({"d": [dt.datetime(2024, 5, 1, 13, 0)]})
    assert Generalize("d", date="month").fit_apply(ts)["d"].to_list() == ["2024-05"]


def test_generalize_prefix_and_validation() -> None:
    df = pl.DataFrame({"zip": ["94107", "941", None], "n": [94107, 1, 2]})
    assert Generalize("zip", keep_prefix=3).fit_apply(df)["zip"].to_list() == [
        "941**", "941", None,
    ]  # fmt: skip
    assert Generalize("n", keep_prefix=2).fit_apply(df)["n"].to_list() == ["94***", "1", "2"]
    with pytest.raises(RecipeError, match="exactly one"):
        Generalize("zip", keep_prefix=3, width=5)
    with pytest.raises(RecipeError, match="strictly increasing"):
        Generalize("n", edges=[5, 5])
    with pytest.raises(SchemaMismatchError, match="numbers"):
        Generalize("zip", width=5).fit(df)
    with pytest.raises(SchemaMismatchError, match="dates"):
        Generalize("n", date="year").fit(df)


def test_top_bottom_code() -> None:
    df = pl.DataFrame({"a": [1, 5, 10, 100], "f": [0.5, 1.5, 2.5, 99.0]})
    assert TopBottomCode("a", lower=2, upper=50).fit_apply(df)["a"].to_list() == [2, 5, 10, 50]
    out = TopBottomCode(["a", "f"], upper_quantile=0.5, lower_quantile=0.25).fit_apply(df)
    assert out["a"].dtype == pl.Int64
    assert out["a"].to_list() == [5, 5, 10, 10]
    assert out["f"].to_list() == [1.5, 1.5, 2.5, 2.5]
    with pytest.raises(RecipeError, match="at least one"):
        TopBottomCode("a")
    with pytest.raises(RecipeError, match="not both"):
        TopBottomCode("a", upper=3, upper_quantile=0.9)


def test_round() -> None:
    df = pl.DataFrame({"i": [12, 15, -15, 17], "f": [1.25, 1.35, -1.25, 2.0]})
    assert Round("i", base=5).fit_apply(df)["i"].to_list() == [10, 15, -15, 15]
    assert Round("i", base=10).fit_apply(df)["i"].to_list() == [10, 20, -20, 20]
    assert Round("i", base=10, mode="down").fit_apply(df)["i"].to_list() == [10, 10, -20, 10]
    assert Round("i", base=10, mode="up").fit_apply(df)["i"].to_list() == [20, 20, -10, 20]
    assert Round("f", digits=0).fit_apply(df)["f"].to_list() == [1.0, 1.0, -1.0, 2.0]
    assert Round("f", base=0.5).fit_apply(df)["f"].to_list() == [1.5, 1.5, -1.5, 2.0]
    with pytest.raises(RecipeError, match="exactly one"):
        Round("f")


def test_invalid_params_report_every_problem() -> None:
    with pytest.raises(RecipeError) as info:
        Mask("s", keep_first=-1, keep_last=-2, mask_char="**", nope=1)
    assert len(info.value.errors) == 4
    assert "params.keep_first: must be >= 0, got -1" in info.value.errors
    assert any("did you mean" in e or "unknown field" in e for e in info.value.errors)


def test_unknown_op_lists_registered_ops() -> None:
    with pytest.raises(RecipeError, match="registered ops are"):
        get_transform("encrypt")
