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

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from privlab._time import utc_now
from privlab._version import __version__
from privlab.anonymize._lattice import encode, evaluate
from privlab.anonymize._manifest import MANIFEST_VERSION, LineageTracker
from privlab.anonymize._recipe import PrivacySpec, Recipe
from privlab.anonymize._release import AnonymizationReport, InputKind, Release
from privlab.anonymize._search import SearchResult, _outlier_keys, search
from privlab.exceptions import (
    ColumnNotFoundError,
    InputError,
    PrivacyTargetError,
    PrivlabError,
    RecipeError,
)
from privlab.hierarchy import Hierarchy
from privlab.io import fingerprint, materialized_source, read, scan_sources
from privlab.models import class_pairs, recursive_parts
from privlab.risk import assess_risk
from privlab.utility import utility

if TYPE_CHECKING:
    from privlab.anonymize._search import SearchResult
    from privlab.hierarchy import Hierarchy

__all__ = ["anonymize"]

_ROW = "__privlab_row__"
_TOL = 1e-9


def _as_recipe(recipe: Recipe | Mapping[str, Any] | str | os.PathLike[str]) -> Recipe:
    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, Mapping):
        return Recipe.from_dict(recipe)
    if isinstance(recipe, os.PathLike):
        return Recipe.from_yaml(Path(recipe))
    if isinstance(recipe, str):
        return Recipe.from_yaml(recipe)
    raise RecipeError(
        f"expected a Recipe, a dict, YAML text or a .yaml path, got {type(recipe).__name__}",
        [f"recipe: unsupported type {type(recipe).__name__}"],
    )


def _input_kind(data: Any) -> InputKind:
    if isinstance(data, pl.LazyFrame):
        return "lazy"
    if type(data).__module__.startswith("pandas") and type(data).__name__ == "DataFrame":
        return "pandas"
    if isinstance(data, str | os.PathLike):
        return "lazy"  # a path reads as pv.read does: a LazyFrame
    return "polars"


def anonymize(
    data: Any,
    recipe: Recipe | Mapping[str, Any] | str | os.PathLike[str],
    *,
    key: bytes | str | None = None,
    progress: bool | None = None,
    **read_kwargs: Any,
) -> Release:
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

    Returns
    -------
    Release
        ``.data`` (same type as *data*), ``.report``, ``.manifest``,
        ``.resolved_recipe``; ``.write(path)`` writes data and manifest.

    Raises
    ------
    PrivacyTargetError
        No generalization meets the targets within ``max_suppression`` (or the
        resolved levels need more suppression on this data); nothing is written.
    RecipeError, MissingSecretError, ColumnNotFoundError, HierarchyError
        An invalid recipe, a missing key, a missing column, a hierarchy that does
        not cover the data.

    Notes
    -----
    With ``suppression: mask`` the suppressed records stay in the release with
    every QI set to ``*``; like ARX, the verification then excludes them (they
    carry no QI value) and reports their number as ``suppressed``, and the
    report's ``k_including_suppressed`` shows k when they are counted as a class.
    """

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
        result = _run_search(current, spec, hierarchies, progress)
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
def _input_files(data: Any, lazy: pl.LazyFrame) -> list[Path]:
    """Files the input came from: the path given, or what a LazyFrame's plan scans."""

    found: list[Path] = []
    if isinstance(data, str | os.PathLike):
        found.append(Path(data))
    for frame in (data, lazy):
        if isinstance(frame, pl.LazyFrame):
            remembered = materialized_source(frame)
            if remembered is not None:
                found.append(Path(remembered))
            found += [Path(p) for p in scan_sources(frame)]
    return list(dict.fromkeys(found))


def _key_reference(params: Any, key: bytes | str | None) -> dict[str, Any]:
    """Where a keyed step's key came from — a name or a path, never the key."""
    if key is not None:
        return {"key_source": "argument"}
    if getattr(params, "key_file", None):
        return {"key_source": "key_file", "key_file": params.key_file}
    return {"key_source": "env", "key_env": params.key_env}


def _hierarchies(spec: PrivacySpec, base_dir: Path | None) -> dict[str, Hierarchy]:

    return {
        q: Hierarchy.from_spec(spec.hierarchies[q], base_dir=base_dir)
        for q in spec.quasi_identifiers
    }


def _run_search(
    frame: pl.DataFrame,
    spec: PrivacySpec,
    hierarchies: dict[str, Hierarchy],
    progress: bool | None,
) -> SearchResult:

    try:
        if spec.resolved is not None:
            return _fixed_node(frame, spec, hierarchies)
        return search(
            frame,
            hierarchies,
            spec.models(),
            max_suppression=spec.max_suppression,
            metric=spec.metric,
            progress=progress,
        )
    except PrivlabError:
        raise
    except ValueError as exc:  # the search's own input checks (nulls, lattice size)
        raise InputError(f"cannot search for a generalization: {exc}") from None


