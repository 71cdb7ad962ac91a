"""A recipe as one lazy plan, run streamed on one machine or per partition on Spark.

:func:`anonymize` in memory collects the data; this module runs the same recipe
on data larger than memory:

1. **fit** — each step learns its state on the driver from the lazy plan so far
   (polars' streaming engine; a step's state is small: distinct values, bins).
   Steps whose *apply* depends on a row's position in the whole table
   (``microaggregate``, ``add_noise``) cannot run on a part of the data and are
   refused with :class:`~privlab.exceptions.EngineError`, as are quantile bounds
   of ``top_bottom_code`` on Spark (their fit needs every value on the driver);
2. **count** — one pass counts the class histogram of the QI (and sensitive)
   columns after the steps, batch by batch (or ``groupBy().count()`` on Spark),
   and keeps a seeded sample of the source for the release guard;
3. **search** the histogram (or evaluate the resolved levels) on the driver —
   the search never sees a record;
4. **apply** — steps, generalization and suppression form :func:`release_plan`,
   one per-row lazy plan, written with polars' streaming sink (or run per
   partition with ``mapInArrow``);
5. **verify** — the written release is counted again and k / ℓ / t are checked
   on its histogram; a seeded sample of it goes to the guard with the source
   sample; then the release passes the gate (:func:`privlab.release.submit`)
   like any other, and the staged file is renamed into place only once every
   stage passed.

Memory: one batch plus the histograms (O(distinct QI tuples)), whatever the
number of rows.

Examples
--------
>>> import pathlib, tempfile, polars as pl
>>> from privlab.anonymize import anonymize_stream
>>> from privlab.release import Approval
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> pl.DataFrame({"age": [31, 32, 33, 34, 51, 52], "sex": list("FFMMFF")}).write_csv(
...     folder / "in.csv")
>>> recipe = {"privacy": {"quasi_identifiers": ["age", "sex"], "k": 2,
...           "hierarchies": {"age": {"type": "interval", "widths": [5, 10]},
...                           "sex": {"type": "suppress"}},
...           "resolved": {"levels": {"age": 1, "sex": 0}}}}
>>> class Gate:  # a stand-in gate: approve and write
...     def submit(self, facts, write): return write(Approval("demo", "r1"))
...     def authorize(self, action, *, dataset=None): pass
>>> out = anonymize_stream(folder / "in.csv", recipe, folder / "out.parquet",
...                        governance=Gate(), progress=False)
>>> out.report.privacy["achieved"]["k"], sorted(pl.read_parquet(out.path)["age"])
(2, ['30-34', '30-34', '30-34', '30-34', '50-54', '50-54'])
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import polars as pl

from privlab.anonymize._manifest import LineageTracker
from privlab.anonymize._recipe import PrivacySpec, Recipe
from privlab.anonymize._release import (
    AnonymizationReport,
    column_facts,
    privacy_facts,
    recipe_keeps,
)
from privlab.anonymize._search import SearchResult
from privlab.anonymize._stages import (
    _as_recipe,
    _hierarchies,
    _input_files,
    _key_reference,
    _manifest,
    _no_node_reason,
    _run_search,
    _search_summary,
    _verify,
)
from privlab.anonymize._transforms_base import Transform
from privlab.engine import (
    COUNT,
    LocalEngine,
    RowHasher,
    Sampler,
    TupleCounter,
    is_spark_frame,
    one_pass,
    sink,
    spark_count_tuples,
    spark_map_batches,
    spark_sample,
    spark_write,
)
from privlab.exceptions import (
    ColumnNotFoundError,
    EngineError,
    InputError,
    PrivacyTargetError,
)
from privlab.io import atomic_path, check_outputs, read
from privlab.release import (
    DEFAULT_ALLOWED,
    Approval,
    Gate,
    ReleaseFacts,
    default_gate,
    submit,
)

__all__ = [
    "RecipePlan",
    "SparkRelease",
    "StreamedRelease",
    "anonymize_spark",
    "anonymize_stream",
    "release_plan",
]

#: Steps whose apply reads a row's position in the whole table: never partitioned.
_POSITIONAL = {
    "microaggregate": "its groups (MDAV or fixed) are formed over every row at once and "
    "mapped back by row position",
    "add_noise": "its noise is a seeded function of the row's position in the whole table",
}
_SAMPLE_ROWS = 10_000


def check_partitionable(transforms: Sequence[Transform], where: str) -> None:
    """Refuse steps that cannot run on a part of the data (one error naming all of them)."""
    problems = [
        f"step {i} ({t.name!r}): {_POSITIONAL[t.name]}"
        for i, t in enumerate(transforms)
        if t.name in _POSITIONAL
    ]
    if where == "Spark":
        problems += [
            f"step {i} ('top_bottom_code'): quantile bounds need every value on the driver; "
            "give fixed `lower`/`upper` bounds"
            for i, t in enumerate(transforms)
            if t.name == "top_bottom_code"
            and (
                getattr(t.params, "lower_quantile", None) is not None
                or getattr(t.params, "upper_quantile", None) is not None
            )
        ]
    if problems:
        raise EngineError(
            f"this recipe cannot run {where}: "
            + "; ".join(problems)
            + ". Run it in memory (privlab anonymize without --engine/--memory-limit, "
            "pv.anonymize on a DataFrame), or fit those steps on a sample and replace them"
        )


@dataclass
class RecipePlan:
    """A recipe fitted on the driver: its steps, then the privacy stage, as per-row work.

    ``lazy(frame)`` is the one lazy plan of the release; ``apply_batch`` runs it
    on one batch (what each Spark partition does). Both give the same rows.

    Examples
    --------
    >>> import polars as pl
    >>> from privlab.anonymize import Mask
    >>> data = pl.DataFrame({"card": ["4111222233334444"], "age": [31]})
    >>> plan = RecipePlan([Mask(["card"], keep_last=4).fit(data)])
    >>> plan.apply_batch(data).row(0)
    ('************4444', 31)
    >>> plan.lazy(data.lazy()).collect().equals(plan.apply_batch(data))
    True
    """

    transforms: list[Transform]
    result: SearchResult | None = None
    suppression: str = "drop"

    def steps(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """The recipe's steps as a lazy plan (already fitted)."""
        for transform in self.transforms:
            frame = transform.apply(frame)
        return frame

    def lazy(self, frame: pl.LazyFrame, *, suppression: str | None = None) -> pl.LazyFrame:
        """Steps, generalization and suppression: the release as one lazy per-row plan."""
        out = self.steps(frame)
        if self.result is None:
            return out
        mode = suppression or self.suppression
        return self.result.apply(out, suppression="drop" if mode == "drop" else "mask")

    def apply_batch(self, batch: pl.DataFrame) -> pl.DataFrame:
        """The plan on one batch of rows."""
        return self.lazy(batch.lazy()).collect()


