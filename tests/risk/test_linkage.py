"""The linkage attack ranks releases the way k says it should, within its interval."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import privlab as pv

KS = [2, 5, 10, 20, 50]


def _k_grid(data: pl.DataFrame, profile: Any, attacker: str = "prosecutor") -> pl.DataFrame:
    t = pv.tradeoff(
        data,
        profile=profile,
        candidates={"k": KS, "l": [], "epsilon": [], "synthetic": []},
        targets=800,
        attacker=attacker,  # type: ignore[arg-type]
        progress=False,
    )
    return t.points


def _assert_non_increasing_in_k(points: pl.DataFrame) -> None:
    rows = {r["label"]: r for r in points.iter_rows(named=True)}
    labels = [f"k={k}" for k in KS if f"k={k}" in rows]
    assert len(labels) >= 3, labels
    for i, small in enumerate(labels):
        for large in labels[i + 1 :]:
            # a larger k never scores above the smaller k's upper end
            assert rows[large]["advantage"] <= rows[small]["advantage_hi"] + 1e-12, (small, large)
    # the raw release is above every k-anonymous one, beyond the intervals
    original = rows["original"]
    assert all(original["advantage_lo"] > rows[k]["advantage_hi"] for k in labels)


@pytest.mark.slow
def test_patients_risk_is_non_increasing_in_k(samples_dir: Path) -> None:
    """Attacker: a prosecutor who knows a patient's birth date, sex, ZIP, city and stay
    dates, and reads each k-anonymous release to learn their diagnosis.

    With suppressed records matching no one (ARX's outlier semantics), a coarser release
    never helps them more — within the 95 % interval of the member-minus-non-member
    advantage. (With `*` treated as a wildcard, k = 50 used to score above k = 2.)
    """
    key = json.loads((samples_dir / "answer_key.json").read_text())["patients"]
    data = pv.read(samples_dir / "patients.csv").collect()
    _assert_non_increasing_in_k(_k_grid(data, key))
    # the journalist cannot tell members from the rest: never more than the prosecutor
    journalist = _k_grid(data, key, attacker="journalist")
    assert journalist.filter(pl.col("label") == "original")["advantage"][0] < 0.95 * float(
        _k_grid(data, key).filter(pl.col("label") == "original")["advantage"][0]
    )


@pytest.mark.slow
@pytest.mark.shared_data
def test_adult_risk_is_non_increasing_in_k(adult_dir: Path) -> None:
    """Attacker: a prosecutor who knows a person's census QIs and reads each k-anonymous
    release of Adult to learn their salary class.

    Members and non-members are scored alike, so the "<=50K for everyone" guess that
    population statistics give is no longer counted as risk.
    """
    data = pl.read_csv(adult_dir / "adult.csv", separator=";")
    roles = {c: "quasi_identifier" for c in data.columns if c != "salary-class"}
    roles["salary-class"] = "sensitive"
    _assert_non_increasing_in_k(_k_grid(data, roles))
