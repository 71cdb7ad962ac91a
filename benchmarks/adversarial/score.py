"""Score privlab's profile against the adversarial table's answer key.

``python benchmarks/adversarial/score.py [--rows N] [--seed S] [--data CSV --key JSON]``
generates the table (or reads one), profiles it and prints, per column, the
expected and found role and type, then the three figures the issue asks for:
roles right, direct identifiers found, decoys called direct identifiers.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

HERE = Path(__file__).resolve().parent


def score(data: Path, key_path: Path) -> dict[str, Any]:
    """Per-column verdicts and the headline counts (profile of *data* vs *key_path*)."""
    import privlab as pv

    key = json.loads(key_path.read_text(encoding="utf-8"))
    frame = pl.read_csv(data, infer_schema_length=10_000)
    profile = pv.profile(frame)
    rows = []
    for name, want in key.items():
        col = profile.column(name)
        rows.append(
            {
                "column": name,
                "meaning": want["meaning"],
                "role": want["role"],
                "found_role": col.role,
                "type": want["pii_type"],
                "found_type": col.semantic_type,
            }
        )
    direct = [r for r in rows if r["role"] == "direct_identifier"]
    decoys = [r for r in rows if r["role"] == "other"]
    return {
        "columns": rows,
        "roles_right": sum(r["role"] == r["found_role"] for r in rows),
        "columns_total": len(rows),
        "direct_found": sum(r["found_role"] == "direct_identifier" for r in direct),
        "direct_total": len(direct),
        "decoys_direct": sum(r["found_role"] == "direct_identifier" for r in decoys),
        "decoys_total": len(decoys),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--key", type=Path)
    args = parser.parse_args()
    if args.data is None:
        sys.path.insert(0, str(HERE))
        from generate import generate

        args.data, args.key = generate(
            Path(tempfile.mkdtemp(prefix="adversarial-")), rows=args.rows, seed=args.seed
        )
    result = score(args.data, args.key)
    for r in result["columns"]:
        mark = " " if r["role"] == r["found_role"] else "✗"
        print(f"{mark} {r['column']} {r['meaning']:<14} {r['role']:<18} {r['found_role']:<18} "
              f"{r['type'] or '-':<16} {r['found_type']}")  # fmt: skip
    print(
        f"roles right {result['roles_right']}/{result['columns_total']}; direct identifiers "
        f"found {result['direct_found']}/{result['direct_total']}; decoys called direct "
        f"identifiers {result['decoys_direct']}/{result['decoys_total']}"
    )


if __name__ == "__main__":
    main()
