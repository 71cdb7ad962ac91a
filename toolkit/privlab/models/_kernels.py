"""The one implementation of ℓ-diversity and t-closeness over equivalence classes.

The search (:mod:`privlab.anonymize`), the risk report (:mod:`privlab.risk`) and
the release check all reduce their data to a :class:`ClassPairs` table —
``(class, sensitive value, records)`` sorted by class, then value — and call the
functions here, so the three can never disagree.

Examples
--------
>>> import numpy as np
>>> p = ClassPairs.build(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([2, 1, 3]))
>>> distinct_values(p).tolist(), p.size.tolist()
([2, 1], [3, 3])
>>> equal_distance(p, np.array([5 / 6, 1 / 6])).round(3).tolist()
[0.167, 0.167]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from privlab.models._models import KAnonymity, LDiversity, PrivacyModel, TCloseness

__all__ = [
    "ClassPairs",
    "class_pairs",
    "distinct_values",
    "entropy",
    "equal_distance",
    "l_diverse",
    "ordered_distance",
    "recursive_c",
    "recursive_parts",
    "t_distance",
    "violations",
]

#: Tolerance of the t and entropy comparisons (floating-point sums).
EPS = 1e-12


@dataclass
class ClassPairs:
    """(class, value code, count) rows sorted by class then value, with class offsets."""

    cls: np.ndarray  # class index per pair, 0 .. classes-1, non-decreasing
    code: np.ndarray  # sensitive value code per pair (dense, ordered like the values)
    count: np.ndarray  # records per pair
    starts: np.ndarray  # first pair of each class
    size: np.ndarray  # records per class

    @classmethod
    def build(cls, classes: np.ndarray, codes: np.ndarray, counts: np.ndarray) -> ClassPairs:
        """From unsorted pairs (one row per distinct (class, value); classes dense 0..m-1)."""
        order = np.lexsort((codes, classes))
        c, v, n = classes[order], codes[order], counts[order].astype(np.int64)
        change = np.empty(len(c), dtype=bool)
        if len(c):
            change[0] = True
            np.not_equal(c[1:], c[:-1], out=change[1:])
        starts = np.flatnonzero(change)
        size = np.add.reduceat(n, starts) if len(starts) else n[:0]
        return cls(c, v, n, starts, size)


def class_pairs(
    frame: pl.DataFrame | pl.LazyFrame,
    quasi_identifiers: list[str],
    column: str,
    *,
    counts: str | None = None,
) -> tuple[ClassPairs, pl.DataType]:
    """Group a table into :class:`ClassPairs` of *column* (and return its dtype).

    A 64-bit hash of the QI values names each class (a collision among a million
    classes has odds below 1e-7); the sensitive values are ranked densely, so
    codes follow the values' order (what the ordered distance needs). With
    *counts*, each row stands for that many records (a class histogram).

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"zip": ["941", "941", "100"], "dx": ["flu", "cold", "flu"]})
    >>> pairs, dtype = class_pairs(frame, ["zip"], "dx")
    >>> sorted(distinct_values(pairs).tolist()), dtype
    ([1, 2], String)
    """
    lazy = frame.lazy()
    weight = pl.len() if counts is None else pl.col(counts).sum()
    grouped = (
        lazy.select(
            pl.struct(quasi_identifiers).hash(0x9E3779B9).alias("__c"),
            pl.col(column),
            *([pl.col(counts)] if counts is not None else []),
        )
        .group_by("__c", column)
        .agg(weight.alias("__n"))
        .with_columns(
            (pl.col("__c").rank("dense").cast(pl.Int64) - 1).alias("__c"),
            (pl.col(column).rank("dense").cast(pl.Int64) - 1).alias("__v"),
        )
        .collect()
    )
    pairs = ClassPairs.build(
        grouped["__c"].to_numpy(), grouped["__v"].to_numpy(), grouped["__n"].to_numpy()
    )
    return pairs, lazy.collect_schema()[column]


def distinct_values(p: ClassPairs) -> np.ndarray:
    """Distinct sensitive values per class.

    Examples
    --------
    >>> import numpy as np
    >>> p = ClassPairs.build(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([2, 1, 3]))
    >>> distinct_values(p).tolist()
    [2, 1]
    """
    return np.diff(np.append(p.starts, len(p.cls)))


def entropy(p: ClassPairs) -> np.ndarray:
    """Shannon entropy (nats) of each class's sensitive values.

    Examples
    --------
    >>> import numpy as np
    >>> p = ClassPairs.build(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([2, 1, 3]))
    >>> entropy(p).round(4).tolist()  # -(2/3 ln 2/3 + 1/3 ln 1/3), and one value: 0
    [0.6365, 0.0]
    """
    c = p.count.astype(np.float64)
    plogp = np.add.reduceat(c * np.log(c), p.starts)
    size = p.size.astype(np.float64)
    return np.log(size) - plogp / size


def recursive_parts(p: ClassPairs, l: int) -> tuple[np.ndarray, np.ndarray]:
    """Per class ``(r1, r_l + … + r_m)`` with the value counts sorted descending.

    Examples
    --------
    >>> import numpy as np
    >>> p = ClassPairs.build(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([2, 1, 3]))
    >>> [part.tolist() for part in recursive_parts(p, 2)]
    [[2, 3], [1.0, 0.0]]
    """
    order = np.lexsort((-p.count, p.cls))
    sorted_counts = p.count[order]
    rank = np.arange(len(order)) - np.repeat(p.starts, distinct_values(p))
    r1 = sorted_counts[p.starts]
    tail = np.bincount(
        p.cls[order],
        weights=np.where(rank >= int(l) - 1, sorted_counts, 0),
        minlength=len(p.starts),
    )
    return r1, tail


def recursive_c(p: ClassPairs, l: int) -> float:
    """The smallest *c* for which :func:`l_diverse` accepts every class as recursive (c, ℓ).

    The check is strict (``r1 < c · (r_ℓ + … + r_m)``, as ARX's), so the infimum
    ``max r1 / tail`` itself fails; this returns the next floating-point number above it
    for which the check — in the same floating-point arithmetic — passes. ``inf`` when a
    class has fewer than ℓ distinct values (no *c* passes).

    Examples
    --------
    >>> import numpy as np
    >>> p = ClassPairs.build(np.array([0, 0, 0]), np.array([0, 1, 2]), np.array([3, 2, 1]))
    >>> c = recursive_c(p, 2)
    >>> c > 1.0, bool(l_diverse(p, LDiversity("s", 2, variant="recursive", c=c)).all())
    (True, True)
    >>> bool(l_diverse(p, LDiversity("s", 2, variant="recursive", c=1.0)).all())
    False
    """
    if len(p.starts) == 0:
        return 0.0
    if int(distinct_values(p).min()) < l:
        return float("inf")
    r1, tail = recursive_parts(p, l)
    c = float((r1 / tail).max())
    while not bool((r1 < c * tail).all()):
        c = float(np.nextafter(c, np.inf))
    return c


def l_diverse(p: ClassPairs, model: LDiversity) -> np.ndarray:
    """Per class: whether it satisfies *model*.

    distinct: at least ℓ values; entropy: entropy ≥ log ℓ; recursive (c, ℓ):
    at least ℓ values and ``r1 < c · (r_ℓ + … + r_m)``.

    Examples
    --------
    >>> import numpy as np
    >>> p = ClassPairs.build(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([2, 1, 3]))
    >>> l_diverse(p, LDiversity("dx", 2)).tolist()
    [True, False]
    """
    distinct = distinct_values(p)
    if model.variant == "distinct":
        return distinct >= model.l
    if model.variant == "entropy":
        return entropy(p) >= np.log(model.l) - 1e-9
    assert model.c is not None
    r1, tail = recursive_parts(p, int(model.l))
    return (distinct >= model.l) & (r1 < model.c * tail)


def equal_distance(p: ClassPairs, dist: np.ndarray) -> np.ndarray:
    """Half the L1 distance between each class's distribution and the table's *dist*.

    Examples
    --------
    >>> import numpy as np
    >>> p = ClassPairs.build(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([2, 1, 3]))
    >>> equal_distance(p, np.array([5 / 6, 1 / 6])).round(4).tolist()
    [0.1667, 0.1667]
    """
    share = p.count / p.size[p.cls]
    q = dist[p.code]
    per_pair = np.abs(share - q) - q
    return 0.5 * (1.0 + np.add.reduceat(per_pair, p.starts))


def ordered_distance(p: ClassPairs, dist: np.ndarray) -> np.ndarray:
    """Earth mover's distance over the ordered values, divided by m − 1 (ARX).

    Examples
    --------
    >>> import numpy as np
    >>> p = ClassPairs.build(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([2, 1, 3]))
    >>> ordered_distance(p, np.array([5 / 6, 1 / 6])).round(4).tolist()
    [0.1667, 0.1667]
    """
    m = len(dist)
    classes = len(p.starts)
    if m <= 1:
        return np.zeros(classes)
    cum_q = np.cumsum(dist)[: m - 1]  # Q_i for i = 0 .. m-2 (Q_{m-1} = 1)
    prefix = np.concatenate(([0.0], np.cumsum(cum_q)))
    share = p.count / p.size[p.cls]
    cum_p = np.cumsum(share)
    cum_p -= np.repeat(cum_p[p.starts] - share[p.starts], np.diff(np.append(p.starts, len(share))))
    # segments: [0, s_first) with P = 0; [s_j, s_{j+1}) with P = cum_p_j; [s_last, m-1) with P = 1
    ends = np.append(p.code[1:], m - 1)
    last = np.append(p.starts[1:] - 1, len(p.code) - 1)
    ends[last] = m - 1
    seg_a = np.concatenate((np.zeros(classes, dtype=np.int64), p.code))
    seg_b = np.concatenate((p.code[p.starts], ends))
    seg_p = np.concatenate((np.zeros(classes), cum_p))
    seg_cls = np.concatenate((np.arange(classes), p.cls))
    seg_b = np.minimum(seg_b, m - 1)
    seg_a = np.minimum(seg_a, seg_b)
    # Σ_{i=a}^{b-1} |P - Q_i| with Q non-decreasing: split where Q_i reaches P
    split = np.clip(np.searchsorted(cum_q, seg_p, side="left"), seg_a, seg_b)
    below = seg_p * (split - seg_a) - (prefix[split] - prefix[seg_a])
    above = (prefix[seg_b] - prefix[split]) - seg_p * (seg_b - split)
    total = np.bincount(seg_cls, weights=below + above, minlength=classes)
    return total / (m - 1)


def t_distance(p: ClassPairs, dist: np.ndarray, *, ordered: bool) -> np.ndarray:
    """Per class distance to *dist*: ordered (EMD) or equal (half L1).

    Examples
    --------
    >>> import numpy as np
    >>> p = ClassPairs.build(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([2, 1, 3]))
    >>> t_distance(p, np.array([0.5, 0.5]), ordered=False).round(4).tolist()
    [0.1667, 0.5]
    """
    return ordered_distance(p, dist) if ordered else equal_distance(p, dist)


def violations(
    class_size: np.ndarray,
    models: list[PrivacyModel] | tuple[PrivacyModel, ...],
    pairs_of: dict[str, ClassPairs],
    dist_of: dict[str, np.ndarray],
    ordered_of: dict[str, bool],
) -> np.ndarray:
    """Per class: True when the class violates at least one of *models*.

    *pairs_of*, *dist_of* and *ordered_of* give, per sensitive column, the class
    pairs, the whole table's distribution and whether its values are ordered.

    Examples
    --------
    >>> import numpy as np
    >>> p = ClassPairs.build(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([2, 1, 3]))
    >>> models = [KAnonymity(3), LDiversity("dx", 2)]
    >>> violations(p.size, models, {"dx": p}, {"dx": np.array([5 / 6, 1 / 6])}, {"dx": False})
    array([False,  True])
    """
    bad = np.zeros(len(class_size), dtype=bool)
    for model in models:
        if isinstance(model, KAnonymity):
            bad |= class_size < model.k
        elif isinstance(model, LDiversity):
            bad |= ~l_diverse(pairs_of[model.column], model)
        elif isinstance(model, TCloseness):
            ordered = ordered_of[model.column] if model.ordered is None else model.ordered
            d = t_distance(pairs_of[model.column], dist_of[model.column], ordered=ordered)
            bad |= d > model.t + EPS
    return bad
