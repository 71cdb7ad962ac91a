"""One privacy–utility frontier across k-anonymity, differential privacy and synthetic data.

:func:`tradeoff` releases one table many ways and measures every release on the
same axes:

- **risk** of released microdata (anonymized or synthetic): a linkage attack
  (:func:`privlab.risk.linkage_attack`) — an attacker knowing targets'
  quasi-identifiers guesses their sensitive value from the release. The
  ``advantage`` is their success on people in the release minus their success on
  real people who are not (the holdout), with a 95 % interval (``advantage_lo``,
  ``advantage_hi``); the attacker is a **prosecutor** (knows the target is in the
  release) or a **journalist** (does not; ``attacker=``). The Pareto front uses
  ``risk``: the interval's upper end, or the share of member targets the attacker
  re-identifies (``identified``: their record is the only match) when that is larger —
  quasi-identifiers that already give the sensitive value away (a diagnosis and its
  code) leave no advantage, but a release that names its members is not safe.
  Prosecutor risk (1/smallest class) is added where it is defined (anonymized releases).
- **utility**: error on one fixed workload of queries
  (:class:`privlab.utility.Workload`: all 1-/2-way marginals, grouped means),
  and ML utility (a classifier trained on the release, tested on real records
  kept out of every release).

Differential privacy releases *answers*, not microdata, so it gets its own panel:
the workload's **expected** error at each ε, computed from the noise scales
OpenDP calibrates (:meth:`privlab.dp.DPSession.preview`) — no budget is spent —
with ε on its own axis. The plan uses public information only: every cell of
every marginal over the workload's public bins (empty ones too), sum bounds
declared in ``public["bounds"]``, and group sizes declared in
``public["group_sizes"]`` or else the public row bound split evenly over the
public keys — never the data's true group sizes. A worst-case bound (ε) and a
measured attack rate are never drawn on the same axis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

import privlab.dp as pdp
from privlab._progress import ProgressCallback
from privlab._progress import progress as progress_reporter
from privlab.anonymize import (
    EncodingCache,
    KAnonymity,
    LDiversity,
    search,
)
from privlab.exceptions import InputError
from privlab.hierarchy import suggest as suggest_hierarchy
from privlab.io import frame_sources, read
from privlab.risk import assess_risk, linkage_attack
from privlab.synth import synthesize
from privlab.utility import ReleaseView, Workload, coverage_from_hierarchy, ml_utility
from privlab.viz import tradeoff_chart

__all__ = ["Tradeoff", "pareto_front", "tradeoff"]

DEFAULT_CANDIDATES: dict[str, Any] = {
    "k": [2, 5, 10, 20, 50],
    "l": [2],
    "epsilon": [0.1, 0.5, 1.0, 2.0, 5.0],
    "synthetic": ["gaussian_copula"],  # add "tvae", "ctgan": slower (a neural fit each)
    "max_suppression": 0.05,
    "synthetic_epochs": 50,
}


def _roles(profile: Any) -> tuple[dict[str, str], set[str]]:
    """``{column: role}`` and the columns flagged ``special_category`` in *profile*."""
    special: set[str] = set()
    if isinstance(profile, Mapping):
        roles = {}
        for c, v in profile.items():
            roles[str(c)] = str(v.get("role") if isinstance(v, Mapping) else v)
            if isinstance(v, Mapping) and v.get("special_category"):
                special.add(str(c))
        return roles, special
    columns = getattr(profile, "columns", None)
    if columns is None:
        raise InputError("profile must be a privlab Profile or a {column: role} mapping")
    if isinstance(columns, Mapping):
        columns = list(columns.values())
    for c in columns:
        if getattr(c, "special_category", False):
            special.add(str(c.name))
    return {str(c.name): str(c.role) for c in columns}, special


def _semantic_types(profile: Any) -> dict[str, str]:
    """``{column: semantic_type}`` where the profile knows one."""
    if isinstance(profile, Mapping):
        return {
            str(c): str(v["semantic_type"])
            for c, v in profile.items()
            if isinstance(v, Mapping) and v.get("semantic_type")
        }
    columns = getattr(profile, "columns", None) or []
    if isinstance(columns, Mapping):
        columns = list(columns.values())
    return {str(c.name): str(c.semantic_type) for c in columns if getattr(c, "semantic_type", None)}


def pareto_front(risk: Sequence[float], error: Sequence[float]) -> list[bool]:
    """Points not dominated by another (lower-or-equal on both, strictly lower on one).

    Examples
    --------
    >>> pareto_front([0.9, 0.5, 0.6, 0.1], [0.0, 0.2, 0.3, 0.8])
    [True, True, False, True]
    """
    out = []
    for i, (r, e) in enumerate(zip(risk, error, strict=True)):
        dominated = any(
            (r2 <= r and e2 <= e) and (r2 < r or e2 < e)
            for j, (r2, e2) in enumerate(zip(risk, error, strict=True))
            if j != i
        )
        out.append(not dominated)
    return out


@dataclass
class Tradeoff:
    """The evaluated grid of releases.

    Attributes
    ----------
    points:
        One row per microdata release: ``label``, ``technique``, ``param``,
        ``advantage`` (linkage attack: success on members minus success on
        non-members, 0 = the release tells nothing about its members that it does
        not tell about anyone), ``advantage_lo`` / ``advantage_hi`` (its 95 %
        interval), ``attack_success`` (on members), ``attack_non_member``,
        ``attack_baseline``, ``identified``, ``prosecutor_max``, ``workload_error``,
        ``ml_accuracy``, ``ml_relative``, ``suppressed``, ``loss`` (ARX, anonymized
        only), ``risk`` (the larger of ``advantage_hi`` and ``identified``) and ``pareto``
        (on ``risk`` and ``workload_error``).
    dp:
        One row per ε: ``epsilon``, ``expected_error``, ``per_query_epsilon``,
        ``cells`` (every public cell of the workload, empty ones too).
    attacker:
        ``"prosecutor"`` or ``"journalist"`` (see :func:`privlab.risk.linkage_attack`).
    releases:
        label → the released microdata (:class:`privlab.utility.ReleaseView`).
    """

    points: pl.DataFrame
    dp: pl.DataFrame
    workload: Any
    releases: dict[str, Any] = field(repr=False)
    quasi_identifiers: list[str] = field(default_factory=list)
    sensitive: str | None = None
    notes: list[str] = field(default_factory=list)
    #: files the data was read from (a report or release must not overwrite one)
    sources: tuple[Path, ...] = ()
    attacker: str = "prosecutor"

    def frontier_chart(self) -> Any:
        """The risk–utility chart of the grid (:func:`privlab.viz.tradeoff_chart`), undisplayed."""
        return tradeoff_chart(self)

    def release(self, label: str) -> pl.DataFrame:
        """The released rows of one grid point."""
        return self.releases[label].frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures (no data values)."""
        return {
            "quasi_identifiers": self.quasi_identifiers,
            "sensitive": self.sensitive,
            "attacker": self.attacker,
            "workload": self.workload.describe(),
            "points": self.points.to_dicts(),
            "dp": self.dp.to_dicts(),
            "notes": self.notes,
        }


