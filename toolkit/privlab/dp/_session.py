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

from privlab._validate import check_int
from privlab.dp import _accuracy
from privlab.dp._accuracy import check_alpha
from privlab.dp._answers import answers
from privlab.dp._bounds import AUTO_EDGES, bounds_from_histogram
from privlab.dp._calibrate import Calibrated, Calibrator
from privlab.dp._ledger import Budget, Ledger
from privlab.dp._plan import Planner, query_losses, split_epsilon
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
            identifier=identifier,
            contributions=contributions,
            max_rows_per_id=max_rows_per_id,
            max_groups_per_id=max_groups_per_id,
        )
        self._calibrator = Calibrator(self._planner)
        self._context: Any = None
        self._context_left: tuple[float, float] = (0.0, 0.0)
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
        alpha_v = self.alpha if alpha is None else check_alpha(alpha)
        eps_list = split_epsilon(len(queries), epsilon)
        if any(q.bounds == "auto" for q in queries):
            # Validate everything before anything is spent (auto bounds spend).
            self._planner.spec(
                [q.with_bounds((0.0, 1.0)) if q.bounds == "auto" else q for q in queries]
            )
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
        spec, cal = self._calibrator.prepare(resolved, losses)
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
        acc = self._calibrator.summary(cal, alpha_v)
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

    def _loss(self, query: DPQuery, epsilon: float, delta: float | None) -> tuple[float, float]:
        return self._losses([query], epsilon, delta)[0]

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
        alpha_v = self.alpha if alpha is None else check_alpha(alpha)
        loss = self._loss(query, epsilon, delta)
        return _accuracy.preview(self._calibrator, query, loss, alpha_v)

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
        alpha_v = self.alpha if alpha is None else check_alpha(alpha)
        loss = self._loss(query, epsilon, delta)
        return _accuracy.half_width(self._calibrator, query, loss, alpha_v, n=n)

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
        delta = self._loss(query, 1.0, None)[1]
        return _accuracy.epsilon_for(
            self._calibrator,
            query,
            accuracy,
            check_alpha(alpha),
            delta=delta,
            n=n,
            max_epsilon=max_epsilon,
        )

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
        alpha_v = self.alpha if alpha is None else check_alpha(alpha)
        delta = self._loss(query, 1.0, None)[1]
        return _accuracy.error_curve(self._calibrator, query, epsilons, alpha_v, delta=delta, n=n)
