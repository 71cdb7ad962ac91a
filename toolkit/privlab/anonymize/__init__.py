"""Anonymization: transforms, recipes, privacy models and the optimal search.

Examples
--------
>>> from privlab.anonymize import Recipe
>>> recipe = Recipe.from_dict({"steps": [{"op": "drop", "columns": ["ssn"]}]})
>>> recipe.steps[0].op
'drop'
"""

from __future__ import annotations

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
from privlab.anonymize._transforms import (
    REGISTRY,
    Condition,
    Drop,
    Generalize,
    Mask,
    Round,
    Suppress,
    TopBottomCode,
    build_transform,
    get_transform,
    transform_names,
)
from privlab.anonymize._transforms_base import Transform, TransformParams
from privlab.anonymize._transforms_keyed import DateShift, Pseudonymize, RedactText
from privlab.anonymize._transforms_stats import AddNoise, Microaggregate

__all__ = [
    "CURRENT_RECIPE_VERSION",
    "REGISTRY",
    "AddNoise",
    "Condition",
    "DateShift",
    "Drop",
    "Generalize",
    "LSpec",
    "Mask",
    "Microaggregate",
    "PrivacySpec",
    "Pseudonymize",
    "Recipe",
    "RedactText",
    "Resolved",
    "Round",
    "Step",
    "Suppress",
    "TSpec",
    "TopBottomCode",
    "Transform",
    "TransformParams",
    "build_transform",
    "get_transform",
    "migrate_recipe",
    "transform_names",
]
