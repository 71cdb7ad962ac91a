"""The release guard: look at the released data and its source, refuse what identifies people.

Rules (``../shared/CONTRACTS.md``, "The guard"), for every release path:

1. **Direct identifiers.** Every released column is profiled (the same detectors
   as :func:`privlab.profile`, on a seeded sample), and so is its source. A column
   that is — or comes unchanged from — a direct identifier or record key is
   refused, unless it is kept on purpose (``keep={"col": "reason"}``). Exempt:
   keyed pseudonyms (``pseudonymize``), masked/generalized/suppressed columns,
   synthetic columns generated fresh; they are checked for overlap instead.
2. **Free text.** Released free text that still holds PII is refused unless it
   went through ``redact_text``; then its residual PII counts are reported.
3. **Replays.** Values of each released column are looked up in the source's
   identifying columns (anonymized releases: direct identifiers and record
   keys; synthetic releases: every high-cardinality column, free text included —
   PII found inside synthetic text counts too). Any overlap is a replay:
   counted, named, with masked examples.
4. **Identifying combinations** (anonymized releases): the quasi-identifiers the
   guard detects in the release (date of birth, age, sex, postal code, country,
   region) plus the recipe's declared ones; a combination of up to three whose
   smallest class is below the recipe's k (2 without k), and that the recipe did
   not cover, is refused. Other dates are reported, not refused. Synthetic rows
   are no one's record: their protection is rule 3.
5. **DP queries** (before any ε is reserved): a group-by column or published key
   that is a direct identifier or record key is refused; noisy answers are not
   inspected.

Detectors and overlap run on a seeded sample of 10,000 released rows: a rule
that fires on a share *p* of the rows is missed with probability (1 − p)^10,000
(stated per release in ``checked.detection``). The source is profiled the same
way (statistics over every row, detectors on its own 10,000-row sample), and a
released column whose lineage says it is the source column unchanged takes the
source column's classification instead of being profiled twice. Overlap compares
64-bit hashes of the sampled released values with hashes of *every* value of the
source's identifying columns; class sizes use every released row.

Attacker: someone who reads the released files and may hold a copy of the source
or of public registers — they must find no real identifier value in the release
and no combination of up to three quasi-identifiers that singles a person out
more than the recipe allowed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from privlab.detect import find_pii
from privlab.profile import CombinationClasses, Profile, profile
from privlab.release import ReleaseFacts

__all__ = ["Finding", "GuardReport", "inspect_release"]

SAMPLE_ROWS = 10_000
#: Operations after which a released column no longer carries its source's identifier values.
_EXEMPT_OPS = frozenset(
    {"pseudonymize", "mask", "generalize", "suppress", "redact_text", "microaggregate"}
)
_IDENTIFYING = frozenset({"direct_identifier"})
#: Semantic types the profile infers from a column's structure (near-unique codes), not
#: from a value format: meaningless for a list of public keys, distinct by construction.
_STRUCTURAL_TYPES = frozenset({"record_key"})
_GUARD_QI_TYPES = frozenset({"date_of_birth", "age", "sex", "postal_code", "country", "region"})
_GENERATED = frozenset({"generated", "primary_key", "foreign_key"})
_MAX_QIS = 8


@dataclass(frozen=True)
class Finding:
    """One reason to refuse a release: which column, what was found, masked examples."""

    column: str | None
    kind: str  # direct_identifier, free_text_pii, replay, identifying_combination, query_identifier
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class GuardReport:
    """The guard's verdict on one release (JSON-ready through :meth:`to_dict`)."""

    findings: list[Finding] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # column -> reason (overrides)
    checked: dict[str, Any] = field(default_factory=dict)  # what was inspected, sample sizes

    @property
    def ok(self) -> bool:
        """No finding that was not kept on purpose."""
        return not self.blocking

    @property
    def blocking(self) -> list[Finding]:
        """Findings on columns not kept with a reason."""
        return [f for f in self.findings if f.column is None or f.column not in self.kept]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (no raw values: examples are masked)."""
        return {
            "ok": self.ok,
            "findings": [
                {"column": f.column, "kind": f.kind, "message": f.message, **dict(f.details)}
                for f in self.findings
            ],
            "kept": dict(self.kept),
            "checked": dict(self.checked),
        }


def _mask(value: str) -> str:
    """Enough of a value to recognise its kind, nothing to identify anyone."""
    if "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}***@{domain}"
    if len(value) <= 3:
        return "*" * len(value)
    keep = 2 if len(value) >= 8 else 1
    return value[:keep] + "".join("X" if ch.isalnum() else ch for ch in value[keep:])


def _frames(value: Any) -> dict[str, pl.DataFrame]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): _frame(v) for k, v in value.items()}
    return {"": _frame(value)}


def _frame(value: Any) -> pl.DataFrame:
    if isinstance(value, pl.LazyFrame):
        return value.collect()
    if isinstance(value, pl.DataFrame):
        return value
    return pl.from_pandas(value)  # pandas input of a producer


def _sample(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    return frame if frame.height <= SAMPLE_ROWS else frame.sample(SAMPLE_ROWS, seed=seed)


def _profile(frame: pl.DataFrame, seed: int) -> Profile:
    return profile(frame, sample_size=SAMPLE_ROWS, seed=seed, qi_analysis=False, exact=False)


def _format_role(frame: pl.DataFrame, column: str, seed: int) -> str | None:
    """The role a column's values imply by their format alone (no structural rule)."""
    info = next(c for c in _profile(frame, seed).columns if c.name == column)
    return info.role if info.semantic_type not in _STRUCTURAL_TYPES else None


