"""Detectors beyond US formats: phones, national IDs, dates, names, places, hashes, text."""

from __future__ import annotations

import hashlib

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privlab.detect import (
    find_pii,
    id_evidence,
    name_evidence,
    parse_dates,
    phone_evidence,
    place_evidence,
    random_id_evidence,
)


@pytest.mark.parametrize(
    ("values", "regions"),
    [
        (["+46 (0)8 333 332 42", "+46 8 123 456 78", "+46 (0)31 701 12 34"], ()),
        (["+33 (0)3 87 17 77 63", "+33 1 83 41 77 76", "04 15 39 15 00"], ("FR",)),
        (["0177-763170", "030 12345678", "089 1234567"], ("DE",)),
        (["573.783.1826x14984", "(333)219-8905x3571", "+1-780-563-6083x7783"], ("US",)),
    ],
)
def test_phones_in_national_formats(values: list[str], regions: tuple[str, ...]) -> None:
    ev = phone_evidence(pl.Series(values * 10), regions=regions)
    assert ev is not None
    assert ev["possible_share"] >= 0.9, ev


def test_national_numbers_are_not_read_against_every_region() -> None:
    # bare 9-digit numbers are possible phones somewhere; without a region they stay unread
    ev = phone_evidence(pl.Series(["612345678", "512345678"] * 10))
    assert ev is None or ev["possible_share"] == 0.0


@pytest.mark.parametrize(
    ("values", "scheme"),
    [
        (["111222333", "123456782", "999999990"], "nl.bsn"),  # 11-proef
        (["44051401458", "02070803628", "92071314764"], "pl.pesel"),
        (["390.533.447-05", "529.982.247-25", "111.444.777-35"], "br.cpf"),
        (["12345678Z", "00000000T", "87654321X"], "es.dni"),
        (["RSSMRA85T10A562S", "BNCGNN70A41H501X", "VRDLGU80A01F205N"], "it.codicefiscale"),
    ],
)
def test_checksummed_ids_name_their_scheme(values: list[str], scheme: str) -> None:
    from stdnum.util import get_cc_module  # noqa: F401 - stdnum is installed

    valid = [v for v in values if _valid(scheme, v)]
    assert valid, "fixture values must be valid"
    ev = id_evidence(pl.Series(valid * 10))
    assert ev is not None
    assert ev["scheme"] == scheme, ev


def _valid(scheme: str, value: str) -> bool:
    import importlib

    return bool(importlib.import_module(f"stdnum.{scheme}").is_valid(value))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(100_000_000, 999_999_999), min_size=60, max_size=120, unique=True))
def test_random_digits_are_no_national_id(numbers: list[int]) -> None:
    """Random numbers pass a check digit ~10 % of the time: never 80 % of a column."""
    assert id_evidence(pl.Series([str(n) for n in numbers])) is None


def test_dates_in_every_order_and_mixed() -> None:
    us = parse_dates(pl.Series(["03/27/1984", "12/31/1990", "07/04/1976"]))
    assert us.is_date
    assert us.order == "month_first"
    assert us.dates[0].isoformat() == "1984-03-27"
    eu = parse_dates(pl.Series(["27.03.1984", "31-12-1990", "1976/07/04", "04/07/1976"]))
    assert eu.is_date
    assert [d.isoformat() for d in eu.dates] == [
        "1984-03-27",
        "1990-12-31",
        "1976-07-04",
        "1976-07-04",
    ]
    assert not parse_dates(pl.Series(["12345", "SKU-1", "hello"])).is_date


def test_names_beyond_one_country() -> None:
    names = ["Nilsson-Johansson, Anna", "木村 陽一", "Benício da Cunha", "Zofia Wiśniewska",
             "Daan van der Berg", "Giulia Rossi", "Hans-Jürgen Müller", "佐藤 花子"]  # fmt: skip
    ev = name_evidence(pl.Series(names))
    assert ev["shape_share"] == 1.0
    assert ev["known_share"] >= 0.85, ev
    cities = name_evidence(pl.Series(["Berlin", "Hamburg", "München", "Köln"] * 5))
    assert cities["known_share"] == 0.0


