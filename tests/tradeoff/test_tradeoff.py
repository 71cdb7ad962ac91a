"""Trade-off: planted releases land where they must; the Pareto set; the grid."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import privlab as pv
from privlab.risk import linkage_attack
from privlab.tradeoff import auto_hierarchy, pareto_front
from privlab.utility import ReleaseView, Workload


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    rng = np.random.default_rng(1)
    n = 600
    age = rng.integers(18, 90, n)
    return pl.DataFrame(
        {
            "age": age,
            "sex": rng.choice(["F", "M"], n),
            "zip": rng.choice(["02139", "02141", "94107", "94110"], n),
            "dx": np.where(
                age > 60, rng.choice(["heart", "hip"], n), rng.choice(["flu", "asthma"], n)
            ),
            "charges": rng.gamma(2.0, 1000.0, n).round(2),
        }
    )


QIS = ["age", "sex", "zip"]


def workload(table: pl.DataFrame) -> Workload:
    return Workload.build(
        table, marginal_columns=[*QIS, "dx"], numeric=["charges"], group_by=["dx"]
    )


def test_release_equal_to_original_has_maximal_risk_and_no_error(table: pl.DataFrame) -> None:
    work = workload(table)
    view = ReleaseView(table, aligned=True)
    assert work.evaluate(view)["error"] == 0.0
    attack = linkage_attack(table, view, QIS, "dx", work, targets=200)
    # records sharing all QI values stay ambiguous; every other record is found
    assert attack["advantage"] > 0.6
    generalized = table.with_columns((pl.col("age") // 20 * 20).alias("age"))
    weaker = linkage_attack(table, ReleaseView(generalized), QIS, "dx", work, targets=200)
    assert weaker["advantage"] < attack["advantage"]


def test_release_with_every_qi_suppressed_has_no_linkage_advantage(table: pl.DataFrame) -> None:
    work = workload(table)
    masked = table.with_columns([pl.lit("*").alias(q) for q in QIS])
    attack = linkage_attack(table, ReleaseView(masked, aligned=True), QIS, "dx", work, targets=200)
    assert attack["advantage"] == pytest.approx(0.0, abs=0.02)
    assert attack["success"] == pytest.approx(attack["baseline"], abs=0.02)
    assert attack["identified"] == 0.0
    # utility is lost on the QIs' marginals but the sensitive column survives
    result = work.evaluate(ReleaseView(masked, aligned=True))
    assert result["queries"]["marginal:dx"] == 0.0
    assert result["queries"]["marginal:age"] > 0.0


def test_generalized_labels_spread_over_the_bins_they_cover() -> None:
    original = pl.DataFrame({"zip": ["02139", "02141", "94107", "94110"]})
    work = Workload.build(original, marginal_columns=["zip"])
    h = auto_hierarchy(original["zip"])
    from privlab.utility import coverage_from_hierarchy

    cov = coverage_from_hierarchy(h, original["zip"], 2)  # keep 3 digits: 021**, 941**
    released = pl.DataFrame({"zip": ["021**", "021**", "941**", "941**"]})
    # each label covers two ZIPs, each with one record: the spread is exact
    assert work.evaluate(ReleaseView(released, {"zip": cov}))["error"] == pytest.approx(0.0)
    skewed = pl.DataFrame({"zip": ["021**"] * 4})
    assert work.evaluate(ReleaseView(skewed, {"zip": cov}))["error"] == pytest.approx(0.5)


def test_pareto_front_on_a_hand_made_example() -> None:
    risk = [1.0, 0.4, 0.5, 0.2, 0.2, 0.0]
    error = [0.0, 0.1, 0.2, 0.3, 0.35, 0.9]
    # (0.5, 0.2) is dominated by (0.4, 0.1); (0.2, 0.35) by (0.2, 0.3)
    assert pareto_front(risk, error) == [True, True, False, True, False, True]
    assert pareto_front([0.3, 0.3], [0.1, 0.1]) == [True, True]  # ties dominate nothing


def test_auto_hierarchies() -> None:
    assert auto_hierarchy(pl.Series([1, 50, 99])).kind == "interval"
    assert auto_hierarchy(pl.Series(["2020-01-02", "1999-12-31"])).kind == "date"
    assert auto_hierarchy(pl.Series(["F", "M"])).kind == "suppress"


def test_tradeoff_grid_end_to_end(table: pl.DataFrame) -> None:
    roles = {"age": "quasi_identifier", "sex": "quasi_identifier", "zip": "quasi_identifier",
             "dx": "sensitive", "charges": "sensitive"}  # fmt: skip
    t = pv.tradeoff(
        table,
        profile=roles,
        candidates={"k": [2, 10], "l": [2], "epsilon": [0.5, 2.0], "synthetic": []},
        targets=150,
        progress=False,
    )
    labels = t.points["label"].to_list()
    assert labels == ["original", "k=2", "k=10", "k=5, ℓ=2"]
    original = t.points.filter(pl.col("label") == "original").row(0, named=True)
    assert original["workload_error"] == 0.0
    assert original["advantage"] == t.points["advantage"].max()  # maximal risk
    assert original["pareto"]
    k10 = t.points.filter(pl.col("label") == "k=10").row(0, named=True)
    assert k10["prosecutor_max"] <= 0.1
    assert k10["advantage"] < original["advantage"]
    # DP: more ε, less expected error
    errors = t.dp.sort("epsilon")["expected_error"].to_list()
    assert errors[0] > errors[1]
    spec = t.frontier_chart().to_dict()
    assert len(spec["vconcat"]) == 2  # frontier above the DP panel
    text = str(t.to_dict())
    assert "02139" not in text
