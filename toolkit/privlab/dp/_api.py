"""Module-level budget functions: read and set a dataset's budget without a session.

Each works on the configured store (:func:`privlab.open_store`) through a
:class:`~privlab.dp.Ledger`; use a ``Ledger(store)`` directly for another store.
Datasets are named by any of their names or aliases.
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
    """The budget of a registered dataset (by name or alias).

    Parameters
    ----------
    dataset:
        A name or alias of a dataset in the store.

    Returns
    -------
    Budget
        Total, spent (reserved releases included) and remaining ε and δ of the
        budget *dataset* is charged to (shared by every dataset linked to it).

    Raises
    ------
    DatasetNotFoundError
        If no dataset has that name.

    Examples
    --------
    >>> import polars as pl, privlab.dp as pdp
    >>> with pdp.DPSession(pl.DataFrame({"x": [1, 2, 3] * 100}), dataset="visits") as s:
    ...     _ = s.count(epsilon=0.25)
    >>> pdp.set_budget("visits", epsilon=3.0)
    >>> b = pdp.budget("visits")
    >>> b.epsilon_total, b.epsilon_spent, b.epsilon_remaining, b.releases
    (3.0, 0.25, 2.75, 1)
    """
    return Ledger().budget(dataset)


def ledger(dataset: str | None = None) -> pl.DataFrame:
    """Every recorded release, for one dataset or all of them.

    Parameters
    ----------
    dataset:
        A dataset name or alias; ``None`` lists every dataset's releases.

    Returns
    -------
    polars.DataFrame
        One row per released query, oldest first: ``id``, ``dataset`` (its
        name), ``release_id``, ``statistic``, ``query_fingerprint``, ``epsilon``,
        ``delta``, ``status`` (reserved, spent or cancelled), ``principal``,
        ``created_at``, ``settled_at`` and ``query`` (JSON; no data values
        except declared public keys).

    Examples
    --------
    >>> import polars as pl, privlab.dp as pdp
    >>> with pdp.DPSession(pl.DataFrame({"x": [1, 2, 3] * 100}), dataset="visits") as s:
    ...     _ = s.count(epsilon=0.25)
    ...     _ = s.mean("x", bounds=(0, 5), epsilon=0.5)
    >>> pdp.ledger("visits").select("statistic", "epsilon", "status").rows()
    [('count()', 0.25, 'spent'), ('mean(x)', 0.5, 'spent')]
    """
    return Ledger().entries(dataset)


def set_budget(dataset: str, *, epsilon: float | None = None, delta: float | None = None) -> None:
    """Set a dataset's total budget (lifetime ε, and δ if given) — role-checked and audited.

    Datasets linked as derived from one another share one budget; this sets it.
    In governed mode only the dataset's owner or a steward may set or raise a
    budget (:class:`~privlab.exceptions.AccessDeniedError`, audited); in
    personal mode anyone may, and the change is audited with who and when.

    Parameters
    ----------
    dataset:
        A dataset name or alias (any dataset of the budget group).
    epsilon, delta:
        The new lifetime totals; one left ``None`` keeps its value.

    Raises
    ------
    DPQueryError
        If ``epsilon`` is not a finite number >= 0 or ``delta`` not in [0, 1),
        or neither is given.
    DatasetNotFoundError
        If no dataset has that name.
    AccessDeniedError
        In governed mode, if the principal is neither the owner nor a steward.

    Examples
    --------
    >>> import privlab as pv, privlab.dp as pdp
    >>> _ = pv.open_store().resolve_dataset("visits")
    >>> pdp.set_budget("visits", epsilon=2.0, delta=1e-7)
    >>> pdp.budget("visits").epsilon_total, pdp.budget("visits").delta_total
    (2.0, 1e-07)
    >>> pdp.set_budget("visits", epsilon=-1)
    Traceback (most recent call last):
    ...
    privlab.exceptions.DPQueryError: `epsilon` must be a finite number >= 0, got -1; ...
    """
    Ledger().set_budget(dataset, epsilon=epsilon, delta=delta)


def declare_independent(dataset: str, other: str, *, reason: str) -> bool:
    """Declare that ``dataset`` and ``other`` describe different people: separate budgets.

    Undoes a derived-dataset link between them (an ``unlink`` audit event)
    and keeps them from being linked again. Needs the dataset's owner or a
    steward in governed mode; audited with the reason in any mode.

    Parameters
    ----------
    dataset, other:
        Names or aliases of the two datasets.
    reason:
        Why they hold different people (recorded in the audit log).

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
    """Names of every dataset charged to the same budget as ``dataset`` (its owner first).

    A dataset the store finds derived from a registered one (a subset, a column
    added, …) is linked to that dataset's budget; :func:`declare_independent`
    undoes a link.

    Examples
    --------
    >>> import polars as pl, privlab.dp as pdp
    >>> base = pl.DataFrame({"income": [1000.0 + 7 * i for i in range(200)]})
    >>> pdp.DPSession(base, dataset="survey").close()
    >>> pdp.DPSession(base.head(150), dataset="survey-part").close()   # a subset: linked
    >>> pdp.budget_group("survey-part")
    ['survey', 'survey-part']
    """
    return Ledger().group(dataset)


def loss(
    dataset: str, *, since: datetime | None = None, until: datetime | None = None
) -> tuple[float, float]:
    """(ε, δ) spent in ``[since, until)`` — lifetime when both are ``None``.

    Reserved (in-flight) releases count as spent; the sum covers the whole
    budget group of *dataset*.

    Parameters
    ----------
    dataset:
        A dataset name or alias.
    since, until:
        Time window (naive datetimes are taken as UTC); either end may be open.

    Examples
    --------
    >>> import datetime as dt, polars as pl, privlab.dp as pdp
    >>> with pdp.DPSession(pl.DataFrame({"x": [1, 2, 3] * 100}), dataset="visits") as s:
    ...     _ = s.count(epsilon=0.25)
    >>> pdp.loss("visits")
    (0.25, 0.0)
    >>> pdp.loss("visits", since=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    (0.0, 0.0)
    """
    return Ledger().loss(dataset, since=since, until=until)


def loss_by_period(dataset: str, period: str = "1mo") -> pl.DataFrame:
    """ε and δ spent per calendar period (``1d``, ``1w``, ``1mo``, ``1y``).

    Parameters
    ----------
    dataset:
        A dataset name or alias; only its own releases are counted.
    period:
        A polars duration string.

    Returns
    -------
    polars.DataFrame
        ``period_start``, ``epsilon``, ``delta``, ``releases`` — spent and
        reserved releases only, oldest period first.

    Examples
    --------
    >>> import polars as pl, privlab.dp as pdp
    >>> with pdp.DPSession(pl.DataFrame({"x": [1, 2, 3] * 100}), dataset="visits") as s:
    ...     _ = s.count(epsilon=0.25)
    >>> by_day = pdp.loss_by_period("visits", "1d")
    >>> by_day.columns, by_day["epsilon"].to_list()
    (['period_start', 'epsilon', 'delta', 'releases'], [0.25])
    """
    return Ledger().loss_by_period(dataset, period)
