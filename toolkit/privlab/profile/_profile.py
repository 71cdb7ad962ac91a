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

import datetime as dt
import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl

from privlab.anonymize import Recipe
from privlab.detect import DETECTORS, text_pii_patterns
from privlab.exceptions import ColumnNotFoundError, InputError
from privlab.hierarchy import suggest as suggest_hierarchy
from privlab.io import read
from privlab.risk import minimal_sample_uniques

__all__ = ["ROLES", "ColumnProfile", "Profile", "profile"]

ROLES = ("direct_identifier", "quasi_identifier", "sensitive", "other")
_MAX_TEXT = 2_000  # characters of a value looked at by detectors
_QI_LIMIT = 8

_ROLE_OF = {
    "email": "direct_identifier",
    "phone": "direct_identifier",
    "national_id": "direct_identifier",
    "credit_card": "direct_identifier",
    "iban": "direct_identifier",
    "ip_address": "direct_identifier",
    "street_address": "direct_identifier",
    "person_name": "direct_identifier",
    "record_key": "direct_identifier",
    "postal_code": "quasi_identifier",
    "date_of_birth": "quasi_identifier",
    "date": "quasi_identifier",
    "geo_coordinate": "quasi_identifier",
    "sex": "quasi_identifier",
    "place": "quasi_identifier",
    "health_code": "sensitive",
    "free_text": "sensitive",
    "amount": "sensitive",
    "special_category": "sensitive",
    "url": "other",
    "categorical": "other",
    "numeric": "other",
    "boolean": "other",
    "text": "other",
    "unknown": "other",
}

_SEX = {"f", "m", "x", "u", "female", "male", "other", "non-binary", "nonbinary", "unknown",
        "woman", "man", "w", "d", "diverse"}  # fmt: skip
_HEALTH_WORDS = re.compile(
    r"(?i)\b(disease|disorder|infection|fracture|neoplasm|malignant|diabet|asthma|pneumonia|"
    r"sepsis|pain|delivery|pregnan|cancer|carcinoma|tumou?r|injur|syndrome|failure|infarction|"
    r"appendicitis|calculus|depress|hypertension|stroke|dementia|hiv|hepatitis|covid|influenza|"
    r"anxiety|schizo|bipolar|arthritis|obesity|anemia|fever|lesion|chronic|acute)"
)
_SPECIAL = {
    "ethnicity": {
        "white",
        "black",
        "asian",
        "hispanic",
        "latino",
        "latina",
        "latinx",
        "african american",
        "caucasian",
        "native american",
        "pacific islander",
        "mixed",
        "multiracial",
        "arab",
        "indigenous",
        "amer-indian-eskimo",
        "asian-pac-islander",
    },
    "religion": {
        "christian",
        "catholic",
        "protestant",
        "muslim",
        "islam",
        "jewish",
        "judaism",
        "hindu",
        "buddhist",
        "sikh",
        "atheist",
        "agnostic",
        "orthodox",
        "none",
    },
    "sexual_orientation": {
        "heterosexual",
        "straight",
        "gay",
        "lesbian",
        "bisexual",
        "homosexual",
        "asexual",
        "pansexual",
        "queer",
    },
}
_SPECIAL_NAMES = re.compile(
    r"(?i)(ethnic|race\b|racial|religio|faith|sexual|orientation|union|trade_?union|"
    r"health|medical|disab|genetic|biometric|political|belief)"
)
_QI_NAMES = re.compile(
    r"(?i)(depart|dept|title|job|occupation|position|profession|education|marital|gender|"
    r"\bsex\b|\bage\b|city|town|county|state|country|region|nationality|language|birth|"
    r"employer|workclass)"
)
_AMOUNT_NAMES = re.compile(r"(?i)(salary|income|wage|earning|charge|cost|balance|debt|pay\b|"
                           r"payment|compensation|bonus|revenue_per|net_worth)")  # fmt: skip
_RATING_NAMES = re.compile(r"(?i)(rating|score|performance|appraisal|grade|evaluation)")
_NON_PERSON_KEYS = re.compile(
    r"(?i)(order|product|sku|item|invoice|transaction|ticket|shipment|part|batch|sku|code)"
)
_PERSON_KEYS = re.compile(
    r"(?i)(patient|customer|client|employee|person|member|user|subject|student|citizen|"
    r"staff|participant|respondent|account|mrn|emp_?id)"
)
_ID_LIKE = r"^[A-Za-z]{0,5}[-_]?\d{3,}(?:[-_][A-Za-z0-9]+)?$"
_DATE_LIKE = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"


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

    def to_dict(self) -> dict[str, Any]:
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
        return [c.name for c in self.columns if c.role == "quasi_identifier"]

    def column(self, name: str) -> ColumnProfile:
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
        return json.dumps(self.to_dict(), indent=2, default=str)

    @classmethod
    def from_json(cls, text: str) -> Profile:
        return cls.from_dict(json.loads(text))

    def to_yaml(self) -> str:
        import yaml

        return str(yaml.safe_dump(json.loads(self.to_json()), sort_keys=False))

    @classmethod
    def from_yaml(cls, text: str) -> Profile:
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


