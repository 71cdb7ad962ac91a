"""Checksummed national IDs, tax and social-security numbers, bank and device numbers.

Built on ``python-stdnum``: :data:`SCHEMES` lists every stdnum module that
identifies a *person* (national identity, social-security, personal tax and
health numbers of 50+ countries), their bank accounts and devices — plus a few
that identify products, securities and companies, so that such codes are
recognised as *not* personal. Each scheme has a shape (a Rust regex on the
compacted value: spaces, dots, dashes and slashes removed, upper case) that
prefilters the column vectorized (one pattern common to every shape first rejects
columns no scheme can cover); stdnum's ``is_valid`` then runs on at most 400
distinct candidates (a seeded random choice) of each scheme whose shape covers the
column.

A column is typed with scheme *S* when at least 80 % of its non-null values
validate under *S*. Schemes whose rules check a date or a range but no check
digit (``structure`` strength) also need the data to point at their country (a
country column, IBAN prefixes, phone regions); and every winning scheme must lose
most of its matches when the last character is changed — a rule that random
digits pass is no evidence. The evidence names the scheme and its country.
"""

from __future__ import annotations

import functools
import pkgutil
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from privlab.detect._util import capped, counted, share

__all__ = ["SCHEMES", "Scheme", "id_evidence", "mixed_id_evidence", "scheme"]


@dataclass(frozen=True)
class Scheme:
    """One stdnum module: its compact shape, country, what it identifies and how strongly."""

    module: str  # stdnum module name without the ``stdnum.`` prefix
    shape: str  # Rust regex, whole compact value
    country: str | None  # ISO 3166 alpha-2, None for international schemes
    kind: str  # national_id | tax_id | health_id | bank_account | device_id | product | company
    strength: str = "checksum"  # checksum | structure
    label: str = ""

    @property
    def personal(self) -> bool:
        """Identifies a person (or their account or device)."""
        return self.kind in ("national_id", "tax_id", "health_id", "bank_account", "device_id")