def tradeoff(
    data: Any,
    *,
    profile: Any,
    candidates: Mapping[str, Any] | None = None,
    holdout: float = 0.2,
    targets: int = 300,
    seed: int = 0,
    attacker: Literal["prosecutor", "journalist"] = "prosecutor",
    public: Mapping[str, Any] | None = None,
    progress: bool | None = None,
    callback: ProgressCallback | None = None,
) -> Tradeoff:
    """Evaluate anonymization, DP and synthesis of *data* on common axes.

    Parameters
    ----------
    data:
        The table (anything :func:`privlab.read` accepts).
    profile:
        A :class:`~privlab.profile.Profile` or ``{column: role}`` (or ``{column:
        {"role": ..., "special_category": bool}}``): quasi-identifiers are
        generalized and attacked, the first categorical sensitive column is the
        attack's target and the ML label, numeric sensitive columns are averaged
        by group, direct identifiers are left out of every release. A column
        flagged ``special_category`` (health, ethnicity, …) is both: a
        quasi-identifier the attacker may know and a sensitive value they may be
        after.
    candidates:
        Grid: ``k`` (list), ``l`` (distinct ℓ values added to k = 5), ``epsilon``
        (list), ``synthetic`` (SDV model names), ``max_suppression``,
        ``synthetic_epochs``.
    holdout:
        Share of records kept out of every release: the ML test set and the
        attack's non-members.
    targets:
        Members (and as many non-members) the linkage attacker targets.
    seed:
        Seed of the split, the attack and the synthesizers.
    attacker:
        ``"prosecutor"`` (knows the target is in the release) or ``"journalist"``
        (does not; the advantage is scaled by the release's share of the data).
    public:
        What the DP panel may use, all optional: ``rows`` (the declared number of
        records; default: the table's row count for marginals and the DP session's
        power-of-two row bound, split over the public keys, for group sizes),
        ``bounds`` (``{column: (lo, hi)}`` for sums), ``group_sizes``
        (``{group column: {bin: records}}``). A mean whose column has no declared
        bounds cannot be planned and counts at the error cap 1.
    progress, callback:
        Show a bar with one step per release (default: ``PRIVLAB_PROGRESS``);
        receive ``(stage, done, total)``.

    Returns
    -------
    Tradeoff
        The microdata releases (``points``, with the Pareto front) and the DP
        panel (``dp``), figures only; the released rows stay in ``releases``.

    Raises
    ------
    InputError
        If *attacker* is unknown, the profile names columns the data lacks, or
        marks no quasi-identifier or no categorical sensitive column (2–50
        values) besides the attack target.

    Examples
    --------
    >>> import polars as pl
    >>> data = pl.DataFrame({
    ...     "age": [23, 35, 47, 51, 62, 38, 44, 29] * 25,
    ...     "sex": ["F", "M"] * 100,
    ...     "dx": ["a", "b", "c", "a", "b"] * 40,
    ... })
    >>> roles = {"age": "quasi_identifier", "sex": "quasi_identifier", "dx": "sensitive"}
    >>> t = tradeoff(data, profile=roles, candidates={"k": [2, 5], "l": [], "epsilon": [1.0],
    ...              "synthetic": []}, targets=50, progress=False)
    >>> t.points["label"].to_list()
    ['original', 'k=2', 'k=5']
    >>> t.dp["epsilon"].to_list()
    [1.0]
    """
    if attacker not in ("prosecutor", "journalist"):
        raise InputError(f"`attacker` must be 'prosecutor' or 'journalist', got {attacker!r}")
    grid = {**DEFAULT_CANDIDATES, **dict(candidates or {})}
    roles, special = _roles(profile)
    frame = read(data).collect()
    missing = [c for c in roles if c not in frame.columns]
    if missing:
        raise InputError(f"profile names columns not in the data: {missing}")
    qis = [c for c in frame.columns if roles.get(c) == "quasi_identifier" or c in special]
    if not qis:
        raise InputError("the profile marks no quasi-identifiers; nothing to trade off")
    sensitive_cols = [c for c in frame.columns if roles.get(c) == "sensitive" or c in special]
    categorical = [
        c
        for c in sensitive_cols
        if not frame[c].dtype.is_numeric() and 2 <= frame[c].n_unique() <= 50
    ]
    if not categorical:
        raise InputError(
            "the tradeoff needs a categorical sensitive column (2–50 values) for the "
            "attack and the ML test; mark one as 'sensitive' in the profile"
        )
    target = categorical[0]
    qis = [q for q in qis if q != target]  # the attacker does not know what they are after
    if not qis:
        raise InputError(
            f"the only quasi-identifier is the attack target {target!r}; mark another column "
            "as a quasi-identifier"
        )
    numeric = [c for c in sensitive_cols if frame[c].dtype.is_numeric() and c not in qis]
    keep = [*qis, target, *numeric]
    frame = frame.select(keep).drop_nulls([*qis, target])
    rng = np.random.default_rng(seed)
    order = rng.permutation(frame.height)
    n_hold = max(1, round(frame.height * holdout))
    hold = frame[np.sort(order[:n_hold])]
    train = frame[np.sort(order[n_hold:])]
    # multi-level hierarchies for categories too, so k can merge rare values before it
    # suppresses a column (semantic groupings for ICD-10 codes and countries)
    types = _semantic_types(profile)
    hierarchies = {
        q: suggest_hierarchy(train[q], semantic_type=types.get(q), categorical="levels")
        for q in qis
    }
    group_by = [target, *[q for q in qis if train[q].n_unique() <= 10][:1]]
    workload = Workload.build(
        train, marginal_columns=[*qis, target], numeric=numeric, group_by=group_by
    )
    reference = ml_utility(workload, ReleaseView(train), hold, qis, target)["reference"]
    notes = [
        f"{frame.height} records; {hold.height} kept out of every release for the ML test "
        "and as the attack's non-members",
        f"quasi-identifiers {qis}; attack and ML target {target!r}; attacker: {attacker}",
        "risk = linkage success on members minus success on non-members, with its 95 % "
        "interval; the Pareto front uses the upper end, or the share of members the attacker "
        "re-identifies (their record is the only one matching their quasi-identifiers) when "
        "that is larger",
        "DP error is the expected error from OpenDP's noise scales (nothing spent) over every "
        "public cell; each ε is split evenly over the workload's releases",
    ]
    if special:
        notes.append(f"special-category columns {sorted(special)} are QIs and sensitive")
    jobs: list[tuple[str, Any]] = [("original", None)]
    jobs += [("k", k) for k in grid["k"]]
    jobs += [("l", lv) for lv in grid.get("l") or []]
    jobs += [("synthetic", m) for m in grid.get("synthetic") or []]
    rows: list[dict[str, Any]] = []
    releases: dict[str, Any] = {}
    cache = EncodingCache()  # every k / ℓ point searches the same data: encode it once
    with progress_reporter(len(jobs) + 1, "tradeoff", show=progress, callback=callback) as bar:
        for kind, param in jobs:
            bar.set_stage(_job_label(kind, param))
            made = _release(kind, param, train, qis, target, hierarchies, grid, seed, cache)
            if made is None:
                bar.advance(stage=_job_label(kind, param))
                continue
            label, technique, view, row = made
            attack = linkage_attack(
                train,
                view,
                qis,
                target,
                workload,
                non_members=hold,
                attacker=attacker,
                targets=targets,
                seed=seed,
            )
            ml = ml_utility(workload, view, hold, qis, target, reference=reference, seed=seed)
            row.update(
                label=label,
                technique=technique,
                advantage=attack.advantage,
                advantage_lo=attack.ci[0],
                advantage_hi=attack.ci[1],
                attack_success=attack.member_success,
                attack_non_member=attack.non_member_success,
                attack_baseline=attack.baseline,
                identified=attack.identified,
                workload_error=workload.evaluate(view)["error"],
                ml_accuracy=ml["accuracy"],
                ml_relative=ml["relative"],
            )
            rows.append(row)
            releases[label] = view
            bar.advance(stage=label)
        bar.set_stage("differential privacy")
        dp, dp_notes = _dp_panel(train, workload, grid.get("epsilon") or [], numeric, public)
        notes += dp_notes
        bar.advance(stage="differential privacy")
    points = pl.DataFrame(rows, schema=_POINTS_SCHEMA)
    # the front's risk: what the attacker learns beyond non-members (the interval's upper
    # end) or the share of members whose record they single out, whichever is larger — a
    # target whose sensitive value its quasi-identifiers already give away (a diagnosis
    # and its code) shows no advantage, yet a release naming every member is not safe
    points = points.with_columns(
        pl.max_horizontal("advantage_hi", pl.col("identified").fill_null(0.0)).alias("risk")
    )
    points = points.with_columns(
        pl.Series(
            "pareto", pareto_front(points["risk"].to_list(), points["workload_error"].to_list())
        )
    )
    return Tradeoff(
        points=points,
        dp=dp,
        workload=workload,
        releases=releases,
        quasi_identifiers=qis,
        sensitive=target,
        notes=notes,
        sources=tuple(frame_sources(data)),
        attacker=attacker,
    )


