"""The optimal search: known answers, brute-force optimality, ARX agreement."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import privlab as pv
from privlab.anonymize import (
    Hierarchy,
    KAnonymity,
    LDiversity,
    TCloseness,
    interval_hierarchy,
    prefix_hierarchy,
    search,
    suppress_hierarchy,
)

# -- an independent, row-by-row reference implementation -------------------------------


def class_violates(values: list[object], model: object, overall: list[object]) -> bool:
    counts = Counter(values)
    size = len(values)
    if isinstance(model, KAnonymity):
        return size < model.k
    if isinstance(model, LDiversity):
        if model.variant == "distinct":
            return len(counts) < model.l
        if model.variant == "entropy":
            h = -sum(c / size * math.log(c / size) for c in counts.values())
            return h < math.log(model.l) - 1e-9
        r = sorted(counts.values(), reverse=True)
        l = int(model.l)
        return len(r) < l or not r[0] < model.c * sum(r[l - 1 :])
    assert isinstance(model, TCloseness)
    domain = sorted(set(overall))
    q = [overall.count(v) / len(overall) for v in domain]
    p = [counts.get(v, 0) / size for v in domain]
    if model.ordered:
        cum, total = 0.0, 0.0
        for i in range(len(domain) - 1):
            cum += p[i] - q[i]
            total += abs(cum)
        dist = total / (len(domain) - 1) if len(domain) > 1 else 0.0
    else:
        dist = 0.5 * sum(abs(a - b) for a, b in zip(p, q, strict=True))
    return dist > model.t + 1e-12


def reference(
    frame: pl.DataFrame, hs: dict[str, Hierarchy], models: list[object], max_supp: float
) -> tuple[float, tuple[int, ...], int] | None:
    """Exhaustive search computing ARX's Loss record by record."""
    qis = list(hs)
    n = frame.height
    rows = frame.to_dicts()
    tables = {q: hs[q].table(frame[q].cast(pl.String).unique().sort()) for q in qis}
    fitted = {q: frame[q].cast(pl.String).unique().sort().to_list() for q in qis}
    best = None
    for node in itertools.product(*[range(hs[q].height) for q in qis]):
        label = {
            q: dict(zip(fitted[q], tables[q][lv], strict=True))
            for q, lv in zip(qis, node, strict=True)
        }
        classes: dict[tuple[object, ...], list[dict[str, object]]] = {}
        for row in rows:
            key = tuple(label[q][str(row[q])] for q in qis)
            classes.setdefault(key, []).append(row)
        outliers = set()
        for key, members in classes.items():
            for m in models:
                col = getattr(m, "column", None)
                vals = [r[col] for r in members] if col else [None] * len(members)
                overall = [r[col] for r in rows] if col else []
                if class_violates(vals, m, overall):
                    outliers.add(key)
        suppressed = sum(len(classes[k]) for k in outliers)
        if suppressed > max_supp * n + 1e-12:
            continue
        per_q = []
        for q, lv in zip(qis, node, strict=True):
            h = hs[q]
            labels_lv = tables[q][lv]
            uniq = sorted(set(labels_lv))
            share = dict(zip(uniq, h.shares(lv, uniq, labels_lv), strict=True))
            total = 0.0
            for key, members in classes.items():
                total += len(members) * (1.0 if key in outliers else share[key[qis.index(q)]])
            dom = h.domain_size(len(fitted[q]))
            low = n / dom
            per_q.append(max(0.0, (total - low) / (n - low)) if n > low else 0.0)
        loss = float(np.prod([(x + 1) ** (1 / len(per_q)) for x in per_q]) - 1)
        cand = (round(loss, 10), sum(node), node)
        if best is None or cand < (round(best[0], 10), sum(best[1]), best[1]):
            best = (loss, node, suppressed)
    return best


# -- known answers ---------------------------------------------------------------------


def test_known_answer_small_table() -> None:
    data = pl.DataFrame({"age": [31, 32, 33, 34, 51, 52], "sex": ["F", "M", "F", "M", "F", "M"]})
    hs = {"age": interval_hierarchy(widths=[5, 10]), "sex": suppress_hierarchy()}
    result = search(data, hs, [KAnonymity(2)], progress=False)
    # (1, 0) leaves {50-54, F} and {50-54, M} alone, as does (2, 0); (1, 1) is
    # 2-anonymous with loss sqrt((1 + 7/15) · 2) - 1 = 0.7127: ages 30-34 cover
    # 4 of the 6 distinct ages, 50-54 cover 2, normalized (10/3 - 1) / (6 - 1);
    # (3, 0) suppresses age (1) and keeps sex (0): sqrt(2) - 1 = 0.4142 wins.
    assert result.node == (3, 0)
    assert result.loss == pytest.approx(math.sqrt(2) - 1)
    released = result.apply(data).collect()
    assert released["age"].to_list() == ["*"] * 6
    assert pv.assess_risk(released, ["age", "sex"]).k == 3