_D = r"\d"
SCHEMES: tuple[Scheme, ...] = (
    # national identity and social-security numbers
    Scheme("at.vnr", r"^\d{10}$", "AT", "national_id", label="Austrian social security number"),
    Scheme("be.nn", r"^\d{11}$", "BE", "national_id", label="Belgian national number"),
    Scheme("be.bis", r"^\d{11}$", "BE", "national_id", label="Belgian BIS number"),
    Scheme("bg.egn", r"^\d{10}$", "BG", "national_id", label="Bulgarian EGN"),
    Scheme("br.cpf", r"^\d{11}$", "BR", "national_id", label="Brazilian CPF"),
    Scheme("ca.sin", r"^\d{9}$", "CA", "national_id", label="Canadian SIN"),
    Scheme("ch.ssn", r"^756\d{10}$", "CH", "national_id", label="Swiss AHV number"),
    Scheme("cl.rut", r"^\d{7,8}[0-9K]$", "CL", "national_id", label="Chilean RUT"),
    Scheme("cn.ric", r"^\d{17}[0-9X]$", "CN", "national_id", label="Chinese resident ID"),
    Scheme("cz.rc", r"^\d{9,10}$", "CZ", "national_id", label="Czech birth number"),
    Scheme("dk.cpr", r"^\d{10}$", "DK", "national_id", "structure", "Danish CPR number"),
    Scheme("do.cedula", r"^\d{11}$", "DO", "national_id", label="Dominican cédula"),
    Scheme("ec.ci", r"^\d{10}$", "EC", "national_id", label="Ecuadorian CI"),
    Scheme("ee.ik", r"^\d{11}$", "EE", "national_id", label="Estonian isikukood"),
    Scheme("es.dni", r"^\d{8}[A-Z]$", "ES", "national_id", label="Spanish DNI"),
    Scheme("es.nie", r"^[XYZ]\d{7}[A-Z]$", "ES", "national_id", label="Spanish NIE"),
    Scheme(
        "fi.hetu", r"^\d{6}[-+A-FU-Y]?\d{3}[0-9A-Y]$", "FI", "national_id", label="Finnish HETU"
    ),
    Scheme("fr.nir", r"^[12]\d{4}[0-9AB]\d{9}$", "FR", "national_id", label="French NIR"),
    Scheme("gr.amka", r"^\d{11}$", "GR", "national_id", label="Greek AMKA"),
    Scheme("hr.oib", r"^\d{11}$", "HR", "national_id", label="Croatian OIB"),
    Scheme("id.nik", r"^\d{16}$", "ID", "national_id", "structure", "Indonesian NIK"),
    Scheme("ie.pps", r"^\d{7}[A-W][A-IW]?$", "IE", "national_id", label="Irish PPS number"),
    Scheme("il.idnr", r"^\d{9}$", "IL", "national_id", label="Israeli identity number"),
    Scheme("in_.aadhaar", r"^[2-9]\d{11}$", "IN", "national_id", label="Indian Aadhaar"),
    Scheme("is_.kennitala", r"^\d{10}$", "IS", "national_id", label="Icelandic kennitala"),
    Scheme(
        "it.codicefiscale",
        r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$",
        "IT",
        "national_id",
        label="Italian codice fiscale",
    ),
    Scheme("jp.in_", r"^\d{12}$", "JP", "national_id", label="Japanese My Number"),
    Scheme("kr.rrn", r"^\d{13}$", "KR", "national_id", label="Korean resident registration no."),
    Scheme("lt.asmens", r"^\d{11}$", "LT", "national_id", label="Lithuanian asmens kodas"),
    Scheme("mx.curp", r"^[A-Z]{4}\d{6}[HMX][A-Z]{5}[0-9A-Z]\d$", "MX", "national_id", label="CURP"),
    Scheme("my.nric", r"^\d{12}$", "MY", "national_id", "structure", "Malaysian NRIC"),
    Scheme("nl.bsn", r"^\d{8,9}$", "NL", "national_id", label="Dutch BSN"),
    Scheme("no.fodselsnummer", r"^\d{11}$", "NO", "national_id", label="Norwegian fødselsnummer"),
    Scheme("pl.pesel", r"^\d{11}$", "PL", "national_id", label="Polish PESEL"),
    Scheme("pt.cc", r"^\d{9}[A-Z0-9]{2}\d$", "PT", "national_id", label="Portuguese citizen card"),
    Scheme("ro.cnp", r"^\d{13}$", "RO", "national_id", label="Romanian CNP"),
    Scheme(
        "se.personnummer",
        r"^(?:\d{2})?\d{6}[-+]?\d{4}$",
        "SE",
        "national_id",
        label="Swedish personnummer",
    ),
    Scheme("si.emso", r"^\d{13}$", "SI", "national_id", label="Slovenian EMŠO"),
    Scheme("sk.rc", r"^\d{9,10}$", "SK", "national_id", label="Slovak birth number"),
    Scheme("th.pin", r"^\d{13}$", "TH", "national_id", label="Thai personal ID"),
    Scheme("tr.tckimlik", r"^[1-9]\d{10}$", "TR", "national_id", label="Turkish T.C. Kimlik No"),
    Scheme("za.idnr", r"^\d{13}$", "ZA", "national_id", label="South African ID number"),
    Scheme("pk.cnic", r"^\d{13}$", "PK", "national_id", "structure", "Pakistani CNIC"),
    # personal tax numbers
    Scheme("de.idnr", r"^\d{11}$", "DE", "tax_id", label="German tax ID (IdNr)"),
    Scheme("fi.veronumero", r"^\d{12}$", "FI", "tax_id", label="Finnish tax number"),
    Scheme("fr.nif", r"^[0-3]\d{12}$", "FR", "tax_id", label="French tax number (NIF)"),
    Scheme("gb.utr", r"^K?\d{10}K?$", "GB", "tax_id", label="UK UTR"),
    Scheme("in_.pan", r"^[A-Z]{3}[PFCHATBLJG][A-Z]\d{4}[A-Z]$", "IN", "tax_id", label="Indian PAN"),
    Scheme("mx.rfc", r"^[A-ZÑ&]{4}\d{6}[A-Z0-9]{3}$", "MX", "tax_id", label="Mexican RFC"),
    Scheme("nz.ird", r"^\d{8,9}$", "NZ", "tax_id", label="New Zealand IRD number"),
    Scheme("pt.nif", r"^[1-35]\d{8}$", "PT", "tax_id", label="Portuguese NIF (person)"),
    Scheme("ru.inn", r"^\d{12}$", "RU", "tax_id", label="Russian INN (person)"),
    Scheme("ua.rntrc", r"^\d{10}$", "UA", "tax_id", label="Ukrainian RNTRC"),
    Scheme("us.itin", r"^9\d{8}$", "US", "tax_id", "structure", "US ITIN"),
    Scheme("au.tfn", r"^\d{8,9}$", "AU", "tax_id", label="Australian TFN"),
    # health numbers
    Scheme("gb.nhs", r"^\d{10}$", "GB", "health_id", label="UK NHS number"),
    Scheme("ca.bc_phn", r"^9\d{9}$", "CA", "health_id", label="BC personal health number"),
    # bank accounts and devices
    Scheme("iban", r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$", None, "bank_account", label="IBAN"),
    Scheme("es.ccc", r"^\d{20}$", "ES", "bank_account", label="Spanish bank account (CCC)"),
    Scheme("no.kontonr", r"^\d{11}$", "NO", "bank_account", label="Norwegian bank account"),
    Scheme("ar.cbu", r"^\d{22}$", "AR", "bank_account", label="Argentine CBU"),
    Scheme("imei", r"^\d{15}$", None, "device_id", label="IMEI"),
    Scheme("mac", r"^[0-9A-F]{2}(?::[0-9A-F]{2}){5}$", None, "device_id", "structure", "MAC"),
    # not personal: products, securities, companies (recognised so they are not keys)
    Scheme("ean", r"^(?:\d{8}|\d{12,14})$", None, "product", label="EAN/GTIN product code"),
    Scheme("isbn", r"^(?:97[89])?\d{9}[0-9X]$", None, "product", label="ISBN"),
    Scheme("isin", r"^[A-Z]{2}[A-Z0-9]{9}\d$", None, "product", label="ISIN"),
    Scheme("eu.vat", r"^[A-Z]{2}[A-Z0-9]{8,12}$", None, "company", label="EU VAT number"),
)
_BY_MODULE = {s.module: s for s in SCHEMES}
_RAW_SEPARATORS = {"se.personnummer", "fi.hetu", "mac"}  # separators carry meaning
_MIN_VALID = 0.8
_MAX_CHECK = 400
#: What every scheme's compact shape has in common (a prefilter for whole columns).
_ANY_SHAPE = r"^[0-9A-ZÑ&:+]{8,34}$"


def scheme(module: str) -> Scheme:
    """The :class:`Scheme` of a stdnum module name (e.g. ``"nl.bsn"``)."""
    return _BY_MODULE[module]


@functools.cache
def _module(name: str) -> Any:
    """The python-stdnum module of a scheme (third-party, resolved by its dotted name)."""
    return pkgutil.resolve_name(f"stdnum.{name}")


def _compact(values: pl.Series, *, raw: bool) -> pl.Series:
    text = values.cast(pl.String).str.strip_chars().str.to_uppercase()
    return text.str.replace_all(r"\s", "") if raw else text.str.replace_all(r"[\s.\-/]", "")


def _valid_share(module: Any, values: list[str]) -> float:
    ok = 0
    for value in values:
        try:
            ok += bool(module.is_valid(value))
        except Exception:  # a scheme's own parser may reject odd input loudly
            continue
    return ok / max(len(values), 1)


def _mutated(values: list[str]) -> list[str]:
    """The values with their last digit changed (letters stay): a check digit must notice."""
    out = []
    for v in values:
        last = v[-1]
        out.append(v[:-1] + (str((int(last) + 3) % 10) if last.isdigit() else last))
        if not last.isdigit() and len(v) > 1 and v[-2].isdigit():
            out[-1] = v[:-2] + str((int(v[-2]) + 3) % 10) + last
    return out


def id_evidence(
    values: pl.Series, *, countries: Iterable[str] = (), min_valid: float = _MIN_VALID
) -> dict[str, Any] | None:
    """The ID scheme most of a column's values validate under, or ``None``.

    Parameters
    ----------
    values:
        The column (strings, or integers cast to strings).
    countries:
        ISO 3166 alpha-2 codes the data points at; ``structure``-strength schemes
        need one, and ties between schemes go to a listed country.
    min_valid:
        Share of non-null values that must validate (default 0.8).

    Returns
    -------
    dict or None
        ``scheme`` (stdnum module), ``label``, ``country``, ``kind``, ``personal``,
        ``valid_share``, ``mutated_valid_share`` and ``candidates`` (other schemes
        with their valid shares).

    Examples
    --------
    >>> import polars as pl
    >>> ev = id_evidence(pl.Series(["44051401458", "02070803628", "90090515836", "92071314764"]))
    >>> ev["scheme"], ev["country"], ev["personal"]
    ('pl.pesel', 'PL', True)
    """
    base = values.cast(pl.String).drop_nulls()
    if len(base) == 0:
        return None
    wanted = {c.upper() for c in countries}
    # one pass decides whether any scheme can cover the column: every shape is 8-34
    # characters of digits, capitals and the few separators some schemes keep
    if share(_compact(base, raw=False).str.contains(_ANY_SHAPE)) < min_valid:
        return None
    counts = counted(base)  # each distinct value is compacted and matched once
    weights = counts["count"].cast(pl.Float64) / len(base)
    compact = {raw: _compact(counts["value"], raw=raw) for raw in (False, True)}
    shape_shares: dict[tuple[bool, str], pl.Series] = {}

    def shaped(s: Scheme) -> pl.Series:
        raw = s.module in _RAW_SEPARATORS
        if (raw, s.shape) not in shape_shares:
            shape_shares[raw, s.shape] = compact[raw].str.contains(s.shape).fill_null(False)
        return shape_shares[raw, s.shape]

    def candidates(s: Scheme) -> list[str]:
        values = compact[s.module in _RAW_SEPARATORS].filter(shaped(s)).unique()
        return capped(values, _MAX_CHECK).to_list()

    results: list[tuple[float, float, Scheme]] = []
    for s in SCHEMES:
        shape_share = float((weights * shaped(s)).sum())
        if shape_share < min_valid:
            continue
        if s.strength == "structure" and s.country not in wanted:
            continue
        valid = shape_share * _valid_share(_module(s.module), candidates(s))
        if valid >= min_valid:
            results.append((valid, 0.0, s))
    if not results:
        return None
    checked = []
    for valid, _, s in results:
        mutated = _valid_share(_module(s.module), _mutated(candidates(s)))
        if s.strength == "checksum" and mutated > 0.5:
            continue  # the rule accepts nearly anything of this shape: no evidence
        checked.append((valid, mutated, s))
    if not checked:
        return None
    checked.sort(key=lambda r: (-round(r[0], 2), r[2].country not in wanted, r[2].module))
    valid, mutated, best = checked[0]
    return {
        "scheme": best.module,
        "label": best.label,
        "country": best.country,
        "kind": best.kind,
        "personal": best.personal,
        "valid_share": round(valid, 4),
        "mutated_valid_share": round(mutated, 4),
        "candidates": {s.module: round(v, 4) for v, _, s in checked[1:6]},
    }


def mixed_id_evidence(
    values: pl.Series, *, countries: Iterable[str], min_valid: float = _MIN_VALID
) -> dict[str, Any] | None:
    """National IDs of several countries in one column (one scheme per row).

    A value counts when it validates under a personal scheme of one of
    *countries* (the countries the data points at). The column is typed when at
    least *min_valid* of its distinct values count (at most 400 of them, a
    seeded choice, are checked); ``schemes`` gives the share each scheme explains.

    Parameters
    ----------
    values:
        The column (strings, or integers cast to strings).
    countries:
        ISO 3166 alpha-2 codes of the countries whose personal schemes are tried
        (bank accounts excluded).
    min_valid:
        Share of the checked values that must validate (default 0.8).

    Returns
    -------
    dict or None
        The keys of :func:`id_evidence` with ``scheme="mixed"`` and ``schemes``
        (stdnum module → share) instead of ``candidates``; ``None`` when no
        country is given or too few values validate.

    Examples
    --------
    >>> import polars as pl
    >>> ids = pl.Series(["44051401458", "02070803628", "111222333", "123456782"])  # PESEL, BSN
    >>> sorted(mixed_id_evidence(ids, countries=["PL", "NL"])["schemes"].items())
    [('nl.bsn', 0.5), ('pl.pesel', 0.5)]
    """
    wanted = {c.upper() for c in countries}
    personal = [
        s for s in SCHEMES if s.personal and s.country in wanted and s.kind != "bank_account"
    ]
    base = values.cast(pl.String).drop_nulls()
    if len(base) == 0 or not personal:
        return None
    if share(_compact(base, raw=False).str.contains(_ANY_SHAPE)) < min_valid:
        return None
    sample = capped(base.unique(), _MAX_CHECK)
    compact = {raw: _compact(sample, raw=raw).to_list() for raw in (False, True)}
    originals = sample.to_list()
    explained: dict[str, int] = {}
    hit = 0
    for i in range(len(originals)):
        for s in personal:
            v = compact[s.module in _RAW_SEPARATORS][i]
            if not re.match(s.shape, v):
                continue
            try:
                ok = bool(_module(s.module).is_valid(v))
            except Exception:
                ok = False
            if ok:
                explained[s.module] = explained.get(s.module, 0) + 1
                hit += 1
                break
    explained_share = hit / max(len(originals), 1)
    if explained_share < min_valid:
        return None
    return {
        "scheme": "mixed",
        "label": "national IDs of several countries",
        "country": None,
        "kind": "national_id",
        "personal": True,
        "valid_share": round(explained_share, 4),
        "schemes": {
            k: round(v / len(originals), 4)
            for k, v in sorted(explained.items(), key=lambda kv: -kv[1])
        },
    }
