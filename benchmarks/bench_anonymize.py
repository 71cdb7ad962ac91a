"""Anonymization benchmarks: like for like against ARX, scale, and the k/ℓ/t check vs pyCANON.

Run: ``PYTHONPATH=toolkit .venv/bin/python benchmarks/bench_anonymize.py [--repeats 7]
[--scale 30000,1000000,10000000] [--no-pycanon] [--no-check]``

1. **Like for like** on Adult (../shared/data): ``search()`` on the loaded table — its own
   encoding included, as ARX's warm ``anonymize()`` includes ARX's — and the search with a
   warm :class:`~privlab.anonymize.EncodingCache` (a repeated search of the same data),
   beside a plain ``group_by(QIs).len()`` timed in the same rounds, interleaved
   configuration by configuration. ARX's figures are the issue's (ARX 3.9.2 built from
   source, quiet machine, medians of two rounds × 5 warm calls).
2. **Adult × 33** (995,346 rows, the same 18,109 distinct tuples): search + encode against
   Adult's search + encode + 1.5 × ``group_by(QIs).len()`` of Adult × 33.
3. **Scale**: the seeded generator of ``benchmarks/scale_data.py`` (distinct tuples grow
   with the rows): encode and search in memory, then the resolved recipe applied with the
   streamed engine (``privlab anonymize``) with its peak private memory (RssAnon).
4. Checking k, ℓ and t on Adult × 33: ``assess_risk`` against pyCANON 1.3.6 (own venv).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import yaml

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT.parent / "shared" / "data" / "adult"
sys.path.insert(0, str(ROOT / "benchmarks"))
QIS = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass",
       "occupation"]  # fmt: skip
# name, k, ℓ (distinct, on salary-class), suppression, ARX node, ARX loss, ARX suppressed,
# ARX warm anonymize() in ms (the medians; None: not published)
CONFIGS: list[tuple[str, int, int | None, float, Any, float | None, int | None, float | None]] = [
    ("k=5, 0 %", 5, None, 0.0, (0, 4, 0, 2, 3, 2, 2, 1), 0.59158, 0, 62),
    ("k=5, 5 %", 5, None, 0.05, (0, 3, 0, 0, 1, 1, 1, 2), 0.25185, 1458, 510),
    ("k=5 + distinct 2-div, 5 %", 5, 2, 0.05, (0, 4, 0, 2, 1, 1, 0, 1), 0.32828, 1389, 427),
    ("k=2, 0 %", 2, None, 0.0, (0, 4, 0, 1, 3, 2, 2, 1), 0.52664, 0, 37),
    ("k=20, 0 %", 20, None, 0.0, None, None, None, 21),
    ("k=10, 2 % (not in the issue)", 10, None, 0.02, None, None, None, None),
    ("k=3 + distinct 2-div, 0 % (not in the issue)", 3, 2, 0.0, None, None, None, None),
]


def _median_ms(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, out


def bench_like_for_like(repeats: int) -> None:
    from privlab.anonymize import EncodingCache, Hierarchy, KAnonymity, LDiversity, search
    from privlab.anonymize._lattice import encode

    frame = pl.read_csv(ADULT / "adult.csv", separator=";")
    hs = {q: Hierarchy.from_arx_csv(ADULT / f"adult_hierarchy_{q}.csv") for q in QIS}
    print("## Like for like on Adult (30,162 records, 8 QIs, 6,480 nodes)\n")
    print(f"Medians of {repeats} warm calls per configuration, configurations interleaved; "
          "`group_by` = `frame.group_by(QIs).len()` timed in the same rounds.\n")  # fmt: skip
    print("| configuration | node | loss | suppressed | nodes evaluated | group_by | encode "
          "| search + encode | cached-encoding search | ARX warm `anonymize()` | ratio ARX / "
          "privlab | agrees with ARX |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, k, l_value, supp, node, loss, suppressed, arx_ms in CONFIGS:
        models: list[Any] = [KAnonymity(k)]
        if l_value is not None:
            models.append(LDiversity("salary-class", l_value))
        cols = QIS + (["salary-class"] if l_value is not None else [])
        cache = EncodingCache()
        search(frame, hs, models, max_suppression=supp, cache=cache, progress=False)  # warm-up
        rounds: dict[str, list[float]] = {"gb": [], "enc": [], "full": [], "cached": []}
        result = None
        for _ in range(repeats):  # interleaved: one of each per round
            rounds["gb"].append(_median_ms(lambda c=cols: frame.group_by(c).len(), 1)[0])
            rounds["enc"].append(_median_ms(lambda m=models: encode(frame, hs, m), 1)[0])
            ms, result = _median_ms(
                lambda m=models, s=supp: search(frame, hs, m, max_suppression=s, progress=False), 1
            )
            rounds["full"].append(ms)
            rounds["cached"].append(
                _median_ms(
                    lambda m=models, s=supp, c=cache: search(
                        frame, hs, m, max_suppression=s, cache=c, progress=False
                    ),
                    1,
                )[0]
            )
        med = {key: statistics.median(v) for key, v in rounds.items()}
        assert result is not None
        assert result.node is not None
        agree = "—"
        if node is not None:
            ok = (result.node == node and round(result.loss or 0, 5) == loss
                  and result.suppressed == suppressed)  # fmt: skip
            agree = "yes" if ok else "NO"
        ratio = "—" if arx_ms is None else f"{arx_ms / med['full']:.2f}×"
        arx = "—" if arx_ms is None else f"{arx_ms} ms"
        print(
            f"| {name} | {list(result.node)} | {result.loss:.5f} | {result.suppressed:,} | "
            f"{result.stats['nodes_evaluated']:,} | {med['gb']:.1f} ms | {med['enc']:.1f} ms "
            f"({med['enc'] / med['gb']:.2f}× group_by) | {med['full']:.1f} ms | "
            f"{med['cached']:.1f} ms | {arx} | {ratio} | {agree} |"
        )


def bench_replicated(repeats: int, copies: int = 33) -> None:
    from privlab.anonymize import Hierarchy, KAnonymity, search

    base = pl.read_csv(ADULT / "adult.csv", separator=";")
    big = pl.concat([base] * copies)
    hs = {q: Hierarchy.from_arx_csv(ADULT / f"adult_hierarchy_{q}.csv") for q in QIS}
    print(f"\n## Adult × {copies} ({big.height:,} rows, the same distinct tuples)\n")
    print("| configuration | Adult search + encode | Adult × 33 search + encode | "
          "group_by over Adult × 33 | budget (Adult + 1.5 × group_by) | nodes evaluated | "
          "within budget |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for supp in (0.0, 0.05):
        models = [KAnonymity(5)]
        small_ms, _ = _median_ms(
            lambda s=supp, m=models: search(base, hs, m, max_suppression=s, progress=False), repeats
        )
        gb_ms, _ = _median_ms(lambda: big.group_by(QIS).len(), max(3, repeats // 2))
        big_ms, result = _median_ms(
            lambda s=supp, m=models: search(big, hs, m, max_suppression=s, progress=False),
            max(3, repeats // 2),
        )
        budget = small_ms + 1.5 * gb_ms
        print(
            f"| k=5, {supp:.0%} | {small_ms:.0f} ms | {big_ms:.0f} ms | {gb_ms:.0f} ms | "
            f"{budget:.0f} ms | {result.stats['nodes_evaluated']} | "
            f"{'yes' if big_ms <= budget else 'NO'} |"
        )


def bench_scale(sizes: list[int], workdir: Path) -> None:
    import scale_data
    from privlab.anonymize import Hierarchy, KAnonymity, search

    print("\n## Scale: the generated census-like table (distinct tuples grow with the rows)\n")
    print("QIs age, sex, zip, education, marital status (rule-based hierarchies), k = 5, "
          "5 % suppression. Encode and search: `search()` on the loaded table. Apply: "
          "`privlab anonymize FILE --recipe RESOLVED` (streamed: fit, batched class counts, "
          "sink_parquet, verification of the written file, gate) in a fresh process; peak "
          "private memory (RssAnon, sampled every 20 ms) of that process.\n")  # fmt: skip
    print("| rows | distinct QI tuples | encode | search | nodes evaluated | apply (streamed, "
          "end to end) | peak private memory (apply) | CSV size |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    hs = {q: Hierarchy.from_spec(spec) for q, spec in scale_data.hierarchies().items()}
    for rows in sizes:
        path = workdir / f"scale_{rows}.csv"
        if not path.exists():
            scale_data.generate(path, rows=rows)
        frame = pl.read_csv(path, columns=scale_data.QIS)
        t0 = time.perf_counter()
        result = search(frame, hs, [KAnonymity(5)], max_suppression=0.05, progress=False)
        total = time.perf_counter() - t0
        enc = result.stats["encode_seconds"]
        distinct = result.stats["distinct_rows"]
        del frame
        recipe = scale_data.recipe(k=5, levels=result.levels)
        recipe_path = workdir / f"resolved_{rows}.yaml"
        recipe_path.write_text(yaml.safe_dump(recipe))
        out = workdir / f"released_{rows}.parquet"
        for stale in (out, out.with_name(out.name + ".manifest.json")):
            stale.unlink(missing_ok=True)
        cmd = [str(Path(sys.executable).parent / "privlab"), "anonymize", str(path), "--recipe",
               str(recipe_path), "--out", str(out)]  # fmt: skip
        env = {**os.environ, "PRIVLAB_HOME": str(workdir / "home"), "PRIVLAB_PROGRESS": "0"}
        peak, seconds, code = scale_data.peak_private_memory(cmd, env=env)
        status = "" if code == 0 else f" (exit {code})"
        print(
            f"| {rows:,} | {distinct:,} | {enc:.2f} s | {total - enc:.2f} s | "
            f"{result.stats['nodes_evaluated']} | {seconds:.1f} s{status} | "
            f"{peak / 2**20:,.0f} MiB | {path.stat().st_size / 1e6:,.0f} MB |"
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
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--scale", default="30000,1000000,10000000")
    parser.add_argument("--workdir", default=None, help="where generated files go (reused)")
    parser.add_argument("--no-pycanon", action="store_true")
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args()
    if not (ADULT / "adult.csv").exists():
        sys.exit(f"Adult data not found at {ADULT}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    bench_like_for_like(args.repeats)
    bench_replicated(args.repeats)
    sizes = [int(s) for s in args.scale.split(",") if s]
    if sizes:
        workdir = Path(args.workdir or tempfile.mkdtemp(prefix="privlab-scale-"))
        workdir.mkdir(parents=True, exist_ok=True)
        bench_scale(sizes, workdir)
    if not args.no_check:
        bench_check(args.rows, not args.no_pycanon)


if __name__ == "__main__":
    main()
