"""The numeric engine under the search: level-encoded data and node evaluation.

The data is reduced once to its distinct combinations of quasi-identifier values
(plus the sensitive values the models need) with their record counts, and every
QI value is encoded as an integer per hierarchy level. A lattice node (one level
per QI) is then evaluated on those combinations — never on raw rows — by
building one mixed-radix integer key per combination and counting with
``bincount`` (small key spaces) or a sort. A node can also be evaluated by
*rolling up* the already grouped classes of one of its specializations, which is
how the bound-ordered search keeps each evaluation to the size of the previous
node's class table.

ARX's Loss metric (``MetricMDNMLoss`` with its defaults: generalization and
suppression weighted equally, geometric mean over attributes) is computed here:
per QI, the sum over records of the *domain share* of the record's generalized
value (suppressed records count 1), normalized to [0, 1] between ``n / |domain|``
and ``n``; the attributes are combined as ``∏(xᵢ + 1)^(1/d) − 1``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from privlab.exceptions import ColumnNotFoundError, HierarchyError
from privlab.hierarchy import Hierarchy
from privlab.models import ClassPairs, PrivacyModel
from privlab.models import violations as class_violations

_EPS = 1e-12
# Weighted sums below are np.multiply(...).sum(), not `@`: a BLAS dot product woke
# OpenBLAS's threads for each 18k-element sum and cost up to 70 ms on a loaded machine.
_INT_LIMIT = 1 << 62


@dataclass
class Encoded:
    """The data reduced to distinct QI (+ sensitive) combinations, level-encoded."""

    qis: list[str]
    hierarchies: list[Hierarchy]
    heights: list[int]
    n: int
    counts: np.ndarray  # records per combination
    codes: list[list[np.ndarray]]  # codes[q][level][combo]
    cards: list[list[int]]  # distinct labels per q and level
    labels: list[list[np.ndarray]]  # labels[q][level][code]
    shares: list[list[np.ndarray]]  # ARX domain share per q, level, code
    domain: list[int]
    bound_norm: list[np.ndarray]  # normalized loss without suppression per q and level
    share_tot: list[np.ndarray]  # Σ counts · share per q and level
    sens: np.ndarray  # joint sensitive code per combination (zeros without models)
    sens_card: int
    sens_cols: list[str]
    sens_map: dict[str, np.ndarray] = field(default_factory=dict)  # joint → column code
    sens_card_col: dict[str, int] = field(default_factory=dict)
    sens_dist: dict[str, np.ndarray] = field(default_factory=dict)  # table distribution
    sens_numeric: dict[str, bool] = field(default_factory=dict)

    def bound(self, node: Sequence[int]) -> float:
        """Loss of *node* if nothing were suppressed: a lower bound of its real loss."""
        values = np.array([self.bound_norm[i][lv] for i, lv in enumerate(node)])
        return _aggregate(values)


@dataclass
class Table:
    """Grouped (class, sensitive value) pairs of one node, for evaluation and roll-up."""

    rep: np.ndarray  # a representative combination per pair
    sens: np.ndarray  # joint sensitive code per pair
    count: np.ndarray  # records per pair
    pair_class: np.ndarray  # class index per pair (pairs sorted by class, then sensitive)
    starts: np.ndarray  # first pair of each class
    class_size: np.ndarray
    class_rep: np.ndarray


@dataclass
class Evaluation:
    node: tuple[int, ...]
    satisfied: bool
    suppressed: int
    loss: float
    bound: float
    classes: int
    table: Table
    outlier: np.ndarray  # per class: violates a model (suppressed)


def _aggregate(values: np.ndarray) -> float:
    """ARX's geometric mean with +1 / −1 so zeros are handled."""
    d = len(values)
    return float(np.prod((values + 1.0) ** (1.0 / d)) - 1.0)


#: Name of the record-count column of a class histogram (distinct tuples with counts).
COUNT = "__privlab_n__"


