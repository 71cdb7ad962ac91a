"""Privacy models — k-anonymity, ℓ-diversity, t-closeness — and their class kernels.

The one implementation that the search, the risk report and the release check
share (:mod:`privlab.models._kernels`).

Examples
--------
>>> from privlab.models import KAnonymity, LDiversity
>>> KAnonymity(5).describe()
'5-anonymity'
>>> LDiversity("diagnosis", 2).describe()
"distinct 2-diversity on 'diagnosis'"
"""

from privlab.models._kernels import (
    ClassPairs,
    class_pairs,
    distinct_values,
    entropy,
    equal_distance,
    l_diverse,
    ordered_distance,
    recursive_c,
    recursive_parts,
    t_distance,
    violations,
)
from privlab.models._models import KAnonymity, LDiversity, PrivacyModel, TCloseness

__all__ = [
    "ClassPairs",
    "KAnonymity",
    "LDiversity",
    "PrivacyModel",
    "TCloseness",
    "class_pairs",
    "distinct_values",
    "entropy",
    "equal_distance",
    "l_diverse",
    "ordered_distance",
    "recursive_c",
    "recursive_parts",
    "t_distance",
    "violations",
]
