"""A seeded, realistic scale data set whose distinct QI tuples grow with the rows.

Replicating Adult keeps its 18,109 distinct QI tuples whatever the row count, which
hides every cost that follows the distinct tuples. This generator draws people the
way a census extract looks: age (skewed, 17–90), sex, a 5-digit ZIP code from a pool
that grows with the rows (about one ZIP per 40 records, clustered by 3-digit
region), education (16 levels), marital status (7), race (5), occupation (14), a
salary class and a diagnosis (the sensitive attributes), an income and a unique
record key. So the number of distinct (age, sex, zip, education, marital status)
tuples grows with the rows — about 0.7 M at 1 M rows and 5 M at 10 M rows.
``--zip-pool`` fixes the ZIP pool instead, so files of different sizes share the
same distinct tuples (what the memory-growth test needs).

Deterministic: each block of rows is drawn from its own ``numpy`` generator seeded
by ``(seed, block)``, so the same arguments give byte-identical files.

Usage::

    python benchmarks/scale_data.py OUT.csv --rows 1000000 [--seed 7] [--zip-pool N]
    python benchmarks/scale_data.py OUT.csv --size 5GB

The companion ``scale_recipe(...)`` gives the hierarchies and recipe the scale
benchmark and the memory test use.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

BLOCK = 250_000
EDUCATION = ["Preschool", "1st-4th", "5th-6th", "7th-8th", "9th", "10th", "11th", "12th",
             "HS-grad", "Some-college", "Assoc-voc", "Assoc-acdm", "Bachelors", "Masters",
             "Prof-school", "Doctorate"]  # fmt: skip
EDU_P = np.array([1, 2, 4, 8, 6, 12, 14, 5, 120, 90, 17, 13, 65, 22, 7, 5], dtype=float)
MARITAL = ["Never-married", "Married-civ-spouse", "Divorced", "Separated", "Widowed",
           "Married-spouse-absent", "Married-AF-spouse"]  # fmt: skip
MARITAL_P = np.array([33, 46, 14, 3, 3, 1, 0.1])
RACE = ["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"]
RACE_P = np.array([85, 9.5, 3, 1, 1.5])
OCCUPATION = ["Tech-support", "Craft-repair", "Other-service", "Sales", "Exec-managerial",
              "Prof-specialty", "Handlers-cleaners", "Machine-op-inspct", "Adm-clerical",
              "Farming-fishing", "Transport-moving", "Priv-house-serv", "Protective-serv",
              "Armed-Forces"]  # fmt: skip
OCC_P = np.array([3, 13, 10, 12, 13, 13, 4, 6, 12, 3, 5, 0.5, 2, 0.1])
DIAGNOSIS = [f"D{i:02d}" for i in range(20)]
QIS = ["age", "sex", "zip", "education", "marital_status"]
SENSITIVE = "diagnosis"


def zip_pool_for(rows: int) -> int:
    """The default ZIP pool: grows with the rows (about one ZIP per 40 records)."""
    return max(100, rows // 40)


def block(seed: int, index: int, start: int, rows: int, zip_pool: int) -> pl.DataFrame:
    """Rows ``start .. start + rows`` of the data set (independent of other blocks)."""
    rng = np.random.default_rng([seed, index])
    age = np.clip(np.round(17 + rng.gamma(3.2, 7.5, rows)), 17, 90).astype(np.int64)
    sex = np.where(rng.random(rows) < 0.49, "F", "M")
    # ZIPs: 3-digit regions with a Zipf-like weight, then a code within the region
    regions = max(10, zip_pool // 50)
    region = np.minimum(rng.zipf(1.3, rows) - 1, regions - 1)
    within = rng.integers(0, max(1, zip_pool // regions), rows)
    zipcode = 10_000 + region * 100 + within % 100 + (within // 100) * 100 * regions
    zipcode = np.minimum(zipcode, 99_999)
    edu = rng.choice(len(EDUCATION), rows, p=EDU_P / EDU_P.sum())
    marital = rng.choice(len(MARITAL), rows, p=MARITAL_P / MARITAL_P.sum())
    race = rng.choice(len(RACE), rows, p=RACE_P / RACE_P.sum())
    occ = rng.choice(len(OCCUPATION), rows, p=OCC_P / OCC_P.sum())
    income = np.round(rng.lognormal(10.4 + 0.04 * edu, 0.6), -2).astype(np.int64)
    salary = np.where(income > 50_000, ">50K", "<=50K")
    diagnosis = rng.choice(len(DIAGNOSIS), rows, p=_diag_p())
    return pl.DataFrame(
        {
            "record_id": pl.int_range(start, start + rows, eager=True).cast(pl.String),
            "age": age,
            "sex": sex,
            "zip": pl.Series(zipcode).cast(pl.String).str.zfill(5),
            "education": pl.Series(np.array(EDUCATION)[edu]),
            "marital_status": pl.Series(np.array(MARITAL)[marital]),
            "race": pl.Series(np.array(RACE)[race]),
            "occupation": pl.Series(np.array(OCCUPATION)[occ]),
            "income": income,
            "salary_class": salary,
            "diagnosis": pl.Series(np.array(DIAGNOSIS)[diagnosis]),
        }
    ).with_columns(("R" + pl.col("record_id").str.zfill(10)).alias("record_id"))


def _diag_p() -> np.ndarray:
    p = 1.0 / np.arange(1, len(DIAGNOSIS) + 1) ** 0.8
    return p / p.sum()


def generate(
    path: str | Path,
    *,
    rows: int | None = None,
    size: int | None = None,
    seed: int = 7,
    zip_pool: int | None = None,
) -> int:
    """Write the CSV; give *rows*, or *size* in bytes (rows are added until it is reached).

    Returns the number of rows written.
    """
    if (rows is None) == (size is None):
        raise ValueError("give exactly one of rows= or size=")
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    pool = zip_pool if zip_pool is not None else zip_pool_for(rows or (size or 0) // 110)
    written = 0
    with tmp.open("wb") as handle:
        index = 0
        while True:
            want = BLOCK if rows is None else min(BLOCK, rows - written)
            if want <= 0:
                break
            frame = block(seed, index, written, want, pool)
            frame.write_csv(handle, include_header=index == 0)
            written += want
            index += 1
            if size is not None and handle.tell() >= size:
                break
    tmp.replace(target)
    return written


def repeat_file(source: str | Path, target: str | Path, times: int) -> None:
    """Write *source*'s rows *times* over (one header): more rows, the same distinct tuples."""
    src, dst = Path(source), Path(target)
    tmp = dst.with_name(f".{dst.name}.tmp")
    with src.open("rb") as handle:
        header = handle.readline()
        offset = handle.tell()
    with tmp.open("wb") as out:
        out.write(header)
        for _ in range(times):
            with src.open("rb") as handle:
                handle.seek(offset)
                shutil.copyfileobj(handle, out, 1 << 22)
    tmp.replace(dst)


