"""Dates written in other orders get a date hierarchy that reads them as written."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privlab.exceptions import HierarchyError
from privlab.hierarchy import Hierarchy, date_hierarchy, suggest

FORMATS = ["%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y"]


@settings(max_examples=15, deadline=None)
@given(
    dates=st.lists(st.dates(dt.date(1920, 1, 1), dt.date(2010, 12, 31)), min_size=30, max_size=80),
    fmt=st.sampled_from(FORMATS),
)
def test_every_level_equals_the_iso_reading(dates: list[dt.date], fmt: str) -> None:
    """Invariant: the suggested hierarchy labels a date as the ISO hierarchy labels it."""
    written = pl.Series("dob", [d.strftime(fmt) for d in dates])
    iso = pl.Series("dob", [d.isoformat() for d in dates])
    found = suggest(written, semantic_type="date_of_birth")
    assert found.kind == "date"
    reference = date_hierarchy(levels=["month", "quarter", "year", "decade"])
    for level in range(1, found.height):
        got = pl.DataFrame({"dob": written}).select(found.generalize_expr("dob", level))
        want = pl.DataFrame({"dob": iso}).select(reference.generalize_expr("dob", level))
        if all(d.day <= 12 for d in dates) and fmt in ("%m/%d/%Y", "%d/%m/%Y"):
            # every value reads both ways: day-first is taken; quarters may differ, years not
            if level >= 3:
                assert got.equals(want)
            continue
        assert got.equals(want), (fmt, level)


def test_month_first_is_read_month_first() -> None:
    values = pl.Series("dob", ["12/31/1980", "02/01/1975", "07/04/1990"])
    h = suggest(values, semantic_type="date_of_birth")
    assert h.to_spec()["formats"][0] == "%m/%d/%Y"
    assert h.labels("02/01/1975")[1] == "1975-02"


def test_without_a_date_type_text_stays_suppressed() -> None:
    """The type comes from the profile; suggest() does not guess dates in other orders."""
    assert suggest(pl.Series(["31.12.1980", "01.02.1975"])).kind == "suppress"


def test_unreadable_values_are_an_error_naming_the_column() -> None:
    h = Hierarchy.from_spec({"type": "date", "levels": ["year"], "formats": ["%d.%m.%Y"]})
    with pytest.raises(HierarchyError, match=r"'dob'.*1 value"):
        h.fit(pl.Series("dob", ["31.12.1980", "1980-12-31"]))


def test_formats_round_trip_and_are_checked() -> None:
    spec = {"type": "date", "levels": ["month", "year"], "formats": ["%d.%m.%Y"]}
    assert Hierarchy.from_spec(spec).to_spec() == spec
    with pytest.raises(HierarchyError, match="strftime"):
        date_hierarchy(levels=["year"], formats=["DD.MM.YYYY"])
