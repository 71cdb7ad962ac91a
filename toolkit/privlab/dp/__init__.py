"""Differential privacy over OpenDP: sessions, a persistent budget ledger, accuracy-driven ε.

Everything noisy comes from OpenDP's polars API (``dp.Context.compositor``);
privlab adds the analyst-facing glue: query specs, answers with confidence
intervals, a ledger in the privlab store that survives the process and never
lets two processes overspend, ε from a target accuracy, and automatic
clipping bounds. OpenDP is imported (and its ``contrib`` features enabled)
only when a session is created.

Examples
--------
>>> import polars as pl, privlab.dp as pdp
>>> df = pl.DataFrame({"age": list(range(20, 70)) * 40})
>>> with pdp.DPSession(df, dataset="ages") as s:
...     ans = s.mean("age", bounds=(0, 100), epsilon=1.0)
>>> 30 < ans["estimate"][0] < 60
True
"""

from __future__ import annotations

from privlab.dp._api import (
    budget,
    budget_group,
    declare_independent,
    ledger,
    loss,
    loss_by_period,
    set_budget,
)
from privlab.dp._ledger import Budget, Ledger
from privlab.dp._queries import DPQuery, count, histogram, mean, median, quantile, sum
from privlab.dp._session import DPSession

__all__ = [
    "Budget",
    "DPQuery",
    "DPSession",
    "Ledger",
    "budget",
    "budget_group",
    "count",
    "declare_independent",
    "histogram",
    "ledger",
    "loss",
    "loss_by_period",
    "mean",
    "median",
    "quantile",
    "set_budget",
    "sum",
]
