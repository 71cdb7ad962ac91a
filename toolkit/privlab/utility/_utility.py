r"""How much a release lost: ARX's Loss, discernibility, class sizes, entropy, distances.

Two discernibility metrics, under their names (Bayardo & Agrawal 2005; ARX):

* ``discernibility`` — **DM with suppression** (ARX's non-monotonic
  ``MetricSDNMDiscernability``, pyCANON's ``discernability_metric``): Σ |class|²
  over released classes plus ``n`` for every suppressed or dropped record;
* ``discernibility_star`` — **DM\*** (ARX's monotonic ``MetricSDDiscernability``):
  Σ |class|² over the classes of the generalization *before* suppression, each
  suppressed record counted in the class it would have had (needs the hierarchies).

Non-uniform entropy (Gionis & Tassa) is Σ over records and QIs of ``−log₂ P(o | r)``,
``P`` from the original's value counts. A suppressed value ``r = *`` has two
conventions, both reported:

* ``non_uniform_entropy`` (privlab's): ``*`` stands for the set of original values
  among the suppressed records, ``P(o | *) = count(o) / Σ count(those values)``;
* ``non_uniform_entropy_arx`` (ARX's ``MetricMDNUNMEntropy``): the suppressed
  record pays its generalized value's term ``−log₂ P(o | g)`` plus
  ``−log₂ P(g | suppressed records)`` — the share of suppressed records with that
  generalized value (needs the hierarchies and a row-aligned release).

``tests/oracles/test_arx.py`` checks DM, DM\* and ARX's entropy against ARX itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from privlab.exceptions import ColumnNotFoundError, HierarchyError, InputError
from privlab.hierarchy import Hierarchy
from privlab.io import read

__all__ = ["UtilityReport", "utility"]

SUPPRESSED = "*"


@dataclass
class UtilityReport:
    """Information loss of a release against its original.

    Attributes
    ----------
    loss:
        ARX's Loss metric in [0, 1] (needs hierarchies; ``None`` otherwise), with
        ``loss_per_column`` for each QI.
    discernibility:
        DM with suppression: Σ |class|² over released classes, plus ``n`` for every
        suppressed or dropped record (ARX's non-monotonic DM; pyCANON's DM).
    discernibility_star:
        DM* (ARX): Σ |class|² over the generalization's classes before suppression
        (``None`` without hierarchies).
    avg_class_size:
        Records per equivalence class of the release (suppressed records excluded).
    non_uniform_entropy:
        Σ over records and QIs of −log₂ P(original value | released value), with P
        from the original's distribution and ``*`` standing for the original values
        of the suppressed records; ``non_uniform_entropy_per_record`` divides by n.
    non_uniform_entropy_arx:
        The same with ARX's suppression term (module docstring); ``None`` without
        hierarchies or for a release that dropped records.
    suppression_rate:
        Share of original records suppressed (all QIs ``*``) or dropped.
    columns:
        Per column: ``kind`` (categorical / numeric), ``total_variation`` and, for
        numeric columns kept numeric, ``ks`` and ``wasserstein``.
    """

    records: int
    released_records: int
    loss: float | None
    loss_per_column: dict[str, float] | None
    discernibility: int
    avg_class_size: float
    non_uniform_entropy: float
    non_uniform_entropy_per_record: float
    suppression_rate: float
    columns: pl.DataFrame = field(repr=False)
    discernibility_star: int | None = None
    non_uniform_entropy_arx: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures (no data values)."""
        return {
            "records": self.records,
            "released_records": self.released_records,
            "loss": self.loss,
            "loss_per_column": self.loss_per_column,
            "discernibility": self.discernibility,
            "discernibility_star": self.discernibility_star,
            "avg_class_size": self.avg_class_size,
            "non_uniform_entropy": self.non_uniform_entropy,
            "non_uniform_entropy_per_record": self.non_uniform_entropy_per_record,
            "non_uniform_entropy_arx": self.non_uniform_entropy_arx,
            "suppression_rate": self.suppression_rate,
            "columns": self.columns.to_dicts(),
        }


