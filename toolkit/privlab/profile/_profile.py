"""Sensitivity profiling: what each column is, what role it plays, and how identifying the QIs are.

:func:`profile` reads a table once. Column statistics (missing share, distinct
count, uniqueness, entropy) are computed on **all** rows; the semantic detectors
run on a seeded **sample** of values, as vectorized polars patterns, with check
rules (Luhn, mod 97, SSN ranges, …) only on the values that matched. The
quasi-identifier risk — smallest equivalence class, share of unique records,
the column combinations of size 1–3 that single people out most — is computed
on all rows again, because sampling would misstate uniqueness.

Values decide; a column's *name* only adds evidence. No raw value of the data
appears in any output (free-text examples are masked: ``j***@example.com``).

Examples
--------
>>> import polars as pl, privlab as pv
>>> data = pl.DataFrame({
...     "contact": ["ana.ruiz@example.org", "li.wei@mail.com", "sam@corp.net"] * 40,
...     "phone_ext": [f"ORD-{i:06d}" for i in range(120)],
... })
>>> p = pv.profile(data)
>>> p.column("contact").semantic_type, p.column("phone_ext").semantic_type
('email', 'record_key')
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from privlab.anonymize import Recipe
from privlab.exceptions import ColumnNotFoundError, InputError
from privlab.hierarchy import suggest as suggest_hierarchy
from privlab.io import read
from privlab.profile._classes import CombinationClasses
from privlab.profile._classify import Classified, classify, role_of, table_context
from privlab.risk import minimal_sample_uniques

__all__ = ["ROLES", "ColumnProfile", "Profile", "profile"]

ROLES = ("direct_identifier", "quasi_identifier", "sensitive", "other")
_QI_LIMIT = 8


@dataclass
class ColumnProfile:
    """What the profiler found about one column (never a raw value)."""

    name: str
    dtype: str
    null_share: float
    distinct: int
    uniqueness: float
    entropy: float
    semantic_type: str
    role: str
    confidence: float
    evidence: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    overridden: bool = False
    special_category: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Every field as a plain dict (``evidence`` holds no raw values)."""
        return asdict(self)