def needed_columns(
    hierarchies: Mapping[str, Hierarchy], models: Sequence[PrivacyModel]
) -> list[str]:
    """The QIs, then the sensitive columns the models read, each once."""
    sens = [m.sensitive for m in models if m.sensitive is not None]
    return list(dict.fromkeys([*hierarchies, *sens]))


def count_tuples(data: pl.DataFrame | pl.LazyFrame, columns: Sequence[str]) -> pl.DataFrame:
    """One group-by on the raw columns: the distinct tuples of *columns* with their counts."""
    return data.lazy().group_by(list(columns)).agg(pl.len().alias(COUNT)).collect()


def encode(
    frame: pl.DataFrame,
    hierarchies: Mapping[str, Hierarchy],
    models: Sequence[PrivacyModel],
    *,
    counts: str | None = None,
) -> Encoded:
    """Reduce *frame* to level-encoded distinct combinations.

    The records are grouped once on the raw QI (and sensitive) columns; every
    later step — coverage checks, hierarchy labels, domain shares — runs on the
    distinct values only. With ``counts=`` *frame* is already a class histogram
    (one row per tuple, its record count in that column), e.g. from batched
    counting or Spark's ``groupBy().count()``; duplicate tuples are summed.
    """
    qis = list(hierarchies)
    sens_cols: list[str] = []
    for model in models:
        if model.sensitive is not None and model.sensitive not in sens_cols:
            sens_cols.append(model.sensitive)
    for col in qis + sens_cols + ([counts] if counts else []):
        if col not in frame.columns:
            raise ColumnNotFoundError(col, frame.columns)
    overlap = set(qis) & set(sens_cols)
    if overlap:
        raise ValueError(
            f"column(s) {sorted(overlap)} are both quasi-identifiers and sensitive; "
            "a sensitive attribute must not be generalized"
        )
    cols = qis + sens_cols
    if counts is None:
        combos = frame.group_by(cols).agg(pl.len().alias(COUNT))
    else:
        combos = frame.group_by(cols).agg(pl.col(counts).sum().cast(pl.Int64).alias(COUNT))
    return encode_histogram(combos, hierarchies, sens_cols)


