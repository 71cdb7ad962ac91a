"""Singling-out, linkability and inference attacks following Anonymeter (Giomi et al., 2022).

A deliberate re-implementation on numpy/polars: the ``anonymeter`` package pins
numpy < 1.27 and cannot live in privlab's environment. Each evaluator mirrors
anonymeter 1.1.0 (``anonymeter.evaluators``, ``anonymeter.stats.confidence``):

* an attacker who sees only the synthetic data attacks the **training** rows
  ("main attack"), a **baseline** attacker guesses at random, and the same attack
  runs against a **control** set of real rows that were not used for fitting;
* each attack's success rate is a Wilson score estimate with an error bound
  (``z = Φ⁻¹((1 + confidence) / 2)``);
* the risk is the excess success on training over control, normalised by what
  the control attack left to gain: ``(r_train − r_control) / (1 − r_control)``,
  with the error propagated to first order, clipped to [0, 1]. Without a control
  set the risk is the main attack's success rate.

Deviations from anonymeter 1.1.0 (all documented in benchmarks/RESULTS.md):

* ties among nearest neighbours are broken at random (anonymeter's numba quicksort
  picks an arbitrary but fixed member of the tie);
* date/datetime columns are compared as numbers (anonymeter compares them as text);
* nulls in text columns are a category of their own (anonymeter's label encoder
  fails on them); two nulls count as distance 1 everywhere, as in anonymeter's
  numeric distance;
* baseline singling-out queries draw values from the unique values in order of
  first appearance (polars' ``unique()`` order is unspecified).

With the same seed and data, the multivariate singling-out *main* attack generates
exactly the queries anonymeter generates (the random draws are consumed in the
same order), so its success count agrees exactly; everything else agrees within
the confidence intervals.

Examples
--------
>>> import polars as pl
>>> real = pl.DataFrame({c: [f"{c}{i % m}" for i in range(300)] for c, m in
...                      [("a", 13), ("b", 7), ("c", 5)]})
>>> result = singling_out_risk(real, real, n_attacks=30, max_attempts=5_000, seed=0)
>>> result.n_success, 0.0 <= result.risk <= 1.0
(30, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import polars as pl

from privlab.exceptions import ColumnNotFoundError, InputError

__all__ = [
    "AttackResult",
    "inference_risk",
    "linkability_risk",
    "singling_out_risk",
    "success_rate",
]

_CELLS = 200_000  # matrix cells per block when comparing queries/targets with rows


# ------------------------------------------------------------------ statistics


def success_rate(n_total: float, n_success: float, confidence_level: float) -> tuple[float, float]:
    """Wilson score estimate of a Bernoulli success rate and its error bound.

    Mirrors ``anonymeter.stats.confidence.success_rate``.

    Examples
    --------
    >>> rate, err = success_rate(100, 50, 0.95)
    >>> round(rate, 3), round(err, 3)
    (0.5, 0.096)
    """
    if not 0 <= confidence_level <= 1:
        raise InputError(f"`confidence_level` must be between 0 and 1, got {confidence_level!r}")
    z = NormalDist().inv_cdf(0.5 * (1.0 + confidence_level))
    z2 = z * z
    if n_total <= 0:
        return 0.5, 1.0
    variance = n_success * (n_total - n_success) / n_total
    denominator = n_total + z2
    rate = (n_success + 0.5 * z2) / denominator
    error = (z / denominator) * math.sqrt(max(variance, 0.0) + 0.25 * z2)
    return rate, error


def _residual(attack: tuple[float, float], control: tuple[float, float]) -> tuple[float, float]:
    (a, da), (c, dc) = attack, control
    if c >= 1.0:
        return 0.0, 1.0
    residual = (a - c) / (1.0 - c)
    d_attack = 1 / abs(1 - c)
    d_control = (a - 1) / (1 - c) ** 2
    return residual, math.sqrt((da * d_attack) ** 2 + (dc * d_control) ** 2)


def _bind(value: float, error: float) -> tuple[float, tuple[float, float]]:
    def clip(x: float) -> float:
        return min(max(x, 0.0), 1.0)

    return clip(value), (clip(value - error), clip(value + error))


@dataclass(frozen=True)
class AttackResult:
    """Outcome of one privacy attack: counts, success rates and the risk with its CI.

    ``risk`` and ``ci`` follow Anonymeter's ``EvaluationResults.risk()``; the
    ``*_rate`` fields are (estimate, error) pairs of the Wilson score interval.
    """

    attack: str
    risk: float
    ci: tuple[float, float]
    n_attacks: tuple[int, int, int]
    n_success: int
    n_baseline: int
    n_control: float | None
    attack_rate: tuple[float, float]
    baseline_rate: tuple[float, float]
    control_rate: tuple[float, float] | None
    confidence_level: float = 0.95
    details: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @classmethod
    def from_counts(
        cls,
        attack: str,
        *,
        n_attacks: int | tuple[int, int, int],
        n_success: int,
        n_baseline: int,
        n_control: float | None,
        confidence_level: float = 0.95,
        details: dict[str, Any] | None = None,
        notes: Sequence[str] = (),
    ) -> AttackResult:
        """Build the result from attack counts, as anonymeter's ``EvaluationResults``.

        Examples
        --------
        >>> r = AttackResult.from_counts("x", n_attacks=100, n_success=60, n_baseline=5,
        ...                              n_control=20)
        >>> round(r.risk, 2), r.ci[0] < r.risk < r.ci[1]
        (0.5, True)
        """
        sizes = (n_attacks,) * 3 if isinstance(n_attacks, int) else tuple(n_attacks)
        main = success_rate(sizes[0], n_success, confidence_level)
        base = success_rate(sizes[1], n_baseline, confidence_level)
        ctrl = None if n_control is None else success_rate(sizes[2], n_control, confidence_level)
        notes = list(notes)
        if base[0] >= main[0]:
            notes.append("the attack did no better than random guessing (baseline)")
        value, error = main if ctrl is None else _residual(main, ctrl)
        risk, ci = _bind(value, error)
        return cls(
            attack=attack,
            risk=risk,
            ci=ci,
            n_attacks=(int(sizes[0]), int(sizes[1]), int(sizes[2])),
            n_success=int(n_success),
            n_baseline=int(n_baseline),
            n_control=None if n_control is None else float(n_control),
            attack_rate=main,
            baseline_rate=base,
            control_rate=ctrl,
            confidence_level=confidence_level,
            details=dict(details or {}),
            notes=tuple(notes),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (counts and rates only, no data)."""
        return {
            "attack": self.attack,
            "risk": self.risk,
            "ci": list(self.ci),
            "n_attacks": list(self.n_attacks),
            "n_success": self.n_success,
            "n_baseline": self.n_baseline,
            "n_control": self.n_control,
            "attack_rate": list(self.attack_rate),
            "baseline_rate": list(self.baseline_rate),
            "control_rate": None if self.control_rate is None else list(self.control_rate),
            "confidence_level": self.confidence_level,
            "details": self.details,
            "notes": list(self.notes),
        }