def _unchanged(kind: str, info: Any, src: pl.DataFrame | None, frame: pl.DataFrame) -> bool:
    """The producer says this anonymized column is its source column, untouched."""
    if kind != "anonymized" or info is None or src is None or info.source not in src.columns:
        return False
    if set(info.ops) - {"keep"}:
        return False
    return bool(src.schema[info.source] == frame.schema[info.name])


def _released_profile(
    kind: str,
    frame: pl.DataFrame,
    src: pl.DataFrame | None,
    src_profile: Profile | None,
    lineage: Mapping[str, Any],
    seed: int,
) -> Profile:
    """The released table's profile; unchanged columns reuse the source's classification."""
    if src_profile is not None and frame is src:
        return src_profile
    reused = {}
    if src_profile is not None:
        for name in frame.columns:
            info = lineage.get(name)
            if info is not None and _unchanged(kind, info, src, frame):
                reused[name] = replace(src_profile.column(info.source), name=name)
    fresh = [c for c in frame.columns if c not in reused]
    profiled = _profile(frame.select(fresh), seed) if fresh else None
    columns = [
        reused[c] if c in reused else profiled.column(c)  # type: ignore[union-attr]
        for c in frame.columns
    ]
    return Profile(rows=frame.height, columns=columns, qi_risk={}, sample_size=0, seed=seed)


def _detection_probability(rows: int) -> dict[str, Any]:
    n = min(rows, SAMPLE_ROWS)
    return {
        "sample_rows": n,
        "rows": rows,
        "seed_note": "seeded sample; class sizes use every row",
        # a pattern present in a share p of rows is missed with probability (1 - p)^n
        "miss_probability_at_share_0.001": round((1 - 0.001) ** n, 6) if rows > n else 0.0,
        "miss_probability_at_share_0.0001": round((1 - 0.0001) ** n, 6) if rows > n else 0.0,
    }