@functools.cache
def _first_names() -> frozenset[str]:
    """US Census 1990 first-name frequency lists (package ``names``; independent of Faker)."""
    from importlib import resources

    out: set[str] = set()
    for file in ("dist.male.first", "dist.female.first"):
        text = resources.files("names").joinpath(file).read_text()
        out.update(line.split()[0].title() for line in text.splitlines() if line.strip())
    return frozenset(out)


@functools.cache
def _last_names(top: int = 20_000) -> frozenset[str]:
    from importlib import resources

    text = resources.files("names").joinpath("dist.all.last").read_text()
    rows = [line.split()[0].title() for line in text.splitlines()[:top] if line.strip()]
    return frozenset(rows)


def _person_name_share(values: pl.Series) -> tuple[float, float]:
    """(share shaped like a name, share whose first token is a census first name)."""
    text = values.str.strip_chars()
    shaped = text.str.contains(r"^[A-Z][a-zA-Z'’.-]+(?:\s+[A-Z][a-zA-Z'’.-]+){1,3}$")
    shape_share = _mean(shaped)
    first = text.str.extract(r"^([A-Za-z'’-]+)").str.to_titlecase()
    last = text.str.extract(r"([A-Za-z'’-]+)$").str.to_titlecase()
    firsts = pl.Series(sorted(_first_names()), dtype=pl.String)
    lasts = pl.Series(sorted(_last_names()), dtype=pl.String)
    census = first.is_in(firsts.implode()) | last.is_in(lasts.implode())
    in_census = first.is_in(firsts.implode())
    return shape_share, _mean(in_census & shaped & census)


def _mean(series: pl.Series) -> float:
    """Mean of a (boolean or numeric) series as a float; 0 for an empty one."""
    value = series.cast(pl.Float64).mean()
    return float(value) if isinstance(value, int | float) else 0.0


def _median(series: pl.Series) -> float:
    value = series.cast(pl.Float64).median()
    return float(value) if isinstance(value, int | float) else 0.0


def _mask(kind: str, value: str) -> str:
    """A masked example: enough to recognise the kind, nothing to identify anyone."""
    if kind == "email" and "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}***@{domain}"
    if kind == "person_name":
        return " ".join(f"{w[:1]}***" for w in value.split())
    return re.sub(r"[0-9]", "X", value[:-2]) + re.sub(r"[0-9A-Za-z]", "*", value[-2:])


def _free_text_evidence(values: pl.Series) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, pattern in text_pii_patterns().items():
        found = values.str.extract(f"({pattern})")
        share = _mean(found.is_not_null())
        if share > 0:
            examples = [_mask(kind, v) for v in found.drop_nulls().unique().sort().head(2)]
            out[kind] = {"share_of_rows": round(share, 4), "masked_examples": examples}
    return out


def _dates(values: pl.Series) -> pl.Series | None:
    if values.dtype.is_temporal():
        return values.cast(pl.Date, strict=False)
    if values.dtype == pl.String and _mean(values.str.contains(_DATE_LIKE)) >= 0.9:
        return values.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    return None


