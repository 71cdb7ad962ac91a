"""Generate privlab's sample tables: seeded, realistic in structure, and fake.

Every person, number and address here is invented (Faker and numpy); running
this script again writes byte-identical files (Faker is pinned in pyproject.toml).

Tables
------
patients.csv   ~5,000 hospital stays: identifiers, demographics, diagnoses, charges,
               free-text notes (about 1 in 5 mentions an email, phone or a name)
customers.csv  ~2,000 shop customers (with a Luhn-valid card number and an IP address)
orders.csv     ~10,000 orders, ``customer_id`` → customers
employees.csv  ~1,500 staff with department- and seniority-driven salaries

``answer_key.json`` records, for every column, its true privacy role and PII type.

Usage::

    python data_samples/generate.py [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
from faker import Faker

SEED = 20261128
HERE = Path(__file__).resolve().parent

# city -> (ZIP codes, weight); ZIPs cluster by city (shared 3-digit prefixes)
CITIES = {
    "Boston": (["02108", "02115", "02118", "02124", "02130", "02134"], 0.30),
    "Cambridge": (["02138", "02139", "02140", "02141"], 0.14),
    "Worcester": (["01602", "01603", "01604", "01605", "01606"], 0.18),
    "Springfield": (["01103", "01104", "01107", "01108", "01109"], 0.16),
    "Lowell": (["01850", "01851", "01852", "01854"], 0.12),
    "Providence": (["02903", "02906", "02908", "02909"], 0.10),
}

# ICD-10 code, description, age centre, age spread, female share, mean stay (days), daily cost
DIAGNOSES = [
    ("J18.9", "Pneumonia, unspecified organism", 72, 14, 0.50, 5, 2400),
    ("I21.4", "Non-ST elevation myocardial infarction", 68, 11, 0.35, 4, 5200),
    ("I50.9", "Heart failure, unspecified", 76, 10, 0.48, 6, 2600),
    ("E11.9", "Type 2 diabetes mellitus without complications", 60, 12, 0.47, 3, 1900),
    ("N39.0", "Urinary tract infection, site not specified", 66, 20, 0.78, 3, 1700),
    ("O80", "Encounter for full-term uncomplicated delivery", 30, 5, 1.00, 2, 3100),
    ("S72.001A", "Fracture of unspecified part of neck of right femur", 81, 8, 0.72, 7, 3900),
    ("K35.80", "Unspecified acute appendicitis", 27, 12, 0.45, 2, 4400),
    ("F32.9", "Major depressive disorder, single episode", 41, 15, 0.62, 9, 1200),
    ("J45.909", "Unspecified asthma, uncomplicated", 24, 14, 0.55, 2, 1500),
    ("C50.919", "Malignant neoplasm of unspecified site of breast", 61, 11, 0.99, 4, 4700),
    ("A41.9", "Sepsis, unspecified organism", 70, 15, 0.47, 8, 3600),
    ("I63.9", "Cerebral infarction, unspecified", 74, 11, 0.49, 6, 4100),
    ("M54.50", "Low back pain, unspecified", 49, 14, 0.52, 2, 1300),
    ("K80.20", "Calculus of gallbladder without cholecystitis", 48, 14, 0.70, 2, 3300),
]

PLANS_YOUNG = ["BlueCross PPO", "Aetna HMO", "UnitedHealth Choice", "Harvard Pilgrim", "Self-pay"]
RELATIONS = ["daughter", "son", "wife", "husband", "sister", "brother", "neighbour", "caregiver"]
EMAIL_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "comcast.net", "aol.com"]

DEPARTMENTS = {
    # department: (base salary, weight)
    "Engineering": (118_000, 0.28),
    "Sales": (82_000, 0.20),
    "Operations": (68_000, 0.18),
    "Finance": (92_000, 0.10),
    "Human Resources": (74_000, 0.08),
    "Marketing": (86_000, 0.10),
    "Legal": (125_000, 0.06),
}
LEVELS = [
    ("Associate", 0.82),
    ("Specialist", 1.0),
    ("Senior", 1.25),
    ("Lead", 1.5),
    ("Director", 2.1),
]

ANSWER_KEY = {
    "_conventions": {
        "roles": {
            "direct_identifier": "identifies a person on its own (names, contact details, national "
            "IDs, card numbers, person record keys)",
            "quasi_identifier": "identifies a person in combination (demographics, "
            "locations, dates of events concerning the person: admission, signup, order)",
            "sensitive": "what must not be learned about a person (health, money, performance)",
            "other": "neither",
        },
        "pii_type": "the kind of personal data in the column; null when it holds none. Person "
        "record keys (patient_id, customer_id, employee_id) are 'record_key'. Free text is "
        "'free_text' with 'contains' listing the PII types that occur inside it.",
    },
    "patients": {
        "patient_id": {"role": "direct_identifier", "pii_type": "record_key"},
        "full_name": {"role": "direct_identifier", "pii_type": "person_name"},
        "email": {"role": "direct_identifier", "pii_type": "email"},
        "phone": {"role": "direct_identifier", "pii_type": "phone"},
        "ssn": {"role": "direct_identifier", "pii_type": "national_id"},
        "date_of_birth": {"role": "quasi_identifier", "pii_type": "date_of_birth"},
        "sex": {"role": "quasi_identifier", "pii_type": "sex"},
        "zip_code": {"role": "quasi_identifier", "pii_type": "postal_code"},
        "city": {"role": "quasi_identifier", "pii_type": "city"},
        "admission_date": {"role": "quasi_identifier", "pii_type": "date"},
        "discharge_date": {"role": "quasi_identifier", "pii_type": "date"},
        "diagnosis_code": {"role": "sensitive", "pii_type": "health"},
        "diagnosis": {"role": "sensitive", "pii_type": "health"},
        "insurance_plan": {"role": "other", "pii_type": None},
        "total_charges": {"role": "sensitive", "pii_type": "financial"},
        "notes": {
            "role": "sensitive",
            "pii_type": "free_text",
            "contains": ["email", "phone", "person_name"],
        },
    },
    "customers": {
        "customer_id": {"role": "direct_identifier", "pii_type": "record_key"},
        "name": {"role": "direct_identifier", "pii_type": "person_name"},
        "email": {"role": "direct_identifier", "pii_type": "email"},
        "phone": {"role": "direct_identifier", "pii_type": "phone"},
        "street_address": {"role": "direct_identifier", "pii_type": "street_address"},
        "city": {"role": "quasi_identifier", "pii_type": "city"},
        "zip_code": {"role": "quasi_identifier", "pii_type": "postal_code"},
        "birth_date": {"role": "quasi_identifier", "pii_type": "date_of_birth"},
        "signup_date": {"role": "quasi_identifier", "pii_type": "date"},
        "segment": {"role": "other", "pii_type": None},
        "credit_card": {"role": "direct_identifier", "pii_type": "credit_card"},
        "ip_address": {"role": "direct_identifier", "pii_type": "ip_address"},
    },
    "orders": {
        "order_id": {"role": "other", "pii_type": None},
        "customer_id": {"role": "direct_identifier", "pii_type": "record_key"},
        "order_date": {"role": "quasi_identifier", "pii_type": "date"},
        "product_code": {"role": "other", "pii_type": None},
        "quantity": {"role": "other", "pii_type": None},
        "unit_price": {"role": "other", "pii_type": None},
        "total": {"role": "other", "pii_type": None},
        "status": {"role": "other", "pii_type": None},
    },
    "employees": {
        "employee_id": {"role": "direct_identifier", "pii_type": "record_key"},
        "name": {"role": "direct_identifier", "pii_type": "person_name"},
        "email": {"role": "direct_identifier", "pii_type": "email"},
        "department": {"role": "quasi_identifier", "pii_type": None},
        "job_title": {"role": "quasi_identifier", "pii_type": None},
        "hire_date": {"role": "quasi_identifier", "pii_type": "date"},
        "birth_year": {"role": "quasi_identifier", "pii_type": "date_of_birth"},
        "gender": {"role": "quasi_identifier", "pii_type": "sex"},
        "zip_code": {"role": "quasi_identifier", "pii_type": "postal_code"},
        "salary": {"role": "sensitive", "pii_type": "financial"},
        "performance_rating": {"role": "sensitive", "pii_type": None},
    },
}


def _phone(rng: np.random.Generator) -> str:
    area = int(rng.choice([617, 857, 508, 413, 978, 401, 774]))
    mid, last = int(rng.integers(200, 999)), int(rng.integers(0, 10000))
    fmt = int(rng.integers(0, 4))
    if fmt == 0:
        return f"({area}) {mid}-{last:04d}"
    if fmt == 1:
        return f"{area}-{mid}-{last:04d}"
    if fmt == 2:
        return f"{area}.{mid}.{last:04d}"
    return f"+1 {area} {mid} {last:04d}"


def _email(fake: Faker, rng: np.random.Generator, first: str, last: str) -> str:
    first, last = first.lower(), last.lower().replace("'", "").replace(" ", "")
    style = int(rng.integers(0, 4))
    user = [
        f"{first}.{last}",
        f"{first[0]}{last}",
        f"{first}{last}{int(rng.integers(1, 99))}",
        f"{last}.{first[0]}",
    ][style]
    return f"{user}@{rng.choice(EMAIL_DOMAINS)}"


def _ssn(rng: np.random.Generator) -> str:
    area = int(rng.integers(1, 899))
    while area == 666:
        area = int(rng.integers(1, 899))
    return f"{area:03d}-{int(rng.integers(1, 100)):02d}-{int(rng.integers(1, 10000)):04d}"


def _city_zip(rng: np.random.Generator) -> tuple[str, str]:
    names = list(CITIES)
    weights = np.array([CITIES[c][1] for c in names])
    city = names[int(rng.choice(len(names), p=weights / weights.sum()))]
    zips = CITIES[city][0]
    zip_weights = np.linspace(2.0, 1.0, len(zips))  # first ZIPs more populous
    return city, zips[int(rng.choice(len(zips), p=zip_weights / zip_weights.sum()))]


def _note(fake: Faker, rng: np.random.Generator, dx: str) -> str:
    base = [
        f"Admitted for {dx.lower()}. Vitals stable on arrival.",
        f"Patient presented with symptoms consistent with {dx.lower()}; started treatment.",
        "Reviewed medication list. No known drug allergies.",
        "Follow-up in clinic in two weeks. Patient educated on warning signs.",
        f"Course uncomplicated; {dx.lower()} improving.",
        "Pain controlled with oral analgesics. Ambulating independently.",
    ]
    text = str(rng.choice(base))
    roll = rng.random()
    if roll < 0.08:
        name = f"{fake.first_name()} {fake.last_name()}"
        text += f" Spoke with {rng.choice(RELATIONS)} {name} at {_phone(rng)} about discharge."
    elif roll < 0.14:
        first, last = fake.first_name(), fake.last_name()
        text += f" Send results to {_email(fake, rng, first, last)} as requested."
    elif roll < 0.20:
        text += (
            f" Discussed plan with {rng.choice(RELATIONS)} {fake.first_name()} {fake.last_name()}."
        )
    return text


def patients(fake: Faker, rng: np.random.Generator, n: int = 5000) -> pl.DataFrame:
    rows = []
    start = dt.date(2023, 1, 1)
    weights = np.array([1.2, 1.0, 1.0, 1.1, 0.9, 0.6, 0.8, 0.7, 0.8, 0.7, 0.5, 0.6, 0.8, 0.9, 0.7])
    for i in range(n):
        k = int(rng.choice(len(DIAGNOSES), p=weights / weights.sum()))
        code, desc, age_c, age_sd, female, stay, daily = DIAGNOSES[k]
        age = int(np.clip(rng.normal(age_c, age_sd), 18 if code == "O80" else 1, 99))
        sex = "F" if rng.random() < female else "M"
        admission = start + dt.timedelta(days=int(rng.integers(0, 730)))
        birth = admission - dt.timedelta(days=int(age * 365.25 + rng.integers(0, 365)))
        los = int(rng.poisson(stay)) + (0 if code in ("O80", "K35.80") else 1)
        discharge = admission + dt.timedelta(days=los)
        city, zip_code = _city_zip(rng)
        if age >= 65:
            plan = "Medicare" if rng.random() < 0.9 else "Medicare Advantage"
        elif rng.random() < 0.18:
            plan = "Medicaid"
        else:
            plan = str(rng.choice(PLANS_YOUNG))
        first = fake.first_name_female() if sex == "F" else fake.first_name_male()
        last = fake.last_name()
        charges = round(float(daily * max(los, 1) * rng.lognormal(0.0, 0.25)), 2)
        rows.append(
            {
                "patient_id": f"P{100000 + i * 7 % 900000:06d}",
                "full_name": f"{first} {last}",
                "email": _email(fake, rng, first, last),
                "phone": _phone(rng),
                "ssn": _ssn(rng),
                "date_of_birth": birth.isoformat(),
                "sex": sex,
                "zip_code": zip_code,
                "city": city,
                "admission_date": admission.isoformat(),
                "discharge_date": discharge.isoformat(),
                "diagnosis_code": code,
                "diagnosis": desc,
                "insurance_plan": plan,
                "total_charges": charges,
                "notes": _note(fake, rng, desc),
            }
        )
    return pl.DataFrame(rows)


def customers(fake: Faker, rng: np.random.Generator, n: int = 2000) -> pl.DataFrame:
    rows = []
    for i in range(n):
        first, last = fake.first_name(), fake.last_name()
        city, zip_code = _city_zip(rng)
        age = int(np.clip(rng.gamma(6.0, 7.0) + 16, 18, 92))
        signup = dt.date(2019, 1, 1) + dt.timedelta(days=int(rng.integers(0, 5 * 365)))
        birth = signup - dt.timedelta(days=int(age * 365.25 + rng.integers(0, 365)))
        ip = fake.ipv4_public() if rng.random() < 0.85 else fake.ipv6()
        rows.append(
            {
                "customer_id": f"C{10000 + i:05d}",
                "name": f"{first} {last}",
                "email": _email(fake, rng, first, last),
                "phone": _phone(rng),
                "street_address": fake.street_address(),
                "city": city,
                "zip_code": zip_code,
                "birth_date": birth.isoformat(),
                "signup_date": signup.isoformat(),
                "segment": str(rng.choice(["consumer", "consumer", "small business", "corporate"])),
                "credit_card": fake.credit_card_number(card_type="visa16"),
                "ip_address": ip,
            }
        )
    return pl.DataFrame(rows)


def orders(rng: np.random.Generator, cust: pl.DataFrame, n: int = 10000) -> pl.DataFrame:
    ids = cust["customer_id"].to_list()
    signups = [dt.date.fromisoformat(s) for s in cust["signup_date"].to_list()]
    activity = rng.pareto(1.6, len(ids)) + 0.2  # a few customers order a lot
    p = activity / activity.sum()
    products = [
        f"SKU-{int(rng.integers(10000, 99999))}-{chr(65 + int(rng.integers(0, 6)))}"
        for _ in range(120)
    ]
    prices = {sku: round(float(rng.lognormal(3.2, 0.8)), 2) for sku in products}
    rows = []
    for i in range(n):
        c = int(rng.choice(len(ids), p=p))
        sku = products[int(rng.zipf(1.4) % len(products))]
        qty = int(min(rng.geometric(0.55), 12))
        day = signups[c] + dt.timedelta(days=int(rng.integers(0, 700)))
        status = str(rng.choice(["delivered"] * 8 + ["shipped", "returned", "cancelled"]))
        rows.append(
            {
                "order_id": f"ORD-{1000000 + i:07d}",
                "customer_id": ids[c],
                "order_date": day.isoformat(),
                "product_code": sku,
                "quantity": qty,
                "unit_price": prices[sku],
                "total": round(prices[sku] * qty, 2),
                "status": status,
            }
        )
    return pl.DataFrame(rows)


def employees(fake: Faker, rng: np.random.Generator, n: int = 1500) -> pl.DataFrame:
    depts = list(DEPARTMENTS)
    w = np.array([DEPARTMENTS[d][1] for d in depts])
    rows = []
    for i in range(n):
        dept = depts[int(rng.choice(len(depts), p=w / w.sum()))]
        tenure = float(np.clip(rng.exponential(5.5), 0, 35))
        hire = dt.date(2026, 6, 30) - dt.timedelta(days=int(tenure * 365.25))
        age_at_hire = int(np.clip(rng.normal(29, 6), 20, 58))
        birth_year = hire.year - age_at_hire
        level_idx = int(np.clip(round(tenure / 4 + rng.normal(0, 0.8)), 0, len(LEVELS) - 1))
        level, mult = LEVELS[level_idx]
        gender = str(rng.choice(["F", "M", "X"], p=[0.47, 0.5, 0.03]))
        first = fake.first_name_female() if gender == "F" else fake.first_name_male()
        last = fake.last_name()
        salary = int(
            round(DEPARTMENTS[dept][0] * mult * (1 + 0.012 * tenure) * rng.lognormal(0, 0.08), -2)
        )
        rating = int(rng.choice([1, 2, 3, 4, 5], p=[0.03, 0.1, 0.45, 0.32, 0.1]))
        title_word = dept.split()[0] if dept != "Human Resources" else "HR"
        role = "Manager" if level == "Director" else "Analyst"
        _, zip_code = _city_zip(rng)
        rows.append(
            {
                "employee_id": f"E{20000 + i:05d}",
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower().replace(' ', '')}@northwind-corp.com",
                "department": dept,
                "job_title": f"{level} {title_word} {role}",
                "hire_date": hire.isoformat(),
                "birth_year": birth_year,
                "gender": gender,
                "zip_code": zip_code,
                "salary": salary,
                "performance_rating": rating,
            }
        )
    return pl.DataFrame(rows)


def generate(out: Path) -> dict[str, Path]:
    """Write every sample table and the answer key into *out*; return their paths."""
    fake = Faker("en_US")
    fake.seed_instance(SEED)
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    cust = customers(fake, rng)
    tables = {
        "patients": patients(fake, rng),
        "customers": cust,
        "orders": orders(rng, cust),
        "employees": employees(fake, rng),
    }
    paths: dict[str, Path] = {}
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        frame.write_csv(path, line_terminator="\n")
        paths[name] = path
    key_path = out / "answer_key.json"
    key_path.write_text(json.dumps(ANSWER_KEY, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    paths["answer_key"] = key_path
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: here)")
    args = parser.parse_args()
    for name, path in generate(args.out).items():
        print(f"{name:<12} {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
