"""Recipes: a versioned, validated, hashable description of an anonymization.

A recipe is data (YAML or a dict)::

    recipe_version: 1
    name: patients-for-research
    steps:
      - {op: drop, columns: [ssn, name]}
      - {op: pseudonymize, columns: [patient_id], params: {prefix: "P-", domain: research}}
      - {op: date_shift, columns: [admit_date], params: {subject: patient_id, max_days: 30}}
    privacy:
      quasi_identifiers: [age, zip, sex]
      hierarchies:
        age: {type: interval, widths: [5, 10, 20]}
        zip: {type: prefix, keep: [4, 3, 2]}
        sex: {type: suppress}
      k: 5
      l: {column: diagnosis, l: 2, variant: distinct}
      max_suppression: 0.02

``steps`` run in order; then, if ``privacy`` sets k, ℓ or t, the optimal search
picks one generalization level per quasi-identifier. The chosen levels are written
back into ``privacy.resolved`` (a *resolved recipe*), which replays the same
generalization on the next batch of data without searching again.

Validation rejects unknown keys, checks each step's ``params`` against that
operation's parameter model and reports every problem at once, with its path, in a
:class:`~privlab.exceptions.RecipeError`. :meth:`Recipe.json_schema` exports the
JSON Schema for editors; :meth:`Recipe.id` is the sha256 of the canonical JSON,
including the content of every hierarchy the recipe uses.

Examples
--------
>>> from privlab.anonymize import Recipe
>>> r = Recipe.from_yaml('''
... steps:
...   - {op: mask, columns: [phone], params: {keep_last: 4}}
... privacy: {quasi_identifiers: [age], hierarchies: {age: {type: interval, widths: [10]}}, k: 2}
... ''')
>>> r.steps[0].params.keep_last, r.privacy.k
(4, 2)
>>> len(r.id())
64
>>> try:
...     Recipe.from_dict({"steps": [{"op": "mask", "columns": ["p"], "params": {"keep_first": -1}}]}
...     )
... except RecipeError as exc:
...     exc.errors
['steps[0].params.keep_first: must be >= 0, got -1']
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from privlab.anonymize._transforms import REGISTRY, build_transform, transform_names
from privlab.anonymize._transforms_base import Transform, format_validation_error
from privlab.exceptions import HierarchyError, RecipeError
from privlab.hierarchy import Hierarchy
from privlab.models import KAnonymity, LDiversity, TCloseness

__all__ = [
    "CURRENT_RECIPE_VERSION",
    "HIERARCHY_TYPES",
    "LSpec",
    "PrivacySpec",
    "Recipe",
    "Resolved",
    "Step",
    "TSpec",
    "migrate_recipe",
]

#: The recipe format this privlab writes; older versions are migrated on load.
CURRENT_RECIPE_VERSION = 1

#: ``type`` values a hierarchy spec may have (built by anon-core's Hierarchy.from_spec).
HIERARCHY_TYPES = ("arx_csv", "date", "interval", "levels", "prefix", "suppress")

#: Pure functions upgrading a recipe dict from version N to N + 1.
_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def migrate_recipe(data: Mapping[str, Any]) -> dict[str, Any]:
    """Upgrade a recipe dict to :data:`CURRENT_RECIPE_VERSION` (returns a new dict).

    Each step is a pure function ``dict -> dict`` registered for one version. A
    recipe written by a newer privlab is an error rather than a guess.

    Examples
    --------
    >>> migrate_recipe({"steps": []})["recipe_version"]
    1
    >>> migrate_recipe({"recipe_version": 99})
    Traceback (most recent call last):
    ...
    ValueError: recipe_version 99 is newer than this privlab understands (1); upgrade privlab
    """
    out = copy.deepcopy(dict(data))
    version = out.get("recipe_version", CURRENT_RECIPE_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"recipe_version must be an integer >= 1, got {version!r}")
    if version > CURRENT_RECIPE_VERSION:
        raise ValueError(
            f"recipe_version {version} is newer than this privlab understands "
            f"({CURRENT_RECIPE_VERSION}); upgrade privlab"
        )
    while version < CURRENT_RECIPE_VERSION:
        migrate = _MIGRATIONS.get(version)
        if migrate is None:
            raise ValueError(f"no migration from recipe_version {version}; it is not supported")
        out = migrate(out)
        version += 1
        out["recipe_version"] = version
    out["recipe_version"] = version
    return out


def _nested(errors: list[str]) -> PydanticCustomError:
    return PydanticCustomError(
        "privlab_nested", "{detail}", {"detail": "; ".join(errors), "errors": errors}
    )


# ------------------------------------------------------------------------------ steps
class Step(BaseModel):
    """One recipe step ``{op, columns, params}``; ``params`` is the op's own model.

    Recipes hold one subclass per registered op (``MaskStep``, ``DropStep``, …),
    so ``params`` is validated against that op's parameter model.

    Examples
    --------
    >>> step = Recipe.from_dict({"steps": [{"op": "mask", "columns": "card",
    ...                                     "params": {"keep_last": 4}}]}).steps[0]
    >>> step.to_dict()
    {'op': 'mask', 'columns': ['card'], 'params': {'keep_last': 4}}
    >>> step.transform()
    Mask(['card'], keep_last=4)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    transform_class: ClassVar[type[Transform]]

    op: str
    columns: list[str] = Field(default_factory=list)
    params: Any = None

    @field_validator("columns", mode="before")
    @classmethod
    def _one_column_as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _buildable(self) -> Step:
        try:
            self.transform()
        except RecipeError as exc:
            raise _nested(exc.errors or [str(exc)]) from None
        return self

    def to_dict(self) -> dict[str, Any]:
        """``{op, columns, params}`` with default parameters left out."""
        out: dict[str, Any] = {"op": self.op, "columns": list(self.columns)}
        params = self.params.model_dump(mode="json", exclude_defaults=True)
        if params:
            out["params"] = params
        return out

    def transform(
        self, *, key: bytes | str | None = None, base_dir: Path | None = None
    ) -> Transform:
        """The (unfitted) transform for this step; *key* is used, never stored."""
        return build_transform(self.to_dict(), key=key, base_dir=base_dir)