_POINTS_SCHEMA = {
    "label": pl.String,
    "technique": pl.String,
    "param": pl.String,
    "advantage": pl.Float64,
    "advantage_lo": pl.Float64,
    "advantage_hi": pl.Float64,
    "attack_success": pl.Float64,
    "attack_non_member": pl.Float64,
    "attack_baseline": pl.Float64,
    "identified": pl.Float64,
    "prosecutor_max": pl.Float64,
    "workload_error": pl.Float64,
    "ml_accuracy": pl.Float64,
    "ml_relative": pl.Float64,
    "suppressed": pl.Int64,
    "loss": pl.Float64,
}


def _job_label(kind: str, param: Any) -> str:
    if kind == "original":
        return "original"
    if kind == "k":
        return f"k={param}"
    if kind == "l":
        return f"k=5, ℓ={param}"
    return f"synthetic ({param})"


def _release(
    kind: str,
    param: Any,
    train: pl.DataFrame,
    qis: list[str],
    target: str,
    hierarchies: Mapping[str, Any],
    grid: Mapping[str, Any],
    seed: int,
    cache: EncodingCache,
) -> tuple[str, str, ReleaseView, dict[str, Any]] | None:
    """One release of the grid: (label, technique, view, figures) or None when infeasible."""
    label = _job_label(kind, param)
    row: dict[str, Any] = {"param": None if param is None else str(param), "loss": None}
    if kind == "original":
        row["prosecutor_max"] = assess_risk(train, qis).prosecutor["max"]
        row["suppressed"] = 0
        return label, "original", ReleaseView(train, aligned=True), row
    if kind in ("k", "l"):
        models: list[Any] = [KAnonymity(int(param) if kind == "k" else 5)]
        if kind == "l":
            models.append(LDiversity(target, int(param)))
        result = search(
            train,
            dict(hierarchies),
            models,
            max_suppression=grid["max_suppression"],
            progress=False,
            cache=cache,
        )
        if result.node is None:
            return None
        released = result.apply(train).collect()
        coverage = {
            q: coverage_from_hierarchy(hierarchies[q], train[q], lv)
            for q, lv in result.levels.items()
            if lv > 0 or result.suppressed
        }
        view = ReleaseView(released, coverage=coverage, aligned=True)
        kept = released.filter(pl.any_horizontal([pl.col(q).cast(pl.String) != "*" for q in qis]))
        row["prosecutor_max"] = assess_risk(kept, qis).prosecutor["max"] if kept.height else 0.0
        row["suppressed"] = result.suppressed
        row["loss"] = result.loss
        return label, "ℓ-diversity" if kind == "l" else "k-anonymity", view, row
    syn = synthesize(
        train,
        model=str(param),
        rows=train.height,
        seed=seed,
        epochs=grid.get("synthetic_epochs") if param in ("ctgan", "tvae", "copulagan") else None,
        profile={c: "other" for c in train.columns},
        progress=False,
    )
    assert isinstance(syn.data, pl.DataFrame)  # one table in, one table out
    row["prosecutor_max"] = None
    row["suppressed"] = 0
    return label, "synthetic", ReleaseView(syn.data, aligned=False), row