@dataclass
class Profile:
    """A table's sensitivity profile; edit roles with :meth:`set_role`."""

    rows: int
    columns: list[ColumnProfile]
    qi_risk: dict[str, Any]
    sample_size: int
    seed: int
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def quasi_identifiers(self) -> list[str]:
        """Columns whose role is ``quasi_identifier``, in table order."""
        return [c.name for c in self.columns if c.role == "quasi_identifier"]

    def column(self, name: str) -> ColumnProfile:
        """The profile of column *name*.

        Raises
        ------
        ColumnNotFoundError
            If the profile has no such column (the message lists its columns).
        """
        for c in self.columns:
            if c.name == name:
                return c
        raise ColumnNotFoundError(name, [c.name for c in self.columns])

    def roles(self) -> dict[str, str]:
        """``{column: role}``."""
        return {c.name: c.role for c in self.columns}

    def set_role(self, column: str, role: str) -> Profile:
        """Override a column's role (recorded as an override); returns self."""
        if role not in ROLES:
            raise InputError(f"role must be one of {ROLES}, got {role!r}")
        col = self.column(column)
        col.role = role
        col.overridden = True
        return self

    # -- serialization -----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON contract of ``privlab profile --format json``."""
        return {
            "rows": self.rows,
            "columns": [
                {
                    "name": c.name,
                    "dtype": c.dtype,
                    "semantic_type": c.semantic_type,
                    "role": c.role,
                    "confidence": round(c.confidence, 4),
                    "evidence": c.evidence,
                    "null_share": c.null_share,
                    "distinct": c.distinct,
                    "uniqueness": c.uniqueness,
                    "entropy": c.entropy,
                    "reason": c.reason,
                    "overridden": c.overridden,
                    "special_category": c.special_category,
                }
                for c in self.columns
            ],
            "quasi_identifiers": self.quasi_identifiers,
            "qi_risk": self.qi_risk,
            "sample_size": self.sample_size,
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        """Rebuild a profile from :meth:`to_dict` output (timings are not kept).

        Statistics missing from *data* default to 0; ``name``, ``dtype``,
        ``semantic_type`` and ``role`` of each column and ``rows`` are required.
        """
        columns = [
            ColumnProfile(
                name=c["name"],
                dtype=c["dtype"],
                null_share=c.get("null_share", 0.0),
                distinct=c.get("distinct", 0),
                uniqueness=c.get("uniqueness", 0.0),
                entropy=c.get("entropy", 0.0),
                semantic_type=c["semantic_type"],
                role=c["role"],
                confidence=c.get("confidence", 0.0),
                evidence=dict(c.get("evidence") or {}),
                reason=c.get("reason"),
                overridden=bool(c.get("overridden", False)),
                special_category=bool(c.get("special_category", False)),
            )
            for c in data["columns"]
        ]
        return cls(
            rows=int(data["rows"]),
            columns=columns,
            qi_risk=dict(data.get("qi_risk") or {}),
            sample_size=int(data.get("sample_size", 0)),
            seed=int(data.get("seed", 0)),
        )

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, default=str)

    @classmethod
    def from_json(cls, text: str) -> Profile:
        """Read a profile from :meth:`to_json` text."""
        return cls.from_dict(json.loads(text))

    def to_yaml(self) -> str:
        """:meth:`to_dict` as YAML text (a profile to review and edit by hand)."""
        import yaml

        return str(yaml.safe_dump(json.loads(self.to_json()), sort_keys=False))

    @classmethod
    def from_yaml(cls, text: str) -> Profile:
        """Read a profile from YAML text (e.g. an edited :meth:`to_yaml`)."""
        import yaml

        return cls.from_dict(yaml.safe_load(text))

    def to_frame(self) -> pl.DataFrame:
        """One row per column: type, role, confidence, statistics (no values)."""
        return pl.DataFrame(
            [
                {
                    "column": c.name,
                    "dtype": c.dtype,
                    "semantic_type": c.semantic_type,
                    "role": c.role,
                    "confidence": c.confidence,
                    "null_share": c.null_share,
                    "distinct": c.distinct,
                    "uniqueness": c.uniqueness,
                    "entropy": c.entropy,
                    "evidence": json.dumps(c.evidence, default=str),
                }
                for c in self.columns
            ]
        )

    def __repr__(self) -> str:
        counts = {r: sum(1 for c in self.columns if c.role == r) for r in ROLES}
        return f"Profile({self.rows} rows, {len(self.columns)} columns, roles {counts})"

    # -- hand-off to anonymization ------------------------------------------------------

    def _suggest_recipe_dict(self, *, k: int = 5) -> dict[str, Any]:
        steps: list[dict[str, Any]] = []
        drop = []
        for c in self.columns:
            if c.role == "direct_identifier":
                if c.semantic_type == "record_key":
                    steps.append(
                        {
                            "op": "pseudonymize",
                            "columns": [c.name],
                            "params": {"prefix": f"{c.name[:1].upper()}-"},
                        }
                    )
                else:
                    drop.append(c.name)
            elif c.semantic_type == "free_text":
                found = sorted((c.evidence.get("pii_in_text") or {}).keys())
                if found:
                    steps.append(
                        {"op": "redact_text", "columns": [c.name], "params": {"types": found}}
                    )
        if drop:
            steps.insert(0, {"op": "drop", "columns": drop})
        qis = self._ranked_qis()
        hierarchies = {q: self.column(q).evidence.get("hierarchy") for q in qis}
        out: dict[str, Any] = {
            "recipe_version": 1,
            "name": "suggested by privlab.profile",
            "steps": steps,
        }
        if qis:
            out["privacy"] = {
                "quasi_identifiers": qis,
                "hierarchies": {q: h for q, h in hierarchies.items() if h},
                "k": k,
                "max_suppression": 0.05,
            }
        return out

    def _ranked_qis(self) -> list[str]:
        """At most 8 QIs with a hierarchy, most identifying (highest entropy) first."""
        qis = [
            c
            for c in self.columns
            if c.role == "quasi_identifier" and c.evidence.get("hierarchy") is not None
        ]
        qis.sort(key=lambda c: -c.entropy)
        return [c.name for c in qis[:_QI_LIMIT]]

    def suggest_recipe(self, *, k: int = 5) -> Recipe:
        """A starting recipe: drop or pseudonymize direct identifiers, generalize the QIs.

        Returns a :class:`privlab.Recipe` (edit it, or its YAML, before use).
        """
        return Recipe.from_dict(self._suggest_recipe_dict(k=k))


# -- detection ----------------------------------------------------------------------------


def _mean(series: pl.Series) -> float:
    """Mean of a (boolean or numeric) series as a float; 0 for an empty one."""
    value = series.cast(pl.Float64).mean()
    return float(value) if isinstance(value, int | float) else 0.0