def peak_private_memory(command: Sequence[str], *, env: dict[str, str] | None = None,
                        interval: float = 0.02) -> tuple[int, float, int]:  # fmt: skip
    """Run *command*; return (peak RssAnon in bytes over the process tree, seconds, exit code).

    Private (anonymous) memory, not RSS: polars' CSV scan memory-maps the file, and
    mapped file pages count in RSS although the kernel can drop them at any time.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(list(command), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_anon(proc.pid))
        time.sleep(interval)
    _, err = proc.communicate()
    if proc.returncode:
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    return peak, time.perf_counter() - start, proc.returncode


def _tree_rss_anon(pid: int) -> int:
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("RssAnon:"):
                total += int(line.split()[1]) * 1024
        pids.extend(int(c) for c in children)
    return total


def hierarchies() -> dict[str, dict[str, Any]]:
    """Recipe hierarchies for the QIs (rule-based, so they cover any generated value)."""
    return {
        "age": {"type": "interval", "widths": [5, 10, 20]},
        "sex": {"type": "suppress"},
        "zip": {"type": "prefix", "keep": [4, 3, 2, 1]},
        "education": {"type": "suppress"},
        "marital_status": {"type": "suppress"},
    }


def recipe(*, k: int = 5, levels: dict[str, int] | None = None, sensitive: bool = False,
           max_suppression: float = 0.05, qis: Sequence[str] = QIS) -> dict[str, Any]:  # fmt: skip
    """The scale recipe: drop the record key and income, k-anonymity on the QIs."""
    privacy: dict[str, Any] = {
        "quasi_identifiers": list(qis),
        "hierarchies": {q: h for q, h in hierarchies().items() if q in qis},
        "k": k,
        "max_suppression": max_suppression,
    }
    if sensitive:
        privacy["l"] = {"column": SENSITIVE, "l": 2}
    if levels is not None:
        privacy["resolved"] = {"levels": levels}
    return {"steps": [{"op": "drop", "columns": ["record_id", "income"]}], "privacy": privacy}


def _size(text: str) -> int:
    units = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}
    upper = text.strip().upper()
    for unit, factor in sorted(units.items(), key=lambda kv: -len(kv[0])):
        if upper.endswith(unit):
            return int(float(upper[: -len(unit)]) * factor)
    return int(upper)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--rows", type=int)
    group.add_argument("--size", type=_size, help="target file size, e.g. 5GB")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--zip-pool", type=int, default=None)
    args = parser.parse_args(argv)
    n = generate(args.out, rows=args.rows, size=args.size, seed=args.seed, zip_pool=args.zip_pool)
    print(f"{args.out}: {n:,} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