def test_suppression_within_limit_masks_or_drops() -> None:
    data = pl.DataFrame({"zip": ["94107", "94108", "94109", "94110", "10001"]})
    hs = {"zip": prefix_hierarchy(keep=[3])}
    result = search(data, hs, [KAnonymity(2)], max_suppression=0.2, progress=False)
    assert result.node == (1,)
    assert result.suppressed == 1
    masked = result.apply(data).collect()["zip"].to_list()
    assert masked == ["941**", "941**", "941**", "941**", "*"]
    dropped = result.apply(data, suppression="drop").collect()["zip"].to_list()
    assert dropped == ["941**"] * 4


def test_no_solution_returns_none() -> None:
    data = pl.DataFrame({"zip": ["1", "2"], "dx": ["a", "a"]})
    result = search(data, {"zip": suppress_hierarchy()}, [LDiversity("dx", 2)], progress=False)
    assert result.node is None
    assert result.loss is None
    with pytest.raises(ValueError, match="no node"):
        result.apply(data)


def test_input_checks() -> None:
    data = pl.DataFrame({"a": [1, 2]})
    hs = {"a": suppress_hierarchy()}
    with pytest.raises(pv.exceptions.ColumnNotFoundError, match="'b'"):
        search(data, {"b": suppress_hierarchy()}, [KAnonymity(2)])
    with pytest.raises(ValueError, match="max_suppression"):
        search(data, hs, [KAnonymity(2)], max_suppression=1.5)
    with pytest.raises(ValueError, match="at least one privacy model"):
        search(data, hs, [])
    with pytest.raises(ValueError, match="both quasi-identifiers and sensitive"):
        search(data, hs, [LDiversity("a", 2)])


def test_nodes_and_stats_are_reported() -> None:
    data = pl.DataFrame({"age": list(range(20, 60)), "sex": ["F", "M"] * 20})
    hs = {"age": interval_hierarchy(widths=[5, 10, 20]), "sex": suppress_hierarchy()}
    result = search(data, hs, [KAnonymity(4)], progress=False)
    assert result.stats["nodes_total"] == 10
    assert result.stats["nodes_evaluated"] == result.nodes.height
    assert result.stats["nodes_evaluated"] + result.stats["nodes_pruned"] == 10
    assert set(result.nodes.columns) >= {"age", "sex", "loss", "bound", "satisfied"}
    assert (result.nodes["loss"] >= result.nodes["bound"] - 1e-12).all()
    assert result.summary()["levels"] == result.levels


# -- property: optimal and safe ----------------------------------------------------------

MODELS = st.sampled_from(
    [
        [KAnonymity(2)],
        [KAnonymity(3)],
        [KAnonymity(2), LDiversity("s", 2)],
        [LDiversity("s", 2, variant="entropy")],
        [KAnonymity(2), LDiversity("s", 2, variant="recursive", c=2)],
        [TCloseness("s", 0.4, ordered=False)],
        [KAnonymity(2), TCloseness("v", 0.3, ordered=True)],
    ]
)


@st.composite
def tables(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(4, 24))
    return pl.DataFrame(
        {
            "age": draw(st.lists(st.integers(20, 59), min_size=n, max_size=n)),
            "zip": draw(
                st.lists(st.sampled_from(["941", "942", "951", "952"]), min_size=n, max_size=n)
            ),
            "sex": draw(st.lists(st.sampled_from(["F", "M"]), min_size=n, max_size=n)),
            "s": draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n)),
            "v": draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)),
        }
    )


HS = {
    "age": interval_hierarchy(widths=[10, 20]),
    "zip": prefix_hierarchy(keep=[2]),
    "sex": suppress_hierarchy(),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=tables(), models=MODELS, supp=st.sampled_from([0.0, 0.1, 0.25]))
def test_search_is_optimal_and_release_is_safe(
    frame: pl.DataFrame, models: list[object], supp: float
) -> None:
    before = frame.clone()
    result = search(frame, HS, models, max_suppression=supp, progress=False)  # type: ignore[arg-type]
    expected = reference(frame, HS, models, supp)
    assert frame.equals(before)  # input never mutated
    if expected is None:
        assert result.node is None
        return
    assert result.loss == pytest.approx(expected[0], abs=1e-9)
    assert result.node == expected[1]
    assert result.suppressed == expected[2]
    released = result.apply(frame, suppression="drop").collect()
    assert released.height == frame.height - result.suppressed
    if released.height == 0:
        return
    for model in models:
        if isinstance(model, KAnonymity):
            assert pv.assess_risk(released, list(HS)).k >= model.k
        elif isinstance(model, LDiversity):
            risk = pv.assess_risk(released, list(HS), sensitive=model.column)
            assert risk.l is not None
            if model.variant == "distinct":
                assert risk.l["distinct"] >= model.l
            elif model.variant == "entropy":
                assert risk.l["entropy"] >= model.l - 1e-9
            else:
                assert risk.l["distinct"] >= model.l
        elif isinstance(model, TCloseness):
            # t is measured against the *released* table's own distribution, which
            # after suppression can differ from the original's; check per class
            # against the original instead, as the model is defined.
            overall = frame[model.column].to_list()
            groups = released.group_by(list(HS)).agg(pl.col(model.column))
            for values in groups[model.column].to_list():
                assert not class_violates(values, model, overall)


