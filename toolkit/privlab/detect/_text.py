"""PII inside free text: e-mails, IBANs, cards, national IDs, phones, IPs and person names.

:func:`find_pii` returns, per PII type, the exact substrings found in a column of
text. Each type is found in two steps: one vectorized regex extracts candidate
spans from every row (``str.extract_all``), then only the *distinct* candidates
are checked — IBANs by mod 97, cards by Luhn, national IDs by ``python-stdnum``'s
schemes or the US SSN ranges (any separators: ``123-45-6789``, ``123 45 6789``,
``123456789``), phones by libphonenumber (:func:`~privlab.detect.find_phones`),
names against the packaged name statistics (:func:`~privlab.detect.find_names`).
Redaction then replaces the found strings with ``str.replace_many`` (one
Aho–Corasick pass), and counts them with ``str.extract_many``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import polars as pl

from privlab.detect._detectors import iban_check, luhn, ssn_check
from privlab.detect._ids import _RAW_SEPARATORS, SCHEMES, _compact, _module
from privlab.detect._names import find_names
from privlab.detect._phone import find_phones

__all__ = ["TEXT_TYPES", "find_pii"]

#: PII types found in text, in the order they are redacted.
TEXT_TYPES: tuple[str, ...] = (
    "email",
    "url",
    "iban",
    "credit_card",
    "national_id",
    "phone",
    "ip_address",
    "person_name",
)
_EMAIL = r"[\p{L}0-9._%+-]+@[\p{L}0-9.-]+\.[A-Za-z]{2,}"
_URL = r"(?:https?://|www\.)[^\s<>\"']+"
_IBAN = r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b"
_CARD = r"\b(?:\d{4}[ -]?){3}\d{1,7}\b"
_IPV4 = r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"
_IPV6 = r"\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b"
#: Digit groups with any separators (SSN 123 45 6789, BSN 1234.56.789, PESEL …) and
#: alphanumeric national IDs (codice fiscale, DNI/NIE, NINO, CURP, PAN).
_ID = (
    r"\b\d{3}[ .\-]?\d{2}[ .\-]?\d{4}\b"
    r"|\b\d(?:[ .\-/]?\d){7,17}[0-9X]?\b"
    r"|\b[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]\b"
    r"|\b[XYZ]?\d{7,8}[ -]?[A-Z]\b"
    r"|\b[A-CEGHJ-PR-TW-Z]{2}[ ]?\d{2}[ ]?\d{2}[ ]?\d{2}[ ]?[A-D]\b"
    r"|\b\d{6}[-+A]\d{3}[0-9A-Y]\b"
)


def _distinct(texts: pl.Series, pattern: str) -> list[str]:
    found = texts.str.extract_all(pattern).explode().drop_nulls().unique()
    return [v for v in found.to_list() if v]


#: Times of day (10:05:45.329777) and long decimal fractions (0.063210080): digits that
#: are no card, ID or phone number, blanked before those are looked for.
_NOT_A_NUMBER = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?|\b\d{1,3}[.,]\d{6,}\b"


def _numbers_only(text: pl.Series) -> pl.Series:
    """*text* with times and long decimals blanked (what is left is unchanged)."""
    return text.str.replace_all(_NOT_A_NUMBER, " ")


#: Digit groups that are dates as written (2024-02-09, 09.02.2024): no ID looks like one.
_DATE_LIKE = r"^(?:\d{4}[./\-]\d{1,2}[./\-]\d{1,2}|\d{1,2}[./\-]\d{1,2}[./\-]\d{4})$"


def _personal_id(candidates: list[str]) -> list[str]:
    """Candidates that are a personal ID under some scheme (or US SSN ranges)."""
    candidates = [c for c in candidates if not re.match(_DATE_LIKE, c)]
    if not candidates:
        return []
    series = pl.Series(candidates, dtype=pl.String)
    ssn_shaped = series.str.contains(r"^\d{3}[ .\-]?\d{2}[ .\-]?\d{4}$")
    ssn_ok = ssn_check(series.str.replace_all(r"[ .]", "-").str.replace_all("-", "")) & ssn_shaped
    keep = set(series.filter(ssn_ok).to_list())
    rest = [c for c in candidates if c not in keep]
    compact = {raw: _compact(pl.Series(rest, dtype=pl.String), raw=raw) for raw in (False, True)}
    pending = np.ones(len(rest), dtype=bool)
    for s in SCHEMES:
        if not s.personal or s.kind == "bank_account" or not pending.any():
            continue
        values = compact[s.module in _RAW_SEPARATORS]
        shaped = values.str.contains(s.shape).fill_null(False).to_numpy() & pending
        for i in np.flatnonzero(shaped):  # python-stdnum only on values of the scheme's shape
            try:
                ok = bool(_module(s.module).is_valid(values[int(i)]))
            except Exception:
                continue
            if ok:
                keep.add(rest[int(i)])
                pending[i] = False
    return sorted(keep, key=lambda s: (-len(s), s))


def find_pii(
    texts: pl.Series,
    *,
    types: Sequence[str] | None = None,
    regions: Iterable[str] = (),
) -> dict[str, list[str]]:
    """PII substrings per type found in *texts* (only types that occur are keys).

    Parameters
    ----------
    texts:
        A column of free text.
    types:
        Restrict to these types (default :data:`TEXT_TYPES`).
    regions:
        ISO 3166 regions national phone numbers are read against (besides
        international numbers and US, GB, DE, FR).

    Returns
    -------
    dict
        ``{type: substrings}``, each list distinct and longest first. Types are
        searched in :data:`TEXT_TYPES` order and what one type found is blanked
        before the next is searched (a card number is not also a phone number).

    Examples
    --------
    >>> import polars as pl
    >>> found = find_pii(pl.Series(["Patient Sarah Hansen, SSN 123 45 6789, +33 (0)3 87 17 77 63"]))
    >>> found["person_name"], found["national_id"], found["phone"]
    (['Sarah Hansen'], ['123 45 6789'], ['+33 (0)3 87 17 77 63'])
    >>> find_pii(pl.Series(["write to ana@example.org"]), types=["email", "phone"])
    {'email': ['ana@example.org']}
    """
    wanted = list(TEXT_TYPES) if types is None else [t for t in TEXT_TYPES if t in types]
    text = texts.cast(pl.String).drop_nulls().unique()  # each distinct text is read once
    regions = list(regions)
    out: dict[str, list[str]] = {}
    for kind in wanted:
        if kind == "email":
            found = _distinct(text, _EMAIL)
        elif kind == "url":
            found = _distinct(text, _URL)
        elif kind == "iban":
            cands = _distinct(text, _IBAN)
            ok = iban_check(pl.Series(cands, dtype=pl.String)) if cands else pl.Series([])
            found = [c for c, good in zip(cands, ok.to_list(), strict=True) if good]
        elif kind == "credit_card":
            cands = _distinct(_numbers_only(text), _CARD)
            ok = luhn(pl.Series(cands, dtype=pl.String)) if cands else pl.Series([])
            found = [c for c, good in zip(cands, ok.to_list(), strict=True) if good]
        elif kind == "national_id":
            found = _personal_id(_distinct(_numbers_only(text), _ID))
        elif kind == "phone":
            found = find_phones(_numbers_only(text), regions=regions)
        elif kind == "ip_address":
            found = _distinct(text, _IPV4) + _distinct(text, _IPV6)
        else:
            found = find_names(text)
        if found:
            out[kind] = sorted(set(found), key=lambda s: (-len(s), s))
            text = text.str.replace_many(out[kind], [""] * len(out[kind]))
    return out