def _detect(
    name: str, full: pl.Series, sample: pl.Series, stats: dict[str, Any], n: int
) -> tuple[str, float, dict[str, Any], str | None, Any]:
    """(semantic type, confidence, evidence, reason, hierarchy spec) of one column."""

    dtype = full.dtype
    evidence: dict[str, Any] = {}
    if n == 0:
        return "unknown", 0.0, evidence, "the table has no rows", None
    if dtype.is_nested() or dtype in (pl.Binary, pl.Object):
        return "unknown", 0.0, evidence, f"{dtype} values cannot be profiled", None
    values = sample.drop_nulls()
    if len(values) == 0:
        return "unknown", 0.0, evidence, "every value is missing", None
    hint_types = [d.name for d in DETECTORS if d.name_hint and re.search(d.name_hint, name, re.I)]
    if hint_types:
        evidence["name_hint"] = sorted(set(hint_types))

    def spec(series: pl.Series) -> Any:
        try:
            return suggest_hierarchy(series).to_spec()
        except Exception:  # a hierarchy is a convenience; the type stands without it
            return None

    if dtype == pl.Boolean:
        return "boolean", 0.9, evidence, None, None
    dates = _dates(values)
    if dates is not None and dates.drop_nulls().len():
        today = dt.date.today()
        years = (pl.lit(today.year) - dates.dt.year()).alias("age")
        ages = pl.select(years).to_series().drop_nulls()
        birth_hint = bool(re.search(r"(?i)birth|dob|born", name))
        span = float(ages.max() - ages.min()) if len(ages) else 0.0  # type: ignore[operator,arg-type]
        dob = birth_hint or (
            _median(ages) >= 18 and span >= 40 and float(ages.cast(pl.Float64).min() or 0) >= 0  # type: ignore[arg-type]
        )
        evidence["date_share"] = 1.0
        evidence["age_span_years"] = round(span, 1)
        kind = "date_of_birth" if dob else "date"
        return kind, 0.95 if birth_hint or not dob else 0.8, evidence, None, spec(full)
    if dtype.is_integer():
        # long integers can be card numbers (or other digit identifiers) stored as numbers
        digits = values.cast(pl.String)
        if _mean(digits.str.len_chars() >= 12) >= 0.9:
            found = _match_detectors(digits, hint_types, evidence)
            if found is not None:
                return found[0], found[1], evidence, None, None
    if dtype.is_numeric():
        return _numeric(name, full, values, stats, evidence, spec)
    text = values.cast(pl.String).str.slice(0, _MAX_TEXT).str.strip_chars()
    found = _match_detectors(text, hint_types, evidence)
    if found is not None:
        hierarchy = spec(full) if _ROLE_OF.get(found[0]) == "quasi_identifier" else None
        return found[0], found[1], evidence, None, hierarchy
    lowered = text.str.to_lowercase()
    distinct = stats["distinct"]
    uniqueness = stats["uniqueness"]
    # sex / gender codes
    if distinct <= 6 and _mean(lowered.is_in(list(_SEX))) >= 0.98:
        evidence["vocabulary"] = "sex/gender codes"
        return "sex", 0.9, evidence, None, spec(full)
    # special categories by vocabulary
    for category, words in _SPECIAL.items():
        share = _mean(lowered.is_in(list(words)))
        if share >= 0.8 and distinct <= 50:
            evidence["special_category"] = {
                "category": category,
                "vocabulary_share": round(share, 3),
            }
            return "special_category", 0.8, evidence, None, None
    token_count = text.str.count_matches(r"\S+")
    mean_tokens = _mean(token_count)
    # person names: shape plus an independent census first-name list
    shape_share, census_share = _person_name_share(text)
    evidence["name_shape_share"] = round(shape_share, 4)
    if shape_share >= 0.9 and census_share >= 0.6 and uniqueness >= 0.2:
        evidence["census_first_name_share"] = round(census_share, 4)
        return "person_name", min(0.6 + census_share * 0.4, 1.0), evidence, None, None
    # free text
    if mean_tokens >= 5 and _mean(text.str.len_chars()) >= 25:
        evidence["mean_tokens"] = round(mean_tokens, 1)
        evidence["pii_in_text"] = _free_text_evidence(text)
        return "free_text", 0.85, evidence, None, None
    # health vocabulary in short descriptions
    health = _mean(text.str.contains(_HEALTH_WORDS.pattern))
    if health >= 0.5 and distinct <= 5000:
        evidence["health_vocabulary_share"] = round(health, 3)
        return "special_category", 0.75, evidence, None, None
    # record keys: ID-shaped and (nearly) one per row, or a foreign key of many values
    id_share = _mean(text.str.contains(_ID_LIKE))
    if id_share >= 0.95 and (uniqueness >= 0.9 or distinct >= 0.1 * n):
        evidence["id_shape_share"] = round(id_share, 4)
        return "record_key", 0.8, evidence, None, None
    if distinct <= max(50, 0.05 * n):
        return "categorical", 0.8, evidence, None, spec(full)
    return "text", 0.5, evidence, None, None


