"""What one column *is*: semantic type, confidence and evidence, from its values first.

The profile calls :func:`classify` once per column with a seeded sample of its
values, statistics over every row and the table's context (the countries the
data points at: country columns, IBAN prefixes, phone regions). The order of
the checks is the order of specificity: typed dates, validated formats
(check-digit IDs, e-mails, cards, IBANs), phones (libphonenumber), hashed IDs,
places, vocabularies (sex, special categories, marital status, education), names
(packaged name statistics), free text, then **structural rules** that need no
format: a (near-)unique column nobody recognised that is not a measurement is a
record key — a direct identifier, with the reason —, integer codes with few
values are flagged ``qi_candidate``, and a constant column identifies no one.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from privlab.detect import (
    DETECTORS,
    country_codes,
    find_pii,
    id_evidence,
    mixed_id_evidence,
    name_evidence,
    parse_dates,
    phone_evidence,
    place_evidence,
    random_id_evidence,
)

__all__ = ["ROLE_OF", "Classified", "TableContext", "classify", "role_of", "table_context"]

ROLE_OF = {
    "email": "direct_identifier",
    "phone": "direct_identifier",
    "national_id": "direct_identifier",
    "credit_card": "direct_identifier",
    "iban": "direct_identifier",
    "bank_account": "direct_identifier",
    "device_id": "direct_identifier",
    "ip_address": "direct_identifier",
    "street_address": "direct_identifier",
    "person_name": "direct_identifier",
    "record_key": "direct_identifier",
    "hashed_id": "direct_identifier",
    "postal_code": "quasi_identifier",
    "date_of_birth": "quasi_identifier",
    "age": "quasi_identifier",
    "date": "quasi_identifier",
    "geo_coordinate": "quasi_identifier",
    "sex": "quasi_identifier",
    "place": "quasi_identifier",
    "country": "quasi_identifier",
    "region": "quasi_identifier",
    "marital_status": "quasi_identifier",
    "education": "quasi_identifier",
    "health_code": "sensitive",
    "free_text": "sensitive",
    "amount": "sensitive",
    "special_category": "sensitive",
    "product_code": "other",
    "organisation_id": "other",
    "constant": "other",
    "url": "other",
    "categorical": "other",
    "numeric": "other",
    "boolean": "other",
    "text": "other",
    "unknown": "other",
}
_MAX_TEXT = 2_000  # characters of a value looked at by detectors

_SEX = {"f", "m", "x", "u", "female", "male", "other", "non-binary", "nonbinary", "unknown",
        "woman", "man", "w", "d", "diverse", "männlich", "weiblich", "divers", "homme",
        "femme", "h", "hombre", "mujer", "masculino", "feminino", "femenino", "maschio",
        "femmina", "mężczyzna", "kobieta", "k", "kvinna", "mand", "kvinde", "vrouw",
        "男", "女", "男性", "女性"}  # fmt: skip
_HEALTH_WORDS = re.compile(
    r"(?i)\b(disease|disorder|infection|fracture|neoplasm|malignant|diabet|asthma|pneumonia|"
    r"sepsis|pain|delivery|pregnan|cancer|carcinoma|tumou?r|injur|syndrome|failure|infarction|"
    r"appendicitis|calculus|depress|hypertension|stroke|dementia|hiv|hepatitis|covid|influenza|"
    r"anxiety|schizo|bipolar|arthritis|obesity|anemia|fever|lesion|chronic|acute)"
)
#: Demographic special categories (GDPR art. 9) that are also quasi-identifiers.
_DEMOGRAPHIC = ("ethnicity", "religion")
_SPECIAL: dict[str, set[str]] = {
    "ethnicity": {
        "white", "black", "asian", "hispanic", "latino", "latina", "latinx", "african american",
        "caucasian", "native american", "pacific islander", "mixed", "multiracial", "arab",
        "indigenous", "amer-indian-eskimo", "asian-pac-islander", "other",
        "black or african american",
        "american indian or alaska native", "native hawaiian or other pacific islander",
        "two or more races", "white british", "white other", "asian british", "black british",
    },
    "religion": {
        "christian", "catholic", "protestant", "muslim", "islam", "jewish", "judaism", "hindu",
        "buddhist", "sikh", "atheist", "agnostic", "orthodox", "none", "no religion",
        "katholisch", "evangelisch", "musulman", "catholique", "católico", "cattolico",
    },
    "sexual_orientation": {
        "heterosexual", "straight", "gay", "lesbian", "bisexual", "homosexual", "asexual",
        "pansexual", "queer",
    },
}  # fmt: skip
_MARITAL = re.compile(
    r"(?i)(married|never.?married|single|divorced|widow|separated|partnership|spouse|"
    r"ledig|verheiratet|geschieden|verwitwet|célibataire|marié|divorcé|veu[fv]|pacs|"
    r"solter|casad|divorciad|viud|celibe|nubile|coniugat|vedov|wolny|wolna|żonaty|zamężna|"
    r"rozwiedzion|gift|ogift|skild|änka|änkling|gehuwd|ongehuwd|gescheiden|weduw|"
    r"未婚|既婚|離婚)"
)
_EDUCATION = re.compile(
    r"(?i)(bachelor|master|doctor|phd|hs.?grad|high.?school|some.?college|college|"
    r"assoc|prof.?school|preschool|primary|secondary|elementary|\d+(?:st|nd|rd|th)\b|"
    r"diploma|abitur|hauptschul|realschul|licence|baccalaur|bac\b|bachiller|licenciatur|"
    r"grado|laurea|diplom|matura|gymnas|mbo|hbo|vwo|havo|magister|licencjat|studia)"
)
_AMOUNT_NAMES = re.compile(r"(?i)(salary|income|wage|earning|charge|cost|balance|debt|pay\b|"
                           r"payment|compensation|bonus|revenue_per|net_worth)")  # fmt: skip
_RATING_NAMES = re.compile(r"(?i)(rating|score|performance|appraisal|grade|evaluation)")
_ID_LIKE = r"^[A-Za-z]{0,5}[-_]?\d{3,}(?:[-_][A-Za-z0-9]+)?$"
_CODE_LIKE = r"^[A-Za-z0-9][A-Za-z0-9_\-./:#]*$"
_POSTAL_NAMES = re.compile(r"(?i)(zip|postal|post_?code|postcode|plz|cap\b|cep\b)")
_AGE_NAMES = re.compile(r"(?i)(\bage\b|alter\b|âge|edad|età|wiek|ålder)")


@dataclass(frozen=True)
class TableContext:
    """What the whole table says about one column: countries its data points at."""

    countries: tuple[str, ...] = ()


@dataclass
class Classified:
    """The outcome of :func:`classify` for one column."""

    kind: str
    confidence: float
    evidence: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    hierarchy: bool = False  # the profile should suggest a hierarchy (a QI-like column)
    special_category: bool = False


def _mean(series: pl.Series) -> float:
    value = series.cast(pl.Float64).mean()
    return float(value) if isinstance(value, int | float) else 0.0


def _median(series: pl.Series) -> float:
    value = series.cast(pl.Float64).median()
    return float(value) if isinstance(value, int | float) else 0.0


def _min_max(series: pl.Series) -> tuple[float, float]:
    if len(series) == 0:
        return 0.0, 0.0
    values = series.cast(pl.Float64)
    lo, hi = values.min(), values.max()
    return (float(lo) if isinstance(lo, int | float) else 0.0,
            float(hi) if isinstance(hi, int | float) else 0.0)  # fmt: skip


def mask(kind: str, value: str) -> str:
    """A masked example: enough to recognise the kind, nothing to identify anyone."""
    if kind == "email" and "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}***@{domain}"
    if kind == "person_name":
        return " ".join(f"{w[:1]}***" for w in value.split())
    if len(value) <= 2:
        return "*" * len(value)
    return re.sub(r"[0-9]", "X", value[:-2]) + re.sub(r"[0-9A-Za-z]", "*", value[-2:])


def free_text_evidence(values: pl.Series, regions: Iterable[str] = ()) -> dict[str, Any]:
    """Per PII type found in the text: share of rows holding one, two masked examples."""
    out: dict[str, Any] = {}
    text = values.cast(pl.String)
    for kind, found in find_pii(text, regions=regions).items():
        share = _mean(text.str.contains_any(found).fill_null(False))
        if share > 0:
            examples = [mask(kind, v) for v in sorted(found)[:2]]
            out[kind] = {"share_of_rows": round(share, 4), "masked_examples": examples}
    return out


def table_context(sample: pl.DataFrame) -> TableContext:
    """Countries the table points at: country columns, IBAN prefixes, international phones."""
    found: dict[str, int] = {}
    for name, dtype in sample.schema.items():
        if dtype not in (pl.String, pl.Categorical) or sample.height == 0:
            continue
        values = sample[name].cast(pl.String).drop_nulls().head(2_000)
        if len(values) == 0:
            continue
        if _mean(values.str.contains(r"^[A-Z]{2}\d{2}\s?[A-Z0-9]")) >= 0.8:
            for code, count in values.str.slice(0, 2).rename("v").value_counts().iter_rows():
                found[code] = found.get(code, 0) + int(count)
            continue
        if values.n_unique() <= 300:
            codes = country_codes(values)
            if _mean(codes.is_not_null()) >= 0.8:
                for code, count in codes.drop_nulls().rename("v").value_counts().iter_rows():
                    found[code] = found.get(code, 0) + int(count)
    ranked = sorted(found, key=lambda c: -found[c])
    return TableContext(countries=tuple(ranked[:20]))


def _match_detectors(
    text: pl.Series, hint_types: list[str], evidence: dict[str, Any]
) -> tuple[str, float] | None:
    """Best regex-detector type by pattern share × validator pass rate (one type pooled)."""
    by_type: dict[str, list[Any]] = {}
    for d in DETECTORS:
        by_type.setdefault(d.name, []).append(d)
    # each distinct value is matched (and validated) once, then weighted by its count
    counts = text.rename("v").value_counts()
    distinct = counts["v"]
    weight = counts["count"].cast(pl.Float64) / max(len(text), 1)
    best: tuple[str, float] | None = None
    for kind, detectors in by_type.items():
        matched = pl.Series([False] * len(distinct), dtype=pl.Boolean)
        valid = pl.Series([False] * len(distinct), dtype=pl.Boolean)
        entry: dict[str, Any] = {}
        for d in detectors:
            match = distinct.str.contains(d.pattern).fill_null(False)
            if not match.any():
                continue
            ok = match
            if d.validators:
                idx = np.flatnonzero(match.to_numpy())
                passed = np.ones(len(idx), dtype=bool)
                for label, check in d.validators:
                    passed &= check(distinct.gather(idx)).to_numpy()
                    entry.setdefault("validators", []).append(label)
                arr = np.zeros(len(distinct), dtype=bool)
                arr[idx] = passed
                ok = pl.Series(arr, dtype=pl.Boolean)
            matched = matched | match
            valid = valid | ok
        share = float((matched.cast(pl.Float64) * weight).sum())
        if share == 0:
            continue
        pass_rate = float((valid.cast(pl.Float64) * weight).sum()) / share
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


def _ids(values: pl.Series, ctx: TableContext, evidence: dict[str, Any]) -> Classified | None:
    found = id_evidence(values, countries=ctx.countries)
    if found is None and ctx.countries:
        found = mixed_id_evidence(values, countries=ctx.countries)
    if found is None:
        return None
    evidence["id_scheme"] = found
    kind = {
        "national_id": "national_id",
        "tax_id": "national_id",
        "health_id": "national_id",
        "bank_account": "iban" if found["scheme"] == "iban" else "bank_account",
        "device_id": "device_id",
        "product": "product_code",
        "company": "organisation_id",
    }[found["kind"]]
    return Classified(kind, min(0.6 + 0.4 * float(found["valid_share"]), 1.0), evidence)


def _phones(values: pl.Series, ctx: TableContext, evidence: dict[str, Any]) -> Classified | None:
    # bare digits without a trunk 0 or a +: too many numbers are possible phones somewhere
    if _mean(values.str.contains(r"^[1-9]\d+$")) >= 0.5:
        return None
    found = phone_evidence(values, regions=ctx.countries)
    if found is None:
        return None
    evidence["phone"] = found
    if found["possible_share"] >= 0.8:
        return Classified("phone", min(0.55 + 0.45 * found["possible_share"], 0.98), evidence)
    return None


def _dates(name: str, values: pl.Series, evidence: dict[str, Any]) -> tuple[str, float] | None:
    parsed = parse_dates(values)
    if not parsed.is_date:
        return None
    dates = parsed.dates.drop_nulls()
    today = dt.date.today()
    ages = pl.select((pl.lit(today.year) - dates.dt.year()).alias("age")).to_series()
    birth_hint = bool(
        re.search(r"(?i)birth|dob|born|geburt|naissance|nacimiento|nascita|urodz", name)
    )
    lo, hi = _min_max(ages)
    span = hi - lo
    dob = birth_hint or (_median(ages) >= 18 and span >= 40 and lo >= 0)
    evidence["date_share"] = round(parsed.share, 4)
    evidence["date_formats"] = parsed.formats
    evidence["date_order"] = parsed.order
    evidence["age_span_years"] = round(span, 1)
    kind = "date_of_birth" if dob else "date"
    return kind, 0.95 if birth_hint or not dob else 0.8


def classify(
    name: str,
    full: pl.Series,
    sample: pl.Series,
    stats: dict[str, Any],
    n: int,
    ctx: TableContext = TableContext(),
) -> Classified:
    """Classify one column (see the module docstring for the order of the checks)."""
    dtype = full.dtype
    evidence: dict[str, Any] = {}
    if n == 0:
        return Classified("unknown", 0.0, evidence, "the table has no rows")
    if dtype.is_nested() or dtype in (pl.Binary, pl.Object):
        return Classified("unknown", 0.0, evidence, f"{dtype} values cannot be profiled")
    values = sample.drop_nulls()
    if len(values) == 0:
        return Classified("unknown", 0.0, evidence, "every value is missing")
    hint_types = [d.name for d in DETECTORS if d.name_hint and re.search(d.name_hint, name, re.I)]
    if hint_types:
        evidence["name_hint"] = sorted(set(hint_types))
    if stats["distinct"] == 1:
        evidence["constant"] = True
        return Classified("constant", 0.95, evidence, "one value in every row: identifies no one")
    if dtype == pl.Boolean:
        return Classified("boolean", 0.9, evidence)
    if dtype.is_temporal() or dtype == pl.String:
        found_date = _dates(name, values, evidence)
        if found_date is not None:
            return Classified(found_date[0], found_date[1], evidence, hierarchy=True)
    if dtype.is_integer():
        digits = values.cast(pl.String)
        if _mean(digits.str.len_chars() >= 8) >= 0.9:
            for check in (_ids, _phones):
                got = check(digits, ctx, evidence)
                if got is not None:
                    return got
            found = _match_detectors(digits, hint_types, evidence)
            if found is not None and found[0] == "credit_card":
                return Classified(found[0], found[1], evidence)
    if dtype.is_numeric():
        return _numeric(name, full, values, stats, evidence, ctx)
    text = values.cast(pl.String).str.slice(0, _MAX_TEXT).str.strip_chars()
    return _text(name, text, stats, n, evidence, hint_types, ctx)


def _text(
    name: str,
    text: pl.Series,
    stats: dict[str, Any],
    n: int,
    evidence: dict[str, Any],
    hint_types: list[str],
    ctx: TableContext,
) -> Classified:
    found = _match_detectors(text, hint_types, evidence)
    if found is not None and found[0] not in ("phone", "postal_code"):
        return Classified(
            found[0], found[1], evidence, hierarchy=ROLE_OF.get(found[0]) == "quasi_identifier"
        )
    for check in (_ids, _phones):
        got = check(text, ctx, evidence)
        if got is not None:
            return got
    if found is not None:  # the old US phone / ZIP patterns, when libphonenumber said nothing
        return Classified(found[0], found[1], evidence, hierarchy=found[0] == "postal_code")
    random_id = random_id_evidence(text)
    if random_id is not None and stats["uniqueness"] >= 0.5:
        evidence["random_id"] = random_id
        return Classified("hashed_id", 0.9, evidence)
    place = place_evidence(
        text, countries=ctx.countries, postal_hint=bool(_POSTAL_NAMES.search(name))
    )
    if place is not None:
        evidence["place"] = place
        kind = place["kind"]
        return Classified(
            kind, min(0.6 + 0.4 * float(place["share"]), 0.95), evidence, hierarchy=True
        )
    lowered = text.str.to_lowercase()
    distinct = stats["distinct"]
    uniqueness = stats["uniqueness"]
    if distinct <= 8 and _mean(lowered.is_in(list(_SEX))) >= 0.98:
        evidence["vocabulary"] = "sex/gender codes"
        return Classified("sex", 0.9, evidence, hierarchy=True)
    for category, words in _SPECIAL.items():
        share = _mean(lowered.is_in(list(words)))
        if share >= 0.8 and distinct <= 50:
            evidence["special_category"] = {
                "category": category,
                "vocabulary_share": round(share, 3),
            }
            return Classified(
                "special_category", 0.8, evidence, hierarchy=category in _DEMOGRAPHIC,
                special_category=True,
            )  # fmt: skip
    if distinct <= 30:
        marital = _mean(text.str.contains(_MARITAL.pattern))
        if marital >= 0.8:
            evidence["vocabulary"] = {"marital_status": round(marital, 3)}
            return Classified("marital_status", 0.8, evidence, hierarchy=True)
        education = _mean(text.str.contains(_EDUCATION.pattern))
        if education >= 0.8:
            evidence["vocabulary"] = {"education": round(education, 3)}
            return Classified("education", 0.75, evidence, hierarchy=True)
    token_count = text.str.count_matches(r"\S+")
    mean_tokens = _mean(token_count)
    names = name_evidence(text)
    evidence["name_evidence"] = names
    # many distinct names, or names that repeat (visits, orders of the same people)
    many = uniqueness >= 0.2 or distinct >= 100
    if many and names["shape_share"] >= 0.8 and names["known_share"] >= 0.5:
        return Classified("person_name", min(0.55 + 0.45 * names["known_share"], 0.99), evidence)
    if uniqueness >= 0.05 and distinct >= 20 and names["single_first_share"] >= 0.8:
        evidence["first_names_only"] = True
        return Classified("person_name", 0.7, evidence)
    if mean_tokens >= 5 and _mean(text.str.len_chars()) >= 25:
        evidence["mean_tokens"] = round(mean_tokens, 1)
        evidence["pii_in_text"] = free_text_evidence(text, ctx.countries)
        return Classified("free_text", 0.85, evidence)
    health = _mean(text.str.contains(_HEALTH_WORDS.pattern))
    if health >= 0.5 and distinct <= 5000:
        evidence["health_vocabulary_share"] = round(health, 3)
        return Classified("special_category", 0.75, evidence, special_category=True)
    id_share = _mean(text.str.contains(_ID_LIKE))
    # a foreign key to people: named so, or shaped like one (C10514: a letter or two, digits)
    named_key = bool(_PERSON_KEYS.search(name))
    person_key = named_key or _mean(text.str.contains(r"^[A-Z]{1,2}\d{4,}$")) >= 0.95
    # named for people and repeated (visits, orders of the same patients): still their key
    repeated = person_key and (distinct >= 0.1 * n or (named_key and distinct >= 100))
    if id_share >= 0.95 and (uniqueness >= 0.9 or repeated):
        evidence["id_shape_share"] = round(id_share, 4)
        return Classified(
            "record_key", 0.8, evidence, "identifier-shaped values, (nearly) one per row"
        )
    code_share = _mean(text.str.contains(_CODE_LIKE))
    if uniqueness >= 0.9 and distinct >= 50 and code_share >= 0.95 and mean_tokens <= 1.5:
        evidence["structural"] = {
            "uniqueness": round(uniqueness, 4),
            "code_shape_share": round(code_share, 4),
        }
        return Classified(
            "record_key", 0.65, evidence,
            "(nearly) unique codes no detector recognised: treated as a record key",
        )  # fmt: skip
    if distinct <= max(50, 0.05 * n):
        return Classified("categorical", 0.8, evidence, hierarchy=True)
    return Classified("text", 0.5, evidence)


def _numeric(
    name: str,
    full: pl.Series,
    values: pl.Series,
    stats: dict[str, Any],
    evidence: dict[str, Any],
    ctx: TableContext,
) -> Classified:
    num = values.cast(pl.Float64)
    lo, hi = float(num.min()), float(num.max())  # type: ignore[arg-type]
    integral = bool((num == num.floor()).all())
    this_year = dt.date.today().year
    distinct = stats["distinct"]
    if integral and lo >= 1900 and hi <= this_year and hi - lo >= 10:
        evidence["year_range"] = [int(lo), int(hi)]
        kind = "date_of_birth" if re.search(r"(?i)birth|born|yob", name) else "date"
        return Classified(kind, 0.8, evidence, hierarchy=True)
    if re.search(r"(?i)\blat|\blon|latitude|longitude", name) and lo >= -180 and hi <= 180:
        return Classified("geo_coordinate", 0.8, evidence, hierarchy=True)
    if integral and (_POSTAL_NAMES.search(name) or ctx.countries):
        place = place_evidence(values.cast(pl.Int64).cast(pl.String), countries=ctx.countries,
                               postal_hint=bool(_POSTAL_NAMES.search(name)))  # fmt: skip
        if place is not None and place["kind"] == "postal_code" and _POSTAL_NAMES.search(name):
            evidence["place"] = place
            return Classified("postal_code", 0.8, evidence, hierarchy=True)
    median = _median(num)
    if integral and lo >= 0 and hi <= 110 and 18 <= median <= 75 and distinct >= 15:
        evidence["age_range"] = [int(lo), int(hi)]
        return Classified("age", 0.9 if _AGE_NAMES.search(name) else 0.75, evidence, hierarchy=True)
    if integral and stats["uniqueness"] >= 0.95 and distinct >= 100:
        span = hi - lo + 1
        if span <= 10 * distinct:  # dense like 1..n: a surrogate key
            evidence["dense_integer_key"] = True
            return Classified(
                "record_key", 0.7, evidence, "dense integers, one per row: a surrogate key"
            )
        if _KEY_NAMES.search(name):  # random keys (SDV's, hashed ids) are neither dense nor
            evidence["named_key"] = True  # of one length: the name and uniqueness decide
            return Classified(
                "record_key", 0.7, evidence, "(nearly) unique integers named as an identifier"
            )
        lengths = values.cast(pl.Int64).abs().cast(pl.String).str.len_chars()
        modal = _mean(lengths == lengths.mode().first())
        if modal >= 0.9 and lo >= 10_000:
            evidence["structural"] = {
                "uniqueness": stats["uniqueness"],
                "same_digit_count": round(modal, 3),
            }
            return Classified(
                "record_key", 0.7, evidence,
                "(nearly) unique integers of one length: a number that identifies, not a quantity",
            )  # fmt: skip
    scaled = num * 100
    cents = bool(((scaled - scaled.round()).abs() < 1e-6).all()) and not integral
    hundreds = integral and bool((num % 100 == 0).mean() >= 0.95)  # type: ignore[operator]
    if _AMOUNT_NAMES.search(name) or (lo >= 0 and median >= 1000 and (cents or hundreds)):
        evidence["amount"] = {"median_order_of_magnitude": int(math.log10(max(median, 1)))}
        return Classified("amount", 0.75 if _AMOUNT_NAMES.search(name) else 0.6, evidence)
    if _RATING_NAMES.search(name) and distinct <= 11:
        evidence["rating_scale"] = True
        return Classified("special_category", 0.6, evidence)
    if distinct <= 20:
        if integral and distinct <= 10:
            evidence["qi_candidate"] = True
        return Classified("categorical", 0.7, evidence, hierarchy=True)
    return Classified("numeric", 0.7, evidence, hierarchy=True)


#: A column named as an identifier: ``id``, ``record_id``, ``patientId``, ``case_no``, ``key``.
_KEY_NAMES = re.compile(r"(?i:^(id|key)$|[_\s.-](id|key|nr|no|number|num)$)|[a-z]Id$|[a-z]ID$")
_NON_PERSON_KEYS = re.compile(
    r"(?i)(order|product|sku|item|invoice|transaction|ticket|shipment|part|batch|sku|code)"
)
_PERSON_KEYS = re.compile(
    r"(?i)(patient|customer|client|employee|person|member|user|subject|student|citizen|"
    r"staff|participant|respondent|account|mrn|emp_?id)"
)
_SPECIAL_NAMES = re.compile(
    r"(?i)(ethnic|race\b|racial|religio|faith|sexual|orientation|union|trade_?union|"
    r"health|medical|disab|genetic|biometric|political|belief)"
)
_QI_NAMES = re.compile(
    r"(?i)(depart|dept|title|job|occupation|position|profession|education|marital|gender|"
    r"\bsex\b|\bage\b|city|town|county|state|country|region|nationality|language|birth|"
    r"employer|workclass)"
)


def role_of(name: str, found: Classified) -> str:
    """The privacy role of a classified column (a column's name only adds evidence)."""
    kind, evidence = found.kind, found.evidence
    if found.special_category:
        category = (evidence.get("special_category") or {}).get("category")
        return "quasi_identifier" if category in _DEMOGRAPHIC else "sensitive"
    role = ROLE_OF.get(kind, "other")
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


Spec = Callable[[pl.Series], Any]
