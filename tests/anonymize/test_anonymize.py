"""pv.anonymize end to end: types, verification, resolved recipes, manifest, writing."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import privlab as pv
import privlab.exceptions as pv_errors
from privlab.anonymize import Recipe
from privlab.exceptions import (
    ColumnNotFoundError,
    MissingSecretError,
    OverwriteSourceError,
    PrivacyTargetError,
)
from privlab.governance import PolicyWarning

KEY = "anonymize-test-key-0123456789"
PLANTED_KEY = "PLANTED-SECRET-KEY-q8Zr71xWv"
PLANTED_VALUE = "Zebulon Quixote-Marchetti"


def _people(n: int = 60) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "pid": [f"id{i:03d}" for i in range(n)],
            "name": [f"Person {i}" for i in range(n)],
            "age": [20 + (i * 7) % 50 for i in range(n)],
            "sex": ["F" if i % 3 else "M" for i in range(n)],
            "zip": [f"94{(i * 13) % 40:03d}" for i in range(n)],
            "dx": ["flu", "cold", "asthma", "flu", "diabetes"] * (n // 5),
        }
    )


PRIVACY: dict[str, Any] = {
    "quasi_identifiers": ["age", "sex", "zip"],
    "hierarchies": {
        "age": {"type": "interval", "widths": [5, 10, 20]},
        "sex": {"type": "suppress"},
        "zip": {"type": "prefix", "keep": [4, 3, 2]},
    },
    "k": 4,
    "l": {"column": "dx", "l": 2},
    "max_suppression": 0.1,
}
RECIPE: dict[str, Any] = {
    "name": "people",
    "steps": [
        {"op": "drop", "columns": ["name"]},
        {"op": "pseudonymize", "columns": ["pid"], "params": {"prefix": "P-"}},
    ],
    "privacy": PRIVACY,
}


def _check_released(frame: pl.DataFrame, privacy: dict[str, Any], suppressed: int) -> None:
    """Check the targets independently; in mask mode suppressed records (all QIs '*') are
    left out, as the release's verification does (a fully generalized record looks the
    same, hence the count)."""
    qis = privacy["quasi_identifiers"]
    kept = frame
    if privacy.get("suppression", "drop") == "mask" and suppressed:
        kept = frame.filter(~pl.all_horizontal([pl.col(q).cast(pl.String) == "*" for q in qis]))
        assert kept.height == frame.height - suppressed
    risk = pv.assess_risk(kept, qis, sensitive=privacy.get("l", {}).get("column"))
    if "k" in privacy:
        assert risk.k >= privacy["k"]
    if "l" in privacy:
        assert risk.l is not None
        assert risk.l["distinct"] >= privacy["l"]["l"]
    if "t" in privacy:
        t = pv.assess_risk(kept, qis, sensitive=privacy["t"]["column"]).t
        assert t is not None
        assert t <= privacy["t"]["t"] + 1e-9


# ------------------------------------------------------------------------------ types
def test_polars_eager_lazy_pandas_and_path_round_trip(tmp_path: Path) -> None:
    df = _people()
    eager = pv.anonymize(df, RECIPE, key=KEY)
    assert isinstance(eager.data, pl.DataFrame)
    lazy = pv.anonymize(df.lazy(), RECIPE, key=KEY)
    assert isinstance(lazy.data, pl.LazyFrame)
    assert_frame_equal(lazy.data.collect(), eager.data)
    pdf = df.to_pandas()
    before = pdf.copy()
    from_pandas = pv.anonymize(pdf, RECIPE, key=KEY)
    assert isinstance(from_pandas.data, pd.DataFrame)
    pd.testing.assert_frame_equal(pdf, before)
    assert_frame_equal(pl.from_pandas(from_pandas.data), eager.data)
    path = tmp_path / "people.csv"
    df.write_csv(path)
    from_path = pv.anonymize(path, RECIPE, key=KEY)
    assert isinstance(from_path.data, pl.LazyFrame)
    assert from_path.manifest["input_fingerprint"]["rows"] == 60  # CSV reads zip as numbers


def test_input_is_not_mutated() -> None:
    df = _people()
    before = df.clone()
    pv.anonymize(df, RECIPE, key=KEY)
    assert_frame_equal(df, before)


def test_steps_only_recipe() -> None:
    release = pv.anonymize(_people(), {"steps": [{"op": "drop", "columns": ["name", "pid"]}]})
    assert release.report.privacy is None
    assert release.report.risk is None
    assert release.search_result is None
    assert release.frame.columns == ["age", "sex", "zip", "dx"]
    assert release.resolved_recipe.id() == release.manifest["recipe_id"]


def test_missing_key_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRIVLAB_PSEUDONYM_KEY", raising=False)
    with pytest.raises(MissingSecretError):
        pv.anonymize(_people(), RECIPE)
    monkeypatch.setenv("PRIVLAB_PSEUDONYM_KEY", KEY)
    assert pv.anonymize(_people(), RECIPE).manifest["keys"] == [
        {"step": 1, "op": "pseudonymize", "key_source": "env", "key_env": "PRIVLAB_PSEUDONYM_KEY"}
    ]


# ---------------------------------------------------------------------- verification
def test_privacy_targets_are_met_and_verified() -> None:
    release = pv.anonymize(_people(), RECIPE, key=KEY)
    privacy = release.report.privacy
    assert privacy is not None
    assert privacy["met"] is True
    assert privacy["verified_on"] == "released data"
    assert privacy["achieved"]["k"] >= 4
    assert privacy["achieved"]["l"]["distinct"] >= 2
    assert privacy["suppressed"] == 60 - release.frame.height
    _check_released(release.frame, PRIVACY, privacy["suppressed"])
    assert release.report.utility is not None
    assert 0 <= release.report.utility.loss <= 1  # type: ignore[operator]
    assert release.report.risk is not None
    assert release.report.risk.k == privacy["achieved"]["k"]


def test_mask_mode_keeps_rows_and_reports_the_suppressed_class() -> None:
    recipe = {**RECIPE, "privacy": {**PRIVACY, "suppression": "mask", "k": 3}}
    release = pv.anonymize(_people(), recipe, key=KEY)
    privacy = release.report.privacy
    assert privacy is not None
    assert release.frame.height == 60
    starred = release.frame.filter(pl.col("age") == "*")
    assert starred.height == privacy["suppressed"]
    if privacy["suppressed"]:
        assert "k_including_suppressed" in privacy
    _check_released(release.frame, recipe["privacy"], privacy["suppressed"])


def test_unreachable_target_raises_with_reason() -> None:
    recipe = {**RECIPE, "privacy": {**PRIVACY, "l": {"column": "dx", "l": 6}}}
    with pytest.raises(PrivacyTargetError, match="no generalization") as info:
        pv.anonymize(_people(), recipe, key=KEY)
    assert "max_suppression" in str(info.value)


def test_missing_qi_column_is_named() -> None:
    recipe = {**RECIPE, "steps": [{"op": "drop", "columns": ["name", "zip"]}]}
    with pytest.raises(Exception, match="zip"):
        pv.anonymize(_people(), recipe, key=KEY)
    hierarchies = {**PRIVACY["hierarchies"], "zipcode": {"type": "suppress"}}
    hierarchies.pop("zip")
    privacy = {
        **PRIVACY,
        "quasi_identifiers": ["age", "sex", "zipcode"],
        "hierarchies": hierarchies,
    }
    with pytest.raises(ColumnNotFoundError, match="did you mean 'zip'"):
        pv.anonymize(_people(), {"privacy": privacy})


# ------------------------------------------------------------------ resolved recipes
def test_resolved_recipe_replays_without_search() -> None:
    df = _people()
    first = pv.anonymize(df, RECIPE, key=KEY)
    resolved = first.resolved_recipe
    assert resolved.is_resolved
    assert resolved.privacy is not None
    assert resolved.privacy.resolved is not None
    assert first.manifest["resolved_recipe"] == resolved.to_dict()
    assert first.manifest["resolved_recipe_id"] == resolved.id()
    again = pv.anonymize(df, Recipe.from_yaml(resolved.to_yaml()), key=KEY)
    assert_frame_equal(again.frame, first.frame)
    assert again.report.search is not None
    assert again.report.search["stats"]["strategy"] == "resolved"
    assert again.manifest["resolved_recipe_id"] == first.manifest["resolved_recipe_id"]
    # a new batch is generalized with the same levels
    batch = pl.concat([df, df.with_columns(pl.col("pid") + "b")])
    replay = pv.anonymize(batch, resolved, key=KEY)
    assert replay.report.search is not None
    assert replay.report.search["levels"] == first.report.search["levels"]  # type: ignore[index]
    assert replay.report.privacy is not None
    _check_released(replay.frame, PRIVACY, replay.report.privacy["suppressed"])


def test_resolved_recipe_that_no_longer_fits_raises() -> None:
    df = _people()
    resolved = pv.anonymize(df, RECIPE, key=KEY).resolved_recipe
    small = df.head(7)
    with pytest.raises(PrivacyTargetError, match="resolved levels"):
        pv.anonymize(small, resolved, key=KEY)


# --------------------------------------------------------------------------- manifest
def test_manifest_holds_no_key_and_no_raw_value() -> None:
    df = _people().with_columns(
        pl.when(pl.col("pid") == "id007").then(pl.lit(PLANTED_VALUE)).otherwise(pl.col("name"))
        .alias("name"),
        pl.when(pl.col("pid") == "id007").then(pl.lit(f"call {PLANTED_VALUE} at x@y.org"))
        .otherwise(pl.lit("ok")).alias("note"),
        pl.when(pl.col("pid") == "id007").then(pl.lit(PLANTED_VALUE)).otherwise(pl.col("pid"))
        .alias("pid"),
    )  # fmt: skip
    names = "[A-Z][a-z]+ [A-Z][a-z]+-[A-Z][a-z]+"
    recipe = {
        **RECIPE,
        "steps": [
            {"op": "mask", "columns": ["name"], "params": {"keep_first": 1}},
            {"op": "pseudonymize", "columns": ["pid"], "params": {"domain": "study-7"}},
            {"op": "redact_text", "columns": ["note"],
             "params": {"patterns": {"email": r"\S+@\S+", "name": names},
                        "use_profile_patterns": False, "replacement": "pseudonym"}},
        ],
    }  # fmt: skip
    release = pv.anonymize(df, recipe, key=PLANTED_KEY)
    text = json.dumps(release.manifest) + json.dumps(release.report.to_dict(), default=str)
    assert PLANTED_KEY not in text
    assert PLANTED_VALUE not in text
    for needle in ("Zebulon", "id007", "x@y.org", "Person 7"):
        assert needle not in text
    assert PLANTED_VALUE not in release.frame.to_pandas().to_string()


def test_manifest_fields_and_lineage() -> None:
    release = pv.anonymize(_people(), RECIPE, key=KEY)
    m = release.manifest
    for field in ("recipe_id", "resolved_recipe", "input_fingerprint", "output_fingerprint",
                  "privlab_version", "created", "lineage", "privacy", "kind"):  # fmt: skip
        assert field in m, field
    assert m["recipe_id"] == Recipe.from_dict(RECIPE).id()
    assert m["input_fingerprint"]["rows"] == 60
    assert m["output_fingerprint"]["rows"] == release.frame.height
    assert m["input_fingerprint"]["content_hash"] != m["output_fingerprint"]["content_hash"]
    lineage = m["lineage"]
    assert "name" not in lineage
    (dropped,) = m["dropped_columns"]
    assert dropped["source"] == "name"
    assert dropped["operations"] == ["drop"]
    assert lineage["pid"]["operations"] == ["pseudonymize(prefix=P-)"]
    assert lineage["pid"]["sources"] == ["pid"]
    level = m["resolved_recipe"]["privacy"]["resolved"]["levels"]["age"]
    assert lineage["age"]["operations"][0] == f"generalize(level {level}, interval hierarchy)"
    assert lineage["age"]["details"][0]["step"] == "privacy"
    assert lineage["dx"]["operations"] == (
        [f"suppress({release.report.privacy['suppressed']} records, privacy)"]  # type: ignore[index]
        if release.report.privacy["suppressed"]  # type: ignore[index]
        else []
    )
    from privlab.governance import openlineage_event

    event = openlineage_event({**m, "dataset": "people"}, release_id="r1")
    fields = event["outputs"][0]["facets"]["columnLineage"]["fields"]
    assert fields["pid"]["transformationDescription"] == "pseudonymize(prefix=P-)"
    json.dumps(m)  # serializable


def test_noise_lineage_says_not_dp() -> None:
    recipe = {"steps": [{"op": "add_noise", "columns": ["age"], "params": {"scale": 1, "seed": 0}}]}
    release = pv.anonymize(_people(), recipe)
    entry = release.manifest["lineage"]["age"]
    assert "NOT differential privacy" in entry["details"][0]["description"]
    assert entry["operations"] == ["add_noise(scale=1.0, seed=0)"]


# ------------------------------------------------------------------------------ write
def test_write_data_and_manifest(tmp_path: Path) -> None:
    release = pv.anonymize(_people(), RECIPE, key=KEY)
    # an unprofiled source has no column roles: the baseline policy warns (permissive mode)
    with pytest.warns(PolicyWarning, match="column roles of the release were not"):
        out = release.write(tmp_path / "out.parquet")
    assert out == tmp_path / "out.parquet"
    assert_frame_equal(pl.read_parquet(out), release.frame)
    manifest = json.loads((tmp_path / "out.parquet.manifest.json").read_text())
    assert manifest == json.loads(json.dumps(release.manifest))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "out.parquet",
        "out.parquet.manifest.json",
    ]


def test_write_refuses_the_source(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    _people().write_csv(path)
    release = pv.anonymize(path, {"steps": [{"op": "drop", "columns": ["name"]}]})
    with pytest.raises(OverwriteSourceError):
        release.write(path)
    scanned = pv.anonymize(pl.scan_csv(path), {"steps": [{"op": "drop", "columns": ["name"]}]})
    with pytest.raises(OverwriteSourceError):
        scanned.write(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people.csv"]


# -------------------------------------------------------------------- property test
tables = st.integers(6, 50).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 99), min_size=n, max_size=n),
        st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n),
        st.lists(st.sampled_from(["x", "y", "z", "w"]), min_size=n, max_size=n),
    )
)
targets = st.fixed_dictionaries(
    {
        "k": st.integers(2, 6),
        "max_suppression": st.sampled_from([0.0, 0.05, 0.2]),
        "suppression": st.sampled_from(["drop", "mask"]),
    },
    optional={
        "l": st.builds(lambda v: {"column": "s", "l": v}, st.integers(1, 3)),
        "t": st.builds(lambda v: {"column": "s", "t": v}, st.sampled_from([0.3, 0.6, 1.0])),
    },
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables, privacy=targets)
def test_release_meets_declared_targets_or_raises(
    table: tuple[list[int], list[str], list[str]], privacy: dict[str, Any]
) -> None:
    a, b, s = table
    df = pl.DataFrame({"a": a, "b": b, "s": s})
    spec = {
        **privacy,
        "quasi_identifiers": ["a", "b"],
        "hierarchies": {"a": {"type": "interval", "widths": [10, 50]}, "b": {"type": "suppress"}},
    }
    try:
        release = pv.anonymize(df, {"privacy": spec}, progress=False)
    except PrivacyTargetError:
        return
    assert release.report.privacy is not None
    assert release.report.privacy["met"] is True
    suppressed = release.report.privacy["suppressed"]
    _check_released(release.frame, spec, suppressed)
    assert suppressed <= privacy["max_suppression"] * len(a) + 1e-9


STEP_CHOICES = [
    {"op": "mask", "columns": ["s"], "params": {"keep_last": 1}},
    {"op": "pseudonymize", "columns": ["s"]},
    {"op": "round", "columns": ["x"], "params": {"base": 5}},
    {"op": "suppress", "columns": ["x"],
     "params": {"where": [{"column": "x", "op": "gt", "value": 50}]}},
    {"op": "suppress", "params": {"scope": "records",
                                  "where": [{"column": "s", "op": "eq", "value": "a"}]}},
    {"op": "add_noise", "columns": ["x"], "params": {"scale": 1, "seed": 1}},
    {"op": "generalize", "columns": ["x"], "params": {"width": 10}},
    {"op": "top_bottom_code", "columns": ["x"], "params": {"upper_quantile": 0.9}},
    {"op": "microaggregate", "columns": ["x"], "params": {"k": 2}},
]  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    xs=st.lists(st.integers(0, 100), min_size=2, max_size=30),
    steps=st.lists(st.sampled_from(STEP_CHOICES), max_size=4),
    as_pandas=st.booleans(),
)
def test_input_is_never_mutated(
    xs: list[int], steps: list[dict[str, Any]], as_pandas: bool
) -> None:
    df = pl.DataFrame({"x": xs, "s": [["a", "bb", "ccc"][i % 3] for i in range(len(xs))]})
    data: Any = df.to_pandas() if as_pandas else df
    before = data.copy() if as_pandas else df.clone()
    # a step may fail (e.g. rounding a column an earlier step turned into text)
    with contextlib.suppress(pv_errors.PrivlabError):
        pv.anonymize(data, {"steps": steps}, key=KEY)
    if as_pandas:
        pd.testing.assert_frame_equal(data, before)
    else:
        assert_frame_equal(data, before)


# ------------------------------------------------------------------------- governance
ROLES = {"pid": "direct_identifier", "name": "direct_identifier", "age": "quasi_identifier",
         "sex": "quasi_identifier", "zip": "quasi_identifier", "dx": "sensitive"}  # fmt: skip


def test_write_registers_and_audits_the_release(tmp_path: Path) -> None:
    from privlab.governance import Governance

    release = pv.anonymize(_people(), RECIPE, key=KEY)
    Governance().register_dataset("people", _people(), purpose="research", profile=ROLES)
    release.write(tmp_path / "out.parquet", dataset="people")
    gov = Governance()
    (record,) = gov.releases("people")
    assert record.kind == "anonymized"
    assert record.recipe_id == release.manifest["recipe_id"]
    assert record.manifest["facts"]["columns"]["pid"] == "pseudonymized"
    assert record.manifest["facts"]["risk"]["k"] >= 4
    assert record.policy["passed"] is True
    assert [e.event for e in gov.audit.events(dataset="people")][-1] == "release"
    assert KEY not in Path(gov.store.path).read_bytes().decode(errors="ignore")


def test_governed_policy_blocks_and_writes_nothing(tmp_path: Path) -> None:
    from privlab.exceptions import PolicyViolationError
    from privlab.governance import Governance, Policy

    gov = Governance()
    gov.register_dataset("people", _people(), purpose="research", profile=ROLES)
    gov.approve("people")
    gov.install_policy(Policy.from_dict({"name": "strict", "rules": {"min_k": 50}}))
    release = pv.anonymize(_people(), RECIPE, key=KEY)
    with pytest.raises(PolicyViolationError, match="k must be at least 50"):
        release.write(tmp_path / "out.parquet", dataset="people")
    assert list(tmp_path.iterdir()) == []
    kept_identifier = pv.anonymize(_people(), {**RECIPE, "steps": []})
    gov.install_policy(Policy.from_dict({"name": "ids", "rules": {"no_direct_identifiers": True}}))
    with pytest.raises(PolicyViolationError, match=r"release guard refused.*'pid'.*'name'") as err:
        kept_identifier.write(tmp_path / "out.parquet", dataset="people")
    # every finding is listed on its own too (notebook 06 prints them one per line)
    assert {v.column for v in err.value.violations} >= {"pid", "name"}
    assert all(v.message in str(err.value) for v in err.value.violations)
    kept = {"name": "test: reach the policy", "pid": "test: reach the policy"}
    with pytest.raises(
        PolicyViolationError, match=r"direct identifier column\(s\) \['name', 'pid'\]"
    ):
        kept_identifier.write(tmp_path / "out.parquet", dataset="people", keep=kept)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.filterwarnings("ignore:release of 'patients' breaks policy")
def test_suppressed_records_do_not_exempt_a_direct_identifier(tmp_path: Path) -> None:
    """Attacker: a recipe keeps ``ssn`` and lets the search suppress a few records, whose
    removal (lineage op ``suppress`` on every column) the guard once took for masking.
    Must not achieve: the social-security numbers released — the guard refuses, nothing
    is written."""
    from privlab.exceptions import PolicyViolationError

    samples = Path(__file__).resolve().parents[2] / "data_samples"
    recipe = {
        "steps": [{"op": "drop", "columns": ["full_name", "email", "phone", "notes"]}],
        "privacy": {
            "quasi_identifiers": ["sex", "zip_code", "date_of_birth"],
            "hierarchies": {
                "sex": {"type": "suppress"},
                "zip_code": {"type": "prefix", "keep": [3, 1]},
                "date_of_birth": {"type": "date", "levels": ["year", "decade"]},
            },
            "k": 5,
            "max_suppression": 0.05,
        },
    }
    release = pv.anonymize(samples / "patients.csv", recipe, progress=False)
    assert release.report.privacy["suppressed"] > 0  # rows went: the case that leaked
    ops = {c.name: c.ops for c in release.release_facts().columns or ()}
    assert ops["ssn"] == ()  # removing rows changes no value of the column
    with pytest.raises(PolicyViolationError, match=r"release guard refused.*'ssn'"):
        release.write(tmp_path / "out.parquet", dataset="patients")
    assert list(tmp_path.iterdir()) == []