def _fixed_node(
    frame: pl.DataFrame, spec: PrivacySpec, hierarchies: dict[str, Hierarchy]
) -> SearchResult:
    """Evaluate the resolved levels on this data as the search would (no search)."""
    import time

    assert spec.resolved is not None
    qis = spec.quasi_identifiers
    node = tuple(spec.resolved.levels[q] for q in qis)
    for q, level in zip(qis, node, strict=True):
        if level >= hierarchies[q].height:
            msg = (
                f"resolved level {level} for {q!r} is outside its hierarchy "
                f"(levels 0..{hierarchies[q].height - 1})"
            )
            raise RecipeError(msg, [f"privacy.resolved.levels.{q}: {msg}"])
    models = spec.models()
    start = time.perf_counter()
    enc = encode(frame.select([*qis, *spec.sensitive]), hierarchies, models)
    evaluation = evaluate(enc, node, models, spec.max_suppression * enc.n)
    seconds = time.perf_counter() - start
    nodes = pl.DataFrame(
        {
            **{q: [lv] for q, lv in zip(qis, node, strict=True)},
            "loss": [evaluation.loss],
            "satisfied": [evaluation.satisfied],
            "suppressed": [evaluation.suppressed],
        }
    )
    stats = {"nodes_total": 1, "nodes_evaluated": 1, "nodes_pruned": 0, "records": enc.n,
             "strategy": "resolved", "search_seconds": seconds}  # fmt: skip
    if not evaluation.satisfied:
        share = evaluation.suppressed / max(enc.n, 1)
        raise PrivacyTargetError(
            f"the resolved levels {dict(spec.resolved.levels)} meet "
            f"{_targets_text(spec)} on this data only by suppressing "
            f"{evaluation.suppressed} of {enc.n} records ({share:.1%}), above max_suppression "
            f"{spec.max_suppression:.1%}; search again with the recipe's unresolved form "
            "(Recipe.unresolved()) or raise max_suppression"
        )
    return SearchResult(
        quasi_identifiers=list(qis),
        hierarchies=hierarchies,
        models=models,
        max_suppression=spec.max_suppression,
        node=node,
        loss=evaluation.loss,
        suppressed=evaluation.suppressed,
        nodes=nodes,
        stats=stats,
        outlier_keys=_outlier_keys(enc, evaluation) if evaluation.outlier.any() else [],
    )


def _targets_text(spec: PrivacySpec) -> str:
    return " + ".join(m.describe() for m in spec.models())


def _no_node_reason(result: SearchResult, spec: PrivacySpec) -> str:
    n = int(result.stats.get("records", 0))
    msg = (
        f"no generalization of {spec.quasi_identifiers} meets {_targets_text(spec)} with at "
        f"most {spec.max_suppression:.1%} of {n} records suppressed "
        f"({result.stats.get('nodes_evaluated', '?')} of {result.stats.get('nodes_total', '?')} "
        "lattice nodes evaluated)"
    )
    nodes = result.nodes
    if nodes.height and "suppressed" in nodes.columns:
        fewest = int(nodes["suppressed"].min())  # type: ignore[arg-type]
        if n:
            msg += (
                f"; the closest node evaluated would suppress {fewest} records ({fewest / n:.1%})"
            )
    msg += (
        ". Nothing was written. To fix: raise privacy.max_suppression, lower k / l or raise t, "
        "use fewer quasi-identifiers, or add coarser levels to their hierarchies"
    )
    return msg


