"""Sensitivity profiling: identifiers, quasi-identifiers, sensitive attributes, PII in text.

The detectors live in :mod:`privlab.detect` (re-exported here for older imports).
"""

from privlab.detect import DETECTORS, Detector, text_pii_patterns, validate
from privlab.profile._classes import CombinationClasses
from privlab.profile._profile import ROLES, ColumnProfile, Profile, profile
from privlab.profile._stream import ColumnStats, HyperLogLog, profile_stream

__all__ = [
    "DETECTORS",
    "ROLES",
    "ColumnProfile",
    "ColumnStats",
    "CombinationClasses",
    "Detector",
    "HyperLogLog",
    "Profile",
    "profile",
    "profile_stream",
    "text_pii_patterns",
    "validate",
]