def utility(
    original: Any,
    released: Any,
    quasi_identifiers: Sequence[str],
    *,
    hierarchies: Mapping[str, Any] | None = None,
) -> UtilityReport:
    """Compare *released* with *original* (row-aligned unless rows were dropped).

    Parameters
    ----------
    original, released:
        The tables (polars, pandas or paths). Suppressed records carry ``*`` in
        every QI; dropped records are simply missing from *released*.
    quasi_identifiers:
        The generalized columns.
    hierarchies:
        QI → :class:`~privlab.hierarchy.Hierarchy` (or spec), for ARX's Loss,
        ``DM*`` and ARX's entropy.

    Returns
    -------
    UtilityReport
        Figures only (no data values).

    Raises
    ------
    ColumnNotFoundError
        If a quasi-identifier is missing from either table.
    InputError
        If the original has no records, or the release has more than the original.
    HierarchyError
        If a column's released labels do not all belong to one level of its
        hierarchy (ARX's Loss needs a full-domain generalization).

    Examples
    --------
    >>> import polars as pl
    >>> from privlab.hierarchy import interval_hierarchy
    >>> original = pl.DataFrame({"age": [31, 33, 52, 54]})
    >>> released = pl.DataFrame({"age": ["30-34", "30-34", "50-54", "*"]})
    >>> report = utility(original, released, ["age"],
    ...                  hierarchies={"age": interval_hierarchy(widths=[5])})
    >>> report.discernibility, report.discernibility_star, report.suppression_rate
    (9, 8, 0.25)
    """
    orig = read(original).collect()
    rel = read(released).collect()
    qis = list(quasi_identifiers)
    for name, frame in (("original", orig), ("released", rel)):
        for q in qis:
            if q not in frame.columns:
                raise ColumnNotFoundError(q, frame.columns, source=f"the {name} table")
    n = orig.height
    if n == 0:
        raise InputError("the original table has no records")
    rel_text = rel.select([pl.col(q).cast(pl.String) for q in qis])
    suppressed_mask = pl.all_horizontal([pl.col(q) == SUPPRESSED for q in qis])
    suppressed_in_release = int(rel_text.select(suppressed_mask.sum()).item())
    dropped = n - rel.height
    if dropped < 0:
        raise InputError(f"the release has more records ({rel.height}) than the original ({n})")
    suppressed = suppressed_in_release + dropped
    kept = rel_text.filter(~suppressed_mask)
    class_sizes = kept.group_by(qis).agg(pl.len().alias("size"))["size"].to_numpy()
    discernibility = int((class_sizes.astype(np.int64) ** 2).sum() + suppressed * n)
    avg_class_size = float(kept.height / len(class_sizes)) if len(class_sizes) else 0.0

    loss = None
    loss_per_column = None
    dm_star = None
    nue_arx = None
    if hierarchies:
        hs = {
            q: h if isinstance(h, Hierarchy) else Hierarchy.from_spec(h)
            for q, h in hierarchies.items()
            if q in qis
        }
        loss_per_column = {}
        levels = {}
        for q, h in hs.items():
            loss_per_column[q], levels[q] = _column_loss(orig[q], rel_text[q], h, n)
        values = np.array(list(loss_per_column.values()))
        loss = float(np.prod((values + 1.0) ** (1.0 / len(values))) - 1.0) if len(values) else 0.0
        if set(levels) == set(qis):
            generalized = orig.select(
                [hs[q].generalize_expr(q, levels[q]).cast(pl.String) for q in qis]
            )
            before = generalized.group_by(qis).agg(pl.len().alias("size"))["size"].to_numpy()
            dm_star = int((before.astype(np.int64) ** 2).sum())
            if rel.height == n:
                mask = rel_text.select(suppressed_mask.alias("s"))["s"].to_numpy()
                nue_arx = _arx_entropy(orig, generalized, qis, mask)

    nue = 0.0
    if rel.height == n:  # row-aligned: entropy of the original value given the released one
        for q in qis:
            pair = pl.DataFrame({"o": orig[q].cast(pl.String), "r": rel_text[q]})
            per_o = pair.group_by("o").agg(pl.len().alias("co"))
            per_r = (
                pair.unique().join(per_o, on="o").group_by("r").agg(pl.col("co").sum().alias("cr"))
            )
            probs = pair.join(per_o, on="o").join(per_r, on="r")
            p_cond = (probs["co"] / probs["cr"]).to_numpy()
            nue += float(-np.log2(p_cond).sum())
    columns = _column_distances(orig, rel)
    return UtilityReport(
        discernibility_star=dm_star,
        non_uniform_entropy_arx=nue_arx,
        records=n,
        released_records=rel.height,
        loss=loss,
        loss_per_column=loss_per_column,
        discernibility=discernibility,
        avg_class_size=avg_class_size,
        non_uniform_entropy=nue,
        non_uniform_entropy_per_record=nue / n,
        suppression_rate=suppressed / n,
        columns=columns,
    )


