"""The Spark engine: the same recipe on Spark gives the local release, cataloged by the gate.

One shared ``local[2]`` session for the module (starting one costs 12–60 s here).
pyspark is in the dev extra and ``.ci/run`` installs Java 17, so CI runs these;
locally they skip only when pyspark or Java is absent (and fail in CI then).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import privlab as pv
from privlab.anonymize import anonymize_spark
from privlab.engine import (
    COUNT,
    count_tuples,
    spark_count_tuples,
    spark_map_batches,
    spark_read,
    spark_session,
)
from privlab.exceptions import EngineError
from privlab.io import read

pytestmark = pytest.mark.spark

SAMPLES = Path(__file__).resolve().parents[2] / "data_samples"
KEY = "spark test key — not a secret, 32+ bytes long"
RECIPE: dict[str, Any] = {
    "steps": [
        {"op": "drop", "columns": ["full_name", "email", "phone", "ssn", "notes"]},
        {"op": "pseudonymize", "columns": ["patient_id"]},
        {"op": "mask", "columns": ["city"], "params": {"keep_first": 2}},
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


@pytest.fixture(scope="module")
def spark() -> Any:
    if shutil.which("java") is None or not _has_pyspark():
        if os.environ.get("CI"):
            pytest.fail("CI must run the Spark tests: pyspark (dev extra) and Java 17 (.ci/run)")
        pytest.skip("pyspark or Java 17 missing (pip install 'privlab[spark]')")
    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    return session


def _has_pyspark() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def patients(spark: Any) -> tuple[pl.DataFrame, Any]:
    path = SAMPLES / "patients.csv"
    local = read(path).collect()
    return local, spark_read(spark, path, local.schema).repartition(3)


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


def test_spark_release_equals_local_release(patients: tuple[pl.DataFrame, Any]) -> None:
    """Same recipe, same data: Spark's released rows equal the in-memory release's."""
    local, frame = patients
    mine = pv.anonymize(local, RECIPE, key=KEY)
    theirs = pv.anonymize(frame, RECIPE, key=KEY)
    assert (
        theirs.resolved_recipe.privacy.resolved.levels
        == mine.resolved_recipe.privacy.resolved.levels
    )
    assert theirs.plan.result.suppressed == mine.report.privacy["suppressed"]
    out = pl.from_arrow(theirs.data.toArrow())
    assert isinstance(out, pl.DataFrame)
    assert_frame_equal(_sorted(out), _sorted(mine.frame), check_dtypes=False)
    assert "full_name" not in out.columns
    assert out.height == mine.frame.height


def test_histogram_from_spark_equals_batched_counting(patients: tuple[pl.DataFrame, Any]) -> None:
    """groupBy().count() on the cluster gives the local batched histogram, tuple for tuple."""
    local, frame = patients
    columns = ["sex", "zip_code", "diagnosis_code"]
    theirs = spark_count_tuples(frame, columns).sort(columns)
    mine = count_tuples(local.lazy(), columns).sort(columns)
    assert_frame_equal(theirs, mine, check_dtypes=False)
    assert int(theirs[COUNT].sum()) == local.height


def test_map_batches_is_per_row(patients: tuple[pl.DataFrame, Any]) -> None:
    """A polars function run per Arrow batch of every partition equals it on the whole table."""
    local, frame = patients

    def upper(batch: pl.DataFrame) -> pl.DataFrame:
        return batch.select(pl.col("city").str.to_uppercase(), pl.col("total_charges") * 2)

    schema = upper(local.head(0)).schema
    out = pl.from_arrow(spark_map_batches(frame, upper, schema).toArrow())
    assert isinstance(out, pl.DataFrame)
    assert_frame_equal(_sorted(out), _sorted(upper(local)))


def test_spark_release_is_written_and_cataloged(
    patients: tuple[pl.DataFrame, Any], tmp_path: Path
) -> None:
    """The Spark release goes through the gate: guard samples, policy, write, catalog."""
    from privlab.governance import Governance

    _, frame = patients
    release = anonymize_spark(frame, RECIPE, key=KEY)
    target = release.write(tmp_path / "released", dataset="patients")
    written = pl.read_parquet(target / "*.parquet")
    assert written.height == int(release.data.count())
    manifest = (tmp_path / "released.manifest.json").read_text()
    assert KEY not in manifest
    assert '"engine": "spark"' in manifest
    (record,) = Governance().releases("patients")
    assert record.kind == "anonymized"
    assert record.manifest["facts"]["risk"]["k"] >= 5
    assert record.recipe_id == release.manifest["recipe_id"]


def test_spark_write_never_overwrites_its_source(spark: Any, tmp_path: Path) -> None:
    """Attacker: a typo names the Spark source file as the release's output folder.
    Must not achieve: the source modified — the output guard refuses before any Spark
    job, and the file is byte-identical afterwards."""
    from privlab.exceptions import OverwriteSourceError

    source = tmp_path / "in.parquet"
    read(SAMPLES / "patients.csv").collect().write_parquet(source)
    before = source.read_bytes()
    frame = spark.read.parquet(str(source))
    release = anonymize_spark(frame, RECIPE, key=KEY)
    with pytest.raises(OverwriteSourceError, match="refusing to overwrite the input source"):
        release.write(source, dataset="patients")
    assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_positional_steps_are_refused_before_any_job(patients: tuple[pl.DataFrame, Any]) -> None:
    """Steps that read a row's position in the whole table cannot run per partition."""
    _, frame = patients
    recipe = {"steps": [{"op": "add_noise", "columns": ["total_charges"],
                         "params": {"scale": 1.0, "seed": 3}}]}  # fmt: skip
    with pytest.raises(EngineError, match=r"add_noise.*row's position"):
        anonymize_spark(frame, recipe)


