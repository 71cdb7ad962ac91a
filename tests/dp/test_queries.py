"""Query specs: validation, normalisation and fingerprints (no data, no OpenDP)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import privlab.dp as pdp
from privlab.dp._queries import bin_labels
from privlab.exceptions import DPQueryError


def test_sum_without_bounds_is_a_clear_error() -> None:
    with pytest.raises(DPQueryError, match=r"needs clipping bounds.*bounds='auto'"):
        pdp.sum("income")


@pytest.mark.parametrize(
    "bounds", [(1, 1), (5, 0), (0, float("inf")), ("a", 1), (1, 2, 3), "sometimes"]
)
def test_bad_bounds_rejected(bounds: object) -> None:
    with pytest.raises(DPQueryError, match="bounds"):
        pdp.mean("x", bounds=bounds)  # type: ignore[arg-type]


def test_auto_bounds_accepted() -> None:
    assert pdp.sum("x", bounds="auto").bounds == "auto"


@pytest.mark.parametrize("q", [-0.1, 1.5, True, "half"])
def test_quantile_q_validated(q: object) -> None:
    with pytest.raises(DPQueryError, match="q must be"):
        pdp.quantile("x", q, bounds=(0, 1))  # type: ignore[arg-type]


def test_keys_normalised_from_list_dict_and_frame() -> None:
    a = pdp.count(by="sex", keys=["F", "M", "F"])
    b = pdp.count(by=["sex"], keys={"sex": ["M", "F"]})
    c = pdp.count(by="sex", keys=pl.DataFrame({"sex": ["F", "M"]}))
    assert a.fingerprint() == b.fingerprint() == c.fingerprint()
    assert a.keys is not None
    assert sorted(a.keys["sex"].to_list()) == ["F", "M"]


def test_dict_keys_make_all_combinations() -> None:
    q = pdp.count(by=["a", "b"], keys={"a": [1, 2], "b": ["x", "y", "z"]})
    assert q.keys is not None
    assert q.keys.height == 6


def test_keys_need_by_and_matching_columns() -> None:
    with pytest.raises(DPQueryError, match="without `by`"):
        pdp.count(keys=["a"])
    with pytest.raises(DPQueryError, match="exactly one `by`"):
        pdp.count(by=["a", "b"], keys=["x"])
    with pytest.raises(DPQueryError, match="lacks grouping"):
        pdp.count(by="a", keys=pl.DataFrame({"b": [1]}))
    with pytest.raises(DPQueryError, match="empty"):
        pdp.count(by="a", keys=[])


def test_fingerprint_distinguishes_queries() -> None:
    assert pdp.mean("x", bounds=(0, 1)).fingerprint() != pdp.mean("x", bounds=(0, 2)).fingerprint()
    assert pdp.count().fingerprint() != pdp.count("x").fingerprint()


def test_histogram_edges_validated() -> None:
    with pytest.raises(DPQueryError, match="strictly increasing"):
        pdp.histogram("age", edges=[10, 5])
    with pytest.raises(DPQueryError, match="either"):
        pdp.histogram("age", edges=[1], keys=["a"])
    assert pdp.histogram("age", edges=[1, 2]).group_columns == ("bin",)
    assert pdp.histogram("sex").group_columns == ("sex",)


def test_quantile_has_no_accuracy_and_median_is_half() -> None:
    q = pdp.median("age", bounds=(0, 100))
    assert q.q == 0.5
    assert not q.has_accuracy
    assert pdp.count().has_accuracy


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=8, unique=True))
def test_bin_labels_cover_all_bins(edges: list[float]) -> None:
    edges = sorted(edges)
    labels = bin_labels(edges)
    assert len(labels) == len(edges) + 1
    assert labels[0].startswith("(-inf")
    assert labels[-1].endswith("inf)")


def test_column_must_be_a_name() -> None:
    with pytest.raises(DPQueryError, match="column name"):
        pdp.sum("", bounds=(0, 1))
    with pytest.raises(DPQueryError, match="twice"):
        pdp.count(by=["a", "a"])
