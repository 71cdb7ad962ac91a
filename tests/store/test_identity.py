"""Store identity: derived datasets are linked to one budget; independent ones are not."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from privlab.store import compare, table_signature

N = 2_000


@pytest.fixture(scope="module")
def base() -> pl.DataFrame:
    """A table of people: an index, an id repeated twice, low-cardinality columns, and two
    high-cardinality ones (income, a name-like token) that identify the rows."""
    rng = np.random.default_rng(7)
    return pl.DataFrame(
        {
            "row": np.arange(N),
            "pid": np.arange(N) // 2,
            "age": rng.integers(18, 90, N),
            "sex": rng.choice(["F", "M"], N),
            "income": rng.lognormal(10, 1, N),
            "token": [f"t{v}" for v in rng.integers(0, 10**12, N)],
        }
    )


def _derived(base: pl.DataFrame) -> dict[str, pl.DataFrame]:
    edited = base.with_columns(
        pl.when(pl.col("row") == 3).then(1.25).otherwise(pl.col("income")).alias("income")
    )
    return {
        "constant column added": base.with_columns(pl.lit("v2").alias("release")),
        "column cast to text": base.with_columns(pl.col("income").cast(pl.String)),
        "columns renamed": base.rename({"income": "salary", "token": "key"}),
        "one row edited": edited,
        "one row dropped": base.slice(1),
        "one row duplicated": pl.concat([base, base.head(1)]),
        "rows added": pl.concat([base, base.head(150).with_columns(pl.col("income") * 3)]),
        "10 % sample": base.sample(fraction=0.1, seed=3),
        "columns dropped": base.drop("token", "age"),
    }


@pytest.mark.parametrize(
    "variant",
    [
        "constant column added",
        "column cast to text",
        "columns renamed",
        "one row edited",
        "one row dropped",
        "one row duplicated",
        "rows added",
        "10 % sample",
        "columns dropped",
    ],
)
def test_every_derivation_the_issue_lists_is_linked(base: pl.DataFrame, variant: str) -> None:
    match = compare(table_signature(_derived(base)[variant]), table_signature(base))
    assert match.linked, (variant, match)


def test_independent_tables_sharing_a_row_index_do_not_link(base: pl.DataFrame) -> None:
    """Attacker: none — the false positive the rules must avoid: two surveys of different
    people, both numbered 0..n-1 (and an id // 2), must keep separate budgets."""
    rng = np.random.default_rng(99)
    other = pl.DataFrame(
        {
            "row": np.arange(N),
            "pid": np.arange(N) // 2,
            "age": rng.integers(18, 90, N),
            "sex": rng.choice(["F", "M"], N),
            "income": rng.lognormal(10, 1, N),
            "token": [f"t{v}" for v in rng.integers(0, 10**12, N)],
        }
    )
    match = compare(table_signature(other), table_signature(base))
    assert not match.linked, match
    # the index alone is never a candidate column
    sig = table_signature(pl.DataFrame({"row": np.arange(N), "pid": np.arange(N) // 2}))
    assert [c.candidate for c in sig.columns] == [False, False]


def test_signature_holds_hashes_not_values(base: pl.DataFrame) -> None:
    """Attacker: reads the store's identity table looking for data values."""
    text = table_signature(base).to_json()
    for planted in base["token"].head(50).to_list() + [f"{v:.6f}" for v in base["income"][:20]]:
        assert planted not in text


def test_large_column_sampled_consistently_still_links_samples() -> None:
    rng = np.random.default_rng(2)
    big = pl.DataFrame({"x": rng.uniform(0, 100, 300_000)})
    sig = table_signature(big)
    assert min(sig.columns[0].levels) > 0  # hashed on a consistent sample, not every value
    assert compare(table_signature(big.sample(fraction=0.05, seed=1)), sig).linked
    assert not compare(table_signature(pl.DataFrame({"x": rng.uniform(0, 100, 5_000)})), sig).linked
