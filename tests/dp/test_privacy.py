"""OpenDP's own privacy map of every measurement a release ran is within what was charged.

Attacker (the standard DP adversary): sees every released answer and knows every row but
one person's; the guarantee holds only if the measurement OpenDP actually ran costs no
more than the ε and δ the ledger charged. This test iterates over every query type and
option — bounds, nulls, groups with and without public keys, user level, release_many and
automatic bounds — and checks OpenDP's map, not privlab's arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest

import privlab.dp as pdp

N = 1_200
KEYS = ["F", "M", "X"]


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    rng = np.random.default_rng(8)
    age = rng.integers(18, 90, N).astype(float)
    age[rng.random(N) < 0.1] = np.nan
    return pl.DataFrame(
        {
            "pid": np.arange(N) // 3,
            "sex": rng.choice(KEYS[:2], N),
            "age": pl.Series(age).fill_nan(None),
            "income": rng.lognormal(10, 1, N),
            "visits": rng.integers(0, 20, N),
        }
    )


Release = Callable[[Any], list[pl.DataFrame]]

CASES: dict[str, Release] = {
    "count rows": lambda s: [s.count(epsilon=0.3)],
    "count values": lambda s: [s.count("age", epsilon=0.3)],
    "count by keys": lambda s: [s.count(by="sex", keys=KEYS, epsilon=0.3)],
    "count by, no keys (δ)": lambda s: [s.count(by="sex", epsilon=0.3, delta=1e-7)],
    "sum integer": lambda s: [s.sum("visits", bounds=(0, 19), epsilon=0.3)],
    "sum float, nulls dropped": lambda s: [s.sum("age", bounds=(18, 90), epsilon=0.3)],
    "sum, nulls imputed": lambda s: [
        s.sum("age", bounds=(18, 90), epsilon=0.3, nulls="impute", impute_value=40.5)
    ],
    "sum by keys": lambda s: [s.sum("income", bounds=(0, 1e5), by="sex", keys=KEYS, epsilon=0.3)],
    "mean": lambda s: [s.mean("income", bounds=(0, 1e5), epsilon=0.3)],
    "mean, nulls dropped": lambda s: [s.mean("age", bounds=(18, 90), epsilon=0.3)],
    "mean, nulls imputed": lambda s: [
        s.mean("age", bounds=(18, 90), epsilon=0.3, nulls="impute", impute_value=50)
    ],
    "mean by keys": lambda s: [s.mean("age", bounds=(18, 90), by="sex", keys=KEYS, epsilon=0.3)],
    "mean by, no keys (δ)": lambda s: [
        s.mean("age", bounds=(18, 90), by="sex", epsilon=0.3, delta=1e-7)
    ],
    "mean, auto bounds": lambda s: [s.mean("income", bounds="auto", epsilon=0.3)],
    "sum by keys, auto bounds": lambda s: [
        s.sum("income", bounds="auto", by="sex", keys=KEYS, epsilon=0.3)
    ],
    "quantile": lambda s: [s.quantile("visits", 0.5, bounds=(0, 20), epsilon=0.3)],
    "histogram, edges": lambda s: [s.histogram("income", edges=[1e4, 5e4], epsilon=0.3)],
    "histogram, categories, no keys (δ)": lambda s: [s.histogram("sex", epsilon=0.3, delta=1e-7)],
    "release_many": lambda s: s.release_many(
        [
            pdp.count(by="sex", keys=KEYS),
            pdp.sum("visits", bounds=(0, 19), by="sex", keys=KEYS),
            pdp.mean("age", bounds=(18, 90), by="sex", keys=KEYS),
        ],
        epsilon=[0.1, 0.1, 0.1],
    ),
    "release_many with auto bounds": lambda s: s.release_many(
        [pdp.mean("income", bounds="auto"), pdp.mean("income", bounds=(0, 1e5))], epsilon=0.3
    ),
}

SLOW_UNIT = "user level, groups per id"
UNITS: dict[str, dict[str, Any]] = {
    "rows": {},
    "two rows per person": {"contributions": 2},
    "user level": {"identifier": "pid", "max_rows_per_id": 2},
    "user level, groups per id": {
        "identifier": "pid",
        "max_rows_per_id": 2,
        "max_groups_per_id": 1,
    },
}


@pytest.mark.parametrize(
    "unit",
    [
        pytest.param(u, marks=pytest.mark.slow) if u in {"two rows per person", SLOW_UNIT} else u
        for u in UNITS
    ],
)
def test_openDPs_map_of_every_measurement_is_within_the_charge(
    table: pl.DataFrame, unit: str
) -> None:
    with pdp.DPSession(table, dataset=f"privacy-{unit}", **UNITS[unit]) as s:
        pdp.set_budget(s.name, epsilon=1_000.0, delta=1e-3)
        d_in = s._planner.d_in
        for name, release in CASES.items():
            before = s.ledger().height
            answers = release(s)
            rows = s.ledger().slice(before)
            assert rows["status"].to_list() == ["spent"] * rows.height, name
            assert rows["release_id"].n_unique() == 1, name
            charged_eps = math.fsum(rows["epsilon"].to_list())
            charged_delta = math.fsum(rows["delta"].to_list())
            ran = s.last_release
            assert ran, name
            mapped = [m.map(d_in) for m, _, _ in ran]
            eps = math.fsum(float(e) for e, _ in mapped)
            delta = math.fsum(float(d) for _, d in mapped)
            assert eps <= charged_eps * (1 + 1e-12), (name, eps, charged_eps)
            assert delta <= charged_delta + 1e-18, (name, delta, charged_delta)
            for m, _, _ in ran:  # and OpenDP's own check against the whole charge
                assert m.check(d_in, (charged_eps, charged_delta)), name
            # what each answer states is what the ledger charged for it
            stated = math.fsum(float(a["epsilon"][0]) for a in answers if a.height)
            assert stated <= charged_eps * (1 + 1e-12), name