def encode_histogram(
    combos: pl.DataFrame, hierarchies: Mapping[str, Hierarchy], sens_cols: Sequence[str]
) -> Encoded:
    """Level-encode a histogram of distinct tuples (``COUNT`` = records per tuple)."""
    qis = list(hierarchies)
    hs = [hierarchies[q] for q in qis]
    sens_cols = list(sens_cols)
    # QIs: a private categorical per column gives every tuple its value's index and the
    # distinct values (as text: what the hierarchies see) in one hashed pass over the
    # distinct tuples; their order does not matter. Sensitive columns: the index in the
    # sorted distinct values (the ordered distance follows the values' order).
    dtypes = {q: pl.Categorical(pl.Categories.random()) for q in qis}
    coded = combos.select(
        [pl.col(q).cast(pl.String).cast(dtypes[q]) for q in qis] + [pl.col(COUNT).cast(pl.Int64)]
    )
    for q in qis:
        if coded.get_column(q).null_count():
            missing = coded.filter(pl.col(q).is_null()).get_column(COUNT).sum()
            raise HierarchyError(
                f"column {q!r} has {missing} missing value(s); a generalization hierarchy "
                "needs a value on every row — fill them (e.g. with 'unknown' and add it to the "
                "hierarchy) or drop those rows first"
            )
    ranked = coded.select([pl.col(q).to_physical().cast(pl.Int64) for q in qis])
    distinct = coded.select([pl.col(q).cat.get_categories().implode() for q in qis]).row(
        0, named=True
    )
    if sens_cols:
        sens_nulls = combos.select(
            [pl.col(COUNT).filter(pl.col(c).is_null()).sum().alias(c) for c in sens_cols]
        ).row(0, named=True)
        for c in sens_cols:
            if sens_nulls[c]:
                raise ValueError(
                    f"sensitive column {c!r} has {sens_nulls[c]} missing value(s); "
                    "fill or drop them before checking ℓ-diversity or t-closeness"
                )
        sens_values = combos.select([pl.col(c).unique().sort().implode() for c in sens_cols]).row(
            0, named=True
        )
        sens_ranked = combos.select(
            [_index_in(pl.col(c), sens_values[c], combos.schema[c]) for c in sens_cols]
        )
    counts = coded.get_column(COUNT).to_numpy()
    n = int(counts.sum())

    codes: list[list[np.ndarray]] = []
    cards: list[list[int]] = []
    labels: list[list[np.ndarray]] = []
    shares: list[list[np.ndarray]] = []
    domain: list[int] = []
    bound_norm: list[np.ndarray] = []
    share_tot: list[np.ndarray] = []
    for q, h in zip(qis, hs, strict=True):
        text_vals = distinct[q]
        table = h.table(pl.Series(q, text_vals, dtype=pl.String))  # coverage: distinct values
        value_idx = ranked.get_column(q).to_numpy()
        value_counts = np.bincount(value_idx, weights=counts, minlength=len(text_vals))
        dom = h.domain_size(len(text_vals))
        q_codes, q_cards, q_labels, q_shares, q_bound, q_tot = [], [], [], [], [], []
        for level, level_labels in enumerate(table):
            uniq = sorted(set(level_labels))
            position = {label: i for i, label in enumerate(uniq)}
            inverse = np.fromiter(
                (position[label] for label in level_labels), np.int64, len(level_labels)
            )
            share = h.shares(level, uniq, level_labels)
            q_codes.append(inverse[value_idx])
            q_cards.append(len(uniq))
            q_labels.append(np.array(uniq, dtype=object))
            q_shares.append(share)
            total = float(np.multiply(value_counts, share[inverse]).sum())
            q_tot.append(total)
            q_bound.append(_normalize(total, n, dom))
        codes.append(q_codes)
        cards.append(q_cards)
        labels.append(q_labels)
        shares.append(q_shares)
        domain.append(dom)
        bound_norm.append(np.array(q_bound))
        share_tot.append(np.array(q_tot))

    enc = Encoded(
        qis=qis,
        hierarchies=hs,
        heights=[h.height for h in hs],
        n=n,
        counts=counts,
        codes=codes,
        cards=cards,
        labels=labels,
        shares=shares,
        domain=domain,
        bound_norm=bound_norm,
        share_tot=share_tot,
        sens=np.zeros(len(counts), dtype=np.int64),
        sens_card=1,
        sens_cols=sens_cols,
    )
    if sens_cols:
        mixed = np.zeros(len(counts), dtype=np.int64)
        for s in sens_cols:
            col_codes = sens_ranked.get_column(s).to_numpy()
            mixed = mixed * (int(col_codes.max()) + 1 if len(col_codes) else 1) + col_codes
        _, joint = np.unique(mixed, return_inverse=True)
        joint = joint.astype(np.int64)
        enc.sens = joint
        enc.sens_card = int(joint.max()) + 1 if len(joint) else 1
        for s in sens_cols:
            col_codes = sens_ranked.get_column(s).to_numpy()
            mapping = np.zeros(enc.sens_card, dtype=np.int64)
            mapping[joint] = col_codes
            card = int(col_codes.max()) + 1 if len(col_codes) else 1
            enc.sens_map[s] = mapping
            enc.sens_card_col[s] = card
            enc.sens_dist[s] = np.bincount(col_codes, weights=counts, minlength=card) / max(n, 1)
            enc.sens_numeric[s] = combos.schema[s].is_numeric() or combos.schema[s].is_temporal()
    return enc


def _index_in(expr: pl.Expr, values: list[Any], dtype: pl.DataType) -> pl.Expr:
    """Each value's position in the sorted distinct *values* (one hash lookup per row)."""
    if dtype == pl.String:
        return expr.cast(pl.Enum(values)).to_physical().cast(pl.Int64)
    positions = pl.Series(range(len(values)), dtype=pl.Int64)
    return expr.replace_strict(pl.Series(values, dtype=dtype), positions, return_dtype=pl.Int64)


