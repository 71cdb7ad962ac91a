"""The calibration table of RESULTS.md: every synthetic-data risk figure on every calibration set.

Run: ``PYTHONPATH=toolkit .venv/bin/python benchmarks/bench_calibration.py [--adult-rows 4000]``

Same construction as ``tests/synth/test_calibration.py`` (``benchmarks/_calibration.py``):
patients sample (3 × 1,600 rows, identifiers and free text left out) and, when
../shared/data is present, Adult (3 × ``--adult-rows``), at the default ``n_attacks``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
PATIENT_COLUMNS = [
    "date_of_birth",
    "sex",
    "zip_code",
    "city",
    "admission_date",
    "discharge_date",
    "diagnosis_code",
    "insurance_plan",
    "total_charges",
]


def _calibration():
    spec = importlib.util.spec_from_file_location(
        "_calibration", ROOT / "benchmarks" / "_calibration.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--adult-rows", type=int, default=4000)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--n-attacks", type=int, default=None)
    args = parser.parse_args()
    cal = _calibration()
    tables = {
        "patients": (
            pl.read_csv(ROOT / "data_samples" / "patients.csv").select(PATIENT_COLUMNS),
            1600,
        )
    }
    adult = args.shared / "data" / "adult" / "adult.csv"
    if adult.exists():
        tables["adult"] = (pl.read_csv(adult, separator=";"), args.adult_rows)
    report = {"load_average": os.getloadavg()}
    for name, (data, n) in tables.items():
        train, holdout, fresh = cal.split(data, n)
        results = cal.evaluate_sets(
            train, holdout, cal.synthetic_sets(train, fresh), n_attacks=args.n_attacks
        )
        print(f"\n### {name}: train = holdout = fresh = {n:,} rows\n")
        print(cal.markdown(results))
        report[name] = results
    print(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
