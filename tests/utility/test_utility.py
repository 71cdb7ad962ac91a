"""privlab.utility.utility: hand-computed loss, discernibility, entropy and distances."""

from __future__ import annotations

import math

import polars as pl
import pytest

import privlab as pv
from privlab.anonymize import Hierarchy, interval_hierarchy
from privlab.exceptions import ColumnNotFoundError, InputError

ORIGINAL = pl.DataFrame({"age": [31, 33, 52, 54], "sex": ["F", "M", "F", "F"], "pay": [1, 2, 3, 4]})
HS = {"age": interval_hierarchy(widths=[5]), "sex": Hierarchy.from_levels({"F": ["*"], "M": ["*"]})}


def test_known_answer_generalized_release() -> None:
    released = pl.DataFrame(
        {
            "age": ["30-34", "30-34", "50-54", "50-54"],
            "sex": ["*", "*", "*", "*"],
            "pay": [1, 2, 3, 4],
        }
    )
    r = pv.utility(ORIGINAL, released, ["age", "sex"], hierarchies=HS)
    # age: 4 fitted values, each bin covers 2 → share 1/2; total 2, low 1 → (2 - 1) / (4 - 1)
    # sex: domain {F, M}; '*' covers both → share 1 → total 4, low 2 → 1
    assert r.loss_per_column == pytest.approx({"age": 1 / 3, "sex": 1.0})
    assert r.loss == pytest.approx(math.sqrt((1 + 1 / 3) * 2) - 1)
    assert r.discernibility == 2**2 + 2**2
    assert r.avg_class_size == 2.0
    assert r.suppression_rate == 0.0
    # entropy: age: P(o | bin) = 1/2 for every record → 4 bits; sex: P(F | *) = 3/4, P(M | *) = 1/4
    expected = 4 * 1.0 + (3 * -math.log2(3 / 4) + -math.log2(1 / 4))
    assert r.non_uniform_entropy == pytest.approx(expected)
    pay = r.columns.filter(pl.col("column") == "pay").to_dicts()[0]
    assert pay["total_variation"] == 0.0
    assert pay["ks"] == 0.0


def test_suppressed_and_dropped_records_count_fully() -> None:
    masked = pl.DataFrame(
        {"age": ["30-34", "30-34", "50-54", "*"], "sex": ["F", "M", "F", "*"], "pay": [1, 2, 3, 4]}
    )
    r = pv.utility(ORIGINAL, masked, ["age", "sex"], hierarchies=HS)
    assert r.suppression_rate == 0.25
    assert r.discernibility == 1 + 1 + 1 + 4  # three singletons + one suppressed × n
    dropped = masked.head(3)
    d = pv.utility(ORIGINAL, dropped, ["age", "sex"], hierarchies=HS)
    assert d.suppression_rate == 0.25
    assert d.loss == pytest.approx(r.loss)


def test_identity_release_loses_nothing() -> None:
    r = pv.utility(ORIGINAL, ORIGINAL, ["age", "sex"], hierarchies=HS)
    assert r.loss == 0.0
    assert r.non_uniform_entropy == 0.0
    assert (r.columns["total_variation"] == 0).all()


def test_numeric_distances() -> None:
    shifted = ORIGINAL.with_columns(pl.col("pay") + 10)
    r = pv.utility(ORIGINAL, shifted, ["sex"])
    pay = r.columns.filter(pl.col("column") == "pay").to_dicts()[0]
    assert pay["ks"] == 1.0
    assert pay["wasserstein"] == pytest.approx(10.0)
    assert r.loss is None


def test_errors() -> None:
    with pytest.raises(ColumnNotFoundError, match="released table"):
        pv.utility(ORIGINAL, ORIGINAL.drop("sex"), ["sex"])
    with pytest.raises(InputError, match="more records"):
        pv.utility(ORIGINAL.head(2), ORIGINAL, ["sex"])
