"""Quality and privacy of synthetic data, as figures that carry no data.

:func:`evaluate_synthetic` takes the training rows, the synthetic rows and a
**holdout** of real rows from the same population that the generator never saw.
Every privacy figure compares what the synthetic data gives an attacker about the
training rows (members) with what it gives about the holdout rows (non-members):
whatever the attacker also achieves on people who were never used is what
population statistics give anyone, not a leak.

**Equal sizes.** A larger reference set is closer to, and matches more of,
everything by chance. So the training side is subsampled to the holdout's size
(or the holdout to the training size, whichever is smaller) once, with *seed*,
and every figure below uses those two equal-size sets (``rows`` reports the sizes).
A synthetic set that is a copy of the **full** training set then scores about
``n_holdout / n_train`` on singling out — only that share of the copied rows is
in the subsample the attacker is scored on.

Figures (each a point estimate with its 95 % interval, ``ci``):

* ``singling_out``, ``linkability``, ``inference`` — Anonymeter's attacks
  (:mod:`privlab.synth._attacks`, agreement with the ``anonymeter`` package in
  ``benchmarks/bench_synth.py``): the attacker sees only the synthetic rows;
  the risk is the excess success on members over non-members,
  ``(r_train − r_holdout) / (1 − r_holdout)``, clipped to [0, 1] as Anonymeter does;
* ``exact_copies`` — share of synthetic rows identical to a member minus the
  share identical to a non-member (``train_rate`` and ``holdout_rate`` beside it;
  common rows are copied by chance from both sides); not clipped;
* ``dcr`` — SDMetrics' DCROverfittingProtection at equal sizes: the share of
  synthetic rows strictly closer to a member than to any non-member (ties — a row
  at the same distance from both — count for neither). ``risk = max(0, 2 · closer
  − 1)`` = 1 − SDMetrics' score; SDMetrics' ``score`` is kept beside it;
* ``pii_replay`` — generated identifier values equal to a real value (a count).

SDMetrics' DCRBaselineProtection (synthetic vs uniform random rows) is *not*
reported: it scores real rows never used for anything (0.035 on Adult) as less
protective than a full copy of the training set would be under a size mismatch —
it measures fidelity, not leakage.

**Gates and summaries use the upper end of the interval**: ``privacy_risk`` in
:meth:`SynthReport.summary` is the largest upper end among the three attacks —
"with 95 % confidence, no attack gains more than this over the holdout".
``n_attacks`` (default 2,000, capped by the
equal-size row count) is chosen so that a perfect
generator — fresh real rows from the same population — has an upper end below
the 0.1 limit of the policy templates on the calibration sets
(``benchmarks/RESULTS.md``, "Calibration of the synthetic-data risk figures").
An inference secret that the holdout attack already guesses most of the time
(e.g. a binary class at 75 %) has a wide interval; its upper end can stay above
0.1 even for a perfect generator unless the holdout has thousands of rows — the
report notes it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import polars as pl

from privlab._progress import ProgressCallback
from privlab._progress import progress as progress_reporter
from privlab._validate import check_int
from privlab.exceptions import InputError
from privlab.io import write_json
from privlab.synth._attacks import (
    AttackResult,
    inference_risk,
    linkability_risk,
    singling_out_risk,
    success_rate,
)
from privlab.synth._boundary import as_polars, to_sdv
from privlab.synth._dcr import dcr_overfitting_protection
from privlab.synth._metadata import SynthMetadata, TablePlan, build_metadata
from privlab.synth._replay import replay_check
from privlab.synth._seeding import derive_seeds

__all__ = ["DEFAULT_N_ATTACKS", "SynthReport", "evaluate_synthetic"]

#: Attacks per evaluator. With 2,000 predicates/targets a perfect generator's upper
#: interval end stays below the policy templates' 0.1 on the calibration sets.
DEFAULT_N_ATTACKS = 2000

# Anonymeter's default allows 10 million attempts to find singling-out predicates,
# which takes minutes on small or coarse tables that have few unique combinations.
_MIN_ATTEMPTS = 20_000
_DEFAULT_TABLE = "data"
_RISKS = ("singling_out", "linkability", "inference", "exact_copies", "dcr")


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
        ``{table: {...}}`` with ``columns`` (the attacked columns), ``exact_copies``
        and ``dcr`` (``{"risk", "ci", ...}``), ``pii_replay`` and ``attacks``
        (``singling_out``, ``linkability``, ``inference`` → :class:`AttackResult`;
        inference per secret column).
    seconds:
        Time per part of the evaluation, and ``total``.
    rows:
        ``{table: {"train", "holdout", "synthetic", "attack_train", "attack_holdout",
        "full_copy_singling_out"}}``: the sizes given, the equal sizes used, and what
        a copy of the full training set would score on singling out.
    n_attacks, confidence_level, notes:
        The settings and what the reader should know about them.

    Examples
    --------
    >>> report = SynthReport(quality={}, diagnostic={}, privacy={})
    >>> report.summary()["privacy_risk"] is None
    True
    """

    quality: dict[str, Any]
    diagnostic: dict[str, Any]
    privacy: dict[str, dict[str, Any]]
    seconds: dict[str, float] = field(default_factory=dict)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    n_attacks: int = DEFAULT_N_ATTACKS
    confidence_level: float = 0.95
    notes: list[str] = field(default_factory=list)

    def attacks(self) -> list[AttackResult]:
        """Every attack result, over all tables."""
        out: list[AttackResult] = []
        for table in self.privacy.values():
            for value in table.get("attacks", {}).values():
                out.extend(value.values() if isinstance(value, dict) else [value])
        return out

    def risks(self) -> dict[str, Any]:
        """Each risk with its interval, the sizes used and the runtime (the CLI's JSON).

        Over several tables each figure is the table whose upper end is highest.
        """
        out: dict[str, Any] = {}
        for kind in _RISKS:
            best: dict[str, Any] | None = None
            for table, figures in self.privacy.items():
                for item in _risk_items(figures, kind):
                    if best is None or item["ci"][1] > best["ci"][1]:
                        best = {**item, "table": table}
            out[kind] = best
        out["pii_replay"] = sum(
            sum(t.get("pii_replay", {}).values()) for t in self.privacy.values()
        )
        out["rows"] = self.rows
        out["n_attacks"] = self.n_attacks
        out["confidence_level"] = self.confidence_level
        out["seconds"] = self.seconds.get("total")
        out["notes"] = list(self.notes)
        return out

    def summary(self) -> dict[str, Any]:
        """Headline figures (for manifests, the CLI and the widget).

        ``privacy_risk`` is the largest **upper end** of the attacks' intervals;
        ``*_risk`` are point estimates, ``*_risk_ci`` their intervals.
        """
        risks = self.risks()

        def point(kind: str) -> float | None:
            item = risks.get(kind)
            return None if item is None else float(item["risk"])

        def ci(kind: str) -> list[float] | None:
            item = risks.get(kind)
            return None if item is None else [float(x) for x in item["ci"]]

        uppers = [float(a.ci[1]) for a in self.attacks()]
        copies = risks.get("exact_copies")
        dcr = risks.get("dcr")
        return {
            "quality_score": self.quality.get("overall"),
            "column_shapes": self.quality.get("column_shapes"),
            "column_pair_trends": self.quality.get("column_pair_trends"),
            "diagnostic_score": self.diagnostic.get("overall"),
            "exact_copy_rate": None if copies is None else copies["train_rate"],
            "holdout_copy_rate": None if copies is None else copies["holdout_rate"],
            "exact_copy_excess": point("exact_copies"),
            "exact_copy_excess_ci": ci("exact_copies"),
            "pii_replay": risks["pii_replay"],
            "dcr_risk": point("dcr"),
            "dcr_risk_ci": ci("dcr"),
            "dcr_overfitting_protection": None if dcr is None else dcr["score"],
            "singling_out_risk": point("singling_out"),
            "singling_out_risk_ci": ci("singling_out"),
            "linkability_risk": point("linkability"),
            "linkability_risk_ci": ci("linkability"),
            "inference_risk": point("inference"),
            "inference_risk_ci": ci("inference"),
            "privacy_risk": max(uppers) if uppers else None,
            "privacy_risk_basis": "largest upper end of the attacks' "
            f"{self.confidence_level:.0%} intervals",
            "n_attacks": self.n_attacks,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``report.json`` of a release)."""
        return {
            "summary": self.summary(),
            "risks": _convert(self.risks()),
            "quality": _convert(self.quality),
            "diagnostic": _convert(self.diagnostic),
            "privacy": _convert(self.privacy),
            "rows": _convert(self.rows),
            "seconds": self.seconds,
            "notes": self.notes,
        }

    def to_json(self, path: str | Path) -> None:
        """Write :meth:`to_dict` to *path* (atomically)."""
        write_json(path, self.to_dict())


def _convert(value: Any) -> Any:
    if isinstance(value, AttackResult):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: _convert(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_convert(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _risk_items(figures: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    """``{"risk", "ci", ...}`` entries of one kind in one table's figures."""
    if kind in ("exact_copies", "dcr"):
        found = figures.get(kind)
        return [] if found is None else [dict(found)]
    value = figures.get("attacks", {}).get(kind)
    if value is None:
        return []
    results = list(value.values()) if isinstance(value, dict) else [value]
    out = []
    for r in results:
        item: dict[str, Any] = {
            "risk": r.risk,
            "ci": [r.ci[0], r.ci[1]],
            "attack_rate": r.attack_rate[0],
            "control_rate": None if r.control_rate is None else r.control_rate[0],
            "baseline_rate": r.baseline_rate[0],
            "n_attacks": r.n_attacks[0],
        }
        if kind == "inference":
            item["secret"] = r.details.get("secret")
        out.append(item)
    return out


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


