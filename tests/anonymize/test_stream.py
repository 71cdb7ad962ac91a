"""The streamed engine: the same release as in memory, through the same gate, in batches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import privlab as pv
from privlab.anonymize import RecipePlan, anonymize_stream
from privlab.engine import LocalEngine
from privlab.exceptions import EngineError, InputError, PolicyViolationError
from privlab.release import Approval, ReleaseFacts

SAMPLES = Path(__file__).resolve().parents[2] / "data_samples"
KEY = "stream test key — not a secret, 32+ bytes long"
RECIPE: dict[str, Any] = {
    "steps": [
        {"op": "drop", "columns": ["full_name", "email", "phone", "ssn", "notes"]},
        {"op": "pseudonymize", "columns": ["patient_id"]},
    ],
    "privacy": {
        "quasi_identifiers": ["sex", "zip_code", "date_of_birth"],
        "hierarchies": {
            "sex": {"type": "suppress"},
            "zip_code": {"type": "prefix", "keep": [3, 1]},
            "date_of_birth": {"type": "date", "levels": ["year", "decade"]},
        },
        "k": 5,
        "l": {"column": "diagnosis_code", "l": 2},
        "max_suppression": 0.05,
    },
}


class Recording:
    """A gate that records the facts and writes (or refuses)."""

    def __init__(self, refuse: bool = False) -> None:
        self.facts: list[ReleaseFacts] = []
        self.refuse = refuse

    def submit(self, facts: ReleaseFacts, write: Any) -> Any:
        self.facts.append(facts)
        if self.refuse:
            raise PolicyViolationError("refused by the test gate")
        return write(Approval("patients", "r1"))

    def authorize(self, action: str, *, dataset: str | None = None) -> None:
        return None


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


@pytest.mark.parametrize("suppression", ["drop", "mask"])
def test_streamed_release_equals_in_memory_release(tmp_path: Path, suppression: str) -> None:
    """Batches of 700 rows, a search on the batched histogram: the rows `pv.anonymize` gives."""
    recipe = {**RECIPE, "privacy": {**RECIPE["privacy"], "suppression": suppression}}
    path = SAMPLES / "patients.csv"
    mine = pv.anonymize(path, recipe, key=KEY)
    gate = Recording()
    out = anonymize_stream(path, recipe, tmp_path / "out.parquet", key=KEY, governance=gate,
                           engine=LocalEngine(batch_rows=700, show=False))  # fmt: skip
    assert_frame_equal(_sorted(pl.read_parquet(out.path)), _sorted(mine.frame))
    assert (
        out.resolved_recipe.privacy.resolved.levels == mine.resolved_recipe.privacy.resolved.levels
    )
    assert out.report.privacy["achieved"]["k"] == mine.report.privacy["achieved"]["k"]
    assert out.report.privacy["suppressed"] == mine.report.privacy["suppressed"]
    assert out.report.privacy["met"] is True
    (facts,) = gate.facts
    assert facts.rows == mine.frame.height
    assert facts.privacy["risk"]["k"] >= 5
    # the guard gets seeded samples of the source and of the written release
    assert facts.source.height == 5_000  # the whole sample table: it is under 10,000 rows
    assert facts.released.height == mine.frame.height
    assert "full_name" in facts.source.columns
    assert "full_name" not in facts.released.columns
    manifest = (tmp_path / "out.parquet.manifest.json").read_text()
    assert KEY not in manifest
    assert '"engine": "local-stream"' in manifest


def test_resolved_recipe_streams_as_one_plan(tmp_path: Path) -> None:
    """The resolved recipe replays the levels without a search; the plan is lazy end to end."""
    path = SAMPLES / "patients.csv"
    first = pv.anonymize(path, RECIPE, key=KEY)
    out = anonymize_stream(path, first.resolved_recipe, tmp_path / "again.parquet", key=KEY,
                           governance=Recording(), progress=False)  # fmt: skip
    assert out.report.search["stats"]["strategy"] == "resolved"
    assert_frame_equal(_sorted(pl.read_parquet(out.path)), _sorted(first.frame))


def test_refused_release_leaves_nothing_behind(tmp_path: Path) -> None:
    """The gate refuses after the staged file was written: no file, no staged leftovers."""
    with pytest.raises(PolicyViolationError):
        anonymize_stream(SAMPLES / "patients.csv", RECIPE, tmp_path / "out.parquet", key=KEY,
                         governance=Recording(refuse=True), progress=False)  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_positional_steps_cannot_stream(tmp_path: Path) -> None:
    recipe = {"steps": [{"op": "microaggregate", "columns": ["total_charges"],
                         "params": {"k": 3}}]}  # fmt: skip
    with pytest.raises(EngineError, match="microaggregate"):
        anonymize_stream(SAMPLES / "patients.csv", recipe, tmp_path / "o.parquet",
                         governance=Recording(), progress=False)  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_plan_on_a_batch_equals_the_plan_on_the_table() -> None:
    """What a Spark partition runs (apply_batch) is the lazy plan, row for row."""
    frame = pl.read_csv(SAMPLES / "patients.csv", infer_schema_length=10_000)
    release = pv.anonymize(frame, RECIPE, key=KEY)
    transforms = [s.transform(key=KEY) for s in release.resolved_recipe.steps]
    current = frame.lazy()
    for t in transforms:
        t.fit(current)
        current = t.apply(current)
    plan = RecipePlan(transforms, release.search_result, "drop")
    halves = pl.concat([plan.apply_batch(frame[:2000]), plan.apply_batch(frame[2000:])])
    assert_frame_equal(_sorted(halves), _sorted(plan.lazy(frame.lazy()).collect()))
    assert_frame_equal(_sorted(halves), _sorted(release.frame))


# a recipe that forgets to drop the social-security number (and everything else direct)
LEAKY: dict[str, Any] = {
    "steps": [{"op": "drop", "columns": ["full_name", "email", "phone", "notes", "patient_id"]}],
    "privacy": RECIPE["privacy"],
}


@pytest.mark.filterwarnings("ignore:release of 'patients' breaks policy")
def test_streamed_release_passes_the_real_release_guard(tmp_path: Path) -> None:
    """Attacker: an analyst (or a careless recipe) streams a file larger than memory with
    ``ssn`` left in, hoping the batched path skips the guard the in-memory path runs.
    Must not achieve: any file written, or the release cataloged. With a reason to keep
    the column, the release goes through and the reason is in the manifest and the log."""
    from privlab.governance import Governance

    src = SAMPLES / "patients.csv"
    out = tmp_path / "out.parquet"
    engine = LocalEngine(batch_rows=700, show=False)
    with pytest.raises(PolicyViolationError, match=r"release guard refused.*'ssn'"):
        anonymize_stream(src, LEAKY, out, dataset="patients", engine=engine)
    assert list(tmp_path.iterdir()) == []
    gov = Governance()
    assert gov.releases() == []
    (denial,) = gov.audit.events(event="denial")
    assert denial.details["guard"]["findings"][0]["column"] == "ssn"
    reason = "test: a planted keep reaches the manifest"
    done = anonymize_stream(src, LEAKY, out, dataset="patients", engine=engine,
                            keep={"ssn": reason})  # fmt: skip
    manifest = json.loads((tmp_path / "out.parquet.manifest.json").read_text())
    assert manifest["keep"] == {"ssn": reason}
    assert done.release_record is not None
    (record,) = Governance().releases("patients")
    assert record.manifest["facts"]["guard"]["kept"] == {"ssn": reason}


def test_recipe_keep_step_reaches_the_streamed_gate(tmp_path: Path) -> None:
    """A ``keep`` step in the recipe is the same override as ``keep=`` (reason recorded)."""
    keep = {"op": "keep", "columns": ["ssn"], "params": {"reason": "test: recipe keep"}}
    recipe = {**LEAKY, "steps": [*LEAKY["steps"], keep]}
    gate = Recording()
    anonymize_stream(SAMPLES / "patients.csv", recipe, tmp_path / "o.parquet",
                     governance=gate, progress=False)  # fmt: skip
    assert gate.facts[0].keep == {"ssn": "test: recipe keep"}
    manifest = json.loads((tmp_path / "o.parquet.manifest.json").read_text())
    assert manifest["keep"] == {"ssn": "test: recipe keep"}


def test_output_guard_refuses_overwriting_the_source_before_reading(tmp_path: Path) -> None:
    """Attacker: a typo names the source file as the streamed release's output (or its
    manifest). Must not achieve: the source overwritten — it is refused before anything
    is read, and the file is byte-identical afterwards."""
    from privlab.exceptions import OutputError, OverwriteSourceError

    src = tmp_path / "patients.parquet"
    pl.read_csv(SAMPLES / "patients.csv", infer_schema_length=10_000).write_parquet(src)
    before = src.read_bytes()
    gate = Recording()
    with pytest.raises(OverwriteSourceError, match="refusing to overwrite the input source"):
        anonymize_stream(src, RECIPE, src, key=KEY, governance=gate, progress=False)
    with pytest.raises(OutputError, match="does not exist"):
        anonymize_stream(src, RECIPE, tmp_path / "no" / "o.csv", key=KEY, governance=gate,
                         progress=False)  # fmt: skip
    assert src.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["patients.parquet"]
    assert gate.facts == []


def test_callback_reaches_a_given_engine_and_two_callbacks_are_refused(tmp_path: Path) -> None:
    """callback= is used with engine=; two different callbacks are refused, nothing written."""
    seen: list[str] = []
    engine = LocalEngine(batch_rows=100)
    anonymize_stream(SAMPLES / "patients.csv", RECIPE, tmp_path / "a.parquet", key=KEY,
                     engine=engine, callback=lambda stage, done, total: seen.append(stage),
                     governance=Recording(), progress=False)  # fmt: skip
    assert seen, "the callback given beside an engine was never called"
    (tmp_path / "a.parquet").unlink()
    (tmp_path / "a.parquet.manifest.json").unlink()
    with pytest.raises(InputError, match="two progress callbacks"):
        anonymize_stream(SAMPLES / "patients.csv", RECIPE, tmp_path / "b.parquet", key=KEY,
                         engine=LocalEngine(callback=lambda *a: None),
                         callback=lambda *a: None, governance=Recording())  # fmt: skip
    assert list(tmp_path.iterdir()) == []