def _step_model(cls: type[Transform]) -> type[Step]:
    # Every transform names its model `Params`; give each a unique schema name
    # (`MaskParams`) so the exported JSON Schema reads well.
    cls.Params.__name__ = cls.Params.__qualname__ = f"{cls.__name__}Params"
    cls.Params.model_rebuild(force=True)
    required = any(f.is_required() for f in cls.Params.model_fields.values())
    params_field: Any = (
        (cls.Params, ...) if required else (cls.Params, Field(default_factory=cls.Params))
    )
    op_type: Any = Literal[cls.name]
    model = create_model(
        f"{cls.__name__}Step",
        __base__=Step,
        __doc__=f"A ``{cls.name}`` step.",
        op=(op_type, ...),
        params=params_field,
    )
    model.transform_class = cls
    return model


_STEP_MODELS = tuple(_step_model(cls) for cls in REGISTRY)
if TYPE_CHECKING:
    from privlab.models import LDiversity, PrivacyModel, TCloseness

    AnyStep = Step
else:  # one model per registered op, told apart by `op` (precise JSON Schema, typed params)
    AnyStep = Annotated[Union[_STEP_MODELS], Field(discriminator="op")]  # noqa: UP007


# ---------------------------------------------------------------------------- privacy
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LSpec(_Strict):
    """ℓ-diversity of a sensitive column: ``{column, l, variant, c}``."""

    column: str
    l: int | float = Field(..., ge=1)
    variant: Literal["distinct", "entropy", "recursive"] = "distinct"
    c: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _variant(self) -> LSpec:
        self.model()  # the model's own checks (whole l for distinct, c for recursive, ...)
        return self

    def model(self) -> LDiversity:
        """The privacy model this spec describes."""
        l_value: float = int(self.l) if float(self.l).is_integer() else self.l
        return LDiversity(self.column, l_value, variant=self.variant, c=self.c)


class TSpec(_Strict):
    """t-closeness of a sensitive column: ``{column, t, ordered}``."""

    column: str
    t: float = Field(..., gt=0, le=1)
    ordered: bool | None = None

    def model(self) -> TCloseness:
        """The privacy model this spec describes."""
        return TCloseness(self.column, self.t, ordered=self.ordered)


class Resolved(_Strict):
    """The search's outcome fixed in a resolved recipe: one level per quasi-identifier."""

    levels: dict[str, Annotated[int, Field(ge=0)]]


