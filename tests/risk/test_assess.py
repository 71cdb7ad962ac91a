"""privlab.risk.assess_risk: hand-computed k, ℓ, t and attacker risks."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import privlab as pv
from privlab.exceptions import ColumnNotFoundError, InputError
from privlab.models import ClassPairs, LDiversity, l_diverse, recursive_c

# classes on (zip, sex): A = 3 records, B = 2 records, C = 1 record
DATA = pl.DataFrame(
    {
        "zip": ["941", "941", "941", "942", "942", "951"],
        "sex": ["F", "F", "F", "M", "M", "F"],
        "dx": ["flu", "flu", "cold", "flu", "asthma", "flu"],
        "charge": [100, 200, 300, 100, 500, 300],
    }
)
QI = ["zip", "sex"]


def test_k_classes_and_prosecutor_risk() -> None:
    r = pv.assess_risk(DATA, QI)
    assert (r.records, r.classes, r.k) == (6, 3, 1)
    assert r.prosecutor["max"] == 1.0
    assert r.prosecutor["avg"] == pytest.approx(3 / 6)
    # records with risk > 0.2: all (1/3, 1/2, 1) → share 1.0; above 0.4: B and C → 3/6
    assert r.prosecutor["share_above"] == 1.0
    assert pv.assess_risk(DATA, QI, threshold=0.4).prosecutor["share_above"] == pytest.approx(0.5)
    assert r.unique_share == pytest.approx(1 / 6)
    assert r.class_sizes.to_dicts() == [
        {"size": 1, "classes": 1, "records": 1},
        {"size": 2, "classes": 1, "records": 2},
        {"size": 3, "classes": 1, "records": 3},
    ]
    assert r.marketer == pytest.approx(0.5)


def test_l_diversity_variants() -> None:
    r = pv.assess_risk(DATA, QI, sensitive="dx")
    assert r.l is not None
    assert r.l["distinct"] == 1  # class C has one value
    two = pv.assess_risk(DATA.filter(pl.col("zip") != "951"), QI, sensitive="dx")
    assert two.l is not None
    assert two.l["distinct"] == 2
    # entropy: A = {flu: 2, cold: 1} → H = -(2/3 ln 2/3 + 1/3 ln 1/3); B → ln 2
    h_a = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3))
    assert two.l["entropy"] == pytest.approx(math.exp(min(h_a, math.log(2))))
    # recursive at ℓ = 2: c > r1 / (r2 + …): A: 2 / 1, B: 1 / 1 → the check is strict, so
    # the reported c is the next float above 2 — the smallest c the check accepts
    c = two.l["recursive_c"]
    assert c == np.nextafter(2.0, np.inf)
    assert r.l["recursive_c"] is None  # ℓ = 1: recursive (c, ℓ) is not defined


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(min_value=1, max_value=40), min_size=2, max_size=5),
        min_size=1,
        max_size=6,
    )
)
def test_recursive_c_is_the_smallest_c_the_check_accepts(classes: list[list[int]]) -> None:
    """Property: LDiversity(recursive, c=recursive_c) passes; the float just below fails."""
    cls = np.repeat(np.arange(len(classes)), [len(c) for c in classes])
    codes = np.concatenate([np.arange(len(c)) for c in classes])
    counts = np.concatenate([np.array(c) for c in classes])
    pairs = ClassPairs.build(cls, codes, counts)
    c = recursive_c(pairs, 2)
    assert l_diverse(pairs, LDiversity("s", 2, variant="recursive", c=c)).all()
    below = float(np.nextafter(c, 0.0))
    assert not l_diverse(pairs, LDiversity("s", 2, variant="recursive", c=below)).all()


def test_t_closeness_equal_and_ordered() -> None:
    r = pv.assess_risk(DATA, QI, sensitive="dx")
    # overall: flu 4/6, cold 1/6, asthma 1/6; class C = {flu}: ½(2/6 + 1/6 + 1/6) = 1/3
    # A = {flu 2/3, cold 1/3}: ½(0 + 1/6 + 1/6) = 1/6; B = {flu ½, asthma ½}: ½(1/6 + 1/6 + 2/6)
    assert r.t == pytest.approx(1 / 3)
    o = pv.assess_risk(DATA, QI, sensitive="charge")
    # values 100, 200, 300, 500; overall 2/6, 1/6, 2/6, 1/6; m - 1 = 3
    # C = {300}: cum diffs (−2/6, −3/6, +1/6) → 1/3 · (6/6) = 1/3
    # B = {100, 500}: p = ½, 0, 0, ½ → cum (1/6, 0, −2/6) → 1/3 · 3/6 = 1/6
    assert o.t == pytest.approx(1 / 3)
    # equal distance for C = {300}: ½(2/6 + 1/6 + 4/6 + 1/6) = 2/3
    assert pv.assess_risk(DATA, QI, sensitive="charge", ordered=False).t == pytest.approx(2 / 3)


def test_journalist_and_marketer_with_population() -> None:
    population = pl.concat([DATA, DATA, DATA.filter(pl.col("zip") == "951")])
    r = pv.assess_risk(DATA, QI, population=population)
    # population class sizes: A 6, B 4, C 3 → max 1/3; marketer = (3/6 + 2/4 + 1/3) / 6
    assert r.journalist is not None
    assert r.journalist["max"] == pytest.approx(1 / 3)
    assert r.marketer == pytest.approx((3 / 6 + 2 / 4 + 1 / 3) / 6)


def test_population_must_contain_the_sample() -> None:
    with pytest.raises(InputError, match="do not occur in the population"):
        pv.assess_risk(DATA, QI, population=DATA.head(3))


def test_errors_name_the_problem() -> None:
    with pytest.raises(ColumnNotFoundError, match=r"'zipp'.*did you mean 'zip'"):
        pv.assess_risk(DATA, ["zipp"])
    with pytest.raises(InputError, match="no records"):
        pv.assess_risk(DATA.head(0), QI)
    with pytest.raises(InputError, match="missing values"):
        pv.assess_risk(DATA.with_columns(pl.lit(None).alias("dx")), QI, sensitive="dx")


def test_to_dict_is_json_ready_and_value_free() -> None:
    import json

    text = json.dumps(pv.assess_risk(DATA, QI, sensitive="dx").to_dict())
    assert "asthma" not in text
    assert "941" not in text
