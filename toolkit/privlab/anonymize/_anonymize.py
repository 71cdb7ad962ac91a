"""``pv.anonymize``: run a recipe's steps, the privacy search, and verify the result.

Examples
--------
>>> import polars as pl, privlab as pv
>>> data = pl.DataFrame(
...     {"age": [31, 32, 33, 34, 51, 52], "sex": ["F", "F", "M", "M", "F", "F"],
...      "dx": ["a", "b", "a", "c", "b", "a"]}
... )
>>> recipe = {
...     "privacy": {
...         "quasi_identifiers": ["age", "sex"],
...         "hierarchies": {"age": {"type": "interval", "widths": [5, 10]},
...                         "sex": {"type": "suppress"}},
...         "k": 2,
...     }
... }
>>> release = pv.anonymize(data, recipe)
>>> release.report.privacy["met"], release.report.privacy["achieved"]["k"]
(True, 2)
>>> release.resolved_recipe.privacy.resolved.levels
{'age': 1, 'sex': 0}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, overload

import polars as pl

from privlab.anonymize._manifest import LineageTracker
from privlab.anonymize._recipe import Recipe
from privlab.anonymize._release import AnonymizationReport, InputKind, Release
from privlab.anonymize._search import EncodingCache, SearchResult
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
from privlab.anonymize._stream import SparkRelease, anonymize_spark
from privlab.engine import is_spark_frame
from privlab.exceptions import ColumnNotFoundError, InputError, PrivacyTargetError
from privlab.io import fingerprint, read
from privlab.utility import utility

__all__ = ["anonymize"]

_ROW = "__privlab_row__"


def _input_kind(data: Any) -> InputKind:
    if isinstance(data, pl.LazyFrame):
        return "lazy"
    if type(data).__module__.startswith("pandas") and type(data).__name__ == "DataFrame":
        return "pandas"
    if isinstance(data, str | os.PathLike):
        return "lazy"  # a path reads as pv.read does: a LazyFrame
    return "polars"


@overload
def anonymize(
    data: pl.DataFrame | pl.LazyFrame | str | os.PathLike[str],
    recipe: Recipe | Mapping[str, Any] | str | os.PathLike[str],
    *,
    key: bytes | str | None = None,
    progress: bool | None = None,
    cache: EncodingCache | None = None,
    **read_kwargs: Any,
) -> Release: ...


@overload
def anonymize(
    data: Any,
    recipe: Recipe | Mapping[str, Any] | str | os.PathLike[str],
    *,
    key: bytes | str | None = None,
    progress: bool | None = None,
    cache: EncodingCache | None = None,
    **read_kwargs: Any,
) -> Any: ...


def anonymize(
    data: Any,
    recipe: Recipe | Mapping[str, Any] | str | os.PathLike[str],
    *,
    key: bytes | str | None = None,
    progress: bool | None = None,
    cache: EncodingCache | None = None,
    **read_kwargs: Any,
) -> Release | SparkRelease:
    """Apply *recipe* to *data* and return the verified :class:`Release`.

    The steps run in order (each transform fitted on the data it then
    transforms). If the recipe sets privacy targets, the optimal search picks
    one generalization level per quasi-identifier (or the levels fixed in
    ``privacy.resolved`` are replayed), records of classes that still violate a
    model are suppressed (``privacy.suppression``: ``drop`` by default, or
    ``mask`` — QIs set to ``*`` as ARX does), and k / ℓ / t are then **checked
    again on the released data** with :func:`privlab.assess_risk`; a target is
    only reported as met when that check passes.

    Parameters
    ----------
    data:
        A polars DataFrame or LazyFrame, a pandas DataFrame, or a file path
        (read with :func:`privlab.read` and *read_kwargs*). The input is never
        modified.
    recipe:
        A :class:`~privlab.anonymize.Recipe`, its dict, YAML text or a YAML path.
    key:
        Secret for keyed steps (pseudonymize, date_shift, redact_text with
        pseudonyms). Used, never stored; without it those steps read the key from
        their ``key_file`` or ``key_env``.
    progress:
        Show the search's progress bar (default: ``get_config()["progress"]``).
    cache:
        An :class:`~privlab.anonymize.EncodingCache`: repeated runs on the same
        data and hierarchies encode it once.

    Returns
    -------
    Release
        ``.data`` (same type as *data*), ``.report``, ``.manifest``,
        ``.resolved_recipe``; ``.write(path)`` writes data and manifest. For a
        Spark DataFrame (``pip install 'privlab[spark]'``) a
        :class:`~privlab.anonymize.SparkRelease` whose ``.data`` is the released
        Spark DataFrame: steps fitted and the search run on the driver from
        ``groupBy(QIs).count()``, the plan applied per partition with
        ``mapInArrow``. For a file larger than memory use
        :func:`~privlab.anonymize.anonymize_stream`.

    Raises
    ------
    PrivacyTargetError
        No generalization meets the targets within ``max_suppression`` (or the
        resolved levels need more suppression on this data); nothing is written.
    RecipeError, MissingSecretError, ColumnNotFoundError, HierarchyError
        An invalid recipe, a missing key, a missing column, a hierarchy that does
        not cover the data.
    InputError
        The data has a column named ``__privlab_row__`` (reserved).

    Notes
    -----
    With ``suppression: mask`` the suppressed records stay in the release with
    every QI set to ``*``; like ARX, the verification then excludes them (they
    carry no QI value) and reports their number as ``suppressed``, and the
    report's ``k_including_suppressed`` shows k when they are counted as a class.

    Examples
    --------
    Drop the names, then find the least-lossy generalization of age and sex
    that makes every class at least 2 records, suppressing at most 20 % of the
    records (here the one 77-year-old):

    >>> import polars as pl
    >>> data = pl.DataFrame(
    ...     {"name": list("ABCDEFGHI"), "age": [31, 32, 33, 34, 35, 36, 37, 38, 77],
    ...      "sex": list("FFFFMMMMF")}
    ... )
    >>> recipe = {
    ...     "steps": [{"op": "drop", "columns": ["name"]}],
    ...     "privacy": {
    ...         "quasi_identifiers": ["age", "sex"], "k": 2, "max_suppression": 0.2,
    ...         "hierarchies": {"age": {"type": "interval", "widths": [5, 10]},
    ...                         "sex": {"type": "suppress"}},
    ...     },
    ... }
    >>> release = anonymize(data, recipe, progress=False)
    >>> release.data.columns, release.data["age"].to_list()
    (['age', 'sex'], ['30-34', '30-34', '30-34', '30-34', '35-39', '35-39', '35-39', '35-39'])
    >>> privacy = release.report.privacy
    >>> privacy["met"], privacy["achieved"]["k"], privacy["suppressed"]
    (True, 4, 1)
    >>> release.resolved_recipe.privacy.resolved.levels
    {'age': 1, 'sex': 0}
    >>> data.columns  # the input is not modified
    ['name', 'age', 'sex']
    """
    if is_spark_frame(data):
        return anonymize_spark(data, recipe, key=key, progress=progress)
    recipe = _as_recipe(recipe)
    kind = _input_kind(data)
    is_path = isinstance(data, str | os.PathLike)
    lazy = read(data, **read_kwargs) if is_path else read(data)
    sources = _input_files(data, lazy)  # the release is never written over one of them
    original = lazy.collect()
    input_fp = fingerprint(original)
    if _ROW in original.columns:
        raise InputError(f"column name {_ROW!r} is reserved by privlab; rename it")

    tracker = LineageTracker(original.schema)
    current = original
    steps: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    for index, step in enumerate(recipe.steps):
        transform = step.transform(key=key, base_dir=recipe.base_dir)
        rows_in = current.height
        current = transform.fit(current).apply(current)
        tracker.record_step(index, transform)
        steps.append(
            {"step": index, "op": step.op, "columns": list(step.columns),
             "rows_in": rows_in, "rows_out": current.height}
        )  # fmt: skip
        if transform.keyed and getattr(transform, "uses_key", True):
            keys.append({"step": index, "op": step.op, **_key_reference(step.params, key)})

    released = current
    resolved = recipe
    privacy_report: dict[str, Any] | None = None
    risk = utility_report = None
    result: SearchResult | None = None
    hashes = recipe.hierarchy_hashes()
    if recipe.privacy is not None:
        spec = recipe.privacy
        hierarchies = _hierarchies(spec, recipe.base_dir)
        needed = [*spec.quasi_identifiers, *spec.sensitive]
        for column in needed:
            if column not in current.columns:
                raise ColumnNotFoundError(
                    column, current.columns, source="the data after the steps"
                )
        result = _run_search(current, spec, hierarchies, progress, cache=cache)
        if result.node is None:
            raise PrivacyTargetError(_no_node_reason(result, spec))
        indexed = current.with_row_index(_ROW)
        kept = result.apply(indexed, suppression="drop").select(_ROW).collect()[_ROW]
        released_idx = result.apply(indexed, suppression=spec.suppression).collect()
        verified = released_idx.filter(pl.col(_ROW).is_in(kept.implode())).drop(_ROW)
        released = released_idx.drop(_ROW)
        suppressed = current.height - kept.len()
        privacy_report, risk = _verify(verified, released, spec, suppressed)
        if not privacy_report["met"]:
            raise PrivacyTargetError(
                "the released data does not meet the declared targets when checked: "
                + "; ".join(privacy_report["failures"])
                + " — nothing was written; please report this as a privlab bug"
            )

        # What the privacy stage cost, on the columns it touched (the QIs) and the
        # sensitive ones it must keep useful; the other columns only lose suppressed rows.
        measured = [*spec.quasi_identifiers, *spec.sensitive]
        utility_report = utility(
            current.select(measured),
            released.select(measured),
            spec.quasi_identifiers,
            hierarchies=hierarchies,
        )
        privacy_report["loss"] = utility_report.loss
        if not recipe.is_resolved:
            resolved = recipe.resolve(result.levels)
        tracker.record_privacy(
            result.levels,
            hashes,
            {q: h.kind for q, h in hierarchies.items()},
            suppression=spec.suppression,
            suppressed=suppressed,
        )

    output_fp = fingerprint(released)
    lineage = tracker.columns(released.schema)
    by_output, dropped = tracker.manifest_lineage(released.schema)
    report = AnonymizationReport(
        risk=risk,
        utility=utility_report,
        privacy=privacy_report,
        search=None if result is None else _search_summary(result),
        steps=steps,
        lineage=lineage,
    )
    manifest = _manifest(
        recipe=recipe,
        resolved=resolved,
        hashes=hashes,
        input_fp=input_fp.to_dict(),
        output_fp=output_fp.to_dict(),
        report=report,
        keys=keys,
        lineage=(by_output, dropped),
    )
    return Release(
        released,
        input_kind=kind,
        report=report,
        manifest=manifest,
        resolved_recipe=resolved,
        search_result=result,
        sources=sources,
        source_frame=original,
    )


# ----------------------------------------------------------------------------- helpers