def release_plan(plan: RecipePlan, data: pl.LazyFrame) -> pl.LazyFrame:
    """The release of *data* under a fitted *plan*, as one lazy per-row plan."""
    return plan.lazy(data)


@dataclass
class StreamedRelease:
    """A release written by :func:`anonymize_stream`.

    See :func:`anonymize_stream` for an example. (The Spark engine returns a
    :class:`SparkRelease` instead.)

    Attributes
    ----------
    path:
        The data file written.
    report, manifest, resolved_recipe:
        As for :class:`~privlab.anonymize.Release`; the report has no utility
        distances (they need both tables in memory) — the search's loss is in
        ``report.privacy["loss"]``.
    release_record:
        What the gate returned (privlab's governance: the catalog record).
    data:
        Not set by :func:`anonymize_stream` (``None``): the release is on disk at
        ``path``.
    rows:
        Records written.
    """

    path: Path
    report: AnonymizationReport
    manifest: dict[str, Any]
    resolved_recipe: Recipe
    release_record: Any = None
    data: Any = field(default=None, repr=False)
    rows: int = 0


class _Steps:
    """A batch consumer that runs the fitted steps on each batch and feeds other consumers."""

    def __init__(self, plan: RecipePlan, then: Sequence[Any], steps: int) -> None:
        self.plan = plan
        self.then = list(then)
        self.offset = 0
        self.rows = [0] * (steps + 1)

    def update(self, batch: pl.DataFrame, offset: int) -> None:
        out = batch
        self.rows[0] += batch.height
        for i, transform in enumerate(self.plan.transforms):
            out = transform.apply(out)
            self.rows[i + 1] += out.height
        for consumer in self.then:
            consumer.update(out, self.offset)
        self.offset += out.height


def _fit_steps(
    recipe: Recipe, lazy: pl.LazyFrame, key: bytes | str | None
) -> tuple[list[Transform], LineageTracker, list[dict[str, Any]], pl.LazyFrame]:
    schema = lazy.collect_schema()
    tracker = LineageTracker(schema)
    transforms: list[Transform] = []
    keys: list[dict[str, Any]] = []
    current = lazy
    for step in recipe.steps:
        transforms.append(step.transform(key=key, base_dir=recipe.base_dir))
    check_partitionable(transforms, "streamed")
    with pl.Config(engine_affinity="streaming"):  # type: ignore[call-arg]  # each fit's small aggregate, streamed
        for index, (step, transform) in enumerate(zip(recipe.steps, transforms, strict=True)):
            transform.fit(current)
            current = transform.apply(current)
            tracker.record_step(index, transform)
            if transform.keyed and getattr(transform, "uses_key", True):
                keys.append({"step": index, "op": step.op, **_key_reference(step.params, key)})
    return transforms, tracker, keys, current