# ------------------------------------------------------------------- encoding


@dataclass
class _Encoded:
    """Frames as float matrices: numbers as floats, text as shared integer codes."""

    columns: list[str]
    numeric: np.ndarray  # bool per column
    boolean: np.ndarray  # bool per column
    mats: list[np.ndarray]  # one (rows × columns) float64 matrix per frame; NaN = null


def _prepare(frames: Sequence[pl.DataFrame | None], columns: Sequence[str] | None) -> list[str]:
    first = frames[0]
    assert first is not None
    cols = list(first.columns) if columns is None else list(columns)
    for frame in frames:
        if frame is None:
            continue
        for col in cols:
            if col not in frame.columns:
                raise ColumnNotFoundError(col, frame.columns)
    return cols


def _encode(frames: Sequence[pl.DataFrame], columns: Sequence[str]) -> _Encoded:
    numeric = []
    boolean = []
    per_frame: list[list[np.ndarray]] = [[] for _ in frames]
    for col in columns:
        dtype = frames[0].schema[col]
        if dtype == pl.Boolean:
            numeric.append(False)
            boolean.append(True)
            for i, f in enumerate(frames):
                per_frame[i].append(f[col].cast(pl.Float64).to_numpy())
        elif dtype.is_numeric() or dtype.is_temporal():
            numeric.append(True)
            boolean.append(False)
            for i, f in enumerate(frames):
                s = f[col]
                if s.dtype.is_temporal():
                    s = s.to_physical()
                per_frame[i].append(s.cast(pl.Float64).to_numpy())
        else:
            numeric.append(False)
            boolean.append(False)
            joined = pl.concat([f[col].cast(pl.String) for f in frames])
            codes = joined.cast(pl.Categorical).to_physical().cast(pl.Float64).to_numpy()
            start = 0
            for i, f in enumerate(frames):
                per_frame[i].append(codes[start : start + f.height])
                start += f.height
    mats = [
        np.column_stack(cols) if cols else np.empty((f.height, 0))
        for cols, f in zip(per_frame, frames, strict=True)
    ]
    return _Encoded(list(columns), np.array(numeric), np.array(boolean), mats)


