"""DPSession: differentially private queries over one dataset, spending a persistent budget.

A session wraps one OpenDP ``Context.compositor`` (built once, over a scan of
the data) and the dataset's entry in the privlab store. Every release goes
through the same steps:

1. validate the query against the schema (bad input never spends);
2. calibrate an OpenDP measurement to the requested ε (cached, milliseconds —
   see :mod:`privlab.dp._calibrate` for where OpenDP's ~1 s went);
3. *reserve* the measurement's certified loss in the ledger in a short
   ``BEGIN IMMEDIATE`` transaction — refused with
   :class:`~privlab.exceptions.PrivacyBudgetExceededError` if it would exceed
   the dataset's budget;
4. run it through the OpenDP context (no lock held);
5. *confirm* the reservation, or *cancel* it if the run failed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from privlab.dp._calibrate import Calibrated, calibrate, plan_key
from privlab.dp._ledger import Budget, Ledger
from privlab.dp._plan import (
    PartAccuracy,
    PlanSpec,
    answers,
    build_parts,
    plan_frame,
    validate,
)
from privlab.dp._queries import DPQuery
from privlab.dp._queries import count as _count
from privlab.dp._queries import histogram as _histogram
from privlab.dp._queries import mean as _mean
from privlab.dp._queries import median as _median
from privlab.dp._queries import quantile as _quantile
from privlab.dp._queries import sum as _sum
from privlab.dp._source import PreparedSource, prepare_source
from privlab.exceptions import ColumnNotFoundError, DPQueryError, PrivacyBudgetExceededError
from privlab.release import Approval, Gate, ReleaseFacts, submit

__all__ = ["DPSession"]

#: Bin edges for automatic bounds: 0 and ±{1, 2, 5} × 10^k for k = -2 … 9 — a
#: signed logarithmic grid that depends on nothing in the data.
AUTO_EDGES: tuple[float, ...] = tuple(
    [
        -v
        for v in sorted({m * 10.0**k for k in range(-2, 10) for m in (1.0, 2.0, 5.0)}, reverse=True)
    ]
    + [0.0]
    + sorted({m * 10.0**k for k in range(-2, 10) for m in (1.0, 2.0, 5.0)})
)


def _opendp() -> Any:
    """Import OpenDP and switch on the features privlab uses (only here, never at import)."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def _check_loss(epsilon: Any, delta: Any) -> tuple[float, float]:
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float):
        raise DPQueryError(f"epsilon must be a number > 0, got {epsilon!r}")
    if not (math.isfinite(epsilon) and epsilon > 0):
        raise DPQueryError(
            f"epsilon must be a finite number > 0, got {epsilon!r}; smaller ε means "
            "more noise and more privacy, typical values are 0.01–1"
        )
    if isinstance(delta, bool) or not isinstance(delta, int | float):
        raise DPQueryError(f"delta must be a number in [0, 1), got {delta!r}")
    if not (0.0 <= delta < 1.0):
        raise DPQueryError(f"delta must be a number in [0, 1), got {delta!r}")
    return float(epsilon), float(delta)


def _check_alpha(alpha: Any) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise DPQueryError(f"alpha must be in (0, 1), e.g. 0.05 for 95% intervals; got {alpha!r}")
    return float(alpha)


def bounds_from_histogram(
    edges: Sequence[float], counts: Sequence[float], lower_q: float, upper_q: float
) -> tuple[float, float]:
    """Outer edges of the bins holding the ``lower_q`` and ``upper_q`` quantiles.

    ``counts`` has one more entry than ``edges``: bins are ``(-inf, e0]``,
    ``(e0, e1]``, …, ``(e_last, inf)``.

    Examples
    --------
    >>> bounds_from_histogram([0, 10, 20, 30], [0, 5, 90, 5, 0], 0.01, 0.99)
    (0, 30)
    >>> bounds_from_histogram([0, 10, 20, 30], [0, 0, 100, 0, 0], 0.01, 0.99)
    (10, 20)
    """
    total = math.fsum(counts)
    if total <= 0:
        return edges[0], edges[-1]
    cum, lo_bin, hi_bin = 0.0, None, len(counts) - 1
    for i, c in enumerate(counts):
        cum += c
        if lo_bin is None and cum >= lower_q * total and cum > 0:
            lo_bin = i
        if cum >= upper_q * total:
            hi_bin = i
            break
    lo_bin = 0 if lo_bin is None else lo_bin
    lo = edges[max(lo_bin - 1, 0)]
    hi = edges[min(hi_bin, len(edges) - 1)]
    if lo >= hi:  # both quantiles in an outer bin: take its neighbour too
        if hi_bin >= len(edges):
            lo = edges[-2] if len(edges) > 1 else lo - 1.0
        else:
            hi = edges[min(lo_bin + 1, len(edges) - 1)] if lo_bin + 1 < len(edges) else hi + 1.0
    return lo, hi


