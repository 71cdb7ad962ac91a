"""The optimal full-domain generalization search (ARX-compatible Loss).

Given quasi-identifiers with hierarchies, privacy models and a suppression limit,
:func:`search` finds the lattice node — one generalization level per QI — that
satisfies every model after suppressing at most ``max_suppression`` of the
records, with minimal information loss (ARX's Loss metric).

Two strategies, both exact:

**Top-down** (every model monotone and no suppression allowed — then a node's
loss equals its lower bound): satisfaction is upward-closed, so nodes are
visited from the most general down, and a node is checked only when all its
direct generalizations satisfy; a failing node prunes every specialization
(ARX's predictive tagging). Only the satisfying region and its border are ever
evaluated.

**Bound-ordered** (suppression allowed, or a non-monotone model): the loss of a
node is at least its loss without suppression — a bound computed for every node
at once from per-level sums, without touching the data — and that bound only
grows with generalization. Nodes are evaluated in increasing bound order, each
by rolling up the classes of an already evaluated specialization, and the search
stops at the first node whose bound exceeds the best loss found. No node that
could beat the optimum is skipped.

Ties on loss are broken by the lower total generalization (sum of levels), then
by the lexicographically smaller level vector — the node that generalizes least.
ARX's documented rule (older ``Metric.evaluate``) also prefers the lower lattice
level on equal loss.

Examples
--------
>>> import polars as pl
>>> from privlab.anonymize import KAnonymity, interval_hierarchy, search, suppress_hierarchy
>>> data = pl.DataFrame({"age": [31, 32, 33, 34, 51, 52], "sex": ["F", "F", "M", "M", "F", "F"]})
>>> result = search(
...     data,
...     {"age": interval_hierarchy(widths=[5, 10]), "sex": suppress_hierarchy()},
...     [KAnonymity(2)],
... )
>>> result.node
(1, 0)
>>> result.apply(data).collect()["age"].to_list()
['30-34', '30-34', '30-34', '30-34', '50-54', '50-54']
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from privlab._progress import Progress, ProgressCallback
from privlab._progress import progress as progress_bar
from privlab.anonymize._lattice import (
    Encoded,
    EncodingCache,
    Evaluation,
    encode_cached,
    evaluate,
    evaluate_k,
    needed_columns,
)
from privlab.exceptions import ColumnNotFoundError, HierarchyError, InputError
from privlab.hierarchy import Hierarchy
from privlab.models import KAnonymity, PrivacyModel

__all__ = ["EncodingCache", "SearchResult", "search"]

_MAX_NODES = 5_000_000
_CACHE_LIMIT = 20_000_000  # pair rows kept for roll-ups (~0.5 GB at most)
_TIE = 1e-12


@dataclass
class SearchResult:
    """The outcome of :func:`search`.

    Attributes
    ----------
    quasi_identifiers:
        QI column names, in the order of the levels in ``node``.
    node:
        Chosen generalization level per QI, or ``None`` when no node satisfies.
    loss:
        ARX Loss of the chosen node (0 = original data, 1 = everything suppressed).
    suppressed:
        Records suppressed at the chosen node.
    nodes:
        Every evaluated node: one column per QI (its level), ``bound``, ``loss``,
        ``satisfied``, ``suppressed``, ``classes``.
    stats:
        ``nodes_total``, ``nodes_evaluated``, ``nodes_pruned``, ``distinct_rows``,
        ``records``, ``strategy``, ``encode_seconds``, ``search_seconds``.

    Examples
    --------
    >>> import polars as pl
    >>> from privlab.anonymize import KAnonymity, interval_hierarchy, suppress_hierarchy
    >>> data = pl.DataFrame(
    ...     {"age": [31, 32, 33, 34, 35, 36, 37, 38, 77], "sex": list("FFFFMMMMF")}
    ... )
    >>> result = search(
    ...     data, {"age": interval_hierarchy(widths=[5, 10]), "sex": suppress_hierarchy()},
    ...     [KAnonymity(2)], max_suppression=0.2, progress=False,
    ... )
    >>> result.node, result.levels, result.suppressed
    ((1, 0), {'age': 1, 'sex': 0}, 1)
    >>> result.stats["nodes_total"], result.nodes.height  # 8 nodes, 5 evaluated
    (8, 5)
    >>> result.apply(data).collect().row(-1)  # the outlier, masked
    ('*', '*')
    >>> result.apply(data, suppression="drop").collect().height
    8
    """

    quasi_identifiers: list[str]
    hierarchies: dict[str, Hierarchy]
    models: list[PrivacyModel]
    max_suppression: float
    node: tuple[int, ...] | None
    loss: float | None
    suppressed: int
    nodes: pl.DataFrame
    stats: dict[str, Any]
    outlier_keys: list[str] = field(default_factory=list, repr=False)

    @property
    def levels(self) -> dict[str, int]:
        """The chosen node as ``{qi: level}`` (empty when no node satisfies)."""
        if self.node is None:
            return {}
        return dict(zip(self.quasi_identifiers, self.node, strict=True))

    def apply(
        self,
        data: pl.DataFrame | pl.LazyFrame,
        *,
        suppression: Literal["mask", "drop"] = "mask",
    ) -> pl.LazyFrame:
        """Generalize the QIs at the chosen node and suppress the violating classes.

        A lazy, per-row plan: each QI becomes its generalized label; records of
        the classes that violated a model (learned by the search) get ``*`` in
        every QI (``"mask"``, as ARX does) or are removed (``"drop"``).

        Parameters
        ----------
        data:
            The table the search ran on (or another batch with the same columns:
            the suppressed classes are matched by their generalized QI values).
        suppression:
            ``"mask"`` (default) or ``"drop"``.

        Returns
        -------
        polars.LazyFrame

        Raises
        ------
        InputError
            No node satisfied the models (``node is None``), or *suppression* is
            neither ``"mask"`` nor ``"drop"``.
        """
        if self.node is None:
            raise InputError("the search found no node satisfying the privacy models")
        if suppression not in ("mask", "drop"):
            raise InputError(f"suppression must be 'mask' or 'drop', got {suppression!r}")
        lazy = data.lazy() if isinstance(data, pl.DataFrame) else data
        exprs = [
            self.hierarchies[q].generalize_expr(q, lv)
            for q, lv in zip(self.quasi_identifiers, self.node, strict=True)
        ]
        out = lazy.with_columns(exprs)
        if not self.outlier_keys:
            return out
        key = class_key(self.quasi_identifiers)
        hit = key.is_in(pl.lit(pl.Series(self.outlier_keys, dtype=pl.String)).implode())
        if suppression == "drop":
            return out.filter(~hit)
        return out.with_columns(
            [
                pl.when(hit).then(pl.lit("*")).otherwise(pl.col(q).cast(pl.String)).alias(q)
                for q in self.quasi_identifiers
            ]
        )

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (no data values)."""
        return {
            "quasi_identifiers": self.quasi_identifiers,
            "models": [m.to_dict() for m in self.models],
            "max_suppression": self.max_suppression,
            "levels": self.levels,
            "loss": self.loss,
            "suppressed": self.suppressed,
            "stats": self.stats,
        }


