"""``privlab anonymize --engine spark``: the recipe on a local Spark session."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from privlab.anonymize import Recipe, anonymize_spark
from privlab.engine import spark_read, spark_session
from privlab.io import read


@dataclass
class SparkResult:
    """What the command prints: rows, report, manifest and the resolved recipe."""

    rows: int
    report: Any
    manifest: dict[str, Any]
    resolved_recipe: Recipe


def anonymize_with_spark(
    file: str,
    recipe: Recipe,
    out: str,
    *,
    key: bytes | str | None,
    dataset: str,
    keep: Mapping[str, str] | None = None,
    **read_args: Any,
) -> SparkResult:
    """Read FILE in Spark (typed as :func:`privlab.read` types it), anonymize, write OUT."""
    schema = read(file, **read_args).collect_schema()
    session = spark_session()
    frame = spark_read(session, file, schema, sep=read_args.get("sep") or ",")
    release = anonymize_spark(frame, recipe, key=key)
    release.write(Path(out), dataset=dataset, keep=keep)
    assert release.report is not None
    rows = int(release.manifest.get("output_fingerprint", {}).get("rows", 0))
    return SparkResult(rows, release.report, release.manifest, release.resolved_recipe)