def _match_detectors(
    text: pl.Series, hint_types: list[str], evidence: dict[str, Any]
) -> tuple[str, float] | None:
    """Best semantic type by pattern share × validator pass rate (detectors of one type pooled)."""
    by_type: dict[str, list[Any]] = {}
    for d in DETECTORS:
        by_type.setdefault(d.name, []).append(d)
    best: tuple[str, float] | None = None
    for kind, detectors in by_type.items():
        matched = pl.Series([False] * len(text), dtype=pl.Boolean)
        valid = pl.Series([False] * len(text), dtype=pl.Boolean)
        entry: dict[str, Any] = {}
        for d in detectors:
            match = text.str.contains(d.pattern).fill_null(False)
            if not match.any():
                continue
            ok = match
            if d.validators:
                idx = np.flatnonzero(match.to_numpy())
                passed = np.ones(len(idx), dtype=bool)
                for label, check in d.validators:
                    passed &= check(text.gather(idx)).to_numpy()
                    entry.setdefault("validators", []).append(label)
                arr = np.zeros(len(text), dtype=bool)
                arr[idx] = passed
                ok = pl.Series(arr, dtype=pl.Boolean)
            matched = matched | match
            valid = valid | ok
        share = _mean(matched)
        if share == 0:
            continue
        pass_rate = _mean(valid.filter(matched))
        entry["pattern_share"] = round(share, 4)
        if "validators" in entry:
            entry["validator_pass_rate"] = round(pass_rate, 4)
        evidence.setdefault("detectors", {})[kind] = entry
        d0 = detectors[0]
        if share >= d0.min_share and pass_rate >= d0.min_valid:
            score = share * pass_rate
            if best is None or score > best[1]:
                best = (kind, score)
    if best is None:
        return None
    conf = best[1] + (0.05 if best[0] in hint_types else 0.0)
    if hint_types and best[0] not in hint_types:
        conf -= 0.05
    return best[0], min(conf, 1.0)


def _numeric(
    name: str,
    full: pl.Series,
    values: pl.Series,
    stats: dict[str, Any],
    evidence: dict[str, Any],
    spec: Any,
) -> tuple[str, float, dict[str, Any], str | None, Any]:
    num = values.cast(pl.Float64)
    lo, hi = float(num.min()), float(num.max())  # type: ignore[arg-type]
    integral = bool((num == num.floor()).all())
    this_year = dt.date.today().year
    if integral and lo >= 1900 and hi <= this_year and hi - lo >= 10:
        evidence["year_range"] = [int(lo), int(hi)]
        kind = "date_of_birth" if re.search(r"(?i)birth|born|yob", name) else "date"
        return kind, 0.8, evidence, None, spec(full)
    if re.search(r"(?i)\blat|\blon|latitude|longitude", name) and lo >= -180 and hi <= 180:
        return "geo_coordinate", 0.8, evidence, None, spec(full)
    if integral and stats["uniqueness"] >= 0.98 and stats["distinct"] >= 100:
        span = hi - lo + 1
        if span <= 10 * stats["distinct"]:  # dense like 1..n: a surrogate key
            evidence["dense_integer_key"] = True
            return "record_key", 0.7, evidence, None, None
    median = _median(num)
    scaled = num * 100
    cents = bool(((scaled - scaled.round()).abs() < 1e-6).all()) and not integral
    hundreds = integral and bool((num % 100 == 0).mean() >= 0.95)  # type: ignore[operator]
    if _AMOUNT_NAMES.search(name) or (lo >= 0 and median >= 1000 and (cents or hundreds)):
        evidence["amount"] = {"median_order_of_magnitude": int(math.log10(max(median, 1)))}
        return "amount", 0.75 if _AMOUNT_NAMES.search(name) else 0.6, evidence, None, None
    if _RATING_NAMES.search(name) and stats["distinct"] <= 11:
        evidence["rating_scale"] = True
        return "special_category", 0.6, evidence, None, None
    if stats["distinct"] <= 20:
        return "categorical", 0.7, evidence, None, spec(full)
    return "numeric", 0.7, evidence, None, spec(full)


def _role(name: str, kind: str, evidence: dict[str, Any]) -> str:
    role = _ROLE_OF.get(kind, "other")
    if kind == "record_key" and _NON_PERSON_KEYS.search(name) and not _PERSON_KEYS.search(name):
        evidence["non_person_key_hint"] = True
        return "other"
    if kind in ("categorical", "numeric", "text"):
        if _SPECIAL_NAMES.search(name):
            evidence["special_category_name"] = True
            return "sensitive"
        if _QI_NAMES.search(name):
            evidence["quasi_identifier_name"] = True
            return "quasi_identifier"
    return role