def _check_privacy_columns(spec: PrivacySpec, names: Sequence[str]) -> None:
    for column in [*spec.quasi_identifiers, *spec.sensitive]:
        if column not in names:
            raise ColumnNotFoundError(column, list(names), source="the data after the steps")


def _search_histogram(
    hist: pl.DataFrame, spec: PrivacySpec, recipe: Recipe, progress: bool | None
) -> SearchResult:
    hierarchies = _hierarchies(spec, recipe.base_dir)
    result = _run_search(hist, spec, hierarchies, progress, counts=COUNT)
    if result.node is None:
        raise PrivacyTargetError(_no_node_reason(result, spec))
    return result


def _staged_path(target: Path) -> Path:
    suffix = "".join(target.suffixes) or ".parquet"
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=f".staged{suffix}", dir=target.parent
    )
    os.close(fd)
    os.unlink(name)  # the sink creates it; the name is reserved in the release's folder
    return Path(name)


def anonymize_stream(
    source: str | os.PathLike[str] | pl.LazyFrame,
    recipe: Recipe | Mapping[str, Any] | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    key: bytes | str | None = None,
    engine: LocalEngine | None = None,
    dataset: str | None = None,
    keep: Mapping[str, str] | None = None,
    retention_days: int | None = None,
    allowed_roles: Sequence[str] = DEFAULT_ALLOWED,
    governance: Gate | None = None,
    store: Any = None,
    sample_rows: int = _SAMPLE_ROWS,
    seed: int = 0,
    progress: bool | None = None,
    callback: Callable[[str, int, int], None] | None = None,
    **read_kwargs: Any,
) -> StreamedRelease:
    """Anonymize a table larger than memory with *recipe* and write the release to *out*.

    The recipe runs as one lazy per-row plan written by polars' streaming sink;
    the privacy stage searches (or, for a resolved recipe, evaluates) a class
    histogram counted batch by batch, and the written release is counted again
    to verify k / ℓ / t before the gate lets it be renamed into place. See the
    module docstring for the stages and what cannot stream.

    Parameters
    ----------
    source:
        A CSV/Parquet/NDJSON/Arrow path or a polars LazyFrame (a scan).
    recipe:
        A :class:`~privlab.anonymize.Recipe`, its dict, YAML text or path.
    out:
        The release file (``.parquet`` recommended; ``.csv``, ``.ndjson``,
        ``.arrow``); ``OUT.manifest.json`` is written beside it.
    key:
        Secret for keyed steps (never stored).
    engine:
        :class:`~privlab.engine.LocalEngine` settings (memory limit, batch size).
        Give a progress *callback* here or in the engine, not both (refused);
        *progress* only applies if the engine's ``show`` is ``None``.
    dataset, keep, retention_days, allowed_roles, governance, store:
        As for :meth:`Release.write <privlab.anonymize.Release.write>`.
    sample_rows, seed:
        Size and seed of the samples of source and release handed to the guard.
    progress, callback:
        Progress bars (per batch) and a progress callback ``(stage, done, total)``.
    **read_kwargs:
        Passed to :func:`privlab.read` when *source* is a path.

    Returns
    -------
    StreamedRelease
        ``.path`` (the release file), ``.report``, ``.manifest``,
        ``.resolved_recipe``, ``.rows`` (records written) and
        ``.release_record`` (what the gate returned).

    Raises
    ------
    OverwriteSourceError, OutputError
        *out* or its manifest would overwrite an input or each other, or the
        folder of *out* does not exist (checked before anything is read).
    AccessDeniedError
        The principal may not release (or, with *keep*, override) — checked
        before the data is streamed, and again by the gate.
    EngineError
        A step cannot run on a part of the data (``microaggregate``,
        ``add_noise``); run the recipe in memory with :func:`anonymize`.
    PrivacyTargetError
        No generalization meets the targets within ``max_suppression``.
    PolicyViolationError
        The gate refuses the release (governed mode).
    RecipeError, MissingSecretError, ColumnNotFoundError, HierarchyError, MemoryLimitError
        An invalid recipe, a missing key, a missing column, a hierarchy that does
        not cover the data, a class histogram larger than the engine's memory limit.

    Notes
    -----
    Nothing is written to *out* unless every stage passed: the release is
    staged beside it (a hidden file, removed on failure) and renamed into place
    by the gate's ``write``.

    Examples
    --------
    A stand-in gate that approves every release (privlab's governance is the
    default gate); the output is written in a fresh temporary folder:

    >>> import pathlib, tempfile, polars as pl
    >>> from privlab.release import Approval
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pl.DataFrame(
    ...     {"name": list("ABCDEFGHI"), "age": [31, 32, 33, 34, 35, 36, 37, 38, 77],
    ...      "sex": list("FFFFMMMMF")}
    ... ).write_csv(folder / "in.csv")
    >>> recipe = {
    ...     "steps": [{"op": "drop", "columns": ["name"]}],
    ...     "privacy": {
    ...         "quasi_identifiers": ["age", "sex"], "k": 2, "max_suppression": 0.2,
    ...         "hierarchies": {"age": {"type": "interval", "widths": [5, 10]},
    ...                         "sex": {"type": "suppress"}},
    ...     },
    ... }
    >>> class ApproveAll:
    ...     def submit(self, facts, write):
    ...         return write(Approval(dataset="visits", release_id="r1"))
    ...     def authorize(self, action, *, dataset=None):
    ...         pass
    >>> out = anonymize_stream(
    ...     folder / "in.csv", recipe, folder / "out.parquet", governance=ApproveAll(),
    ...     progress=False,
    ... )
    >>> out.rows, out.report.privacy["achieved"]["k"], out.report.privacy["suppressed"]
    (8, 4, 1)
    >>> out.resolved_recipe.privacy.resolved.levels
    {'age': 1, 'sex': 0}
    >>> sorted(p.name for p in folder.iterdir())
    ['in.csv', 'out.parquet', 'out.parquet.manifest.json']
    >>> out.manifest["dataset"], out.manifest["engine"]["engine"]
    ('visits', 'local-stream')
    """
    recipe = _as_recipe(recipe)
    if engine is None:
        engine = LocalEngine(show=progress, callback=callback)
    else:
        if callback is not None and engine.callback not in (None, callback):
            raise InputError(
                "anonymize_stream got two progress callbacks (callback= and the engine's); give one"
            )
        engine = replace(
            engine,
            show=progress if engine.show is None else engine.show,
            callback=callback or engine.callback,
        )
    lazy = read(source, **read_kwargs) if not isinstance(source, pl.LazyFrame) else source
    target = Path(out).absolute()
    manifest_path = _manifest_path(target)
    sources = _input_files(source, lazy)
    check_outputs(  # the one output guard, before anything is read or written
        [("out", target), ("manifest", manifest_path)], [("source", p) for p in sources]
    )
    gate = _authorized_gate(governance, store, dataset, keep)

    transforms, tracker, keys, after_steps = _fit_steps(recipe, lazy, key)
    plan = RecipePlan(transforms)
    spec = recipe.privacy
    names = after_steps.collect_schema().names()
    source_sample = Sampler(sample_rows, seed=seed)
    source_hash = RowHasher()
    counter: TupleCounter | None = None
    then: list[Any] = []
    if spec is not None:
        _check_privacy_columns(spec, names)
        counter = TupleCounter(
            [*spec.quasi_identifiers, *spec.sensitive], max_bytes=engine.histogram_budget()
        )
        then.append(counter)
    steps = _Steps(plan, then, len(transforms))
    source_rows = one_pass(
        lazy, [source_sample, source_hash, steps], engine=engine, stage="counting classes"
    )

    result: SearchResult | None = None
    resolved = recipe
    if spec is not None and counter is not None:
        hist = counter.result()
        result = _search_histogram(hist, spec, recipe, progress)
        plan.result = result
        plan.suppression = spec.suppression
        if not recipe.is_resolved:
            resolved = recipe.resolve(result.levels)

    staged = _staged_path(target)
    try:
        sink(plan.lazy(lazy), staged, source=sources[0] if sources else None)
        written = pl.scan_parquet(staged) if staged.suffix == ".parquet" else read(staged)
        released_sample = Sampler(sample_rows, seed=seed)
        released_hash = RowHasher()
        consumers: list[Any] = [released_sample, released_hash]
        released_counter: TupleCounter | None = None
        if spec is not None:
            released_counter = TupleCounter([*spec.quasi_identifiers, *spec.sensitive])
            consumers.append(released_counter)
        released_rows = one_pass(written, consumers, engine=engine, stage="verifying")
        privacy_report = risk = None
        if spec is not None and result is not None and released_counter is not None:
            released_hist = released_counter.result()
            verified_hist = released_hist
            if spec.suppression == "mask" and result.suppressed:
                verified_counter = TupleCounter([*spec.quasi_identifiers, *spec.sensitive])
                one_pass(
                    plan.lazy(lazy, suppression="drop"),
                    [verified_counter],
                    engine=engine,
                    stage="verifying kept records",
                )
                verified_hist = verified_counter.result()
            privacy_report, risk = _verify_histograms(
                recipe, result, tracker, verified_hist, released_hist,
                "released data (class histogram of the written file)",
            )  # fmt: skip
        schema = written.collect_schema()
        by_output, dropped = tracker.manifest_lineage(schema)
        report = AnonymizationReport(
            risk=risk,
            utility=None,
            privacy=privacy_report,
            search=None if result is None else _search_summary(result),
            steps=[
                {
                    "step": i,
                    "op": s.op,
                    "columns": list(s.columns),
                    "rows_in": steps.rows[i],
                    "rows_out": steps.rows[i + 1],
                }
                for i, s in enumerate(recipe.steps)
            ],
            lineage=tracker.columns(schema),
        )
        manifest = _manifest(
            recipe=recipe,
            resolved=resolved,
            hashes=recipe.hierarchy_hashes(),
            input_fp=source_hash.result(),
            output_fp=released_hash.result(),
            report=report,
            keys=keys,
            lineage=(by_output, dropped),
            engine={
                "engine": "local-stream",
                "memory_limit": engine.memory_limit,
                "rows_read": source_rows,
                "guard_sample": {"rows": sample_rows, "seed": seed, "scheme": "bottom-k hash"},
            },
        )
        facts = _facts(
            manifest, report, released_rows, source_sample.result(), released_sample.result(),
            target, dataset=dataset, keep=keep, retention_days=retention_days,
            allowed_roles=allowed_roles, inputs=tuple(sources),
        )  # fmt: skip
        files: list[Path] = []

        def write_files(approval: Approval) -> list[Path]:
            nonlocal manifest
            manifest = {**manifest, "dataset": approval.dataset}
            if facts.keep:
                manifest["keep"] = dict(facts.keep)
            text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            with atomic_path(manifest_path) as tmp_manifest, atomic_path(target) as tmp_data:
                tmp_manifest.write_text(text, encoding="utf-8")
                os.replace(staged, tmp_data)
            files.extend([target, manifest_path])
            return files

        record = submit(facts, write_files, governance=gate)
    finally:
        if staged.exists():
            staged.unlink()
    return StreamedRelease(
        path=target,
        report=report,
        manifest=manifest,
        resolved_recipe=resolved,
        release_record=record,
        rows=released_rows,
    )


