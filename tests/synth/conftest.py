"""Fixtures for the synthesis tests: small seeded tables shaped like data_samples/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
import pytest

CITIES = {"Springfield": "627", "Riverton": "841", "Lakeside": "301", "Hillview": "950"}
FIRST = ["Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan", "Kai", "Logan"]
LAST = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Novak", "Haddad", "Silva", "Kowalski"]


def patients(n: int = 300, seed: int = 0) -> pl.DataFrame:
    """A patients-like table: identifiers, quasi-identifiers and sensitive columns."""
    rng = np.random.default_rng(seed)
    city = rng.choice(list(CITIES), size=n, p=[0.4, 0.3, 0.2, 0.1])
    zips = [CITIES[c] + f"{rng.integers(10, 30):02d}" for c in city]
    age = np.clip(rng.gamma(4.0, 11.0, size=n), 1, 99).astype(int)
    dob = [
        dt.date(2024, 1, 1) - dt.timedelta(days=int(a * 365.25 + rng.integers(0, 365))) for a in age
    ]
    diag = np.where(
        age > 60, rng.choice(["I10", "E11", "I25"], n), rng.choice(["J06", "S93", "F41"], n)
    )
    charges = np.round(rng.lognormal(7.5, 0.6, size=n) * (1 + age / 100), 2)
    first = rng.choice(FIRST, n)
    last = rng.choice(LAST, n)
    return pl.DataFrame(
        {
            "patient_id": [f"P{i:06d}" for i in range(n)],
            "full_name": [f"{a} {b}-{i}" for i, (a, b) in enumerate(zip(first, last, strict=True))],
            "email": [
                f"{a.lower()}.{b.lower()}{i}@mail.example"
                for i, (a, b) in enumerate(zip(first, last, strict=True))
            ],
            "ssn": [
                f"{rng.integers(100, 899):03d}-{rng.integers(10, 99):02d}-{i:04d}" for i in range(n)
            ],
            "date_of_birth": [d.isoformat() for d in dob],
            "sex": rng.choice(["F", "M"], n),
            "zip_code": zips,
            "city": city,
            "age": age,
            "diagnosis_code": diag,
            "total_charges": charges,
            "notes": [
                f"Seen by Dr {rng.choice(LAST)}; call {rng.integers(200, 999)}-555-{i:04d}"
                for i in range(n)
            ],
        }
    )


PATIENT_PII = {
    "patient_id": {"role": "direct_identifier", "pii_type": "record_key"},
    "full_name": {"role": "direct_identifier", "pii_type": "person_name"},
    "email": {"role": "direct_identifier", "pii_type": "email"},
    "ssn": {"role": "direct_identifier", "pii_type": "national_id"},
    "date_of_birth": {"role": "quasi_identifier", "pii_type": "date_of_birth"},
    "sex": {"role": "quasi_identifier", "pii_type": None},
    "zip_code": {"role": "quasi_identifier", "pii_type": "postal_code"},
    "city": {"role": "quasi_identifier", "pii_type": None},
    "age": {"role": "quasi_identifier", "pii_type": None},
    "diagnosis_code": {"role": "sensitive", "pii_type": None},
    "total_charges": {"role": "sensitive", "pii_type": None},
    "notes": {"role": "sensitive", "pii_type": "free_text"},
}


def customers_orders(n_customers: int = 60, seed: int = 0) -> dict[str, pl.DataFrame]:
    """customers (primary key customer_id) and orders (foreign key customer_id)."""
    rng = np.random.default_rng(seed)
    customers = pl.DataFrame(
        {
            "customer_id": np.arange(1, n_customers + 1),
            "email": [f"cust{i}@shop.example" for i in range(n_customers)],
            "segment": rng.choice(["consumer", "business", "vip"], n_customers, p=[0.6, 0.3, 0.1]),
            "signup_year": rng.integers(2015, 2024, n_customers),
        }
    )
    per = rng.poisson(3, n_customers) + 1
    cust = np.repeat(customers["customer_id"].to_numpy(), per)
    n_orders = cust.size
    orders = pl.DataFrame(
        {
            "order_id": np.arange(1000, 1000 + n_orders),
            "customer_id": cust,
            "amount": np.round(rng.gamma(2.0, 40.0, n_orders), 2),
            "channel": rng.choice(["web", "store", "phone"], n_orders),
        }
    )
    return {"customers": customers, "orders": orders}


@pytest.fixture(scope="session")
def patients_df() -> pl.DataFrame:
    return patients(300)


@pytest.fixture(scope="session")
def shop() -> dict[str, pl.DataFrame]:
    return customers_orders(50)


@pytest.fixture(scope="session")
def shop_holdout() -> dict[str, pl.DataFrame]:
    """30 customers of the same shop, never used for fitting."""
    return customers_orders(30, seed=9)


@pytest.fixture(scope="session")
def fitted(patients_df: pl.DataFrame) -> Any:
    """One GaussianCopula fit with a 30 % holdout, reused by the tests."""
    import privlab as pv

    return pv.synthesize(patients_df, rows=250, profile=PATIENT_PII, seed=11, holdout=0.3)


@pytest.fixture(scope="session")
def fitted_hma(shop: dict[str, pl.DataFrame]) -> Any:
    import privlab as pv

    return pv.synthesize(shop, model="hma", profile={"email": "email"}, seed=5)


@pytest.fixture(scope="session")
def patient_pii() -> dict[str, dict[str, str | None]]:
    return PATIENT_PII
