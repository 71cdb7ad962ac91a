"""Small helpers shared by the detectors."""

from __future__ import annotations

import polars as pl

__all__ = ["share"]


def share(mask: pl.Series) -> float:
    """Mean of a boolean (or numeric) series as a float; 0.0 when empty."""
    value = mask.cast(pl.Float64).mean()
    return float(value) if isinstance(value, int | float) else 0.0
