"""Profiling benchmark: 1,000,000 rows × 16 columns, privlab vs a pandas + ``re`` baseline.

Run: ``PYTHONPATH=toolkit .venv/bin/python benchmarks/bench_profile.py [--rows N]
[--baseline-rows N]``

The data is the patients sample replicated (with its seeded shuffle) to N rows.
privlab's profile — statistics on every row, detectors on a 10,000-value sample,
quasi-identifier risk over up to 8 QIs on every row — is timed phase by phase, with
the peak memory of the process. The baseline is what one writes by hand: pandas for
the statistics and the QI uniqueness, and Python's ``re`` applied to every value.
"""

from __future__ import annotations

import argparse
import re
import resource
import time
from pathlib import Path

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


def baseline(frame: pl.DataFrame, qis: list[str]) -> float:
    df = frame.to_pandas()
    t0 = time.perf_counter()
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
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--baseline-rows",
        type=int,
        default=None,
        help="run the (slow) baseline on fewer rows and scale linearly",
    )
    args = parser.parse_args()
    import privlab as pv

    frame = data(args.rows)
    print(f"data: {frame.height:,} rows × {frame.width} columns")
    pv.profile(frame.head(2000))  # warm-up: imports, census name lists
    t0 = time.perf_counter()
    profile = pv.profile(frame)
    total = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"privlab profile: {total:.2f} s (peak RSS {peak:,.0f} MB)")
    for phase, seconds in profile.timings.items():
        print(f"  {phase:<12} {seconds:6.2f} s")
    qis = profile.qi_risk.get("quasi_identifiers", [])
    print(f"  quasi-identifiers analysed: {len(qis)} {qis}")
    from privlab.guard import inspect_release
    from privlab.release import ColumnFacts, ReleaseFacts

    facts = ReleaseFacts(  # the guard's cost on the same table, released as it is
        kind="anonymized",
        dataset=None,
        columns=tuple(ColumnFacts(c, c) for c in frame.columns),
        source=frame,
        released=frame,
    )
    t0 = time.perf_counter()
    report = inspect_release(facts)
    guard = time.perf_counter() - t0
    print(f"release guard on the same table: {guard:.2f} s ({len(report.findings)} findings)")
    sub = frame if args.baseline_rows is None else frame.head(args.baseline_rows)
    base = baseline(sub, qis)
    scale = frame.height / sub.height
    scaled = f" → {base * scale:.0f} s scaled to {frame.height:,}" if scale > 1 else ""
    print(f"pandas + re baseline: {base:.1f} s on {sub.height:,} rows{scaled}")
    print(f"speed-up: {base * scale / total:.0f}×")


if __name__ == "__main__":
    main()
