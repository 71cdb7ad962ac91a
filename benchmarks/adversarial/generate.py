"""An adversarial table for privlab's profile and guard: ten+ locales, names that say nothing.

Seeded and independent of ``data_samples/generate.py``. Each row belongs to one of
twelve locales (German, French, Dutch, British, Spanish, Italian, Brazilian, Polish,
Swedish, Japanese, US, Danish); its person, contact, national ID, bank account,
address and dates are written the way that locale writes them — phones in national
formats with trunk prefixes and extensions, dates day-, month- or year-first,
postcodes such as ``1979 EK``, ``TA77 3EU`` or ``27-097``, national IDs with valid
check digits (BSN, personnummer, codice fiscale, DNI, PESEL, CPF, NIR, NINO, IdNr,
CPR, My Number, US SSN). Column names are ``c01`` … ``cNN`` in a shuffled order, and
decoys sit beside the identifiers: product codes, EAN barcodes, counts, ratings,
measurements with decimals, a constant and a near-constant column, a 1/2-coded
column without meaning.

Values come from Faker (as the project's hold-out tables do) plus numpy; check
digits are completed by trying candidates against ``python-stdnum``'s validators.

``python benchmarks/adversarial/generate.py OUT_DIR [--rows N] [--seed S]`` writes
``adversarial.csv`` and ``answer_key.json`` (``{column: {"role", "pii_type",
"meaning"}}``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from faker import Faker

LOCALES = {
    "de_DE": "DE", "fr_FR": "FR", "nl_NL": "NL", "en_GB": "GB", "es_ES": "ES", "it_IT": "IT",
    "pt_BR": "BR", "pl_PL": "PL", "sv_SE": "SE", "ja_JP": "JP", "en_US": "US", "da_DK": "DK",
}  # fmt: skip
COUNTRY_NAMES = {
    "DE": "Deutschland", "FR": "France", "NL": "Nederland", "GB": "United Kingdom",
    "ES": "España", "IT": "Italia", "BR": "Brasil", "PL": "Polska", "SE": "Sverige",
    "JP": "日本", "US": "United States", "DK": "Danmark",
}  # fmt: skip
DATE_STYLE = {
    "DE": "%d.%m.%Y", "FR": "%d/%m/%Y", "NL": "%d-%m-%Y", "GB": "%d/%m/%Y", "ES": "%d/%m/%Y",
    "IT": "%d/%m/%Y", "BR": "%d/%m/%Y", "PL": "%d.%m.%Y", "SE": "%Y-%m-%d", "JP": "%Y/%m/%d",
    "US": "%m/%d/%Y", "DK": "%d-%m-%Y",
}  # fmt: skip
NOTES = {
    "DE": "Patientin {name} wurde am Montag aufgenommen, Rückruf unter {phone}.",
    "FR": "Le patient {name} a été admis; joindre au {phone} ou {email}.",
    "NL": "Gesprek met {name} gehad, terugbellen op {phone}.",
    "GB": "Discussed plan with {name}; call back on {phone}.",
    "ES": "El paciente {name} ingresó ayer, teléfono {phone}.",
    "IT": "Il paziente {name} è stato ricoverato, tel. {phone}.",
    "BR": "Paciente {name} internado, contato {phone}.",
    "PL": "Pacjent {name} został przyjęty, telefon {phone}.",
    "SE": "Patienten {name} skrevs in, ring {phone}.",
    "JP": "{name}さんが入院しました。電話 {phone}。",
    "US": "Patient {name} was admitted, SSN {id} on file, phone {phone}.",
    "DK": "Patienten {name} blev indlagt, tlf. {phone}.",
}  # fmt: skip


def _complete(rng: np.random.Generator, body: Callable[[], str], check: Callable[[str], bool],
              tails: list[str]) -> str:  # fmt: skip
    """A random body with the first tail that makes it valid."""
    for _ in range(200):
        stem = body()
        for tail in tails:
            if check(stem + tail):
                return stem + tail
    raise RuntimeError("no valid number found")


def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, n))


def national_id(country: str, fake: Faker, rng: np.random.Generator, dob: Any) -> str:
    from stdnum.br import cpf
    from stdnum.de import idnr
    from stdnum.dk import cpr
    from stdnum.es import dni
    from stdnum.fr import nir
    from stdnum.jp import in_ as my_number
    from stdnum.nl import bsn as nl_bsn
    from stdnum.pl import pesel
    from stdnum.se import personnummer

    ten = [str(i) for i in range(10)]
    two = [f"{i:02d}" for i in range(100)]
    if country == "NL":
        v = _complete(rng, lambda: str(rng.integers(1, 10)) + _digits(rng, 7), nl_bsn.is_valid, ten)
        return v if rng.random() < 0.5 else f"{v[:4]}.{v[4:6]}.{v[6:]}"
    if country == "SE":
        stem = dob.strftime("%y%m%d")
        v = _complete(rng, lambda: stem + "-" + _digits(rng, 3), personnummer.is_valid, ten)
        return v
    if country == "IT":
        return str(fake.ssn())
    if country == "ES":
        return _complete(rng, lambda: _digits(rng, 8), dni.is_valid, list(string.ascii_uppercase))
    if country == "PL":
        month = dob.month + (20 if dob.year >= 2000 else 0)
        stem = f"{dob.year % 100:02d}{month:02d}{dob.day:02d}"
        return _complete(rng, lambda: stem + _digits(rng, 4), pesel.is_valid, ten)
    if country == "BR":
        v = _complete(rng, lambda: _digits(rng, 9), cpf.is_valid, two)
        return f"{v[:3]}.{v[3:6]}.{v[6:9]}-{v[9:]}" if rng.random() < 0.7 else v
    if country == "FR":
        sex = str(rng.integers(1, 3))
        stem = f"{sex}{dob.year % 100:02d}{dob.month:02d}{rng.integers(1, 96):02d}" + _digits(
            rng, 6
        )
        v = _complete(rng, lambda: stem, nir.is_valid, two)
        return f"{v[0]} {v[1:3]} {v[3:5]} {v[5:7]} {v[7:10]} {v[10:13]} {v[13:]}"
    if country == "GB":
        first = rng.choice(list("ABCEGHJKLMNPRSTWXYZ"))
        second = rng.choice(list("ABCEGHJKLMNPRSTWXYZ"))
        while first + second in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ"):
            second = rng.choice(list("ABCEGHJKLMNPRSTWXYZ"))
        d = _digits(rng, 6)
        return f"{first}{second} {d[:2]} {d[2:4]} {d[4:]} {rng.choice(list('ABCD'))}"
    if country == "DE":

        def idnr_body() -> str:  # one digit twice, one missing (the IdNr rule)
            d = [int(x) for x in rng.permutation(10)]
            d[int(rng.integers(1, 10))] = d[0]
            return "".join(map(str, d)) if d[0] else idnr_body()

        return _complete(rng, idnr_body, idnr.is_valid, ten)
    if country == "DK":
        stem = dob.strftime("%d%m%y")
        return _complete(rng, lambda: stem + _digits(rng, 3), cpr.is_valid, ten)
    if country == "JP":
        v = _complete(rng, lambda: _digits(rng, 11), my_number.is_valid, ten)
        return f"{v[:4]} {v[4:8]} {v[8:]}"
    area = rng.integers(1, 666)
    return f"{area:03d}-{rng.integers(1, 100):02d}-{rng.integers(1, 10000):04d}"


def generate(out: Path, *, rows: int = 2_000, seed: int = 20261201) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    fakers = {}
    for i, loc in enumerate(LOCALES):
        f = Faker(loc)
        f.seed_instance(seed + i)
        fakers[loc] = f
    locs = list(LOCALES)
    which = rng.integers(0, len(locs), rows)
    columns: dict[str, list[Any]] = {k: [] for k in (
        "person", "email", "phone", "national_id", "iban", "hashed_id", "member_no",
        "birth_date", "sex", "postcode", "country", "age", "ethnicity", "salary", "note",
        "product", "ean", "count", "rating", "measurement", "constant", "near_constant",
        "coded", "status",
    )}  # fmt: skip
    used_members: set[int] = set()
    for r in range(rows):
        loc = locs[which[r]]
        cc = LOCALES[loc]
        fake = fakers[loc]
        dob = fake.date_of_birth(minimum_age=18, maximum_age=90)
        sex = "F" if rng.random() < 0.5 else "M"
        first = fake.first_name_female() if sex == "F" else fake.first_name_male()
        last = fake.last_name()
        name = f"{last} {first}" if cc == "JP" else f"{first} {last}"
        if cc != "JP" and rng.random() < 0.1:
            name = fake.prefix() + " " + name if hasattr(fake, "prefix") else name
        columns["person"].append(name)
        columns["email"].append(fake.free_email())
        phone = fake.phone_number()
        columns["phone"].append(phone)
        nid = national_id(cc, fake, rng, dob)
        columns["national_id"].append(nid)
        columns["iban"].append(fakers["de_DE"].iban() if cc in ("SE", "JP", "US") else fake.iban())
        columns["hashed_id"].append(hashlib.md5(f"{seed}/{r}/{name}".encode()).hexdigest())
        member = int(rng.integers(100_000_000, 999_999_999))
        while member in used_members:
            member = int(rng.integers(100_000_000, 999_999_999))
        used_members.add(member)
        columns["member_no"].append(member)
        columns["birth_date"].append(dob.strftime(DATE_STYLE[cc]))
        columns["sex"].append(sex)
        columns["postcode"].append(fake.postcode())
        columns["country"].append(COUNTRY_NAMES[cc])
        columns["age"].append(2026 - dob.year)
        columns["ethnicity"].append(
            str(rng.choice(["White", "Black", "Asian", "Hispanic", "Mixed", "Arab"]))
        )
        columns["salary"].append(round(float(rng.lognormal(10.6, 0.4)), 2))
        columns["note"].append(
            NOTES[cc].format(name=name, phone=phone, email=fake.free_email(), id=nid)
            if rng.random() < 0.6
            else str(
                rng.choice(
                    [
                        "Follow-up in two weeks.",
                        "No complaints today.",
                        "Medication adjusted, review next visit.",
                    ]
                )
            )
        )
        columns["product"].append(f"SKU-{rng.integers(1000, 1200)}-{rng.choice(list('ABC'))}")
        columns["ean"].append(str(fakers["de_DE"].ean13()) if rng.random() < 1 else "")
        columns["count"].append(int(rng.poisson(3)))
        columns["rating"].append(int(rng.integers(1, 6)))
        columns["measurement"].append(round(float(rng.normal(72.5, 11.0)), 3))
        columns["constant"].append("X")
        columns["near_constant"].append("A" if rng.random() < 0.99 else "B")
        columns["coded"].append(int(rng.integers(1, 3)))
        columns["status"].append(str(rng.choice(["open", "closed", "pending"])))
    key = {
        "person": ("direct_identifier", "person_name"),
        "email": ("direct_identifier", "email"),
        "phone": ("direct_identifier", "phone"),
        "national_id": ("direct_identifier", "national_id"),
        "iban": ("direct_identifier", "iban"),
        "hashed_id": ("direct_identifier", "hashed_id"),
        "member_no": ("direct_identifier", "record_key"),
        "birth_date": ("quasi_identifier", "date_of_birth"),
        "sex": ("quasi_identifier", "sex"),
        "postcode": ("quasi_identifier", "postal_code"),
        "country": ("quasi_identifier", "country"),
        "age": ("quasi_identifier", "age"),
        "ethnicity": ("quasi_identifier", "special_category"),
        "salary": ("sensitive", "amount"),
        "note": ("sensitive", "free_text"),
        "product": ("other", None),
        "ean": ("other", "product_code"),
        "count": ("other", None),
        "rating": ("other", None),
        "measurement": ("other", None),
        "constant": ("other", None),
        "near_constant": ("other", None),
        "coded": ("other", None),
        "status": ("other", None),
    }
    order = rng.permutation(len(columns))
    names = list(columns)
    renamed = {names[i]: f"c{j + 1:02d}" for j, i in enumerate(order)}
    frame = pl.DataFrame({renamed[n]: columns[n] for n in (names[i] for i in order)})
    answer = {
        renamed[n]: {"role": key[n][0], "pii_type": key[n][1], "meaning": n}
        for n in (names[i] for i in order)
    }
    out.mkdir(parents=True, exist_ok=True)
    data_path, key_path = out / "adversarial.csv", out / "answer_key.json"
    frame.write_csv(data_path)
    key_path.write_text(json.dumps(answer, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return data_path, key_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    for path in generate(args.out, rows=args.rows, seed=args.seed):
        print(path)


if __name__ == "__main__":
    main()