def inspect_release(
    facts: ReleaseFacts, *, roles: Mapping[str, str] | None = None, seed: int = 0
) -> GuardReport:
    """Inspect one release (its data and source, or for DP its queries).

    Parameters
    ----------
    facts:
        The release's facts (released and source frames, lineage, queries, keep).
    roles:
        The source columns' profiled roles from the catalog, when known; the guard
        profiles the source itself for anything they do not cover.
    seed:
        Seed of the 10,000-row samples.

    Returns
    -------
    GuardReport
        ``ok`` when no finding remains on a column not kept with a reason.

    Examples
    --------
    >>> import polars as pl
    >>> from privlab.release import ColumnFacts, ReleaseFacts
    >>> src = pl.DataFrame({"mail": [f"u{i}@example.org" for i in range(50)], "n": range(50)})
    >>> facts = ReleaseFacts(kind="anonymized", dataset=None, source=src, released=src,
    ...                      columns=(ColumnFacts("mail", source="mail"), ColumnFacts("n", "n")))
    >>> report = inspect_release(facts)
    >>> report.ok, [f.kind for f in report.findings if f.column == "mail"][:1]
    (False, ['direct_identifier'])
    """
    report = GuardReport(kept=dict(facts.keep))
    if facts.kind == "dp":
        _check_queries(facts, roles, report, seed)
        return report
    source = _frames(facts.source)
    released = _frames(facts.released)
    if not released:
        report.checked["note"] = "no released data handed to the guard"
        return report
    src = next(iter(source.values())) if source else None
    src_profile = _profile(src, seed) if src is not None and src.width else None
    src_roles: dict[str, str] = {} if src_profile is None else src_profile.roles()
    src_roles.update(roles or {})
    lineage = {c.name: c for c in facts.columns or ()}
    checked: dict[str, Any] = {"columns": {}, "detection": {}}
    for table, frame in released.items():
        checked["detection"][table or "data"] = _detection_probability(frame.height)
        rel_sample = _sample(frame, seed)
        rel_profile = _released_profile(facts.kind, frame, src, src_profile, lineage, seed)
        for col in rel_profile.columns:
            info = lineage.get(col.name)
            _check_column(col, info, src_roles, src_profile, facts.kind, report, checked)
        if src is not None:
            _check_replays(
                facts.kind, frame, rel_sample, src, src_profile, lineage, report, checked
            )
        if facts.kind == "anonymized":
            _check_combinations(facts, frame, rel_profile, report, checked)
    report.checked = checked
    return report


def _check_column(
    col: Any,
    info: Any,
    src_roles: Mapping[str, str],
    src_profile: Profile | None,
    kind: str,
    report: GuardReport,
    checked: dict[str, Any],
) -> None:
    ops = set(getattr(info, "ops", ()) or ())
    role = getattr(info, "role", None)
    source_col = getattr(info, "source", None) or col.name
    src_role = src_roles.get(source_col)
    generated = role in _GENERATED or bool(ops & _GENERATED)
    exempt_ops = sorted(ops & _EXEMPT_OPS)
    checked["columns"][col.name] = {
        "semantic_type": col.semantic_type,
        "role": col.role,
        "source_role": src_role,
        "ops": sorted(ops),
    }
    if col.semantic_type == "free_text":
        pii = col.evidence.get("pii_in_text") or {}
        if "redact_text" in ops:
            checked["columns"][col.name]["residual_pii"] = {
                k: v.get("share_of_rows") for k, v in pii.items()
            }
            return
        if pii and not generated:
            report.findings.append(
                Finding(
                    col.name,
                    "free_text_pii",
                    f"column {col.name!r} is free text holding {', '.join(sorted(pii))} and was "
                    "not redacted (add a redact_text step)",
                    {"types": {k: v.get("share_of_rows") for k, v in pii.items()}},
                )
            )
        return
    if generated or exempt_ops:
        return  # generated, pseudonymized, masked: checked for overlap with the source instead
    identifying_now = col.role in _IDENTIFYING
    identifying_source = src_role in _IDENTIFYING and (
        kind == "anonymized" or role is None or role == "other"
    )
    if identifying_now or identifying_source:
        what = col.semantic_type if identifying_now else f"{src_role} in the source"
        report.findings.append(
            Finding(
                col.name,
                "direct_identifier",
                f"column {col.name!r} is a direct identifier ({what}) released as it is",
                {"semantic_type": col.semantic_type, "source_role": src_role},
            )
        )


def _identifying_sources(kind: str, src: pl.DataFrame, src_profile: Profile | None) -> list[str]:
    if src_profile is None:
        return []
    if kind == "anonymized":
        return [c.name for c in src_profile.columns if c.role == "direct_identifier"]
    # synthetic: every high-cardinality text column (identifier-like codes, free text) and
    # every direct identifier; measurements and dates coincide by chance, and a learned
    # quasi-identifier (a postal code, a city) is shared by many people: none identifies
    threshold = max(20, int(0.2 * min(src.height, SAMPLE_ROWS)))
    return [
        c.name
        for c in src_profile.columns
        if c.role == "direct_identifier"
        or c.semantic_type == "free_text"
        or (
            src.schema[c.name] == pl.String
            and c.distinct >= threshold
            and c.role != "quasi_identifier"
            and c.semantic_type not in ("date", "date_of_birth", "numeric", "amount")
        )
    ]


