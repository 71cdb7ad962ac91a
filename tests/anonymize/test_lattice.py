"""privlab.anonymize._lattice: the encoding, class tables and ARX Loss under the search.

Known answers are computed by hand on a six-record table; the roll-up that the
bound-ordered search relies on is checked against direct grouping as a property
over random tables, hierarchies and nodes.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privlab.anonymize._lattice import Encoded, Evaluation, encode, evaluate, group
from privlab.exceptions import ColumnNotFoundError
from privlab.hierarchy import Hierarchy, interval_hierarchy, suppress_hierarchy
from privlab.models import KAnonymity, LDiversity, PrivacyModel

DATA = pl.DataFrame(
    {
        "age": [31, 32, 33, 34, 51, 52],
        "sex": ["F", "F", "M", "M", "F", "F"],
        "dx": ["a", "b", "a", "a", "b", "b"],
    }
)


def hierarchies() -> dict[str, Hierarchy]:
    # age: raw → 5 years → 10 years → *; sex: raw → *
    return {"age": interval_hierarchy(widths=[5, 10]), "sex": suppress_hierarchy()}


def class_table(enc: Encoded, ev: Evaluation) -> Counter[tuple[str, ...]]:
    """{generalized QI labels: records} of an evaluated node."""
    table: Counter[tuple[str, ...]] = Counter()
    for rep, size in zip(ev.table.class_rep, ev.table.class_size, strict=True):
        key = tuple(str(enc.labels[i][lv][enc.codes[i][lv][rep]]) for i, lv in enumerate(ev.node))
        table[key] += int(size)
    return table


def test_encoding_levels_labels_and_domain_shares() -> None:
    enc = encode(DATA, hierarchies(), [KAnonymity(2)])
    assert enc.qis == ["age", "sex"]
    assert enc.heights == [4, 2]
    assert enc.n == 6
    assert sorted(enc.counts.tolist()) == [1] * 6  # six distinct (age, sex) combinations
    assert [[list(map(str, labels)) for labels in q] for q in enc.labels] == [
        [["31", "32", "33", "34", "51", "52"], ["30-34", "50-54"], ["30-39", "50-59"], ["*"]],
        [["F", "M"], ["*"]],
    ]
    # ARX domain share = covered fitted values / domain size (6 ages, 2 sexes)
    assert enc.domain == [6, 2]
    assert enc.shares[0][1].tolist() == pytest.approx([4 / 6, 2 / 6])
    assert enc.shares[1][0].tolist() == pytest.approx([1 / 2, 1 / 2])
    assert enc.shares[1][1].tolist() == [1.0]


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ((1, 0), {("30-34", "F"): 2, ("30-34", "M"): 2, ("50-54", "F"): 2}),
        ((1, 1), {("30-34", "*"): 4, ("50-54", "*"): 2}),
        ((2, 0), {("30-39", "F"): 2, ("30-39", "M"): 2, ("50-59", "F"): 2}),
        ((3, 1), {("*", "*"): 6}),
    ],
)
def test_class_tables_by_hand(node: tuple[int, int], expected: dict[tuple[str, ...], int]) -> None:
    enc = encode(DATA, hierarchies(), [KAnonymity(2)])
    ev = evaluate(enc, node, [KAnonymity(2)], 0)
    assert class_table(enc, ev) == expected
    assert ev.classes == len(expected)
    assert ev.satisfied
    assert ev.suppressed == 0


def test_arx_loss_by_hand() -> None:
    """ARX's Loss: Σ domain shares per QI, normalized from n/|domain| to n, geometric mean.

    age at level 1: 4 records × 4/6 + 2 records × 2/6 = 20/6; low = 6/6 = 1, high = 6
    → (20/6 − 1) / 5 = 7/15.  sex raw: 6 × 1/2 = 3 = low → 0.  sex '*': 6 = high → 1.
    """
    enc = encode(DATA, hierarchies(), [KAnonymity(2)])
    ev = evaluate(enc, (1, 0), [KAnonymity(2)], 0)
    assert ev.loss == pytest.approx(math.sqrt((1 + 7 / 15) * (1 + 0)) - 1)
    assert ev.loss == pytest.approx(ev.bound)  # nothing suppressed: the bound is the loss
    ev = evaluate(enc, (1, 1), [KAnonymity(2)], 0)
    assert ev.loss == pytest.approx(math.sqrt((1 + 7 / 15) * (1 + 1)) - 1)
    assert evaluate(enc, (3, 1), [KAnonymity(2)], 0).loss == pytest.approx(1.0)


def test_suppressed_records_count_as_fully_generalized() -> None:
    """At the raw node every record is unique: 2-anonymity suppresses all six.

    Each QI's sum becomes share_tot + Σ suppressed × (1 − share) = n, the maximum,
    so the loss is 1 although the bound (no suppression) is 0.
    """
    enc = encode(DATA, hierarchies(), [KAnonymity(2)])
    within = evaluate(enc, (0, 0), [KAnonymity(2)], 6)
    assert within.suppressed == 6
    assert within.satisfied
    assert within.outlier.all()
    assert within.loss == pytest.approx(1.0)
    assert within.bound == 0.0
    beyond = evaluate(enc, (0, 0), [KAnonymity(2)], 5)
    assert not beyond.satisfied


def test_l_diversity_outliers_by_hand() -> None:
    """dx per class at (1, 1): 30-34 has {a, b}, 50-54 only {b} → that class is suppressed."""
    models: list[PrivacyModel] = [LDiversity("dx", 2)]
    enc = encode(DATA, hierarchies(), models)
    assert enc.sens_card == 2
    assert enc.sens_dist["dx"].tolist() == [0.5, 0.5]
    ev = evaluate(enc, (1, 1), models, 0)
    assert not ev.satisfied
    assert ev.suppressed == 2
    flagged = {
        str(enc.labels[0][1][enc.codes[0][1][rep]])
        for rep, bad in zip(ev.table.class_rep, ev.outlier, strict=True)
        if bad
    }
    assert flagged == {"50-54"}
    assert evaluate(enc, (1, 1), models, 2).satisfied


def test_encoding_refuses_bad_inputs() -> None:
    with pytest.raises(ColumnNotFoundError, match="zip"):
        encode(DATA, {"zip": suppress_hierarchy()}, [KAnonymity(2)])
    with pytest.raises(ValueError, match="both quasi-identifiers and sensitive"):
        encode(DATA, {"dx": suppress_hierarchy()}, [LDiversity("dx", 2)])
    with_null = DATA.with_columns(pl.Series("dx", ["a", None, "a", "a", "b", "b"]))
    with pytest.raises(ValueError, match="'dx' has 1 missing value"):
        encode(with_null, hierarchies(), [LDiversity("dx", 2)])


# ------------------------------------------------------------------ properties


@st.composite
def tables(draw: st.DrawFn) -> tuple[pl.DataFrame, dict[str, Hierarchy], tuple[int, ...]]:
    n = draw(st.integers(min_value=1, max_value=60))
    d = draw(st.integers(min_value=1, max_value=3))
    columns: dict[str, list[object]] = {}
    hs: dict[str, Hierarchy] = {}
    for i in range(d):
        top = draw(st.integers(min_value=1, max_value=40))
        columns[f"q{i}"] = draw(st.lists(st.integers(0, top), min_size=n, max_size=n))
        widths = draw(st.lists(st.sampled_from([2, 4, 8, 16]), min_size=1, max_size=3, unique=True))
        hs[f"q{i}"] = interval_hierarchy(widths=sorted(widths))
    columns["s"] = draw(st.lists(st.sampled_from(["x", "y", "z"]), min_size=n, max_size=n))
    frame = pl.DataFrame(columns)
    heights = [hs[q].fit(frame[q]).height for q in hs]
    node = tuple(draw(st.integers(0, h - 1)) for h in heights)
    return frame, hs, node


def canonical(enc: Encoded, node: tuple[int, ...], rep: np.ndarray, sens: np.ndarray,
              count: np.ndarray) -> list[tuple[tuple[int, ...], int, int]]:  # fmt: skip
    """(class codes at *node*, sensitive code, records) per pair, sorted."""
    return sorted(
        (tuple(int(enc.codes[i][lv][r]) for i, lv in enumerate(node)), int(s), int(c))
        for r, s, c in zip(rep, sens, count, strict=True)
    )


@settings(max_examples=60, deadline=None)
@given(tables(), st.integers(min_value=2, max_value=5))
def test_roll_up_from_a_specialization_equals_direct_grouping(
    case: tuple[pl.DataFrame, dict[str, Hierarchy], tuple[int, ...]], k: int
) -> None:
    frame, hs, node = case
    models: list[PrivacyModel] = [KAnonymity(k), LDiversity("s", 2)]
    enc = encode(frame, hs, models)
    direct = group(enc, node)
    for i, level in enumerate(node):
        if level == 0:
            continue
        below = tuple(lv - 1 if j == i else lv for j, lv in enumerate(node))
        child = group(enc, below)
        rolled = group(enc, node, child.rep, child.sens, child.count)
        assert canonical(enc, node, rolled.rep, rolled.sens, rolled.count) == canonical(
            enc, node, direct.rep, direct.sens, direct.count
        )
        assert sorted(rolled.class_size.tolist()) == sorted(direct.class_size.tolist())
        a = evaluate(enc, node, models, 0.2 * enc.n, (child.rep, child.sens, child.count))
        b = evaluate(enc, node, models, 0.2 * enc.n)
        assert (a.satisfied, a.suppressed, a.classes) == (b.satisfied, b.suppressed, b.classes)
        assert a.loss == pytest.approx(b.loss)
    assert int(direct.class_size.sum()) == frame.height


@settings(max_examples=60, deadline=None)
@given(tables(), st.integers(min_value=2, max_value=5))
def test_bound_is_a_lower_bound_and_k_anonymity_is_monotone(
    case: tuple[pl.DataFrame, dict[str, Hierarchy], tuple[int, ...]], k: int
) -> None:
    frame, hs, node = case
    models: list[PrivacyModel] = [KAnonymity(k)]
    enc = encode(frame, hs, models)
    ev = evaluate(enc, node, models, 0.3 * enc.n)
    assert ev.bound <= ev.loss + 1e-9
    assert 0.0 <= ev.loss <= 1.0 + 1e-9
    # every class that survives has at least k records
    assert (ev.table.class_size[~ev.outlier] >= k).all()
    assert ev.suppressed == int(ev.table.class_size[ev.outlier].sum())
    if ev.satisfied and ev.suppressed == 0:
        for i, level in enumerate(node):
            if level + 1 < enc.heights[i]:
                up = tuple(lv + 1 if j == i else lv for j, lv in enumerate(node))
                assert evaluate(enc, up, models, 0).satisfied
