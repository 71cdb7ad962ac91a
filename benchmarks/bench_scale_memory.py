"""Larger than memory on one machine: a ~5 GB CSV under a 1 GiB memory cgroup.

Run as root (a cgroup-v1 memory controller at /sys/fs/cgroup/memory):
``PYTHONPATH=toolkit .venv/bin/python benchmarks/bench_scale_memory.py [--size 5GB]
[--limit 1GiB] [--workdir DIR]``

1. Generates the seeded scale table (``scale_data.py``) to about ``--size`` bytes, with a
   fixed ZIP pool so the distinct QI tuples stay what a 1 GiB machine can count (memory
   for the class histograms is O(distinct tuples); the table says how many).
2. Creates a memory cgroup limited to ``--limit`` (no swap here) and runs, each in a fresh
   process inside it: ``privlab anonymize FILE --recipe RESOLVED --out OUT.parquet
   --memory-limit LIMIT``, ``privlab risk FILE --qi ... --memory-limit LIMIT`` and
   ``privlab profile FILE --engine stream --memory-limit LIMIT``.
3. Prints, per command: exit status (137 = killed by the OOM killer), wall time, the
   cgroup's peak usage (``memory.max_usage_in_bytes``, page cache included — the kernel
   reclaims it under the limit) and the process tree's peak private memory (RssAnon).

The resolved recipe's levels come from a search on the first 1,000,000 rows (outside the
cgroup); a run whose resolved levels need more suppression on the full file would exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
CGROUP = Path("/sys/fs/cgroup/memory")


def _cgroup(limit: int) -> Path:
    group = CGROUP / f"privlab-bench-{os.getpid()}"
    group.mkdir()
    (group / "memory.limit_in_bytes").write_text(str(limit))
    swap = group / "memory.memsw.limit_in_bytes"
    if swap.exists():
        swap.write_text(str(limit))
    return group


def main() -> None:
    import scale_data
    from privlab.anonymize import Hierarchy, KAnonymity, search
    from privlab.engine import parse_memory

    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="5GB")
    parser.add_argument("--limit", default="1GiB")
    parser.add_argument("--zip-pool", type=int, default=100)
    parser.add_argument("--qis", default="age,sex,zip,education")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    limit = parse_memory(args.limit)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="privlab-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"scale_{args.size}.csv"
    if not data.exists():
        t0 = time.perf_counter()
        rows = scale_data.generate(data, size=scale_data._size(args.size),
                                   zip_pool=args.zip_pool)  # fmt: skip
        print(f"generated {data} ({rows:,} rows) in {time.perf_counter() - t0:.0f} s")
    size = data.stat().st_size
    qis = args.qis.split(",")
    head = pl.read_csv(data, n_rows=1_000_000, columns=qis)
    hs = {q: Hierarchy.from_spec(scale_data.hierarchies()[q]) for q in qis}
    levels = search(head, hs, [KAnonymity(5)], max_suppression=0.02, progress=False).levels
    recipe = work / "resolved.yaml"
    recipe.write_text(yaml.safe_dump(scale_data.recipe(k=5, levels=levels, qis=qis)))
    privlab = str(Path(sys.executable).parent / "privlab")
    out = work / "released.parquet"
    for stale in (out, out.with_name(out.name + ".manifest.json")):
        stale.unlink(missing_ok=True)
    commands = {
        "anonymize (resolved)": [privlab, "anonymize", str(data), "--recipe", str(recipe),
                                 "--out", str(out), "--memory-limit", args.limit],
        "risk": [privlab, "risk", str(data), "--qi", ",".join(qis), "--sensitive",
                 "salary_class", "--memory-limit", args.limit, "--format", "json"],
        "profile (stream)": [privlab, "profile", str(data), "--engine", "stream",
                             "--memory-limit", args.limit, "--format", "json"],
    }  # fmt: skip
    load = os.getloadavg()[0]
    print(f"\n{data.name}: {size / 1e9:.2f} GB; cgroup limit {limit / 2**30:.2f} GiB; "
          f"load average {load:.1f} on {os.cpu_count()} cores; levels {levels}\n")  # fmt: skip
    print("| command | exit | wall time | cgroup peak (incl. page cache) | peak private memory |")
    print("|---|---|---|---|---|")
    env = {**os.environ, "PRIVLAB_HOME": str(work / "home"), "PRIVLAB_PROGRESS": "0"}
    for name, command in commands.items():
        group = _cgroup(limit)
        try:
            wrapped = ["sh", "-c", f'echo $$ > {group / "cgroup.procs"} && exec "$@"', "sh",
                       *command]  # fmt: skip
            peak, seconds, code = scale_data.peak_private_memory(wrapped, env=env)
            usage = int((group / "memory.max_usage_in_bytes").read_text())
        finally:
            for _ in range(50):
                try:
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)
        status = "ok" if code == 0 else ("killed (OOM)" if code in (137, -9) else f"exit {code}")
        print(f"| {name} | {status} | {seconds:.0f} s | {usage / 2**20:,.0f} MiB | "
              f"{peak / 2**20:,.0f} MiB |")  # fmt: skip


if __name__ == "__main__":
    main()
