"""Multi-level categorical hierarchies from the one suggester: frequency, ICD-10, countries."""

from __future__ import annotations

import itertools

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import privlab as pv
from privlab.anonymize import Recipe
from privlab.hierarchy import Hierarchy, suggest
from privlab.hierarchy._suggest import FREQUENCY_SHARES


def _partitions(h: Hierarchy, values: list[str]) -> list[dict[str, set[str]]]:
    table = h.table(values)
    out = []
    for level in table:
        groups: dict[str, set[str]] = {}
        for value, label in zip(values, level, strict=True):
            groups.setdefault(label, set()).add(value)
        out.append(groups)
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=400), min_size=3, max_size=40))
def test_frequency_levels_nest_and_reach_their_shares(counts: list[int]) -> None:
    """Property: each level coarsens the one below; groups reach the level's share of records
    (or the level has only two groups left); the top is `*`."""
    values = [f"value-{i:02d}" for i in range(len(counts))]
    series = pl.Series("c", [v for v, c in zip(values, counts, strict=True) for _ in range(c)])
    h = suggest(series, categorical="levels")
    if h.kind == "suppress":  # every value already holds ≥ 20 % of the records
        assert min(counts) >= FREQUENCY_SHARES[-1] * sum(counts) or len(counts) < 3
        return
    parts = _partitions(h, values)
    assert set(parts[-1]) == {"*"}
    for lower, upper in itertools.pairwise(parts):
        for members in lower.values():  # nested: a group never splits going up
            assert sum(members <= m for m in upper.values()) == 1
    size = dict(zip(values, counts, strict=True))
    total = sum(counts)
    for groups in parts[1:-1]:
        records = sorted(sum(size[v] for v in m) for m in groups.values())
        shares = [s for s in FREQUENCY_SHARES if records[0] >= s * total]
        assert shares or len(groups) <= 2


def test_frequent_values_stay_distinct_longest() -> None:
    """Rare occupations merge first; the common one keeps its own label up to the top."""
    jobs = pl.Series("job", ["clerk"] * 500 + ["nurse"] * 300 + ["pilot"] * 15 + ["diver"] * 5
                     + ["judge"] * 3)  # fmt: skip
    h = suggest(jobs, categorical="levels")
    assert h.labels("clerk")[:-1] == ["clerk"] * (h.height - 1)
    assert h.labels("diver")[1] == h.labels("judge")[1]  # the two rarest merge first
    assert h.labels("diver")[1] != "diver"


def test_icd10_codes_group_by_category_block_and_chapter() -> None:
    """WHO codes and US ICD-10-CM extensions of WHO categories; junk is `(unknown)`."""
    dx = pl.Series("dx", ["J18.9", "J45.909", "I10", "C50.919", "S72.001A", "N39.0"])
    h = suggest(dx, categorical="levels")
    assert h.labels("J18.9") == ["J18.9", "J18", "J09-J18", "chapter X", "*"]
    assert h.labels("J45.909") == ["J45.909", "J45", "J40-J47", "chapter X", "*"]
    assert h.labels("S72.001A")[3] == "chapter XIX"
    forced = suggest(pl.Series("dx", ["J18.9", "XYZ"]), semantic_type="icd10")
    assert forced.labels("XYZ") == ["XYZ", "(unknown)", "(unknown)", "(unknown)", "*"]


def test_countries_group_by_un_m49_region_and_continent() -> None:
    """Adult's hyphenated country names resolve through country_converter's patterns."""
    countries = pl.Series("c", ["United-States", "Mexico", "Germany", "India", "Philippines",
                                "Holand-Netherlands", "Atlantis"])  # fmt: skip
    h = suggest(countries, categorical="levels")
    assert h.labels("Germany") == ["Germany", "Western Europe", "Europe", "*"]
    assert h.labels("Holand-Netherlands")[1] == "Western Europe"
    assert h.labels("Mexico")[1] == "Central America"
    assert h.labels("Atlantis")[1] == "(unknown)"
    assert (
        suggest(pl.Series("c", ["FR", "DE", "JP"]), semantic_type="country").labels("JP")[2]
        == "Asia"
    )


def test_suggested_hierarchy_goes_into_a_recipe_yaml_and_back() -> None:
    jobs = pl.DataFrame(
        {
            "job": ["clerk"] * 40 + ["nurse"] * 30 + ["pilot"] * 4 + ["diver"] * 2,
            "age": list(range(20, 96)),
        }
    )
    spec = suggest(jobs["job"], categorical="levels").to_spec()
    recipe = Recipe.from_dict(
        {"privacy": {"quasi_identifiers": ["job"], "hierarchies": {"job": spec}, "k": 3}}
    )
    again = Recipe.from_yaml(recipe.to_yaml())
    assert Hierarchy.from_spec(again.privacy.hierarchies["job"]) == Hierarchy.from_spec(spec)
    released = pv.anonymize(jobs, again, progress=False).data
    assert released["job"].value_counts()["count"].min() >= 3
    # the rare values were merged, not suppressed: the common ones survive as they are
    assert "clerk" in released["job"].to_list()


def test_lowercase_labels_are_not_icd_codes() -> None:
    """ "v01" is a label, not ICD-10's V01 (codes are capitals): frequency merging applies."""
    labels = pl.Series("c", ["v01"] * 50 + ["v02"] * 30 + ["v03"] * 2 + ["v04"] * 1)
    assert "chapter" not in " ".join(suggest(labels, categorical="levels").labels("v04"))


def test_default_keeps_value_or_star_and_rejects_unknown_modes() -> None:
    assert suggest(pl.Series("c", ["a", "b", "c", "a"])).kind == "suppress"
    with pytest.raises(pv.exceptions.InputError, match="categorical"):
        suggest(pl.Series("c", ["a"]), categorical="merge")  # type: ignore[arg-type]