def _normalize(total: float, n: int, domain: int) -> float:
    low = n / domain if domain else 0.0
    if n - low <= 0:
        return 0.0
    return max(0.0, (total - low) / (n - low))


def evaluate_k(enc: Encoded, node: tuple[int, ...], k: int) -> Evaluation | None:
    """k-anonymity alone, no suppression allowed: class sizes from one ``bincount``.

    No class table is built (a satisfying node suppresses nothing, so none is
    needed); returns ``None`` when the node's key space is too large for a
    ``bincount``, and the caller evaluates it in full.
    """
    radices = [enc.cards[i][lv] for i, lv in enumerate(node)]
    size = int(np.prod([float(r) for r in radices]))
    if size > max(4 * len(enc.counts), 1 << 16):
        return None
    key = np.zeros(len(enc.counts), dtype=np.int64)
    weight = 1
    for i in range(len(node) - 1, -1, -1):
        if radices[i] > 1:
            key += enc.codes[i][node[i]] * weight
        weight *= radices[i]
    totals = np.bincount(key, weights=enc.counts, minlength=size)
    small = (totals > 0) & (totals < k)
    bound = enc.bound(node)
    classes = int(np.count_nonzero(totals))
    empty = np.zeros(0, dtype=np.int64)
    table = Table(empty, empty, empty, empty, empty, empty, empty)
    if not small.any():
        return Evaluation(node, True, 0, bound, bound, classes, table, np.zeros(0, dtype=bool))
    suppressed = int(totals[small].sum())
    inside = small[key]  # tuples in violating classes: they would be suppressed
    out_counts = enc.counts[inside].astype(np.float64)
    per_q = np.empty(len(node))
    for i, lv in enumerate(node):
        share = enc.shares[i][lv][enc.codes[i][lv][inside]]
        total = enc.share_tot[i][lv] + float(np.multiply(out_counts, 1.0 - share).sum())
        per_q[i] = _normalize(total, enc.n, enc.domain[i])
    return Evaluation(
        node, suppressed <= _EPS, suppressed, _aggregate(per_q), bound, classes, table,
        np.zeros(0, dtype=bool),
    )  # fmt: skip


