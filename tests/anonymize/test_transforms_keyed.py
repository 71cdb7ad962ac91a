"""Keyed transforms: key handling, pseudonym stability/unlinkability, date shifts, redaction."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privlab.anonymize import DateShift, Pseudonymize, RedactText
from privlab.anonymize import _transforms_keyed as keyed
from privlab.anonymize._transforms_keyed import DEFAULT_KEY_ENV, resolve_key
from privlab.exceptions import ConfigError, MissingSecretError, RecipeError, SchemaMismatchError

KEY = b"0123456789abcdef"
OTHER_KEY = b"fedcba9876543210"
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------- keys
def test_no_key_is_an_error_never_a_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEFAULT_KEY_ENV, raising=False)
    with pytest.raises(MissingSecretError, match=DEFAULT_KEY_ENV):
        Pseudonymize("a").fit(pl.DataFrame({"a": ["x"]}))
    with pytest.raises(MissingSecretError, match="MY_KEY"):
        resolve_key(None, key_env="MY_KEY")


def test_key_sources_and_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MY_KEY", "k" * 20)
    assert resolve_key(None, key_env="MY_KEY") == b"k" * 20
    (tmp_path / "key.txt").write_bytes(b"f" * 24 + b"\n")
    assert resolve_key(None, key_file="key.txt", key_env="MY_KEY", base_dir=tmp_path) == b"f" * 24
    assert resolve_key("e" * 16, key_file="key.txt", key_env="MY_KEY") == b"e" * 16
    with pytest.raises(MissingSecretError, match="cannot read"):
        resolve_key(None, key_file=str(tmp_path / "absent"))


def test_short_key_is_rejected_without_echoing_it() -> None:
    with pytest.raises(ConfigError, match="at least 16 bytes") as info:
        resolve_key(b"tiny-secret")
    assert "tiny-secret" not in str(info.value)


def test_env_key_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECIPIENT_KEY", KEY.decode())
    df = pl.DataFrame({"a": ["alice"]})
    from_env = Pseudonymize("a", key_env="RECIPIENT_KEY").fit_apply(df)
    assert from_env.equals(Pseudonymize("a", key=KEY).fit_apply(df))


# -------------------------------------------------------------------- pseudonymize
def test_pseudonym_known_answer() -> None:
    # Pinned: tokens must stay stable across privlab versions for the same key/domain.
    df = pl.DataFrame({"a": ["alice", None]})
    assert Pseudonymize("a", key=KEY).fit_apply(df)["a"].to_list() == ["24c6d3677d3c7104", None]
    out = Pseudonymize("a", key=KEY, prefix="P-", length=8).fit_apply(df)["a"][0]
    assert out == "P-24c6d367"


def test_pseudonyms_link_across_tables_and_dtypes() -> None:
    a = pl.DataFrame({"id": [1, 2, 3]})
    b = pl.DataFrame({"patient": ["3", "9"], "other": ["1", "3"]})
    ta = Pseudonymize("id", key=KEY).fit_apply(a)["id"].to_list()
    tb = Pseudonymize(["patient", "other"], key=KEY).fit_apply(b)
    assert tb["patient"][0] == ta[2]
    assert tb["other"].to_list() == [ta[0], ta[2]]


def test_collision_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        keyed, "keyed_digests", lambda key, purpose, domain, values: [b"\0" * 32] * len(values)
    )
    with pytest.raises(RecipeError, match="collide"):
        Pseudonymize("a", key=KEY).fit(pl.DataFrame({"a": ["x", "y"]}))


def test_unseen_value_at_apply_fails_loudly() -> None:
    fitted = Pseudonymize("a", key=KEY).fit(pl.DataFrame({"a": ["x"]}))
    with pytest.raises(pl.exceptions.InvalidOperationError):
        fitted.apply(pl.DataFrame({"a": ["y"]}))


texts = st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=30)


@FAST
@given(values=texts, extra=texts)
def test_pseudonyms_stable_under_one_key(values: list[str], extra: list[str]) -> None:
    alone = Pseudonymize("v", key=KEY, domain="d").fit_apply(pl.DataFrame({"v": values}))
    mixed = Pseudonymize("v", key=KEY, domain="d").fit_apply(pl.DataFrame({"v": extra + values}))
    assert mixed["v"].to_list()[len(extra) :] == alone["v"].to_list()
    # equal inputs <-> equal tokens
    pairs = dict(zip(values, alone["v"].to_list(), strict=True))
    assert len(set(pairs.values())) == len(pairs)


@FAST
@given(values=texts)
def test_pseudonyms_unlinkable_across_keys_and_domains(values: list[str]) -> None:
    df = pl.DataFrame({"v": values})
    base = set(Pseudonymize("v", key=KEY, domain="a").fit_apply(df)["v"])
    other_key = set(Pseudonymize("v", key=OTHER_KEY, domain="a").fit_apply(df)["v"])
    other_domain = set(Pseudonymize("v", key=KEY, domain="b").fit_apply(df)["v"])
    assert not base & other_key
    assert not base & other_domain


# ---------------------------------------------------------------------- date_shift
subjects = st.lists(
    st.tuples(
        st.integers(0, 6),
        st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2050, 1, 1)),
    ),
    min_size=1,
    max_size=40,
)


@FAST
@given(rows=subjects, max_days=st.integers(1, 400))
def test_date_shift_preserves_within_subject_intervals(
    rows: list[tuple[int, dt.date]], max_days: int
) -> None:
    df = pl.DataFrame({"pid": [r[0] for r in rows], "d": [r[1] for r in rows]})
    out = DateShift("d", subject="pid", max_days=max_days, key=KEY).fit_apply(df)
    shift = (out["d"] - df["d"]).dt.total_days()
    by_subject = (
        pl.DataFrame({"pid": df["pid"], "shift": shift})
        .group_by("pid")
        .agg(pl.col("shift").n_unique().alias("n"), pl.col("shift").first())
    )
    assert by_subject["n"].to_list() == [1] * by_subject.height  # one shift per subject
    assert all(1 <= abs(s) <= max_days for s in by_subject["shift"])


def test_date_shift_is_keyed_stable_and_handles_datetimes_and_nulls() -> None:
    df = pl.DataFrame(
        {
            "pid": ["a", "a", None],
            "t": [
                dt.datetime(2024, 1, 1, 8),
                dt.datetime(2024, 1, 2, 9, 30),
                dt.datetime(2024, 1, 3),
            ],
        }
    )
    one = DateShift("t", subject="pid", max_days=365, key=KEY).fit_apply(df)
    again = DateShift("t", subject="pid", max_days=365, key=KEY).fit_apply(df)
    other = DateShift("t", subject="pid", max_days=365, key=KEY, domain="x").fit_apply(df)
    assert one.equals(again)
    assert one["t"][1] - one["t"][0] == dt.timedelta(days=1, hours=1, minutes=30)
    assert one["t"][2] is None
    assert one["t"][0] != other["t"][0]


def test_date_shift_needs_dates_or_iso_text() -> None:
    df = pl.DataFrame({"pid": [1, 1], "d": ["2024-01-01", "01/02/2024"]})
    with pytest.raises(SchemaMismatchError, match="to_datetime"):
        DateShift("d", subject="pid", max_days=3, key=KEY).fit(df)
    iso = pl.DataFrame({"pid": [1, 1, 2], "d": ["2024-01-01", "2024-03-01", None]})
    out = DateShift("d", subject="pid", max_days=3, key=KEY).fit_apply(iso)
    assert out["d"].dtype == pl.String
    days = out["d"].str.to_date().diff().dt.total_days().to_list()
    assert days[1] == 60  # 2024 is a leap year: Jan 1 -> Mar 1 is 60 days
    assert out["d"][2] is None


# --------------------------------------------------------------------- redact_text
CUSTOM = {"email": r"[\w.+-]+@[\w-]+\.[\w.]+", "mrn": r"MRN-\d+"}


def test_redact_placeholders() -> None:
    df = pl.DataFrame({"n": ["mail ann@x.org re MRN-12", "none", None, "$5 to b@c.io"]})
    out = RedactText("n", patterns=CUSTOM, use_profile_patterns=False).fit_apply(df)
    assert out["n"].to_list() == ["mail [EMAIL] re [MRN]", "none", None, "$5 to [EMAIL]"]
    custom = RedactText(
        "n", patterns={"mrn": r"MRN-\d+"}, use_profile_patterns=False, template="<{type}>"
    ).fit_apply(df)
    assert custom["n"][0] == "mail ann@x.org re <MRN>"


def test_redact_pseudonyms_are_consistent_and_never_leak_unseen_values() -> None:
    df = pl.DataFrame(
        {"a": ["from ann@x.org", "ann@x.org again"], "b": ["cc ann@x.org", "zed@q.com"]}
    )
    t = RedactText(
        ["a", "b"], patterns=CUSTOM, use_profile_patterns=False, replacement="pseudonym", key=KEY
    ).fit(df)
    out = t.apply(df)
    token = out["a"][0].removeprefix("from ")
    assert token.startswith("[EMAIL:")
    assert token.endswith("]")
    assert out["a"][1] == f"{token} again"
    assert out["b"][0] == f"cc {token}"
    assert out["b"][1] != token
    assert "zed" not in out["b"][1]
    fresh = t.apply(pl.DataFrame({"a": ["new eve@z.org"], "b": [None]}))
    assert fresh["a"][0] == "new [EMAIL]"


def test_redact_param_validation() -> None:
    with pytest.raises(RecipeError, match="not a valid regex"):
        RedactText("n", patterns={"bad": "("}, use_profile_patterns=False)
    with pytest.raises(RecipeError, match="no patterns"):
        RedactText("n", use_profile_patterns=False)
    with pytest.raises(RecipeError, match="token"):
        RedactText("n", patterns=CUSTOM, replacement="pseudonym", template="[{type}]")


def test_redact_needs_text() -> None:
    with pytest.raises(SchemaMismatchError, match="text column"):
        RedactText("n", patterns=CUSTOM, use_profile_patterns=False).fit(pl.DataFrame({"n": [1]}))


def test_redact_with_profiler_patterns() -> None:
    df = pl.DataFrame({"n": ["write to jane.doe@example.com today"]})
    out = RedactText("n").fit_apply(df)
    assert "jane.doe@example.com" not in out["n"][0]
    assert "[EMAIL]" in out["n"][0]
    with pytest.raises(ConfigError, match="unknown PII type"):
        RedactText("n", types=["no_such_type"]).fit(df)
