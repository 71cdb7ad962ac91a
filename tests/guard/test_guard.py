"""The release guard refuses identifying releases on every path, and records overrides."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

import privlab as pv
from privlab.cli import main
from privlab.exceptions import PolicyViolationError
from privlab.guard import inspect_release
from privlab.release import ColumnFacts, ReleaseFacts

KEY = "guard-test-key-0123456789"
pytestmark = pytest.mark.filterwarnings("ignore::privlab.governance.PolicyWarning")


def _people(n: int = 400) -> pl.DataFrame:
    rng = np.random.default_rng(3)
    return pl.DataFrame(
        {
            "ssn": [f"{100 + i % 600:03d}-{10 + i % 89:02d}-{1000 + i:04d}" for i in range(n)],
            "mail": [f"person{i}@example.org" for i in range(n)],
            "dob": [f"{1 + i % 12:02d}/{1 + i % 28:02d}/{1940 + i % 60}" for i in range(n)],
            "sex": rng.choice(["F", "M"], n).tolist(),
            "zip": [f"{2100 + i % 40:05d}" for i in range(n)],
            "amount": rng.normal(100, 20, n).round(2).tolist(),
        }
    )


def test_empty_recipe_is_refused_naming_the_identifiers(tmp_path: Path) -> None:
    """Attacker: receives whatever an analyst releases with a recipe of no steps.

    The release must be refused, name the SSN and e-mail columns, and write nothing.
    """
    release = pv.anonymize(_people(), {"steps": []})
    with pytest.raises(PolicyViolationError) as err:
        release.write(tmp_path / "out.parquet")
    assert "'ssn'" in str(err.value)
    assert "'mail'" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_steps_that_touch_no_identifier_are_refused_too(tmp_path: Path) -> None:
    release = pv.anonymize(
        _people(), {"steps": [{"op": "round", "columns": ["amount"], "params": {"digits": 0}}]}
    )
    with pytest.raises(PolicyViolationError, match="'ssn'"):
        release.write(tmp_path / "out.parquet")
    assert list(tmp_path.iterdir()) == []


def test_month_first_birth_dates_are_generalized_or_refused(tmp_path: Path) -> None:
    """Attacker: links (date of birth, sex, ZIP) to a voter roll; MM/DD/YYYY must not slip."""
    data = _people()
    profile = pv.profile(data)
    assert profile.column("dob").semantic_type == "date_of_birth"
    recipe = {"steps": [{"op": "drop", "columns": ["ssn", "mail"]}]}
    with pytest.raises(PolicyViolationError, match="dob"):
        pv.anonymize(data, recipe).write(tmp_path / "raw.parquet")
    assert list(tmp_path.iterdir()) == []
    hierarchy = profile.column("dob").evidence["hierarchy"]
    assert hierarchy["type"] == "date"
    assert hierarchy["formats"][0] == "%m/%d/%Y"  # read month-first, as written
    out = pv.anonymize(data, profile.suggest_recipe()).write(tmp_path / "ok.parquet")
    released = pl.read_parquet(out)
    assert not released["dob"].cast(pl.String).is_in(data["dob"].implode()).any()
    assert released["dob"].str.contains(r"^\d{4}").all()  # periods (month … decade), not dates


def test_keep_with_a_reason_releases_and_records_it(tmp_path: Path) -> None:
    release = pv.anonymize(_people(), {"steps": [{"op": "drop", "columns": ["ssn", "dob"]}]})
    out = release.write(tmp_path / "out.parquet", keep={"mail": "consented contact list"})
    manifest = json.loads(Path(f"{out}.manifest.json").read_text())
    assert manifest["keep"] == {"mail": "consented contact list"}
    from privlab.governance import Governance

    events = [e for e in Governance().audit.events() if e.event == "override"]
    assert events
    assert events[-1].details["keep"] == {"mail": "consented contact list"}


def test_recipe_keep_step_is_an_override(tmp_path: Path) -> None:
    recipe = {
        "steps": [
            {"op": "drop", "columns": ["ssn", "dob"]},
            {"op": "keep", "columns": ["mail"], "params": {"reason": "newsletter opt-in"}},
        ]
    }
    out = pv.anonymize(_people(), recipe).write(tmp_path / "out.parquet")
    assert json.loads(Path(f"{out}.manifest.json").read_text())["keep"] == {
        "mail": "newsletter opt-in"
    }


def test_pseudonyms_and_measurements_are_not_identifiers(tmp_path: Path) -> None:
    recipe = {
        "steps": [
            {"op": "drop", "columns": ["mail", "dob", "zip"]},
            {"op": "pseudonymize", "columns": ["ssn"], "params": {"prefix": "P-"}},
        ]
    }
    out = pv.anonymize(_people(), recipe, key=KEY).write(tmp_path / "out.parquet")
    assert pl.read_parquet(out).columns == ["ssn", "sex", "amount"]


def test_replay_of_a_renamed_identifier_is_named() -> None:
    """Attacker: finds real e-mails in a column whose lineage says it is something else."""
    src = _people()
    released = src.select(pl.col("mail").alias("contact"), "amount")
    facts = ReleaseFacts(
        kind="synthetic",
        dataset=None,
        columns=(ColumnFacts("contact", "contact", role="generated"), ColumnFacts("amount")),
        source=src,
        released=released,
    )
    report = inspect_release(facts)
    replay = [f for f in report.findings if f.kind == "replay"]
    assert replay
    assert replay[0].column == "contact"
    text = json.dumps(report.to_dict())
    assert "person1@example.org" not in text  # examples are masked
    assert report.checked["detection"]["data"]["sample_rows"] == src.height


def test_dp_group_by_an_identifier_is_refused_before_spending() -> None:
    class Query:
        group_columns = ("mail",)
        keys = None

    facts = ReleaseFacts(kind="dp", dataset="x", source=_people(), queries=(Query(),))
    report = inspect_release(facts)
    assert [f.kind for f in report.blocking] == ["query_identifier"]
    by_sex = type("Q", (), {"group_columns": ("sex",), "keys": None})()
    ok = ReleaseFacts(kind="dp", dataset="x", source=_people(), queries=(by_sex,))
    assert inspect_release(ok).ok


def test_dp_public_keys_alone_are_not_a_record_key() -> None:
    """A session grouping by a 50-value code column with its public keys is not refused.

    Regression: the guard profiled the public key list on its own — 50 distinct
    values in 50 rows, "near-unique" — and called the column a record key. Keys are
    distinct by construction; the session now hands the guard a seeded sample of
    the column, and keys alone count only for a value format (e-mail, phone, ID).
    Attacker for the refusal half: an analyst publishing per-person answers keyed by
    e-mail addresses must still be stopped before anything is spent.
    """
    import numpy as np

    import privlab.dp as pdp

    rng = np.random.default_rng(3)
    codes = pl.Series(rng.integers(0, 50, 5_000)).cast(pl.String)
    frame = pl.DataFrame({"g": codes, "x": rng.uniform(0, 100, 5_000)})
    keys = [str(i) for i in range(50)]
    with pdp.DPSession(frame, dataset="codes") as session:
        pdp.set_budget("codes", epsilon=10)
        answer = session.count(by="g", keys=keys, epsilon=0.5)
        assert answer.height == 50
    mails = [f"person{i}@example.org" for i in range(40)]
    people = pl.DataFrame({"mail": mails * 5, "x": list(range(200))})
    with pdp.DPSession(people, dataset="mails") as session:
        pdp.set_budget("mails", epsilon=10)
        with pytest.raises(PolicyViolationError, match="mail"):
            session.count(by="mail", keys=mails, epsilon=0.5)
        assert session.budget().epsilon_spent == 0


def test_guard_cli(tmp_path: Path) -> None:
    src = tmp_path / "src.csv"
    _people().write_csv(src)
    out = tmp_path / "out.csv"
    _people().select("sex", "amount", "mail").write_csv(out)
    runner = CliRunner()
    refused = runner.invoke(main, ["guard", str(out), "--source", str(src)])
    assert refused.exit_code == 1
    assert "mail" in refused.output
    kept = runner.invoke(
        main, ["guard", str(out), "--source", str(src), "--keep", "mail=opt-in list"]
    )
    assert kept.exit_code == 0, kept.output


def test_anonymize_cli_keep(tmp_path: Path) -> None:
    src = tmp_path / "src.csv"
    _people().write_csv(src)
    recipe = tmp_path / "r.yaml"
    recipe.write_text("steps: [{op: drop, columns: [ssn, dob]}]\n")
    args = ["anonymize", str(src), "--recipe", str(recipe), "--out", str(tmp_path / "o.csv")]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code != 0
    assert "mail" in refused.output
    assert not (tmp_path / "o.csv").exists()
    ok = CliRunner().invoke(main, [*args, "--keep", "mail=opt-in list"])
    assert ok.exit_code == 0, ok.output


def test_guard_cli_without_a_manifest_profiles_every_column(tmp_path: Path) -> None:
    """Attacker: a file made outside privlab keeps a source column's name, not its values.

    Without a manifest nothing says the column is unchanged, so the guard must look at
    its values (here e-mails under the name of the amounts) instead of trusting the name.
    """
    src = tmp_path / "src.csv"
    _people().write_csv(src)
    out = tmp_path / "out.csv"
    _people().select("sex", pl.col("mail").alias("amount")).write_csv(out)
    refused = CliRunner().invoke(
        main, ["guard", str(out), "--source", str(src), "--format", "json"]
    )
    assert refused.exit_code == 1
    report = json.loads(refused.output)
    assert report["checked"]["columns"]["amount"]["semantic_type"] == "email"
    assert {f["column"] for f in report["findings"]} >= {"amount"}


def test_unchanged_columns_take_the_source_classification() -> None:
    """A column the lineage declares untouched is classified as its source column."""
    src = _people()
    released = src.select("mail", "sex", pl.col("amount").round(0))
    facts = ReleaseFacts(
        kind="anonymized",
        dataset=None,
        columns=(
            ColumnFacts("mail", "mail"),
            ColumnFacts("sex", "sex"),
            ColumnFacts("amount", "amount", ops=("round",)),
        ),
        source=src,
        released=released,
    )
    report = inspect_release(facts)
    columns = report.checked["columns"]
    assert columns["mail"]["semantic_type"] == "email"
    assert columns["sex"]["semantic_type"] == "sex"
    assert [f.column for f in report.blocking if f.kind == "direct_identifier"] == ["mail"]
