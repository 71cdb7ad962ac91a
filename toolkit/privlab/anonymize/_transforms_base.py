"""The transform protocol every recipe step implements.

A transform is configured by the columns it touches and a small pydantic
``Params`` model (the recipe step's ``params``). It is split the way the design
asks for: :meth:`Transform.fit` computes whatever global state the transform
needs (distinct values for a keyed mapping, quantiles, microaggregation groups)
and stores it in attributes ending in ``_``; :meth:`Transform.apply` is then a
per-row polars expression over that state only. ``apply`` accepts a polars
``DataFrame`` or ``LazyFrame`` and returns the same type, so a recipe stays one
lazy query plan.

Examples
--------
>>> import polars as pl
>>> from privlab.anonymize import Mask
>>> Mask(["card"], keep_last=4).fit_apply(pl.DataFrame({"card": ["4111222233334444"]}))
shape: (1, 1)
┌──────────────────┐
│ card             │
│ ---              │
│ str              │
╞══════════════════╡
│ ************4444 │
└──────────────────┘
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import polars as pl
from pydantic import BaseModel, ConfigDict, ValidationError

from privlab.exceptions import ColumnNotFoundError, NotFittedError, RecipeError

__all__ = ["Transform", "TransformParams", "format_validation_error"]

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)
_T = TypeVar("_T", bound="Transform")


class TransformParams(BaseModel):
    """Base of every transform's parameter model: strict about unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_MESSAGES = {
    "greater_than_equal": "must be >= {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be <= {le}",
    "less_than": "must be < {lt}",
    "missing": "is required",
    "literal_error": "must be one of {expected}",
    "string_too_short": "must have at least {min_length} character(s)",
    "string_too_long": "must have at most {max_length} character(s)",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
}


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def format_validation_error(
    exc: ValidationError,
    *,
    prefix: str = "",
    allowed: Mapping[tuple[int | str, ...], Sequence[str]] | None = None,
    tags: Collection[str] = (),
) -> list[str]:
    """Turn a pydantic error into ``"path: what is wrong, got X"`` lines, one per problem.

    Parameters
    ----------
    exc:
        The validation error.
    prefix:
        Path prepended to every location (``"steps[2].params"``).
    allowed:
        Optional map from a location (without the field name) to the field names
        allowed there, used to suggest a name for an unknown key.
    tags:
        Discriminator tags (recipe ops) that pydantic inserts after a list index;
        they are left out of the printed path.

    Examples
    --------
    >>> from privlab.anonymize import Mask
    >>> try:
    ...     Mask.Params(keep_first=-1)
    ... except ValidationError as exc:
    ...     format_validation_error(exc, prefix="steps[2].params")
    ['steps[2].params.keep_first: must be >= 0, got -1']
    """
    import difflib

    lines: list[str] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        loc = tuple(
            part
            for i, part in enumerate(loc)
            if not (i and isinstance(loc[i - 1], int) and part in tags)
        )
        path = _path(loc)
        if prefix:
            path = f"{prefix}.{path}" if path and not path.startswith("[") else prefix + path
        etype = err["type"]
        ctx = err.get("ctx") or {}
        if etype == "privlab_nested":  # several problems found by one model validator
            for sub in ctx["errors"]:
                lines.append(f"{path}.{sub}" if path and not sub.startswith("[") else path + sub)
            continue
        if etype == "union_tag_invalid":
            expected = sorted(t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(","))
            lines.append(
                f"{path}: unknown {ctx.get('discriminator', 'tag').strip(chr(39))} "
                f"{ctx.get('tag')!r}; registered ops are {expected}"
            )
            continue
        if etype == "union_tag_not_found":
            lines.append(f"{path}.{ctx.get('discriminator', 'tag').strip(chr(39))}: is required")
            continue
        if etype == "extra_forbidden":
            msg = "unknown field"
            names = (allowed or {}).get(loc[:-1])
            if names is not None:
                close = difflib.get_close_matches(str(loc[-1]), list(names), n=1)
                msg += f"; allowed fields are {sorted(names)}"
                if close:
                    msg += f" — did you mean {close[0]!r}?"
            lines.append(f"{path}: {msg}")
            continue
        if etype == "missing":
            lines.append(f"{path}: is required")
            continue
        template = _MESSAGES.get(etype)
        if template is not None:
            shown = {
                k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in ctx.items()
            }
            try:
                msg = template.format(**shown)
            except (KeyError, IndexError):
                msg = err["msg"]
        else:
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            msg = msg[:1].lower() + msg[1:]
        if "input" in err and etype not in {"value_error", "assertion_error"}:
            msg += f", got {err['input']!r}"
        lines.append(f"{path}: {msg}" if path else msg)
    return lines