def _verify(
    verified: pl.DataFrame, released: pl.DataFrame, spec: PrivacySpec, suppressed: int
) -> tuple[dict[str, Any], Any]:
    """Check every declared target on the released records with privlab.risk."""

    qis = spec.quasi_identifiers
    failures: list[str] = []
    achieved: dict[str, Any] = {}
    targets: dict[str, Any] = {"max_suppression": spec.max_suppression}
    if verified.height == 0:
        raise PrivacyTargetError(
            f"every record would be suppressed to meet {_targets_text(spec)}; nothing was "
            "written — lower the targets or use coarser hierarchies"
        )
    first_sensitive = spec.sensitive[0] if spec.sensitive else None
    risk = assess_risk(verified, qis, sensitive=first_sensitive)
    achieved["k"] = risk.k
    if spec.k is not None:
        targets["k"] = spec.k
        if risk.k < spec.k:
            failures.append(f"k = {risk.k} < {spec.k}")
    if spec.l is not None:
        targets["l"] = spec.l.model_dump(exclude_none=True)
        lr = risk if first_sensitive == spec.l.column else assess_risk(verified, qis, spec.l.column)
        assert lr.l is not None
        achieved["l"] = dict(lr.l)
        if spec.l.variant == "distinct" and lr.l["distinct"] < spec.l.l:
            failures.append(f"distinct l = {lr.l['distinct']} < {spec.l.l:g}")
        if spec.l.variant == "entropy" and lr.l["entropy"] < spec.l.l - _TOL:
            failures.append(f"entropy l = {lr.l['entropy']:.4g} < {spec.l.l:g}")
        if spec.l.variant == "recursive":
            assert spec.l.c is not None
            worst = _recursive_worst(verified, qis, spec.l.column, int(spec.l.l))
            achieved["l"]["recursive_c_at_l"] = worst
            if not worst < spec.l.c:
                failures.append(
                    f"recursive (c,l): r1 / (r_l + ... + r_m) reaches {worst:.4g}, not < c = "
                    f"{spec.l.c:g}"
                )
    if spec.t is not None:
        targets["t"] = spec.t.model_dump(exclude_none=True)
        tr = assess_risk(verified, qis, spec.t.column, ordered=spec.t.ordered)
        achieved["t"] = tr.t
        if tr.t is not None and tr.t > spec.t.t + _TOL:
            failures.append(f"t = {tr.t:.4g} > {spec.t.t:g}")
    share = suppressed / max(released.height if spec.suppression == "mask" else
                             released.height + suppressed, 1)  # fmt: skip
    if share > spec.max_suppression + _TOL:
        failures.append(
            f"suppressed share {share:.2%} > max_suppression {spec.max_suppression:.2%}"
        )
    report: dict[str, Any] = {
        "met": not failures,
        "failures": failures,
        "verified_on": "released data",
        "targets": targets,
        "achieved": achieved,
        "quasi_identifiers": list(qis),
        "suppression": spec.suppression,
        "suppressed": int(suppressed),
        "suppressed_share": share,
        "records_released": released.height,
        "records_verified": verified.height,
    }
    if spec.suppression == "mask":
        report["k_including_suppressed"] = assess_risk(released, qis).k if suppressed else risk.k
    if not failures:
        # the risk report of the released data as a recipient sees it
        risk = (
            risk
            if spec.suppression == "drop" or not suppressed
            else assess_risk(released, qis, sensitive=first_sensitive)
        )
    return report, risk


def _recursive_worst(frame: pl.DataFrame, qis: list[str], column: str, l_value: int) -> float:
    """max over classes of r1 / (r_l + … + r_m); (c, l)-diverse iff it is < c."""
    pairs, _ = class_pairs(frame, qis, column)
    r1, tail = recursive_parts(pairs, l_value)
    with np.errstate(divide="ignore"):
        ratios = np.where(tail > 0, r1 / np.where(tail > 0, tail, 1), math.inf)
    return float(ratios.max()) if len(ratios) else 0.0


def _search_summary(result: SearchResult) -> dict[str, Any]:
    summary = result.summary()
    summary["stats"] = {
        k: (round(v, 6) if isinstance(v, float) else v) for k, v in summary["stats"].items()
    }
    return summary


def _manifest(
    *,
    recipe: Recipe,
    resolved: Recipe,
    hashes: dict[str, str],
    input_fp: dict[str, Any],
    output_fp: dict[str, Any],
    report: AnonymizationReport,
    keys: list[dict[str, Any]],
    lineage: tuple[dict[str, Any], list[dict[str, Any]]],
) -> dict[str, Any]:

    risk = report.risk
    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "kind": "anonymized",
        "created": utc_now(),
        "privlab_version": __version__,
        "recipe_id": recipe.id(),
        "resolved_recipe_id": resolved.id(),
        "resolved_recipe": resolved.to_dict(),
        "hierarchies": hashes,
        "input_fingerprint": input_fp,
        "output_fingerprint": output_fp,
        "keys": keys,
        "steps": report.steps,
        "lineage": lineage[0],
        "dropped_columns": lineage[1],
        "privacy": report.privacy,
        "risk": None
        if risk is None
        else {
            "k": risk.k,
            "l": risk.l,
            "t": risk.t,
            "prosecutor_risk": {"max": risk.prosecutor["max"], "avg": risk.prosecutor["avg"]},
            "unique_share": risk.unique_share,
            "records": risk.records,
        },
        "utility": None
        if report.utility is None
        else {k: v for k, v in report.utility.to_dict().items() if k != "columns"},
        "search": report.search,
    }
    return manifest