def _place_columns(frame: pl.DataFrame, columns: list[ColumnProfile]) -> None:
    """A categorical that a postal code determines (one value per code) is a place: a QI."""
    postal = [c.name for c in columns if c.semantic_type == "postal_code"]
    if not postal:
        return
    for c in columns:
        if c.semantic_type != "categorical" or c.role != "other" or c.overridden or c.distinct < 3:
            continue
        for p in postal:
            if frame[p].n_unique() > 0.5 * frame.height:  # codes must repeat to determine
                continue
            per_code = frame.group_by(p).agg(pl.col(c.name).n_unique().alias("m"))
            one_value = _mean(per_code["m"] <= 1)
            if per_code.height and one_value >= 0.99 and c.distinct < frame[p].n_unique():
                c.semantic_type = "place"
                c.role = "quasi_identifier"
                c.evidence["determined_by"] = p
                break


def _combo_order(combo: dict[str, Any]) -> tuple[float, int]:
    return (-float(combo["unique_share"]), len(combo["columns"]))


def _qi_risk(frame: pl.DataFrame, qis: Sequence[str]) -> dict[str, Any]:
    """Smallest class, unique share and the most identifying 1–3-column combinations."""
    qis = list(qis)[:_QI_LIMIT]
    n = frame.height
    if not qis or n == 0:
        return _qi_risk_summary(qis, 0, 0, 0, None)
    classes = CombinationClasses(frame, qis)  # the one pass over every row
    full = classes.sizes(qis)
    # per combination: records alone on it (sample uniques) and records for which it is a
    # minimal sample unique — no subset singles them out (SUDA2's definition)
    found = minimal_sample_uniques(frame, qis, max_size=3).combinations
    return _qi_risk_summary(qis, n, int(full.min()), int((full == 1).sum()), found)


def _qi_risk_summary(
    qis: list[str], n: int, min_class_size: int, unique_records: int, found: pl.DataFrame | None
) -> dict[str, Any]:
    """The profile's ``qi_risk`` from the figures on all QIs and per 1–3-column combination.

    *found* has the columns of :attr:`privlab.risk.SampleUniques.combinations`
    (the streamed profile computes the same table from its QI histogram).
    """
    if not qis or n == 0 or found is None:
        return {"min_class_size": None, "unique_share": None, "risky_combinations": []}
    combos = [
        {
            "columns": row["columns"],
            "unique_share": round(row["unique_share"], 4),
            "minimal_unique_share": round(row["msu_share"], 4),
            "min_class_size": row["min_class_size"],
        }
        for row in found.iter_rows(named=True)
        if row["unique_records"] > 0
    ]
    combos.sort(key=_combo_order)
    return {
        "quasi_identifiers": qis,
        "min_class_size": min_class_size,
        "unique_share": round(unique_records / n, 4),
        "risky_combinations": combos[:10],
    }


def profile(
    data: Any,
    *,
    sample_size: int = 10_000,
    seed: int = 0,
    qi_analysis: bool = True,
    exact: bool = True,
) -> Profile:
    """Profile every column of *data*: statistics, semantic type, role, confidence, evidence.

    Parameters
    ----------
    data:
        A path or a polars / pandas frame (see :func:`privlab.read`).
    sample_size:
        Values per column the detectors look at (statistics use every row).
    seed:
        Seed of the sample.
    qi_analysis:
        Compute the quasi-identifier risk on all rows.
    exact:
        Exact distinct counts, entropy and hierarchy suggestions (default). With
        ``False`` (what the release guard uses) distinct counts are HyperLogLog
        estimates, entropy is not computed and no hierarchy is suggested: the
        semantic types and roles are the same, at a fraction of the cost.

    Returns
    -------
    Profile
        One :class:`ColumnProfile` per column, in table order (a column that
        cannot be profiled is ``unknown`` with the reason, never an error), and
        the QI risk; no raw value of the data.

    Examples
    --------
    >>> import polars as pl, privlab as pv
    >>> p = pv.profile(pl.DataFrame({"c1": ["1979 EK", "TA77 3EU", "27-097"] * 10}))
    >>> p.column("c1").semantic_type, p.column("c1").role
    ('postal_code', 'quasi_identifier')
    """
    import time

    clock = time.perf_counter()
    timings: dict[str, float] = {}
    frame = read(data).collect()
    timings["read"] = time.perf_counter() - clock
    n = frame.height
    stats = _statistics(frame, exact=exact)
    timings["statistics"] = time.perf_counter() - clock - timings["read"]
    mark = time.perf_counter()
    sample = frame.sample(n=min(sample_size, n), seed=seed) if n else frame
    columns = _columns(stats, sample, frame.get_column, n, exact=exact)
    timings["detectors"] = time.perf_counter() - mark
    mark = time.perf_counter()
    qis = [c.name for c in columns if c.role == "quasi_identifier"]
    ranked = sorted(qis, key=lambda q: -stats[q]["entropy"])
    risk = _qi_risk(frame, ranked) if qi_analysis else {}
    timings["qi_risk"] = time.perf_counter() - mark
    return Profile(
        rows=n,
        columns=columns,
        qi_risk=risk,
        sample_size=sample.height,
        seed=seed,
        timings=timings,
    )


