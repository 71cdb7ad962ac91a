"""Measure k, ℓ (distinct, entropy), t and DM with pyCANON 1.3.6; run by .venv-oracles/pycanon.

Usage: python _pycanon_oracle.py DATA.csv CONFIG_JSON — prints one JSON object with the
figures and the seconds each took. Not imported by privlab (pyCANON pins its own stack).
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
from pycanon import anonymity, metrics

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
if cfg.get("raw"):  # the original table: pyCANON's discernibility metric (DM)
    raw = pd.read_csv(cfg["raw"], sep=cfg.get("raw_sep", ","), dtype=str)
    t = time.perf_counter()
    out["dm"] = int(metrics.discernability_metric(raw, df, qi))
    out["dm_seconds"] = time.perf_counter() - t
print(json.dumps(out))
