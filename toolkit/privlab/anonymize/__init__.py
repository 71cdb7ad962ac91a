"""Anonymization: hierarchies, privacy models and the optimal generalization search.

Examples
--------
>>> from privlab.anonymize import KAnonymity, search
>>> KAnonymity(3).describe()
'3-anonymity'
"""

from privlab.anonymize._hierarchy import (
    Hierarchy,
    date_hierarchy,
    interval_hierarchy,
    prefix_hierarchy,
    suppress_hierarchy,
)
from privlab.anonymize._models import KAnonymity, LDiversity, PrivacyModel, TCloseness
from privlab.anonymize._search import SearchResult, search

__all__ = [
    "Hierarchy",
    "KAnonymity",
    "LDiversity",
    "PrivacyModel",
    "SearchResult",
    "TCloseness",
    "date_hierarchy",
    "interval_hierarchy",
    "prefix_hierarchy",
    "search",
    "suppress_hierarchy",
]
