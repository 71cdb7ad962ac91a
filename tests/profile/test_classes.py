"""Class sizes from one group-by equal a direct count, for every combination."""

from __future__ import annotations

import itertools

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from privlab.profile import CombinationClasses

_VALUES = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "10", "x y"]))


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(_VALUES, st.integers(0, 3), _VALUES), min_size=1, max_size=60))
def test_sizes_equal_a_direct_group_by(rows: list[tuple[str | None, int, str | None]]) -> None:
    """Invariant: for every combination, the multiset of class sizes is the group-by's."""
    frame = pl.DataFrame(rows, schema=["s", "n", "t"], orient="row")
    classes = CombinationClasses(frame, ["s", "n", "t"])
    for r in (1, 2, 3):
        for combo in itertools.combinations(["s", "n", "t"], r):
            direct = sorted(frame.group_by(list(combo)).len()["len"].to_list())
            assert sorted(classes.sizes(combo).tolist()) == direct, combo
            assert int(classes.sizes(combo).sum()) == frame.height
