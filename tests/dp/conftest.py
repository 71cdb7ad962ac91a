"""Fixtures for the DP tests: small fixed tables and a generous budget."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest


@pytest.fixture(scope="module")
def people() -> pl.DataFrame:
    """2,000 rows; two rows per person; ages 18..89; a categorical and a string column."""
    rng = np.random.default_rng(3)
    n = 2_000
    return pl.DataFrame(
        {
            "pid": np.arange(n) // 2,
            "sex": rng.choice(["F", "M"], n),
            "age": rng.integers(18, 90, n),
            "income": rng.uniform(0, 100_000, n),
            "city": rng.choice(["Oslo", "Bergen", "Tromsø"], n),
        }
    )


@pytest.fixture
def people_file(people: pl.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "people.parquet"
    people.write_parquet(path)
    return path


@pytest.fixture
def session(people: pl.DataFrame) -> Iterator[object]:
    import privlab.dp as pdp

    s = pdp.DPSession(people, dataset="people")
    pdp.set_budget("people", epsilon=50.0, delta=1e-5)
    yield s
    s.close()
