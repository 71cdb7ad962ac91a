"""SDV metadata built from a privlab Profile — and never carrying a real value.

SDV 2.x's own ``Metadata.detect_from_dataframes`` writes real values into the
metadata (``range_values`` lists every category, ``range_min``/``range_max`` the
extremes). privlab therefore builds the metadata itself from the column dtypes and
the Profile, and passes SDV only the keys it needs to fit (``sdtype``, ``pii``,
``computer_representation``, privlab's own key pattern). :func:`sanitize_sdv_metadata`
strips anything else from an SDV metadata dict handed in from elsewhere.

How each column is treated (``ColumnPlan.handling``):

``modelled``
    learned by the synthesizer (quasi-identifiers, sensitive and other attributes).
``generated``
    a direct identifier or free text: SDV gets a PII sdtype (``email``,
    ``phone_number``, ``ssn``, ``name`` …) and draws fresh values with Faker; the
    real values are never learned.
``primary_key`` / ``foreign_key``
    keys; string primary keys get privlab's pattern ``syn-########`` so no real key
    value can reappear, and foreign keys point at the synthetic parent keys.

Examples
--------
>>> import polars as pl
>>> from privlab.synth import build_metadata
>>> df = pl.DataFrame({"email": ["a@x.org", "b@y.org"], "age": [31, 47]})
>>> meta = build_metadata({"people": df}, profile={"email": "email", "age": None})
>>> [(c.name, c.handling, c.sdtype) for c in meta.tables["people"].columns]
[('email', 'generated', 'email'), ('age', 'modelled', 'numerical')]
>>> "31" in str(meta.to_dict())
False
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from privlab.exceptions import ColumnNotFoundError, SynthesisError

if TYPE_CHECKING:  # pragma: no cover
    from sdv.metadata import Metadata

__all__ = [
    "ColumnPlan",
    "Relationship",
    "SynthMetadata",
    "TablePlan",
    "build_metadata",
    "sanitize_sdv_metadata",
]

Handling = Literal["modelled", "generated", "primary_key", "foreign_key"]

#: privlab semantic type (profile / answer key) -> SDV PII sdtype drawn with Faker.
PII_SDTYPES: dict[str, str] = {
    "address": "address",
    "credit_card": "credit_card_number",
    "date_of_birth": "date_of_birth",
    "email": "email",
    "first_name": "first_name",
    "iban": "iban",
    "ip_address": "ipv4_address",
    "last_name": "last_name",
    "name": "name",
    "national_id": "ssn",
    "person_name": "name",
    "phone": "phone_number",
    "phone_number": "phone_number",
    "postal_code": "postcode",
    "ssn": "ssn",
    "street_address": "street_address",
    "url": "url",
}
#: Semantic types that are direct identifiers even when no role is given.
DIRECT_TYPES = frozenset(
    {"credit_card", "email", "iban", "ip_address", "national_id", "person_name", "phone", "ssn"}
)
TEXT_TYPES = frozenset({"free_text"})
KEY_TYPES = frozenset({"record_key"})
#: Semantic types modelled as categories whatever their dtype (e.g. integer ZIP codes).
CATEGORICAL_TYPES = frozenset({"categorical", "postal_code"})

#: The only per-column keys privlab passes to SDV or shows; everything else (ranges,
#: category lists, detected regexes) is dropped because it can hold real values.
_SAFE_COLUMN_KEYS = frozenset({"sdtype", "pii", "computer_representation", "datetime_format"})
_KEY_PATTERN_DIGITS = 8
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
#: A string column at least this unique, with no other evidence, is treated as an identifier.
_UNIQUE_SHARE = 0.95
#: A string column with at least this share of distinct values is never learned as categories
#: (its categories would be real identifiers, names or notes).
_HIGH_CARDINALITY = 0.5


@dataclass(frozen=True)
class ColumnPlan:
    """How one column is synthesized. Holds types and decisions, never values.

    Attributes
    ----------
    name, dtype:
        Column name and its polars dtype (as text).
    sdtype:
        The SDV semantic type passed to the synthesizer.
    handling:
        ``modelled``, ``generated``, ``primary_key`` or ``foreign_key``.
    role, semantic_type:
        What the Profile (or mapping) said about the column, if anything.
    datetime_format:
        For a string column of dates: the format it is parsed with and written back in.
    key_pattern:
        For a string primary key: the regex privlab's synthetic keys follow.
    reason:
        One line on why the column got this handling.
    """

    name: str
    dtype: str
    sdtype: str
    handling: Handling
    role: str | None = None
    semantic_type: str | None = None
    datetime_format: str | None = None
    key_pattern: str | None = None
    reason: str = ""

    def to_sdv(self) -> dict[str, Any]:
        """The SDV column metadata (only keys from the safe list)."""
        out: dict[str, Any] = {"sdtype": self.sdtype}
        if self.handling == "generated":
            out["pii"] = True
        if self.key_pattern is not None:
            out["regex_format"] = self.key_pattern
        return out


@dataclass(frozen=True)
class TablePlan:
    """The plan of one table: its columns in order and its primary key."""

    name: str
    columns: tuple[ColumnPlan, ...]
    primary_key: str | None = None

    def column(self, name: str) -> ColumnPlan:
        """The plan of column *name*."""
        for col in self.columns:
            if col.name == name:
                return col
        raise ColumnNotFoundError(name, [c.name for c in self.columns], source=self.name)

    def names(self, *handling: Handling) -> list[str]:
        """Column names with any of the given handlings (all columns when none given)."""
        return [c.name for c in self.columns if not handling or c.handling in handling]


@dataclass(frozen=True)
class Relationship:
    """A parent → child link: ``child.child_key`` references ``parent.parent_key``."""

    parent: str
    parent_key: str
    child: str
    child_key: str


@dataclass(frozen=True)
class SynthMetadata:
    """Sanitized metadata of a synthesis: tables, column plans and relationships.

    It holds names, dtypes and decisions only — no category lists, no ranges and no
    identifier values — so it is safe to save, show and put in a release manifest.
    """

    tables: dict[str, TablePlan]
    relationships: tuple[Relationship, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the form written to ``metadata.json``)."""
        return {
            "tables": {
                name: {
                    "primary_key": plan.primary_key,
                    "columns": [
                        {k: v for k, v in asdict(col).items() if v is not None}
                        for col in plan.columns
                    ],
                }
                for name, plan in self.tables.items()
            },
            "relationships": [asdict(rel) for rel in self.relationships],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SynthMetadata:
        """Rebuild from :meth:`to_dict` output."""
        tables = {
            name: TablePlan(
                name=name,
                columns=tuple(ColumnPlan(**col) for col in spec["columns"]),
                primary_key=spec.get("primary_key"),
            )
            for name, spec in data["tables"].items()
        }
        rels = tuple(Relationship(**rel) for rel in data.get("relationships", []))
        return cls(tables=tables, relationships=rels)

    def to_json(self, path: str | Path) -> None:
        """Write :meth:`to_dict` as JSON to *path*."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")

    def to_sdv_dict(self) -> dict[str, Any]:
        """The SDV metadata dict: safe keys only, ready for ``Metadata.load_from_dict``."""
        tables: dict[str, Any] = {}
        for name, plan in self.tables.items():
            spec: dict[str, Any] = {"columns": {c.name: c.to_sdv() for c in plan.columns}}
            if plan.primary_key is not None:
                spec["primary_key"] = plan.primary_key
            tables[name] = spec
        return {
            "tables": tables,
            "relationships": [
                {
                    "parent_table_name": r.parent,
                    "parent_primary_key": r.parent_key,
                    "child_table_name": r.child,
                    "child_foreign_key": r.child_key,
                }
                for r in self.relationships
            ],
            "METADATA_SPEC_VERSION": "V1",
        }

    def to_sdv(self) -> Metadata:
        """An SDV ``Metadata`` object built from :meth:`to_sdv_dict`."""
        from sdv.metadata import Metadata

        return Metadata.load_from_dict(self.to_sdv_dict())

    def __repr__(self) -> str:
        parts = []
        for name, plan in self.tables.items():
            cols = ", ".join(f"{c.name}:{c.handling}/{c.sdtype}" for c in plan.columns)
            parts.append(f"{name}[{cols}]")
        return f"SynthMetadata({'; '.join(parts)})"


def sanitize_sdv_metadata(metadata: Mapping[str, Any] | Any) -> dict[str, Any]:
    """Strip everything that can hold a real value from an SDV metadata dict.

    Keeps per column only ``sdtype``, ``pii``, ``computer_representation`` and
    ``datetime_format``, plus keys, relationships and the spec version. Drops
    ``range_values`` (every category), ``range_min``/``range_max``, ``order`` lists,
    detected ``regex_format`` patterns and anything unknown.

    Parameters
    ----------
    metadata:
        An SDV ``Metadata`` object or the dict from its ``to_dict()``.

    Examples
    --------
    >>> md = {"tables": {"t": {"columns": {
    ...     "sex": {"sdtype": "categorical", "range_values": ["F", "M"]},
    ...     "age": {"sdtype": "numerical", "range_min": 18, "range_max": 90}}}}}
    >>> sanitize_sdv_metadata(md)["tables"]["t"]["columns"]
    {'sex': {'sdtype': 'categorical'}, 'age': {'sdtype': 'numerical'}}
    """
    raw = metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata)
    tables: dict[str, Any] = {}
    for name, spec in raw.get("tables", {}).items():
        clean: dict[str, Any] = {
            "columns": {
                col: {k: v for k, v in colspec.items() if k in _SAFE_COLUMN_KEYS}
                for col, colspec in spec.get("columns", {}).items()
            }
        }
        for key in ("primary_key", "alternate_keys", "sequence_key", "sequence_index"):
            if spec.get(key) is not None:
                clean[key] = spec[key]
        tables[name] = clean
    out: dict[str, Any] = {"tables": tables}
    if "relationships" in raw:
        out["relationships"] = [dict(r) for r in raw["relationships"]]
    if "METADATA_SPEC_VERSION" in raw:
        out["METADATA_SPEC_VERSION"] = raw["METADATA_SPEC_VERSION"]
    return out


# --------------------------------------------------------------------------- hints


@dataclass(frozen=True)
class _Hint:
    role: str | None
    semantic_type: str | None


def _hint_from_value(value: Any) -> _Hint:
    if value is None or isinstance(value, str):
        role = "direct_identifier" if value in DIRECT_TYPES else None
        return _Hint(role=role, semantic_type=value)
    if isinstance(value, Mapping):
        sem = value.get("semantic_type", value.get("pii_type"))
        return _Hint(role=value.get("role"), semantic_type=sem)
    role = getattr(value, "role", None)
    sem = getattr(value, "semantic_type", None)
    return _Hint(role=_enum_text(role), semantic_type=_enum_text(sem))


def _enum_text(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _hints_for(profile: Any) -> dict[str, _Hint]:
    """Column -> hint from a Profile-like object or a mapping."""
    if profile is None:
        return {}
    if isinstance(profile, Mapping):
        return {str(k): _hint_from_value(v) for k, v in profile.items()}
    columns = getattr(profile, "columns", None)
    if columns is None:
        raise SynthesisError(
            "`profile` must be a privlab Profile (with .columns), a mapping "
            f"{{column: pii_type}} or None, got {type(profile).__name__!r}"
        )
    items: Iterable[Any] = columns.values() if isinstance(columns, Mapping) else columns
    return {str(col.name): _hint_from_value(col) for col in items}


def _is_table_profile(value: Any) -> bool:
    if hasattr(value, "columns"):
        return True
    return isinstance(value, Mapping) and not ({"role", "pii_type", "semantic_type"} & set(value))


def _split_profile(profile: Any, tables: Mapping[str, pl.DataFrame]) -> dict[str, dict[str, _Hint]]:
    """Per-table hints: a {table: profile} mapping, or one profile/mapping for all tables."""
    if (
        isinstance(profile, Mapping)
        and profile
        and set(profile) <= set(tables)
        and all(_is_table_profile(v) for v in profile.values())
    ):
        return {name: _hints_for(profile.get(name)) for name in tables}
    hints = _hints_for(profile)
    return {name: hints for name in tables}


# ---------------------------------------------------------------- column decisions


def _string_date_format(series: pl.Series) -> tuple[str, bool] | None:
    """The format that parses every non-null value of a string column, if any."""
    values = series.drop_nulls()
    if values.len() == 0:
        return None
    for fmt in _DATE_FORMATS:
        parsed = values.str.to_date(fmt, strict=False)
        if parsed.null_count() == 0:
            return fmt, False
    for fmt in _DATETIME_FORMATS:
        parsed_dt = values.str.to_datetime(fmt, strict=False)
        if parsed_dt.null_count() == 0:
            return fmt, True
    return None


def _key_pattern(series: pl.Series) -> str:
    """A regex for synthetic string keys that no real key value can match."""
    prefix = "syn-"
    existing = series.cast(pl.String).drop_nulls()
    n = 0
    while existing.str.starts_with(prefix).any():
        n += 1
        prefix = f"syn{n}-"
    return f"{prefix}[0-9]{{{_KEY_PATTERN_DIGITS}}}"


def _plan_column(
    name: str,
    series: pl.Series,
    hint: _Hint | None,
    *,
    primary_key: str | None,
    foreign_keys: set[str],
) -> ColumnPlan:
    dtype = series.dtype
    dtype_text = str(dtype)
    role = hint.role if hint else None
    sem = hint.semantic_type if hint else None
    common: dict[str, Any] = {
        "name": name,
        "dtype": dtype_text,
        "role": role,
        "semantic_type": sem,
    }

    if name == primary_key:
        pattern = _key_pattern(series) if dtype == pl.String else None
        return ColumnPlan(
            sdtype="id",
            handling="primary_key",
            key_pattern=pattern,
            reason="primary key: fresh synthetic key values",
            **common,
        )
    if name in foreign_keys:
        return ColumnPlan(
            sdtype="id",
            handling="foreign_key",
            reason="foreign key: points at synthetic parent keys",
            **common,
        )
    if sem in TEXT_TYPES:
        return ColumnPlan(
            sdtype="text",
            handling="generated",
            reason="free text may hide PII: filler text is generated, never learned",
            **common,
        )
    is_direct = role == "direct_identifier" or (role is None and sem in DIRECT_TYPES)
    if is_direct or sem in KEY_TYPES:
        sdtype = PII_SDTYPES.get(sem or "", "unknown")
        return ColumnPlan(
            sdtype=sdtype,
            handling="generated",
            reason="direct identifier: fresh values drawn with Faker, never learned",
            **common,
        )
    dates = sem in ("date", "date_of_birth") or (
        dtype == pl.String and _string_date_format(series.cast(pl.String)) is not None
    )
    if dtype == pl.String and not dates and _identifier_like(series):
        return ColumnPlan(
            sdtype=PII_SDTYPES.get(sem or "", "unknown"),
            handling="generated",
            reason=(
                "high-cardinality text: never learned as categories (they would be real "
                "values); generated fresh"
            ),
            **common,
        )
    if sem in CATEGORICAL_TYPES:
        return ColumnPlan(sdtype="categorical", handling="modelled", reason=f"{sem}", **common)
    if dtype == pl.Boolean:
        return ColumnPlan(sdtype="boolean", handling="modelled", reason="boolean", **common)
    if dtype.is_numeric():
        return ColumnPlan(sdtype="numerical", handling="modelled", reason="numeric", **common)
    if dtype.is_temporal():
        return ColumnPlan(sdtype="datetime", handling="modelled", reason="temporal", **common)
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        strings = series.cast(pl.String)
        found = _string_date_format(strings) if dtype == pl.String else None
        if found is not None:
            return ColumnPlan(
                sdtype="datetime",
                handling="modelled",
                datetime_format=found[0],
                reason=f"dates as text ({found[0]})",
                **common,
            )
        non_null = strings.drop_nulls()
        distinct = non_null.n_unique()
        if non_null.len() >= 20 and distinct >= _UNIQUE_SHARE * non_null.len():
            return ColumnPlan(
                sdtype="unknown",
                handling="generated",
                reason="unique per row: treated as an identifier, generated fresh (never learned)",
                **common,
            )
        if non_null.len() >= 20 and distinct >= _HIGH_CARDINALITY * non_null.len():
            return ColumnPlan(
                sdtype="unknown",
                handling="generated",
                reason=(
                    f"{distinct} distinct values in {non_null.len()} rows: an identifier-like "
                    "column is never learned as categories; generated fresh"
                ),
                **common,
            )
        return ColumnPlan(sdtype="categorical", handling="modelled", reason="text", **common)
    raise SynthesisError(
        f"column {name!r} has dtype {dtype_text!r}, which cannot be synthesized; "
        "expected numbers, booleans, dates or text — cast or drop it first"
    )


def _identifier_like(series: pl.Series) -> bool:
    """At least 20 values and half of them distinct: categories would be real identifiers."""
    non_null = series.drop_nulls()
    return non_null.len() >= 20 and non_null.n_unique() >= _HIGH_CARDINALITY * non_null.len()


# ------------------------------------------------------------------ keys, relations


def _looks_like_key(name: str, series: pl.Series) -> bool:
    low = name.lower()
    named = low == "id" or low.endswith("_id") or name.endswith(("Id", "ID"))
    if not named or series.null_count() > 0 or series.len() == 0:
        return False
    return bool(series.n_unique() == series.len())


def _detect_primary_key(name: str, df: pl.DataFrame, hints: Mapping[str, _Hint]) -> str | None:
    for col in df.columns:
        hint = hints.get(col)
        if hint and hint.semantic_type in KEY_TYPES and _looks_like_key(col, df[col]):
            return col
    singular = name[:-1] if name.endswith("s") else name
    preferred = [f"{singular}_id", f"{name}_id", "id"]
    for col in preferred:
        if col in df.columns and _looks_like_key(col, df[col]):
            return col
    for col in df.columns:
        if _looks_like_key(col, df[col]):
            return col
    return None


def _detect_relationships(
    tables: Mapping[str, pl.DataFrame], primary_keys: Mapping[str, str | None]
) -> list[Relationship]:
    rels: list[Relationship] = []
    for parent, pk in primary_keys.items():
        if pk is None:
            continue
        for child, df in tables.items():
            if child == parent or pk not in df.columns or primary_keys.get(child) == pk:
                continue
            rels.append(Relationship(parent=parent, parent_key=pk, child=child, child_key=pk))
    return rels


def _check_relationship(rel: Relationship, tables: Mapping[str, pl.DataFrame]) -> None:
    parent_keys = tables[rel.parent].select(pl.col(rel.parent_key).alias("k"))
    child = tables[rel.child].select(pl.col(rel.child_key).alias("k")).drop_nulls()
    try:
        orphans = child.join(parent_keys, on="k", how="anti").height
    except pl.exceptions.PolarsError as exc:
        raise SynthesisError(
            f"{rel.child}.{rel.child_key} cannot reference {rel.parent}.{rel.parent_key}: "
            f"{exc}; give both columns the same dtype"
        ) from None
    if orphans:
        raise SynthesisError(
            f"{orphans} rows of {rel.child!r} have a {rel.child_key!r} that is not a "
            f"{rel.parent_key!r} of {rel.parent!r}; multi-table synthesis needs referential "
            "integrity — drop or fix those rows first"
        )


def build_metadata(
    tables: Mapping[str, pl.DataFrame],
    *,
    profile: Any = None,
    primary_keys: Mapping[str, str | None] | None = None,
    relationships: Iterable[Relationship | tuple[str, str, str, str]] | None = None,
) -> SynthMetadata:
    """Decide how every column is synthesized, from dtypes and the Profile.

    Parameters
    ----------
    tables:
        ``{table name: polars DataFrame}``.
    profile:
        A privlab ``Profile`` (duck-typed: ``.columns`` of objects with ``name``,
        ``role`` and ``semantic_type``), a ``{column: pii_type}`` mapping (answer-key
        style: ``"email"``, ``"person_name"``, ``"national_id"`` …, or ``None``), a
        ``{column: {"role": ..., "pii_type": ...}}`` mapping, ``{table: one of those}``
        for several tables, or ``None`` (then only dtypes and uniqueness decide).
    primary_keys:
        ``{table: column}``; detected when omitted (a unique, non-null ``*_id`` column).
    relationships:
        ``Relationship`` objects or ``(parent, parent_key, child, child_key)`` tuples;
        detected when omitted (a child column named like the parent's primary key).

    Returns
    -------
    SynthMetadata

    Examples
    --------
    >>> import polars as pl
    >>> customers = pl.DataFrame({"customer_id": [1, 2], "segment": ["a", "b"]})
    >>> orders = pl.DataFrame({"order_id": [10, 11, 12], "customer_id": [1, 1, 2]})
    >>> meta = build_metadata({"customers": customers, "orders": orders})
    >>> rel = meta.relationships[0]
    >>> rel.parent, rel.parent_key, rel.child, rel.child_key
    ('customers', 'customer_id', 'orders', 'customer_id')
    """
    if not tables:
        raise SynthesisError("expected at least one table to synthesize, got none")
    per_table = _split_profile(profile, tables)
    multi = len(tables) > 1
    pks: dict[str, str | None] = {}
    for name, df in tables.items():
        given = (primary_keys or {}).get(name)
        if given is not None and given not in df.columns:
            raise ColumnNotFoundError(given, df.columns, source=name)
        if primary_keys is not None and name in primary_keys:
            pks[name] = given
        else:
            pks[name] = _detect_primary_key(name, df, per_table[name])
    if relationships is None:
        rels = _detect_relationships(tables, pks) if multi else []
    else:
        rels = [r if isinstance(r, Relationship) else Relationship(*r) for r in relationships]
    for rel in rels:
        for table, col in ((rel.parent, rel.parent_key), (rel.child, rel.child_key)):
            if table not in tables:
                raise SynthesisError(
                    f"relationship names table {table!r}, which is not among {sorted(tables)}"
                )
            if col not in tables[table].columns:
                raise ColumnNotFoundError(col, tables[table].columns, source=table)
        if pks.get(rel.parent) != rel.parent_key:
            pks[rel.parent] = rel.parent_key
        _check_relationship(rel, tables)

    plans: dict[str, TablePlan] = {}
    for name, df in tables.items():
        fks = {r.child_key for r in rels if r.child == name}
        hints = per_table[name]
        cols = tuple(
            _plan_column(col, df[col], hints.get(col), primary_key=pks[name], foreign_keys=fks)
            for col in df.columns
        )
        plans[name] = TablePlan(name=name, columns=cols, primary_key=pks[name])
    return SynthMetadata(tables=plans, relationships=tuple(rels))