# -------------------------------------------------------------- singling out

# Query operators (codes used in the query arrays).
_TRUE, _NULL, _NOTNULL, _EQ, _NE, _GE, _LE, _GT, _LT = range(9)


def _apply_op(op: int, col: np.ndarray, v: np.ndarray) -> np.ndarray:
    """One comparison on a (rows × queries) block; nulls (NaN) match only the null tests."""
    with np.errstate(invalid="ignore"):
        if op == _NULL:
            return np.isnan(col)
        if op == _NOTNULL:
            return ~np.isnan(col)
        if op == _EQ:
            return col == v
        if op == _NE:
            return (col != v) & ~np.isnan(col)
        if op == _GE:
            return col >= v
        if op == _LE:
            return col <= v
        if op == _GT:
            return col > v
        return col < v


def _count_queries(
    x: np.ndarray, cols: np.ndarray, ops: np.ndarray, vals: np.ndarray
) -> np.ndarray:
    """Rows matching each query (a conjunction of conditions), evaluated in blocks."""
    n_rows = x.shape[0]
    n_queries = cols.shape[0]
    out = np.zeros(n_queries, dtype=np.int64)
    if n_queries == 0:
        return out
    block = max(1, _CELLS // max(n_rows, 1))
    for start in range(0, n_queries, block):
        stop = min(n_queries, start + block)
        mask: np.ndarray | None = None
        for k in range(cols.shape[1]):
            o = ops[start:stop, k]
            present = np.unique(o)
            present = present[present != _TRUE]
            if present.size == 0:
                continue
            col = x[:, cols[start:stop, k]]  # rows × queries gather
            v = vals[start:stop, k]
            if present.size == 1 and not (o == _TRUE).any():
                cond = _apply_op(int(present[0]), col, v)
            else:
                cond = np.ones(col.shape, dtype=bool)
                for op in present:
                    j = np.flatnonzero(o == op)
                    cond[:, j] = _apply_op(int(op), col[:, j], v[j])
            mask = cond if mask is None else np.logical_and(mask, cond, out=mask)
        out[start:stop] = n_rows if mask is None else mask.sum(axis=0)
    return out


def _stack(queries: list[tuple[tuple[int, int, float], ...]], width: int) -> tuple[np.ndarray, ...]:
    cols = np.zeros((len(queries), width), dtype=np.int64)
    ops = np.full((len(queries), width), _TRUE, dtype=np.int64)
    vals = np.zeros((len(queries), width), dtype=np.float64)
    for i, query in enumerate(queries):
        for k, (c, o, v) in enumerate(query):
            cols[i, k], ops[i, k], vals[i, k] = c, o, v
    return cols, ops, vals


def _count(x: np.ndarray, queries: list[tuple[tuple[int, int, float], ...]]) -> np.ndarray:
    width = max((len(q) for q in queries), default=1)
    return _count_queries(x, *_stack(queries, width))


def _collect_unique(
    x: np.ndarray,
    queries: list[tuple[tuple[int, int, float], ...]],
    found: dict[tuple[tuple[int, int, float], ...], None],
    limit: int,
) -> None:
    counts = _count(x, queries)
    for query, count in zip(queries, counts, strict=True):
        if len(found) >= limit:
            return
        if count == 1 and query not in found:
            found[query] = None


def _multivariate_queries(
    enc: _Encoded,
    syn: np.ndarray,
    medians: np.ndarray,
    n_queries: int,
    n_cols: int,
    max_attempts: int | None,
    rng: np.random.Generator,
) -> list[tuple[tuple[int, int, float], ...]]:
    found: dict[tuple[tuple[int, int, float], ...], None] = {}
    batch = 1000 if max_attempts is None else min(1000, max_attempts)
    order = np.argsort(np.array(enc.columns, dtype=object), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    attempts = 0
    n_columns = len(enc.columns)
    while len(found) < n_queries:
        if max_attempts is not None and attempts >= max_attempts:
            break
        rows = rng.integers(low=0, high=syn.shape[0], size=batch)
        chosen = [rng.choice(n_columns, size=n_cols, replace=False) for _ in range(batch)]
        queries = []
        for r, cols in zip(rows, chosen, strict=True):
            conds = []
            for c in sorted(cols.tolist(), key=lambda j: rank[j]):
                v = syn[r, c]
                if np.isnan(v):
                    conds.append((c, _NULL, 0.0))
                elif enc.numeric[c]:
                    conds.append((c, _GE if v > medians[c] else _LE, float(v)))
                else:
                    conds.append((c, _EQ, float(v)))
            queries.append(tuple(conds))
        _collect_unique(syn, queries, found, n_queries)
        attempts += batch
    return list(found)


def _univariate_queries(
    enc: _Encoded,
    syn_frame: pl.DataFrame,
    syn: np.ndarray,
    n_queries: int,
    rng: np.random.Generator,
) -> list[tuple[tuple[int, int, float], ...]]:
    queries: list[tuple[tuple[int, int, float], ...]] = []
    for c in range(len(enc.columns)):
        col = syn[:, c]
        isnan = np.isnan(col)
        if isnan.sum() == 1:
            queries.append(((c, _NULL, 0.0),))
        if enc.numeric[c] and (~isnan).any():
            queries.append(((c, _LE, float(np.nanmin(col))),))
            queries.append(((c, _GE, float(np.nanmax(col))),))
        values, counts = np.unique(col[~isnan], return_counts=True)
        queries.extend(((c, _EQ, float(v)),) for v in values[counts == 1])
    order = rng.permutation(len(queries))
    shuffled = [queries[i] for i in order]
    found: dict[tuple[tuple[int, int, float], ...], None] = {}
    _collect_unique(syn, shuffled, found, n_queries)
    return list(found)


def _random_queries(
    enc: _Encoded, syn: np.ndarray, n_queries: int, n_cols: int, rng: np.random.Generator
) -> list[tuple[tuple[int, int, float], ...]]:
    uniques = []
    for c in range(len(enc.columns)):
        col = syn[:, c]
        vals = pl.Series(col).unique(maintain_order=True).to_numpy()
        uniques.append(vals)
    order = np.argsort(np.array(enc.columns, dtype=object), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    out = []
    for _ in range(n_queries):
        cols = rng.choice(len(enc.columns), size=n_cols, replace=False).tolist()
        conds = []
        for c in sorted(cols, key=lambda j: rank[j]):
            v = float(uniques[c][rng.choice(len(uniques[c]))])
            if enc.numeric[c]:
                op = [_EQ, _NE, _GT, _LT, _GE, _LE][rng.choice(6)]
            else:
                op = [_EQ, _NE][rng.choice(2)]
            if np.isnan(v):
                conds.append((c, _NULL if op == _EQ else _NOTNULL, 0.0))
            elif enc.boolean[c]:
                conds.append((c, _EQ, 1.0) if op == _EQ else (c, _EQ, 0.0))
            else:
                conds.append((c, op, v))
        out.append(tuple(conds))
    return out


def _so_probability_integral(n: Any, w_min: float, w_max: float) -> Any:
    return ((n * w_min + 1) * (1 - w_min) ** n - (n * w_max + 1) * (1 - w_max) ** n) / (n + 1)


def _control_correction(
    control: np.ndarray,
    queries: list[tuple[tuple[int, int, float], ...]],
    n_ori: int,
    rng: np.random.Generator,
) -> float:
    """Anonymeter's size correction of control successes (fit of P(w, n) = n·w·(1−w)^(n−1))."""
    from scipy.optimize import curve_fit

    n_control = control.shape[0]
    sizes, successes = [], []
    for n_rows in np.linspace(min(1000, n_control), n_control, 10).astype(int):
        for _ in range(5):
            rows = rng.choice(n_control, size=n_rows, replace=False)
            successes.append(int((_count(control[rows], queries) == 1).sum()))
            sizes.append(n_rows)
    x = np.array(sizes, dtype=float)
    y = np.array(successes, dtype=float)

    def model(n: np.ndarray, w_eff: float, norm: float) -> np.ndarray:
        return norm * _so_probability_integral(n, 0.0, w_eff)

    w_guess = 1 / x.max()
    norm_guess = 1 / _so_probability_integral(x.max(), 0.0, w_guess)
    try:
        popt, _ = curve_fit(model, x, y, bounds=(0, (1, np.inf)), p0=(w_guess, norm_guess))
    except (RuntimeError, ValueError):
        return 1.0
    denom = model(np.array(float(n_control)), *popt)
    return float(model(np.array(float(n_ori)), *popt) / denom) if denom else 1.0


def singling_out_risk(
    real: pl.DataFrame,
    synthetic: pl.DataFrame,
    control: pl.DataFrame | None = None,
    *,
    columns: Sequence[str] | None = None,
    n_attacks: int = 500,
    n_cols: int = 3,
    mode: str = "multivariate",
    max_attempts: int | None = 10_000_000,  # anonymeter's default; lower it on coarse data
    seed: int | None = None,
    confidence_level: float = 0.95,
) -> AttackResult:
    """Risk that the synthetic data lets an attacker single out a real record.

    The attacker writes predicates from synthetic records (``mode="multivariate"``:
    ``n_cols`` attributes of a random synthetic record, more extreme than the median
    for numbers; ``"univariate"``: rare values and extremes) that match exactly one
    synthetic row, and succeeds when a predicate matches exactly one training row.
    Mirrors ``anonymeter.evaluators.SinglingOutEvaluator``.

    Parameters
    ----------
    real, synthetic, control:
        Training rows, synthetic rows and (optional) real rows not used for fitting.
    columns:
        Columns the attacker uses (default: all columns of *real*). Leave out
        generated identifiers and keys: they are random and only add noise.
    n_attacks:
        Number of predicates (the denominator of every rate).
    n_cols, mode, max_attempts:
        As in anonymeter.
    seed:
        Seed of the attacker's random choices.
    confidence_level:
        Of the confidence interval.

    Returns
    -------
    AttackResult
        ``attack`` is ``"singling_out_<mode>"``; with *control*, the risk is
        Anonymeter's residual ``(attack − control) / (1 − control)`` of the
        success rates on training and control rows.

    Raises
    ------
    InputError
        If *mode* is unknown or *n_cols* exceeds the attack columns.
    ColumnNotFoundError
        If an attack column is missing from a table.

    Examples
    --------
    >>> import polars as pl
    >>> real = pl.DataFrame({"x": [f"x{i % 31}" for i in range(300)],
    ...                      "y": [f"y{i % 11}" for i in range(300)]})
    >>> risk = singling_out_risk(real, real, n_attacks=20, n_cols=2, max_attempts=5_000, seed=1)
    >>> risk.n_success
    20
    """
    if mode not in ("multivariate", "univariate"):
        raise InputError(f"`mode` must be 'multivariate' or 'univariate', got {mode!r}")
    cols = _prepare([real, synthetic, control], columns)
    ori_f = real.select(cols).unique(maintain_order=True)
    syn_f = synthetic.select(cols).unique(maintain_order=True)
    ctl_f = None if control is None else control.select(cols).unique(maintain_order=True)
    frames = [ori_f, syn_f] + ([ctl_f] if ctl_f is not None else [])
    enc = _encode(frames, cols)
    ori, syn = enc.mats[0], enc.mats[1]
    ctl = enc.mats[2] if ctl_f is not None else None
    rng = np.random.default_rng(seed)
    n_cols_eff = n_cols if mode == "multivariate" else 1
    if n_cols_eff > len(cols):
        raise InputError(f"`n_cols`={n_cols} is more than the {len(cols)} attack columns")
    if mode == "multivariate":
        medians = np.array(
            [
                np.nanmedian(syn[:, c]) if enc.numeric[c] and (~np.isnan(syn[:, c])).any() else 0.0
                for c in range(len(cols))
            ]
        )
        queries = _multivariate_queries(enc, syn, medians, n_attacks, n_cols, max_attempts, rng)
    else:
        queries = _univariate_queries(enc, syn_f, syn, n_attacks, rng)
    notes = []
    if len(queries) < n_attacks:
        notes.append(
            f"only {len(queries)} of {n_attacks} singling-out predicates could be generated; "
            "the risk may be underestimated"
        )
    n_success = int((_count(ori, queries) == 1).sum()) if queries else 0
    baseline = _random_queries(enc, syn, n_attacks, n_cols_eff, rng)
    n_baseline = int((_count(ori, baseline) == 1).sum())
    n_control: float | None = None
    if ctl is not None:
        n_control = float((_count(ctl, queries) == 1).sum()) if queries else 0.0
        if ctl.shape[0] != ori.shape[0] and queries and n_control > 0:
            n_control *= _control_correction(ctl, queries, ori.shape[0], rng)
    return AttackResult.from_counts(
        f"singling_out_{mode}",
        n_attacks=n_attacks,
        n_success=n_success,
        n_baseline=n_baseline,
        n_control=n_control,
        confidence_level=confidence_level,
        details={"n_cols": n_cols_eff, "columns": cols, "n_queries": len(queries)},
        notes=notes,
    )


# ----------------------------------------------------------- nearest neighbours


def _gower_neighbors(
    queries: np.ndarray,
    candidates: np.ndarray,
    numeric: np.ndarray,
    k: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Indices of the k closest candidates per query under anonymeter's Gower-like distance.

    Numbers are divided by their range over queries ∪ candidates and compared with
    |a − b|; other columns add 1 when they differ; two nulls add 1; one null makes
    the pair the farthest. Ties are broken at random.
    """
    both = np.vstack([queries, candidates])
    num_idx = np.flatnonzero(numeric)
    cat_idx = np.flatnonzero(~numeric)
    if num_idx.size:
        ranges = np.nanmax(both[:, num_idx], axis=0) - np.nanmin(both[:, num_idx], axis=0)
        ranges = np.where((ranges == 0) | np.isnan(ranges), 1.0, ranges)
        q_num = queries[:, num_idx] / ranges
        c_num = candidates[:, num_idx] / ranges
    q_cat = np.nan_to_num(queries[:, cat_idx], nan=-1.0)
    c_cat = np.nan_to_num(candidates[:, cat_idx], nan=-1.0)
    n_c = candidates.shape[0]
    k = min(k, n_c)
    out = np.empty((queries.shape[0], k), dtype=np.int64)
    block = max(1, _CELLS // max(n_c, 1))
    for start in range(0, queries.shape[0], block):
        stop = min(queries.shape[0], start + block)
        dist = np.zeros((stop - start, n_c))
        for j in range(num_idx.size):
            a = q_num[start:stop, j][:, None]
            b = c_num[:, j][None, :]
            d = np.abs(a - b)
            an, bn = np.isnan(a), np.isnan(b)
            d = np.where(an & bn, 1.0, np.where(an | bn, np.inf, d))
            dist += d
        for j in range(cat_idx.size):
            a = q_cat[start:stop, j][:, None]
            b = c_cat[:, j][None, :]
            dist += ((a != b) | ((a == -1) & (b == -1))).astype(np.float64)
        noise = np.asarray(rng.random(dist.shape))
        if k == 1:
            best = dist.min(axis=1, keepdims=True)
            out[start:stop, 0] = np.argmax(np.where(dist == best, noise + 1.0, 0.0), axis=1)
        else:
            for i in range(stop - start):
                out[start + i] = np.lexsort((noise[i], dist[i]))[:k]
    return out


# -------------------------------------------------------------- linkability


def linkability_risk(
    real: pl.DataFrame,
    synthetic: pl.DataFrame,
    aux_cols: tuple[Sequence[str], Sequence[str]],
    control: pl.DataFrame | None = None,
    *,
    n_attacks: int = 500,
    n_neighbors: int = 1,
    seed: int | None = None,
    confidence_level: float = 0.95,
) -> AttackResult:
    """Risk that the synthetic data links two halves of a real record.

    Each target record is split into two column sets (``aux_cols``), as if an
    attacker held two datasets about the same people; the attack succeeds when
    both halves have a common synthetic record among their ``n_neighbors`` nearest
    neighbours. Mirrors ``anonymeter.evaluators.LinkabilityEvaluator``.

    Parameters
    ----------
    real, synthetic, control:
        Training rows, synthetic rows and (optional) real rows not used for fitting.
    aux_cols:
        The two column sets the attacker holds, each non-empty.
    n_attacks:
        Targets attacked (fewer when a table has fewer rows; a note says so).
    n_neighbors:
        Nearest synthetic records looked at per half (Gower-like distance).
    seed:
        Seed of the target draw and of tie-breaking.
    confidence_level:
        Of the confidence interval.

    Returns
    -------
    AttackResult
        ``attack="linkability"``; the baseline links two random synthetic records.

    Raises
    ------
    InputError
        If either column set is empty.
    ColumnNotFoundError
        If a column is missing from a table.

    Examples
    --------
    >>> import polars as pl
    >>> real = pl.DataFrame({"a": list(range(100)), "b": [i * 3 % 101 for i in range(100)]})
    >>> linkability_risk(real, real, (["a"], ["b"]), n_attacks=50, seed=0).n_success
    50
    """
    cols_a, cols_b = list(aux_cols[0]), list(aux_cols[1])
    if not cols_a or not cols_b:
        raise InputError(f"`aux_cols` needs two non-empty column lists, got {aux_cols!r}")
    cols = _prepare([real, synthetic, control], cols_a + [c for c in cols_b if c not in cols_a])
    frames = [real.select(cols), synthetic.select(cols)]
    if control is not None:
        frames.append(control.select(cols))
    enc = _encode(frames, cols)
    ori, syn = enc.mats[0], enc.mats[1]
    n = min(n_attacks, ori.shape[0], *(m.shape[0] for m in enc.mats[2:]))
    picker = np.random.RandomState(seed)  # same draws as pandas .sample() after np.random.seed
    rng = np.random.default_rng(None if seed is None else [seed, 11])
    ia = [cols.index(c) for c in cols_a]
    ib = [cols.index(c) for c in cols_b]
    k = min(n_neighbors, syn.shape[0])

    def base_links() -> np.ndarray:
        return np.array([rng.choice(syn.shape[0], size=k, replace=False) for _ in range(n)])

    def count_links(idx_a: np.ndarray, idx_b: np.ndarray) -> int:
        return int((idx_a[:, :, None] == idx_b[:, None, :]).any(axis=(1, 2)).sum())

    n_baseline = count_links(base_links(), base_links())

    def attack(target: np.ndarray) -> int:
        rows = target[picker.choice(target.shape[0], size=n, replace=False)]
        idx_a = _gower_neighbors(rows[:, ia], syn[:, ia], enc.numeric[ia], k, rng)
        idx_b = _gower_neighbors(rows[:, ib], syn[:, ib], enc.numeric[ib], k, rng)
        return count_links(idx_a, idx_b)

    n_success = attack(ori)
    n_control = None if control is None else float(attack(enc.mats[2]))
    notes = [] if n == n_attacks else [f"n_attacks reduced to {n} (rows available)"]
    return AttackResult.from_counts(
        "linkability",
        n_attacks=n,
        n_success=n_success,
        n_baseline=n_baseline,
        n_control=n_control,
        confidence_level=confidence_level,
        details={"aux_cols": [cols_a, cols_b], "n_neighbors": k},
        notes=notes,
    )


# ---------------------------------------------------------------- inference


def _guess_correct(
    guesses: np.ndarray, secrets: np.ndarray, regression: bool, tolerance: float = 0.05
) -> np.ndarray:
    """Anonymeter's ``evaluate_inference_guesses`` on encoded values."""
    g_nan, s_nan = np.isnan(guesses), np.isnan(secrets)
    with np.errstate(invalid="ignore", divide="ignore"):
        if regression:
            match = np.abs(guesses - secrets) / (guesses + 1e-12) <= tolerance
        else:
            match = guesses == secrets
    return (match & ~g_nan & ~s_nan) | (g_nan & s_nan)


def inference_risk(
    real: pl.DataFrame,
    synthetic: pl.DataFrame,
    aux_cols: Sequence[str],
    secret: str,
    control: pl.DataFrame | None = None,
    *,
    regression: bool | None = None,
    n_attacks: int = 500,
    seed: int | None = None,
    confidence_level: float = 0.95,
) -> AttackResult:
    """Risk that the synthetic data reveals a real record's *secret* from its *aux_cols*.

    The attacker knows ``aux_cols`` of a target, finds the closest synthetic record
    and guesses its ``secret``; a guess is right if equal (or, with
    ``regression=True``, within 5 % relative difference). The baseline guesses the
    secret of a random synthetic record. Mirrors
    ``anonymeter.evaluators.InferenceEvaluator`` (``regression=None`` detects
    numeric secrets, as anonymeter's internal default does).

    Parameters
    ----------
    real, synthetic, control:
        Training rows, synthetic rows and (optional) real rows not used for fitting.
    aux_cols:
        What the attacker knows of each target.
    secret:
        The column they guess (not one of *aux_cols*).
    regression:
        Compare guesses within 5 % (``True``) or exactly (``False``); ``None``
        decides from the secret's type.
    n_attacks:
        Targets attacked (fewer when a table has fewer rows).
    seed:
        Seed of the target draw and of tie-breaking.
    confidence_level:
        Of the confidence interval.

    Returns
    -------
    AttackResult
        ``attack="inference"``; ``details`` names the secret, the known columns
        and whether guesses were compared as numbers.

    Raises
    ------
    InputError
        If *secret* is one of *aux_cols*.
    ColumnNotFoundError
        If a column is missing from a table.

    Examples
    --------
    >>> import polars as pl
    >>> real = pl.DataFrame({"a": list(range(100)), "s": [i % 2 for i in range(100)]})
    >>> inference_risk(real, real, ["a"], "s", n_attacks=40, seed=0).n_success
    40
    """
    cols = _prepare([real, synthetic, control], [*aux_cols, secret])
    if secret in aux_cols:
        raise InputError(f"`secret` {secret!r} must not be one of `aux_cols` {list(aux_cols)!r}")
    frames = [real.select(cols), synthetic.select(cols)]
    if control is not None:
        frames.append(control.select(cols))
    enc = _encode(frames, cols)
    ori, syn = enc.mats[0], enc.mats[1]
    s = len(cols) - 1
    aux = list(range(s))
    if regression is None:
        regression = bool(enc.numeric[s] and real.schema[secret].is_numeric())
    n_ori = min(n_attacks, ori.shape[0])
    n_base = min(syn.shape[0], n_ori)
    picker = np.random.RandomState(seed)  # same order of draws as anonymeter's pandas sample()
    rng = np.random.default_rng(None if seed is None else [seed, 13])

    # baseline: random synthetic secrets against random targets
    targets = ori[picker.choice(ori.shape[0], size=n_base, replace=False)]
    guesses = syn[picker.choice(syn.shape[0], size=n_base, replace=False), s]
    n_baseline = int(_guess_correct(guesses, targets[:, s], regression).sum())

    def attack(target: np.ndarray, n: int) -> int:
        rows = target[picker.choice(target.shape[0], size=n, replace=False)]
        idx = _gower_neighbors(rows[:, aux], syn[:, aux], enc.numeric[aux], 1, rng)[:, 0]
        return int(_guess_correct(syn[idx, s], rows[:, s], regression).sum())

    n_success = attack(ori, n_ori)
    n_ctrl = -1
    n_control: float | None = None
    if control is not None:
        n_ctrl = min(n_attacks, enc.mats[2].shape[0])
        n_control = float(attack(enc.mats[2], n_ctrl))
    return AttackResult.from_counts(
        "inference",
        n_attacks=(n_ori, n_base, n_ctrl),
        n_success=n_success,
        n_baseline=n_baseline,
        n_control=n_control,
        confidence_level=confidence_level,
        details={"secret": secret, "aux_cols": list(aux_cols), "regression": regression},
    )
