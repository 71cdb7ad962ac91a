"""DPSession: differentially private queries over one dataset, spending a persistent budget.

A session spends; it does not plan. It holds a snapshot of the data (taken
at open, :mod:`privlab.dp._source`), the dataset's entry in the store, a
:class:`~privlab.dp._plan.Planner` and its :class:`~privlab.dp._calibrate.Calibrator`,
and one OpenDP ``Context.compositor`` over the snapshot. Every release goes
through the same steps, all checks first:

1. validate every query of the request against the schema, and ε and δ;
2. calibrate every OpenDP measurement it needs — the automatic bounds'
   histogram, and the main one with the widest automatic bounds — (cached,
   milliseconds; see :mod:`privlab.dp._calibrate` for where OpenDP's ~1 s went);
3. the role: the gate's ``authorize("spend")``; then the gate's guard and policy;
4. *reserve* the whole request's loss in the ledger in one short
   ``BEGIN IMMEDIATE`` transaction (with its audit record) — refused with
   :class:`~privlab.exceptions.PrivacyBudgetExceededError` if it would exceed
   the budget (shared by every dataset linked to this one);
5. run the measurements through the OpenDP context (no lock held);
6. *confirm* the reservation, or *cancel* what did not run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from privlab._validate import check_int
from privlab.dp import _accuracy
from privlab.dp._accuracy import check_alpha
from privlab.dp._answers import answers
from privlab.dp._bounds import (
    AUTO_BOUNDS_ALPHA,
    AUTO_BOUNDS_EXTEND_ALPHA,
    AUTO_EDGES,
    bounds_from_counts,
)
from privlab.dp._calibrate import Calibrated, Calibrator
from privlab.dp._ledger import Budget, Ledger
from privlab.dp._plan import Planner, PlanSpec, query_losses, split_epsilon
from privlab.dp._queries import DPQuery, Nulls
from privlab.dp._queries import count as _count
from privlab.dp._queries import histogram as _histogram
from privlab.dp._queries import mean as _mean
from privlab.dp._queries import median as _median
from privlab.dp._queries import quantile as _quantile
from privlab.dp._queries import sum as _sum
from privlab.dp._source import PreparedSource, prepare_source
from privlab.exceptions import ColumnNotFoundError, DPQueryError
from privlab.release import Approval, Gate, ReleaseFacts, submit

__all__ = ["DPSession"]


class DPSession:
    """Differentially private queries over one dataset, with a persistent budget.

    Parameters
    ----------
    data:
        A file path (CSV, Parquet, Arrow/IPC, NDJSON), a polars DataFrame or
        LazyFrame, or a pandas DataFrame. It is copied once, when the session
        opens, to a private ``0600`` file that every query reads: later
        changes to the file do not affect the session (answers' notes name
        the snapshot).
    dataset:
        Name of the dataset in the privlab store. The dataset is identified by
        name *and* content fingerprint: a new name for known content shares
        its budget, and content derived from a registered dataset (a column
        added, cast or renamed; rows edited, added, removed or sampled) is
        linked to that dataset's budget. Default: the file's stem, or
        ``"frame-<hash>"``.
    identifier:
        Column identifying the person (user-level privacy: one person may own
        many rows). ``None`` protects single rows (``contributions`` rows per
        person).
    contributions:
        Without ``identifier``: at most this many rows belong to one person.
    max_rows_per_id:
        With ``identifier``: rows one person keeps in a query — in total,
        across all groups of a group-by, so one person moves the released
        counts by at most this much whatever the number of groups; extra
        rows are dropped at random before aggregating.
    max_groups_per_id:
        With ``identifier``, in group-bys: keep ``max_rows_per_id`` rows per
        person in each of at most this many groups instead (better when
        people have many rows in few groups). OpenDP 0.16's random choice of
        groups fails on polars 1.36, so the *first* groups (in key order)
        are kept.
    max_rows:
        A public upper bound on the number of rows (OpenDP margin
        ``max_length``; it also fixes the fixed-point scale of float sums).
        Default: the next power of two ≥ 2 × the row count — which makes
        the table's order of magnitude public, as every answer's note says.
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
        check_int(contributions, "contributions", minimum=1, error=DPQueryError)
        check_int(max_rows_per_id, "max_rows_per_id", minimum=1, error=DPQueryError)
        if max_groups_per_id is not None:
            check_int(max_groups_per_id, "max_groups_per_id", minimum=1, error=DPQueryError)
        self.alpha = check_alpha(alpha)
        self._governance = governance
        self._source: PreparedSource = prepare_source(data, read_kwargs=read_kwargs)
        try:
            self.schema: pl.Schema = self._source.frame.collect_schema()
            self._ledger = ledger if ledger is not None else Ledger()
            self.dataset = self._ledger.resolve(self._source, name=dataset, schema=self.schema)
            rows = self.dataset.rows
            if identifier is not None and identifier not in self.schema.names():
                raise ColumnNotFoundError(identifier, self.schema.names(), source=self.name)
            declared = max_rows is not None
            if max_rows is None:
                max_rows = 1 << max(1, math.ceil(math.log2(max(2 * rows, 2))))
            else:
                check_int(max_rows, "max_rows", minimum=1, error=DPQueryError)
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
        self._planner = Planner(
            self._source.frame,
            source=self.name,
            max_rows=self.max_rows,
            declared=declared,
            identifier=identifier,
            contributions=contributions,
            max_rows_per_id=max_rows_per_id,
            max_groups_per_id=max_groups_per_id,
        )
        self._calibrator = Calibrator(self._planner)
        self._context: Any = None
        self._context_left: tuple[float, float] = (0.0, 0.0)
        self._guard_samples: dict[tuple[str, ...], pl.DataFrame] = {}
        #: Seconds spent in each step of the last release.
        self.timings: dict[str, float] = {}
        #: The OpenDP measurements the last release ran, with the (ε, δ) OpenDP
        #: certified for each — what its ledger rows must cover.
        self.last_release: list[tuple[Any, float, float]] = []

    # ------------------------------------------------------------------ basics

    @property
    def name(self) -> str:
        """The dataset's name in the store."""
        return str(self.dataset.name)

    #: Rows of the seeded sample the release guard classifies group-by columns on.
    guard_sample_rows: int = 10_000

    def _group_sample(self, columns: list[str]) -> pl.DataFrame | None:
        """A seeded sample of the group-by *columns* for the release guard (cached).

        The guard decides from their values whether they identify people; the
        sample is read from the session's snapshot, never spent on, never released.
        """
        columns = [c for c in columns if c in self.schema]  # histogram bins are derived
        if not columns:
            return None
        key = tuple(columns)
        cached = self._guard_samples.get(key)
        if cached is None:
            frame = self._source.frame.select(columns).collect()
            if frame.height > self.guard_sample_rows:
                frame = frame.sample(self.guard_sample_rows, seed=0)
            cached = self._guard_samples[key] = frame
        return cached

    @property
    def public_note(self) -> str:
        """What the session's answers treat as public (the row bound, and how it was set)."""
        return self._planner.public_note

    @property
    def snapshot(self) -> str:
        """Which snapshot of the data the session queries (taken when it opened)."""
        return self._source.describe()

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

    def _losses(
        self, queries: Sequence[DPQuery], epsilon: float | Sequence[float], delta: float | None
    ) -> list[tuple[float, float]]:
        eps_list = split_epsilon(len(queries), epsilon)
        return query_losses(queries, eps_list, delta, self._stable_delta)

    def _stable_delta(self) -> float:
        if self._delta_default is None:  # read once: a tenth of the δ budget at first use
            self._delta_default = self.budget().delta_total / 10.0
        return float(self._delta_default)

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
            planner = self._planner
            self._context = planner.dp.Context.compositor(
                data=self._source.frame,
                privacy_unit=(planner.metric, planner.d_in),
                privacy_loss=(planner.measure, cap),
                domain=planner.domain,
            )
            self._context_left = cap
        return self._context

    def _spend_context(self, epsilon: float, delta: float) -> None:
        left_eps, left_delta = self._context_left
        self._context_left = (left_eps - epsilon, left_delta - delta)

    #: Share of a query's ε spent estimating ``bounds='auto'``.
    auto_bounds_share: float = 0.1

    def _gate(self) -> Gate:
        return self._governance if self._governance is not None else self._ledger.gate

    def _run(self, cal: Calibrated) -> pl.DataFrame:
        """Run one calibrated measurement through the session's OpenDP context."""
        ctx = self._context_for(cal.epsilon, cal.delta)
        once = ctx(cal.measurement)
        self._spend_context(cal.epsilon, cal.delta)
        self.last_release.append((cal.measurement, cal.epsilon, cal.delta))
        self._last_output: pl.DataFrame = once.collect()
        return self._last_output

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

        Every check happens before anything is spent, for the whole request
        — the automatic bounds' histogram included: the queries against the
        schema, ε and δ, OpenDP's acceptance of every measurement (the main
        one calibrated with the widest automatic bounds), the role (the
        gate's ``"spend"``), the policy, and the budget, reserved once for
        everything.

        Returns
        -------
        list of polars.DataFrame
            One answer per query, as :meth:`release` returns it.
        """
        if not queries:
            raise DPQueryError("release_many needs at least one query")
        alpha_v = self.alpha if alpha is None else check_alpha(alpha)
        eps_list = split_epsilon(len(queries), epsilon)
        grid = AUTO_EDGES
        bound_queries: list[tuple[int, DPQuery, float]] = []
        placeholder: list[DPQuery] = []
        for i, q in enumerate(queries):
            if isinstance(q, DPQuery) and q.bounds == "auto":
                share = eps_list[i] * self.auto_bounds_share
                eps_list[i] -= share
                bound_queries.append((i, _histogram(str(q.column), edges=grid), share))
                q = q.with_bounds((grid[0], grid[-1]))
            placeholder.append(q)
        # 1. data, ε/δ and OpenDP checks for everything, before anything is spent
        losses = self._losses(placeholder, eps_list, delta)
        t0 = time.perf_counter()
        bound_cals = [
            self._calibrator.prepare([hq], [(share, 0.0)])[1] for _, hq, share in bound_queries
        ]
        spec, cal = self._calibrator.prepare(placeholder, losses)
        t1 = time.perf_counter()
        per_query = self._attribute(losses, cal) if not bound_queries else list(losses)
        items: list[tuple[Any, float, float]] = [
            (hq, share, 0.0) for _, hq, share in bound_queries
        ] + [(q, e, d) for q, (e, d) in zip(placeholder, per_query, strict=True)]
        # 2. the role: spending needs the gate's "spend" (analyst in governed mode)
        gate = self._gate()
        gate.authorize("spend", dataset=self.name)
        stamps: dict[str, float] = {}
        chosen: dict[int, tuple[float, float, str]] = {}
        self.last_release = []

        def spend_and_run() -> tuple[PlanSpec, Calibrated, pl.DataFrame]:
            # 3. the budget (ε and δ of the whole request) in one reservation
            reservation = self._ledger.reserve(self.dataset, items)
            stamps["t2"] = time.perf_counter()
            ran = 0
            try:
                for (i, hq, _share), bcal in zip(bound_queries, bound_cals, strict=True):
                    counts = self._run(bcal)
                    ran += 1
                    chosen[i] = self._bounds_from(hq, bcal, counts)
                if bound_queries:
                    resolved = [
                        q.with_bounds(chosen[i][:2]) if i in chosen else q
                        for i, q in enumerate(queries)
                    ]
                    run_spec, run_cal = self._calibrator.prepare(resolved, losses)
                else:
                    run_spec, run_cal = spec, cal
                out = self._run(run_cal)
            except BaseException:
                self._ledger.confirm(reservation.part(range(ran)))  # seen: stays spent
                self._ledger.cancel(reservation.part(range(ran, len(items))))
                raise
            stamps["t3"] = time.perf_counter()
            self._ledger.confirm(reservation)
            stamps["t4"] = time.perf_counter()
            return run_spec, run_cal, out

        box: list[tuple[PlanSpec, Calibrated, pl.DataFrame]] = []

        def write(approval: Approval) -> list[Path]:
            box.append(spend_and_run())
            return []

        by = sorted({c for q in placeholder for c in (q.group_columns or [])})
        facts = ReleaseFacts(
            kind="dp",
            dataset=self.dataset.name,
            privacy={
                "epsilon": math.fsum(e for _, e, _ in items),
                "delta": math.fsum(d for _, _, d in items),
                "queries": len(items),
                "by": by,
            },
            queries=tuple(placeholder),
            query_sample=self._group_sample(by),
        )
        # 4. the gate: inspection and policy before write() reserves and runs
        submit(facts, write, governance=gate, store=self._ledger.store)
        run_spec, run_cal, released = box[0]
        t2, t3, t4 = stamps["t2"], stamps["t3"], stamps["t4"]
        acc = self._calibrator.summary(run_cal, alpha_v)
        result = answers(
            run_spec,
            released,
            acc,
            alpha=alpha_v,
            max_rows=self.max_rows,
            losses=per_query,
            notes=[self.public_note, self.snapshot],
        )
        for i, (lo, hi, how) in chosen.items():
            result[i] = result[i].with_columns(
                (
                    pl.col("note")
                    + f"; bounds ({lo:g}, {hi:g}) chosen by a DP histogram over a public grid "
                    f"(ε={bound_queries[[b[0] for b in bound_queries].index(i)][2]:g}, in the "
                    f"ledger): {how}"
                ).alias("note")
            )
        self.timings = {
            "calibrate": t1 - t0,
            "reserve": t2 - t1,
            "run": t3 - t2,
            "confirm": t4 - t3,
            "answer": time.perf_counter() - t4,
        }
        return result

    def _bounds_from(
        self, query: DPQuery, cal: Calibrated, released: pl.DataFrame
    ) -> tuple[float, float, str]:
        """Bounds from a released auto-bounds histogram (post-processing only)."""
        spec = self._planner.spec([query])
        assert query.edges is not None
        (alias,) = [p.alias for p in spec.parts]
        bins = spec.keys.join(released, on=list(spec.group_columns), how="left")  # type: ignore[union-attr]
        counts = bins[alias].cast(pl.Float64).fill_null(0.0).to_list()
        core = self._calibrator.summary(cal, AUTO_BOUNDS_ALPHA / len(counts))[alias].accuracy
        extend = self._calibrator.summary(cal, AUTO_BOUNDS_EXTEND_ALPHA / len(counts))[alias]
        assert core is not None
        assert extend.accuracy is not None
        return bounds_from_counts(query.edges, counts, core, extend.accuracy)

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
        nulls: Nulls = "drop",
        impute_value: float | None = None,
    ) -> pl.DataFrame:
        """Release :func:`privlab.dp.sum`."""
        query = _sum(
            column, bounds=bounds, by=by, keys=keys, nulls=nulls, impute_value=impute_value
        )
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
        nulls: Nulls = "drop",
        impute_value: float | None = None,
    ) -> pl.DataFrame:
        """Release :func:`privlab.dp.mean`."""
        query = _mean(
            column, bounds=bounds, by=by, keys=keys, nulls=nulls, impute_value=impute_value
        )
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

    def auto_bounds(self, column: str, *, epsilon: float) -> tuple[float, float]:
        """Estimate clipping bounds for ``column`` with one DP histogram (ledgered).

        One OpenDP release: a noisy histogram of ``column`` over a public grid
        (:data:`~privlab.dp._bounds.AUTO_EDGES`: 0, ±1, ±2, ±5 × 10^k for
        k = −2…9, plus the two unbounded tail bins — nothing data-dependent).
        The bounds span a core of bins whose noisy counts clear a threshold
        an empty bin exceeds with probability below 1e-6, grown one adjacent
        bin at a time while that bin's count is significant
        (:func:`~privlab.dp._bounds.bounds_from_counts`): noise cannot
        stretch them to absurd values, and only the sparsest tails are
        clipped. ``bounds=
        "auto"`` on a query does the same inside the query's own release.

        Why not OpenDP's ``dp.quantile`` over the same grid? Every candidate
        beyond the data's maximum has the *same* score, so the exponential
        mechanism picks among them uniformly: for data in [0, 100] and
        q = 0.99 it returned values up to 7e9 (measured).

        Returns
        -------
        tuple of float
            ``(lower, upper)`` with ``lower < upper``.
        """
        query = _histogram(column, edges=AUTO_EDGES)
        self._planner.spec([query])  # the column exists and is numeric
        loss = self._loss(query, epsilon, None)
        self.release(query, epsilon=epsilon)
        _, cal = self._calibrator.prepare([query], [loss])
        measurement, _, _ = self.last_release[-1]
        assert measurement is cal.measurement
        return self._bounds_from(query, cal, self._last_output)[:2]

    def clipping(self, column: str, bounds: tuple[float, float], *, epsilon: float) -> pl.DataFrame:
        """How many values of ``column`` the bounds would clip — a separate DP release.

        Answers' intervals cover the noise around the *clipped* statistic,
        not the clipping; this diagnostic (a DP histogram with the bins
        ``(-inf, lower]``, ``(lower, upper]``, ``(upper, inf)``, ledgered
        like any release) tells how much data lies at or beyond the bounds.

        Returns
        -------
        polars.DataFrame
            ``bin``, ``estimate``, ``lower``, ``upper`` (counts, as any
            histogram), ``share`` (the bin's share of the noisy total), ``note``.

        Examples
        --------
        >>> import polars as pl, privlab.dp as pdp
        >>> with pdp.DPSession(pl.DataFrame({"x": list(range(1000))}), dataset="clip") as s:
        ...     d = s.clipping("x", (100, 899), epsilon=1.0)
        >>> d["bin"].cast(pl.String).to_list()
        ['(-inf, 100]', '(100, 899]', '(899, inf)']
        >>> 0.75 < d["share"][1] < 0.85  # 80 % lie inside; the noise moves it by < 1 %
        True
        """
        lo, hi = (float(v) for v in bounds)
        ans = self.release(_histogram(column, edges=[lo, hi]), epsilon=epsilon)
        total = max(float(ans["estimate"].sum()), 1.0)
        return ans.select(
            "bin",
            "estimate",
            "lower",
            "upper",
            (pl.col("estimate") / total).alias("share"),
            pl.lit(
                f"values at or below {lo:g} and above {hi:g} are clipped into [{lo:g}, {hi:g}]"
            ).alias("note"),
        )

    # ------------------------------------------------------------------ accuracy
    #
    # Previews use public inputs only — the query, the schema, the public row
    # bound max_rows and, for means, a declared ``rows`` — never the data.

    def _loss(self, query: DPQuery, epsilon: float, delta: float | None) -> tuple[float, float]:
        return self._losses([query], epsilon, delta)[0]

    @staticmethod
    def _rows(rows: float | None, n: float | None) -> float | None:
        if rows is not None and n is not None and rows != n:
            raise DPQueryError(f"give rows= or its alias n=, not both ({rows!r}, {n!r})")
        return rows if rows is not None else n

    def preview(
        self,
        query: DPQuery,
        *,
        epsilon: float,
        delta: float | None = None,
        alpha: float | None = None,
        rows: float | None = None,
    ) -> pl.DataFrame:
        """Accuracy of ``query`` at ``epsilon`` *before* spending anything (public inputs only).

        One row per OpenDP aggregate: its noise ``distribution`` and ``scale``
        and the ``accuracy`` — the half-width of a (1 − alpha) interval, in
        the column's units — plus the ``threshold`` of stable-key group-bys.
        A mean has its sum and count rows and a ``mean`` row: the half-width
        of the mean's interval over ``rows`` values (default half the public
        row bound, stated in ``note``).

        Examples
        --------
        >>> import polars as pl, privlab.dp as pdp
        >>> with pdp.DPSession(pl.DataFrame({"age": [30, 40] * 500}), dataset="pv") as s:
        ...     p = s.preview(pdp.mean("age", bounds=(18, 90)), epsilon=1.0, rows=1000)
        >>> p["aggregate"].to_list(), round(p["accuracy"][2], 2)
        (['sum', 'count', 'mean'], 0.3)
        """
        alpha_v = self.alpha if alpha is None else check_alpha(alpha)
        loss = self._loss(query, epsilon, delta)
        return _accuracy.preview(self._calibrator, query, loss, alpha_v, rows=rows)

    def half_width(
        self,
        query: DPQuery,
        epsilon: float,
        *,
        alpha: float | None = None,
        rows: float | None = None,
        n: float | None = None,
        delta: float | None = None,
    ) -> float:
        """Half-width of the (1 − alpha) interval ``query`` would get at ``epsilon``.

        For a mean it depends on how many values it averages: ``rows`` (``n``
        is an alias), default half the public row bound; the width is the
        worst case over true means within the bounds. Nothing is spent.
        """
        alpha_v = self.alpha if alpha is None else check_alpha(alpha)
        loss = self._loss(query, epsilon, delta)
        return _accuracy.half_width(
            self._calibrator, query, loss, alpha_v, rows=self._rows(rows, n)
        )

    def epsilon_for(
        self,
        query: DPQuery,
        accuracy: float,
        alpha: float = 0.05,
        *,
        rows: float | None = None,
        n: float | None = None,
        max_epsilon: float = 100.0,
    ) -> float:
        """Smallest ε whose (1 − alpha) interval has half-width ≤ ``accuracy``.

        Computed from public inputs (see :meth:`half_width`; for a mean
        ``rows``, default half the public row bound); nothing is spent.

        Raises
        ------
        DPQueryError
            If even ``max_epsilon`` does not reach the accuracy, or the query
            has no accuracy (quantiles).

        Examples
        --------
        >>> import polars as pl, privlab.dp as pdp
        >>> with pdp.DPSession(pl.DataFrame({"age": [30, 40] * 500}), dataset="ef") as s:
        ...     eps = s.epsilon_for(pdp.mean("age", bounds=(18, 90)), 1.0, rows=1000)
        >>> 0.25 < eps < 0.35  # the old union-bound interval asked 1.39
        True
        """
        delta = self._loss(query, 1.0, None)[1]
        return _accuracy.epsilon_for(
            self._calibrator,
            query,
            accuracy,
            check_alpha(alpha),
            delta=delta,
            rows=self._rows(rows, n),
            max_epsilon=max_epsilon,
        )

    def error_curve(
        self,
        query: DPQuery,
        epsilons: Sequence[float] | None = None,
        *,
        alpha: float | None = None,
        rows: float | None = None,
        n: float | None = None,
    ) -> pl.DataFrame:
        """Half-width of the (1 − alpha) interval against ε — nothing is spent.

        Returns
        -------
        polars.DataFrame
            Columns ``statistic``, ``epsilon``, ``half_width``, ``confidence``;
            plot it with :func:`privlab.viz.epsilon_curve_chart`.
        """
        alpha_v = self.alpha if alpha is None else check_alpha(alpha)
        delta = self._loss(query, 1.0, None)[1]
        return _accuracy.error_curve(
            self._calibrator, query, epsilons, alpha_v, delta=delta, rows=self._rows(rows, n)
        )
