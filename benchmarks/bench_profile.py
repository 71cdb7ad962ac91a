"""Profiling benchmark: 1,000,000 rows × 16 columns, privlab vs a pandas + ``re`` baseline.

Run: ``PYTHONPATH=toolkit .venv/bin/python benchmarks/bench_profile.py [--rows N]
[--baseline-rows N] [--repeat R]``

The data is the patients sample replicated (with its seeded shuffle) to N rows.
privlab's profile — statistics on every row, detectors on a 10,000-value sample,
quasi-identifier risk over up to 8 QIs on every row — is timed phase by phase, with
the peak memory of the process; then the release guard on the same table released
as it is (detectors and overlap on a seeded 10,000-row sample, class sizes on every
row). The baseline is what one writes by hand: pandas for the statistics and the
QI uniqueness, and Python's ``re`` applied to every value.

Each figure is the best of ``--repeat`` runs, as wall-clock seconds and as the
process's CPU seconds (all threads): on a shared machine the wall clock measures
the other users' load as much as this code, the CPU time much less so. The load
average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

ROOT = Path(__file__).resolve().parents[1]

PATTERNS = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    "phone": re.compile(r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"),
    "ssn": re.compile(r"\d{3}-\d{2}-\d{4}"),
    "zip": re.compile(r"\d{5}(?:-\d{4})?"),
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "card": re.compile(r"(?:\d{4}[\s-]?){3}\d{1,7}"),
}


def data(rows: int) -> pl.DataFrame:
    base = pl.read_csv(ROOT / "data_samples" / "patients.csv", infer_schema_length=10000,
                       schema_overrides={"zip_code": pl.String})  # fmt: skip
    copies = -(-rows // base.height)
    return pl.concat([base.sample(fraction=1.0, shuffle=True, seed=i) for i in range(copies)]).head(
        rows
    )


def baseline(df: Any, qis: list[str]) -> None:
    """Statistics, patterns on every value and QI group sizes, by hand (*df*: pandas)."""
    for col in df.columns:
        series = df[col]
        series.isna().mean()
        series.nunique()
        series.value_counts(normalize=True)
        values = series.dropna().astype(str)
        for pattern in PATTERNS.values():
            sum(1 for v in values if pattern.fullmatch(v))
    df.groupby(qis).size()
    for q in qis:
        df.groupby(q).size()


def best(repeat: int, run: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds, last result): the fastest of *repeat* runs."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus), result


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--baseline-rows",
        type=int,
        default=None,
        help="run the (slow) baseline on fewer rows and scale linearly",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best kept)")
    args = parser.parse_args()
    import privlab as pv
    from privlab.guard import inspect_release
    from privlab.release import ColumnFacts, ReleaseFacts

    print(f"load average before: {load()} ({os.cpu_count()} cores)")
    frame = data(args.rows)
    print(f"data: {frame.height:,} rows × {frame.width} columns")
    pv.profile(frame.head(2000))  # warm-up: imports, name lists, country names
    wall, cpu, profile = best(args.repeat, lambda: pv.profile(frame))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"privlab profile: {wall:.2f} s wall, {cpu:.2f} s CPU (peak RSS {peak:,.0f} MB)")
    for phase, seconds in profile.timings.items():
        print(f"  {phase:<12} {seconds:6.2f} s")
    qis = profile.qi_risk.get("quasi_identifiers", [])
    print(f"  quasi-identifiers analysed: {len(qis)} {qis}")
    facts = ReleaseFacts(  # the guard's cost on the same table, released as it is
        kind="anonymized",
        dataset=None,
        columns=tuple(ColumnFacts(c, c) for c in frame.columns),
        source=frame,
        released=frame,
    )
    g_wall, g_cpu, report = best(args.repeat, lambda: inspect_release(facts))
    refused = sorted({f.column or "" for f in report.blocking})
    print(f"release guard on the same table: {g_wall:.2f} s wall, {g_cpu:.2f} s CPU")
    print(f"  refuses {len(refused)} column(s): {refused}")
    sub = frame if args.baseline_rows is None else frame.head(args.baseline_rows)
    df = sub.to_pandas()  # the conversion is not timed
    b_wall, b_cpu, _ = best(1, lambda: baseline(df, qis))
    scale = frame.height / sub.height
    scaled = f" → {b_wall * scale:.0f} s scaled to {frame.height:,}" if scale > 1 else ""
    print(f"pandas + re baseline: {b_wall:.1f} s wall, {b_cpu:.1f} s CPU on {sub.height:,} rows"
          f"{scaled}")  # fmt: skip
    print(f"speed-up: {b_wall * scale / wall:.1f}× wall, {b_cpu * scale / cpu:.1f}× CPU")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