class DPSession:
    """Differentially private queries over one dataset, with a persistent budget.

    Parameters
    ----------
    data:
        A file path (CSV, Parquet, Arrow/IPC, NDJSON), a polars DataFrame or
        LazyFrame, or a pandas DataFrame. Frames and text files are copied
        once to a private temporary Arrow file so OpenDP scans them cheaply.
    dataset:
        Name of the dataset in the privlab store. The dataset is identified by
        name *and* content fingerprint: a new name for known content shares
        its budget. Default: the file's stem, or ``"frame-<hash>"``.
    identifier:
        Column identifying the person (user-level privacy: one person may own
        many rows). ``None`` protects single rows (``contributions`` rows per
        person).
    contributions:
        Without ``identifier``: at most this many rows belong to one person.
    max_rows_per_id:
        With ``identifier``: rows per person kept in each query (per group in
        group-bys); extra rows are dropped at random before aggregating.
    max_groups_per_id:
        With ``identifier``: groups one person may influence in a group-by.
        Required for group-bys without public keys. OpenDP 0.16's random choice
        of groups fails on polars 1.36, so the *first* groups (in key order)
        are kept.
    max_rows:
        A public upper bound on the number of rows (OpenDP margin
        ``max_length``). Default: the next power of two ≥ 2 × the row count —
        which treats the table's order of magnitude as public.
    delta:
        δ spent by each group-by without public keys (stable-key release).
        Default: a tenth of the dataset's δ budget.
    alpha:
        Default significance: answers carry (1 − alpha) intervals.
    read_kwargs:
        Passed to :func:`privlab.read` for CSV/NDJSON paths.
    ledger:
        The budget ledger (default: a :class:`Ledger` over the configured store);
        releases are gated and cataloged in the same store.
    governance:
        The release gate (default: privlab's governance over the ledger's store).

    Examples
    --------
    >>> import polars as pl, privlab.dp as pdp
    >>> df = pl.DataFrame({"age": [23, 35, 47, 51, 62] * 200, "sex": ["F", "M"] * 500})
    >>> with pdp.DPSession(df, dataset="people") as s:
    ...     ans = s.count(epsilon=0.5)
    ...     round(s.budget().epsilon_spent, 6)
    0.5
    >>> ans.columns
    ['statistic', 'estimate', 'lower', 'upper', 'confidence', 'epsilon', 'delta', 'note']
    >>> abs(ans["estimate"][0] - 1000) < 100
    True
    """

    def __init__(
        self,
        data: Any,
        *,
        dataset: str | None = None,
        identifier: str | None = None,
        contributions: int = 1,
        max_rows_per_id: int = 1,
        max_groups_per_id: int | None = None,
        max_rows: int | None = None,
        delta: float | None = None,
        alpha: float = 0.05,
        read_kwargs: dict[str, Any] | None = None,
        ledger: Ledger | None = None,
        governance: Gate | None = None,
    ) -> None:
        for name, value in (("contributions", contributions), ("max_rows_per_id", max_rows_per_id)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DPQueryError(f"{name} must be an integer >= 1, got {value!r}")
        if max_groups_per_id is not None and (
            isinstance(max_groups_per_id, bool)
            or not isinstance(max_groups_per_id, int)
            or max_groups_per_id < 1
        ):
            raise DPQueryError(
                f"max_groups_per_id must be an integer >= 1, got {max_groups_per_id!r}"
            )
        self.alpha = _check_alpha(alpha)
        self._governance = governance
        self._source: PreparedSource = prepare_source(data, read_kwargs=read_kwargs)
        try:
            self.schema: pl.Schema = self._source.frame.collect_schema()
            self._ledger = ledger if ledger is not None else Ledger()
            self.dataset = self._ledger.resolve(self._source, name=dataset, schema=self.schema)
            rows = self.dataset.rows
            if identifier is not None and identifier not in self.schema.names():
                raise ColumnNotFoundError(identifier, self.schema.names(), source=self.name)
            if max_rows is None:
                max_rows = 1 << max(1, math.ceil(math.log2(max(2 * rows, 2))))
            elif isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1:
                raise DPQueryError(f"max_rows must be an integer >= 1, got {max_rows!r}")
            if max_rows < rows:
                # OpenDP trusts the declared bound; data beyond it voids the guarantee.
                raise DPQueryError(
                    f"max_rows={max_rows} is below the {rows} rows of the data; the bound "
                    "must hold for the data queried"
                )
        except BaseException:
            self._source.close()
            raise
        self.max_rows = int(max_rows)
        self.identifier = identifier
        self.contributions = contributions
        self.max_rows_per_id = max_rows_per_id
        self.max_groups_per_id = max_groups_per_id
        self._delta_default = delta
        self._dp = _opendp()
        dp = self._dp
        domain = dp.domain_of(self._source.frame, infer=True)
        self._domain = dp.with_margin(domain, dp.polars.Margin(by=[], max_length=self.max_rows))
        if identifier is None:
            self._metric, self._d_in = dp.unit_of(contributions=contributions)
        else:
            self._metric, self._d_in = dp.unit_of(contributions=1, identifier=pl.col(identifier))
        self._measure = dp.approximate(dp.max_divergence())
        self._context: Any = None
        self._context_left: tuple[float, float] = (0.0, 0.0)
        self._cache: dict[tuple[str, float, float], Calibrated] = {}
        # (query fingerprints, losses) -> (spec, calibrated measurement); and summaries.
        self._prepared_cache: dict[Any, tuple[PlanSpec, Calibrated]] = {}
        self._summary_cache: dict[
            tuple[int, float | None], tuple[Calibrated, dict[str, PartAccuracy]]
        ] = {}
        #: Seconds spent in each step of the last release.
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------------ basics

    @property
    def name(self) -> str:
        """The dataset's name in the store."""
        return str(self.dataset.name)

    def __enter__(self) -> DPSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the OpenDP context and delete the temporary copy of the data."""
        self._context = None
        self._source.close()

    def __repr__(self) -> str:
        b = self.budget()
        unit = (
            f"identifier={self.identifier!r}, max_rows_per_id={self.max_rows_per_id}"
            if self.identifier
            else f"contributions={self.contributions}"
        )
        return (
            f"DPSession(dataset={self.name!r}, {unit}, "
            f"ε spent {b.epsilon_spent:g} of {b.epsilon_total:g})"
        )

    def budget(self) -> Budget:
        """The dataset's budget: total, spent (incl. reserved) and remaining ε and δ."""
        return self._ledger.budget(self.dataset)

    def ledger(self) -> pl.DataFrame:
        """Every release recorded against this dataset (newest last)."""
        return self._ledger.entries(self.dataset)

    # ------------------------------------------------------------------ plans

    def _base(self) -> Any:
        from opendp.context import Query
        from opendp.domains import _lazyframe_from_domain
        from opendp.extras.polars import LazyFrameQuery

        query = Query(
            chain=(self._domain, self._metric), output_measure=self._measure, d_in=self._d_in
        )
        return LazyFrameQuery(_lazyframe_from_domain(self._domain), query)

    def _truncate(self, query: Any, groups: tuple[str, ...]) -> Any:
        if self.identifier is None:
            return query
        query = query.truncate_per_group(self.max_rows_per_id, by=list(groups) or None)
        if groups and self.max_groups_per_id is not None:
            # keep="sample" builds a struct with duplicate field names that polars
            # 1.36 rejects at run time; "first" is valid DP, only less random.
            query = query.truncate_num_groups(self.max_groups_per_id, by=list(groups), keep="first")
        return query

    def _spec(self, queries: Sequence[DPQuery]) -> PlanSpec:
        for q in queries:
            if not isinstance(q, DPQuery):
                raise DPQueryError(
                    f"expected a query built with privlab.dp.count/sum/mean/…, got {q!r}"
                )
            validate(q, self.schema, source=self.name)
            if q.bounds == "auto":
                raise DPQueryError(
                    f"{q.label} has bounds='auto': release it (auto bounds spend budget) or "
                    "give bounds=(lower, upper) to preview it"
                )
        return build_parts(queries, self.schema, max_rows=self.max_rows)

    def _make(self, plan: Any, scale: float | None, threshold: int | None) -> Any:
        return self._dp.m.make_private_lazyframe(
            input_domain=self._domain,
            input_metric=self._metric,
            output_measure=self._measure,
            lazyframe=plan,
            global_scale=scale,
            threshold=threshold,
        )

    def _calibrate_plan(
        self, plan: Any, epsilon: float, delta: float, *, cache: bool
    ) -> Calibrated:
        key = (plan_key(plan), epsilon, delta)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        try:
            cal = calibrate(lambda s, t: self._make(plan, s, t), self._d_in, epsilon, delta)
        except ValueError as exc:
            raise DPQueryError(f"cannot build this query with OpenDP: {exc}") from None
        except Exception as exc:  # OpenDPException: the plan is not one OpenDP can make private
            raise DPQueryError(f"OpenDP rejected the query: {str(exc).strip()}") from None
        if cache:
            if len(self._cache) > 256:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = cal
        return cal

    def _calibrate_spec(
        self, spec: PlanSpec, losses: Sequence[tuple[float, float]], *, cache: bool = True
    ) -> Calibrated:
        if len(spec.queries) == 1:
            plan = plan_frame(spec, self._base(), None, self._truncate)
            eps, delta = losses[0]
            return self._calibrate_plan(plan, eps, delta, cache=cache)
        # A batch: calibrate each query alone, then run all aggregates in one plan
        # with their own scales; OpenDP certifies the total (sum of the parts).
        scales: dict[str, float] = {}
        for i, q in enumerate(spec.queries):
            single = build_parts([q], self.schema, max_rows=self.max_rows)
            plan = plan_frame(single, self._base(), None, self._truncate)
            cal = self._calibrate_plan(plan, *losses[i], cache=cache)
            summary = self._summary(cal, None)
            for part in single.parts:
                alias = part.alias.replace("__q0_", f"__q{i}_") if part.index == 0 else part.alias
                scales[alias] = summary[part.alias].scale
        for part in spec.parts:
            scales.setdefault(part.alias, max(scales.values()))
        total_eps = math.fsum(e for e, _ in losses)
        total_delta = math.fsum(d for _, d in losses)

        def make(factor: float | None, threshold: int | None) -> Any:
            f = 1.0 if factor is None else factor
            plan = plan_frame(
                spec, self._base(), {a: s * f for a, s in scales.items()}, self._truncate
            )
            return self._make(plan, None, threshold)

        try:
            return calibrate(make, self._d_in, total_eps, total_delta)
        except Exception as exc:
            raise DPQueryError(f"OpenDP rejected the batch: {str(exc).strip()}") from None

    def _summary(self, cal: Calibrated, alpha: float | None) -> dict[str, PartAccuracy]:
        key = (id(cal), alpha)
        hit = self._summary_cache.get(key)
        if hit is not None and hit[0] is cal:  # the id is only reused if `cal` died
            return hit[1]
        from opendp.accuracy import summarize_polars_measurement

        full = summarize_polars_measurement(cal.measurement, alpha)
        half = summarize_polars_measurement(cal.measurement, alpha / 2) if alpha else None
        out: dict[str, PartAccuracy] = {}
        for idx, row in enumerate(full.iter_rows(named=True)):
            out[row["column"]] = PartAccuracy(
                distribution=row["distribution"],
                scale=float(row["scale"]) if row["scale"] is not None else float("nan"),
                accuracy=row.get("accuracy"),
                accuracy_half=half["accuracy"][idx] if half is not None else None,
                threshold=row.get("threshold"),
            )
        if len(self._summary_cache) > 256:
            self._summary_cache.pop(next(iter(self._summary_cache)))
        self._summary_cache[key] = (cal, out)
        return out

    def _losses(
        self, queries: Sequence[DPQuery], epsilon: float | Sequence[float], delta: float | None
    ) -> list[tuple[float, float]]:
        eps_list = self._split(queries, epsilon)
        out = []
        for q, e in zip(queries, eps_list, strict=True):
            stable = (
                bool(q.group_columns)
                and q.keys is None
                and not (q.kind == "histogram" and q.edges is not None)
            )
            if stable:
                d = self._stable_delta() if delta is None else delta
                out.append(_check_loss(e, d))
                if not out[-1][1] > 0:
                    raise DPQueryError(
                        f"{q.label} has no public keys: only groups above a noisy threshold "
                        "are released, which needs delta > 0; pass delta= or declare keys="
                    )
            else:
                out.append(_check_loss(e, 0.0 if delta is None else delta))
        return out

    def _stable_delta(self) -> float:
        if self._delta_default is None:  # read once: a tenth of the δ budget at first use
            self._delta_default = self.budget().delta_total / 10.0
        return float(self._delta_default)

    def _prepare(
        self, queries: Sequence[DPQuery], losses: Sequence[tuple[float, float]]
    ) -> tuple[PlanSpec, Calibrated]:
        """Plan and calibrated measurement for a batch — cached, so a repeated
        release pays neither plan building nor calibration."""
        key = (tuple(q.fingerprint() for q in queries), tuple(losses))
        hit = self._prepared_cache.get(key)
        if hit is not None:
            return hit
        spec = self._spec(queries)
        cal = self._calibrate_spec(spec, losses)
        if len(self._prepared_cache) > 256:
            self._prepared_cache.pop(next(iter(self._prepared_cache)))
        self._prepared_cache[key] = (spec, cal)
        return spec, cal

    # ------------------------------------------------------------------ release

    def _context_for(self, epsilon: float, delta: float) -> Any:
        """The session's OpenDP context; rebuilt only if its privacy filter is too small.

        The context's own filter is a second, in-process guard behind the ledger:
        it is sized to the budget left when it is built (plus the reserved query).
        We track what it has left ourselves — asking OpenDP costs ~3 ms.
        """
        left_eps, left_delta = self._context_left
        slack = 1e-9
        if (
            self._context is None
            or left_eps < epsilon * (1 + slack) + slack
            or (left_delta < delta * (1 + slack) + (slack * 1e-6 if delta else 0.0))
        ):
            b = self.budget()
            cap = (b.epsilon_remaining + epsilon, b.delta_remaining + delta)
            self._context = self._dp.Context.compositor(
                data=self._source.frame,
                privacy_unit=(self._metric, self._d_in),
                privacy_loss=(self._measure, cap),
                domain=self._domain,
            )
            self._context_left = cap
        return self._context

    def _spend_context(self, epsilon: float, delta: float) -> None:
        left_eps, left_delta = self._context_left
        self._context_left = (left_eps - epsilon, left_delta - delta)

    def release_many(
        self,
        queries: Sequence[DPQuery],
        *,
        epsilon: float | Sequence[float],
        delta: float | None = None,
        alpha: float | None = None,
    ) -> list[pl.DataFrame]:
        """Release several queries in one pass over the data.

        All queries must share their grouping (``by`` and public keys). Each
        gets its own ε (``epsilon`` is one total split evenly, or one value per
        query); OpenDP certifies the combined measurement, and the ledger
        records one row per query, reserved together.

        Returns
        -------
        list of polars.DataFrame
            One answer per query, as :meth:`release` returns it.
        """
        if not queries:
            raise DPQueryError("release_many needs at least one query")
        alpha_v = self.alpha if alpha is None else _check_alpha(alpha)
        eps_list = self._split(queries, epsilon)
        if any(q.bounds == "auto" for q in queries):
            # Validate everything before anything is spent (auto bounds spend).
            self._spec([q.with_bounds((0.0, 1.0)) if q.bounds == "auto" else q for q in queries])
            self._check_affordable(math.fsum(eps_list))
        resolved: list[DPQuery] = []
        for i, q in enumerate(queries):
            if q.bounds == "auto":
                share = eps_list[i] * self.auto_bounds_share
                q = q.with_bounds(self.auto_bounds(str(q.column), epsilon=share))
                eps_list[i] -= share
            resolved.append(q)
        losses = self._losses(resolved, eps_list, delta)
        t0 = time.perf_counter()
        spec, cal = self._prepare(resolved, losses)
        t1 = time.perf_counter()
        per_query = self._attribute(losses, cal)
        stamps: dict[str, float] = {}

        def spend_and_run() -> Any:
            reservation = self._ledger.reserve(
                self.dataset,
                [(q, e, d) for q, (e, d) in zip(resolved, per_query, strict=True)],
            )
            stamps["t2"] = time.perf_counter()
            try:
                ctx = self._context_for(cal.epsilon, cal.delta)
                once = ctx(cal.measurement)
                self._spend_context(cal.epsilon, cal.delta)
                out = once.collect()
            except BaseException:
                self._ledger.cancel(reservation)
                raise
            stamps["t3"] = time.perf_counter()
            self._ledger.confirm(reservation)
            stamps["t4"] = time.perf_counter()
            return out

        # The release gate authorizes, inspects and checks the policy (ε per period)
        # before anything is reserved, then registers and audits the release.
        box: list[Any] = []

        def write(approval: Approval) -> list[Path]:
            box.append(spend_and_run())
            return []

        by = sorted({c for q in resolved for c in (q.group_columns or [])})
        facts = ReleaseFacts(
            kind="dp",
            dataset=self.dataset.name,
            privacy={
                "epsilon": cal.epsilon,
                "delta": cal.delta,
                "queries": len(resolved),
                "by": by,
            },
            queries=tuple(resolved),
        )
        submit(facts, write, governance=self._governance, store=self._ledger.store)
        released = box[0]
        t2, t3, t4 = stamps["t2"], stamps["t3"], stamps["t4"]
        acc = self._summary(cal, alpha_v)
        result = answers(
            spec, released, acc, alpha=alpha_v, max_rows=self.max_rows, losses=per_query
        )
        self.timings = {
            "calibrate": t1 - t0,
            "reserve": t2 - t1,
            "run": t3 - t2,
            "confirm": t4 - t3,
            "answer": time.perf_counter() - t4,
        }
        return result

    #: Share of a query's ε spent estimating ``bounds='auto'``.
    auto_bounds_share: float = 0.1

    def _check_affordable(self, epsilon: float) -> None:
        b = self.budget()
        if epsilon > b.epsilon_remaining + 1e-12:
            raise PrivacyBudgetExceededError(
                f"dataset {self.name!r}: this release needs ε={epsilon:g} but only "
                f"{b.epsilon_remaining:g} of {b.epsilon_total:g} remains (spent "
                f"{b.epsilon_spent:g}); ask the owner to raise the budget or spend less",
                spent=b.epsilon_spent,
                remaining=b.epsilon_remaining,
                requested=epsilon,
            )

    def _split(self, queries: Sequence[DPQuery], epsilon: float | Sequence[float]) -> list[float]:
        if isinstance(epsilon, int | float) and not isinstance(epsilon, bool):
            _check_loss(epsilon, 0.0)
            return [float(epsilon) / len(queries)] * len(queries)
        if isinstance(epsilon, str | bytes | bool) or not isinstance(epsilon, Sequence):
            _check_loss(epsilon, 0.0)  # raises with a clear message
            raise AssertionError  # pragma: no cover - _check_loss raised
        eps = list(epsilon)
        if len(eps) != len(queries):
            raise DPQueryError(
                f"got {len(eps)} epsilons for {len(queries)} queries; pass one per query "
                "or a single total to split evenly"
            )
        for e in eps:
            _check_loss(e, 0.0)
        return [float(e) for e in eps]

    @staticmethod
    def _attribute(
        losses: Sequence[tuple[float, float]], cal: Calibrated
    ) -> list[tuple[float, float]]:
        """Per-query loss for the ledger: the requested split, scaled to what OpenDP certified."""
        if len(losses) == 1:
            return [(cal.epsilon, cal.delta)]
        te = math.fsum(e for e, _ in losses) or 1.0
        td = math.fsum(d for _, d in losses) or 1.0
        return [(cal.epsilon * e / te, cal.delta * d / td if td else 0.0) for e, d in losses]

    def release(
        self,
        query: DPQuery,
        *,
        epsilon: float,
        delta: float | None = None,
        alpha: float | None = None,
    ) -> pl.DataFrame:
        """Release one query, spending ``epsilon`` (and ``delta`` for stable keys).

        Returns
        -------
        polars.DataFrame
            Group columns (if any), then ``statistic``, ``estimate``, ``lower``,
            ``upper`` (a (1 − alpha) interval from OpenDP's accuracy; null for
            quantiles), ``confidence``, ``epsilon``, ``delta``, ``note``.

        Raises
        ------
        PrivacyBudgetExceededError
            Before anything runs, if the dataset's remaining budget is too small.
        DPQueryError, ColumnNotFoundError
            For ill-formed queries; nothing is spent.
        """
        return self.release_many([query], epsilon=epsilon, delta=delta, alpha=alpha)[0]

    # convenience: build and release in one call ---------------------------------

    def count(
        self,
        column: str | None = None,
        *,
        epsilon: float,
        by: Any = None,
        keys: Any = None,
        delta: float | None = None,
        alpha: float | None = None,
    ) -> pl.DataFrame:
        """Release :func:`privlab.dp.count`."""
        return self.release(
            _count(column, by=by, keys=keys), epsilon=epsilon, delta=delta, alpha=alpha
        )

    def sum(
        self,
        column: str,
        *,
        epsilon: float,
        bounds: Any = None,
        by: Any = None,
        keys: Any = None,
        delta: float | None = None,
        alpha: float | None = None,
    ) -> pl.DataFrame:
        """Release :func:`privlab.dp.sum`."""
        query = _sum(column, bounds=bounds, by=by, keys=keys)
        return self.release(query, epsilon=epsilon, delta=delta, alpha=alpha)

    def mean(
        self,
        column: str,
        *,
        epsilon: float,
        bounds: Any = None,
        by: Any = None,
        keys: Any = None,
        delta: float | None = None,
        alpha: float | None = None,
    ) -> pl.DataFrame:
        """Release :func:`privlab.dp.mean`."""
        query = _mean(column, bounds=bounds, by=by, keys=keys)
        return self.release(query, epsilon=epsilon, delta=delta, alpha=alpha)

    def quantile(
        self,
        column: str,
        q: float,
        *,
        epsilon: float,
        bounds: Any = None,
        candidates: Any = None,
        by: Any = None,
        keys: Any = None,
        delta: float | None = None,
    ) -> pl.DataFrame:
        """Release :func:`privlab.dp.quantile`."""
        query = _quantile(column, q, bounds=bounds, candidates=candidates, by=by, keys=keys)
        return self.release(query, epsilon=epsilon, delta=delta)

    def median(
        self,
        column: str,
        *,
        epsilon: float,
        bounds: Any = None,
        candidates: Any = None,
        by: Any = None,
        keys: Any = None,
        delta: float | None = None,
    ) -> pl.DataFrame:
        """Release :func:`privlab.dp.median`."""
        query = _median(column, bounds=bounds, candidates=candidates, by=by, keys=keys)
        return self.release(query, epsilon=epsilon, delta=delta)

    def histogram(
        self,
        column: str,
        *,
        epsilon: float,
        edges: Any = None,
        keys: Any = None,
        delta: float | None = None,
        alpha: float | None = None,
    ) -> pl.DataFrame:
        """Release :func:`privlab.dp.histogram`."""
        query = _histogram(column, edges=edges, keys=keys)
        return self.release(query, epsilon=epsilon, delta=delta, alpha=alpha)

    # ------------------------------------------------------------------ bounds

    def auto_bounds(
        self,
        column: str,
        *,
        epsilon: float,
        lower_q: float = 0.01,
        upper_q: float = 0.99,
        edges: Sequence[float] | None = None,
    ) -> tuple[float, float]:
        """Estimate clipping bounds for ``column`` from DP quantiles (ledgered).

        One OpenDP release: a noisy histogram of ``column`` over a signed
        logarithmic grid of bin edges (:data:`AUTO_EDGES`: 0, ±1, ±2, ±5 ×
        10^k for k = −2…9 — nothing data-dependent). Its noisy cumulative
        counts (bins not significantly above zero dropped) give the
        ``lower_q`` and ``upper_q`` quantiles; the bounds are the outer edges of
        the bins holding them. The release is recorded in
        the ledger like any other.

        Why not OpenDP's ``dp.quantile`` over the same grid? Every candidate
        beyond the data's maximum has the *same* score, so the exponential
        mechanism picks among them uniformly: for data in [0, 100] and
        q = 0.99 it returned values up to 7e9 (measured). A histogram's
        cumulative counts do not tie that way.

        Returns
        -------
        tuple of float
            ``(lower, upper)`` with ``lower < upper``.
        """
        if column not in self.schema.names():
            raise ColumnNotFoundError(column, self.schema.names(), source=self.name)
        if not 0.0 <= lower_q < upper_q <= 1.0:
            raise DPQueryError(
                f"need 0 <= lower_q < upper_q <= 1, got lower_q={lower_q!r}, upper_q={upper_q!r}"
            )
        grid = tuple(AUTO_EDGES if edges is None else sorted({float(e) for e in edges}))
        # Bins whose count is not significantly above 0 (Bonferroni over the bins)
        # are noise: drop them, or the many empty bins would swamp the CDF.
        alpha = 0.05 / (len(grid) + 1)
        ans = self.release(_histogram(column, edges=grid), epsilon=epsilon, alpha=alpha)
        kept = ans.select(
            pl.when(pl.col("lower") > 0).then(pl.col("estimate")).otherwise(0.0)
        ).to_series()
        if kept.sum() <= 0:  # nothing significant: fall back to the raw noisy counts
            kept = ans["estimate"].fill_null(0.0).clip(lower_bound=0.0)
        counts = kept.to_list()
        lo, hi = bounds_from_histogram(grid, counts, lower_q, upper_q)
        return lo, hi

    # ------------------------------------------------------------------ accuracy

    def preview(
        self,
        query: DPQuery,
        *,
        epsilon: float,
        delta: float | None = None,
        alpha: float | None = None,
    ) -> pl.DataFrame:
        """Accuracy of ``query`` at ``epsilon`` *before* spending anything.

        One row per OpenDP aggregate: its noise ``distribution`` and ``scale``
        and the ``accuracy`` — the half-width of a (1 − alpha) interval, in
        the column's units — plus the ``threshold`` of stable-key group-bys.
        A mean has two rows (its sum and its count); its interval also
        depends on the count, see :meth:`epsilon_for`.
        """
        alpha_v = self.alpha if alpha is None else _check_alpha(alpha)
        losses = self._losses([query], epsilon, delta)
        spec = self._spec([query])
        cal = self._calibrate_spec(spec, losses)
        acc = self._summary(cal, alpha_v)
        rows = []
        for part in spec.parts:
            pa = acc[part.alias]
            factor = part.factor
            quant = self.max_rows / factor if factor != 1.0 else 0.0
            rows.append(
                {
                    "statistic": query.label,
                    "aggregate": {"n": "count", "s": "sum", "q": "quantile", "len": "rows"}[
                        part.role
                    ],
                    "distribution": pa.distribution,
                    "scale": pa.scale / factor,
                    "accuracy": None if pa.accuracy is None else pa.accuracy / factor + quant,
                    "confidence": 1.0 - alpha_v,
                    "threshold": pa.threshold,
                    "epsilon": cal.epsilon,
                    "delta": cal.delta,
                }
            )
        return pl.DataFrame(
            rows,
            schema={
                "statistic": pl.String,
                "aggregate": pl.String,
                "distribution": pl.String,
                "scale": pl.Float64,
                "accuracy": pl.Float64,
                "confidence": pl.Float64,
                "threshold": pl.Int64,
                "epsilon": pl.Float64,
                "delta": pl.Float64,
            },
        )

    def half_width(
        self,
        query: DPQuery,
        epsilon: float,
        *,
        alpha: float | None = None,
        n: float | None = None,
        delta: float | None = None,
    ) -> float:
        """Half-width of the (1 − alpha) interval ``query`` would get at ``epsilon``.

        For a mean the width depends on the number of values ``n`` (pass a
        public or previously released count); it is the conservative
        ``(a_sum + max|bound| · a_count) / (n − a_count)`` bound used for the
        released interval. Nothing is spent.
        """
        alpha_v = self.alpha if alpha is None else _check_alpha(alpha)
        if not query.has_accuracy:
            raise DPQueryError(
                f"OpenDP reports no accuracy for {query.label}: there is no interval to size"
            )
        losses = self._losses([query], epsilon, delta)
        spec = self._spec([query])
        cal = self._calibrate_spec(spec, losses, cache=False)
        acc = self._summary(cal, alpha_v)
        parts = {p.role: p for p in spec.parts if p.index == 0}
        if query.kind == "mean":
            if n is None or not n > 0:
                raise DPQueryError(
                    "the interval of a mean depends on how many values it averages: pass "
                    f"n= (a public or already released count), got n={n!r}"
                )
            ps, pn = parts["s"], parts["n"]
            a_s = acc[ps.alias].accuracy_half
            a_n = acc[pn.alias].accuracy_half
            assert a_s is not None
            assert a_n is not None
            a_s = a_s / ps.factor + (self.max_rows / ps.factor if ps.factor != 1.0 else 0.0)
            assert isinstance(query.bounds, tuple)
            m = max(abs(query.bounds[0]), abs(query.bounds[1]))
            if n - a_n <= 0:
                return float("inf")
            return min((a_s + m * a_n) / (n - a_n), query.bounds[1] - query.bounds[0])
        part = parts["s"] if query.kind == "sum" else parts["n"]
        a = acc[part.alias].accuracy
        assert a is not None
        quant = self.max_rows / part.factor if part.factor != 1.0 else 0.0
        return float(a / part.factor + quant)

    def epsilon_for(
        self,
        query: DPQuery,
        accuracy: float,
        alpha: float = 0.05,
        *,
        n: float | None = None,
        max_epsilon: float = 100.0,
    ) -> float:
        """Smallest ε whose (1 − alpha) interval has half-width ≤ ``accuracy``.

        Computed from OpenDP's accuracy of calibrated measurements; nothing is
        spent. For a mean pass ``n`` (see :meth:`half_width`).

        Raises
        ------
        DPQueryError
            If even ``max_epsilon`` does not reach the accuracy, or the query
            has no accuracy (quantiles).
        """
        if not (isinstance(accuracy, int | float) and accuracy > 0 and math.isfinite(accuracy)):
            raise DPQueryError(f"accuracy must be a number > 0, got {accuracy!r}")

        def width(eps: float) -> float:
            return self.half_width(query, eps, alpha=alpha, n=n)

        if width(max_epsilon) > accuracy:
            raise DPQueryError(
                f"{query.label} cannot reach ±{accuracy:g} at {1 - alpha:.0%} confidence even "
                f"with ε={max_epsilon:g}; widen the target or narrow the bounds"
            )
        # Laplace accuracy scales like 1/ε: start from that guess, then bisect in log-space.
        w1 = width(1.0)
        guess = min(max(w1 / accuracy, 1e-6), max_epsilon)
        lo, hi = guess, guess
        while width(hi) > accuracy:
            lo, hi = hi, min(hi * 1.5, max_epsilon)
        while lo > 1e-9 and width(lo) <= accuracy:
            hi, lo = lo, lo / 1.5
        for _ in range(40):
            if hi / lo < 1 + 1e-6:
                break
            mid = math.sqrt(lo * hi)
            if width(mid) <= accuracy:
                hi = mid
            else:
                lo = mid
        return hi

    def error_curve(
        self,
        query: DPQuery,
        epsilons: Sequence[float] | None = None,
        *,
        alpha: float | None = None,
        n: float | None = None,
    ) -> pl.DataFrame:
        """Half-width of the (1 − alpha) interval against ε — nothing is spent.

        Returns
        -------
        polars.DataFrame
            Columns ``statistic``, ``epsilon``, ``half_width``, ``confidence``;
            plot it with :func:`privlab.viz.epsilon_curve_chart`.
        """
        alpha_v = self.alpha if alpha is None else _check_alpha(alpha)
        if epsilons is None:
            epsilons = [10 ** (-2 + 3 * i / 24) for i in range(25)]  # 0.01 … 10
        eps = [float(e) for e in epsilons]
        widths = [self.half_width(query, e, alpha=alpha_v, n=n) for e in eps]
        return pl.DataFrame(
            {
                "statistic": [query.label] * len(eps),
                "epsilon": eps,
                "half_width": widths,
                "confidence": [1.0 - alpha_v] * len(eps),
            }
        )
