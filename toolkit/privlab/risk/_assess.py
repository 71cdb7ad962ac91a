"""Re-identification risk and privacy-model levels of a (released) table.

Everything is computed on equivalence classes — records sharing all
quasi-identifier values — with polars group-bys over the whole table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from privlab._validate import check_unique
from privlab.exceptions import ColumnNotFoundError, InputError
from privlab.io import read
from privlab.models import ClassPairs, distinct_values, entropy, recursive_c, t_distance

__all__ = ["RiskReport", "assess_risk"]


@dataclass
class RiskReport:
    """Risk of a table under a prosecutor / journalist / marketer attacker.

    Attributes
    ----------
    records, classes:
        Number of records and of equivalence classes.
    k:
        Smallest class size.
    l:
        ``{"distinct": int, "entropy": float, "recursive_c": float}`` for the
        sensitive column: the smallest number of distinct values in a class, the
        effective ℓ of entropy ℓ-diversity (``exp`` of the smallest class entropy),
        and the smallest *c* making the table recursive (c, ℓ)-diverse at ℓ =
        the distinct ℓ — the smallest *c* that ``LDiversity(column, ℓ,
        variant="recursive", c=c)`` accepts (``None`` when ℓ < 2: no *c* is defined).
    t:
        Largest distance of a class's sensitive distribution from the table's
        (ordered distance for numeric columns, equal distance otherwise).
    prosecutor:
        ``{"max", "avg", "share_above"}``: record re-identification risk 1/|class|,
        its maximum, mean, and the share of records above ``threshold``.
    journalist, marketer:
        Same with population class sizes (needs *population*); marketer risk is
        the expected share of records re-identified in a linkage of all records.
    unique_share:
        Share of records alone in their class (sample uniques).
    class_sizes:
        Class size → number of classes and records.
    """

    records: int
    classes: int
    quasi_identifiers: list[str]
    sensitive: str | None
    k: int
    l: dict[str, Any] | None
    t: float | None
    prosecutor: dict[str, float]
    journalist: dict[str, float] | None
    marketer: float
    unique_share: float
    threshold: float
    class_sizes: pl.DataFrame = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures (no data values)."""
        return {
            "records": self.records,
            "classes": self.classes,
            "quasi_identifiers": self.quasi_identifiers,
            "sensitive": self.sensitive,
            "k": self.k,
            "l": self.l,
            "t": self.t,
            "prosecutor_risk": self.prosecutor,
            "journalist_risk": self.journalist,
            "marketer_risk": self.marketer,
            "unique_share": self.unique_share,
            "threshold": self.threshold,
            "class_sizes": self.class_sizes.to_dicts(),
        }


