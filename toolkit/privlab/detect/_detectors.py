"""Semantic-type detectors: vectorized patterns on sampled values, validators on candidates.

Each :class:`Detector` names a semantic type, the privacy role it implies, a
full-value pattern (Rust regex, checked with ``str.contains`` over the sampled
values at once), optional validators run only on the values that matched
(check digits: Luhn, mod 97, SSN ranges, …) and a column-name hint. Names only
add evidence; the decision rests on the share of sampled values that match and
validate. :data:`DETECTORS` is the explicit registry.

The same patterns, unanchored, find PII inside free text
(:func:`text_pii_patterns`), and :func:`validate` exposes the validators for the
anonymizer's ``redact_text``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

__all__ = ["DETECTORS", "Detector", "text_pii_patterns", "validate"]

Validator = Callable[[pl.Series], pl.Series]


def _digits(values: pl.Series) -> pl.Series:
    return values.cast(pl.String).str.replace_all(r"[^0-9]", "")


def luhn(values: pl.Series) -> pl.Series:
    """Luhn check digit (credit cards, Canadian SIN), vectorized over the digit strings."""
    digits = _digits(values)
    out = []
    for text in digits.to_list():  # validators run on candidate values only
        if not text or len(text) < 2:
            out.append(False)
            continue
        arr = np.frombuffer(text.encode(), dtype=np.uint8) - 48
        rev = arr[::-1].astype(np.int64)
        doubled = rev[1::2] * 2
        total = rev[0::2].sum() + (doubled - 9 * (doubled > 9)).sum()
        out.append(bool(total % 10 == 0))
    return pl.Series(values.name, out, dtype=pl.Boolean)


def _mod97(text: str) -> int:
    rest = 0
    for ch in text:
        rest = (rest * 10 + int(ch)) % 97
    return rest


def iban_check(values: pl.Series) -> pl.Series:
    """ISO 13616 mod-97 check: move the first four characters to the end, letters → 10..35."""
    out = []
    for raw in values.cast(pl.String).to_list():
        text = re.sub(r"\s", "", raw or "").upper()
        if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", text):
            out.append(False)
            continue
        moved = text[4:] + text[:4]
        numeric = "".join(str(int(c, 36)) for c in moved)
        out.append(_mod97(numeric) == 1)
    return pl.Series(values.name, out, dtype=pl.Boolean)


def ssn_check(values: pl.Series) -> pl.Series:
    """US SSN ranges: area not 000, 666 or 9xx; group not 00; serial not 0000."""
    parts = values.cast(pl.String).str.extract_groups(r"^(\d{3})-?(\d{2})-?(\d{4})$")
    area = parts.struct.field("1").cast(pl.Int32, strict=False)
    group = parts.struct.field("2").cast(pl.Int32, strict=False)
    serial = parts.struct.field("3").cast(pl.Int32, strict=False)
    ok = (area > 0) & (area != 666) & (area < 900) & (group > 0) & (serial > 0)
    return ok.fill_null(False).rename(values.name)


def nino_check(values: pl.Series) -> pl.Series:
    """UK National Insurance number: prefixes BG, GB, NK, KN, TN, NT and ZZ are never issued."""
    prefix = values.cast(pl.String).str.replace_all(r"\s", "").str.to_uppercase().str.slice(0, 2)
    bad = ["BG", "GB", "NK", "KN", "TN", "NT", "ZZ"]
    return (~prefix.is_in(bad)).fill_null(False).rename(values.name)


def nir_check(values: pl.Series) -> pl.Series:
    """French NIR (INSEE number): the last two digits are 97 − (first 13 mod 97); Corsica 2A/2B."""
    out = []
    for raw in values.cast(pl.String).to_list():
        text = re.sub(r"\s", "", raw or "").upper()
        if not re.fullmatch(r"[12]\d{2}(0[1-9]|1[0-2]|[2-9]\d)\d[0-9AB]\d{6}\d{2}", text):
            out.append(False)
            continue
        body = text[:13].replace("2A", "19").replace("2B", "18")
        out.append(97 - _mod97(body) == int(text[13:]))
    return pl.Series(values.name, out, dtype=pl.Boolean)


def ipv6_check(values: pl.Series) -> pl.Series:
    """A syntactically valid IPv6 address (Python's ipaddress)."""
    import ipaddress

    out = []
    for raw in values.cast(pl.String).to_list():
        try:
            ipaddress.IPv6Address(raw)
            out.append(True)
        except (ValueError, TypeError):
            out.append(False)
    return pl.Series(values.name, out, dtype=pl.Boolean)


@dataclass(frozen=True)
class Detector:
    """One semantic type: its pattern, validators and what it implies."""

    name: str
    role: str
    pattern: str  # full-value, Rust regex syntax
    text_pattern: str | None = None  # to find it inside free text (unanchored)
    validators: tuple[tuple[str, Validator], ...] = ()
    name_hint: str | None = None  # regex on the column name (evidence only)
    min_share: float = 0.9  # of sampled non-null values matching the pattern
    min_valid: float = 0.9  # of matches passing the validators
    pii: bool = True  # a personal-data type (decoys must never get one)


_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
_PHONE = r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"
_SSN = r"\d{3}-\d{2}-\d{4}"
_NINO = r"[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]"
_SIN = r"\d{3}[\s-]\d{3}[\s-]\d{3}"
_NIR = r"[12]\s?\d{2}\s?(?:0[1-9]|1[0-2]|[2-9]\d)\s?(?:\d{2}|2A|2B)\s?\d{3}\s?\d{3}\s?\d{2}"
_CARD = r"(?:\d{4}[\s-]?){3}\d{1,7}"
_IBAN = r"[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}\s?[A-Z0-9]{1,4}"
_IPV4 = r"(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)"
_IPV6 = r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"
_URL = r"(?:https?://|www\.)[^\s/$.?#][^\s]*"
_ZIP = r"\d{5}(?:-\d{4})?"
_UK_POST = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_ADDRESS = (
    r"\d{1,6}\s+(?:[A-Z][a-z]+\s+){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|"
    r"Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Circle|Cir|Square|Sq|Parkway|Pkwy|Trail|Highway|"
    r"Hwy|Crossing|Loop|Pike|Ridge|Run|Path|Hills?|Heights|Park|Plaza|Points?|Ports?|Springs?|"
    r"Stream|Summit|Views?|Villages?|Wells?|Gardens?|Glens?|Greens?|Groves?|Harbors?|Islands?|"
    r"Junctions?|Lakes?|Manors?|Meadows?|Mills?|Mountains?|Orchard|Overpass|Passage|Pines?|"
    r"Prairie|Radial|Rapids?|Rest|Routes?|Shoals?|Shores?|Spurs?|Stravenue|Throughway|Trace|"
    r"Track|Trafficway|Tunnel|Turnpike|Union|Valleys?|Viaduct|Vista|Walks?|Alley|Annex|Arcade|"
    r"Bayou|Beach|Bend|Bluffs?|Bottom|Branch|Bridge|Brooks?|Burgs?|Bypass|Camp|Canyon|Cape|"
    r"Causeway|Centers?|Cliffs?|Club|Common|Corners?|Course|Courts?|Coves?|Creek|Crescent|Crest|"
    r"Dale|Dam|Divide|Estates?|Expressway|Extensions?|Falls?|Ferry|Fields?|Flats?|Fords?|Forest|"
    r"Forges?|Forks?|Fort|Freeway|Gateway|Haven|Hollow|Inlet|Isle|Keys?|Knolls?|Landing|Light|"
    r"Locks?|Lodge|Mall|Mews|Motorway|Mount|Neck|Oval|Pass)\.?(?:\s+(?:Apt\.|Suite)\s+\d+)?"
)

DETECTORS: tuple[Detector, ...] = (
    Detector("email", "direct_identifier", rf"^{_EMAIL}$", _EMAIL, name_hint=r"e-?mail"),
    Detector(
        "phone", "direct_identifier", rf"^{_PHONE}$", _PHONE, name_hint=r"phone|tel|mobile|cell|fax"
    ),
    Detector(
        "national_id",
        "direct_identifier",
        rf"^{_SSN}$",
        _SSN,
        validators=(("us_ssn_ranges", ssn_check),),
        name_hint=r"ssn|social|national|nin",
    ),
    Detector(
        "national_id",
        "direct_identifier",
        rf"^{_NINO}$",
        None,
        validators=(("uk_nino_prefix", nino_check),),
        name_hint=r"nino|insurance_n",
    ),
    Detector(
        "national_id",
        "direct_identifier",
        rf"^{_SIN}$",
        None,
        validators=(("ca_sin_luhn", luhn),),
        name_hint=r"sin\b|social",
    ),
    Detector(
        "national_id",
        "direct_identifier",
        rf"^{_NIR}$",
        None,
        validators=(("fr_nir_mod97", nir_check),),
        name_hint=r"nir|insee|secu",
    ),
    Detector(
        "credit_card",
        "direct_identifier",
        rf"^{_CARD}$",
        _CARD,
        validators=(("luhn", luhn),),
        name_hint=r"card|cc_?num|pan\b",
    ),
    Detector(
        "iban",
        "direct_identifier",
        rf"^{_IBAN}$",
        _IBAN,
        validators=(("iban_mod97", iban_check),),
        name_hint=r"iban|account",
    ),
    Detector("ip_address", "direct_identifier", rf"^{_IPV4}$", _IPV4, name_hint=r"\bip|ip_?addr"),
    Detector(
        "ip_address",
        "direct_identifier",
        rf"^{_IPV6}$",
        None,
        validators=(("ipv6", ipv6_check),),
        name_hint=r"\bip|ip_?addr",
    ),
    Detector("url", "other", rf"^{_URL}$", _URL, name_hint=r"url|website|link", pii=False),
    Detector(
        "street_address",
        "direct_identifier",
        rf"^{_ADDRESS}$",
        None,
        name_hint=r"address|street",
        min_share=0.8,
    ),
    Detector(
        "postal_code",
        "quasi_identifier",
        rf"^(?:{_ZIP}|{_UK_POST})$",
        None,
        name_hint=r"zip|postal|post_?code|postcode",
        min_share=0.95,
    ),
    Detector(
        "health_code",
        "sensitive",
        r"^[A-TV-Z]\d{2}(?:\.[0-9A-Z]{1,4})?$",
        None,
        name_hint=r"icd|diag|dx|condition",
        min_share=0.95,
        pii=False,
    ),
)


def detectors_by_type() -> dict[str, list[Detector]]:
    out: dict[str, list[Detector]] = {}
    for d in DETECTORS:
        out.setdefault(d.name, []).append(d)
    return out


def text_pii_patterns() -> dict[str, str]:
    """PII type → regex that finds it inside free text (Rust syntax: no look-around).

    Person names are matched as a relationship or title word followed by two
    capitalized words (``daughter Jane Miller``, ``Dr. Smith``) — a best effort;
    names in free text are hard and this pattern misses bare names.

    Examples
    --------
    >>> import polars as pl
    >>> pats = text_pii_patterns()
    >>> pl.Series(["mail j.doe@example.org now"]).str.extract(f"({pats['email']})").item()
    'j.doe@example.org'
    """
    out: dict[str, str] = {}
    for d in DETECTORS:
        if d.text_pattern and d.pii and d.name not in out:
            out[d.name] = rf"\b{d.text_pattern}\b" if d.name not in ("phone",) else d.text_pattern
    out["person_name"] = (
        r"(?:\b(?:[Dd]aughter|[Ss]on|[Ww]ife|[Hh]usband|[Ss]ister|[Bb]rother|[Mm]other|[Ff]ather|"
        r"[Nn]eighbou?r|[Cc]aregiver|[Ff]riend|[Pp]artner|Mr\.?|Mrs\.?|Ms\.?|Dr\.?)\s+)"
        r"[A-Z][a-z]+(?:\s+[A-Z][a-z'-]+)?"
    )
    return out


def validate(pii_type: str, values: pl.Series) -> pl.Series:
    """True where a value of *pii_type* passes its check rules (all detectors of that type).

    Types without a check rule validate everything that matches their pattern.
    Values are matched whole, surrounding whitespace allowed.

    Parameters
    ----------
    pii_type:
        A detector name of :data:`DETECTORS` (``"credit_card"``, ``"iban"``,
        ``"national_id"``, ``"email"`` …).
    values:
        The values (cast to text).

    Returns
    -------
    polars.Series
        Boolean, one per value; nulls are ``False``.

    Raises
    ------
    ValueError
        If *pii_type* names no detector (the message lists the known types).

    Examples
    --------
    >>> import polars as pl
    >>> validate("credit_card", pl.Series(["4111 1111 1111 1111", "4111 1111 1111 1112"])).to_list()
    [True, False]
    >>> validate("national_id", pl.Series(["123-45-6789", "666-45-6789"])).to_list()
    [True, False]
    """
    detectors = detectors_by_type().get(pii_type)
    if not detectors:
        raise ValueError(f"unknown PII type {pii_type!r}; known: {sorted(detectors_by_type())}")
    text = values.cast(pl.String)
    result = pl.Series(values.name, [False] * len(values), dtype=pl.Boolean)
    for d in detectors:
        match = text.str.contains(d.pattern.replace("^", "^\\s*", 1).replace("$", "\\s*$"))
        match = match.fill_null(False)
        ok = match
        for _, check in d.validators:
            checked = pl.Series(values.name, [False] * len(values), dtype=pl.Boolean)
            idx = np.flatnonzero(match.to_numpy())
            if len(idx):
                passed = check(text.gather(idx).str.strip_chars()).to_numpy()
                arr = checked.to_numpy().copy()
                arr[idx] = passed
                checked = pl.Series(values.name, arr, dtype=pl.Boolean)
            ok = ok & checked
        result = result | ok
    return result