class PrivacySpec(_Strict):
    """Privacy targets: quasi-identifiers, their hierarchies, k / ℓ / t, the suppression limit.

    At least one target (``k``, ``l`` or ``t``) is required, every
    quasi-identifier needs a hierarchy, and a sensitive column cannot also be a
    quasi-identifier; every violation is reported at once.

    Examples
    --------
    >>> spec = PrivacySpec(
    ...     quasi_identifiers=["age"], hierarchies={"age": {"type": "suppress"}},
    ...     k=5, l={"column": "dx", "l": 2},
    ... )
    >>> spec.models(), spec.sensitive
    ([KAnonymity(k=5), LDiversity(column='dx', l=2, variant='distinct', c=None)], ['dx'])
    """

    quasi_identifiers: list[str] = Field(..., min_length=1)
    hierarchies: dict[str, dict[str, Any]] = Field(default_factory=dict)
    k: int | None = Field(None, ge=2)
    l: LSpec | None = None
    t: TSpec | None = None
    max_suppression: float = Field(0.0, ge=0, le=1)
    suppression: Literal["mask", "drop"] = "drop"
    metric: str = "loss"
    resolved: Resolved | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PrivacySpec:
        errors: list[str] = []
        qis = self.quasi_identifiers
        dupes = sorted({q for q in qis if qis.count(q) > 1})
        if dupes:
            errors.append(f"quasi_identifiers: listed twice: {dupes!r}")
        if self.k is None and self.l is None and self.t is None:
            errors.append("k: give at least one privacy target (k, l or t)")
        for qi in qis:
            if qi not in self.hierarchies:
                errors.append(
                    f"hierarchies.{qi}: quasi-identifier {qi!r} needs a hierarchy, e.g. "
                    "{type: interval, widths: [5, 10]} or {type: suppress}"
                )
        for name, spec in self.hierarchies.items():
            if name not in qis:
                errors.append(f"hierarchies.{name}: {name!r} is not a quasi-identifier {qis!r}")
            kind = spec.get("type")
            if kind not in HIERARCHY_TYPES:
                errors.append(
                    f"hierarchies.{name}.type: must be one of {list(HIERARCHY_TYPES)}, got {kind!r}"
                )
            elif kind != "arx_csv":  # files are read when the recipe's folder is known
                try:
                    Hierarchy.from_spec(spec)
                except HierarchyError as exc:
                    errors.append(f"hierarchies.{name}: {exc}")
        for label, target in (("l", self.l), ("t", self.t)):
            if target is not None and target.column in qis:
                errors.append(
                    f"{label}.column: the sensitive column {target.column!r} cannot also be a "
                    "quasi-identifier"
                )
        if self.resolved is not None and set(self.resolved.levels) != set(qis):
            errors.append(
                f"resolved.levels: must give a level for exactly the quasi-identifiers {qis!r}, "
                f"got {sorted(self.resolved.levels)!r}"
            )
        if errors:
            raise _nested(errors)
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain dict, unset optional targets left out."""
        return self.model_dump(mode="json", exclude_none=True)

    def models(self) -> list[PrivacyModel]:
        """The privacy models (k, ℓ, t) the search must satisfy."""
        out: list[PrivacyModel] = []
        if self.k is not None:
            out.append(KAnonymity(self.k))
        if self.l is not None:
            out.append(self.l.model())
        if self.t is not None:
            out.append(self.t.model())
        return out

    @property
    def sensitive(self) -> list[str]:
        """Sensitive columns named by the ℓ and t targets."""
        return list(dict.fromkeys(s.column for s in (self.l, self.t) if s is not None))


# ----------------------------------------------------------------------------- recipe
class Recipe(BaseModel):
    """A validated anonymization recipe (see the module docstring for the format).

    Build one with :meth:`from_yaml` or :meth:`from_dict` (they raise
    :class:`~privlab.exceptions.RecipeError` listing every problem); write it with
    :meth:`to_yaml` / :meth:`to_dict`. A recipe is frozen: :meth:`resolve` and
    :meth:`unresolved` return new recipes.

    Examples
    --------
    >>> recipe = Recipe.from_dict(
    ...     {"steps": [{"op": "drop", "columns": "ssn"}],
    ...      "privacy": {"quasi_identifiers": ["age"], "k": 2,
    ...                  "hierarchies": {"age": {"type": "interval", "widths": [5, 10]}}}}
    ... )
    >>> recipe.steps[0].to_dict(), recipe.is_resolved
    ({'op': 'drop', 'columns': ['ssn']}, False)
    >>> Recipe.from_yaml(recipe.to_yaml()).id() == recipe.id()
    True
    >>> fixed = recipe.resolve({"age": 1})  # replays level 1 (5-year bands), no search
    >>> fixed.is_resolved, fixed.privacy.resolved.levels, fixed.id() == recipe.id()
    (True, {'age': 1}, False)
    >>> fixed.unresolved().id() == recipe.id()
    True
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    recipe_version: int = CURRENT_RECIPE_VERSION
    name: str | None = None
    steps: list[AnyStep] = Field(default_factory=list)
    privacy: PrivacySpec | None = None

    _base_dir: Path | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _migrate(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            try:
                return migrate_recipe(data)
            except ValueError as exc:
                raise PydanticCustomError(
                    "privlab_nested",
                    "{detail}",
                    {"detail": str(exc), "errors": [f"recipe_version: {exc}"]},
                ) from None
        return data

    @model_validator(mode="after")
    def _columns_flow(self) -> Recipe:
        errors: list[str] = []
        dropped: dict[str, int] = {}
        for i, step in enumerate(self.steps):
            transform = step.transform()
            for column in [*step.columns, *transform.reads()]:
                if column in dropped:
                    errors.append(
                        f"[{i}].columns: {column!r} was dropped by steps[{dropped[column]}]"
                    )
            if step.op == "drop":
                dropped.update({c: i for c in step.columns})
        if errors:
            raise _nested([f"steps{e}" for e in errors])
        if self.privacy is not None:
            used = list(self.privacy.quasi_identifiers)
            used += [s.column for s in (self.privacy.l, self.privacy.t) if s is not None]
            late = [
                f"privacy: {c!r} was dropped by steps[{dropped[c]}]" for c in used if c in dropped
            ]
            if late:
                raise _nested(late)
        return self

    # -- construction -----------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base_dir: str | Path | None = None) -> Recipe:
        """Validate a recipe dict; every problem is reported at once.

        Parameters
        ----------
        data:
            The recipe (e.g. from ``yaml.safe_load``).
        base_dir:
            Folder that relative hierarchy and key-file paths are resolved against.

        Raises
        ------
        RecipeError
            With ``errors``: one ``"path: problem"`` line per problem.
        """
        if not isinstance(data, Mapping):
            msg = f"a recipe must be a mapping (YAML dict), got {type(data).__name__}"
            raise RecipeError(msg, [msg])
        try:
            recipe = cls.model_validate(dict(data))
        except ValidationError as exc:
            errors = format_validation_error(
                exc, allowed=_allowed_fields(data), tags=transform_names()
            )
            head = f"invalid recipe ({len(errors)} problem{'s' * (len(errors) != 1)}):"
            raise RecipeError(head + "\n  " + "\n  ".join(errors), errors) from None
        recipe._base_dir = Path(base_dir) if base_dir is not None else None
        return recipe

    @classmethod
    def from_yaml(cls, source: str | Path) -> Recipe:
        """Load a recipe from a YAML file path or a YAML string (``yaml.safe_load``).

        Relative paths inside a recipe file (ARX hierarchy CSVs, key files) are
        resolved against the file's folder.

        Parameters
        ----------
        source:
            A :class:`~pathlib.Path`, a one-line string ending in ``.yaml`` or
            ``.yml`` (read as a path), or the YAML text itself. Empty YAML is the
            empty recipe.

        Returns
        -------
        Recipe

        Raises
        ------
        RecipeError
            The file cannot be read, the text is not valid YAML, or the recipe is
            invalid (``errors`` lists every problem).

        Examples
        --------
        >>> Recipe.from_yaml("steps: [{op: mask, columns: [phone], params: {keep_last: 4}}]").steps
        [MaskStep(op='mask', columns=['phone'], params=MaskParams(...keep_last=4...))]
        >>> Recipe.from_yaml("missing.yaml")
        Traceback (most recent call last):
        ...
        privlab.exceptions.RecipeError: cannot read recipe 'missing.yaml': No such file or directory
        """
        base_dir: Path | None = None
        if isinstance(source, Path) or ("\n" not in source and source.endswith((".yaml", ".yml"))):
            path = Path(source)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                msg = f"cannot read recipe {str(path)!r}: {exc.strerror}"
                raise RecipeError(msg, [msg]) from None
            base_dir = path.resolve().parent
        else:
            text = source
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            msg = f"recipe is not valid YAML: {exc}"
            raise RecipeError(msg, [msg]) from None
        return cls.from_dict(data if data is not None else {}, base_dir=base_dir)

    # -- serialization ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The recipe as plain JSON-able data, default parameters left out."""
        out: dict[str, Any] = {"recipe_version": self.recipe_version}
        if self.name is not None:
            out["name"] = self.name
        out["steps"] = [step.to_dict() for step in self.steps]
        if self.privacy is not None:
            out["privacy"] = self.privacy.to_dict()
        return out

    def to_yaml(self) -> str:
        """The recipe as YAML text (round-trips through :meth:`from_yaml`)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def canonical_json(self) -> str:
        """Sorted-key, compact JSON of :meth:`to_dict` (what :meth:`id` hashes)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def base_dir(self) -> Path | None:
        """Folder relative hierarchy and key-file paths are resolved against."""
        return self._base_dir

    def hierarchy_hashes(self) -> dict[str, str]:
        """Content hash of every hierarchy the recipe uses, by where it is used."""
        out: dict[str, str] = {}
        if self.privacy is not None:
            for name, spec in sorted(self.privacy.hierarchies.items()):
                out[f"privacy.hierarchies.{name}"] = _hierarchy_hash(spec, self._base_dir)
        for i, step in enumerate(self.steps):
            step_spec = getattr(step.params, "hierarchy", None)
            if step_spec is not None:
                out[f"steps[{i}].params.hierarchy"] = _hierarchy_hash(step_spec, self._base_dir)
        return out

    def id(self) -> str:
        """sha256 (hex) of the canonical recipe plus the content of every hierarchy it uses.

        Editing a hierarchy file changes the id even though the recipe text does not.
        """
        payload = {"recipe": self.to_dict(), "hierarchies": self.hierarchy_hashes()}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @staticmethod
    def json_schema() -> dict[str, Any]:
        """JSON Schema (draft 2020-12) of the recipe format, for editors and CI checks."""
        schema = Recipe.model_json_schema(mode="validation")
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            **schema,
            "title": "privlab recipe",
            "description": "An anonymization recipe: steps, then privacy targets for the search.",
        }

    # -- resolution --------------------------------------------------------------------
    @property
    def is_resolved(self) -> bool:
        """True when the privacy generalization levels are fixed (no search needed)."""
        return self.privacy is not None and self.privacy.resolved is not None

    def resolve(self, levels: Mapping[str, int]) -> Recipe:
        """A copy with ``privacy.resolved.levels`` fixed to *levels*.

        Parameters
        ----------
        levels:
            One generalization level per quasi-identifier, e.g. a search's
            :attr:`SearchResult.levels <privlab.anonymize.SearchResult.levels>`.

        Returns
        -------
        Recipe
            The resolved copy: :func:`~privlab.anonymize.anonymize` replays these
            levels instead of searching.

        Raises
        ------
        RecipeError
            The recipe has no privacy section, or *levels* do not match its QIs.

        Examples
        --------
        >>> recipe = Recipe.from_dict({"privacy": {
        ...     "quasi_identifiers": ["zip"], "k": 2,
        ...     "hierarchies": {"zip": {"type": "prefix", "keep": [3]}}}})
        >>> recipe.resolve({"zip": 1}).privacy.resolved.levels
        {'zip': 1}
        >>> try:
        ...     recipe.resolve({"age": 1})
        ... except RecipeError as exc:
        ...     exc.errors
        ["privacy.resolved.levels: must give a level for exactly the quasi-identifiers ['zip'],
          got ['age']"]
        """
        if self.privacy is None:
            msg = "cannot resolve a recipe without a privacy section"
            raise RecipeError(msg, [f"privacy: {msg}"])
        data = self.to_dict()
        data["privacy"]["resolved"] = {"levels": {k: int(v) for k, v in levels.items()}}
        return Recipe.from_dict(data, base_dir=self._base_dir)

    def unresolved(self) -> Recipe:
        """A copy without ``privacy.resolved`` (the search runs again)."""
        data = self.to_dict()
        if "privacy" in data:
            data["privacy"].pop("resolved", None)
        return Recipe.from_dict(data, base_dir=self._base_dir)


