"""Small helpers shared by the detectors."""

from __future__ import annotations

import polars as pl

__all__ = ["capped", "counted", "share"]


def share(mask: pl.Series) -> float:
    """Mean of a boolean (or numeric) series as a float; 0.0 when empty."""
    value = mask.cast(pl.Float64).mean()
    return float(value) if isinstance(value, int | float) else 0.0


def capped(values: pl.Series, cap: int, *, seed: int = 0) -> pl.Series:
    """At most *cap* of the values, a seeded random choice (deterministic for the same input).

    Validators written in Python (libphonenumber, python-stdnum) run only on such a
    capped set of distinct candidates; their pass rate estimates the column's with
    a standard error of at most ``0.5 / sqrt(cap)``.
    """
    if len(values) <= cap:
        return values
    return values.sort().sample(n=cap, seed=seed)


def counted(values: pl.Series) -> pl.DataFrame:
    """Distinct values (column ``value``) with their ``count`` — whatever the series is named."""
    return values.rename("value").value_counts()
