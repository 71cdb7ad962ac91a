"""Time ``pv.tradeoff`` on the patients sample (default grid); target ≤ 15 s on 2 cores.

Run: ``PYTHONPATH=toolkit .venv/bin/python benchmarks/bench_tradeoff.py [--repeats 3]``

Each run is a fresh interpreter (imports of SDV, scikit-learn and OpenDP counted
separately as "imports"); the trade-off itself is timed per release from the progress
reporter's callback. ``--toolkit PATH`` times another checkout (e.g. the previous
commit) for the "no regression" comparison of CONTRACTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import privlab as pv
import sdv.single_table, sklearn.naive_bayes, opendp.prelude  # noqa: F401  (imports timed apart)
t1 = time.perf_counter()
key = json.loads(open(sys.argv[1]).read())["patients"]
data = pv.read(sys.argv[2]).collect()
stages, last = [], [time.perf_counter()]
def cb(stage, done, total):
    now = time.perf_counter()
    stages.append((stage, round(now - last[0], 2)))
    last[0] = now
start = time.perf_counter()
try:
    t = pv.tradeoff(data, profile=key, progress=False, callback=cb)
except TypeError:  # an older checkout without the callback
    t = pv.tradeoff(data, profile=key, progress=False)
total = time.perf_counter() - start
print(json.dumps({"imports": round(t1 - t0, 2), "tradeoff": round(total, 2), "stages": stages,
                  "releases": t.points.height}))
"""


def run(toolkit: Path, samples: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(toolkit), "PRIVLAB_PROGRESS": "0"}
    env["PRIVLAB_HOME"] = tempfile.mkdtemp(prefix="privlab-bench-")  # a store of its own
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(samples / "answer_key.json"),
            str(samples / "patients.csv"),
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--toolkit", type=Path, default=ROOT / "toolkit")
    parser.add_argument("--samples", type=Path, default=ROOT / "data_samples")
    args = parser.parse_args()
    runs = [run(args.toolkit, args.samples) for _ in range(args.repeats)]
    print(json.dumps({
        "toolkit": str(args.toolkit),
        "load_average": os.getloadavg(),
        "tradeoff_seconds": [r["tradeoff"] for r in runs],
        "median": statistics.median(r["tradeoff"] for r in runs),
        "imports_seconds": [r["imports"] for r in runs],
        "stages_of_median_run": sorted(runs, key=lambda r: r["tradeoff"])[len(runs) // 2]["stages"],
        "releases": runs[0]["releases"],
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