def test_cli_engine_spark_writes_the_release(spark: Any, tmp_path: Path) -> None:
    """`privlab anonymize --engine spark` reads the CSV typed as privlab reads it, writes a
    Parquet folder and its manifest through the gate, with the in-memory run's rows; the
    release guard refuses the record key left in unless ``--keep`` gives a reason."""
    import yaml
    from click.testing import CliRunner

    from privlab.cli import main

    recipe = {"steps": [RECIPE["steps"][0]], "privacy": RECIPE["privacy"]}
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    out = tmp_path / "released"
    args = ["anonymize", str(SAMPLES / "patients.csv"), "--recipe", str(path), "--out", str(out),
            "--engine", "spark", "--dataset", "patients"]  # fmt: skip
    refused = CliRunner().invoke(main, args, catch_exceptions=False)
    assert refused.exit_code == 2
    assert "release guard refused" in refused.output
    assert "'patient_id'" in refused.output
    assert not out.exists()
    assert not (tmp_path / "released.manifest.json").exists()
    reason = "test: the record key stays so the rows can be compared"
    result = CliRunner().invoke(main, [*args, "--keep", f"patient_id={reason}"],
                                catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "released.manifest.json").read_text())["keep"] == {
        "patient_id": reason
    }
    written = pl.read_parquet(out / "*.parquet")
    mine = pv.anonymize(SAMPLES / "patients.csv", recipe).frame
    assert_frame_equal(_sorted(written), _sorted(mine), check_dtypes=False)
    assert (tmp_path / "released.manifest.json").exists()


def test_anonymize_spark_docstring_example_runs(spark: Any) -> None:
    """The example of ``anonymize_spark``'s docstring is skipped as a doctest (a Spark
    session takes seconds to start); here it runs on the module's session, every output
    compared with the one the docstring shows."""
    import doctest

    (test,) = doctest.DocTestFinder().find(
        anonymize_spark, "anonymize_spark", globs={"anonymize_spark": anonymize_spark}
    )
    skipped = [e for e in test.examples if e.options.get(doctest.SKIP)]
    for example in skipped:
        del example.options[doctest.SKIP]
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test)
    assert len(skipped) >= 5  # the Spark part of the example is still there
    assert result.attempted == len(test.examples)
    assert result.failed == 0