def _expected_abs(distribution: str, scale: float) -> float:
    """E|noise| of OpenDP's Laplace (scale b: b) or Gaussian (σ: σ·√(2/π)) noise."""
    if "gauss" in distribution.lower():
        return scale * float(np.sqrt(2.0 / np.pi))
    return scale


def _dp_panel(
    train: pl.DataFrame,
    workload: Any,
    epsilons: Sequence[float],
    numeric: Sequence[str],
    public: Mapping[str, Any] | None,
) -> tuple[pl.DataFrame, list[str]]:
    """Expected workload error at each ε, planned from public information only.

    Every marginal releases a noisy count for **every** cell of its public domain
    (the product of its columns' public bins, empty cells included); its error is
    the expected total variation ``½ · cells · E|noise| / N`` with ``N`` the declared
    row count (``public["rows"]``) or else the table's row count, which privlab's DP
    sessions treat as public (their row bound is derived from it). A mean by group releases a
    noisy sum (clipped to the declared ``public["bounds"]``) and a noisy count per
    public key; its expected relative error per key is ``E|sum noise| / (n_g · |μ_g|)
    + E|count noise| / n_g`` with ``n_g`` the declared group size or the public row
    bound split evenly over the keys, and ``μ_g`` the true answer the error is
    measured against (as for every release in the trade-off). ε is split evenly
    over all noisy releases.
    """
    schema = {
        "epsilon": pl.Float64,
        "expected_error": pl.Float64,
        "per_query_epsilon": pl.Float64,
        "cells": pl.Int64,
    }
    notes: list[str] = []
    if not epsilons:
        return pl.DataFrame(schema=schema), notes
    public = dict(public or {})
    bounds = {str(k): (float(v[0]), float(v[1])) for k, v in (public.get("bounds") or {}).items()}
    sizes = {str(k): dict(v) for k, v in (public.get("group_sizes") or {}).items()}
    domains = workload.domains()
    marginal_cells = {
        "marginal:" + "×".join(m): int(np.prod([len(domains[c]) for c in m]))
        for m in workload.marginals
    }
    unplanned = sorted({x for x, _g in workload.means if x not in bounds})
    if unplanned:
        notes.append(
            f"no public bounds for {unplanned}: their means cannot be planned without "
            "looking at the data and count at the error cap 1 in the DP panel (declare "
            "public={'bounds': {column: (lo, hi)}})"
        )
    n_releases = len(marginal_cells) + 2 * sum(1 for x, _g in workload.means if x in bounds)
    rows = []
    with pdp.DPSession(train) as session:  # previews only: nothing is spent
        declared_rows = public.get("rows")
        total = int(declared_rows or train.height)
        row_bound = int(declared_rows or session.max_rows)
        for eps in epsilons:
            per_query = float(eps) / max(n_releases, 1)
            count = session.preview(pdp.count(), epsilon=per_query)
            count_noise = _expected_abs(str(count["distribution"][0]), float(count["scale"][0]))
            errors = [
                min(1.0, 0.5 * cells * count_noise / total) for cells in marginal_cells.values()
            ]
            for x, g in workload.means:
                if x not in bounds:
                    errors.append(1.0)
                    continue
                prev = session.preview(pdp.sum(x, bounds=bounds[x]), epsilon=per_query)
                sum_noise = _expected_abs(str(prev["distribution"][0]), float(prev["scale"][0]))
                truth = workload.truth[f"mean:{x}|{g}"]
                keys = domains[g]
                declared = sizes.get(g, {})
                rel = []
                for key in keys:
                    n_g = float(declared.get(key, row_bound / len(keys)))
                    mean = truth.get(key)
                    if mean is None:
                        continue  # the query's error is over groups with a true mean
                    if n_g <= 0:
                        rel.append(1.0)
                        continue
                    scale_of_sum = abs(mean) * n_g if mean else 1.0
                    rel.append(min(1.0, sum_noise / scale_of_sum + count_noise / n_g))
                errors.append(float(np.mean(rel)) if rel else 1.0)
            rows.append(
                {
                    "epsilon": float(eps),
                    "expected_error": float(np.mean(errors)) if errors else 0.0,
                    "per_query_epsilon": per_query,
                    "cells": sum(marginal_cells.values()),
                }
            )
    return pl.DataFrame(rows, schema=schema), notes