def assess_risk(
    data: pl.DataFrame | pl.LazyFrame | Any,
    quasi_identifiers: Sequence[str],
    sensitive: str | None = None,
    population: pl.DataFrame | pl.LazyFrame | Any | None = None,
    *,
    threshold: float = 0.2,
    ordered: bool | None = None,
    counts: str | None = None,
) -> RiskReport:
    """Measure k, ℓ, t and re-identification risk of *data* on its quasi-identifiers.

    Parameters
    ----------
    data:
        The table (polars or pandas, or a path).
    quasi_identifiers:
        Columns an attacker may know.
    sensitive:
        Column for ℓ-diversity and t-closeness.
    population:
        A table of the population the sample was drawn from (same QI columns),
        for journalist and marketer risk.
    threshold:
        Prosecutor-risk level for ``share_above``.
    ordered:
        Force the ordered (``True``) or equal (``False``) distance for t.
    counts:
        When *data* is a class histogram (one row per distinct tuple), the
        column holding each tuple's number of records; every measure is then
        computed as if each row were repeated that many times. This is how a
        table larger than memory is measured: its histogram is counted batch by
        batch (:mod:`privlab.engine`), and memory follows the distinct tuples.

    Returns
    -------
    RiskReport
        Figures only (no data values); ``l`` and ``t`` are ``None`` without
        *sensitive*, ``journalist`` without *population*.

    Raises
    ------
    InputError
        If no quasi-identifier is given or one is given twice, the table has no
        records, *sensitive* has missing values, or a class of the sample does
        not occur in *population*.
    ColumnNotFoundError
        If a quasi-identifier or *sensitive* is not a column of *data* (or a
        quasi-identifier not one of *population*).

    Examples
    --------
    >>> import polars as pl
    >>> data = pl.DataFrame({"zip": ["1", "1", "2", "2", "2"], "dx": ["a", "b", "a", "a", "c"]})
    >>> report = assess_risk(data, ["zip"], sensitive="dx")
    >>> report.k, report.l["distinct"], report.prosecutor["max"], report.unique_share
    (2, 2, 0.5, 0.0)
    """
    lazy = read(data)
    qis = list(quasi_identifiers)
    if not qis:
        raise InputError("give at least one quasi-identifier column")
    check_unique(qis, "quasi_identifiers")
    columns = lazy.collect_schema().names()
    for col in [*qis, *([sensitive] if sensitive else []), *([counts] if counts else [])]:
        if col not in columns:
            raise ColumnNotFoundError(col, columns)
    # One pass over the records: a 64-bit hash of the QI values names each record's class
    # (a collision among even a million classes has odds below 1e-7), and everything
    # after works on the small (class, sensitive value, count) table.
    keys = ["__c", *([sensitive] if sensitive else [])]
    weight = pl.len() if counts is None else pl.col(counts).sum().cast(pl.Int64)
    pairs = (
        lazy.select(
            _class_hash(qis),
            *([pl.col(sensitive)] if sensitive else []),
            *([pl.col(counts)] if counts else []),
        )
        .group_by(keys)
        .agg(weight.alias("n"))
        .filter(pl.col("n") > 0)
        .collect()
    )
    n = int(pairs["n"].sum())
    if n == 0:
        raise InputError("the table has no records; risk is undefined")
    if sensitive is not None and pairs[sensitive].null_count():
        raise InputError(
            f"sensitive column {sensitive!r} has missing values; fill or drop them first"
        )
    classes = (
        pairs.group_by("__c").agg(pl.col("n").sum().alias("size"))
        if sensitive is not None
        else pairs.rename({"n": "size"})
    )
    sizes = classes["size"].to_numpy()
    k = int(sizes.min())
    per_record = 1.0 / sizes
    prosecutor = {
        "max": float(per_record.max()),
        "avg": float(len(sizes) / n),
        "share_above": float(sizes[per_record > threshold].sum() / n),
    }
    unique_share = float(sizes[sizes == 1].sum() / n)
    size_table = (
        classes.group_by("size")
        .agg(pl.len().alias("classes"))
        .with_columns((pl.col("size") * pl.col("classes")).alias("records"))
        .sort("size")
    )
    journalist = None
    marketer = float(len(sizes) / n)
    if population is not None:
        pop = read(population)
        pop_cols = pop.collect_schema().names()
        for col in qis:
            if col not in pop_cols:
                raise ColumnNotFoundError(col, pop_cols, source="the population table")
        pop_sizes = (
            pop.select(_class_hash(qis)).group_by("__c").agg(pl.len().alias("pop_size")).collect()
        )
        joined = classes.join(pop_sizes, on="__c", how="left")
        if joined["pop_size"].null_count():
            raise InputError(
                f"{joined['pop_size'].null_count()} class(es) of the sample do not occur in the "
                "population table; the population must contain the sample"
            )
        pop_size = joined["pop_size"].to_numpy().astype(np.float64)
        f = joined["size"].to_numpy().astype(np.float64)
        journalist = {
            "max": float((1.0 / pop_size).max()),
            "avg": float((f / pop_size).sum() / n),
            "share_above": float(f[(1.0 / pop_size) > threshold].sum() / n),
        }
        marketer = float((f / pop_size).sum() / n)
    l_levels = None
    t_level = None
    if sensitive is not None:
        l_levels, t_level = _l_and_t(pairs, sensitive, ordered)
    return RiskReport(
        records=n,
        classes=len(sizes),
        quasi_identifiers=qis,
        sensitive=sensitive,
        k=k,
        l=l_levels,
        t=t_level,
        prosecutor=prosecutor,
        journalist=journalist,
        marketer=marketer,
        unique_share=unique_share,
        threshold=threshold,
        class_sizes=size_table,
    )


def _class_hash(qis: list[str]) -> pl.Expr:
    return pl.struct(qis).hash(0x9E3779B9).alias("__c")


def _l_and_t(
    pairs: pl.DataFrame, sensitive: str, ordered: bool | None
) -> tuple[dict[str, Any], float]:
    """ℓ (distinct, entropy, recursive c) and t from the (class, sensitive value, n) table."""
    coded = pairs.with_columns(
        (pl.col("__c").rank("dense").cast(pl.Int64) - 1).alias("__c"),
        (pl.col(sensitive).rank("dense").cast(pl.Int64) - 1).alias("__r"),
    )
    table = ClassPairs.build(
        coded["__c"].to_numpy(), coded["__r"].to_numpy(), coded["n"].to_numpy()
    )
    distinct = int(distinct_values(table).min())
    l_entropy = float(math.exp(entropy(table).min()))
    # recursive (c, ℓ) at ℓ = distinct: the smallest c that LDiversity(variant="recursive")
    # accepts (the check is strict, so this is just above max r1 / tail); None below ℓ = 2
    worst_c = recursive_c(table, distinct) if distinct >= 2 else None
    levels = {"distinct": distinct, "entropy": l_entropy, "recursive_c": worst_c}
    is_ordered = ordered
    if is_ordered is None:
        dtype = pairs.schema[sensitive]
        is_ordered = dtype.is_numeric() or dtype.is_temporal()
    m = int(table.code.max()) + 1
    overall = np.bincount(table.code, weights=table.count, minlength=m) / table.count.sum()
    return levels, float(t_distance(table, overall, ordered=is_ordered).max())