def _columns(
    stats: Mapping[str, dict[str, Any]],
    sample: pl.DataFrame,
    values_of: Callable[[str], pl.Series],
    n: int,
    *,
    exact: bool = True,
) -> list[ColumnProfile]:
    """Classify every column from its statistics (*stats*), the seeded *sample* and its values.

    *values_of(column)* gives the values hierarchies are suggested from: every
    row in memory; the distinct values (or the sample) when the table is
    streamed (:func:`privlab.profile.profile_stream`).
    """
    context = table_context(sample)
    columns = []
    for c in sample.columns:
        st = stats[c]
        values = values_of(c)
        try:
            found = classify(c, values, sample[c], st, n, context)
        except Exception as exc:  # a profile never crashes on one odd column
            found = Classified("unknown", 0.0, {}, f"could not profile: {type(exc).__name__}")
        evidence = found.evidence
        if found.hierarchy and exact:
            hierarchy = _hierarchy_spec(values, found.kind)
            if hierarchy is not None:
                evidence["hierarchy"] = hierarchy
        if found.special_category:
            evidence["special_category_flag"] = True
        role = role_of(c, found)
        columns.append(
            ColumnProfile(
                name=c,
                dtype=str(sample.schema[c]),
                null_share=round(st["null_share"], 6),
                distinct=st["distinct"],
                uniqueness=round(st["uniqueness"], 6),
                entropy=round(st["entropy"], 6),
                semantic_type=found.kind,
                role=role,
                confidence=round(max(0.0, min(found.confidence, 1.0)), 4),
                evidence=evidence,
                reason=found.reason,
                special_category=found.special_category,
            )
        )
    _place_columns(sample, columns)
    return columns


def _hierarchy_spec(series: pl.Series, semantic_type: str) -> Any:
    # the rule-based suggestions depend on the set of values only: pass each value once
    try:
        return suggest_hierarchy(series.unique(), semantic_type=semantic_type).to_spec()
    except Exception:  # a hierarchy is a convenience; the type stands without it
        return None


def _statistics(frame: pl.DataFrame, *, exact: bool) -> dict[str, dict[str, Any]]:
    """Missing share, distinct count, uniqueness and entropy per column, over every row.

    One lazy query: each column's value counts are computed once (common
    subexpression) and give both the distinct count and the entropy.
    """
    n = frame.height
    plain = [c for c, t in frame.schema.items() if not (t.is_nested() or t in (pl.Object,))]
    exprs: list[pl.Expr] = [pl.col(c).null_count().alias(f"{c}\x1fnull") for c in frame.columns]
    if n:
        for c in plain:
            if exact:
                counts = pl.col(c).unique_counts()
                exprs.append(counts.len().cast(pl.Int64).alias(f"{c}\x1fdistinct"))
                exprs.append(counts.entropy(base=2).alias(f"{c}\x1fentropy"))
            else:
                exprs.append(pl.col(c).approx_n_unique().cast(pl.Int64).alias(f"{c}\x1fdistinct"))
    row = frame.lazy().select(exprs).collect().row(0, named=True) if exprs else {}
    stats: dict[str, dict[str, Any]] = {}
    for c in frame.columns:
        distinct = min(int(row.get(f"{c}\x1fdistinct") or 0), n)
        entropy = row.get(f"{c}\x1fentropy")
        stats[c] = {
            "null_share": float(row[f"{c}\x1fnull"]) / n if n else 0.0,
            "distinct": distinct,
            "uniqueness": distinct / n if n else 0.0,
            "entropy": max(float(entropy), 0.0) if entropy is not None else 0.0,
        }
    return stats
