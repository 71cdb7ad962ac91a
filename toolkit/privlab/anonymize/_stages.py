"""The stages :func:`privlab.anonymize` shares with the streamed and Spark engines.

Recipe parsing, the privacy search or the resolved levels, and the verification
of the released data — on a table or on a class histogram of it (``counts=``).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from privlab._time import utc_now
from privlab._version import __version__
from privlab.anonymize._lattice import encode, evaluate
from privlab.anonymize._manifest import MANIFEST_VERSION
from privlab.anonymize._recipe import PrivacySpec, Recipe
from privlab.anonymize._release import AnonymizationReport
from privlab.anonymize._search import EncodingCache, SearchResult, _outlier_keys, search
from privlab.exceptions import InputError, PrivacyTargetError, PrivlabError, RecipeError
from privlab.hierarchy import Hierarchy
from privlab.io import materialized_source, scan_sources
from privlab.models import class_pairs, recursive_parts
from privlab.risk import assess_risk

__all__: list[str] = []

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
    *,
    counts: str | None = None,
    cache: EncodingCache | None = None,
) -> SearchResult:
    """The search, or the resolved levels evaluated; *frame* may be a class histogram."""
    try:
        if spec.resolved is not None:
            return _fixed_node(frame, spec, hierarchies, counts=counts)
        return search(
            frame,
            hierarchies,
            spec.models(),
            max_suppression=spec.max_suppression,
            metric=spec.metric,
            progress=progress,
            counts=counts,
            cache=cache,
        )
    except PrivlabError:
        raise
    except ValueError as exc:  # the search's own input checks (nulls, lattice size)
        raise InputError(f"cannot search for a generalization: {exc}") from None


def _fixed_node(
    frame: pl.DataFrame,
    spec: PrivacySpec,
    hierarchies: dict[str, Hierarchy],
    *,
    counts: str | None = None,
) -> SearchResult:
    """Evaluate the resolved levels on this data as the search would (no search)."""
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
    columns = [*qis, *spec.sensitive, *([counts] if counts else [])]
    enc = encode(frame.select(columns), hierarchies, models, counts=counts)
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
    verified: pl.DataFrame,
    released: pl.DataFrame,
    spec: PrivacySpec,
    suppressed: int,
    counts: str | None = None,
) -> tuple[dict[str, Any], Any]:
    """Check every declared target on the released records with privlab.risk.

    With *counts*, *verified* and *released* are class histograms of the released
    data (each row a distinct tuple, its records in that column).
    """
    qis = spec.quasi_identifiers
    failures: list[str] = []
    achieved: dict[str, Any] = {}
    targets: dict[str, Any] = {"max_suppression": spec.max_suppression}
    verified_rows = verified.height if counts is None else int(verified[counts].sum())
    released_rows = released.height if counts is None else int(released[counts].sum())
    if verified_rows == 0:
        raise PrivacyTargetError(
            f"every record would be suppressed to meet {_targets_text(spec)}; nothing was "
            "written — lower the targets or use coarser hierarchies"
        )
    first_sensitive = spec.sensitive[0] if spec.sensitive else None
    risk = assess_risk(verified, qis, sensitive=first_sensitive, counts=counts)
    achieved["k"] = risk.k
    if spec.k is not None:
        targets["k"] = spec.k
        if risk.k < spec.k:
            failures.append(f"k = {risk.k} < {spec.k}")
    if spec.l is not None:
        targets["l"] = spec.l.model_dump(exclude_none=True)
        lr = (
            risk
            if first_sensitive == spec.l.column
            else assess_risk(verified, qis, spec.l.column, counts=counts)
        )
        assert lr.l is not None
        achieved["l"] = dict(lr.l)
        if spec.l.variant == "distinct" and lr.l["distinct"] < spec.l.l:
            failures.append(f"distinct l = {lr.l['distinct']} < {spec.l.l:g}")
        if spec.l.variant == "entropy" and lr.l["entropy"] < spec.l.l - _TOL:
            failures.append(f"entropy l = {lr.l['entropy']:.4g} < {spec.l.l:g}")
        if spec.l.variant == "recursive":
            assert spec.l.c is not None
            worst = _recursive_worst(verified, qis, spec.l.column, int(spec.l.l), counts)
            achieved["l"]["recursive_c_at_l"] = worst
            if not worst < spec.l.c:
                failures.append(
                    f"recursive (c,l): r1 / (r_l + ... + r_m) reaches {worst:.4g}, not < c = "
                    f"{spec.l.c:g}"
                )
    if spec.t is not None:
        targets["t"] = spec.t.model_dump(exclude_none=True)
        tr = assess_risk(verified, qis, spec.t.column, ordered=spec.t.ordered, counts=counts)
        achieved["t"] = tr.t
        if tr.t is not None and tr.t > spec.t.t + _TOL:
            failures.append(f"t = {tr.t:.4g} > {spec.t.t:g}")
    share = suppressed / max(released_rows if spec.suppression == "mask" else
                             released_rows + suppressed, 1)  # fmt: skip
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
        "records_released": released_rows,
        "records_verified": verified_rows,
    }
    if spec.suppression == "mask":
        report["k_including_suppressed"] = (
            assess_risk(released, qis, counts=counts).k if suppressed else risk.k
        )
    if not failures:
        # the risk report of the released data as a recipient sees it
        risk = (
            risk
            if spec.suppression == "drop" or not suppressed
            else assess_risk(released, qis, sensitive=first_sensitive, counts=counts)
        )
    return report, risk


def _recursive_worst(
    frame: pl.DataFrame, qis: list[str], column: str, l_value: int, counts: str | None = None
) -> float:
    """The maximum over classes of r1 / (r_l + … + r_m); (c, l)-diverse iff it is < c."""
    pairs, _ = class_pairs(frame, qis, column, counts=counts)
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
    engine: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The release manifest (no data values, no secrets); *engine* for streamed/Spark runs."""
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
    if engine is not None:
        manifest["engine"] = engine
    return manifest
