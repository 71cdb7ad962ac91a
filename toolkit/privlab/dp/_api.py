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

__all__ = [
    "budget",
    "budget_group",
    "declare_independent",
    "ledger",
    "loss",
    "loss_by_period",
    "set_budget",
]


def budget(dataset: str) -> Budget:
    """The budget of a registered dataset (by name or alias)."""
    return Ledger().budget(dataset)


def ledger(dataset: str | None = None) -> pl.DataFrame:
    """Every recorded release, for one dataset or all of them."""
    return Ledger().entries(dataset)


def set_budget(dataset: str, *, epsilon: float | None = None, delta: float | None = None) -> None:
    """Set a dataset's total budget (lifetime ε, and δ if given) — role-checked and audited.

    Datasets linked as derived from one another share one budget; this sets it.
    In governed mode only the dataset's owner or a steward may set or raise a
    budget (:class:`~privlab.exceptions.AccessDeniedError`, audited); in
    personal mode anyone may, and the change is audited with who and when.

    Raises
    ------
    DPQueryError
        If ``epsilon`` is not a finite number >= 0 or ``delta`` not in [0, 1).
    """
    Ledger().set_budget(dataset, epsilon=epsilon, delta=delta)


def declare_independent(dataset: str, other: str, *, reason: str) -> bool:
    """Declare that ``dataset`` and ``other`` describe different people: separate budgets.

    Undoes a derived-dataset link between them (an ``unlink`` audit event)
    and keeps them from being linked again. Needs the dataset's owner or a
    steward in governed mode; audited with the reason in any mode.

    Returns
    -------
    bool
        Whether a link was removed.

    Examples
    --------
    >>> import polars as pl, privlab.dp as pdp
    >>> base = pl.DataFrame({"income": [1000.0 + 7 * i for i in range(200)]})
    >>> pdp.DPSession(base, dataset="survey").close()
    >>> pdp.DPSession(base.head(150), dataset="survey-part").close()   # a subset: linked
    >>> pdp.budget_group("survey-part")
    ['survey', 'survey-part']
    >>> pdp.declare_independent("survey-part", "survey", reason="different wave, other people")
    True
    >>> pdp.budget_group("survey-part")
    ['survey-part']
    """
    return Ledger().declare_independent(dataset, other, reason=reason)


def budget_group(dataset: str) -> list[str]:
    """Names of every dataset charged to the same budget as ``dataset`` (its owner first)."""
    return Ledger().group(dataset)


def loss(
    dataset: str, *, since: datetime | None = None, until: datetime | None = None
) -> tuple[float, float]:
    """(ε, δ) spent in ``[since, until)`` — lifetime when both are ``None``."""
    return Ledger().loss(dataset, since=since, until=until)


def loss_by_period(dataset: str, period: str = "1mo") -> pl.DataFrame:
    """ε and δ spent per calendar period (``1d``, ``1w``, ``1mo``, ``1y``)."""
    return Ledger().loss_by_period(dataset, period)
