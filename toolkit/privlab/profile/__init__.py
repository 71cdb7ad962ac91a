"""Sensitivity profiling: identifiers, quasi-identifiers, sensitive attributes, PII in text."""

from privlab.profile._detectors import DETECTORS, Detector, text_pii_patterns, validate
from privlab.profile._profile import ROLES, ColumnProfile, Profile, profile

__all__ = [
    "DETECTORS",
    "ROLES",
    "ColumnProfile",
    "Detector",
    "Profile",
    "profile",
    "text_pii_patterns",
    "validate",
]

from privlab._callable import make_callable

make_callable(__name__, profile)
