"""Phone numbers in any national format, checked with libphonenumber (``phonenumbers``).

A value must first look like a phone number (a vectorized shape prefilter: 6–15
digits with the usual separators, an optional ``+``/``00`` prefix, a trunk ``(0)``
and an extension such as ``x14984`` or ``ext. 12``). Then:

* numbers written with ``+`` or ``00`` are parsed as international numbers — the
  country code names the region;
* national numbers are parsed only against the regions the data suggests
  (a country column, IBAN prefixes, the regions of the column's own international
  numbers) — never against every region, which would accept almost any digits.

A column is typed ``phone`` when at least 80 % of its non-null values are
*possible* numbers (right length for the region) and the values are shaped like
phone numbers; the share that is fully *valid* (assigned ranges) and the regions
found are the evidence. Only distinct values reach the parser: at most 300, a
seeded random choice weighted by their counts (the shares then carry a standard
error of at most 3 points).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from privlab.detect._util import counted, share

__all__ = ["PHONE_SHAPE", "find_phones", "phone_evidence"]

#: Shape of a phone number (whole value). Rust regex syntax.
PHONE_SHAPE = (
    r"^(?:\+|00)?\s?(?:\(\+?\d{1,4}\)\s?)?(?:\(0\)\s?)?\(?\d{1,5}\)?"
    r"(?:[\s.\-/]?\(?\d{1,5}\)?){1,6}"
    r"(?:\s?(?:x|ext\.?|extension|#|poste|durchwahl|dw\.?)\s?\d{1,6})?$"
)
_TEXT_SHAPE = (
    r"(?:\+|\b00|\(\+?\d)[\d\s().\-/]{6,22}\d(?:\s?(?:x|ext\.?)\s?\d{1,6})?"
    r"|\(?\b0\d{1,4}\)?[\s.\-/]?\d[\d\s.\-/]{4,16}\d"
    r"|\(\d{3}\)\s?\d{3}[\s.\-]\d{4}(?:\s?x\d{1,6})?"
    r"|\b\d{3}[.\-]\d{3}[.\-]\d{4}(?:\s?x\d{1,6})?"
)
_MAX_DISTINCT = 300


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _parse(raw: str, regions: Sequence[str]) -> tuple[bool, bool, str | None]:
    """(possible, valid, region) of one value under the best region."""
    import phonenumbers as pn

    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    text = re.sub(r"\(0\)", "", text)
    if text.startswith("+") or text.startswith("(+"):
        candidates: Sequence[str | None] = [None]
    else:
        candidates = list(regions)
    best: tuple[bool, bool, str | None] = (False, False, None)
    for region in candidates:
        try:
            number = pn.parse(text, region)
        except pn.NumberParseException:
            continue
        possible = pn.is_possible_number(number)
        valid = possible and pn.is_valid_number(number)
        found = pn.region_code_for_number(number) or region
        if valid:
            return True, True, found
        if possible and not best[0]:
            best = (True, False, found)
    return best


def phone_evidence(values: pl.Series, *, regions: Iterable[str] = ()) -> dict[str, Any] | None:
    """Phone evidence for a column, or ``None`` when its values are not shaped like phones.

    Parameters
    ----------
    values:
        The column's values (cast to text).
    regions:
        ISO 3166 region codes the data suggests (country column, IBAN prefixes);
        national numbers are parsed against these and against the regions of the
        column's international numbers.

    Returns
    -------
    dict or None
        ``shape_share``, ``possible_share``, ``valid_share`` (over non-null values)
        and ``regions`` (region → values), or ``None`` below a 50 % shape share.
        ``regions_tried`` lists the regions national numbers were read against.

    Examples
    --------
    >>> import polars as pl
    >>> numbers = pl.Series(["+46 (0)8 333 332 42", "+33 (0)3 87 17 77 63", "0177-763170"])
    >>> ev = phone_evidence(numbers, regions=["DE"])
    >>> ev["possible_share"], ev["regions"]  # 0177-763170 is a valid Paris number
    (1.0, {'FR': 2, 'SE': 1})
    """
    text = values.cast(pl.String).str.strip_chars().drop_nulls()
    if len(text) == 0:
        return None
    digits = text.str.count_matches(r"\d")
    shaped = text.str.contains(PHONE_SHAPE).fill_null(False) & digits.is_between(6, 17)
    shape_share = share(shaped)
    if shape_share < 0.5:
        return None
    counts = counted(text.filter(shaped))
    if counts.height > _MAX_DISTINCT:  # a seeded choice of distinct values, weighted by count
        counts = counts.sort("value").sample(n=_MAX_DISTINCT, seed=0)
    distinct, weights = counts["value"].to_list(), counts["count"].to_list()
    international = {  # regions the column itself reveals (parsed once, whatever is tried)
        value: _parse(value, ()) for value in distinct if value.startswith(("+", "00", "(+"))
    }
    intl = Counter(region for _, _, region in international.values() if region)
    tried = list(dict.fromkeys([*regions, *(r for r, _ in intl.most_common(12))]))
    possible = valid = 0
    found: Counter[str] = Counter()
    for value, weight in zip(distinct, weights, strict=True):
        ok, good, region = international.get(value) or _parse(value, tried)
        possible += weight * ok
        valid += weight * good
        if ok and region:
            found[region] += weight
    total = int(counts["count"].sum())
    scale = shape_share / max(total, 1)
    return {
        "shape_share": round(shape_share, 4),
        "possible_share": round(possible * scale, 4),
        "valid_share": round(valid * scale, 4),
        "regions": dict(found.most_common(10)),
        "regions_tried": tried[:20],
    }


def find_phones(texts: pl.Series, *, regions: Iterable[str] = ()) -> list[str]:
    """Phone numbers inside free text, as exact substrings (longest first).

    Candidate spans come from one vectorized regex; each distinct span is then
    read with libphonenumber's ``PhoneNumberMatcher`` (leniency *POSSIBLE*) for the
    suggested regions (and as an international number), so ``+33 (0)3 87 17 77 63``,
    ``0177-763170`` and ``573.783.1826x14984`` are all found while dates and
    amounts are not.

    Parameters
    ----------
    texts:
        A column of free text (cast to text).
    regions:
        ISO 3166 regions national numbers are read against, before US, GB, DE
        and FR.

    Returns
    -------
    list of str
        Distinct numbers exactly as written, longest first.

    Examples
    --------
    >>> import polars as pl
    >>> find_phones(pl.Series(["call +33 (0)3 87 17 77 63 or 573.783.1826x14984 by 2024-02-09"]))
    ['+33 (0)3 87 17 77 63', '573.783.1826x14984']
    """
    import phonenumbers as pn

    spans = (
        texts.cast(pl.String).str.extract_all(_TEXT_SHAPE).explode().drop_nulls().unique().to_list()
    )
    wanted = list(dict.fromkeys([*regions, "US", "GB", "DE", "FR"]))
    out: set[str] = set()
    for span in spans:
        span = span.strip(" .-/")
        if _digits(span) < 7 or re.fullmatch(r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}", span):
            continue
        for region in wanted:
            hits = list(pn.PhoneNumberMatcher(span, region, leniency=pn.Leniency.POSSIBLE))
            if hits:
                out.update(h.raw_string for h in hits)
                break
        else:
            if _parse(span, wanted)[0]:
                out.add(span)
    return sorted(out, key=lambda s: (-len(s), s))