class Transform(ABC):
    """One recipe operation: ``fit`` learns global state, ``apply`` is polars expressions.

    Subclasses set ``name`` (the recipe ``op``) and ``Params`` (a
    :class:`TransformParams` model) and implement :meth:`_apply`, plus
    :meth:`_fit` when they need global state.

    Parameters
    ----------
    columns:
        The columns the operation changes (one name or a list).
    **params:
        The operation's parameters, validated against ``Params``; an invalid
        value raises :class:`~privlab.exceptions.RecipeError` listing every problem.
    """

    name: ClassVar[str]
    Params: ClassVar[type[TransformParams]]
    #: False for operations that may run without any column (e.g. dropping records).
    needs_columns: ClassVar[bool] = True
    #: True when the output hides or replaces the original values (lineage facet).
    masking: ClassVar[bool] = True
    #: True when the transform reads a secret key (pseudonyms, date shifts).
    keyed: ClassVar[bool] = False
    #: True for a step that changes no value on purpose (``keep``).
    identity: ClassVar[bool] = False

    def __init__(self, columns: str | Sequence[str] = (), **params: Any) -> None:
        self.columns: list[str] = [columns] if isinstance(columns, str) else list(columns)
        try:
            self.params = self.Params.model_validate(params)
        except ValidationError as exc:
            errors = format_validation_error(
                exc, prefix="params", allowed={(): list(self.Params.model_fields)}
            )
            raise RecipeError(
                f"invalid parameters for {self.name!r}:\n  " + "\n  ".join(errors), errors
            ) from None
        if self.needs_columns and not self.columns:
            raise RecipeError(
                f"{self.name!r} needs at least one column, got none; "
                "list them under the step's `columns`",
                ["columns: must list at least one column"],
            )

    # -- the public protocol ----------------------------------------------------------
    def fit(self: _T, frame: pl.DataFrame | pl.LazyFrame) -> _T:
        """Learn the global state ``apply`` needs from *frame*; returns ``self``."""
        lazy = frame.lazy()
        self._check_columns(lazy)
        self._fit(lazy)
        self.fitted_ = True
        return self

    def apply(self, frame: FrameT) -> FrameT:
        """Transform *frame*; a ``DataFrame`` in gives a ``DataFrame`` out, lazy stays lazy."""
        if not getattr(self, "fitted_", False):
            raise NotFittedError(
                f"{type(self).__name__} ({self.name!r}) is not fitted; call .fit(frame) "
                "first, or .fit_apply(frame)"
            )
        lazy = frame.lazy()
        self._check_columns(lazy)
        out = self._apply(lazy)
        if isinstance(frame, pl.DataFrame):
            return out.collect()
        return out

    def fit_apply(self, frame: FrameT) -> FrameT:
        """``fit(frame)`` then ``apply(frame)``."""
        return self.fit(frame).apply(frame)

    def reads(self) -> list[str]:
        """Columns the operation reads besides ``columns`` (for lineage)."""
        return []

    def to_step(self) -> dict[str, Any]:
        """The recipe step (``{op, columns, params}``) that rebuilds this transform.

        Defaults are left out, and no secret is ever included: keys are referenced
        by environment variable name or key-file path only.
        """
        return {
            "op": self.name,
            "columns": list(self.columns),
            "params": self.params.model_dump(mode="json", exclude_defaults=True),
        }

    def __repr__(self) -> str:
        params = self.params.model_dump(exclude_defaults=True)
        inner = ", ".join([repr(self.columns), *(f"{k}={v!r}" for k, v in params.items())])
        return f"{type(self).__name__}({inner})"

    # -- for subclasses ---------------------------------------------------------------
    def _fit(self, frame: pl.LazyFrame) -> None:  # noqa: B027 - optional hook
        """Compute global state; stateless transforms need nothing."""

    @abstractmethod
    def _apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """The per-row work, as polars expressions over fitted state only."""

    def _check_columns(self, frame: pl.LazyFrame) -> None:
        names = frame.collect_schema().names()
        for column in [*self.columns, *self.reads()]:
            if column not in names:
                raise ColumnNotFoundError(column, names, source=f"the input of {self.name!r}")
