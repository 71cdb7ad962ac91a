"""One privacy–utility frontier across k-anonymity, differential privacy and synthetic data.

:func:`tradeoff` releases one table many ways and measures every release on the
same axes:

- **risk** of released microdata (anonymized or synthetic): a linkage attack
  (:func:`privlab.risk.linkage_attack`) — an attacker knowing targets'
  quasi-identifiers guesses their sensitive value — reported as the advantage
  over guessing; plus prosecutor risk where it is defined (anonymized releases).
- **utility**: error on one fixed workload of queries
  (:class:`privlab.utility.Workload`: all 1-/2-way marginals, grouped means),
  and ML utility (a classifier trained on the release, tested on real records
  kept out of every release).

Differential privacy releases *answers*, not microdata, so it gets its own panel:
the workload's **expected** error at each ε, computed from the noise scales
OpenDP calibrates (:meth:`privlab.dp.DPSession.preview`) — no budget is spent —
with ε on its own axis. A worst-case bound (ε) and a measured attack rate are
never drawn on the same axis.

Examples
--------
>>> import polars as pl, privlab as pv
>>> data = pl.DataFrame({
...     "age": [23, 35, 47, 51, 62, 38, 44, 29] * 25,
...     "sex": ["F", "M"] * 100,
...     "dx": ["a", "b", "c", "a", "b"] * 40,
... })
>>> roles = {"age": "quasi_identifier", "sex": "quasi_identifier", "dx": "sensitive"}
>>> t = pv.tradeoff(data, profile=roles, candidates={"k": [2, 5], "l": [], "epsilon": [1.0],
...                 "synthetic": []}, targets=50, progress=False)
>>> sorted(t.points["technique"].unique().to_list())
['k-anonymity', 'original']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

import privlab.dp as pdp
from privlab._config import get_config
from privlab.anonymize import (
    EncodingCache,
    KAnonymity,
    LDiversity,
    search,
)
from privlab.exceptions import InputError
from privlab.hierarchy import suggest as suggest_hierarchy
from privlab.io import read
from privlab.risk import assess_risk, linkage_attack
from privlab.synth import synthesize
from privlab.utility import ReleaseView, Workload, coverage_from_hierarchy, ml_utility
from privlab.viz import tradeoff_chart

__all__ = ["Tradeoff", "pareto_front", "tradeoff"]

DEFAULT_CANDIDATES: dict[str, Any] = {
    "k": [2, 5, 10, 20, 50],
    "l": [2],
    "epsilon": [0.1, 0.5, 1.0, 2.0, 5.0],
    "synthetic": ["gaussian_copula", "tvae"],
    "max_suppression": 0.05,
    "synthetic_epochs": 50,
}


def _roles(profile: Any) -> dict[str, str]:
    if isinstance(profile, Mapping):
        return {
            str(c): str(v.get("role") if isinstance(v, Mapping) else v) for c, v in profile.items()
        }
    columns = getattr(profile, "columns", None)
    if columns is None:
        raise InputError("profile must be a privlab Profile or a {column: role} mapping")
    if isinstance(columns, Mapping):
        columns = list(columns.values())
    return {str(c.name): str(c.role) for c in columns}


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
        ``advantage`` (linkage attack, 0 = no better than guessing), ``attack_success``,
        ``attack_baseline``, ``identified``, ``prosecutor_max``, ``workload_error``,
        ``ml_accuracy``, ``ml_relative``, ``suppressed``, ``loss`` (ARX, anonymized
        only), ``pareto``.
    dp:
        One row per ε: ``epsilon``, ``expected_error`` and per-query figures.
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

    def frontier_chart(self) -> Any:

        return tradeoff_chart(self)

    def release(self, label: str) -> pl.DataFrame:
        """The released rows of one grid point."""
        return self.releases[label].frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures (no data values)."""
        return {
            "quasi_identifiers": self.quasi_identifiers,
            "sensitive": self.sensitive,
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
    progress: bool | None = None,
) -> Tradeoff:
    """Evaluate anonymization, DP and synthesis of *data* on common axes.

    Parameters
    ----------
    data:
        The table (anything :func:`privlab.read` accepts).
    profile:
        A :class:`~privlab.profile.Profile` or ``{column: role}``: quasi-identifiers
        are generalized and attacked, the first categorical sensitive column is
        the attack's target and the ML label, numeric sensitive columns are
        averaged by group, direct identifiers are left out of every release.
    candidates:
        Grid: ``k`` (list), ``l`` (distinct ℓ values added to k = 5), ``epsilon``
        (list), ``synthetic`` (SDV model names), ``max_suppression``,
        ``synthetic_epochs``.
    holdout:
        Share of records kept out of every release, for the ML test.
    targets:
        Records the linkage attacker targets.
    """
    from tqdm.auto import tqdm

    grid = {**DEFAULT_CANDIDATES, **dict(candidates or {})}
    roles = _roles(profile)
    frame = read(data).collect()
    missing = [c for c in roles if c not in frame.columns]
    if missing:
        raise InputError(f"profile names columns not in the data: {missing}")
    qis = [c for c in frame.columns if roles.get(c) == "quasi_identifier"]
    if not qis:
        raise InputError("the profile marks no quasi-identifiers; nothing to trade off")
    sensitive_cols = [c for c in frame.columns if roles.get(c) == "sensitive"]
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
    numeric = [c for c in sensitive_cols if frame[c].dtype.is_numeric()]
    keep = [*qis, *categorical[:1], *numeric]
    frame = frame.select(keep).drop_nulls([*qis, target])
    rng = np.random.default_rng(seed)
    order = rng.permutation(frame.height)
    n_hold = max(1, round(frame.height * holdout))
    hold = frame[np.sort(order[:n_hold])]
    train = frame[np.sort(order[n_hold:])]
    hierarchies = {q: suggest_hierarchy(train[q]) for q in qis}
    group_by = [target, *[q for q in qis if train[q].n_unique() <= 10][:1]]
    workload = Workload.build(
        train, marginal_columns=[*qis, target], numeric=numeric, group_by=group_by
    )
    reference = ml_utility(workload, ReleaseView(train), hold, qis, target)["reference"]
    notes = [
        f"{frame.height} records; {hold.height} kept out of every release for the ML test",
        f"quasi-identifiers {qis}; attack and ML target {target!r}",
        "DP error is the expected error from OpenDP's noise scales (nothing spent); "
        "each ε is split evenly over the workload's queries",
    ]
    show = get_config()["progress"] if progress is None else progress
    jobs: list[tuple[str, Any]] = [("original", None)]
    jobs += [("k", k) for k in grid["k"]]
    jobs += [("l", lv) for lv in grid.get("l") or []]
    jobs += [("synthetic", m) for m in grid.get("synthetic") or []]
    rows: list[dict[str, Any]] = []
    releases: dict[str, Any] = {}
    bar = tqdm(total=len(jobs) + 1, disable=not show, desc="tradeoff", leave=False)
    cache = EncodingCache()  # every k / ℓ point searches the same data: encode it once
    for kind, param in jobs:
        row: dict[str, Any] = {"param": None if param is None else str(param), "loss": None}
        if kind == "original":
            label, technique = "original", "original"
            view = ReleaseView(train, aligned=True)
            row["prosecutor_max"] = assess_risk(train, qis).prosecutor["max"]
            row["suppressed"] = 0
        elif kind in ("k", "l"):
            models: list[Any] = [KAnonymity(int(param) if kind == "k" else 5)]
            if kind == "l":
                models.append(LDiversity(target, int(param)))
                label, technique = f"k=5, ℓ={param}", "ℓ-diversity"
            else:
                label, technique = f"k={param}", "k-anonymity"
            result = search(
                train,
                hierarchies,
                models,
                max_suppression=grid["max_suppression"],
                progress=False,
                cache=cache,
            )
            if result.node is None:
                bar.update(1)
                continue
            released = result.apply(train).collect()
            coverage = {
                q: coverage_from_hierarchy(hierarchies[q], train[q], lv)
                for q, lv in result.levels.items()
                if lv > 0 or result.suppressed
            }
            view = ReleaseView(released, coverage=coverage, aligned=True)
            kept = released.filter(
                pl.any_horizontal([pl.col(q).cast(pl.String) != "*" for q in qis])
            )
            row["prosecutor_max"] = assess_risk(kept, qis).prosecutor["max"] if kept.height else 0.0
            row["suppressed"] = result.suppressed
            row["loss"] = result.loss
        else:
            label, technique = f"synthetic ({param})", "synthetic"
            syn = synthesize(
                train,
                model=str(param),
                rows=train.height,
                seed=seed,
                epochs=grid.get("synthetic_epochs")
                if param in ("ctgan", "tvae", "copulagan")
                else None,
                profile={c: "other" for c in train.columns},
                progress=False,
            )
            assert isinstance(syn.data, pl.DataFrame)  # one table in, one table out
            view = ReleaseView(syn.data, aligned=False)
            row["prosecutor_max"] = None
            row["suppressed"] = 0
        attack = linkage_attack(train, view, qis, target, workload, targets=targets, seed=seed)
        ml = ml_utility(workload, view, hold, qis, target, reference=reference, seed=seed)
        row.update(
            label=label,
            technique=technique,
            advantage=attack["advantage"],
            attack_success=attack["success"],
            attack_baseline=attack["baseline"],
            identified=attack["identified"],
            workload_error=workload.evaluate(view)["error"],
            ml_accuracy=ml["accuracy"],
            ml_relative=ml["relative"],
        )
        rows.append(row)
        releases[label] = view
        bar.update(1)
    points = pl.DataFrame(
        rows,
        schema={
            "label": pl.String,
            "technique": pl.String,
            "param": pl.String,
            "advantage": pl.Float64,
            "attack_success": pl.Float64,
            "attack_baseline": pl.Float64,
            "identified": pl.Float64,
            "prosecutor_max": pl.Float64,
            "workload_error": pl.Float64,
            "ml_accuracy": pl.Float64,
            "ml_relative": pl.Float64,
            "suppressed": pl.Int64,
            "loss": pl.Float64,
        },
    )
    points = points.with_columns(
        pl.Series(
            "pareto",
            pareto_front(points["advantage"].to_list(), points["workload_error"].to_list()),
        )
    )
    dp = _dp_panel(train, workload, grid.get("epsilon") or [], numeric)
    bar.update(1)
    bar.close()
    return Tradeoff(
        points=points,
        dp=dp,
        workload=workload,
        releases=releases,
        quasi_identifiers=qis,
        sensitive=target,
        notes=notes,
    )