def class_key(columns: Sequence[str]) -> pl.Expr:
    """One string per record joining its (generalized) QI values; identifies its class."""
    return pl.concat_str([pl.col(c).cast(pl.String) for c in columns], separator="\x1f")


def _as_hierarchies(
    hierarchies: Mapping[str, Hierarchy | Mapping[str, Any]], base_dir: Path | None
) -> dict[str, Hierarchy]:
    out: dict[str, Hierarchy] = {}
    for name, spec in hierarchies.items():
        out[name] = (
            spec if isinstance(spec, Hierarchy) else Hierarchy.from_spec(spec, base_dir=base_dir)
        )
    if not out:
        raise HierarchyError("give at least one quasi-identifier with a hierarchy")
    return out


def search(
    data: pl.DataFrame | pl.LazyFrame,
    hierarchies: Mapping[str, Hierarchy | Mapping[str, Any]],
    models: Sequence[PrivacyModel],
    *,
    max_suppression: float = 0.0,
    metric: str = "loss",
    progress: bool | None = None,
    callback: ProgressCallback | None = None,
    base_dir: Path | None = None,
    counts: str | None = None,
    cache: EncodingCache | None = None,
) -> SearchResult:
    """Find the least-lossy full-domain generalization meeting every privacy model.

    Parameters
    ----------
    data:
        The table (rows = records).
    hierarchies:
        QI column → :class:`Hierarchy` (or its spec dict).
    models:
        :class:`KAnonymity`, :class:`LDiversity` and/or :class:`TCloseness`.
    max_suppression:
        Largest share of records that may be suppressed, in [0, 1].
    metric:
        Only ``"loss"`` (ARX's Loss metric) for now.
    progress:
        Show a progress bar; default from config.
    callback:
        Called as ``callback(stage, done, total)`` with the stages ``encode``,
        ``bottom`` (the unmodified data checked first), then ``top-down``/``greedy
        descent`` or ``bound-ordered`` per evaluated node, then ``pruned`` for the
        nodes decided without evaluation (``done`` when every node was evaluated).
    base_dir:
        Folder that relative hierarchy file paths are read from.
    counts:
        When *data* is already a class histogram — one row per distinct tuple of
        the QI (and sensitive) columns with its record count in this column, as
        batched counting or Spark's ``groupBy().count()`` give — its name. The
        search then never sees a record: a class's size at any node is the sum
        of its tuples' counts.
    cache:
        An :class:`EncodingCache` to reuse the encoding of the same data and
        hierarchies across searches.

    Returns
    -------
    SearchResult
        The chosen node (``None`` when no node satisfies every model within
        *max_suppression*: no error is raised then), its loss and suppressed
        records, every evaluated node and the search's statistics.
        ``result.apply(data)`` releases *data* at that node.

    Raises
    ------
    InputError
        (a ``ValueError``) *metric* is not ``"loss"``, *max_suppression* is outside [0, 1], no
        model is given, a column is both a quasi-identifier and sensitive, a
        sensitive column has missing values, or the lattice has more than
        5,000,000 nodes.
    HierarchyError
        No hierarchy is given, a quasi-identifier has missing values, or a
        hierarchy does not cover a value of its column.
    ColumnNotFoundError
        A quasi-identifier, a model's sensitive column or *counts* is not a
        column of *data*.

    Notes
    -----
    The cost follows the distinct tuples, not the records: the records are
    grouped once, and the bottom node (no generalization) is evaluated first —
    when it satisfies every model without suppressing anything it is the
    optimum and the search stops there (``stats["strategy"] == "bottom"``).

    Examples
    --------
    One record (age 77) is alone whatever the age band short of ``*``; without
    suppression every age must be hidden, while suppressing it (at most 20 % of
    the records) keeps 5-year bands:

    >>> import polars as pl
    >>> from privlab.anonymize import KAnonymity, interval_hierarchy, suppress_hierarchy
    >>> data = pl.DataFrame(
    ...     {"age": [31, 32, 33, 34, 35, 36, 37, 38, 77], "sex": list("FFFFMMMMF")}
    ... )
    >>> hierarchies = {"age": interval_hierarchy(widths=[5, 10]), "sex": suppress_hierarchy()}
    >>> search(data, hierarchies, [KAnonymity(2)], progress=False).levels
    {'age': 3, 'sex': 0}
    >>> result = search(data, hierarchies, [KAnonymity(2)], max_suppression=0.2, progress=False)
    >>> result.levels, result.suppressed, round(result.loss, 3)
    ({'age': 1, 'sex': 0}, 1, 0.267)
    >>> result.apply(data).collect()["age"].to_list()
    ['30-34', '30-34', '30-34', '30-34', '35-39', '35-39', '35-39', '35-39', '*']
    """
    if metric != "loss":
        raise InputError(f"metric must be 'loss' (ARX's Loss), got {metric!r}")
    if isinstance(max_suppression, bool) or not 0 <= float(max_suppression) <= 1:
        raise InputError(f"`max_suppression` must be in [0, 1], got {max_suppression!r}")
    models = list(models)
    if not models:
        raise InputError("give at least one privacy model, e.g. KAnonymity(5)")
    hs = _as_hierarchies(hierarchies, base_dir)
    qis = list(hs)
    needed = needed_columns(hs, models) + ([counts] if counts else [])
    lazy = data.lazy() if isinstance(data, pl.DataFrame) else data
    columns = lazy.collect_schema().names()
    for col in needed:
        if col not in columns:
            raise ColumnNotFoundError(col, columns)
    with progress_bar(0, "search", show=progress, callback=callback, unit="node") as bar:
        bar.set_stage("encode")
        t0 = time.perf_counter()
        frame = data if isinstance(data, pl.DataFrame) else lazy.select(needed).collect()
        enc = encode_cached(frame, hs, models, counts=counts, cache=cache)
        t1 = time.perf_counter()
        total_nodes = int(np.prod(enc.heights))
        if total_nodes > _MAX_NODES:
            raise InputError(
                f"the lattice has {total_nodes:,} nodes (heights {enc.heights}); use fewer "
                "quasi-identifiers or shorter hierarchies (limit: 5,000,000)"
            )
        bar.set_total(total_nodes)
        limit = float(max_suppression) * enc.n
        monotone = all(m.monotone(max_suppression=float(max_suppression)) for m in models)
        bottom = evaluate(enc, (0,) * len(qis), models, limit)  # always first: see Notes
        bar.advance(stage="bottom")
        if bottom.satisfied and bottom.suppressed == 0:
            # nothing generalized, nothing suppressed: the least loss any node can have
            # (every bound is >= the bottom's), and the lowest total level for the tie-break
            evaluated, strategy = [bottom], "bottom"
        elif monotone:
            evaluated, strategy = _top_down(enc, models, limit, bar, bottom)
        else:
            evaluated, strategy = _bound_ordered(enc, models, limit, bar, bottom)
        remaining = bar.total - bar.done
        bar.advance(remaining, stage="pruned" if remaining else "done")
        t2 = time.perf_counter()

    best = _best(evaluated)
    outlier_keys: list[str] = []
    if best is not None and best.outlier.any():
        outlier_keys = _outlier_keys(enc, best)
    nodes = pl.DataFrame(
        {
            **{q: [e.node[i] for e in evaluated] for i, q in enumerate(qis)},
            "bound": [e.bound for e in evaluated],
            "loss": [e.loss for e in evaluated],
            "satisfied": [e.satisfied for e in evaluated],
            "suppressed": [e.suppressed for e in evaluated],
            "classes": [e.classes for e in evaluated],
        },
        schema={
            **dict.fromkeys(qis, pl.Int32),
            "bound": pl.Float64,
            "loss": pl.Float64,
            "satisfied": pl.Boolean,
            "suppressed": pl.Int64,
            "classes": pl.Int64,
        },
    )
    stats: dict[str, Any] = {
        "nodes_total": total_nodes,
        "nodes_evaluated": len(evaluated),
        "nodes_pruned": total_nodes - len(evaluated),
        "distinct_rows": len(enc.counts),
        "records": enc.n,
        "strategy": strategy,
        "encode_seconds": t1 - t0,
        "search_seconds": t2 - t1,
    }
    return SearchResult(
        quasi_identifiers=qis,
        hierarchies=hs,
        models=models,
        max_suppression=float(max_suppression),
        node=None if best is None else best.node,
        loss=None if best is None else best.loss,
        suppressed=0 if best is None else best.suppressed,
        nodes=nodes,
        stats=stats,
        outlier_keys=outlier_keys,
    )