def _check_replays(
    kind: str,
    frame: pl.DataFrame,
    rel_sample: pl.DataFrame,
    src: pl.DataFrame,
    src_profile: Profile | None,
    lineage: Mapping[str, Any],
    report: GuardReport,
    checked: dict[str, Any],
) -> None:
    sources = [c for c in _identifying_sources(kind, src, src_profile) if c in src.columns]
    if not sources:
        return
    text_sources = {
        c.name
        for c in (src_profile.columns if src_profile else [])
        if c.semantic_type == "free_text"
    }
    value_sources = [s for s in sources if s not in text_sources]  # notes: through their PII
    src_pii: set[str] = set()
    if kind == "synthetic":
        for s in text_sources & set(sources):
            for found in find_pii(_sample(src, 0)[s].cast(pl.String)).values():
                src_pii.update(found)
    # every value of each identifying source column, hashed once: (hash, source column)
    hashed = (
        pl.concat(
            [
                src.select(_hash(pl.col(s)).alias("h"))
                .drop_nulls()
                .unique()
                .with_columns(pl.lit(s).alias("source"))
                for s in value_sources
            ]
        )
        if value_sources
        else pl.DataFrame(schema={"h": pl.UInt64, "source": pl.String})
    )
    # the sampled released values in long form: (column, value, hash); one join finds them all
    candidates = [
        name
        for name in rel_sample.columns
        if not (
            kind == "anonymized"
            and getattr(lineage.get(name), "source", None) in sources
            and name in report.kept
        )  # a kept column carries its own values on purpose
        and rel_sample[name].drop_nulls().n_unique() > 1
    ]
    long = pl.concat(
        [
            rel_sample.select(
                pl.lit(name).alias("column"),
                pl.col(name).cast(pl.String).alias("value"),
            ).drop_nulls()
            for name in candidates
        ]
        or [pl.DataFrame(schema={"column": pl.String, "value": pl.String})]
    ).with_columns(_hash(pl.col("value")).alias("h"))
    hits = long.join(hashed, on="h", how="inner")
    replays: dict[str, Any] = {}
    for (name, s), group in hits.group_by(["column", "source"], maintain_order=True):
        info = lineage.get(str(name))
        own = getattr(info, "source", None) or str(name)
        if (
            kind == "anonymized"
            and s == own
            and "pseudonymize" not in set(info.ops if info else ())
        ):
            continue  # released unchanged: rule 1 names it
        values = group["value"]
        replays.setdefault(str(name), []).append(
            {"source_column": s, "values": len(values),
             "masked_examples": [_mask(v) for v in values.unique().sort().head(2).to_list()]}
        )  # fmt: skip
    if kind == "synthetic" and value_sources:
        for name in candidates:
            column = rel_sample[name]
            if column.dtype != pl.String or _mean_tokens(column) < 3:
                continue  # PII inside values: only multi-word text can carry it
            in_text = {v for vals in find_pii(column).values() for v in vals}
            leaked = sorted((in_text & src_pii) | _real_values(in_text, hashed))
            if leaked:
                replays.setdefault(name, []).append(
                    {"source_column": "PII in source text or identifiers", "values": len(leaked),
                     "masked_examples": [_mask(v) for v in leaked[:2]]}
                )  # fmt: skip
    for name, found in replays.items():
        total = sum(h["values"] for h in found)
        report.findings.append(
            Finding(
                name,
                "replay",
                f"column {name!r} carries {total} real value(s) of "
                + ", ".join(repr(h["source_column"]) for h in found)
                + " (in the 10,000-row sample)",
                {"replays": found},
            )
        )
    checked["replay_sources"] = sources


def _hash(expr: pl.Expr) -> pl.Expr:
    """A 64-bit hash of the value as text (so 123 and "123" meet)."""
    return expr.cast(pl.String).hash(0x5EED)


def _mean_tokens(column: pl.Series) -> float:
    value = column.str.count_matches(r"\S+").cast(pl.Float64).mean()
    return float(value) if isinstance(value, int | float) else 0.0


