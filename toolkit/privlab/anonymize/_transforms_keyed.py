"""Transforms that need a secret key: pseudonyms, date shifts, PII redaction in text.

Keyed pseudonyms, per-subject date shifts and PII redaction inside free text.

Keys
----
A key is never part of a recipe or a manifest. It is resolved, in this order,
from the ``key=`` argument given in code (``pv.anonymize(..., key=...)``, the
CLI's ``--key-file``), the step's ``key_file`` (a path), or the environment
variable named by the step's ``key_env`` (default ``PRIVLAB_PSEUDONYM_KEY``).
There is no built-in default: without a key these transforms raise
:class:`~privlab.exceptions.MissingSecretError`. Keys must be at least 16 bytes.

Domains
-------
Every keyed output is ``HMAC-SHA256(subkey, value)`` with
``subkey = HMAC-SHA256(key, "privlab/<purpose>/v1" NUL domain)``. Releases for
different recipients should use different ``domain`` strings: their tokens then
do not link even though the key is the same, while the same key and domain give
the same token for the same value in every table and every run.

Key rotation
------------
Tokens are a pure function of (key, domain, value). Rotating the key therefore
changes every token: releases made with the old key cannot be joined with
releases made with the new one (which is the point when a key may have leaked).
To rotate, create a new key in the secret store, point ``key_env`` (or
``key_file``) at it — naming keys by period, e.g. ``PSEUDONYM_KEY_2025``, keeps
recipes explicit — and re-release every table that must stay joinable with the
new key. Keep the old key only as long as old releases must be re-linkable to
source records; destroying it makes old tokens unlinkable for good. Changing
only the ``domain`` starts a fresh, unlinkable token space without a new key.

Examples
--------
>>> import polars as pl
>>> from privlab.anonymize import Pseudonymize
>>> df = pl.DataFrame({"mrn": ["A-1", "A-2", "A-1"]})
>>> out = Pseudonymize("mrn", prefix="P-", key=b"demo key, not a secret!").fit_apply(df)
>>> out["mrn"][0] == out["mrn"][2] != out["mrn"][1]
True
>>> out["mrn"][0]
'P-...'
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import polars as pl
from pydantic import Field, field_validator, model_validator

from privlab.anonymize._transforms_base import Transform, TransformParams
from privlab.detect import TEXT_TYPES, find_pii, text_pii_patterns
from privlab.exceptions import ConfigError, MissingSecretError, RecipeError, SchemaMismatchError

__all__ = [
    "DEFAULT_KEY_ENV",
    "DateShift",
    "Pseudonymize",
    "RedactText",
    "keyed_digests",
    "resolve_key",
]

#: Environment variable read for a key when a step names no other.
DEFAULT_KEY_ENV = "PRIVLAB_PSEUDONYM_KEY"
_MIN_KEY_BYTES = 16
_ISO_DATE = "%Y-%m-%d"


def resolve_key(
    key: bytes | str | None,
    *,
    key_file: str | None = None,
    key_env: str | None = DEFAULT_KEY_ENV,
    base_dir: Path | None = None,
) -> bytes:
    """Return the secret key: *key* if given, else the key file, else the env variable.

    Raises
    ------
    MissingSecretError
        None of the sources holds a key (never defaulted).
    ConfigError
        The key is shorter than 16 bytes.

    Examples
    --------
    >>> resolve_key(None, key_env="NO_SUCH_VARIABLE_FOR_DOCTEST")
    Traceback (most recent call last):
    ...
    privlab.exceptions.MissingSecretError: no key for a keyed transform: ...
    """
    source = "the key= argument"
    raw: bytes | None = None
    if key is not None:
        raw = key.encode() if isinstance(key, str) else bytes(key)
    elif key_file is not None:
        path = Path(key_file).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        source = f"key file {str(path)!r}"
        try:
            raw = path.read_bytes().strip()
        except OSError as exc:
            raise MissingSecretError(
                f"no key for a keyed transform: cannot read {source} ({exc.strerror}); "
                "create it from your secret store or pass key=/--key-file"
            ) from None
    elif key_env:
        source = f"environment variable {key_env}"
        value = os.environ.get(key_env)
        raw = value.encode() if value else None
    if not raw:
        tried = ["the key= argument (or --key-file)"]
        if key_file is not None:
            tried.append(f"key_file {key_file!r}")
        if key_env:
            tried.append(f"environment variable {key_env}")
        raise MissingSecretError(
            f"no key for a keyed transform: expected a key, got none (tried {', '.join(tried)}); "
            f"set {key_env or DEFAULT_KEY_ENV} from your secret store, pass key=, or give "
            "--key-file — privlab never uses a built-in default key"
        )
    if len(raw) < _MIN_KEY_BYTES:
        raise ConfigError(
            f"the key from {source} is too short: expected at least {_MIN_KEY_BYTES} bytes, "
            f'got {len(raw)}; generate one with `python -c "import secrets; '
            'print(secrets.token_urlsafe(32))"`'
        )
    return raw


def _subkey(key: bytes, purpose: str, domain: str) -> bytes:
    label = f"privlab/{purpose}/v1\0{domain}".encode()
    return hmac.new(key, label, hashlib.sha256).digest()


def keyed_digests(key: bytes, purpose: str, domain: str, values: Sequence[str]) -> list[bytes]:
    """HMAC-SHA256 digests of *values* under (key, purpose, domain); one call per distinct value.

    Examples
    --------
    >>> a = keyed_digests(b"k" * 16, "pseudonymize", "", ["x", "y"])
    >>> b = keyed_digests(b"k" * 16, "pseudonymize", "other", ["x"])
    >>> len(a[0]), a[0] == b[0]
    (32, False)
    """
    base = hmac.new(_subkey(key, purpose, domain), digestmod=hashlib.sha256)
    out = []
    for value in values:
        mac = base.copy()
        mac.update(value.encode("utf-8"))
        out.append(mac.digest())
    return out


def _distinct_strings(frame: pl.LazyFrame, columns: Sequence[str]) -> list[str]:
    parts = [frame.select(pl.col(c).cast(pl.String).alias("v")) for c in columns]
    series = pl.concat(parts).unique().drop_nulls().collect().to_series()
    return sorted(series.to_list())


class _KeyedParams(TransformParams):
    domain: str = ""
    key_env: str | None = DEFAULT_KEY_ENV
    key_file: str | None = None


class _Keyed(Transform):
    """Holds a runtime key that is used but never serialized."""

    keyed: ClassVar[bool] = True
    params: Any

    def __init__(
        self,
        columns: str | Sequence[str] = (),
        *,
        key: bytes | str | None = None,
        base_dir: Path | None = None,
        **params: Any,
    ) -> None:
        super().__init__(columns, **params)
        self._key = key
        self._base_dir = base_dir

    @property
    def uses_key(self) -> bool:
        """Whether this configuration reads a key at all."""
        return True

    def _resolved_key(self) -> bytes:
        return resolve_key(
            self._key,
            key_file=self.params.key_file,
            key_env=self.params.key_env,
            base_dir=self._base_dir,
        )


# ----------------------------------------------------------------------- pseudonymize
class Pseudonymize(_Keyed):
    """Replace values by keyed HMAC-SHA256 tokens: ``prefix`` + ``length`` hex characters.

    The same key, ``domain`` and value give the same token in every table and run
    (values are compared as text, so the id ``123`` and ``"123"`` match); a
    different key or domain gives unrelated tokens. ``fit`` hashes each *distinct*
    value once and ``apply`` maps values to tokens with a polars
    ``replace_strict``; ``apply`` therefore expects only values seen in ``fit`` —
    fit on the table you apply to. Nulls stay null. See the module docstring for
    key sources and rotation.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"id": [7, 8]})
    >>> key = b"demo key, not a secret!"
    >>> a = Pseudonymize("id", key=key, domain="lab-A").fit_apply(df)["id"].to_list()
    >>> b = Pseudonymize("id", key=key, domain="lab-B").fit_apply(df)["id"].to_list()
    >>> len(a[0]), a == b
    (16, False)
    """

    name = "pseudonymize"

    class Params(_KeyedParams):
        """Parameters of ``pseudonymize``."""

        prefix: str = ""
        length: int = Field(16, ge=8, le=64)

    params: Params

    def _fit(self, frame: pl.LazyFrame) -> None:
        key = self._resolved_key()
        values = _distinct_strings(frame, self.columns)
        digests = keyed_digests(key, "pseudonymize", self.params.domain, values)
        tokens = [self.params.prefix + d.hex()[: self.params.length] for d in digests]
        if len(set(tokens)) != len(tokens):
            msg = (
                f"pseudonym tokens of length {self.params.length} collide on this data "
                f"({len(values)} distinct values); raise `length` (up to 64)"
            )
            raise RecipeError(msg, [f"params.length: {msg}"])
        self.mapping_ = pl.DataFrame(
            {"value": values, "token": tokens}, schema={"value": pl.String, "token": pl.String}
        )

    def _apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        old, new = self.mapping_["value"], self.mapping_["token"]
        return frame.with_columns(
            pl.col(c).cast(pl.String).replace_strict(old, new, return_dtype=pl.String).alias(c)
            for c in self.columns
        )


# ------------------------------------------------------------------------- date_shift
class DateShift(_Keyed):
    """Shift dates by a per-subject number of days derived from HMAC(subject id, key).

    Each subject (the value in column ``subject``) gets one shift in
    ``[-max_days, -1] ∪ [1, max_days]`` days, applied to every listed date
    column, so intervals between one subject's dates are preserved exactly while
    absolute dates are hidden. The shift depends only on key, ``domain`` and the
    subject id, so it is the same across tables and runs. Rows with a null
    subject get null dates (they cannot be shifted consistently). Date columns
    read from CSV as ISO text (``2024-01-31``) are shifted and stay ISO text.

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> df = pl.DataFrame({"pid": [1, 1], "admit": [dt.date(2024, 1, 1), dt.date(2024, 1, 11)]})
    >>> out = DateShift("admit", subject="pid", max_days=30, key=b"demo key, not a secret!")
    >>> days = out.fit_apply(df)["admit"].diff().dt.total_days().to_list()
    >>> days
    [None, 10]
    """

    name = "date_shift"

    class Params(_KeyedParams):
        """Parameters of ``date_shift``."""

        subject: str
        max_days: int = Field(..., ge=1, le=36_500)

    params: Params

    def reads(self) -> list[str]:
        """The ``subject`` column, unless it is itself one of the shifted columns."""
        return [self.params.subject] if self.params.subject not in self.columns else []

    def _fit(self, frame: pl.LazyFrame) -> None:
        schema = frame.collect_schema()
        self.text_columns_: list[str] = []
        for column in self.columns:
            dtype = schema[column]
            if dtype == pl.String and self._iso_dates(frame, column):
                self.text_columns_.append(column)
            elif not dtype.is_temporal() or dtype in (pl.Time, pl.Duration):
                raise SchemaMismatchError(
                    f"'date_shift' needs a Date or Datetime column (or ISO 'YYYY-MM-DD' text), "
                    f"got {column!r} of dtype {dtype}; parse it first "
                    f"(e.g. pl.col({column!r}).str.to_datetime(format=...))"
                )
        key = self._resolved_key()
        subjects = _distinct_strings(frame, [self.params.subject])
        span = self.params.max_days
        shifts = []
        for digest in keyed_digests(key, "date_shift", self.params.domain, subjects):
            r = int.from_bytes(digest[:8], "big") % (2 * span)
            shifts.append(r - span if r < span else r - span + 1)
        self.shifts_ = pl.DataFrame(
            {"subject": subjects, "days": shifts}, schema={"subject": pl.String, "days": pl.Int64}
        )

    @staticmethod
    def _iso_dates(frame: pl.LazyFrame, column: str) -> bool:
        col = pl.col(column)
        parsed = col.str.to_date(_ISO_DATE, strict=False)
        bad = frame.select((col.is_not_null() & parsed.is_null()).sum()).collect().item()
        return bool(bad == 0)

    def _apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        days = pl.duration(
            days=pl.col(self.params.subject)
            .cast(pl.String)
            .replace_strict(self.shifts_["subject"], self.shifts_["days"], return_dtype=pl.Int64)
        )

        def one(column: str) -> pl.Expr:
            if column in self.text_columns_:  # ISO text in, ISO text out
                shifted = pl.col(column).str.to_date(_ISO_DATE) + days
                return shifted.dt.strftime(_ISO_DATE).alias(column)
            return (pl.col(column) + days).alias(column)

        return frame.with_columns(one(c) for c in self.columns)


# ------------------------------------------------------------------------ redact_text
# Profiler types in the order they are applied (earlier types win overlaps);
# types not listed follow alphabetically.
_TYPE_ORDER = (
    "email",
    "url",
    "iban",
    "credit_card",
    "national_id",
    "ip_address",
    "phone",
    "person_name",
)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _letters_token(digest: bytes, length: int) -> str:
    """Letters-only token, so no digit/name pattern can match inside a replaced token."""
    n = int.from_bytes(digest, "big")
    out = []
    for _ in range(length):
        n, r = divmod(n, 26)
        out.append(_LETTERS[r])
    return "".join(out)


class RedactText(_Keyed):
    r"""Replace PII found inside free text with typed placeholders or keyed pseudonyms.

    What is found comes from :func:`privlab.detect.find_pii`: e-mails, URLs,
    IBANs (mod 97), cards (Luhn), national IDs and SSNs with any separators
    (``python-stdnum`` schemes of 50+ countries, US SSN ranges), phone numbers in
    any national format (libphonenumber, for the ``regions`` given plus
    international numbers), IP addresses, and person names in ordinary sentences
    (packaged name statistics of many countries plus context: a known first name
    followed by a capitalized word, or a title before a family name). ``types``
    restricts the kinds; ``patterns`` adds named regexes of your own (Rust syntax,
    applied first). ``replacement: placeholder`` writes ``template`` (default
    ``"[{type}]"``, e.g. ``[EMAIL]``); ``replacement: pseudonym`` writes
    ``"[{type}:{token}]"`` with a keyed, letters-only token.

    ``fit`` finds the PII strings of the data (vectorized candidate extraction,
    checks on distinct candidates only) and counts them per type (``counts_``,
    reported in the release's steps); ``apply`` replaces those strings in one
    Aho–Corasick pass, then runs the plain patterns over what is left, so text
    that ``fit`` did not see is still redacted where a pattern matches.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"note": ["call MRN-12345 today"]})
    >>> RedactText(
    ...     "note", patterns={"mrn": r"MRN-\d+"}, use_profile_patterns=False
    ... ).fit_apply(df)["note"].to_list()
    ['call [MRN] today']
    >>> step = RedactText("note")
    >>> step.fit_apply(pl.DataFrame({"note": ["Patient Sarah Hansen, SSN 123 45 6789."]}))[
    ...     "note"
    ... ].to_list()
    ['Patient [PERSON_NAME], SSN [NATIONAL_ID].']
    >>> step.counts_
    {'national_id': 1, 'person_name': 1}
    """

    name = "redact_text"

    class Params(_KeyedParams):
        """Parameters of ``redact_text``."""

        types: list[str] | None = None
        patterns: dict[str, str] = Field(default_factory=dict)
        use_profile_patterns: bool = True
        replacement: Literal["placeholder", "pseudonym"] = "placeholder"
        template: str | None = None
        length: int = Field(12, ge=6, le=40)
        regions: list[str] = Field(default_factory=list)

        @field_validator("patterns")
        @classmethod
        def _compiles(cls, patterns: dict[str, str]) -> dict[str, str]:
            for name, regex in patterns.items():
                try:
                    pl.select(pl.lit("").str.contains(regex))
                except pl.exceptions.PolarsError as exc:
                    first = str(exc).splitlines()[-1].strip()
                    raise ValueError(f"pattern {name!r} is not a valid regex: {first}") from None
            return patterns

        @model_validator(mode="after")
        def _something_to_find(self) -> RedactText.Params:
            if not self.use_profile_patterns and not self.patterns:
                raise ValueError("no patterns: set use_profile_patterns or give `patterns`")
            if self.template is not None and "{type}" not in self.template:
                raise ValueError(f"template must contain '{{type}}', got {self.template!r}")
            if (
                self.replacement == "pseudonym"
                and self.template is not None
                and "{token}" not in self.template
            ):
                raise ValueError(
                    f"a pseudonym template must contain '{{token}}', got {self.template!r}"
                )
            return self

    params: Params

    @property
    def uses_key(self) -> bool:
        """Only pseudonym replacement needs a key; placeholders do not."""
        return self.params.replacement == "pseudonym"

    def _wanted(self) -> list[str]:
        p = self.params
        if not p.use_profile_patterns:
            return []
        wanted = list(TEXT_TYPES) if p.types is None else list(p.types)
        unknown = [t for t in wanted if t not in TEXT_TYPES]
        if unknown:
            raise ConfigError(
                f"redact_text: unknown PII type(s) {unknown!r}; the profiler knows "
                f"{sorted(TEXT_TYPES)!r}"
            )
        rank = {t: i for i, t in enumerate(_TYPE_ORDER)}
        return sorted(wanted, key=lambda t: (rank.get(t, len(rank)), t))

    def _patterns(self) -> list[tuple[str, str]]:
        """Custom patterns, then the plain per-type patterns (the safety net of ``apply``)."""
        found: list[tuple[str, str]] = list(self.params.patterns.items())
        available = text_pii_patterns()
        found += [(t, available[t]) for t in self._wanted() if t in available]
        return found

    def _template(self) -> str:
        if self.params.template is not None:
            return self.params.template
        return "[{type}:{token}]" if self.params.replacement == "pseudonym" else "[{type}]"

    def _placeholder(self, pii_type: str) -> str:
        """What a match becomes without a learned token (always, in placeholder mode)."""
        if self.params.replacement == "pseudonym":
            return f"[{pii_type.upper()}]"
        return self._template().replace("{type}", pii_type.upper())

    def _replacements(self, pii_type: str, strings: list[str], key: bytes | None) -> list[str]:
        if key is None:
            return [self._placeholder(pii_type)] * len(strings)
        digests = keyed_digests(key, "redact_text", self.params.domain, strings)
        template = self._template().replace("{type}", pii_type.upper())
        return [template.replace("{token}", _letters_token(d, self.params.length)) for d in digests]

    def _fit(self, frame: pl.LazyFrame) -> None:
        schema = frame.collect_schema()
        for column in self.columns:
            if schema[column] not in (pl.String, pl.Null):
                raise SchemaMismatchError(
                    f"'redact_text' needs a text column, got {column!r} of dtype {schema[column]}"
                )
        key = self._resolved_key() if self.params.replacement == "pseudonym" else None
        texts = frame.select(pl.col(c).cast(pl.String) for c in self.columns).collect()
        pooled = pl.concat([texts[c] for c in self.columns]).drop_nulls()
        self.found_: list[tuple[str, list[str], list[str]]] = []
        self.counts_: dict[str, int] = {}
        remaining = pooled
        found: dict[str, list[str]] = {}
        for pii_type, regex in self.params.patterns.items():  # custom patterns first
            matches = remaining.str.extract_all(regex).explode().drop_nulls().unique().to_list()
            found[pii_type] = sorted((m for m in matches if m), key=lambda m: (-len(m), m))
            remaining = remaining.str.replace_all(regex, "")
        found.update(find_pii(remaining, types=self._wanted(), regions=self.params.regions))
        remaining = pooled
        for pii_type in [*self.params.patterns, *self._wanted()]:
            strings = found.get(pii_type)
            if not strings:
                continue
            hits = remaining.str.extract_many(strings, overlapping=False).list.len().sum()
            self.counts_[pii_type] = int(hits or 0)
            self.found_.append((pii_type, strings, self._replacements(pii_type, strings, key)))
            remaining = remaining.str.replace_many(strings, [""] * len(strings))
        self.counts_ = dict(sorted(self.counts_.items()))

    def _apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        def one(column: str) -> pl.Expr:
            expr = pl.col(column).cast(pl.String)
            for _, strings, replacements in self.found_:
                expr = expr.str.replace_many(strings, replacements, leftmost=True)
            for pii_type, regex in self._patterns():  # what fit did not see: placeholders
                expr = expr.str.replace_all(regex, _repl_escape_lit(self._placeholder(pii_type)))
            return expr.alias(column)

        return frame.with_columns(one(c) for c in self.columns)


def _repl_escape_lit(text: str) -> str:
    return text.replace("$", "$$")
