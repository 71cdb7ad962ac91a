"""Semantic-type detectors and validators: what a value *is* (e-mail, phone, national ID, …).

The lowest layer that knows about personal data: the profile, ``redact_text``
and the release guard all detect through it. Built on well-kept libraries where
one exists — libphonenumber (``phonenumbers``) for phones in any national format,
``python-stdnum`` for checksummed national IDs of 50+ countries, CLDR (``babel``)
and ISO 3166 (``pycountry``) for country and region names, published name
statistics of many countries for person names — and vectorized polars for
everything that runs per value (patterns, dates in any order, shapes).

Examples
--------
>>> import polars as pl
>>> from privlab.detect import validate
>>> validate("iban", pl.Series(["GB82 WEST 1234 5698 7654 32"])).to_list()
[True]
"""

from privlab.detect._dates import DATE_FORMATS, DateParse, parse_dates
from privlab.detect._detectors import DETECTORS, Detector, text_pii_patterns, validate
from privlab.detect._ids import SCHEMES, Scheme, id_evidence, mixed_id_evidence
from privlab.detect._names import find_names, fold, name_evidence, name_lists
from privlab.detect._phone import PHONE_SHAPE, find_phones, phone_evidence
from privlab.detect._places import POSTAL_PATTERNS, country_codes, place_evidence
from privlab.detect._shapes import random_id_evidence
from privlab.detect._text import TEXT_TYPES, find_pii

__all__ = [
    "DATE_FORMATS",
    "DETECTORS",
    "PHONE_SHAPE",
    "POSTAL_PATTERNS",
    "SCHEMES",
    "TEXT_TYPES",
    "DateParse",
    "Detector",
    "Scheme",
    "country_codes",
    "find_names",
    "find_phones",
    "find_pii",
    "fold",
    "id_evidence",
    "mixed_id_evidence",
    "name_evidence",
    "name_lists",
    "parse_dates",
    "phone_evidence",
    "place_evidence",
    "random_id_evidence",
    "text_pii_patterns",
    "validate",
]
