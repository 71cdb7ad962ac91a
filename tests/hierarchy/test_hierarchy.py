"""Generalization hierarchies: builders, ARX files, specs, coverage errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from privlab.exceptions import HierarchyError
from privlab.hierarchy import (
    Hierarchy,
    date_hierarchy,
    interval_hierarchy,
    prefix_hierarchy,
    suppress_hierarchy,
)


def gen(h: Hierarchy, values: list[object], level: int) -> list[object]:
    return pl.DataFrame({"v": values}).select(h.generalize_expr("v", level))["v"].to_list()


def test_interval_widths_nest() -> None:
    h = interval_hierarchy(widths=[5, 10, 20])
    assert h.height == 5
    assert gen(h, [0, 4, 5, 37, 99], 1) == ["0-4", "0-4", "5-9", "35-39", "95-99"]
    assert gen(h, [37], 2) == ["30-39"]
    assert gen(h, [37], 3) == ["20-39"]
    assert gen(h, [37], 4) == ["*"]
    assert gen(h, [37], 0) == [37]


def test_interval_float_widths_and_edges() -> None:
    assert interval_hierarchy(widths=[0.5]).labels(1.2)[1] == "[1.0, 1.5)"
    h = interval_hierarchy(edges=[[0, 18, 65], [0, 65]])
    assert gen(h, [-1, 10, 18, 70], 1) == ["<0", "[0, 18)", "[18, 65)", ">=65"]
    assert gen(h, [10, 70], 2) == ["[0, 65)", ">=65"]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"widths": [10, 5]}, "non-decreasing"),
        ({"widths": [4, 6]}, "multiple"),
        ({"edges": [[0, 10], [5]]}, "subset"),
        ({}, "exactly one"),
    ],
)
def test_interval_rejects_bins_that_do_not_nest(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(HierarchyError, match=fragment):
        interval_hierarchy(**kwargs)  # type: ignore[arg-type]


def test_prefix_and_suppress() -> None:
    h = prefix_hierarchy(keep=[4, 3, 2])
    assert h.labels("94107") == ["94107", "9410*", "941**", "94***", "*"]
    assert suppress_hierarchy().labels("x") == ["x", "*"]
    with pytest.raises(HierarchyError, match="non-increasing"):
        prefix_hierarchy(keep=[2, 3])


def test_dates_from_strings_and_dates() -> None:
    h = date_hierarchy(levels=["month", "quarter", "year"])
    assert h.labels("2021-05-17") == ["2021-05-17", "2021-05", "2021-Q2", "2021", "*"]
    import datetime as dt

    assert gen(h, [dt.date(2020, 12, 31)], 2) == ["2020-Q4"]
    assert date_hierarchy(levels=["decade"]).labels("1987-01-01")[1] == "1980s"
    with pytest.raises(HierarchyError, match="ISO weeks"):
        date_hierarchy(levels=["week", "year"])
    with pytest.raises(HierarchyError, match="fine to coarse"):
        date_hierarchy(levels=["year", "month"])


def test_arx_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("Married;spouse;*\nDivorced;alone;*\nWidowed;alone;*\n")
    h = Hierarchy.from_arx_csv(path)
    assert h.height == 3
    assert gen(h, ["Divorced", "Married"], 1) == ["alone", "spouse"]
    assert h.materialized
    # ARX's domain shares: values covered by a label / rows of the hierarchy
    assert list(h.shares(1, ["alone", "spouse"], [])) == pytest.approx([2 / 3, 1 / 3])


def test_arx_csv_errors(tmp_path: Path) -> None:
    ragged = tmp_path / "r.csv"
    ragged.write_text("a;x;*\nb;*\n")
    with pytest.raises(HierarchyError, match="line 2 has 2 levels"):
        Hierarchy.from_arx_csv(ragged)
    crossing = tmp_path / "c.csv"
    crossing.write_text("a;x;p\nb;x;q\n")
    with pytest.raises(HierarchyError, match="levels must nest"):
        Hierarchy.from_arx_csv(crossing)
    with pytest.raises(HierarchyError, match="does not exist"):
        Hierarchy.from_arx_csv(tmp_path / "missing.csv")


def test_uncovered_values_and_nulls_are_named() -> None:
    h = Hierarchy.from_levels({"a": ["*"], "b": ["*"]})
    with pytest.raises(HierarchyError, match=r"column 'dx' does not cover 2 value\(s\).*'c', 'd'"):
        h.fit(pl.Series("dx", ["a", "c", "d"]))
    with pytest.raises(HierarchyError, match="missing value"):
        h.fit(pl.Series("dx", ["a", None]))
    with pytest.raises(HierarchyError, match="cannot be generalized"):
        interval_hierarchy(widths=[5]).fit(pl.Series("age", ["old", "young"]))


@pytest.mark.parametrize(
    "hierarchy",
    [
        interval_hierarchy(widths=[5, 10]),
        interval_hierarchy(edges=[[0, 50]]),
        prefix_hierarchy(keep=[3]),
        date_hierarchy(levels=["year"]),
        suppress_hierarchy(),
        Hierarchy.from_levels({"x": ["g", "*"], "y": ["g", "*"]}),
    ],
)
def test_spec_round_trip(hierarchy: Hierarchy) -> None:
    again = Hierarchy.from_spec(hierarchy.to_spec())
    assert again == hierarchy
    assert again.height == hierarchy.height


def test_content_hash_follows_file_content(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("a;*\nb;*\n")
    first = Hierarchy.from_spec({"type": "arx_csv", "path": "h.csv"}, base_dir=tmp_path)
    path.write_text("a;*\nb;*\nc;*\n")
    second = Hierarchy.from_spec({"type": "arx_csv", "path": "h.csv"}, base_dir=tmp_path)
    assert first.content_hash() != second.content_hash()


def test_spec_errors() -> None:
    with pytest.raises(HierarchyError, match="unknown hierarchy type 'tree'"):
        Hierarchy.from_spec({"type": "tree"})
    with pytest.raises(HierarchyError, match=r"unknown key\(s\) \['width'\]"):
        Hierarchy.from_spec({"type": "interval", "width": [5]})
    with pytest.raises(HierarchyError, match="level 3 is outside"):
        suppress_hierarchy().generalize_expr("x", 3)
