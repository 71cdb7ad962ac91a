r"""Postal codes by country pattern, country and region names in many languages.

* Postal codes: :data:`POSTAL_PATTERNS` holds each country's format (UPU / national
  post formats). Patterns that are only digits (``\d{4}``, ``\d{5}``) say little on
  their own, so a column of bare 4-digit numbers needs a country hint or a name
  hint; distinctive formats (``1979 EK``, ``TA77 3EU``, ``27-097``, ``01310-200``)
  stand alone.
* Country names: every territory name CLDR knows (through ``babel``) in 21
  languages, ISO 3166 alpha-2/alpha-3 codes, with hyphens read as spaces
  (``United-States``).
* Region names: ISO 3166-2 subdivision names (``pycountry``), e.g. ``Bayern``,
  ``Île-de-France``, ``Mazowieckie``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import polars as pl

from privlab.detect._names import fold
from privlab.detect._util import counted

__all__ = ["COUNTRY_HINT_LANGUAGES", "POSTAL_PATTERNS", "country_codes", "place_evidence"]

#: country -> postal code pattern (Rust regex, whole value, upper case).
POSTAL_PATTERNS: dict[str, str] = {
    "US": r"\d{5}(?:-\d{4})?",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}",
    "NL": r"[1-9]\d{3}\s?[A-Z]{2}",
    "PL": r"\d{2}-\d{3}",
    "PT": r"\d{4}-\d{3}",
    "BR": r"\d{5}-?\d{3}",
    "JP": r"〒?\d{3}-\d{4}",
    "CA": r"[A-Z]\d[A-Z]\s?\d[A-Z]\d",
    "SE": r"\d{3}\s\d{2}",
    "CZ": r"\d{3}\s\d{2}",
    "IE": r"(?:[AC-FHKNPRTV-Y]\d{2}|D6W)\s[0-9AC-FHKNPRTV-Y]{4}",
    "AR": r"[A-Z]\d{4}[A-Z]{3}",
    "MT": r"[A-Z]{3}\s?\d{4}",
    "DE": r"\d{5}",
    "FR": r"\d{5}",
    "ES": r"\d{5}",
    "IT": r"\d{5}",
    "FI": r"\d{5}",
    "MX": r"\d{5}",
    "AT": r"\d{4}",
    "BE": r"\d{4}",
    "CH": r"\d{4}",
    "DK": r"\d{4}",
    "NO": r"\d{4}",
    "AU": r"\d{4}",
    "HU": r"\d{4}",
    "IN": r"\d{6}",
    "RU": r"\d{6}",
    "CN": r"\d{6}",
    "KR": r"\d{5}",
}
_DISTINCTIVE = ("GB", "NL", "PL", "PT", "BR", "JP", "CA", "SE", "IE", "AR", "MT")
#: Languages whose country names are recognised.
COUNTRY_HINT_LANGUAGES = (
    "en", "de", "fr", "nl", "es", "it", "pt", "pl", "sv", "ja", "zh", "ru", "da", "fi", "nb",
    "cs", "tr", "ko", "hu", "ro", "el",
)  # fmt: skip


@functools.cache
def _countries() -> dict[str, str]:
    """Folded country name or code -> ISO alpha-2."""
    import pycountry
    from babel import Locale

    out: dict[str, str] = {}
    for lang in COUNTRY_HINT_LANGUAGES:
        for code, name in Locale.parse(lang).territories.items():
            if len(code) == 2 and code.isalpha():
                out[name] = code
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if value:
                out[value] = c.alpha_2
        out[c.alpha_3] = c.alpha_2
    names = list(out)
    folded = fold(pl.Series(names, dtype=pl.String).str.replace_all(r"[-_]", " ")).to_list()
    result = {f: out[n] for f, n in zip(folded, names, strict=True)}
    for c in pycountry.countries:  # alpha-2 codes only as upper-case exact values
        result.setdefault(c.alpha_2, c.alpha_2)
    return result


@functools.cache
def _regions() -> frozenset[str]:
    import pycountry

    names = [s.name for s in pycountry.subdivisions]
    return frozenset(
        fold(pl.Series(names, dtype=pl.String).str.replace_all(r"[-_]", " ")).to_list()
    )


@functools.cache
def _country_table() -> tuple[pl.Series, pl.Series]:
    table = _countries()
    return pl.Series(list(table), dtype=pl.String), pl.Series(list(table.values()), dtype=pl.String)


@functools.cache
def _region_series() -> pl.Series:
    return pl.Series(sorted(_regions()), dtype=pl.String)


def country_codes(values: pl.Series) -> pl.Series:
    """ISO alpha-2 code of each value that names a country (null otherwise), vectorized.

    A value names a country when it is a CLDR territory name in one of
    :data:`COUNTRY_HINT_LANGUAGES`, an ISO 3166 name or alpha-3 code (compared
    folded, hyphens and underscores read as spaces), or an upper-case alpha-2 code.

    Parameters
    ----------
    values:
        The column (cast to text).

    Returns
    -------
    polars.Series
        One code or null per value, in order.

    Examples
    --------
    >>> import polars as pl
    >>> country_codes(pl.Series(["Deutschland", "FR", "Japon", "Atlantis"])).to_list()
    ['DE', 'FR', 'JP', None]
    """
    keys, codes = _country_table()
    text = values.cast(pl.String).str.strip_chars()
    folded = fold(text.str.replace_all(r"[-_]", " "))
    upper = pl.when(text.str.contains(r"^[A-Z]{2}$")).then(text).otherwise(folded)
    looked = pl.select(upper.alias("k")).to_series()
    return looked.replace_strict(keys, codes, default=None, return_dtype=pl.String)


def place_evidence(
    values: pl.Series, *, countries: Iterable[str] = (), postal_hint: bool = False
) -> dict[str, Any] | None:
    """``{"kind": "country" | "region" | "postal_code", ...}`` for a column, or ``None``.

    Parameters
    ----------
    values:
        The column's values (text, or integers for postal codes).
    countries:
        Countries the data points at: their digit-only postal formats count.
    postal_hint:
        The column's name says postal code: digit-only formats count.

    Returns
    -------
    dict or None
        ``{"kind": "country", "share", "countries"}`` when at least 80 % of the
        non-null values name a country (``countries``: the ten most frequent codes
        with their counts); else ``{"kind": "region", "share"}`` for ISO 3166-2
        subdivision names (80 %); else ``{"kind": "postal_code", "share",
        "formats"}`` when at least 90 % match the allowed postal formats; else
        ``None``.

    Examples
    --------
    >>> import polars as pl
    >>> place_evidence(pl.Series(["Deutschland", "Sverige", "Japan", "United-States"]))["kind"]
    'country'
    >>> place_evidence(pl.Series(["1979 EK", "TA77 3EU", "27-097"]))["kind"]
    'postal_code'
    >>> place_evidence(pl.Series(["1010", "8020", "6020"])) is None  # bare digits need a hint
    True
    >>> place_evidence(pl.Series(["1010", "8020", "6020"]), countries=["AT"])["formats"]
    ['AT']
    """
    stripped = values.cast(pl.String).str.strip_chars().drop_nulls()
    if len(stripped) == 0:
        return None
    counts = counted(stripped)  # each distinct value is looked at once, then weighted
    text, weight = counts["value"], counts["count"].cast(pl.Float64) / len(stripped)

    def share(mask: pl.Series) -> float:
        return float((mask.fill_null(False).cast(pl.Float64) * weight).sum())

    codes = country_codes(text)
    country_share = share(codes.is_not_null())
    if country_share >= 0.8:
        found = (
            pl.DataFrame({"value": codes, "count": counts["count"]})
            .drop_nulls()
            .group_by("value")
            .agg(pl.col("count").sum())
            .sort(["count", "value"], descending=[True, False])
            .head(10)
        )
        return {
            "kind": "country",
            "share": round(country_share, 4),
            "countries": dict(zip(found["value"].to_list(), found["count"].to_list(), strict=True)),
        }
    folded = fold(text.str.replace_all(r"[-_]", " "))
    regions = _region_series().implode()
    region_share = share(folded.is_in(regions))
    if region_share >= 0.8 and share(text.str.contains(r"\p{L}")) >= 0.9:
        return {"kind": "region", "share": round(region_share, 4)}
    upper = text.str.to_uppercase()
    wanted = {c.upper() for c in countries}

    def covered(allowed: Iterable[str]) -> tuple[float, list[str]]:
        matched = pl.Series([False] * len(upper))
        used: list[str] = []
        for country in allowed:
            hit = upper.str.contains(f"^(?:{POSTAL_PATTERNS[country]})$").fill_null(False)
            if hit.any():
                matched = matched | hit
                used.append(country)
        return share(matched), used

    distinctive, used = covered(_DISTINCTIVE)
    if postal_hint or wanted or distinctive >= 0.2:  # digit-only formats only with support
        allowed = [c for c in POSTAL_PATTERNS if c in _DISTINCTIVE or postal_hint or c in wanted]
        if distinctive >= 0.2:
            allowed = list(POSTAL_PATTERNS)
        postal, used = covered(allowed)
    else:
        postal = distinctive
    if postal < 0.9 or not used:
        return None
    return {"kind": "postal_code", "share": round(postal, 4), "formats": used[:8]}
