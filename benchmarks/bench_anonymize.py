"""Anonymization benchmarks: the optimal search against ARX, the k/ℓ/t check against pyCANON.

Run: ``PYTHONPATH=toolkit .venv/bin/python benchmarks/bench_anonymize.py [--rows N] [--no-pycanon]``

1. For the four Adult configurations of ../shared/data/README.md: search time (search
   only — the data loaded and encoded beforehand, as ARX's warm figure), nodes
   evaluated, loss, node and suppressed records, beside ARX 3.9's figures.
2. Checking k, ℓ (distinct, entropy) and t on Adult replicated to about 1,000,000 rows:
   privlab's ``assess_risk`` against pyCANON 1.3.6 on the same CSV (pyCANON runs in its
   own virtual environment, .venv-oracles/pycanon; its own timer measures it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT.parent / "shared" / "data" / "adult"
QIS = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass",
       "occupation"]  # fmt: skip
ARX = [  # model, suppression, node, loss, suppressed, warm time (ms)
    ("5-anonymity", 0.0, (0, 4, 0, 2, 3, 2, 2, 1), 0.59158, 0, "60–130"),
    ("5-anonymity", 0.05, (0, 3, 0, 0, 1, 1, 1, 2), 0.25185, 1458, "570–650"),
    ("5-anon + distinct 2-div", 0.05, (0, 4, 0, 2, 1, 1, 0, 1), 0.32828, 1389, "460–550"),
    ("2-anonymity", 0.0, (0, 4, 0, 1, 3, 2, 2, 1), 0.52664, 0, "60–120"),
]


def bench_search(repeats: int) -> None:
    from privlab.anonymize import Hierarchy, KAnonymity, LDiversity
    from privlab.anonymize._lattice import encode
    from privlab.anonymize._search import _best, _bound_ordered, _top_down

    frame = pl.read_csv(ADULT / "adult.csv", separator=";")
    hs = {q: Hierarchy.from_arx_csv(ADULT / f"adult_hierarchy_{q}.csv") for q in QIS}
    print("## Optimal search on Adult (30,162 records, 8 QIs, 6,480 nodes)\n")
    print(
        "| configuration | suppression | privlab node | privlab loss | suppressed | nodes "
        f"evaluated | privlab search (median of {repeats}) | ARX loss | ARX warm | agree |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, supp, node, loss, suppressed, arx_ms in ARX:
        models = [KAnonymity(5 if name.startswith("5") else 2)]
        if "div" in name:
            models.append(LDiversity("salary-class", 2))
        t0 = time.perf_counter()
        enc = encode(frame, hs, models)
        encode_s = time.perf_counter() - t0
        monotone = all(m.monotone(max_suppression=supp) for m in models)
        times = []
        for _ in range(repeats):
            t1 = time.perf_counter()
            runner = _top_down if monotone else _bound_ordered
            evaluated, _ = runner(enc, models, supp * enc.n, False)
            best = _best(evaluated)
            times.append(time.perf_counter() - t1)
        assert best is not None
        ok = best.node == node and round(best.loss, 5) == loss and best.suppressed == suppressed
        print(
            f"| {name} | {supp:.0%} | {list(best.node)} | {best.loss:.5f} | {best.suppressed:,} | "
            f"{len(evaluated):,} | {statistics.median(times) * 1000:.0f} ms (encode "
            f"{encode_s * 1000:.0f} ms) | {loss:.5f} | {arx_ms} ms | {'yes' if ok else 'NO'} |"
        )


def bench_check(rows: int, pycanon: bool) -> None:
    import privlab as pv

    base = pl.read_csv(ADULT / "adult.csv", separator=";", infer_schema=False)
    copies = max(1, round(rows / base.height))
    big = pl.concat([base] * copies)
    print(f"\n## Checking k, ℓ and t on Adult × {copies} ({big.height:,} rows)\n")
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        report = pv.assess_risk(big, QIS, sensitive="salary-class")
        times.append(time.perf_counter() - t0)
    ours = statistics.median(times)
    assert report.l is not None
    print(
        f"privlab assess_risk (k, ℓ distinct/entropy/recursive, t, prosecutor risk): "
        f"{ours:.2f} s → k={report.k}, ℓ={report.l['distinct']}, t={report.t:.4f}"
    )
    if not pycanon:
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _oracles import pycanon_measure

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "adult_big.csv"
        big.write_csv(path)
        theirs = pycanon_measure(path, QIS, "salary-class", timeout=7200)
    total = sum(theirs[k] for k in ("k_seconds", "l_seconds", "le_seconds", "t_seconds"))
    print(
        f"pyCANON 1.3.6 (k {theirs['k_seconds']:.1f} s, ℓ {theirs['l_seconds']:.1f} s, entropy ℓ "
        f"{theirs['le_seconds']:.1f} s, t {theirs['t_seconds']:.1f} s): {total:.1f} s → "
        f"k={theirs['k']}, ℓ={theirs['l_distinct']}, t={theirs['t']:.4f}"
    )
    print(f"ratio pyCANON / privlab: {total / ours:,.0f}×")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-pycanon", action="store_true")
    args = parser.parse_args()
    if not (ADULT / "adult.csv").exists():
        sys.exit(f"Adult data not found at {ADULT}")
    bench_search(args.repeats)
    bench_check(args.rows, not args.no_pycanon)


if __name__ == "__main__":
    main()
