"""Timing of the anonymization transforms and pv.anonymize on a ~1M-row table.

Prints seconds per transform (fit + apply, collected) so regressions in the
per-row paths show up. Figures are noisy on a shared 2-core machine; run it
twice and keep the lower numbers. Usage::

    python benchmarks/bench_transforms.py [rows]
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import numpy as np
import polars as pl

import privlab as pv
from privlab.anonymize import build_transform

KEY = b"benchmark-key-not-a-secret-0123"


def table(n: int) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    ids = rng.integers(0, n // 5, n)
    return pl.DataFrame(
        {
            "pid": [f"P{i:07d}" for i in ids],
            "age": rng.integers(18, 95, n),
            "zip": [f"{z:05d}" for z in rng.integers(1000, 99999, n)],
            "income": rng.lognormal(10.5, 0.6, n),
            "admit": pl.date_range(dt.date(2020, 1, 1), dt.date(2024, 12, 31), eager=True).sample(
                n, with_replacement=True, seed=1
            ),
            "note": rng.choice(
                ["call 555-201-3344 re labs", "mail jo@ex.org", "stable", "seen by Dr Lee"], n
            ),
            "dx": rng.choice(["a", "b", "c", "d", "e"], n),
        }
    )


STEPS = {
    "pseudonymize (n/5 distinct)": {"op": "pseudonymize", "columns": ["pid"]},
    "mask": {"op": "mask", "columns": ["zip"], "params": {"keep_first": 2}},
    "generalize (width)": {"op": "generalize", "columns": ["age"], "params": {"width": 10}},
    "date_shift (n/5 subjects)": {
        "op": "date_shift",
        "columns": ["admit"],
        "params": {"subject": "pid", "max_days": 30},
    },
    "redact_text (placeholder)": {
        "op": "redact_text",
        "columns": ["note"],
        "params": {
            "use_profile_patterns": False,
            "patterns": {"email": r"\S+@\S+", "phone": r"\d{3}-\d{3}-\d{4}"},
        },
    },
    "round": {"op": "round", "columns": ["income"], "params": {"base": 1000}},
    "add_noise": {"op": "add_noise", "columns": ["income"], "params": {"scale": 100, "seed": 1}},
    "microaggregate (fixed, k=5)": {
        "op": "microaggregate",
        "columns": ["income"],
        "params": {"k": 5},
    },
}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    df = table(n)
    print(f"table: {n:,} rows × {df.width} columns")
    for label, step in STEPS.items():
        transform = build_transform(step, key=KEY)
        start = time.perf_counter()
        transform.fit(df).apply(df.lazy()).collect()
        print(f"  {label:<30} {time.perf_counter() - start:7.3f} s")
    recipe = {
        "steps": [STEPS["pseudonymize (n/5 distinct)"], STEPS["date_shift (n/5 subjects)"]],
        "privacy": {
            "quasi_identifiers": ["age", "zip"],
            "hierarchies": {
                "age": {"type": "interval", "widths": [5, 10, 20]},
                "zip": {"type": "prefix", "keep": [4, 3, 2, 1]},
            },
            "k": 5,
            "l": {"column": "dx", "l": 2},
            "max_suppression": 0.02,
        },
    }
    start = time.perf_counter()
    release = pv.anonymize(df, recipe, key=KEY, progress=False)
    total = time.perf_counter() - start
    stats = release.report.search["stats"]  # type: ignore[index]
    print(
        f"  pv.anonymize (2 steps + 5-anon + 2-div, verify, utility) {total:7.3f} s "
        f"(search {stats['search_seconds']:.3f} s, {stats['nodes_evaluated']} nodes)"
    )


if __name__ == "__main__":
    main()