def _better(a: Evaluation, b: Evaluation | None) -> bool:
    """True when *a* beats *b*: lower loss, then lower total level, then the smaller node."""
    if b is None:
        return True
    if a.loss < b.loss - _TIE:
        return True
    if a.loss > b.loss + _TIE:
        return False
    return (sum(a.node), a.node) < (sum(b.node), b.node)


def _best(evaluated: Sequence[Evaluation]) -> Evaluation | None:
    best: Evaluation | None = None
    for e in evaluated:
        if e.satisfied and _better(e, best):
            best = e
    return best


def _outlier_keys(enc: Encoded, ev: Evaluation) -> list[str]:
    reps = ev.table.class_rep[ev.outlier]
    parts = [enc.labels[i][lv][enc.codes[i][lv][reps]].astype(str) for i, lv in enumerate(ev.node)]
    keys = parts[0]
    for part in parts[1:]:
        keys = np.char.add(np.char.add(keys, "\x1f"), part)
    return sorted(str(k) for k in keys)


def _top_down(
    enc: Encoded,
    models: Sequence[PrivacyModel],
    limit: float,
    bar: Progress | None = None,
    bottom: Evaluation | None = None,
) -> tuple[list[Evaluation], str]:
    """Monotone models: visit general → specific, inferring failures, bounded by the best loss.

    A greedy descent from the top node finds a good satisfying node first; its
    loss bounds the search. Then the lattice is visited one level sum at a time
    from the most general down: a node is skipped when its loss bound already
    exceeds the best loss, marked failing without evaluation when a direct
    generalization failed (monotonicity), evaluated otherwise. The per-node
    bookkeeping is vectorized over each level sum.
    """
    heights = enc.heights
    d = len(heights)
    strides = np.array([int(np.prod(heights[i + 1 :])) for i in range(d)], dtype=np.int64)
    grids = np.indices(heights).reshape(d, -1)
    total = grids.shape[1]
    bound = np.ones(total)
    for i in range(d):
        bound *= (enc.bound_norm[i][grids[i]] + 1.0) ** (1.0 / d)
    bound -= 1.0
    status = np.zeros(total, dtype=np.int8)  # 0 unknown, 1 satisfied, -1 failed
    done: dict[int, Evaluation] = {}
    if bottom is not None:
        done[0] = bottom  # evaluated (and counted by the progress bar) by the caller
        status[0] = 1 if bottom.satisfied else -1
    bar = bar or progress_bar(total, "search", show=False)
    stage = "top-down" if limit == 0 else "greedy descent"
    level_sum = grids.sum(axis=0)
    # per level sum, its nodes in lexicographic order (index order is lexicographic)
    layers = [np.flatnonzero(level_sum == s) for s in range(int(level_sum.max()), -1, -1)]
    has_parent = [grids[i] + 1 < heights[i] for i in range(d)]

    # k-anonymity alone without suppression: sizes only, no class table
    k_only = (
        limit == 0 and len(models) == 1 and isinstance(models[0], KAnonymity) and enc.sens_card == 1
    )

    def check(index: int) -> Evaluation:
        ev = done.get(index)
        if ev is None:
            node = tuple(int(x) for x in grids[:, index])
            fast = evaluate_k(enc, node, models[0].k) if k_only else None  # type: ignore[union-attr]
            ev = fast if fast is not None else evaluate(enc, node, models, limit)
            done[index] = ev
            status[index] = 1 if ev.satisfied else -1
            bar.advance(stage=stage)
        return ev

    def parents_all(layer: np.ndarray, value: int) -> np.ndarray:
        """Per node of *layer*: every direct generalization has *value* status."""
        ok = np.ones(len(layer), dtype=bool)
        for i in range(d):
            up = has_parent[i][layer]
            ok &= ~up | (status[np.where(up, layer + strides[i], layer)] == value)
        return ok

    def parents_any(layer: np.ndarray, value: int) -> np.ndarray:
        hit = np.zeros(len(layer), dtype=bool)
        for i in range(d):
            up = has_parent[i][layer]
            hit |= up & (status[np.where(up, layer + strides[i], layer)] == value)
        return hit

    current = total - 1
    best = check(current)
    if not best.satisfied:  # even full suppression of every QI fails (e.g. ℓ > distinct values)
        return list(done.values()), "top-down"
    if limit == 0:
        # Without suppression a satisfying node's loss equals its bound, and the
        # satisfying region is small: evaluate exactly the nodes whose direct
        # generalizations all satisfy (ARX's predictive tagging), nothing else.
        for layer in layers:
            for index in layer[parents_all(layer, 1)]:
                ev = check(int(index))
                if ev.satisfied and _better(ev, best):
                    best = ev
        return list(done.values()), "top-down"
    # greedy descent: from the top, step to the cheapest satisfying specialization
    while True:
        node = grids[:, current]
        children = [current - int(strides[i]) for i in range(d) if node[i] > 0]
        children.sort(key=lambda c: (bound[c], c))
        step = None
        for child in children:
            ev = check(child)
            if ev.satisfied:
                if _better(ev, best):
                    best = ev
                step = child
                break
        if step is None:
            break
        current = step

    stage = "top-down"
    for layer in layers:
        layer = layer[status[layer] == 0]
        if not len(layer):
            continue
        failed = parents_any(layer, -1)
        status[layer[failed]] = -1
        for index in layer[~failed]:
            if bound[index] > best.loss + _TIE:
                continue
            ev = check(int(index))
            if ev.satisfied and _better(ev, best):
                best = ev
    return list(done.values()), "top-down"


