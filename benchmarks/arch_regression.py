"""Architecture no-regression check (issue 12): an old commit's benchmark scripts, two toolkits.

The scripts of the *old* commit run unchanged against the old toolkit and the new one,
alternating old, new, new, old, old, new; each run's figure is already a median of the
script's own repeats. Prints a markdown table: best and median of the runs per side.

Setup (once)::

    git worktree add --detach /tmp/old 26212fd
    git worktree add --detach /tmp/new REV
    ln -s /work/shared /tmp/shared          # ../shared/data (Adult) beside the worktrees

Run: ``.venv/bin/python benchmarks/arch_regression.py [--old /tmp/old] [--new /tmp/new]``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

BENCHMARKS = [
    ("anonymize", "bench_anonymize.py --no-pycanon --rows 1000000 --repeats 5"),
    ("transforms", "bench_transforms.py 1000000"),
    ("profile", "bench_profile.py --rows 1000000 --baseline-rows 20000"),
    ("dp", "bench_dp.py --rows 1000000 --repeat 5 --skip-slow"),
]
ORDER = ["old", "new", "new", "old", "old", "new"]
_SEARCH = re.compile(r"^\| (\S[^|]*?) \| (\d+)% \|.*?\| (\d+) ms \(encode (\d+) ms\)", re.M)
_DP = re.compile(r"^(\d\w? .*?)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+\s+[\d.]+$", re.M)
_SECONDS = re.compile(r"^\s*(\S.*?)[: ]\s+([\d.]+) s\b", re.M)


def parse(name: str, out: str) -> dict[str, float]:
    """The figures of one script's output."""
    figures: dict[str, float] = {}
    if name == "anonymize":
        for m in _SEARCH.finditer(out):
            figures[f"search {m[1]} {m[2]}%"] = float(m[3])
            figures[f"encode {m[1]} {m[2]}%"] = float(m[4])
        risk = re.search(r"assess_risk.*?: ([\d.]+) s", out)
        if risk:
            figures["assess_risk"] = float(risk[1])
    elif name == "dp":
        for m in _DP.finditer(out):
            figures[m[1].strip() + " median"] = float(m[3])
            if m[1].startswith("3"):
                figures["3 first"] = float(m[2])
    else:
        figures.update({m[1].strip(): float(m[2]) for m in _SECONDS.finditer(out)})
    return figures


def _ratio(new: float, old: float) -> str:
    return f"{new / old:.2f}" if old else "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default="/tmp/old", type=Path)
    parser.add_argument("--new", default="/tmp/new", type=Path)
    args = parser.parse_args()
    toolkits = {"old": args.old / "toolkit", "new": args.new / "toolkit"}
    runs: dict[str, dict[str, list[float]]] = {"old": {}, "new": {}}
    for i, side in enumerate(ORDER):
        for name, command in BENCHMARKS:
            env = dict(os.environ, PYTHONPATH=str(toolkits[side]), PRIVLAB_PROGRESS="0")
            done = subprocess.run(
                [sys.executable, *f"benchmarks/{command}".split()],
                cwd=args.old, env=env, capture_output=True, text=True, timeout=900,
            )  # fmt: skip
            figures = parse(name, done.stdout)
            if not figures:
                raise SystemExit(f"{name} ({side}) printed no figures:\n{done.stderr[-2000:]}")
            for key, value in figures.items():
                runs[side].setdefault(f"{name} | {key}", []).append(value)
        print(f"round {i + 1}/{len(ORDER)} ({side}), load {os.getloadavg()}", file=sys.stderr)
    print("| benchmark | figure | old best / median | new best / median | bests | medians |")
    print("|---|---|---|---|---|---|")
    for key, old in runs["old"].items():
        new = runs["new"].get(key)
        if not new:
            continue
        bench, figure = key.split(" | ", 1)
        o_med, n_med = statistics.median(old), statistics.median(new)
        print(
            f"| {bench} | {figure} | {min(old):g} / {o_med:g} | {min(new):g} / {n_med:g} "
            f"| {_ratio(min(new), min(old))} | {_ratio(n_med, o_med)} |"
        )


if __name__ == "__main__":
    main()