def _place_columns(frame: pl.DataFrame, columns: list[ColumnProfile]) -> None:
    """A categorical that a postal code determines (one value per code) is a place: a QI."""
    postal = [c.name for c in columns if c.semantic_type == "postal_code"]
    if not postal:
        return
    for c in columns:
        if c.semantic_type != "categorical" or c.role != "other" or c.overridden:
            continue
        for p in postal:
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
    empty: dict[str, Any] = {"min_class_size": None, "unique_share": None, "risky_combinations": []}
    if not qis or n == 0:
        return empty
    coded = frame.select(
        [
            # dense integer codes; categorical encoding hashes, a string rank would sort
            pl.col(q)
            .cast(pl.String)
            .cast(pl.Categorical)
            .to_physical()
            .rank("dense")
            .fill_null(0)
            .cast(pl.Int64)
            .alias(q)
            for q in qis
        ]
    )
    codes = {q: coded[q].to_numpy() for q in qis}
    cards = {q: int(codes[q].max()) + 1 for q in qis}

    def class_sizes(cols: Sequence[str]) -> np.ndarray:
        """Records per distinct combination of *cols* (one packed integer key per record)."""
        size = 1
        for c in cols:
            size *= cards[c]
        if size >= 1 << 62:
            keys = frame.select(pl.struct(list(cols)).hash(7).alias("k"))["k"]
            return keys.unique_counts().to_numpy()
        key = np.zeros(n, dtype=np.int64)
        for c in cols:
            key = key * cards[c] + codes[c]
        if size <= max(4 * n, 1 << 20):
            counts = np.bincount(key, minlength=size)
            return counts[counts > 0]
        return pl.Series(key).unique_counts().to_numpy()

    full = class_sizes(qis)
    # per combination: records alone on it (sample uniques) and records for which it is a
    # minimal sample unique — no subset singles them out (SUDA2's definition)
    found = minimal_sample_uniques(frame, qis, max_size=3).combinations
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
        "min_class_size": int(full.min()),
        "unique_share": round(float((full == 1).sum() / n), 4),
        "risky_combinations": combos[:10],
    }


def profile(
    data: Any,
    *,
    sample_size: int = 10_000,
    seed: int = 0,
    qi_analysis: bool = True,
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
    """
    import time

    clock = time.perf_counter()
    timings: dict[str, float] = {}
    frame = read(data).collect()
    timings["read"] = time.perf_counter() - clock
    n = frame.height
    stats: dict[str, dict[str, Any]] = {}
    plain = [c for c, t in frame.schema.items() if not (t.is_nested() or t in (pl.Object,))]
    if n and plain:
        row = frame.select(
            *[pl.col(c).null_count().alias(f"{c}\x1fnull") for c in frame.columns],
            *[pl.col(c).n_unique().alias(f"{c}\x1fdistinct") for c in plain],
        ).row(0, named=True)
    else:
        row = {f"{c}\x1fnull": frame[c].null_count() for c in frame.columns}
    for c in frame.columns:
        distinct = int(row.get(f"{c}\x1fdistinct", 0) or 0)
        stats[c] = {
            "null_share": float(row[f"{c}\x1fnull"]) / n if n else 0.0,
            "distinct": distinct,
            "uniqueness": distinct / n if n else 0.0,
            "entropy": _entropy(frame, c) if n and c in plain else 0.0,
        }
    timings["statistics"] = time.perf_counter() - clock - timings["read"]
    mark = time.perf_counter()
    sample = frame.sample(n=min(sample_size, n), seed=seed) if n else frame
    columns = []
    for c in frame.columns:
        st = stats[c]
        try:
            kind, conf, evidence, reason, hierarchy = _detect(c, frame[c], sample[c], st, n)
        except Exception as exc:  # a profile never crashes on one odd column
            kind, conf, evidence, reason, hierarchy = (
                "unknown",
                0.0,
                {},
                f"could not profile: {type(exc).__name__}",
                None,
            )
        if hierarchy is not None:
            evidence["hierarchy"] = hierarchy
        role = _role(c, kind, evidence)
        columns.append(
            ColumnProfile(
                name=c,
                dtype=str(frame.schema[c]),
                null_share=round(st["null_share"], 6),
                distinct=st["distinct"],
                uniqueness=round(st["uniqueness"], 6),
                entropy=round(st["entropy"], 6),
                semantic_type=kind,
                role=role,
                confidence=round(max(0.0, min(conf, 1.0)), 4),
                evidence=evidence,
                reason=reason,
            )
        )
    _place_columns(sample, columns)
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


def _entropy(frame: pl.DataFrame, column: str) -> float:
    """Shannon entropy (bits) of the column's value distribution, over every row."""
    counts = frame.select(pl.col(column).unique_counts())[column].to_numpy().astype(np.float64)
    if counts.size == 0:
        return 0.0
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())
