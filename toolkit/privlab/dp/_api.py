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

from privlab.dp._ledger import Budget, Ledger
from privlab.exceptions import DPQueryError
from privlab.release import default_gate

__all__ = ["budget", "ledger", "loss", "loss_by_period", "set_budget"]


def budget(dataset: str) -> Budget:
    """The budget of a registered dataset (by name or alias)."""
    return Ledger().budget(dataset)


def ledger(dataset: str | None = None) -> pl.DataFrame:
    """Every recorded release, for one dataset or all of them."""
    return Ledger().entries(dataset)


def set_budget(
    dataset: str, *, epsilon: float, delta: float | None = None, reason: str | None = None
) -> None:
    """Set a dataset's total budget (lifetime ε, and δ if given) on its store entry.

    Needs the dataset's owner or a steward in governed mode; every change is
    audited with the old and new totals (and *reason*).

    Raises
    ------
    DPQueryError
        If ``epsilon`` is not a finite number >= 0 or ``delta`` not in [0, 1).
    """
    import math

    if (
        isinstance(epsilon, bool)
        or not isinstance(epsilon, int | float)
        or not (math.isfinite(epsilon) and epsilon >= 0)
    ):
        raise DPQueryError(f"a budget's epsilon must be a finite number >= 0, got {epsilon!r}")
    if delta is not None and (
        isinstance(delta, bool) or not isinstance(delta, int | float) or not 0 <= delta < 1
    ):
        raise DPQueryError(f"a budget's delta must be in [0, 1), got {delta!r}")
    led = Ledger()
    name = led.dataset(dataset).name
    # owner or steward in governed mode (CONTRACTS.md "Roles"); the store audits the change
    default_gate(led.store).authorize("set_budget", dataset=name)
    led.store.set_budget(
        name, epsilon=float(epsilon), delta=None if delta is None else float(delta), reason=reason
    )


def loss(
    dataset: str, *, since: datetime | None = None, until: datetime | None = None
) -> tuple[float, float]:
    """(ε, δ) spent in ``[since, until)`` — lifetime when both are ``None``."""
    return Ledger().loss(dataset, since=since, until=until)


def loss_by_period(dataset: str, period: str = "1mo") -> pl.DataFrame:
    """ε and δ spent per calendar period (``1d``, ``1w``, ``1mo``, ``1y``)."""
    return Ledger().loss_by_period(dataset, period)