def _arx_entropy(
    orig: pl.DataFrame, generalized: pl.DataFrame, qis: list[str], suppressed: np.ndarray
) -> float:
    """ARX's non-monotonic non-uniform entropy (``MetricMDNUNMEntropy``) of a release.

    Every record pays ``−log₂ P(o | g)`` for its generalized value ``g``; a suppressed
    record also pays ``−log₂ P(g | suppressed records)``.
    """
    total = 0.0
    n_supp = int(suppressed.sum())
    for q in qis:
        pair = pl.DataFrame({"o": orig[q].cast(pl.String), "g": generalized[q]})
        with_counts = pair.with_columns(
            pl.len().over("o").alias("co"), pl.len().over("g").alias("cg")
        )
        total += float(-np.log2((with_counts["co"] / with_counts["cg"]).to_numpy()).sum())
        if n_supp:
            g_supp = pair["g"].filter(pl.Series(suppressed))
            counts = g_supp.value_counts()["count"].to_numpy().astype(np.float64)
            total += float(-(counts * np.log2(counts / n_supp)).sum())
    return total


def _column_loss(
    original: pl.Series, released: pl.Series, hierarchy: Any, n: int
) -> tuple[float, int]:
    """ARX Loss of one column, and the hierarchy level the released labels belong to.

    Each released label counts its share of the domain; a suppressed or dropped
    record counts 1.
    """
    fitted = original.drop_nulls().unique().cast(pl.String).sort()
    table = hierarchy.table(fitted)
    labels = released.filter(released != SUPPRESSED)
    present = set(labels.unique().to_list())
    level = (
        next((lv for lv in range(hierarchy.height) if present <= set(table[lv])), None)
        if present
        else hierarchy.height - 1  # every released value is `*`: the top level
    )
    if level is None:
        raise HierarchyError(
            f"released values of {original.name!r} are not labels of one hierarchy level; "
            "ARX's Loss needs a full-domain generalization"
        )
    uniq = sorted(set(table[level]))
    share = dict(zip(uniq, hierarchy.shares(level, uniq, table[level]), strict=True))
    counts = labels.value_counts()
    total = sum(share[v] * c for v, c in counts.iter_rows())
    total += n - labels.len()  # suppressed or dropped records
    dom = hierarchy.domain_size(len(fitted))
    low = n / dom
    return (max(0.0, (total - low) / (n - low)) if n > low else 0.0), level


def _column_distances(orig: pl.DataFrame, rel: pl.DataFrame) -> pl.DataFrame:
    from scipy import stats

    rows = []
    for col in orig.columns:
        if col not in rel.columns:
            continue
        a, b = orig[col], rel[col]
        numeric = a.dtype.is_numeric() and b.dtype.is_numeric()
        pa = a.cast(pl.String).value_counts(normalize=True, name="p")
        pb = b.cast(pl.String).value_counts(normalize=True, name="q")
        joined = pa.join(pb, on=col, how="full", coalesce=True).fill_null(0.0)
        tv = float(0.5 * (joined["p"] - joined["q"]).abs().sum())
        row: dict[str, Any] = {
            "column": col,
            "kind": "numeric" if numeric else "categorical",
            "total_variation": tv,
            "ks": None,
            "wasserstein": None,
        }
        if numeric:
            x, y = a.drop_nulls().to_numpy(), b.drop_nulls().to_numpy()
            if len(x) and len(y):
                row["ks"] = float(stats.ks_2samp(x, y).statistic)
                row["wasserstein"] = float(stats.wasserstein_distance(x, y))
        rows.append(row)
    return pl.DataFrame(
        rows,
        schema={
            "column": pl.String,
            "kind": pl.String,
            "total_variation": pl.Float64,
            "ks": pl.Float64,
            "wasserstein": pl.Float64,
        },
    )
