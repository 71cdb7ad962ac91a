"""Recipe validation, serialization, identity, migration and JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from privlab.anonymize import Recipe
from privlab.anonymize import _recipe as recipe_module
from privlab.exceptions import RecipeError

YAML = """
recipe_version: 1
name: patients-for-research
steps:
  - {op: drop, columns: [ssn]}
  - {op: pseudonymize, columns: [patient_id], params: {prefix: "P-", domain: research}}
  - op: suppress
    columns: [income]
    params:
      where: [{column: admit, op: lt, value: 2020-01-01}]
privacy:
  quasi_identifiers: [age, zip]
  hierarchies:
    age: {type: interval, widths: [5, 10]}
    zip: {type: prefix, keep: [4, 3]}
  k: 5
  l: {column: diagnosis, l: 2}
  max_suppression: 0.05
"""


def _errors(data: dict[str, Any]) -> list[str]:
    with pytest.raises(RecipeError) as info:
        Recipe.from_dict(data)
    return info.value.errors


def test_yaml_round_trip_and_defaults_left_out() -> None:
    recipe = Recipe.from_yaml(YAML)
    assert recipe.name == "patients-for-research"
    assert recipe.privacy is not None
    assert recipe.privacy.k == 5
    assert recipe.privacy.l is not None
    assert recipe.privacy.l.variant == "distinct"
    again = Recipe.from_yaml(recipe.to_yaml())
    assert again.to_dict() == recipe.to_dict()
    assert again.id() == recipe.id()
    assert recipe.to_dict()["steps"][0] == {"op": "drop", "columns": ["ssn"]}
    # yaml dates become ISO strings in the canonical form
    assert recipe.to_dict()["steps"][2]["params"]["where"][0]["value"] == "2020-01-01"


def test_id_ignores_spelling_of_defaults_but_not_content() -> None:
    base = {"steps": [{"op": "mask", "columns": ["a"], "params": {"keep_last": 4}}]}
    explicit = {
        "recipe_version": 1,
        "steps": [{"op": "mask", "columns": "a", "params": {"keep_last": 4, "keep_first": 0}}],
    }
    assert Recipe.from_dict(base).id() == Recipe.from_dict(explicit).id()
    changed = {"steps": [{"op": "mask", "columns": ["a"], "params": {"keep_last": 3}}]}
    assert Recipe.from_dict(changed).id() != Recipe.from_dict(base).id()


def test_every_error_is_reported_with_its_path() -> None:
    errors = _errors(
        {
            "recipe_versio": 1,
            "steps": [
                {"op": "drop"},
                {"op": "encrypt", "columns": ["a"]},
                {"op": "mask", "columns": ["x"], "params": {"keep_first": -1, "keep_frist": 2}},
                {"op": "add_noise", "columns": ["x"], "params": {"scale": 1}},
            ],
        }
    )
    assert errors == [
        "steps[0].columns: must list at least one column",
        "steps[1]: unknown op 'encrypt'; registered ops are ['add_noise', 'date_shift', "
        "'drop', 'generalize', 'keep', 'mask', 'microaggregate', 'pseudonymize', 'redact_text', "
        "'round', 'suppress', 'top_bottom_code']",
        "steps[2].params.keep_first: must be >= 0, got -1",
        "steps[2].params.keep_frist: unknown field; allowed fields are ['keep_chars', "
        "'keep_first', 'keep_last', 'mask_char'] — did you mean 'keep_first'?",
        "steps[3].params.seed: is required",
        "recipe_versio: unknown field; allowed fields are ['name', 'privacy', "
        "'recipe_version', 'steps'] — did you mean 'recipe_version'?",
    ]


def test_privacy_section_errors_are_all_reported() -> None:
    errors = _errors(
        {
            "privacy": {
                "quasi_identifiers": ["age", "zip", "age"],
                "hierarchies": {"age": {"type": "intervall"}, "sex": {"type": "suppress"}},
                "l": {"column": "zip", "l": 2},
            }
        }
    )
    assert "privacy.quasi_identifiers: listed twice: ['age']" in errors
    assert any(e.startswith("privacy.hierarchies.zip: quasi-identifier 'zip'") for e in errors)
    assert any(e.startswith("privacy.hierarchies.sex: 'sex' is not") for e in errors)
    assert any(e.startswith("privacy.hierarchies.age.type: must be one of") for e in errors)
    assert any(e.startswith("privacy.l.column:") for e in errors)
    assert len(errors) == 5


def test_targets_required_and_ranges_checked() -> None:
    errors = _errors(
        {
            "privacy": {
                "quasi_identifiers": ["a"],
                "hierarchies": {"a": {"type": "suppress"}},
                "k": 1,
                "max_suppression": 1.5,
                "t": {"column": "s", "t": 0},
            }
        }
    )
    assert errors == [
        "privacy.k: must be >= 2, got 1",
        "privacy.t.t: must be > 0, got 0",
        "privacy.max_suppression: must be <= 1, got 1.5",
    ]
    assert _errors(
        {"privacy": {"quasi_identifiers": ["a"], "hierarchies": {"a": {"type": "suppress"}}}}
    ) == ["privacy.k: give at least one privacy target (k, l or t)"]
    assert _errors(
        {"privacy": {"quasi_identifiers": ["a"], "hierarchies": {"a": {"type": "suppress"}},
                     "l": {"column": "s", "l": 2, "variant": "recursive"}}}
    ) == ["privacy.l: recursive (c,ℓ)-diversity needs `c` > 0, got None"]  # fmt: skip


def test_using_a_dropped_column_is_an_error() -> None:
    errors = _errors(
        {
            "steps": [
                {"op": "drop", "columns": ["pid"]},
                {"op": "date_shift", "columns": ["d"], "params": {"subject": "pid", "max_days": 3}},
            ]
        }
    )
    assert errors == ["steps[1].columns: 'pid' was dropped by steps[0]"]


def test_yaml_and_shape_errors() -> None:
    with pytest.raises(RecipeError, match="not valid YAML"):
        Recipe.from_yaml("steps: [unclosed")
    with pytest.raises(RecipeError, match="must be a mapping"):
        Recipe.from_yaml("- just a list")
    assert Recipe.from_yaml("").steps == []


def test_newer_version_is_an_error_and_older_ones_migrate(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _errors({"recipe_version": 2}) == [
        "recipe_version: recipe_version 2 is newer than this privlab understands (1); "
        "upgrade privlab"
    ]

    def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        # e.g. a hypothetical rename of `name` to `title` ... kept as `name` here
        return {**data, "name": f"migrated:{data.get('name')}"}

    monkeypatch.setattr(recipe_module, "CURRENT_RECIPE_VERSION", 2)
    monkeypatch.setitem(recipe_module._MIGRATIONS, 1, v1_to_v2)
    original = {"recipe_version": 1, "name": "old"}
    migrated = recipe_module.migrate_recipe(original)
    assert migrated == {"recipe_version": 2, "name": "migrated:old"}
    assert original == {"recipe_version": 1, "name": "old"}  # pure: input untouched


def test_json_schema_lists_every_op_with_its_params() -> None:
    schema = Recipe.json_schema()
    text = json.dumps(schema)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["additionalProperties"] is False
    for op in ("mask", "pseudonymize", "generalize", "date_shift", "add_noise"):
        assert f'"const": "{op}"' in text
    mask = schema["$defs"]["MaskParams"]
    assert mask["properties"]["keep_first"]["minimum"] == 0
    assert mask["additionalProperties"] is False
    assert "key" not in {p for d in schema["$defs"].values() for p in d.get("properties", {})}


def test_id_changes_when_a_hierarchy_file_changes(tmp_path: Path) -> None:
    (tmp_path / "edu.csv").write_text("Bachelors;Higher;*\nHS-grad;Secondary;*\n")
    path = tmp_path / "recipe.yaml"
    path.write_text(
        "privacy:\n"
        "  quasi_identifiers: [education]\n"
        "  hierarchies: {education: {type: arx_csv, path: edu.csv}}\n"
        "  k: 2\n"
    )
    before = Recipe.from_yaml(path).id()
    assert Recipe.from_yaml(path).id() == before
    (tmp_path / "edu.csv").write_text("Bachelors;Tertiary;*\nHS-grad;Secondary;*\n")
    assert Recipe.from_yaml(path).id() != before
    (tmp_path / "edu.csv").unlink()
    with pytest.raises(RecipeError, match="cannot be read"):
        Recipe.from_yaml(path).id()


def test_resolve_and_unresolve() -> None:
    recipe = Recipe.from_yaml(YAML)
    resolved = recipe.resolve({"age": 1, "zip": 2})
    assert resolved.is_resolved
    assert not recipe.is_resolved
    assert resolved.to_dict()["privacy"]["resolved"] == {"levels": {"age": 1, "zip": 2}}
    assert resolved.id() != recipe.id()
    assert resolved.unresolved().id() == recipe.id()
    with pytest.raises(RecipeError, match="exactly the quasi-identifiers"):
        recipe.resolve({"age": 1})