# -- ARX agreement -----------------------------------------------------------------------

ADULT_QIS = [
    "sex",
    "age",
    "race",
    "marital-status",
    "education",
    "native-country",
    "workclass",
    "occupation",
]
ARX_TABLE = [
    ([KAnonymity(5)], 0.0, (0, 4, 0, 2, 3, 2, 2, 1), 0.59158, 0),
    ([KAnonymity(5)], 0.05, (0, 3, 0, 0, 1, 1, 1, 2), 0.25185, 1458),
    ([KAnonymity(5), LDiversity("salary-class", 2)], 0.05, (0, 4, 0, 2, 1, 1, 0, 1), 0.32828, 1389),
    ([KAnonymity(2)], 0.0, (0, 4, 0, 1, 3, 2, 2, 1), 0.52664, 0),
]


@pytest.fixture(scope="module")
def adult(adult_dir: Path) -> tuple[pl.DataFrame, dict[str, Hierarchy]]:
    frame = pl.read_csv(adult_dir / "adult.csv", separator=";")
    hs = {q: Hierarchy.from_arx_csv(adult_dir / f"adult_hierarchy_{q}.csv") for q in ADULT_QIS}
    return frame, hs


@pytest.mark.shared_data
@pytest.mark.parametrize(("models", "supp", "node", "loss", "suppressed"), ARX_TABLE)
def test_arx_agreement_on_adult(
    adult: tuple[pl.DataFrame, dict[str, Hierarchy]],
    models: list[object],
    supp: float,
    node: tuple[int, ...],
    loss: float,
    suppressed: int,
) -> None:
    frame, hs = adult
    result = search(frame, hs, models, max_suppression=supp, progress=False)  # type: ignore[arg-type]
    assert result.node == node
    assert round(result.loss or 0, 5) == loss
    assert result.suppressed == suppressed
    # the loss recomputed from the released table agrees (utility module)
    released = result.apply(frame).collect()
    assert pv.utility(frame, released, ADULT_QIS, hierarchies=hs).loss == pytest.approx(
        result.loss, abs=1e-12
    )


# -- cost follows the distinct tuples ---------------------------------------------------


@pytest.mark.parametrize(
    ("models", "supp"),
    [
        ([KAnonymity(5)], 0.0),
        ([KAnonymity(5)], 0.05),
        ([KAnonymity(3), LDiversity("s", 2)], 0.05),
        ([KAnonymity(2), TCloseness("s", 0.5, ordered=False)], 0.0),
    ],
)
def test_a_satisfying_bottom_node_ends_the_search(models: list[object], supp: float) -> None:
    """Every tuple occurs ≥ 5 times with two sensitive values: the raw data is the optimum.

    Before, the top-down search evaluated the whole satisfying region (here all 24
    nodes); the bottom node is the least lossy node there is, so one evaluation suffices.
    """
    base = pl.DataFrame({"age": [30, 40, 50], "zip": ["941", "942", "951"], "sex": ["F", "M", "F"]})
    data = pl.concat([base.with_columns(s=pl.lit(v)) for v in ["a", "b"] * 3])
    result = search(data, HS, models, max_suppression=supp, progress=False)  # type: ignore[arg-type]
    assert result.node == (0, 0, 0)
    assert result.loss == pytest.approx(0.0)
    assert result.stats["nodes_evaluated"] <= 10
    assert result.stats["strategy"] == "bottom"
    assert result.stats["nodes_total"] == 24


def test_adult_replicated_costs_one_evaluation(adult_dir: Path) -> None:
    """Adult × 33 has the 18,109 tuples of Adult, each ≥ 33 times: k = 5 holds at the bottom."""
    frame = pl.read_csv(adult_dir / "adult.csv", separator=";")
    qis = [c for c in frame.columns if c != "salary-class"]
    hs = {q: Hierarchy.from_arx_csv(adult_dir / f"adult_hierarchy_{q}.csv") for q in qis}
    big = pl.concat([frame] * 33)
    for supp in (0.0, 0.05):
        result = search(big, hs, [KAnonymity(5)], max_suppression=supp, progress=False)
        assert result.node == (0,) * 8
        assert result.stats["nodes_evaluated"] == 1
        assert result.stats["distinct_rows"] == 18_109
        assert result.stats["records"] == 30_162 * 33