def _verify_histograms(
    recipe: Recipe,
    result: SearchResult,
    tracker: LineageTracker,
    verified: pl.DataFrame,
    released: pl.DataFrame,
    where: str,
) -> tuple[dict[str, Any], Any]:
    """Check k / ℓ / t on the released histograms and record the privacy stage in lineage."""
    spec = recipe.privacy
    assert spec is not None
    report, risk = _verify(verified, released, spec, result.suppressed, counts=COUNT)
    if not report["met"]:
        raise PrivacyTargetError(
            "the released data does not meet the declared targets when checked: "
            + "; ".join(report["failures"])
            + " — nothing was written; please report this as a privlab bug"
        )
    report["loss"] = result.loss
    report["verified_on"] = where
    tracker.record_privacy(
        result.levels,
        recipe.hierarchy_hashes(),
        {q: h.kind for q, h in result.hierarchies.items()},
        suppression=spec.suppression,
        suppressed=result.suppressed,
    )
    return report, risk


def _facts(
    manifest: dict[str, Any],
    report: AnonymizationReport,
    rows: int,
    source: pl.DataFrame,
    released: pl.DataFrame,
    target: Path,
    *,
    dataset: str | None,
    keep: Mapping[str, str] | None,
    retention_days: int | None,
    allowed_roles: Sequence[str],
    inputs: tuple[Path, ...] = (),
) -> ReleaseFacts:
    """What the gate checks; the guard gets the seeded samples of source and release."""
    return ReleaseFacts(
        kind="anonymized",
        dataset=dataset,
        rows=rows,
        columns=column_facts(manifest),
        privacy=privacy_facts(report),
        manifest=manifest,
        recipe_id=manifest["recipe_id"],
        source=source,
        released=released,
        inputs=inputs,
        outputs=(target, _manifest_path(target)),
        keep={**recipe_keeps(manifest), **dict(keep or {})},
        name_hint="anonymize-source",
        retention_days=retention_days,
        allowed_roles=tuple(allowed_roles),
    )


