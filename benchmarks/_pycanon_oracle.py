"""Measure k, ℓ (distinct, entropy) and t with pyCANON 1.3.6; run by .venv-oracles/pycanon.

Usage: python _pycanon_oracle.py DATA.csv CONFIG_JSON — prints one JSON object with the
figures and the seconds each took. Not imported by privlab (pyCANON pins its own stack).
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
from pycanon import anonymity

cfg = json.loads(sys.argv[2])
df = pd.read_csv(sys.argv[1], sep=cfg.get("sep", ","), dtype=cfg.get("dtypes"))
qi, sa = cfg["qi"], cfg.get("sa")
out = {}
t = time.perf_counter()
out["k"] = int(anonymity.k_anonymity(df, qi))
out["k_seconds"] = time.perf_counter() - t
if sa:
    t = time.perf_counter()
    out["l_distinct"] = int(anonymity.l_diversity(df, qi, [sa]))
    out["l_seconds"] = time.perf_counter() - t
    t = time.perf_counter()
    out["l_entropy"] = int(anonymity.entropy_l_diversity(df, qi, [sa]))
    out["le_seconds"] = time.perf_counter() - t
    t = time.perf_counter()
    out["t"] = float(anonymity.t_closeness(df, qi, [sa]))
    out["t_seconds"] = time.perf_counter() - t
print(json.dumps(out))