class _CountingHierarchy(Hierarchy):
    """A hierarchy that records how many values it was asked to label."""

    seen: list[int]

    def table(self, values: object) -> list[list[str]]:  # type: ignore[override]
        self.seen.append(len(values))  # type: ignore[arg-type]
        return super().table(values)  # type: ignore[arg-type]


def test_hierarchies_label_distinct_values_only() -> None:
    """Coverage checks and labels run on the distinct values, not on every record."""
    spy = _CountingHierarchy({"type": "suppress"})
    spy.seen = []
    data = pl.DataFrame({"sex": ["F", "M"] * 5_000, "zip": ["941", "942"] * 5_000})
    search(data, {"sex": spy, "zip": suppress_hierarchy()}, [KAnonymity(2)], progress=False)
    assert spy.seen == [2]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=tables(), models=MODELS, supp=st.sampled_from([0.0, 0.1]))
def test_search_on_a_histogram_equals_search_on_records(
    frame: pl.DataFrame, models: list[object], supp: float
) -> None:
    """A class histogram (distinct tuples + counts, as batched counting or Spark give)
    is searched exactly like the records it counts."""
    from privlab.engine import COUNT, count_tuples

    sens = [m.sensitive for m in models if m.sensitive is not None]  # type: ignore[attr-defined]
    hist = count_tuples(frame.lazy(), [*HS, *dict.fromkeys(sens)])
    on_rows = search(frame, HS, models, max_suppression=supp, progress=False)  # type: ignore[arg-type]
    on_hist = search(hist, HS, models, max_suppression=supp, counts=COUNT, progress=False)  # type: ignore[arg-type]
    assert on_hist.node == on_rows.node
    assert on_hist.suppressed == on_rows.suppressed
    assert on_hist.outlier_keys == on_rows.outlier_keys
    if on_rows.loss is not None:
        assert on_hist.loss == pytest.approx(on_rows.loss)


def test_encoding_cache_reuses_only_identical_data_and_hierarchies() -> None:
    from privlab.anonymize import EncodingCache

    data = pl.DataFrame({"age": [31, 32, 33, 34, 51, 52], "sex": list("FFMMFF")})
    cache = EncodingCache(size=2)
    first = search(data, HS_SMALL, [KAnonymity(2)], cache=cache, progress=False)
    again = search(data, HS_SMALL, [KAnonymity(3)], cache=cache, progress=False)
    assert (cache.hits, cache.misses) == (1, 1)
    changed = data.with_columns(pl.col("age").replace(52, 53))
    search(changed, HS_SMALL, [KAnonymity(2)], cache=cache, progress=False)
    other = {**HS_SMALL, "age": interval_hierarchy(widths=[10])}
    search(data, other, [KAnonymity(2)], cache=cache, progress=False)
    assert (cache.hits, cache.misses) == (1, 3)
    assert len(cache) == 2  # the least recently used entry was dropped
    fresh = search(data, HS_SMALL, [KAnonymity(3)], progress=False)
    assert again.node == fresh.node
    assert again.loss == fresh.loss
    assert first.node == (1, 0)
    with pytest.raises(ValueError, match="size"):
        EncodingCache(size=0)


HS_SMALL = {"age": interval_hierarchy(widths=[5, 10]), "sex": suppress_hierarchy()}


def test_missing_qi_values_are_counted_in_records() -> None:
    data = pl.DataFrame({"zip": ["941", None, None, "942"]})
    with pytest.raises(pv.exceptions.HierarchyError, match=r"'zip' has 2 missing"):
        search(data, {"zip": suppress_hierarchy()}, [KAnonymity(2)], progress=False)


def test_encoding_cache_is_safe_across_threads() -> None:
    """A widget's background preview and its refresh() share one cache: no lost entry.

    Eight threads search the same and different data through one small cache; every
    search must give the same result as an uncached one, and the cache never holds
    more than its size.
    """
    from concurrent.futures import ThreadPoolExecutor

    from privlab.anonymize import EncodingCache, KAnonymity, search, suppress_hierarchy

    frames = [pl.DataFrame({"sex": ["F", "M"] * (10 + i)}) for i in range(4)]
    cache = EncodingCache(size=2)
    hs = {"sex": suppress_hierarchy()}

    def run(i: int) -> tuple[int, ...] | None:
        return search(frames[i % 4], hs, [KAnonymity(2)], cache=cache, progress=False).node

    with ThreadPoolExecutor(8) as pool:
        nodes = list(pool.map(run, range(64)))
    expected = [search(frames[i % 4], hs, [KAnonymity(2)], progress=False).node for i in range(4)]
    assert nodes == [expected[i % 4] for i in range(64)]
    assert len(cache) <= 2
    assert cache.hits + cache.misses == 64