def _z(confidence_level: float) -> float:
    return NormalDist().inv_cdf(0.5 * (1.0 + confidence_level))


def _equal_sizes(
    train: pl.DataFrame, holdout: pl.DataFrame, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Subsample the larger of the two sides to the smaller one's size (rows kept in order)."""
    n = min(train.height, holdout.height)

    def sub(df: pl.DataFrame) -> pl.DataFrame:
        if df.height == n:
            return df
        return df[np.sort(rng.choice(df.height, n, replace=False))]

    return sub(train), sub(holdout)


def _matches(synthetic: pl.DataFrame, real: pl.DataFrame, columns: list[str]) -> np.ndarray:
    """Per synthetic row: whether it is identical to some row of *real* on *columns*."""
    syn = synthetic.select(columns).with_row_index("__row")
    ref = real.select(columns).unique()
    hit = syn.join(ref, on=columns, how="semi", nulls_equal=True)["__row"].to_numpy()
    out = np.zeros(synthetic.height, dtype=bool)
    out[hit] = True
    return out


def exact_copies(
    synthetic: pl.DataFrame,
    train: pl.DataFrame,
    holdout: pl.DataFrame,
    columns: list[str],
    *,
    confidence_level: float = 0.95,
) -> dict[str, Any]:
    """Excess of synthetic rows identical to a training row over those identical to a holdout row.

    ``risk = train_rate − holdout_rate`` over the same synthetic rows (a paired
    difference), with a normal interval from the per-row differences; not clipped.
    Give *train* and *holdout* the same number of rows.

    Examples
    --------
    >>> import polars as pl
    >>> train = pl.DataFrame({"a": [1, 2, 3, 4]})
    >>> hold = pl.DataFrame({"a": [1, 5, 6, 7]})
    >>> r = exact_copies(pl.DataFrame({"a": [1, 2, 3, 9]}), train, hold, ["a"])
    >>> r["train_rate"], r["holdout_rate"], r["risk"]
    (0.75, 0.25, 0.5)
    """
    if synthetic.height == 0:
        raise InputError("the synthetic table has no rows; nothing to evaluate")
    in_train = _matches(synthetic, train, columns)
    in_hold = _matches(synthetic, holdout, columns)
    diff = in_train.astype(np.float64) - in_hold.astype(np.float64)
    n = diff.size
    mean = float(diff.mean())
    half = _z(confidence_level) * float(diff.std(ddof=1) if n > 1 else 1.0) / math.sqrt(n)
    return {
        "risk": mean,
        "ci": [mean - half, mean + half],
        "train_rate": float(in_train.mean()),
        "holdout_rate": float(in_hold.mean()),
        "rows": n,
    }


def dcr_risk(
    synthetic: pl.DataFrame,
    train: pl.DataFrame,
    holdout: pl.DataFrame,
    columns: list[str],
    *,
    confidence_level: float = 0.95,
) -> dict[str, Any]:
    """SDMetrics' DCROverfittingProtection at equal sizes, as a risk with an interval.

    ``closer_to_training`` is the share of synthetic rows strictly closer to a
    training row than to any holdout row (Wilson interval); ``risk = max(0,
    2 · closer − 1)`` = 1 − SDMetrics' ``score``. Give *train* and *holdout* the same
    number of rows.

    Examples
    --------
    >>> import polars as pl
    >>> train = pl.DataFrame({"x": [0.0, 10.0, 20.0, 30.0]})
    >>> hold = pl.DataFrame({"x": [5.0, 15.0, 25.0, 35.0]})
    >>> dcr_risk(train, train, hold, ["x"])["risk"]
    1.0
    """
    figures = dcr_overfitting_protection(train, synthetic, holdout, columns)
    n = int(figures["rows"])
    closer = figures["closer_to_training"]
    rate, err = success_rate(n, round(closer * n), confidence_level)

    def as_risk(share: float) -> float:
        return min(max(2.0 * share - 1.0, 0.0), 1.0)

    return {
        "risk": as_risk(closer),
        "ci": [as_risk(rate - err), as_risk(rate + err)],
        "closer_to_training": closer,
        "closer_to_holdout": figures["closer_to_holdout"],
        "ties": figures["ties"],
        "score": figures["score"],
        "rows": n,
    }


def _table_privacy(
    plan: TablePlan,
    train: pl.DataFrame,
    synthetic: pl.DataFrame,
    holdout: pl.DataFrame,
    *,
    attacks: bool,
    n_attacks: int,
    secrets: Sequence[str] | None,
    dcr_rows: int | None,
    seed: int,
    confidence_level: float,
    seconds: dict[str, float],
    step: Any,
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    cols = plan.names("modelled")
    s_sub, s_dcr, s_so, s_link, s_inf = derive_seeds(seed, 5, stream=50)
    rng = np.random.default_rng(s_sub)
    train_s, hold_s = _equal_sizes(train, holdout, rng)
    m = train_s.height
    rows = {
        "train": train.height,
        "holdout": holdout.height,
        "synthetic": synthetic.height,
        "attack_train": m,
        "attack_holdout": hold_s.height,
        "full_copy_singling_out": m / train.height if train.height else None,
    }
    notes: list[str] = []
    if train.height > m:
        notes.append(
            f"training rows subsampled from {train.height:,} to the holdout's {m:,} so that "
            "members and non-members are scored at equal sizes; a copy of the full "
            f"training set would score about {m / train.height:.2f} on singling out"
        )
    out: dict[str, Any] = {
        "columns": cols,
        "pii_replay": replay_check(train, synthetic, holdout=holdout, plan=plan),
    }
    if not cols:
        notes.append("no modelled columns: the privacy figures are not defined")
        return out, rows, notes
    start = time.perf_counter()
    copies = exact_copies(synthetic, train_s, hold_s, cols, confidence_level=confidence_level)
    out["exact_copies"] = copies
    out["exact_copy_rate"] = copies["train_rate"]
    out["holdout_copy_rate"] = copies["holdout_rate"]
    seconds["exact_copies"] = seconds.get("exact_copies", 0.0) + time.perf_counter() - start
    step("dcr")
    start = time.perf_counter()
    syn_d = synthetic
    if dcr_rows is not None and synthetic.height > dcr_rows:
        pick = np.random.default_rng(s_dcr).choice(synthetic.height, dcr_rows, replace=False)
        syn_d = synthetic[np.sort(pick)]
    out["dcr"] = dcr_risk(
        syn_d.select(cols),
        train_s.select(cols),
        hold_s.select(cols),
        cols,
        confidence_level=confidence_level,
    )
    out["dcr_overfitting"] = {k: out["dcr"][k] for k in ("score", "closer_to_training", "ties")}
    seconds["dcr"] = seconds.get("dcr", 0.0) + time.perf_counter() - start
    if not attacks:
        return out, rows, notes
    results: dict[str, Any] = {}
    step("singling out")
    start = time.perf_counter()
    # no more predicates than scored members: on a tiny table the search for 2,000 unique
    # predicates would only burn its attempts (linkability and inference cap the same way)
    n_so = min(n_attacks, m)
    rows["singling_out_attacks"] = n_so
    results["singling_out"] = singling_out_risk(
        train_s,
        synthetic,
        hold_s,
        columns=cols,
        n_attacks=n_so,
        n_cols=min(3, len(cols)),
        max_attempts=max(_MIN_ATTEMPTS, 100 * n_so),
        seed=s_so,
        confidence_level=confidence_level,
    )
    seconds["singling_out"] = seconds.get("singling_out", 0.0) + time.perf_counter() - start
    if len(cols) >= 2:
        step("linkability")
        start = time.perf_counter()
        qis = [c.name for c in plan.columns if c.role == "quasi_identifier"]
        results["linkability"] = linkability_risk(
            train_s,
            synthetic,
            _split_aux(cols, qis),
            hold_s,
            n_attacks=n_attacks,
            seed=s_link,
            confidence_level=confidence_level,
        )
        seconds["linkability"] = seconds.get("linkability", 0.0) + time.perf_counter() - start
        step("inference")
        start = time.perf_counter()
        if secrets is None:
            chosen = [c.name for c in plan.columns if c.role == "sensitive" and c.name in cols]
            chosen = chosen or cols[-1:]
        else:
            chosen = [s for s in secrets if s in cols]
        inference = {}
        for i, secret in enumerate(chosen):
            aux = [c for c in cols if c != secret]
            r = inference_risk(
                train_s,
                synthetic,
                aux,
                secret,
                hold_s,
                n_attacks=n_attacks,
                seed=s_inf + i,
                confidence_level=confidence_level,
            )
            inference[secret] = r
            if r.control_rate is not None and r.control_rate[0] > 0.5:
                notes.append(
                    f"inference of {secret!r}: the holdout attack already guesses "
                    f"{r.control_rate[0]:.0%} right, so the interval is wide "
                    f"({r.ci[0]:.3f}–{r.ci[1]:.3f}); more holdout rows narrow it"
                )
        results["inference"] = inference
        seconds["inference"] = seconds.get("inference", 0.0) + time.perf_counter() - start
    out["attacks"] = results
    return out, rows, notes


def _tables(value: Any, what: str, names: Sequence[str] | None = None) -> dict[str, pl.DataFrame]:
    if isinstance(value, Mapping):
        if not value:
            raise InputError(f"`{what}` is an empty mapping; give a table or {{name: table}}")
        return {str(k): as_polars(v, name=str(k)) for k, v in value.items()}
    name = names[0] if names and len(names) == 1 else _DEFAULT_TABLE
    if names is not None and len(names) > 1:
        raise InputError(
            f"several tables were given; pass `{what}` as {{table: frame}} too, got one frame"
        )
    return {name: as_polars(value, name=name)}


def evaluate_synthetic(
    train: Any,
    synthetic: Any,
    holdout: Any,
    *,
    metadata: SynthMetadata | None = None,
    seed: int = 0,
    n_attacks: int = DEFAULT_N_ATTACKS,
    quality: bool = True,
    attacks: bool = True,
    secrets: Sequence[str] | None = None,
    dcr_rows: int | None = 5000,
    confidence_level: float = 0.95,
    progress: bool | None = None,
    callback: ProgressCallback | None = None,
) -> SynthReport:
    """Score synthetic data for quality (SDMetrics) and privacy against a holdout.

    The attacker is anyone holding the synthetic data (and, for linkability and
    inference, some columns of a target). Every privacy figure is the excess of
    what they achieve on training rows (members) over what they achieve on
    holdout rows (non-members), at equal sizes; see the module docstring.

    Parameters
    ----------
    train:
        The real rows the generator was fitted on (a frame, a path, or
        ``{table: frame}``).
    synthetic:
        The generated rows (same columns).
    holdout:
        Real rows from the same population that the generator never saw.
    metadata:
        How each column was synthesized (``Synthetic.metadata``); default: built
        from *train*'s dtypes (:func:`privlab.synth.build_metadata`). Generated
        identifiers and keys are left out of the attacks.
    seed:
        Seed of the subsamples and the attackers.
    n_attacks:
        Predicates (singling out) and targets (linkability, inference) per attack,
        capped by the equal-size row count.
    quality:
        Run the SDMetrics Quality and Diagnostic reports.
    attacks:
        Run the three attacks (exact copies and DCR always run).
    secrets:
        Columns the inference attacker tries to learn; default: the columns the
        metadata calls sensitive, else the last modelled column.
    dcr_rows:
        Synthetic rows the DCR compares (a seeded subsample; ``None``: all).
    confidence_level:
        Of every interval.
    progress, callback:
        Show a progress bar (default: ``PRIVLAB_PROGRESS``); receive
        ``(stage, done, total)``.

    Returns
    -------
    SynthReport

    Examples
    --------
    >>> import polars as pl
    >>> rows = [{"a": i % 7, "b": f"b{i % 5}", "c": i % 3} for i in range(300)]
    >>> real = pl.DataFrame(rows)
    >>> report = evaluate_synthetic(real[:100], real[100:200], real[200:], quality=False,
    ...                             n_attacks=50, progress=False)
    >>> risks = report.risks()
    >>> risks["singling_out"]["ci"][0] <= risks["singling_out"]["risk"] <= 1
    True
    >>> report.rows["data"]["attack_train"] == report.rows["data"]["attack_holdout"] == 100
    True
    """
    n_attacks = check_int(n_attacks, "n_attacks", minimum=1)
    if not 0 < confidence_level < 1:
        raise InputError(f"`confidence_level` must be in (0, 1), got {confidence_level!r}")
    if dcr_rows is not None:
        dcr_rows = check_int(dcr_rows, "dcr_rows", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    names = list(metadata.tables) if metadata is not None else None
    real = _tables(train, "train", names)
    syn = _tables(synthetic, "synthetic", list(real))
    held = _tables(holdout, "holdout", list(real))
    for kind, tables in (("synthetic", syn), ("holdout", held)):
        missing = [n for n in real if n not in tables]
        if missing:
            raise InputError(f"`{kind}` has no table {missing[0]!r}; tables are {list(tables)}")
    for name, df in real.items():
        for kind, other in (("synthetic", syn[name]), ("holdout", held[name])):
            absent = [c for c in df.columns if c not in other.columns]
            if absent:
                raise InputError(
                    f"{kind} table {name!r} lacks column(s) {absent} of the training table"
                )
        if held[name].height == 0 or df.height == 0:
            raise InputError(f"table {name!r}: training and holdout need at least one row each")
    if metadata is None:
        metadata = build_metadata(real)
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    q: dict[str, Any] = {}
    d: dict[str, Any] = {}
    stages_per_table = 2 + (3 if attacks else 0)
    total = len(real) * stages_per_table + (1 if quality else 0)
    with progress_reporter(total, "evaluate", show=progress, callback=callback) as bar:

        def step(stage: str) -> None:
            bar.advance(stage=stage)

        if quality:
            start = time.perf_counter()
            step("quality")
            q, d = _sdmetrics_reports(real, syn, metadata)
            seconds["quality"] = time.perf_counter() - start
        privacy: dict[str, dict[str, Any]] = {}
        rows: dict[str, dict[str, Any]] = {}
        notes: list[str] = []
        for t_index, (name, df) in enumerate(real.items()):
            step(f"exact copies ({name})")
            figures, sizes, table_notes = _table_privacy(
                metadata.tables[name],
                df,
                syn[name].select(df.columns),
                held[name].select(df.columns),
                attacks=attacks,
                n_attacks=n_attacks,
                secrets=secrets,
                dcr_rows=dcr_rows,
                seed=derive_seeds(seed, 1, stream=60 + t_index)[0],
                confidence_level=confidence_level,
                seconds=seconds,
                step=step,
            )
            privacy[name] = figures
            rows[name] = sizes
            prefix = f"{name}: " if len(real) > 1 else ""
            notes.extend(prefix + n for n in table_notes)
    seconds["total"] = time.perf_counter() - started
    return SynthReport(
        quality=q,
        diagnostic=d,
        privacy=privacy,
        seconds=seconds,
        rows=rows,
        n_attacks=n_attacks,
        confidence_level=confidence_level,
        notes=notes,
    )
