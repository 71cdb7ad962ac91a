"""Widget responsiveness, headless: how long one moved control takes to update a widget.

Run: ``PYTHONPATH=toolkit .venv/bin/python benchmarks/bench_widgets.py [--repeats 5]``.
Run it again with ``PYTHONPATH`` pointing at another checkout (e.g. the previous
commit) to compare; the script uses only API both versions share.

Each figure is the median wall time of *repeats* control changes on the patients
sample (5,000 rows), measured in the kernel's own work (the update the control
triggers: recipe preview, chart rebuild), without the browser round trip — the
browser test (``tests/browser``) records that end to end. The one-time bundling
of the Vega JavaScript is timed on its own. Outside a kernel the previous
widgets built no charts at all (they drew into ``Output`` areas only in a
kernel), so their figures here leave chart building out; this branch's include it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

import privlab as pv
import privlab.dp as pdp
from privlab.widgets import ProfileWidget, RecipeBuilder, TradeoffExplorer, epsilon_explorer

ROOT = Path(__file__).resolve().parents[1]

RECIPE = {
    "steps": [
        {"op": "drop", "columns": ["full_name", "email", "phone", "ssn", "city"]},
        {"op": "pseudonymize", "columns": ["patient_id"], "params": {"domain": "bench"}},
    ],
    "privacy": {
        "quasi_identifiers": ["date_of_birth", "sex", "zip_code"],
        "hierarchies": {
            "date_of_birth": {"type": "date", "levels": ["month", "year", "decade"]},
            "sex": {"type": "suppress"},
            "zip_code": {"type": "prefix", "keep": [4, 3, 2]},
        },
        "k": 5,
        "l": {"column": "diagnosis", "l": 2},
        "max_suppression": 0.05,
    },
}


def median_seconds(action: Callable[[int], object], repeats: int) -> float:
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        action(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import altair as alt

    start = time.perf_counter()
    alt.JupyterChart.enable_offline()
    print(f"alt.JupyterChart.enable_offline (bundle once): {time.perf_counter() - start:.2f} s")
    import privlab.viz

    if hasattr(privlab.viz, "chart_widget"):  # this branch: privlab's own chart widget
        start = time.perf_counter()
        privlab.viz.chart_widget()
        print(f"first privlab chart widget (bundle once): {time.perf_counter() - start:.2f} s")

    patients = pv.read(ROOT / "data_samples" / "patients.csv").collect()
    profile = pv.profile(patients, seed=0)
    start = time.perf_counter()
    pw = ProfileWidget(profile)
    print(f"ProfileWidget: build {time.perf_counter() - start:.3f} s")
    roles = ["quasi_identifier", "sensitive"]
    t = median_seconds(lambda i: pw.set_role("insurance_plan", roles[i % 2]), args.repeats)
    print(f"ProfileWidget: one role change {t:.3f} s")

    recipe = pv.Recipe.from_dict(RECIPE)
    start = time.perf_counter()
    builder = RecipeBuilder(patients, recipe=recipe, key="bench-key-0123456789", live=False)
    builder.refresh()
    print(f"RecipeBuilder: build + first preview {time.perf_counter() - start:.3f} s")
    ks = [5, 10]

    def change_k(i: int) -> None:
        builder.k.value = ks[i % 2]
        builder.refresh()

    t = median_seconds(change_k, args.repeats)
    print(f"RecipeBuilder: k changed, preview on 5,000 rows {t:.3f} s")

    roles_ = {"date_of_birth": "quasi_identifier", "zip_code": "quasi_identifier",
              "sex": "quasi_identifier", "diagnosis": "sensitive"}  # fmt: skip
    tradeoff = pv.tradeoff(
        patients.select(list(roles_)).head(1500),
        profile=roles_,
        candidates={"k": [2, 5, 10], "l": [2], "epsilon": [0.5, 1.0, 2.0], "synthetic": []},
        targets=200,
        progress=False,
    )
    explorer = TradeoffExplorer(tradeoff)
    explorer.technique = "k-anonymity"
    values = [2, 5, 10]
    t = median_seconds(lambda i: setattr(explorer, "k", values[i % 3]), args.repeats)
    print(f"TradeoffExplorer: k changed {t:.3f} s")

    session = pdp.DPSession(pl.DataFrame({"x": [1.0, 2.0] * 2_500}), dataset="bench-widgets")
    ex = epsilon_explorer(session, pdp.count(), epsilon=1.0)
    eps = [0.5, 1.0, 2.0]
    t = median_seconds(lambda i: setattr(ex, "epsilon", eps[i % 3]), args.repeats)
    print(f"epsilon_explorer: ε changed {t:.3f} s")
    session.close()


if __name__ == "__main__":
    main()
