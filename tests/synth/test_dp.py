"""model="dp_aim" (OpenDP contingency tables). Needs the optional ``opendp[mbi]`` extra."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

import privlab as pv
from privlab.exceptions import SynthesisError

BOUNDS = {
    "age": (0, 100),
    "total_charges": (0, 20_000),
    "date_of_birth": ("1920-01-01", "2024-01-01"),
}


def test_missing_bounds_are_refused(patients_df: pl.DataFrame, patient_pii: dict[str, Any]) -> None:
    pytest.importorskip("mbi")
    with pytest.raises(SynthesisError, match="public bounds"):
        pv.synthesize(patients_df, model="dp_aim", profile=patient_pii)


@pytest.mark.slow
def test_dp_synthesis_end_to_end(patients_df: pl.DataFrame, patient_pii: dict[str, Any]) -> None:
    pytest.importorskip("mbi")
    params = {"epsilon": 2.0, "algorithm": "mst", "bins": 8, "bounds": BOUNDS}
    syn = pv.synthesize(
        patients_df, model="dp_aim", rows=150, profile=patient_pii, seed=2, model_params=params
    )
    assert syn.data.shape == (150, patients_df.width)
    assert syn.data.schema == patients_df.schema
    assert syn.params["dp"]["epsilon"] == 2.0
    assert syn.data["age"].is_between(0, 100).all()
    for col in ["full_name", "email", "ssn"]:
        assert not syn.data[col].is_in(patients_df[col].implode()).any()