def _dp_panel(
    train: pl.DataFrame, workload: Any, epsilons: Sequence[float], numeric: Sequence[str]
) -> pl.DataFrame:
    """Expected workload error at each ε, from OpenDP's calibrated noise scales."""
    schema = {"epsilon": pl.Float64, "expected_error": pl.Float64, "per_query_epsilon": pl.Float64}
    if not epsilons:
        return pl.DataFrame(schema=schema)

    cells = workload.cells()
    n_queries = len(cells)
    n = train.height
    bounds = {c: (float(train[c].min()), float(train[c].max())) for c in numeric}  # type: ignore[arg-type]
    rows = []
    with pdp.DPSession(train) as session:  # previews only: nothing is spent
        for eps in epsilons:
            per_query = float(eps) / n_queries
            count_scale = float(session.preview(pdp.count(), epsilon=per_query)["scale"][0])
            errors = []
            for name, c in cells.items():
                if name.startswith("marginal:"):
                    # E|Laplace(s)| = s per cell; TVD of counts divided by n
                    errors.append(min(1.0, 0.5 * c * count_scale / n))
                else:
                    x, _g = name[len("mean:") :].split("|")
                    prev = session.preview(pdp.sum(x, bounds=bounds[x]), epsilon=per_query)
                    sum_scale = float(prev["scale"][0])
                    truth = workload.truth[name]
                    group_n = max(n / max(c, 1), 1.0)
                    rel = []
                    for mean in truth.values():
                        total = abs(mean) * group_n if mean else 1.0
                        rel.append(min(1.0, sum_scale / total + count_scale / group_n))
                    errors.append(float(np.mean(rel)) if rel else 1.0)
            rows.append(
                {
                    "epsilon": float(eps),
                    "expected_error": float(np.mean(errors)),
                    "per_query_epsilon": per_query,
                }
            )
    return pl.DataFrame(rows, schema=schema)
