"""pv.synthesize(constraints=...): rules every synthetic row keeps, and clear refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
import pytest

import privlab as pv
from privlab.exceptions import SynthesisError
from privlab.synth import build_metadata
from privlab.synth._constraints import check_constraints

CODES = {"I10": "Essential hypertension", "E11": "Type 2 diabetes", "J06": "Upper respiratory"}
RULES = [
    {"type": "inequality", "low": "admitted", "high": "discharged"},
    {"type": "fixed_combinations", "columns": ["code", "text"]},
]


def stays(n: int = 240, seed: int = 0) -> pl.DataFrame:
    """Admission, a short stay, a diagnosis code with its own text; no identifiers."""
    rng = np.random.default_rng(seed)
    admitted = [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 365, n)]
    stay = rng.integers(0, 4, n)  # short stays: a model without the rule crosses them
    codes = rng.choice(list(CODES), n)
    return pl.DataFrame(
        {
            "admitted": [a.isoformat() for a in admitted],
            "discharged": [
                (a + dt.timedelta(days=int(s))).isoformat()
                for a, s in zip(admitted, stay, strict=True)
            ],
            "code": codes,
            "text": [CODES[c] for c in codes],
            "charges": np.round(rng.lognormal(7, 0.5, n), 2),
        }
    )


def _broken(data: pl.DataFrame) -> tuple[int, int]:
    """(rows discharged before admission, rows whose text is not their code's)."""
    before = int((data["discharged"].str.to_date() < data["admitted"].str.to_date()).sum())
    mismatched = sum(CODES[c] != t for c, t in zip(data["code"], data["text"], strict=True))
    return before, mismatched


@pytest.fixture(scope="module")
def real() -> pl.DataFrame:
    return stays(120)


def test_declared_rules_hold_in_every_row_where_the_model_alone_breaks_them(
    real: pl.DataFrame,
) -> None:
    """Without the rules GaussianCopula breaks both; with them no row does, resampled too."""
    plain = pv.synthesize(real, rows=200, profile={}, seed=5, progress=False)
    before, mismatched = _broken(plain.data)
    assert before > 0  # the rules are not kept by chance
    assert mismatched > 0
    ruled = pv.synthesize(real, rows=200, profile={}, seed=5, constraints=RULES, progress=False)
    assert _broken(ruled.data) == (0, 0)
    assert _broken(ruled.resample(200, seed=6).data) == (0, 0)
    assert ruled.params["constraints"] == RULES  # recorded for the manifest: names only
    assert ruled.manifest()["params"]["constraints"] == RULES


def test_constrained_sampling_writes_nothing_to_stderr(
    real: pl.DataFrame, capfd: pytest.CaptureFixture[str]
) -> None:
    """SDV draws its own tqdm bar for constrained synthesizers; a notebook cell must not show it."""
    syn = pv.synthesize(
        real.head(80), rows=60, profile={}, seed=1, constraints=RULES[:1], progress=False
    )
    assert _broken(syn.data)[0] == 0
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([{"type": "order", "columns": ["a"]}], "type 'order' is not one of"),
        ([{"type": "inequality", "low": "admitted"}], "missing ['high']"),
        ([{"type": "inequality", "low": "admitted", "high": "left"}], "no column 'left'"),
        ([{"type": "fixed_combinations", "columns": ["code"]}], "at least two columns"),
        ({"type": "inequality", "low": "admitted", "high": "discharged"}, "must be a list"),
    ],
)
def test_invalid_rules_are_refused_before_fitting(
    real: pl.DataFrame, rules: Any, expected: str
) -> None:
    with pytest.raises(SynthesisError) as err:
        pv.synthesize(real, rows=10, profile={}, constraints=rules, progress=False)
    assert expected in str(err.value)


def test_every_problem_is_listed_and_generated_columns_are_refused() -> None:
    """A rule over a column drawn fresh with Faker could never hold: say so, with the rest."""
    frame = stays(60).with_columns(email=pl.format("p{}@mail.example", pl.int_range(60)))
    rules = [
        {"type": "inequality", "low": "email", "high": "discharged"},
        {"type": "fixed_combinations", "columns": ["code", "nowhere"], "colour": "red"},
    ]
    with pytest.raises(SynthesisError) as err:
        pv.synthesize(frame, rows=10, profile={"email": "email"}, constraints=rules)
    message = str(err.value)
    assert "constraints[0]: column 'email' is generated" in message
    assert "constraints[1] (fixed_combinations): unknown keys ['colour']" in message


def test_dp_model_refuses_constraints(real: pl.DataFrame) -> None:
    meta = build_metadata({"data": real}, profile={})
    with pytest.raises(SynthesisError, match="dp_aim model cannot keep constraints"):
        check_constraints(RULES[:1], meta, "dp_aim")
    assert check_constraints([], meta, "dp_aim") == []