def test_places_and_postcodes() -> None:
    assert place_evidence(pl.Series(["Deutschland", "Sverige", "United-States", "日本"] * 5))[
        "kind"
    ] == "country"  # fmt: skip
    assert place_evidence(pl.Series(["1979 EK", "TA77 3EU", "27-097", "01310-200"] * 5))[
        "kind"
    ] == "postal_code"  # fmt: skip
    assert place_evidence(pl.Series(["4711", "1234"] * 10)) is None  # bare digits need a hint


def test_hashed_ids_and_not_words() -> None:
    digests = [hashlib.md5(str(i).encode()).hexdigest() for i in range(100)]
    assert random_id_evidence(pl.Series(digests))["shape"] == "hex"
    assert random_id_evidence(pl.Series(["openaccountnumber"] * 100)) is None


NOTES = {
    "en": "Patient {name} was admitted; SSN {ssn}; call {phone} or {email}.",
    "de": "Patientin {name} wurde aufgenommen, Rückruf unter {phone}, Mail {email}.",
    "fr": "Le patient {name} a été admis; joindre au {phone} ou {email}.",
    "es": "El paciente {name} ingresó ayer, teléfono {phone}, correo {email}.",
    "it": "Il paziente {name} è stato ricoverato, tel. {phone}, email {email}.",
    "nl": "Gesprek met {name} gehad, terugbellen op {phone} of mail {email}.",
}
LOCALE = {"en": "en_US", "de": "de_DE", "fr": "fr_FR", "es": "es_ES", "it": "it_IT", "nl": "nl_NL"}


@pytest.mark.parametrize("lang", sorted(NOTES))
def test_redaction_finds_planted_pii_in_five_plus_languages(lang: str) -> None:
    """Attacker: reads redacted notes and looks for any planted name, phone, e-mail or SSN.

    Planted values come from Faker's locale (the lists privlab uses are independent
    of Faker's); at least 95 % of them must be gone.
    """
    from faker import Faker

    from privlab.anonymize import RedactText

    fake = Faker(LOCALE[lang])
    fake.seed_instance(13)
    planted: list[str] = []
    rows = []
    for i in range(60):
        name = f"{fake.first_name()} {fake.last_name()}"
        phone, email = fake.phone_number(), fake.free_email()
        ssn = f"{100 + i:03d} {10 + i % 80:02d} {1000 + 37 * i:04d}"
        rows.append(NOTES[lang].format(name=name, ssn=ssn, phone=phone, email=email))
        planted += [name, phone, email] + ([ssn] if "{ssn}" in NOTES[lang] else [])
    region = LOCALE[lang][-2:]
    out = RedactText("n", regions=[region]).fit_apply(pl.DataFrame({"n": rows}))["n"]
    text = "\n".join(out.to_list())
    leaked = [p for p in planted if p in text]
    assert len(leaked) / len(planted) <= 0.05, leaked[:10]


def test_counts_per_type_and_ids_with_any_separator() -> None:
    notes = pl.Series(["SSN 123 45 6789 and 123456789, 123-45-6789; mail a@b.org"])
    found = find_pii(notes)
    assert set(found["national_id"]) == {"123 45 6789", "123456789", "123-45-6789"}
    assert found["email"] == ["a@b.org"]


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-01T10:00:08.329777Z",
        "2027-03-01 10:05:45",
        "{'max': 0.2, 'avg': 0.06321008056186739}",
        "released 2024-02-09, expires 09.02.2025",
        "loss 0.591580, suppressed 1,458 of 30,162",
    ],
)
def test_timestamps_dates_and_figures_are_no_pii(text: str) -> None:
    """A manifest or report is full of digits: none of them is a card, ID or phone."""
    assert find_pii(pl.Series([text]), types=["credit_card", "national_id", "phone"]) == {}


def test_pii_next_to_a_time_is_still_found() -> None:
    found = find_pii(pl.Series(["call +33 (0)3 87 17 77 63 at 10:30; SSN 123 45 6789 09:15"]))
    assert found["phone"] == ["+33 (0)3 87 17 77 63"]
    assert found["national_id"] == ["123 45 6789"]
