"""Put a sample into a privlab store through privlab's own API (tests and the Galata test).

    python privlab_seed.py HOME register CSV [--budget E]   register + profile, set the ε budget
    python privlab_seed.py HOME spend CSV EPSILON           a DP count spending EPSILON

The dataset is called after the file's stem (``patients.csv`` -> ``patients``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import privlab as pv
import privlab.dp as pdp
from privlab.governance import Governance


def register(home: Path, csv: Path, *, budget: float = 2.0, user: str = "analyst") -> str:
    """Register *csv* as *user*, with its profile, and give it *budget* ε; returns its name."""
    name = csv.stem
    with pv.config_context(home=home, user=user, progress=False):
        gov = Governance()
        gov.register_dataset(
            name,
            csv,
            department="cardiology",
            purpose="readmission research",
            profile=pv.profile(csv),
        )
        gov.approve(name)
        pdp.set_budget(name, epsilon=budget)
    return name


def spend(home: Path, csv: Path, epsilon: float, *, user: str = "analyst") -> None:
    """Spend *epsilon* on *csv*'s dataset with one DP count (a catalogued dp release)."""
    with (
        pv.config_context(home=home, user=user, progress=False),
        pdp.DPSession(csv, dataset=csv.stem) as s,
    ):
        s.count(epsilon=epsilon)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("action", choices=["register", "spend"])
    parser.add_argument("csv", type=Path)
    parser.add_argument("epsilon", type=float, nargs="?")
    parser.add_argument("--budget", type=float, default=2.0)
    args = parser.parse_args()
    os.environ.setdefault("PRIVLAB_PROGRESS", "0")
    if args.action == "register":
        register(args.home, args.csv, budget=args.budget)
    else:
        if args.epsilon is None:
            parser.error("spend needs EPSILON")
        spend(args.home, args.csv, args.epsilon)


if __name__ == "__main__":
    main()
