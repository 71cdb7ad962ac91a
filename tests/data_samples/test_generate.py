"""data_samples/generate.py: byte-identical regeneration, answer key, realistic structure."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "data_samples"
TABLES = ["patients", "customers", "orders", "employees"]


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate", SAMPLES / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("regenerated")
    load_generator().generate(out)
    return out


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return {name: pl.read_csv(SAMPLES / f"{name}.csv", infer_schema=False) for name in TABLES}


def test_regeneration_is_byte_identical(regenerated: Path) -> None:
    for name in [*TABLES, "answer_key"]:
        suffix = "json" if name == "answer_key" else "csv"
        assert sha(regenerated / f"{name}.{suffix}") == sha(SAMPLES / f"{name}.{suffix}"), name


def test_sizes_and_row_counts(tables: dict[str, pl.DataFrame]) -> None:
    total = sum((SAMPLES / f"{n}.csv").stat().st_size for n in TABLES)
    assert total < 5_000_000
    assert {n: t.height for n, t in tables.items()} == {
        "patients": 5000,
        "customers": 2000,
        "orders": 10000,
        "employees": 1500,
    }
    assert tables["patients"].columns == [
        "patient_id", "full_name", "email", "phone", "ssn", "date_of_birth", "sex", "zip_code",
        "city", "admission_date", "discharge_date", "diagnosis_code", "diagnosis",
        "insurance_plan", "total_charges", "notes",
    ]  # fmt: skip
    assert tables["employees"].columns == [
        "employee_id", "name", "email", "department", "job_title", "hire_date", "birth_year",
        "gender", "zip_code", "salary", "performance_rating",
    ]  # fmt: skip


def test_answer_key_covers_every_column_exactly(tables: dict[str, pl.DataFrame]) -> None:
    key = json.loads((SAMPLES / "answer_key.json").read_text())
    roles = {"direct_identifier", "quasi_identifier", "sensitive", "other"}
    for name, frame in tables.items():
        assert list(key[name]) == frame.columns, name
        for column, entry in key[name].items():
            assert entry["role"] in roles, (name, column)
            assert "pii_type" in entry


def test_foreign_key_integrity(tables: dict[str, pl.DataFrame]) -> None:
    orders, customers = tables["orders"], tables["customers"]
    assert orders["customer_id"].is_in(customers["customer_id"].implode()).all()
    assert customers["customer_id"].is_unique().all()
    assert orders["order_id"].is_unique().all()
    assert tables["patients"]["patient_id"].is_unique().all()
    # a few customers order a lot (skew), most order little
    per_customer = orders.group_by("customer_id").len()["len"]
    assert per_customer.max() > 5 * per_customer.median()  # type: ignore[operator]


def test_patients_are_realistic(tables: dict[str, pl.DataFrame]) -> None:
    p = tables["patients"].with_columns(
        pl.col("admission_date").str.to_date(),
        pl.col("discharge_date").str.to_date(),
        pl.col("date_of_birth").str.to_date(),
        pl.col("total_charges").cast(pl.Float64),
    )
    assert (p["discharge_date"] >= p["admission_date"]).all()
    age = ((p["admission_date"] - p["date_of_birth"]).dt.total_days() / 365.25).floor()
    p = p.with_columns(age=age)
    assert p["age"].median() > 50  # a hospital skews old  # type: ignore[operator]
    # ZIP codes cluster by city: every ZIP belongs to exactly one city
    assert p.group_by("zip_code").agg(pl.col("city").n_unique())["city"].max() == 1
    # k-anonymity on (age, sex, zip) is far from met: many sample uniques
    classes = p.group_by("age", "sex", "zip_code").len()
    assert classes["len"].min() == 1
    assert (classes["len"] == 1).sum() > 500
    # diagnoses correlate with age and sex
    by_dx = p.group_by("diagnosis_code").agg(
        pl.col("age").mean(), (pl.col("sex") == "F").mean().alias("female")
    )
    ages = dict(zip(by_dx["diagnosis_code"], by_dx["age"], strict=True))
    assert ages["S72.001A"] > ages["K35.80"] + 30
    female = dict(zip(by_dx["diagnosis_code"], by_dx["female"], strict=True))
    assert female["O80"] == 1.0
    # Medicare for the old
    old = p.filter(pl.col("age") >= 65)
    assert (old["insurance_plan"].str.starts_with("Medicare")).mean() > 0.95  # type: ignore[operator]
    # about one note in five carries PII
    pii = p["notes"].str.contains(r"@|\d{3}[-. ]\d{4}|Spoke with|Discussed plan with").mean()
    assert 0.15 < pii < 0.25  # type: ignore[operator]


def test_salaries_follow_department_and_seniority(tables: dict[str, pl.DataFrame]) -> None:
    e = tables["employees"].with_columns(pl.col("salary").cast(pl.Int64))
    by_dept = e.group_by("department").agg(pl.col("salary").median())
    medians = dict(zip(by_dept["department"], by_dept["salary"], strict=True))
    assert medians["Legal"] > 1.4 * medians["Operations"]
    senior = e.filter(pl.col("job_title").str.starts_with("Director"))["salary"].median()
    junior = e.filter(pl.col("job_title").str.starts_with("Associate"))["salary"].median()
    assert senior > 1.8 * junior  # type: ignore[operator]
    hire_year = e["hire_date"].str.slice(0, 4).cast(pl.Int64)
    age_at_hire = hire_year - e["birth_year"].cast(pl.Int64)
    assert age_at_hire.min() >= 20  # type: ignore[operator]
