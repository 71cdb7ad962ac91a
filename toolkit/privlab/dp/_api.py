"""Module-level budget functions: read and set a dataset's budget without a session.

Examples
--------
>>> import polars as pl, privlab.dp as pdp
>>> with pdp.DPSession(pl.DataFrame({"x": [1, 2, 3] * 100}), dataset="tiny") as s:
...     _ = s.count(epsilon=0.25)
>>> pdp.set_budget("tiny", epsilon=3.0)
>>> b = pdp.budget("tiny")
>>> b.epsilon_total, round(b.epsilon_spent, 6), round(b.epsilon_remaining, 6)
(3.0, 0.25, 2.75)
>>> pdp.ledger("tiny")["statistic"].to_list()
['count()']
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from privlab._validate import check_delta, check_epsilon
from privlab.dp._ledger import Budget, Ledger

__all__ = ["budget", "ledger", "loss", "loss_by_period", "set_budget"]


def budget(dataset: str) -> Budget:
    """The budget of a registered dataset (by name or alias)."""
    return Ledger().budget(dataset)


def ledger(dataset: str | None = None) -> pl.DataFrame:
    """Every recorded release, for one dataset or all of them."""
    return Ledger().entries(dataset)


def set_budget(dataset: str, *, epsilon: float, delta: float | None = None) -> None:
    """Set a dataset's total budget (lifetime ε, and δ if given) on its store entry.

    Raises
    ------
    DPQueryError
        If ``epsilon`` is not a finite number >= 0 or ``delta`` not in [0, 1).
    """
    led = Ledger()
    kwargs = {"epsilon": check_epsilon(epsilon, allow_zero=True)}
    if delta is not None:
        kwargs["delta"] = check_delta(delta)
    led.store.set_budget(led.dataset(dataset).name, **kwargs)


def loss(
    dataset: str, *, since: datetime | None = None, until: datetime | None = None
) -> tuple[float, float]:
    """(ε, δ) spent in ``[since, until)`` — lifetime when both are ``None``."""
    return Ledger().loss(dataset, since=since, until=until)


def loss_by_period(dataset: str, period: str = "1mo") -> pl.DataFrame:
    """ε and δ spent per calendar period (``1d``, ``1w``, ``1mo``, ``1y``)."""
    return Ledger().loss_by_period(dataset, period)