def _bound_ordered(
    enc: Encoded,
    models: Sequence[PrivacyModel],
    limit: float,
    bar: Progress | None = None,
    bottom: Evaluation | None = None,
) -> tuple[list[Evaluation], str]:
    heights = enc.heights
    d = len(heights)
    grids = np.indices(heights).reshape(d, -1)  # all nodes, lexicographic order
    bound = np.ones(grids.shape[1])
    for i in range(d):
        bound *= (enc.bound_norm[i][grids[i]] + 1.0) ** (1.0 / d)
    bound -= 1.0
    level_sum = grids.sum(axis=0)
    order = np.lexsort((*grids[::-1], level_sum, bound))
    strides = [int(np.prod(heights[i + 1 :])) for i in range(d)]
    cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    cached_rows = 0
    best: Evaluation | None = None
    evaluated: list[Evaluation] = []
    bar = bar or progress_bar(len(order), "search", show=False)
    for index in order:
        if best is not None and bound[index] > best.loss + _TIE:
            break
        node = tuple(int(x) for x in grids[:, index])
        source = None
        for i in range(d):  # roll up the smallest cached direct specialization
            if node[i] > 0:
                cand = cache.get(int(index) - strides[i])
                if cand is not None and (source is None or len(cand[0]) < len(source[0])):
                    source = cand
        if index == 0 and bottom is not None:
            ev = bottom  # evaluated (and counted by the progress bar) by the caller
        else:
            ev = evaluate(enc, node, models, limit, source)
            bar.advance(stage="bound-ordered")
        evaluated.append(ev)
        if ev.satisfied and _better(ev, best):
            best = ev
        if cached_rows + len(ev.table.rep) > _CACHE_LIMIT:
            cache.clear()
            cached_rows = 0
        cache[int(index)] = (ev.table.rep, ev.table.sens, ev.table.count)
        cached_rows += len(ev.table.rep)
    return evaluated, "bound-ordered"
