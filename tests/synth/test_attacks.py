"""Anonymeter-style attacks: known answers for the statistics, planted cases for the risk."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from privlab.exceptions import InputError
from privlab.synth import AttackResult, inference_risk, linkability_risk, singling_out_risk
from privlab.synth._attacks import success_rate


def _population(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    return pl.DataFrame(
        {
            "age": age,
            "zip": rng.choice([f"z{i:02d}" for i in range(40)], n),
            "sex": rng.choice(["F", "M"], n),
            "income": np.round(rng.lognormal(10, 0.5, n), 0),
            "diag": rng.choice(["a", "b", "c", "d", "e", "f"], n),
        }
    )


@pytest.fixture(scope="module")
def sets() -> dict[str, pl.DataFrame]:
    return {
        "train": _population(500, 1),
        "control": _population(500, 2),
        "independent": _population(500, 3),
    }


def test_wilson_interval_known_answer() -> None:
    # Wilson score with z = 1.959964: (50 + 1.92) / 103.84 and its half-width
    rate, err = success_rate(100, 50, 0.95)
    assert rate == pytest.approx(0.5, abs=1e-12)
    assert err == pytest.approx(0.0961685, rel=1e-5)
    rate, err = success_rate(500, 0, 0.95)
    assert rate == pytest.approx(3.8415 / 2 / 503.8415, rel=1e-4)


def test_risk_is_residual_over_control() -> None:
    r = AttackResult.from_counts("t", n_attacks=200, n_success=120, n_baseline=10, n_control=40)
    main, _ = success_rate(200, 120, 0.95)
    ctrl, _ = success_rate(200, 40, 0.95)
    assert r.risk == pytest.approx((main - ctrl) / (1 - ctrl))
    assert r.ci[0] < r.risk < r.ci[1]
    no_control = AttackResult.from_counts(
        "t", n_attacks=200, n_success=120, n_baseline=10, n_control=None
    )
    assert no_control.risk == pytest.approx(main)


def test_singling_out_copy_is_high_independent_is_low(sets: dict[str, pl.DataFrame]) -> None:
    copy = singling_out_risk(sets["train"], sets["train"], sets["control"], n_attacks=200, seed=0)
    indep = singling_out_risk(
        sets["train"], sets["independent"], sets["control"], n_attacks=200, seed=0
    )
    assert copy.risk > 0.5
    assert indep.risk < 0.1
    assert indep.ci[0] == 0.0 or indep.ci[0] < 0.05
    assert copy.n_success > copy.n_baseline


def test_singling_out_univariate_mode(sets: dict[str, pl.DataFrame]) -> None:
    copy = singling_out_risk(
        sets["train"], sets["train"], sets["control"], n_attacks=50, mode="univariate", seed=0
    )
    assert copy.attack == "singling_out_univariate"
    assert copy.n_success > 0


def test_linkability_copy_is_high_independent_is_low(sets: dict[str, pl.DataFrame]) -> None:
    aux = (["age", "zip"], ["income", "sex"])
    copy = linkability_risk(
        sets["train"], sets["train"], aux, sets["control"], n_attacks=200, seed=0
    )
    indep = linkability_risk(
        sets["train"], sets["independent"], aux, sets["control"], n_attacks=200, seed=0
    )
    assert copy.risk > 0.8
    assert indep.risk < 0.1


def test_inference_copy_is_high_independent_is_low(sets: dict[str, pl.DataFrame]) -> None:
    aux = ["age", "zip", "sex", "income"]
    copy = inference_risk(
        sets["train"], sets["train"], aux, "diag", sets["control"], n_attacks=200, seed=0
    )
    indep = inference_risk(
        sets["train"], sets["independent"], aux, "diag", sets["control"], n_attacks=200, seed=0
    )
    assert copy.risk > 0.8
    assert indep.risk < 0.1
    numeric = inference_risk(
        sets["train"], sets["train"], ["age", "zip", "sex"], "income", n_attacks=100, seed=0
    )
    assert numeric.details["regression"] is True


def test_attacks_are_seeded(sets: dict[str, pl.DataFrame]) -> None:
    a = singling_out_risk(sets["train"], sets["independent"], n_attacks=50, seed=4)
    b = singling_out_risk(sets["train"], sets["independent"], n_attacks=50, seed=4)
    assert a == b


def test_nulls_are_handled(sets: dict[str, pl.DataFrame]) -> None:
    train = sets["train"].with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0).then(None).otherwise(pl.col("zip")).alias("zip"),
        pl.when(pl.int_range(pl.len()) % 5 == 0).then(None).otherwise(pl.col("age")).alias("age"),
    )
    r = linkability_risk(train, train, (["age", "zip"], ["income"]), n_attacks=50, seed=1)
    assert r.risk > 0.5
    s = singling_out_risk(train, train, n_attacks=50, seed=1)
    assert s.n_success > 0


def test_bad_arguments(sets: dict[str, pl.DataFrame]) -> None:
    with pytest.raises(InputError, match="mode"):
        singling_out_risk(sets["train"], sets["train"], mode="bivariate")
    with pytest.raises(InputError, match="aux_cols"):
        linkability_risk(sets["train"], sets["train"], ([], ["age"]))
    with pytest.raises(InputError, match="secret"):
        inference_risk(sets["train"], sets["train"], ["age"], "age")