def _manifest_path(target: Path) -> Path:
    return target.with_name(target.name + ".manifest.json")


def _authorized_gate(
    governance: Gate | None, store: Any, dataset: str | None, keep: Mapping[str, str] | None
) -> Gate:
    """The gate, after an early role check (release, and override when *keep* is given).

    A denied principal is refused (and audited) before hours of streaming, not
    after. The gate checks again at submit (stage 1), on the dataset it
    resolves — that check is the one that decides.
    """
    gate = governance if governance is not None else default_gate(store)
    gate.authorize("release", dataset=dataset)
    if keep:
        gate.authorize("override", dataset=dataset)
    return gate


# ----------------------------------------------------------------------------- Spark
def _spark_fit_steps(
    recipe: Recipe, frame: Any, key: bytes | str | None
) -> tuple[list[Transform], LineageTracker, list[dict[str, Any]], pl.Schema]:
    """Fit each step on the driver from the distinct values it reads (collected from Spark)."""
    transforms = [step.transform(key=key, base_dir=recipe.base_dir) for step in recipe.steps]
    check_partitionable(transforms, "Spark")
    schema = _polars_schema(frame)
    tracker = LineageTracker(schema)
    keys: list[dict[str, Any]] = []
    current = frame
    current_schema = schema
    done: list[Transform] = []
    for index, (step, transform) in enumerate(zip(recipe.steps, transforms, strict=True)):
        reads = list(dict.fromkeys([*transform.columns, *transform.reads()]))
        missing = [c for c in reads if c not in current_schema.names()]
        if missing:
            raise ColumnNotFoundError(
                missing[0], current_schema.names(), source=f"the input of {step.op!r}"
            )
        # the state of every partitionable step is a function of the distinct values it
        # reads, so fitting on them gives the state a fit on every row would; steps
        # without state fit on an empty frame of the right schema (no Spark job)
        if type(transform)._fit is Transform._fit:
            transform.fit(pl.DataFrame(schema=current_schema))
        else:
            distinct = pl.from_arrow(
                current.select(*[f"`{c}`" for c in reads]).distinct().toArrow()
            )
            assert isinstance(distinct, pl.DataFrame)
            transform.fit(distinct)
        done.append(transform)
        tracker.record_step(index, transform)
        if transform.keyed and getattr(transform, "uses_key", True):
            keys.append({"step": index, "op": step.op, **_key_reference(step.params, key)})
        fitted = RecipePlan(list(done))
        current_schema = fitted.lazy(pl.LazyFrame(schema=schema)).collect_schema()
        current = spark_map_batches(frame, fitted.apply_batch, current_schema)
    return transforms, tracker, keys, current_schema


