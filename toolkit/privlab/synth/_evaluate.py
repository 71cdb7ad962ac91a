"""Quality and privacy of a :class:`Synthetic` release, as figures that carry no data.

Quality comes from SDMetrics (the Quality Report: column shapes and column-pair
trends; the Diagnostic Report: validity and structure). Privacy is measured on the
modelled columns (generated identifiers and keys are random by construction):

* ``exact_copy_rate``: share of synthetic rows identical to a training row (and,
  for comparison, to a holdout row — copies of common rows happen by chance);
* ``pii_replay``: generated identifier values equal to a real value of the column;
* DCR against the holdout (SDMetrics' DCROverfittingProtection) and against random
  data (DCRBaselineProtection), computed by :mod:`privlab.synth._dcr`;
* singling-out, linkability and inference risk (Anonymeter's method,
  :mod:`privlab.synth._attacks`), with the holdout as control set.

``privacy_risk`` in :meth:`SynthReport.summary` is the largest attack risk: one
number an analyst can read ("an attacker gains at most this much over chance").
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from privlab.exceptions import SynthesisError
from privlab.synth._attacks import (
    AttackResult,
    inference_risk,
    linkability_risk,
    singling_out_risk,
)
from privlab.synth._boundary import as_polars, to_sdv
from privlab.synth._dcr import dcr_baseline_protection, dcr_overfitting_protection
from privlab.synth._metadata import SynthMetadata, TablePlan
from privlab.synth._replay import replay_check
from privlab.synth._seeding import derive_seeds

if TYPE_CHECKING:  # pragma: no cover
    from privlab.synth._synthesize import Synthetic

__all__ = ["SynthReport", "evaluate_synthetic"]

# Anonymeter's default allows 10 million attempts to find singling-out predicates,
# which takes minutes on small or coarse tables that have few unique combinations.
_MIN_ATTEMPTS = 20_000


@dataclass
class SynthReport:
    """Evaluation of a synthetic release. Scores, rates and counts only.

    Attributes
    ----------
    quality:
        SDMetrics Quality Report: ``overall``, ``column_shapes``,
        ``column_pair_trends`` and per-column ``columns`` scores.
    diagnostic:
        SDMetrics Diagnostic Report: ``overall`` and its properties.
    privacy:
        ``{table: {...}}`` with ``exact_copy_rate``, ``holdout_copy_rate``,
        ``pii_replay``, ``dcr_overfitting``, ``dcr_baseline`` and ``attacks``
        (``singling_out``, ``linkability``, ``inference`` → :class:`AttackResult`).
    seconds:
        Time per part of the evaluation.
    """

    quality: dict[str, Any]
    diagnostic: dict[str, Any]
    privacy: dict[str, dict[str, Any]]
    seconds: dict[str, float] = field(default_factory=dict)

    def attacks(self) -> list[AttackResult]:
        """Every attack result, over all tables."""
        out: list[AttackResult] = []
        for table in self.privacy.values():
            for value in table.get("attacks", {}).values():
                out.extend(value.values() if isinstance(value, dict) else [value])
        return out

    def summary(self) -> dict[str, Any]:
        """Headline figures (for manifests, the CLI and the widget)."""

        def worst(key: str) -> float | None:
            vals = [t[key] for t in self.privacy.values() if t.get(key) is not None]
            return max(vals) if vals else None

        def risk(kind: str) -> float | None:
            vals = [a.risk for a in self.attacks() if a.attack.startswith(kind)]
            return max(vals) if vals else None

        def dcr(key: str) -> float | None:
            vals = [t[key]["score"] for t in self.privacy.values() if t.get(key)]
            return min(vals) if vals else None

        attack_risks = [a.risk for a in self.attacks()]
        return {
            "quality_score": self.quality.get("overall"),
            "column_shapes": self.quality.get("column_shapes"),
            "column_pair_trends": self.quality.get("column_pair_trends"),
            "diagnostic_score": self.diagnostic.get("overall"),
            "exact_copy_rate": worst("exact_copy_rate"),
            "holdout_copy_rate": worst("holdout_copy_rate"),
            "pii_replay": sum(sum(t.get("pii_replay", {}).values()) for t in self.privacy.values()),
            "dcr_overfitting_protection": dcr("dcr_overfitting"),
            "dcr_baseline_protection": dcr("dcr_baseline"),
            "singling_out_risk": risk("singling_out"),
            "linkability_risk": risk("linkability"),
            "inference_risk": risk("inference"),
            "privacy_risk": max(attack_risks) if attack_risks else None,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``report.json`` of a release)."""

        def convert(value: Any) -> Any:
            if isinstance(value, AttackResult):
                return value.to_dict()
            if isinstance(value, dict):
                return {k: convert(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [convert(v) for v in value]
            if isinstance(value, np.generic):
                return value.item()
            return value

        return {
            "summary": self.summary(),
            "quality": convert(self.quality),
            "diagnostic": convert(self.diagnostic),
            "privacy": convert(self.privacy),
            "seconds": self.seconds,
        }

    def to_json(self, path: str | Path) -> None:
        """Write :meth:`to_dict` to *path*."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, default=str) + "\n")


# -------------------------------------------------------------------- quality


def _score(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(out) else out


def _sdmetrics_reports(
    real: Mapping[str, pl.DataFrame],
    synthetic: Mapping[str, pl.DataFrame],
    metadata: SynthMetadata,
) -> tuple[dict[str, Any], dict[str, Any]]:
    import warnings

    from sdv.evaluation import evaluate_quality, run_diagnostic

    sdv_meta = metadata.to_sdv()
    real_pd = {n: to_sdv(df, metadata.tables[n]) for n, df in real.items()}
    syn_pd = {n: to_sdv(df, metadata.tables[n]) for n, df in synthetic.items()}
    single = len(real_pd) == 1
    args = (
        (next(iter(real_pd.values())), next(iter(syn_pd.values()))) if single else (real_pd, syn_pd)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = evaluate_quality(*args, sdv_meta, verbose=False)
        d = run_diagnostic(*args, sdv_meta, verbose=False)
    props = {row["Property"]: _score(row["Score"]) for _, row in q.get_properties().iterrows()}
    quality: dict[str, Any] = {
        "overall": _score(q.get_score()),
        "column_shapes": props.get("Column Shapes"),
        "column_pair_trends": props.get("Column Pair Trends"),
        "properties": props,
    }
    try:
        details = q.get_details("Column Shapes")
        quality["columns"] = [
            {
                "table": str(row["Table"]) if "Table" in details.columns else None,
                "column": str(row["Column"]),
                "metric": str(row["Metric"]),
                "score": _score(row["Score"]),
            }
            for _, row in details.iterrows()
        ]
    except Exception:  # pragma: no cover - details are a convenience
        quality["columns"] = []
    dprops = {row["Property"]: _score(row["Score"]) for _, row in d.get_properties().iterrows()}
    diagnostic = {"overall": _score(d.get_score()), "properties": dprops}
    return quality, diagnostic


# -------------------------------------------------------------------- privacy


def _copy_rate(synthetic: pl.DataFrame, real: pl.DataFrame, columns: list[str]) -> float | None:
    if not columns or synthetic.height == 0:
        return None
    syn = synthetic.select(columns).with_row_index("__row")
    ref = real.select(columns).unique()
    try:
        hits = syn.join(ref, on=columns, how="semi", nulls_equal=True).height
    except pl.exceptions.PolarsError:
        return None
    return hits / synthetic.height


def _split_aux(columns: Sequence[str], qis: Sequence[str]) -> tuple[list[str], list[str]]:
    base = [c for c in columns if c in qis] if len([c for c in columns if c in qis]) >= 2 else []
    pool = base or list(columns)
    return pool[0::2], pool[1::2]


def _attack_columns(plan: TablePlan) -> list[str]:
    return plan.names("modelled")


def _table_privacy(
    name: str,
    plan: TablePlan,
    real: pl.DataFrame,
    synthetic: pl.DataFrame,
    holdout: pl.DataFrame | None,
    *,
    attacks: bool,
    n_attacks: int,
    secrets: Sequence[str] | None,
    dcr_rows: int | None,
    seed: int,
    seconds: dict[str, float],
) -> dict[str, Any]:
    cols = _attack_columns(plan)
    out: dict[str, Any] = {
        "columns": cols,
        "exact_copy_rate": _copy_rate(synthetic, real, cols),
        "holdout_copy_rate": None if holdout is None else _copy_rate(synthetic, holdout, cols),
        "pii_replay": replay_check(real, synthetic, holdout=holdout, plan=plan),
    }
    s_sub, s_dcr, s_so, s_link, s_inf = derive_seeds(seed, 5, stream=50)
    if cols:
        start = time.perf_counter()
        rng = np.random.default_rng(s_sub)

        def sub(df: pl.DataFrame) -> pl.DataFrame:
            if dcr_rows is None or df.height <= dcr_rows:
                return df.select(cols)
            return df.select(cols)[np.sort(rng.choice(df.height, dcr_rows, replace=False))]

        syn_s, real_s = sub(synthetic), sub(real)
        out["dcr_baseline"] = dcr_baseline_protection(real_s, syn_s, cols, seed=s_dcr)
        if holdout is not None:
            out["dcr_overfitting"] = dcr_overfitting_protection(real_s, syn_s, sub(holdout), cols)
        seconds["dcr"] = seconds.get("dcr", 0.0) + time.perf_counter() - start
    if not attacks or not cols:
        return out
    results: dict[str, Any] = {}
    start = time.perf_counter()
    n_cols = min(3, len(cols))
    results["singling_out"] = singling_out_risk(
        real,
        synthetic,
        holdout,
        columns=cols,
        n_attacks=n_attacks,
        n_cols=n_cols,
        max_attempts=max(_MIN_ATTEMPTS, 100 * n_attacks),
        seed=s_so,
    )
    seconds["singling_out"] = seconds.get("singling_out", 0.0) + time.perf_counter() - start
    if len(cols) >= 2:
        start = time.perf_counter()
        qis = [c.name for c in plan.columns if c.role == "quasi_identifier"]
        results["linkability"] = linkability_risk(
            real, synthetic, _split_aux(cols, qis), holdout, n_attacks=n_attacks, seed=s_link
        )
        seconds["linkability"] = seconds.get("linkability", 0.0) + time.perf_counter() - start
        start = time.perf_counter()
        if secrets is None:
            chosen = [c.name for c in plan.columns if c.role == "sensitive" and c.name in cols]
            chosen = chosen or cols[-1:]
        else:
            chosen = [s for s in secrets if s in cols]
        inference = {}
        for i, secret in enumerate(chosen):
            aux = [c for c in cols if c != secret]
            inference[secret] = inference_risk(
                real, synthetic, aux, secret, holdout, n_attacks=n_attacks, seed=s_inf + i
            )
        results["inference"] = inference
        seconds["inference"] = seconds.get("inference", 0.0) + time.perf_counter() - start
    out["attacks"] = results
    return out


def _holdout_tables(syn: Synthetic, holdout: Any) -> dict[str, pl.DataFrame] | None:
    if holdout is None:
        return syn._holdout
    if isinstance(holdout, Mapping):
        return {str(k): as_polars(v, name=str(k)) for k, v in holdout.items()}
    if len(syn._real) != 1:
        raise SynthesisError(
            "several tables were synthesized; pass holdout as {table: frame}, got one frame"
        )
    return {next(iter(syn._real)): as_polars(holdout)}


def evaluate_synthetic(
    syn: Synthetic,
    *,
    holdout: Any = None,
    quality: bool = True,
    attacks: bool = True,
    n_attacks: int = 500,
    secrets: Sequence[str] | None = None,
    dcr_rows: int | None = 2000,
    seed: int | None = None,
) -> SynthReport:
    """Score a :class:`Synthetic` for quality (SDMetrics) and privacy.

    Parameters
    ----------
    syn:
        The result of :func:`privlab.synthesize`.
    holdout:
        Real rows not used for fitting; default: those kept by ``synthesize(holdout=)``.
        Without a holdout, DCR overfitting is skipped and attack risks are the raw
        success rates (no control set).
    quality:
        Run the SDMetrics Quality and Diagnostic reports.
    attacks:
        Run the singling-out, linkability and inference attacks.
    n_attacks:
        Attacks per evaluator (Anonymeter's default is 500).
    secrets:
        Columns the inference attacker tries to learn; default: the columns the
        Profile calls sensitive, else the last modelled column.
    dcr_rows:
        Subsample size for DCR (``None``: all rows).
    seed:
        Seed of the attackers and subsamples; default: the synthesis seed.
    """
    seed = syn.seed if seed is None else seed
    held = _holdout_tables(syn, holdout)
    seconds: dict[str, float] = {}
    q: dict[str, Any] = {}
    d: dict[str, Any] = {}
    if quality:
        start = time.perf_counter()
        q, d = _sdmetrics_reports(syn._real, syn.tables, syn.metadata)
        seconds["quality"] = time.perf_counter() - start
    privacy = {}
    for t_index, (name, real) in enumerate(syn._real.items()):
        hold = None if held is None else held.get(name)
        if hold is not None:
            hold = hold.select(real.columns)
        privacy[name] = _table_privacy(
            name,
            syn.metadata.tables[name],
            real,
            syn.tables[name],
            hold,
            attacks=attacks,
            n_attacks=n_attacks,
            secrets=secrets,
            dcr_rows=dcr_rows,
            seed=derive_seeds(seed, 1, stream=60 + t_index)[0],
            seconds=seconds,
        )
    return SynthReport(quality=q, diagnostic=d, privacy=privacy, seconds=seconds)
