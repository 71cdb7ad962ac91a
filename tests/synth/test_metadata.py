"""build_metadata / sanitize_sdv_metadata: decisions from the Profile, no values leak."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import polars as pl
import pytest

from privlab.exceptions import ColumnNotFoundError, SynthesisError
from privlab.synth import SynthMetadata, build_metadata, sanitize_sdv_metadata


def test_handling_from_answer_key_style_mapping(
    patients_df: pl.DataFrame, patient_pii: dict[str, Any]
) -> None:
    meta = build_metadata({"p": patients_df}, profile=patient_pii)
    plan = {c.name: (c.handling, c.sdtype) for c in meta.tables["p"].columns}
    assert plan["patient_id"] == ("primary_key", "id")
    assert plan["full_name"] == ("generated", "name")
    assert plan["email"] == ("generated", "email")
    assert plan["ssn"] == ("generated", "ssn")
    assert plan["notes"] == ("generated", "text")
    assert plan["zip_code"] == ("modelled", "categorical")
    assert plan["date_of_birth"] == ("modelled", "datetime")
    assert plan["age"] == ("modelled", "numerical")
    assert meta.tables["p"].column("date_of_birth").datetime_format == "%Y-%m-%d"
    assert meta.tables["p"].column("patient_id").key_pattern == "syn-[0-9]{8}"


@dataclass
class _Col:
    name: str
    role: str
    semantic_type: str | None


@dataclass
class _Profile:
    columns: list[_Col]


def test_duck_typed_profile_object() -> None:
    df = pl.DataFrame({"contact": ["a@b.example", "c@d.example"], "n": [1, 2]})
    profile = _Profile([_Col("contact", "direct_identifier", "email"), _Col("n", "other", None)])
    meta = build_metadata({"t": df}, profile=profile)
    assert meta.tables["t"].column("contact").sdtype == "email"
    assert meta.tables["t"].column("n").handling == "modelled"


def test_no_profile_unique_text_is_treated_as_identifier() -> None:
    df = pl.DataFrame({"token": [f"tok{i:04d}" for i in range(50)], "grp": ["a", "b"] * 25})
    plan = build_metadata({"t": df}).tables["t"]
    assert plan.column("token").handling == "generated"
    assert plan.column("grp").handling == "modelled"


def test_key_pattern_avoids_real_prefix() -> None:
    df = pl.DataFrame({"item_id": ["syn-1", "syn-2", "x"], "v": [1, 2, 3]})
    plan = build_metadata({"items": df}).tables["items"]
    assert plan.primary_key == "item_id"
    assert plan.column("item_id").key_pattern == "syn1-[0-9]{8}"


def test_sanitize_strips_values_that_sdv_detection_writes(patients_df: pl.DataFrame) -> None:
    from sdv.metadata import Metadata

    detected = Metadata.detect_from_dataframes({"p": patients_df.to_pandas()})
    raw = json.dumps(detected.to_dict())
    assert '"I10"' in raw  # SDV's detection leaks category values: the check can fail
    assert "range_" in raw
    clean = json.dumps(sanitize_sdv_metadata(detected))
    assert "range_" not in clean
    for value in [*patients_df["diagnosis_code"].unique().to_list(), "F", "M"]:
        assert json.dumps(value) not in clean


def test_round_trip_to_dict(patients_df: pl.DataFrame, patient_pii: dict[str, Any]) -> None:
    meta = build_metadata({"p": patients_df}, profile=patient_pii)
    again = SynthMetadata.from_dict(json.loads(json.dumps(meta.to_dict())))
    assert again == meta


def test_relationship_detection_and_errors(shop: dict[str, pl.DataFrame]) -> None:
    meta = build_metadata(shop)
    assert meta.tables["customers"].primary_key == "customer_id"
    assert meta.tables["orders"].primary_key == "order_id"
    assert meta.tables["orders"].column("customer_id").handling == "foreign_key"
    with pytest.raises(ColumnNotFoundError):
        build_metadata(shop, primary_keys={"customers": "nope"})
    with pytest.raises(SynthesisError, match="not among"):
        build_metadata(shop, relationships=[("clients", "customer_id", "orders", "customer_id")])


def test_unsupported_dtype_is_reported() -> None:
    df = pl.DataFrame({"x": [[1, 2], [3]]})
    with pytest.raises(SynthesisError, match="cannot be synthesized"):
        build_metadata({"t": df})
