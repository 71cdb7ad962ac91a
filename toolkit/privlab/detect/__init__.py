"""Semantic-type detectors and validators: what a value *is* (e-mail, SSN, IBAN, …).

The lowest layer that knows about personal data: the profile, ``redact_text``
and the release guard all detect through it.

Examples
--------
>>> import polars as pl
>>> from privlab.detect import validate
>>> validate("iban", pl.Series(["GB82 WEST 1234 5698 7654 32"])).to_list()
[True]
"""

from privlab.detect._detectors import DETECTORS, Detector, text_pii_patterns, validate

__all__ = ["DETECTORS", "Detector", "text_pii_patterns", "validate"]
