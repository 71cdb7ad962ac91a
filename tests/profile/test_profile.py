"""Profiling against the answer key, renamed columns, decoys, bad input, no leaked values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import privlab as pv
from privlab.profile import Profile, text_pii_patterns, validate

TABLES = ["patients", "customers", "orders", "employees"]
ROLES = ("direct_identifier", "quasi_identifier", "sensitive", "other")


@pytest.fixture(scope="module")
def key(samples_dir: Path) -> dict[str, dict[str, dict[str, str]]]:
    return json.loads((samples_dir / "answer_key.json").read_text())


@pytest.fixture(scope="module")
def tables(samples_dir: Path) -> dict[str, pl.DataFrame]:
    return {t: pv.read(samples_dir / f"{t}.csv").collect() for t in TABLES}


def score(
    tables: dict[str, pl.DataFrame], key: dict[str, dict[str, dict[str, str]]], *, rename: bool
) -> tuple[float, dict[str, dict[str, float]], list[str]]:
    pairs = []
    for t, frame in tables.items():
        data = (
            frame.rename({c: f"c{i:02d}" for i, c in enumerate(frame.columns)}) if rename else frame
        )
        profile = pv.profile(data, seed=1)
        for original, col in zip(frame.columns, profile.columns, strict=True):
            pairs.append((f"{t}.{original}", key[t][original]["role"], col.role))
    accuracy = sum(e == g for _, e, g in pairs) / len(pairs)
    per_role = {}
    for role in ROLES:
        tp = sum(e == role and g == role for _, e, g in pairs)
        predicted = sum(g == role for _, _, g in pairs)
        actual = sum(e == role for _, e, _ in pairs)
        per_role[role] = {
            "precision": tp / predicted if predicted else 1.0,
            "recall": tp / actual if actual else 1.0,
        }
    missed = [name for name, e, g in pairs if e == "direct_identifier" and g != e]
    return accuracy, per_role, missed


def test_roles_match_the_answer_key(tables: dict[str, pl.DataFrame], key: dict) -> None:
    accuracy, per_role, missed = score(tables, key, rename=False)
    assert missed == []  # every direct identifier found
    assert accuracy >= 0.95, per_role
    assert per_role["direct_identifier"]["recall"] == 1.0
    assert per_role["direct_identifier"]["precision"] >= 0.9


def test_values_alone_carry_it_with_meaningless_names(
    tables: dict[str, pl.DataFrame], key: dict
) -> None:
    accuracy, per_role, missed = score(tables, key, rename=True)
    assert missed == []  # every direct identifier found from values alone
    # what values cannot reveal (a department is a quasi-identifier, a rating is sensitive,
    # an order number is not a person's key) is lost without names; the rest holds
    assert accuracy >= 0.90, per_role
    assert per_role["direct_identifier"]["recall"] == 1.0


def test_semantic_types_of_the_patients(tables: dict[str, pl.DataFrame]) -> None:
    p = pv.profile(tables["patients"])
    types = {c.name: c.semantic_type for c in p.columns}
    assert types["email"] == "email"
    assert types["phone"] == "phone"
    assert types["ssn"] == "national_id"
    assert types["full_name"] == "person_name"
    assert types["date_of_birth"] == "date_of_birth"
    assert types["admission_date"] == "date"
    assert types["zip_code"] == "postal_code"
    assert types["diagnosis_code"] == "health_code"
    assert types["notes"] == "free_text"
    notes = p.column("notes").evidence["pii_in_text"]
    assert set(notes) >= {"email", "phone", "person_name"}
    assert 0.03 < notes["email"]["share_of_rows"] < 0.1


def test_names_only_add_evidence() -> None:
    emails = ["ana.ruiz@example.org", "li.wei@mail.com", "sam@corp.net", "j.doe@x.io"] * 25
    orders = [f"ORD-{100000 + i}" for i in range(100)]
    data = pl.DataFrame({"contact": emails, "phone_ext": orders})
    p = pv.profile(data)
    assert p.column("contact").semantic_type == "email"
    assert p.column("phone_ext").semantic_type != "phone"


def test_decoys_are_not_pii() -> None:
    rng = np.random.default_rng(4)
    decoys = pl.DataFrame(
        {
            "order_number": [f"ORD-{i:07d}" for i in range(2000)],
            "product_code": [f"SKU-{rng.integers(10000, 99999)}-B" for _ in range(2000)],
            "ssn": rng.integers(100_000_000, 999_999_999, 2000),  # random 9-digit integers
            "sin": [str(v) for v in rng.integers(100_000_000, 999_999_999, 2000)],
        }
    )
    p = pv.profile(decoys)
    pii = {"email", "phone", "national_id", "credit_card", "iban", "ip_address", "person_name"}
    for col in p.columns:
        assert col.semantic_type not in pii, (col.name, col.semantic_type, col.evidence)
    assert p.column("product_code").role == "other"


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("national_id", "123-45-6789", "666-45-6789"),  # US SSN ranges
        ("national_id", "AB 12 34 56 C", "BG 12 34 56 C"),  # UK NINO prefixes
        ("national_id", "046 454 286", "046 454 287"),  # Canadian SIN (Luhn)
        ("national_id", "1 85 05 78 006 084 91", "1 85 05 78 006 084 92"),  # French NIR
        ("credit_card", "4111 1111 1111 1111", "4111 1111 1111 1112"),
        ("iban", "GB82 WEST 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 33"),
        ("ip_address", "2001:db8::1", "2001:db8:::1"),
    ],
)
def test_validators(kind: str, good: str, bad: str) -> None:
    assert validate(kind, pl.Series([good, bad])).to_list() == [True, False]


def test_text_patterns_find_pii_in_free_text() -> None:
    pats = text_pii_patterns()
    text = pl.Series(["Call daughter Jane Miller at (617) 555-0199 or jane@example.com."])
    for kind in ("email", "phone", "person_name"):
        assert text.str.contains(pats[kind]).item(), kind


@pytest.mark.parametrize(
    ("frame", "fragment"),
    [
        (pl.DataFrame({"a": pl.Series([], dtype=pl.String)}), "no rows"),
        (pl.DataFrame({"a": [None, None]}, schema={"a": pl.String}), "missing"),
        (pl.DataFrame({"a": [[1, 2], [3]]}), "cannot be profiled"),
        (pl.DataFrame({"a": [b"\x00\x01", b"\x02"]}), "cannot be profiled"),
    ],
)
def test_bad_input_is_unknown_with_a_reason(frame: pl.DataFrame, fragment: str) -> None:
    col = pv.profile(frame).columns[0]
    assert col.semantic_type == "unknown"
    assert col.reason is not None
    assert fragment in col.reason


def test_mixed_and_very_long_values_do_not_crash() -> None:
    import pandas as pd

    mixed = pd.DataFrame({"m": [1, "two", 3.0, None] * 5})
    p = pv.profile(pl.from_pandas(mixed.astype(str)))
    assert p.columns[0].semantic_type in {"categorical", "text", "unknown"}
    long = pl.DataFrame({"t": ["word " * 50_000, "another " * 30_000]})
    assert pv.profile(long).column("t").semantic_type in {"free_text", "text"}


def test_no_raw_value_in_any_output(tables: dict[str, pl.DataFrame]) -> None:
    frame = tables["patients"]
    p = pv.profile(frame)
    outputs = [p.to_json(), p.to_yaml(), repr(p), str(p.to_frame().to_dicts())]
    planted = [
        *frame["email"].head(50).to_list(),
        *frame["ssn"].head(50).to_list(),
        *frame["phone"].head(50).to_list(),
        *frame["full_name"].head(50).to_list(),
    ]
    for text in outputs:
        for value in planted:
            assert value not in text, value
    masked = p.column("notes").evidence["pii_in_text"]["email"]["masked_examples"]
    assert all("***@" in m for m in masked)


def test_overrides_and_round_trips(tables: dict[str, pl.DataFrame]) -> None:
    p = pv.profile(tables["employees"])
    p.set_role("department", "other")
    again = Profile.from_json(p.to_json())
    assert again.column("department").role == "other"
    assert again.column("department").overridden
    assert Profile.from_yaml(p.to_yaml()).roles() == p.roles()
    assert p.to_frame().height == tables["employees"].width
    with pytest.raises(pv.exceptions.InputError, match="role must be one of"):
        p.set_role("salary", "secret")


def test_qi_risk_on_all_rows() -> None:
    data = pl.DataFrame(
        {"zip": ["02139"] * 3 + ["94107"] * 2 + ["10001"], "sex": ["F", "F", "M", "F", "F", "M"]}
    )
    p = pv.profile(data)
    assert set(p.quasi_identifiers) == {"zip", "sex"}
    risk = p.qi_risk
    assert risk["min_class_size"] == 1
    assert risk["unique_share"] == pytest.approx(2 / 6, abs=1e-4)  # (02139, M), (10001, M)
    assert risk["risky_combinations"][0]["columns"] == ["zip", "sex"]


def test_suggested_recipe(tables: dict[str, pl.DataFrame]) -> None:
    p = pv.profile(tables["patients"])
    d = p._suggest_recipe_dict()
    drop = next(s for s in d["steps"] if s["op"] == "drop")
    assert {"full_name", "email", "phone", "ssn"} <= set(drop["columns"])
    assert any(s["op"] == "pseudonymize" and s["columns"] == ["patient_id"] for s in d["steps"])
    assert any(s["op"] == "redact_text" for s in d["steps"])
    assert d["privacy"]["k"] == 5
    assert "zip_code" in d["privacy"]["quasi_identifiers"]
    recipe = p.suggest_recipe()
    assert isinstance(recipe, pv.Recipe)


def test_random_integer_keys_named_as_identifiers_are_record_keys() -> None:
    """Keys drawn at random (SDV's, hashed ids) are neither dense nor of one length.

    Regression: ``record_id`` with 3,000 random values in [0, 10M) profiled as a plain
    number, so the release guard compared no synthetic key with the real ones. The
    name decides with uniqueness; the same values under a measurement's name, or a
    name that merely ends in letters "id" (``paid``), stay numbers.
    """
    rng = np.random.default_rng(0)
    values = rng.choice(np.arange(0, 10_000_000), 3_000, replace=False)
    frame = pl.DataFrame({"record_id": values, "caseID": values, "paid": values, "income": values})
    for exact in (True, False):
        roles = pv.profile(frame, exact=exact, qi_analysis=False).roles()
        assert roles["record_id"] == roles["caseID"] == "direct_identifier", (exact, roles)
        assert roles["paid"] != "direct_identifier", (exact, roles)
        assert roles["income"] != "direct_identifier", (exact, roles)
