"""Trade-off: planted releases land where they must; the Pareto set; the grid."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import privlab as pv
from privlab.risk import linkage_attack
from privlab.tradeoff import auto_hierarchy, pareto_front
from privlab.utility import ReleaseView, Workload


def _population(n: int, seed: int) -> pl.DataFrame:
    """Patients of one population: diagnosis depends on age, charges are gamma."""
    rng = np.random.default_rng(seed)
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


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    return _population(600, 1)


QIS = ["age", "sex", "zip"]


def workload(table: pl.DataFrame) -> Workload:
    return Workload.build(
        table, marginal_columns=[*QIS, "dx"], numeric=["charges"], group_by=["dx"]
    )


def _non_members(table: pl.DataFrame) -> pl.DataFrame:
    """People of the same population who are not in the release."""
    return _population(400, 99)


def test_release_equal_to_original_has_maximal_risk_and_no_error(table: pl.DataFrame) -> None:
    """Attacker: a prosecutor who knows a member's age, sex and ZIP and reads the raw table.

    On members they read the exact record (ties aside); on non-members they only get what
    the population's age → diagnosis pattern gives — the advantage is the difference.
    """
    work = workload(table)
    view = ReleaseView(table, aligned=True)
    assert work.evaluate(view)["error"] == 0.0
    others = _non_members(table)
    attack = linkage_attack(table, view, QIS, "dx", work, non_members=others, targets=200)
    assert attack.member_success > 0.8
    assert attack.non_member_success < 0.7  # two diagnoses per age band: ~half right
    assert attack.advantage == pytest.approx(attack.member_success - attack.non_member_success)
    assert attack.ci[0] > 0.2
    assert attack.ci[0] < attack.advantage < attack.ci[1]
    generalized = table.with_columns((pl.col("age") // 20 * 20).alias("age"))
    weaker = linkage_attack(
        table, ReleaseView(generalized), QIS, "dx", work, non_members=others, targets=200
    )
    assert weaker.advantage < attack.advantage
    journalist = linkage_attack(
        table, view, QIS, "dx", work, non_members=others, targets=200, attacker="journalist",
        population_size=4 * table.height,
    )  # fmt: skip
    # the journalist cannot tell members from others: a quarter of the prosecutor's gain
    assert journalist.membership_share == 0.25
    assert journalist.advantage == pytest.approx(attack.advantage / 4)


def test_release_with_every_qi_suppressed_has_no_linkage_advantage(table: pl.DataFrame) -> None:
    """Attacker: a prosecutor facing a release whose QIs are all `*`: nothing to link on."""
    work = workload(table)
    masked = table.with_columns([pl.lit("*").alias(q) for q in QIS])
    view = ReleaseView(masked, aligned=True)
    attack = linkage_attack(table, view, QIS, "dx", work, non_members=_non_members(table),
                            targets=200)  # fmt: skip
    assert attack.ci[0] <= 0.0 <= attack.ci[1]  # not clipped: noise around zero
    assert abs(attack.advantage) < 0.1
    assert attack.identified == 0.0
    # utility is lost on the QIs' marginals but the sensitive column survives
    result = work.evaluate(view)
    assert result["queries"]["marginal:dx"] == 0.0
    assert result["queries"]["marginal:age"] > 0.0


def test_suppressed_records_match_no_one(table: pl.DataFrame) -> None:
    """Attacker: a prosecutor; half the release is suppressed (ARX outliers).

    A suppressed record carries no QI, so it must not join every target's candidate set:
    a member whose own record is kept still finds it exactly (record success 1 when it
    is the only record with its QIs), as if the suppressed rows were not there.
    """
    work = workload(table)
    unique = table.with_row_index("i").filter(pl.len().over(QIS) == 1)
    suppressed = (
        table.with_row_index("i")
        .with_columns(
            [
                pl.when(~pl.col("i").is_in(unique["i"].implode()))
                .then(pl.lit("*"))
                .otherwise(pl.col(q).cast(pl.String))
                .alias(q)
                for q in QIS
            ]
        )
        .drop("i")
    )
    view = ReleaseView(suppressed, aligned=True)
    kept = linkage_attack(table.filter(pl.len().over(QIS) == 1),
                          ReleaseView(table.filter(pl.len().over(QIS) == 1), aligned=True),
                          QIS, "dx", work, non_members=_non_members(table), success="record",
                          targets=50, seed=3)  # fmt: skip
    assert kept.member_success == 1.0
    attack = linkage_attack(table, view, QIS, "dx", work, non_members=_non_members(table),
                            success="record", targets=600)  # fmt: skip
    # every kept (unique) member is identified; every suppressed member is not
    assert attack.identified == pytest.approx(unique.height / table.height)
    assert attack.member_success == pytest.approx(unique.height / table.height)
    assert attack.non_member_success == 0.0


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
    for row in t.points.iter_rows(named=True):
        assert row["advantage_lo"] <= row["advantage"] <= row["advantage_hi"]
    k10 = t.points.filter(pl.col("label") == "k=10").row(0, named=True)
    assert k10["prosecutor_max"] <= 0.1
    assert k10["advantage"] < original["advantage"]
    assert t.attacker == "prosecutor"
    assert t.to_dict()["attacker"] == "prosecutor"
    # DP: more ε, less expected error
    errors = t.dp.sort("epsilon")["expected_error"].to_list()
    assert errors[0] > errors[1]
    spec = t.frontier_chart().to_dict()
    assert len(spec["vconcat"]) == 2  # frontier above the DP panel
    text = str(t.to_dict())
    assert "02139" not in text


def _dp_table(sizes: dict[str, int]) -> pl.DataFrame:
    """Groups of the given sizes; every charge is 100, so only group sizes differ."""
    rows = [(g, age) for g, n in sizes.items() for age in range(n)]
    return pl.DataFrame(
        {
            "grp": [g for g, _ in rows],
            "age": [20 + a % 50 for _, a in rows],
            "charges": [100.0] * len(rows),
        }
    )


def test_dp_panel_plans_from_public_information_only() -> None:
    """The DP panel counts every public cell and never reads true group sizes.

    Two tables with the same public domain but very different group sizes get the same
    expected error when the analyst declares the same public row bound and bounds.
    """
    from privlab.tradeoff._tradeoff import _dp_panel

    balanced = _dp_table({"a": 300, "b": 300, "c": 300})
    skewed = _dp_table({"a": 880, "b": 10, "c": 10})
    public = {"rows": 2048, "bounds": {"charges": (0.0, 1000.0)}}
    out = []
    for table in (balanced, skewed):
        work = Workload.build(table, marginal_columns=["grp", "age"], numeric=["charges"],
                              group_by=["grp"])  # fmt: skip
        dp, notes = _dp_panel(table, work, [1.0], ["charges"], public)
        out.append(dp.row(0, named=True))
        assert notes == []
        domains = work.domains()
        # every cell of grp × age is planned, though most (grp, age) pairs never occur
        cells = (
            len(domains["grp"]) + len(domains["age"]) + len(domains["grp"]) * len(domains["age"])
        )
        assert dp["cells"][0] == cells
        assert cells > sum(work.cells()[m] for m in work.cells() if m.startswith("marginal:"))
    assert out[0]["expected_error"] == pytest.approx(out[1]["expected_error"])
    # without declared bounds the mean cannot be planned: it counts at the cap, and says so
    work = Workload.build(balanced, marginal_columns=["grp"], numeric=["charges"],
                          group_by=["grp"])  # fmt: skip
    capped, notes = _dp_panel(balanced, work, [1.0], ["charges"], {"rows": 2048})
    assert any("no public bounds for ['charges']" in n for n in notes)
    declared, _ = _dp_panel(balanced, work, [1.0], ["charges"], public)
    assert capped["expected_error"][0] > declared["expected_error"][0]


def test_special_category_is_both_quasi_identifier_and_target(table: pl.DataFrame) -> None:
    """A special-category column (health) is one an attacker may know *and* be after.

    Flagged on a quasi-identifier, it becomes the attack's target too; the attacker's
    knowledge is then the other QIs (never the value they try to learn).
    """
    roles = {"age": "quasi_identifier", "sex": "quasi_identifier", "zip": "quasi_identifier",
             "dx": {"role": "quasi_identifier", "special_category": True}}  # fmt: skip
    t = pv.tradeoff(
        table,
        profile=roles,
        candidates={"k": [2], "l": [], "epsilon": [], "synthetic": []},
        targets=100,
        attacker="journalist",
        progress=False,
    )
    assert t.sensitive == "dx"
    assert t.quasi_identifiers == ["age", "sex", "zip"]
    assert any("special-category columns ['dx']" in n for n in t.notes)
    assert t.attacker == "journalist"
    with pytest.raises(pv.exceptions.InputError, match="attacker"):
        pv.tradeoff(table, profile=roles, attacker="marketer")  # type: ignore[arg-type]


def test_a_release_naming_its_members_is_never_the_safe_end_of_the_front() -> None:
    """The attacker knows each target's quasi-identifiers, diagnosis text included.

    When a quasi-identifier already gives the sensitive value away (the diagnosis text
    and its code), the attacker's success is as high on non-members as on members: the
    original table shows almost no advantage. Regression: it then dominated every
    release and was the whole Pareto front ("release the raw data"), although every
    member's record is the only one matching their quasi-identifiers. The front's risk
    is now the larger of the advantage's upper end and the share re-identified.
    """
    rng = np.random.default_rng(4)
    n = 600
    codes = [f"C{i:02d}" for i in range(12)]
    code = rng.choice(codes, n)
    table = pl.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "zip": rng.choice([f"0{z}" for z in range(1000, 1400)], n),
            "dx": [f"disease {c}" for c in code],
            "dx_code": code,
        }
    )
    roles = {"age": "quasi_identifier", "zip": "quasi_identifier", "dx": "quasi_identifier",
             "dx_code": "sensitive"}  # fmt: skip
    t = pv.tradeoff(
        table,
        profile=roles,
        candidates={"k": [2, 5, 10], "l": [], "epsilon": [], "synthetic": []},
        targets=150,
        progress=False,
    )
    rows = {r["label"]: r for r in t.points.iter_rows(named=True)}
    original = rows["original"]
    assert original["advantage_hi"] < 0.15  # the code is learnt from the text by anyone
    assert original["identified"] > 0.9
    assert original["risk"] == pytest.approx(original["identified"])
    assert original["pareto"]  # the exact answers stay the utility end of the front
    assert sum(t.points["pareto"].to_list()) >= 2, t.points.select("label", "risk", "pareto")
    for row in rows.values():
        assert row["risk"] >= row["advantage_hi"]
