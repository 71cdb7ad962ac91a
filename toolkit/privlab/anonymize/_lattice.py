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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from privlab.exceptions import ColumnNotFoundError
from privlab.hierarchy import Hierarchy
from privlab.models import ClassPairs, PrivacyModel
from privlab.models import violations as class_violations

_EPS = 1e-12
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


def encode(
    frame: pl.DataFrame,
    hierarchies: Mapping[str, Hierarchy],
    models: Sequence[PrivacyModel],
) -> Encoded:
    """Reduce *frame* to level-encoded distinct combinations (one pass of group-bys)."""
    qis = list(hierarchies)
    sens_cols: list[str] = []
    for model in models:
        if model.sensitive is not None and model.sensitive not in sens_cols:
            sens_cols.append(model.sensitive)
    for col in qis + sens_cols:
        if col not in frame.columns:
            raise ColumnNotFoundError(col, frame.columns)
    overlap = set(qis) & set(sens_cols)
    if overlap:
        raise ValueError(
            f"column(s) {sorted(overlap)} are both quasi-identifiers and sensitive; "
            "a sensitive attribute must not be generalized"
        )
    n = frame.height
    hs = [hierarchies[q] for q in qis]
    ranked = []
    values: list[pl.Series] = []
    for q, h in zip(qis, hs, strict=True):
        text = frame.get_column(q).cast(pl.String)
        h.fit(frame.get_column(q).rename(q))
        ranked.append((text.rank("dense").cast(pl.Int64) - 1).alias(q))
        values.append(frame.get_column(q).unique().sort(nulls_last=True).rename(q))
    sens_ranked = []
    for s in sens_cols:
        column = frame.get_column(s)
        if column.null_count():
            raise ValueError(
                f"sensitive column {s!r} has {column.null_count()} missing value(s); "
                "fill or drop them before checking ℓ-diversity or t-closeness"
            )
        sens_ranked.append((column.rank("dense").cast(pl.Int64) - 1).alias(f"__s_{s}"))
    keyed = pl.DataFrame([*ranked, *sens_ranked]) if (ranked or sens_ranked) else pl.DataFrame()
    combos = keyed.group_by(keyed.columns).len()
    counts = combos["len"].to_numpy().astype(np.int64)

    codes: list[list[np.ndarray]] = []
    cards: list[list[int]] = []
    labels: list[list[np.ndarray]] = []
    shares: list[list[np.ndarray]] = []
    domain: list[int] = []
    bound_norm: list[np.ndarray] = []
    share_tot: list[np.ndarray] = []
    for q, h, vals in zip(qis, hs, values, strict=True):
        # rank("dense") on the text orders values as sorting the text does
        text_vals = vals.cast(pl.String).sort()
        table = h.table(text_vals)
        value_idx = combos[q].to_numpy()
        dom = h.domain_size(len(text_vals))
        q_codes, q_cards, q_labels, q_shares, q_bound, q_tot = [], [], [], [], [], []
        for level, level_labels in enumerate(table):
            uniq, inverse = np.unique(np.asarray(level_labels, dtype=object), return_inverse=True)
            share = h.shares(level, list(uniq), level_labels)
            combo_codes = inverse[value_idx].astype(np.int64)
            q_codes.append(combo_codes)
            q_cards.append(len(uniq))
            q_labels.append(uniq)
            q_shares.append(share)
            total = float(counts @ share[combo_codes])
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
        sens_frame = combos.select([f"__s_{s}" for s in sens_cols])
        mixed = np.zeros(len(counts), dtype=np.int64)
        for s in sens_cols:
            col_codes = sens_frame[f"__s_{s}"].to_numpy().astype(np.int64)
            mixed = mixed * (int(col_codes.max()) + 1 if len(col_codes) else 1) + col_codes
        _, joint = np.unique(mixed, return_inverse=True)
        joint = joint.astype(np.int64)
        enc.sens = joint
        enc.sens_card = int(joint.max()) + 1 if len(joint) else 1
        for s in sens_cols:
            col_codes = sens_frame[f"__s_{s}"].to_numpy()
            mapping = np.zeros(enc.sens_card, dtype=np.int64)
            mapping[joint] = col_codes
            card = int(col_codes.max()) + 1 if len(col_codes) else 1
            enc.sens_map[s] = mapping
            enc.sens_card_col[s] = card
            enc.sens_dist[s] = np.bincount(col_codes, weights=counts, minlength=card) / max(n, 1)
            enc.sens_numeric[s] = frame.schema[s].is_numeric() or frame.schema[s].is_temporal()
    return enc


def _normalize(total: float, n: int, domain: int) -> float:
    low = n / domain if domain else 0.0
    if n - low <= 0:
        return 0.0
    return max(0.0, (total - low) / (n - low))


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
            total += float(out_sizes @ (1.0 - enc.shares[i][lv][enc.codes[i][lv][out_reps]]))
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