def _polars_schema(frame: Any) -> pl.Schema:
    empty = pl.from_arrow(frame.limit(0).toArrow())
    assert isinstance(empty, pl.DataFrame)
    return empty.schema


def anonymize_spark(
    frame: Any,
    recipe: Recipe | Mapping[str, Any] | str | os.PathLike[str],
    *,
    key: bytes | str | None = None,
    progress: bool | None = None,
    sample_rows: int = _SAMPLE_ROWS,
    seed: int = 0,
) -> SparkRelease:
    """Anonymize a Spark DataFrame: driver-side fit and search, per-partition apply.

    Each step is fitted on the driver from the distinct values it reads; class
    histograms come from ``groupBy(QIs).count()``; the search (or the resolved
    levels) runs on the driver; the release is a lazy Spark DataFrame
    (``.data``) built with ``mapInArrow`` over the same per-row plan the local
    engine streams. Nothing is verified or written yet: ``.verify()`` checks
    k / ℓ / t on the released data, ``.write(path)`` verifies, passes the
    release gate and writes a Parquet folder. ``pip install 'privlab[spark]'``
    (and Java 17) is needed.

    Parameters
    ----------
    frame:
        A ``pyspark.sql.DataFrame``; it is never modified.
    recipe:
        A :class:`~privlab.anonymize.Recipe`, its dict, YAML text or path.
    key:
        Secret for keyed steps (never stored).
    progress:
        Show the search's progress bar (default: config).
    sample_rows, seed:
        Size and seed of the samples of source and release that ``.write``
        hands to the release guard.

    Returns
    -------
    SparkRelease
        ``.data`` (the released Spark DataFrame, lazy), ``.resolved_recipe``;
        ``.report`` and ``.manifest`` are filled by ``.verify()`` / ``.write()``.

    Raises
    ------
    EngineError
        A step cannot run per partition (``microaggregate``, ``add_noise``, or
        ``top_bottom_code`` with quantile bounds) — raised before any Spark job.
    PrivacyTargetError
        No generalization meets the targets within ``max_suppression``.
    RecipeError, MissingSecretError, ColumnNotFoundError, HierarchyError
        An invalid recipe, a missing key, a missing column, a hierarchy that does
        not cover the data.

    Examples
    --------
    A Spark session takes seconds to start, so this example is skipped as a
    doctest; ``tests/engine/test_spark.py`` (mark ``spark``) runs it:

    >>> from privlab.engine import spark_session
    >>> rows = [("A", 31, "F"), ("B", 32, "F"), ("C", 33, "F"), ("D", 34, "F"),
    ...         ("E", 35, "M"), ("F", 36, "M"), ("G", 37, "M"), ("H", 38, "M"), ("I", 77, "F")]
    >>> frame = spark_session().createDataFrame(rows, ["name", "age", "sex"])  # doctest: +SKIP
    >>> recipe = {
    ...     "steps": [{"op": "drop", "columns": ["name"]}],
    ...     "privacy": {
    ...         "quasi_identifiers": ["age", "sex"], "k": 2, "max_suppression": 0.2,
    ...         "hierarchies": {"age": {"type": "interval", "widths": [5, 10]},
    ...                         "sex": {"type": "suppress"}},
    ...     },
    ... }
    >>> release = anonymize_spark(frame, recipe, progress=False)  # doctest: +SKIP
    >>> release.resolved_recipe.privacy.resolved.levels  # doctest: +SKIP
    {'age': 1, 'sex': 0}
    >>> sorted(row["age"] for row in release.data.collect())  # doctest: +SKIP
    ['30-34', '30-34', '30-34', '30-34', '35-39', '35-39', '35-39', '35-39']
    >>> checked = release.verify().privacy  # doctest: +SKIP
    >>> checked["met"], checked["achieved"]["k"], checked["suppressed"]  # doctest: +SKIP
    (True, 4, 1)
    """
    recipe = _as_recipe(recipe)
    transforms, tracker, keys, schema = _spark_fit_steps(recipe, frame, key)
    plan = RecipePlan(transforms)
    steps_df = spark_map_batches(frame, plan.apply_batch, schema) if transforms else frame
    spec = recipe.privacy
    result: SearchResult | None = None
    resolved = recipe
    if spec is not None:
        _check_privacy_columns(spec, schema.names())
        hist = spark_count_tuples(steps_df, [*spec.quasi_identifiers, *spec.sensitive])
        result = _search_histogram(hist, spec, recipe, progress)
        plan.result = result
        plan.suppression = spec.suppression
        if not recipe.is_resolved:
            resolved = recipe.resolve(result.levels)
    out_schema = plan.lazy(pl.LazyFrame(schema=_schema_of(frame))).collect_schema()
    released = spark_map_batches(frame, plan.apply_batch, out_schema)
    return SparkRelease(
        data=released,
        source=frame,
        plan=plan,
        recipe=recipe,
        resolved_recipe=resolved,
        tracker=tracker,
        keys=keys,
        sample_rows=sample_rows,
        seed=seed,
    )


