"""Every chart builder follows the legibility rules (privlab.viz._legible), read from its spec.

The rules: at most 15 labels on an axis that encodes values (quantitative axes ask
Vega for at most 10 ticks, ordered axes label at most 15 values; an axis naming
one item per row gets its own pixel band per row instead), integer ticks on count
axes, point labels for at most 10 points, and single or layered charts as wide as
their container.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

import privlab as pv
from privlab import viz
from privlab.synth import AttackResult

COUNT_FIELDS = {"records", "classes", "count"}


def _views(spec: dict[str, Any], data: Any = None, in_concat: bool = False) -> Iterator[tuple]:
    """(view, its data rows, inside a concat?) for every unit view of a spec.

    A layer's views share their axes: a view that defines none (a rule, a ring)
    inherits its channels' axes from the first sibling that does.
    """
    datasets = spec.get("datasets", {})

    def rows_of(node: dict[str, Any], inherited: Any) -> Any:
        d = node.get("data", inherited)
        if isinstance(d, dict) and "name" in d:
            return datasets.get(d["name"], [])
        if isinstance(d, dict) and "values" in d:
            return d["values"]
        return inherited

    def walk(node: dict[str, Any], inherited: Any, concat: bool) -> Iterator[tuple]:
        rows = rows_of(node, inherited)
        if "mark" in node:
            yield node, rows or [], concat
        layer = node.get("layer", [])
        shared = {
            ch: enc[ch]["axis"]
            for child in reversed(layer)
            for enc in [child.get("encoding", {})]
            for ch in ("x", "y")
            if isinstance(enc.get(ch), dict) and "axis" in enc[ch]
        }
        for child in layer:
            enc = child.get("encoding", {})
            for ch, axis in shared.items():
                if isinstance(enc.get(ch), dict) and "axis" not in enc[ch]:
                    enc[ch] = {**enc[ch], "axis": axis}
            yield from walk(child, rows, concat)
        for key in ("hconcat", "vconcat", "concat"):
            for child in node.get(key, []):
                yield from walk(child, rows, True)

    yield from walk(spec, data, in_concat)


def _charts() -> dict[str, Any]:
    sizes = pl.DataFrame(
        {"size": list(range(1, 61)), "classes": [3] * 60, "records": [3 * s for s in range(1, 61)]}
    )
    curve = pl.DataFrame(
        {
            "statistic": ["count()"] * 5 + ["count() by sex"] * 5,
            "epsilon": [0.01, 0.1, 1.0, 5.0, 10.0] * 2,
            "half_width": [300.0, 30.0, 3.0, 0.6, 0.3] * 2,
            "confidence": [0.95] * 10,
        }
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ledger = pl.DataFrame(
        {
            "created_at": [start + timedelta(hours=i) for i in range(30)],
            "epsilon": [0.1] * 30,
            "status": ["spent"] * 30,
            "statistic": ["count()"] * 30,
        }
    )
    n = 600
    real = pl.DataFrame(
        {
            "age": [18 + i % 70 for i in range(n)],
            "born": [f"{1920 + i % 100}-{1 + i % 12:02d}-01" for i in range(n)],
            "city": [f"city{i % 40}" for i in range(n)],
        }
    )
    profile = pv.profile(real, seed=0)

    class Report:
        quality = {  # noqa: RUF012
            "columns": [
                {"table": None, "column": f"c{i}", "metric": "KSComplement", "score": 0.5}
                for i in range(30)
            ]
        }

        def attacks(self) -> list[AttackResult]:
            return [
                AttackResult.from_counts(
                    "linkability", n_attacks=100, n_success=30, n_baseline=2, n_control=10
                )
            ]

    data = pl.DataFrame(
        {
            "age": list(range(20, 80)) * 4,
            "born": [f"{1900 + i % 120}-05-01" for i in range(240)],
            "sex": ["F", "M"] * 120,
            "dx": ["a", "b", "c"] * 80,
        }
    )
    t = pv.tradeoff(
        data,
        profile={"age": "quasi_identifier", "born": "quasi_identifier", "dx": "sensitive"},
        candidates={"k": [2, 3, 5, 10], "l": [2], "epsilon": [0.5, 1.0, 2.0], "synthetic": []},
        targets=40,
        progress=False,
    )
    return {
        "class_size": viz.class_size_chart(sizes, k=5),
        "risk_distribution": viz.risk_distribution_chart(sizes, k=5),
        "epsilon_curve": viz.epsilon_curve_chart(curve, epsilon=1.0, remaining=2.0),
        "budget": viz.budget_chart(ledger, total=5.0),
        "sensitivity": viz.sensitivity_chart(profile),
        "compare_number": viz.column_comparison_chart(real, real, "age"),
        "compare_date": viz.column_comparison_chart(real, real, "born"),
        "compare_category": viz.column_comparison_chart(real, real, "city"),
        "quality": viz.quality_chart(Report()),
        "privacy_risk": viz.privacy_risk_chart(Report()),
        "tradeoff": viz.tradeoff_chart(t, highlight="k=5", epsilon=1.0),
        "k_loss": viz.k_loss_chart(t, highlight=5),
        "epsilon_error": viz.epsilon_error_chart(t, highlight=1.0),
        "column_age": viz.column_chart(t, "k=5", "age"),
        "column_born": viz.column_chart(t, "k=5", "born"),
    }


@pytest.fixture(scope="module")
def specs() -> dict[str, dict[str, Any]]:
    return {name: chart.to_dict() for name, chart in _charts().items()}


def test_every_public_chart_builder_is_covered(specs: dict[str, dict[str, Any]]) -> None:
    builders = {n for n in viz.__all__ if n.endswith("_chart") and n != "save_chart"}
    called = {
        "class_size_chart", "risk_distribution_chart", "epsilon_curve_chart", "budget_chart",
        "sensitivity_chart", "column_comparison_chart", "quality_chart", "privacy_risk_chart",
        "tradeoff_chart", "k_loss_chart", "epsilon_error_chart", "column_chart",
    }  # fmt: skip
    assert builders == called
    assert len(specs) == 15


def test_value_axes_show_at_most_15_labels(specs: dict[str, dict[str, Any]]) -> None:
    for name, spec in specs.items():
        for view, rows, _concat in _views(spec):
            for channel in ("x", "y"):
                enc = view.get("encoding", {}).get(channel)
                if not enc or "field" not in enc or enc.get("axis", {}) is None:
                    continue
                axis = enc.get("axis", {})
                if "values" in axis:
                    assert len(axis["values"]) <= 15, (name, channel)
                elif enc["type"] in ("quantitative", "temporal"):
                    assert axis.get("tickCount", 99) <= 10, (name, channel, axis)
                else:
                    height = view.get("height", spec.get("height"))
                    if channel == "y" and isinstance(height, dict) and "step" in height:
                        continue  # one named item per row, each with its own band
                    distinct = {json.dumps(r.get(enc["field"])) for r in rows}
                    assert len(distinct) <= 15, (name, channel, len(distinct))


def test_count_axes_have_integer_ticks(specs: dict[str, dict[str, Any]]) -> None:
    seen = 0
    for name, spec in specs.items():
        for view, _rows, _concat in _views(spec):
            for enc in view.get("encoding", {}).values():
                if isinstance(enc, dict) and enc.get("field") in COUNT_FIELDS and "axis" in enc:
                    assert enc["axis"]["tickMinStep"] == 1, name
                    assert enc["axis"]["format"] == ",d", name
                    seen += 1
    assert seen >= 1


def test_point_labels_only_for_few_points(specs: dict[str, dict[str, Any]]) -> None:
    texts = [
        (name, rows)
        for name, spec in specs.items()
        for view, rows, _c in _views(spec)
        if (view["mark"] if isinstance(view["mark"], str) else view["mark"]["type"]) == "text"
    ]
    assert texts, "the trade-off frontier labels its few points"
    for name, rows in texts:
        assert len(rows) <= 10, name
    labels = " / ".join(r["text"] for _n, rows in texts for r in rows)
    for label in ("original", "k=2", "k=3", "k=5", "k=10"):
        assert label in labels.split(" / ")  # nearby points share a label: none is hidden


def test_many_points_get_no_text_labels() -> None:
    from privlab.viz._legible import point_labels

    rows = [{"x": i, "y": i, "l": str(i)} for i in range(11)]
    assert point_labels(rows, "x", "y", "l") == []
    assert len(point_labels(rows[:10], "x", "y", "l", spans=(1000.0, 1000.0))) == 1


def test_single_and_layered_charts_fill_their_container(specs: dict[str, dict[str, Any]]) -> None:
    for name, spec in specs.items():
        if any(k in spec for k in ("hconcat", "vconcat", "concat")):
            continue  # Vega-Lite cannot size concatenated views to a container
        assert spec.get("width") == "container", name


def test_chosen_release_is_ringed(specs: dict[str, dict[str, Any]]) -> None:
    for name in ("tradeoff", "k_loss", "epsilon_error"):
        rings = [
            rows
            for view, rows, _c in _views(specs[name])
            if isinstance(view["mark"], dict) and view["mark"].get("size") == 420
        ]
        assert rings, name
        for rows in rings:  # one chosen release (k_loss rings it on both of its lines)
            assert len({r.get("label", r.get("k", r.get("epsilon"))) for r in rows}) == 1, name
    frontier = specs["tradeoff"]["vconcat"][0]
    assert "chosen: k=5" in frontier["title"]


def test_column_chart_groups_years_and_hides_rare_bins(specs: dict[str, dict[str, Any]]) -> None:
    rows = next(v for v, r, _c in _views(specs["column_born"]))
    born = specs["column_born"]["data"]["values"]
    bins = {r["bin"] for r in born}
    assert len(bins) <= 16  # ≤ 15 spans + "other"
    assert all("–" in b or b == "other" for b in bins)  # 120 years in multi-year spans
    assert rows["encoding"]["x"]["sort"][-1] == "other"


def test_format_number_rounds_for_people() -> None:
    assert viz.format_number(2.0499999999994603) == "2.05"
    assert viz.format_number(1234567.8) == "1,234,568"
    assert viz.format_number(0.25, percent=True) == "25.0%"
    assert viz.format_number(float("inf")) == "∞"


def test_importing_privlab_changes_no_altair_setting() -> None:
    """Only the explicit switch registers and selects the offline renderer (one subprocess)."""
    code = (
        "import altair as alt; import privlab, privlab.viz, privlab.widgets; "
        "print(alt.renderers.active, 'privlab' in alt.renderers.names()); "
        "privlab.viz.enable_notebook(); print(alt.renderers.active)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["default", "False", "privlab"]


def test_chart_widget_carries_no_network_reference() -> None:
    """The widget's module and the Vega bundle load nothing from another host."""
    import re

    widget = viz.chart_widget()
    assert widget.spec is None
    widget.chart = viz.class_size_chart(pl.DataFrame({"size": [1], "classes": [1], "records": [1]}))
    assert widget.spec["mark"]["type"] == "bar"
    assert not re.search(r"https?://", widget._esm)
    bundle = widget.runtime.bundle
    assert widget.runtime is viz.chart_widget().runtime  # one bundle per kernel
    for call in ('import("http', 'fetch("http', 'src="http'):
        assert call not in bundle