def _real_values(strings: set[str], hashed: pl.DataFrame) -> set[str]:
    """Those of *strings* whose hash is among the source's identifying values' hashes."""
    if not strings or hashed.height == 0:
        return set()
    probe = pl.DataFrame({"value": sorted(strings)}).with_columns(_hash(pl.col("value")).alias("h"))
    return set(probe.join(hashed.select("h"), on="h", how="semi")["value"].to_list())


def _declared(facts: ReleaseFacts) -> tuple[list[str], int | None]:
    recipe = facts.manifest.get("resolved_recipe") or {}
    privacy = recipe.get("privacy") or {}
    return list(privacy.get("quasi_identifiers") or []), privacy.get("k")


def _check_combinations(
    facts: ReleaseFacts,
    frame: pl.DataFrame,
    rel_profile: Profile,
    report: GuardReport,
    checked: dict[str, Any],
) -> None:
    declared, k = _declared(facts)
    detected = [c.name for c in rel_profile.columns if c.semantic_type in _GUARD_QI_TYPES]
    other_dates = [c.name for c in rel_profile.columns if c.semantic_type == "date"]
    qis = list(dict.fromkeys([*detected, *(d for d in declared if d in frame.columns)]))[:_MAX_QIS]
    threshold = int(k) if k else 2
    checked["quasi_identifiers"] = {
        "checked": qis, "declared": declared, "threshold": threshold, "other_dates": other_dates,
    }  # fmt: skip
    uncovered = [q for q in qis if q not in declared]
    if not uncovered or frame.height == 0:
        return
    classes = CombinationClasses(frame, qis)  # one pass over every released row
    worst: list[dict[str, Any]] = []
    for r in (1, 2, 3):
        for combo in itertools.combinations(qis, r):
            if not set(combo) & set(uncovered):
                continue
            counts = classes.sizes(combo)
            smallest = int(counts.min()) if counts.size else 0
            if smallest < threshold:
                below = int(counts[counts < threshold].sum())
                worst.append({"columns": list(combo), "min_class_size": smallest,
                              "records_below": below})  # fmt: skip
    if not worst:
        return
    worst.sort(key=lambda w: (-w["records_below"], len(w["columns"])))
    for w in worst[:1] + [x for x in worst[1:] if len(x["columns"]) == 1][:3]:
        cols = w["columns"]
        report.findings.append(
            Finding(
                next(c for c in cols if c in uncovered),
                "identifying_combination",
                f"{' + '.join(cols)} leave {w['records_below']} record(s) in classes smaller "
                f"than {threshold} (smallest {w['min_class_size']}); generalize "
                f"{', '.join(c for c in cols if c in uncovered)} or list it as a quasi-identifier",
                w,
            )
        )


def _check_queries(
    facts: ReleaseFacts, roles: Mapping[str, str] | None, report: GuardReport, seed: int
) -> None:
    """Refuse a DP query that groups by, or publishes keys of, an identifying column.

    A column's role comes from the catalog's profile, else from the values the
    producer sampled (``facts.query_sample``, else ``facts.source``). Public keys
    alone are never profiled for structure: they are distinct by construction, so
    "near-unique" would call every key list a record key; only a value format
    (e-mail, phone, national ID …) in the keys counts.
    """
    known: dict[str, str] = dict(roles or {})
    sample = _frames(facts.query_sample) or _frames(facts.source)
    if sample:
        known = {**_profile(next(iter(sample.values())), seed).roles(), **known}
    for i, query in enumerate(facts.queries):
        columns: Iterable[str] = (
            getattr(query, "group_columns", None) or getattr(query, "by", None) or ()
        )
        keys = getattr(query, "keys", None)
        for col in columns:
            role = known.get(col)
            if role is None and isinstance(keys, pl.DataFrame) and col in keys.columns:
                role = _format_role(keys.select(col), col, seed) if keys.height else None
            if role in _IDENTIFYING:
                report.findings.append(
                    Finding(
                        col,
                        "query_identifier",
                        f"query {i} groups by {col!r}, a direct identifier or record key: "
                        "its answers (and any published keys) would name people",
                        {"query": i},
                    )
                )
    report.checked["queries"] = len(facts.queries)