def _schema_of(frame: Any) -> pl.Schema:
    return _polars_schema(frame)


def _spark_input_files(frame: Any) -> list[Path]:
    """The local files a Spark DataFrame reads (none for one built in memory)."""
    found = []
    for uri in frame.inputFiles():
        parsed = urlparse(uri)
        if parsed.scheme in ("", "file"):
            found.append(Path(unquote(parsed.path)))
    return found


@dataclass
class SparkRelease:
    """A Spark release: ``.data`` is the released Spark DataFrame (lazy).

    ``write(path)`` verifies k / ℓ / t on the released data's histogram
    (``groupBy().count()``), hands seeded samples of source and release to the
    gate, and writes a Parquet folder plus ``path.manifest.json`` once every
    stage passed. Built by :func:`anonymize_spark` (see its example).
    """

    data: Any
    source: Any
    plan: RecipePlan
    recipe: Recipe
    resolved_recipe: Recipe
    tracker: LineageTracker
    keys: list[dict[str, Any]]
    sample_rows: int = _SAMPLE_ROWS
    seed: int = 0
    report: AnonymizationReport | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    release_record: Any = None

    def verify(self) -> AnonymizationReport:
        """Check the targets on the released data's class histogram (a Spark job).

        Returns
        -------
        AnonymizationReport
            Also kept as ``self.report``; it has no utility distances.

        Raises
        ------
        PrivacyTargetError
            The released data does not meet the declared targets (a privlab bug).
        """
        spec = self.recipe.privacy
        result = self.plan.result
        privacy_report = risk = None
        if spec is not None and result is not None:
            columns = [*spec.quasi_identifiers, *spec.sensitive]
            released_hist = spark_count_tuples(self.data, columns)
            verified_hist = released_hist
            if spec.suppression == "mask" and result.suppressed:
                schema = self.plan.lazy(
                    pl.LazyFrame(schema=_schema_of(self.source)), suppression="drop"
                ).collect_schema()
                kept = spark_map_batches(
                    self.source,
                    lambda b: self.plan.lazy(b.lazy(), suppression="drop").collect(),
                    schema,
                )
                verified_hist = spark_count_tuples(kept, columns)
            privacy_report, risk = _verify_histograms(
                self.recipe, result, self.tracker, verified_hist, released_hist,
                "released data (groupBy count on Spark)",
            )  # fmt: skip
        schema = _schema_of(self.data)
        self.report = AnonymizationReport(
            risk=risk,
            utility=None,
            privacy=privacy_report,
            search=None if result is None else _search_summary(result),
            steps=[
                {"step": i, "op": s.op, "columns": list(s.columns)}
                for i, s in enumerate(self.recipe.steps)
            ],
            lineage=self.tracker.columns(schema),
        )
        return self.report

    def write(
        self,
        path: str | os.PathLike[str],
        *,
        dataset: str | None = None,
        keep: Mapping[str, str] | None = None,
        retention_days: int | None = None,
        allowed_roles: Sequence[str] = DEFAULT_ALLOWED,
        governance: Gate | None = None,
        store: Any = None,
    ) -> Path:
        """Verify, pass the gate, then write a Parquet folder and ``path.manifest.json``.

        Parameters are those of :meth:`Release.write <privlab.anonymize.Release.write>`
        (without ``override``). The output guard and the role check run before
        any Spark job.

        Returns
        -------
        pathlib.Path
            The Parquet folder.

        Raises
        ------
        OverwriteSourceError, OutputError
            *path* or its manifest would overwrite a file the source reads, or
            each other, or the folder of *path* does not exist.
        AccessDeniedError, PolicyViolationError
            The principal may not release, or the gate refuses the release;
            nothing is written.
        """
        target = Path(path).absolute()
        inputs = tuple(_spark_input_files(self.source))
        check_outputs(  # the one output guard, before any Spark job
            [("path", target), ("manifest", _manifest_path(target))],
            [("source", p) for p in inputs],
        )
        gate = _authorized_gate(governance, store, dataset, keep)
        report = self.report or self.verify()
        schema = _schema_of(self.data)
        by_output, dropped = self.tracker.manifest_lineage(schema)
        source_sample = spark_sample(self.source, self.sample_rows, seed=self.seed)
        released_sample = spark_sample(self.data, self.sample_rows, seed=self.seed)
        rows = int(self.data.count())
        manifest = _manifest(
            recipe=self.recipe,
            resolved=self.resolved_recipe,
            hashes=self.recipe.hierarchy_hashes(),
            input_fp={
                "scheme": "not computed on Spark",
                "schema": [[n, str(t)] for n, t in _schema_of(self.source).items()],
            },
            output_fp={"scheme": "not computed on Spark", "rows": rows},
            report=report,
            keys=self.keys,
            lineage=(by_output, dropped),
            engine={
                "engine": "spark",
                "partitions": int(self.data.rdd.getNumPartitions()),
                "guard_sample": {
                    "rows": self.sample_rows,
                    "seed": self.seed,
                    "scheme": "xxhash64 order",
                },
            },
        )
        facts = _facts(
            manifest, report, rows, source_sample, released_sample, target, dataset=dataset,
            keep=keep, retention_days=retention_days, allowed_roles=allowed_roles, inputs=inputs,
        )  # fmt: skip
        files: list[Path] = []

        def write_files(approval: Approval) -> list[Path]:
            final = {**manifest, "dataset": approval.dataset}
            if facts.keep:
                final["keep"] = dict(facts.keep)
            manifest_path = _manifest_path(target)
            text = json.dumps(final, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            with atomic_path(manifest_path) as tmp_manifest:
                tmp_manifest.write_text(text, encoding="utf-8")
                spark_write(self.data, target)
            self.manifest = final
            files.extend([manifest_path, *sorted(target.glob("*.parquet"))])
            return files

        self.release_record = submit(facts, write_files, governance=gate)
        return target


def is_spark(data: Any) -> bool:
    """True for a Spark DataFrame (pv.anonymize hands it to the Spark engine)."""
    return is_spark_frame(data)