def group(
    enc: Encoded,
    node: Sequence[int],
    rep: np.ndarray | None = None,
    sens: np.ndarray | None = None,
    count: np.ndarray | None = None,
) -> Table:
    """Group (rep, sens, count) rows — the base combinations when *rep* is None — by *node*."""
    base = rep is None
    if rep is None or sens is None or count is None:
        rep = np.arange(len(enc.counts), dtype=np.int64)
        sens, count = enc.sens, enc.counts
    radices = [enc.cards[i][lv] for i, lv in enumerate(node)]
    size = int(np.prod([float(r) for r in radices])) * enc.sens_card
    if size < _INT_LIMIT:
        weight = enc.sens_card
        key = sens.astype(np.int64, copy=True)
        for i in range(len(node) - 1, -1, -1):
            codes = enc.codes[i][node[i]]
            if radices[i] > 1:
                key += (codes if base else codes[rep]) * weight
            weight *= radices[i]
    else:  # too many combinations for one integer: rank the partial keys
        key = np.zeros(len(rep), dtype=np.int64)
        for i, lv in enumerate(node):
            codes = enc.codes[i][lv]
            key = key * enc.cards[i][lv] + (codes if base else codes[rep])
            _, key = np.unique(key, return_inverse=True)
            key = key.astype(np.int64)
        key = key * enc.sens_card + sens
        size = int(key.max()) + 1 if len(key) else 1
    if size <= max(4 * len(rep), 1 << 16):
        totals = np.bincount(key, weights=count, minlength=size)
        present = np.flatnonzero(totals)
        first = np.empty(size, dtype=np.int64)
        first[key[::-1]] = rep[::-1]
        new_rep = first[present]
        new_count = totals[present].astype(np.int64)
        uniq = present
    else:
        uniq, idx, inverse = np.unique(key, return_index=True, return_inverse=True)
        new_rep = rep[idx]
        new_count = np.bincount(inverse, weights=count, minlength=len(uniq)).astype(np.int64)
    if enc.sens_card == 1:
        new_sens = np.zeros(len(uniq), dtype=np.int64)
        starts = np.arange(len(uniq), dtype=np.int64)
        return Table(
            rep=new_rep,
            sens=new_sens,
            count=new_count,
            pair_class=starts,
            starts=starts,
            class_size=new_count,
            class_rep=new_rep,
        )
    new_sens = uniq % enc.sens_card
    class_key = uniq // enc.sens_card
    change = np.empty(len(class_key), dtype=bool)
    if len(class_key):
        change[0] = True
        np.not_equal(class_key[1:], class_key[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    pair_class = np.cumsum(change) - 1
    class_size = np.add.reduceat(new_count, starts) if len(starts) else new_count[:0]
    return Table(
        rep=new_rep,
        sens=new_sens,
        count=new_count,
        pair_class=pair_class,
        starts=starts,
        class_size=class_size,
        class_rep=new_rep[starts],
    )


def violations(enc: Encoded, table: Table, models: Sequence[PrivacyModel]) -> np.ndarray:
    """Per class: True when the class violates at least one model."""
    columns = {m.sensitive for m in models if m.sensitive is not None}
    pairs = {c: _pairs_for(enc, table, c) for c in columns}
    return class_violations(
        table.class_size,
        list(models),
        pairs,
        {c: enc.sens_dist[c] for c in columns},
        {c: enc.sens_numeric[c] for c in columns},
    )


def _pairs_for(enc: Encoded, table: Table, column: str) -> ClassPairs:
    """(class, value of *column*) pairs, sorted by class then value."""
    if len(enc.sens_cols) == 1:
        return ClassPairs(table.pair_class, table.sens, table.count, table.starts, table.class_size)
    card = enc.sens_card_col[column]
    col = enc.sens_map[column][table.sens]
    key = table.pair_class * card + col
    uniq, inverse = np.unique(key, return_inverse=True)
    count = np.bincount(inverse, weights=table.count, minlength=len(uniq)).astype(np.int64)
    cls = uniq // card
    change = np.empty(len(cls), dtype=bool)
    change[0] = True
    np.not_equal(cls[1:], cls[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    return ClassPairs(cls, uniq % card, count, starts, table.class_size)


def evaluate(
    enc: Encoded,
    node: tuple[int, ...],
    models: Sequence[PrivacyModel],
    max_suppressed: float,
    source: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> Evaluation:
    """Group, check every model per class, count suppressed records and compute the loss."""
    table = group(enc, node) if source is None else group(enc, node, *source)
    outlier = violations(enc, table, models)
    suppressed = int(table.class_size[outlier].sum())
    satisfied = suppressed <= max_suppressed + _EPS
    per_q = np.empty(len(node))
    out_reps = table.class_rep[outlier]
    out_sizes = table.class_size[outlier].astype(np.float64)
    for i, lv in enumerate(node):
        total = enc.share_tot[i][lv]
        if len(out_reps):
            total += float(
                np.multiply(out_sizes, 1.0 - enc.shares[i][lv][enc.codes[i][lv][out_reps]]).sum()
            )
        per_q[i] = _normalize(total, enc.n, enc.domain[i])
    return Evaluation(
        node=node,
        satisfied=satisfied,
        suppressed=suppressed,
        loss=_aggregate(per_q),
        bound=enc.bound(node),
        classes=len(table.starts),
        table=table,
        outlier=outlier,
    )


class EncodingCache:
    """Encodings of recently searched data, reused while data and hierarchies are unchanged.

    A search spends most of its time encoding the data (one group-by, then the
    hierarchies over the distinct values); a live readout, a trade-off sweep or
    a run per recipe searches the same data again and again. Hand one cache to
    those searches (``search(..., cache=c)``, ``pv.anonymize(..., cache=c)``):
    the key is a 128-bit hash of the rows of the QI and sensitive columns (two
    seeded row hashes, the row count and the dtypes) plus each hierarchy's
    content hash, so a changed value or hierarchy misses. It holds only the
    last *size* encodings, in memory, and is never shared unless passed. It is
    safe to use from several threads (a widget's background preview and its
    ``refresh()``): every access holds its lock.

    Examples
    --------
    >>> import polars as pl
    >>> from privlab.anonymize import EncodingCache, KAnonymity, search, suppress_hierarchy
    >>> data = pl.DataFrame({"sex": ["F", "F", "M", "M"]})
    >>> cache = EncodingCache()
    >>> first = search(data, {"sex": suppress_hierarchy()}, [KAnonymity(2)], cache=cache)
    >>> again = search(data, {"sex": suppress_hierarchy()}, [KAnonymity(2)], cache=cache)
    >>> cache.hits, cache.misses
    (1, 1)
    """

    def __init__(self, size: int = 8) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"`size` must be an integer >= 1, got {size!r}")
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: dict[tuple[Any, ...], Encoded] = {}
        self._lock = threading.Lock()

    def key(
        self,
        frame: pl.DataFrame,
        hierarchies: Mapping[str, Hierarchy],
        sens_cols: Sequence[str],
        counts: str | None,
    ) -> tuple[Any, ...]:
        """The cache key of *frame* (only the needed columns) and *hierarchies*."""
        cols = [*hierarchies, *sens_cols, *([counts] if counts else [])]
        data = frame.select(cols)
        rows = data.hash_rows(seed=0x5EED, seed_1=0x0B5E, seed_2=0xC0FF, seed_3=0xEE11)
        rows_b = data.hash_rows(seed=0x1D0E, seed_1=0xB1A5, seed_2=0x7AB1, seed_3=0xE5E7)
        # order-independent sums of two 64-bit row hashes (wrapping)
        digest = (int(rows.sum()), int(rows_b.sum()))
        return (
            data.height,
            tuple((c, str(data.schema[c])) for c in cols),
            digest,
            tuple(h.content_hash() for h in hierarchies.values()),
            tuple(sens_cols),
            counts,
        )

    def get(self, key: tuple[Any, ...]) -> Encoded | None:
        """The encoding stored under *key*, counting a hit or a miss."""
        with self._lock:
            found = self._entries.pop(key, None)
            if found is None:
                self.misses += 1
                return None
            self.hits += 1
            self._entries[key] = found  # most recently used last
            return found

    def put(self, key: tuple[Any, ...], encoded: Encoded) -> None:
        """Store *encoded*, dropping the least recently used entry beyond ``size``."""
        with self._lock:
            self._entries[key] = encoded
            while len(self._entries) > self.size:
                self._entries.pop(next(iter(self._entries)))

    def clear(self) -> None:
        """Forget every encoding."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def encode_cached(
    frame: pl.DataFrame,
    hierarchies: Mapping[str, Hierarchy],
    models: Sequence[PrivacyModel],
    *,
    counts: str | None = None,
    cache: EncodingCache | None = None,
) -> Encoded:
    """:func:`encode`, through *cache* when one is given."""
    if cache is None:
        return encode(frame, hierarchies, models, counts=counts)
    sens_cols = needed_columns(hierarchies, models)[len(hierarchies) :]
    for col in [*hierarchies, *sens_cols, *([counts] if counts else [])]:
        if col not in frame.columns:
            raise ColumnNotFoundError(col, frame.columns)
    key = cache.key(frame, hierarchies, sens_cols, counts)
    found = cache.get(key)
    if found is None:
        found = encode(frame, hierarchies, models, counts=counts)
        cache.put(key, found)
    return found
