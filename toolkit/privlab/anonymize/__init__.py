"""Anonymization: transforms, recipes, hierarchies, privacy models and the optimal search.

Examples
--------
>>> from privlab.anonymize import KAnonymity, Recipe
>>> KAnonymity(3).describe()
'3-anonymity'
>>> recipe = Recipe.from_dict({"steps": [{"op": "drop", "columns": ["ssn"]}]})
>>> recipe.steps[0].op
'drop'
"""

from __future__ import annotations

from privlab.anonymize._anonymize import anonymize
from privlab.anonymize._recipe import (
    CURRENT_RECIPE_VERSION,
    LSpec,
    PrivacySpec,
    Recipe,
    Resolved,
    Step,
    TSpec,
    migrate_recipe,
)
from privlab.anonymize._release import AnonymizationReport, Release
from privlab.anonymize._search import EncodingCache, SearchResult, search
from privlab.anonymize._stream import (
    RecipePlan,
    SparkRelease,
    StreamedRelease,
    anonymize_spark,
    anonymize_stream,
)
from privlab.anonymize._transforms import (
    REGISTRY,
    Condition,
    Drop,
    Generalize,
    Keep,
    Mask,
    Round,
    Suppress,
    TopBottomCode,
    build_transform,
    get_transform,
    transform_names,
)
from privlab.anonymize._transforms_base import Transform, TransformParams
from privlab.anonymize._transforms_keyed import DateShift, Pseudonymize, RedactText, resolve_key
from privlab.anonymize._transforms_stats import AddNoise, Microaggregate
from privlab.hierarchy import (
    Hierarchy,
    date_hierarchy,
    interval_hierarchy,
    prefix_hierarchy,
    suppress_hierarchy,
)
from privlab.models import KAnonymity, LDiversity, PrivacyModel, TCloseness

__all__ = [
    "CURRENT_RECIPE_VERSION",
    "REGISTRY",
    "AddNoise",
    "AnonymizationReport",
    "Condition",
    "DateShift",
    "Drop",
    "EncodingCache",
    "Generalize",
    "Hierarchy",
    "KAnonymity",
    "Keep",
    "LDiversity",
    "LSpec",
    "Mask",
    "Microaggregate",
    "PrivacyModel",
    "PrivacySpec",
    "Pseudonymize",
    "Recipe",
    "RecipePlan",
    "RedactText",
    "Release",
    "Resolved",
    "Round",
    "SearchResult",
    "SparkRelease",
    "Step",
    "StreamedRelease",
    "Suppress",
    "TCloseness",
    "TSpec",
    "TopBottomCode",
    "Transform",
    "TransformParams",
    "anonymize",
    "anonymize_spark",
    "anonymize_stream",
    "build_transform",
    "date_hierarchy",
    "get_transform",
    "interval_hierarchy",
    "migrate_recipe",
    "prefix_hierarchy",
    "resolve_key",
    "search",
    "suppress_hierarchy",
    "transform_names",
]