def _allowed_fields(data: Mapping[str, Any]) -> dict[tuple[int | str, ...], list[str]]:
    """Field names allowed at each location, for 'did you mean' hints."""
    allowed: dict[tuple[int | str, ...], list[str]] = {
        (): list(Recipe.model_fields),
        ("privacy",): list(PrivacySpec.model_fields),
        ("privacy", "l"): list(LSpec.model_fields),
        ("privacy", "t"): list(TSpec.model_fields),
    }
    steps = data.get("steps")
    if isinstance(steps, list):
        names = {cls.name: cls for cls in REGISTRY}
        for i, step in enumerate(steps):
            if isinstance(step, Mapping) and step.get("op") in names:
                allowed[(i,)] = list(Step.model_fields)
                allowed[("steps", i)] = list(Step.model_fields)
                allowed[("steps", i, "params")] = list(names[step["op"]].Params.model_fields)
    return allowed


def _hierarchy_hash(spec: Mapping[str, Any], base_dir: Path | None) -> str:
    """Content hash of one hierarchy spec (a file's content, not its path)."""
    try:
        return Hierarchy.from_spec(spec, base_dir=base_dir).content_hash()
    except HierarchyError as exc:
        msg = f"hierarchy {dict(spec)!r} cannot be read: {exc}"
        raise RecipeError(msg, [msg]) from None
