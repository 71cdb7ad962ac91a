"""The persistent privacy-loss ledger, kept in the privlab store.

One table, ``dp_ledger`` (component ``"dp_ledger"`` of :mod:`privlab.store`),
one row per released query::

    id, dataset_id, release_id, query_fingerprint, query (JSON), statistic,
    epsilon, delta, status (reserved | spent | cancelled), principal,
    created_at, settled_at

The dataset's *total* budget is not here: it lives on the dataset's store
entry, the one budget authority that governance policies also read. Datasets
the store's identity links (:mod:`privlab.store._identity`: a table derived
from a registered one) share one budget — the group's oldest dataset's — and
every spend of any of them counts against it.

Every spend (reservation), cancellation and budget change writes an audit
record in the same store transaction as the change.

Never overspending, across processes
------------------------------------
A release first *reserves* its loss: in one short ``BEGIN IMMEDIATE``
transaction (the write lock serialises reservers) it sums the dataset's
reserved and spent rows, compares with the budget, and inserts a
``reserved`` row — or raises :class:`PrivacyBudgetExceededError`. The query
then runs with no lock held. Afterwards the row becomes ``spent``, or
``cancelled`` if the run failed (cancelled rows do not count). A process
that dies between the two leaves a ``reserved`` row, which keeps counting:
the answer may have been seen, so the budget is not given back.

Examples
--------
>>> import privlab as pv, privlab.dp as pdp
>>> _ = pv.open_store().resolve_dataset("demo")
>>> ledger = pdp.Ledger()
>>> ds = ledger.dataset("demo")
>>> _ = ledger.set_budget(ds, epsilon=1.0)
>>> ledger.confirm(ledger.reserve(ds, [(pdp.count(), 0.4, 0.0)]))
>>> ledger.reserve(ds, [(pdp.count(), 0.7, 0.0)])
Traceback (most recent call last):
...
privlab.exceptions.PrivacyBudgetExceededError: ... needs ε=0.7 but only 0.6 of 1 remains ...
>>> ledger.budget(ds).releases
1
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from privlab._config import get_config
from privlab._time import iso as _iso
from privlab._time import parse_iso
from privlab._validate import check_delta, check_epsilon
from privlab.exceptions import DatasetNotFoundError, DPQueryError, PrivacyBudgetExceededError
from privlab.io import fingerprint
from privlab.release import Gate, default_gate
from privlab.store import (
    Store,
    budget_group,
    budget_root,
    declare_independent,
    ensure_identity,
    observe,
    open_store,
    record_event,
    table_signature,
)

__all__ = ["Budget", "Ledger", "Reservation"]

COMPONENT = "dp_ledger"

MIGRATIONS = [
    """
    CREATE TABLE dp_ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        dataset_id TEXT NOT NULL,
        release_id TEXT NOT NULL,
        query_fingerprint TEXT NOT NULL,
        query TEXT NOT NULL,
        statistic TEXT NOT NULL,
        epsilon REAL NOT NULL CHECK (epsilon >= 0),
        delta REAL NOT NULL CHECK (delta >= 0),
        status TEXT NOT NULL CHECK (status IN ('reserved', 'spent', 'cancelled')),
        principal TEXT NOT NULL,
        created_at TEXT NOT NULL,
        settled_at TEXT
    );
    CREATE INDEX dp_ledger_dataset_time ON dp_ledger (dataset_id, created_at);
    """,
    # 2: one timestamp format across privlab (privlab._time): ...Z, not ...+00:00
    """
    UPDATE dp_ledger SET created_at = replace(created_at, '+00:00', 'Z'),
                         settled_at = replace(settled_at, '+00:00', 'Z');
    """,
]

#: Slack for float summation when comparing spent + requested with the budget.
_TOLERANCE = 1e-12

_ENTRY_SCHEMA: dict[str, Any] = {
    "id": pl.Int64,
    "dataset": pl.String,
    "release_id": pl.String,
    "statistic": pl.String,
    "query_fingerprint": pl.String,
    "epsilon": pl.Float64,
    "delta": pl.Float64,
    "status": pl.String,
    "principal": pl.String,
    "created_at": pl.Datetime("us", "UTC"),
    "settled_at": pl.Datetime("us", "UTC"),
    "query": pl.String,
}


@dataclass(frozen=True)
class Budget:
    """A dataset's privacy budget as the ledger sees it.

    ``*_spent`` counts spent *and* reserved (in-flight) releases.
    """

    dataset: str
    epsilon_total: float
    epsilon_spent: float
    delta_total: float
    delta_spent: float
    releases: int

    @property
    def epsilon_remaining(self) -> float:
        """ε still available (never negative)."""
        return max(self.epsilon_total - self.epsilon_spent, 0.0)

    @property
    def delta_remaining(self) -> float:
        """δ still available (never negative)."""
        return max(self.delta_total - self.delta_spent, 0.0)

    @property
    def fraction_spent(self) -> float:
        """Share of the ε budget spent, in [0, 1]."""
        if self.epsilon_total <= 0:
            return 1.0
        return min(self.epsilon_spent / self.epsilon_total, 1.0)


@dataclass(frozen=True)
class Reservation:
    """Ledger rows reserved for one release (confirmed or cancelled together)."""

    ids: tuple[int, ...]
    release_id: str

    def part(self, indices: Sequence[int]) -> Reservation:
        """The rows of the items at ``indices`` (in the order they were reserved)."""
        return Reservation(tuple(self.ids[i] for i in indices), self.release_id)


@dataclass(frozen=True)
class DatasetRef:
    """What the ledger needs to know about a store dataset."""

    id: str
    name: str
    rows: int
    fingerprint: Any = None


def _now() -> datetime:
    return datetime.now(UTC)


def _ref(dataset: Any, fingerprint: Any = None) -> DatasetRef:
    """Adapt a store ``Dataset`` (or a DatasetRef) to what the ledger uses.

    ``rows`` comes from the fingerprint of the data in hand when there is one,
    else from the dataset's newest recorded version.
    """
    if isinstance(dataset, DatasetRef):
        return dataset
    if fingerprint is not None:
        rows = int(fingerprint.rows)
    else:
        versions = getattr(dataset, "versions", ())
        rows = int(versions[-1].rows) if versions else 0
    return DatasetRef(str(dataset.id), str(dataset.name), rows, fingerprint)


class Ledger:
    """Privacy-loss ledger over the privlab store.

    Parameters
    ----------
    store:
        A :class:`privlab.store.Store`; default :func:`privlab.store.open_store`.
    clock:
        Returns the current time (UTC); tests pass a fake clock.
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        gate: Gate | None = None,
    ):
        if store is None:
            store = open_store()
        self.store = store
        self.clock = clock or _now
        store.ensure_schema(COMPONENT, MIGRATIONS)
        ensure_identity(store)
        self._gate = gate

    @property
    def gate(self) -> Gate:
        """The release gate over this store: authorizes budget changes and links.

        Built on first use (:func:`privlab.release.default_gate` unless one was
        injected), so a session that brings its own gate never loads governance.
        """
        if self._gate is None:
            self._gate = default_gate(self.store)
        return self._gate

    # ----------------------------------------------------------------- datasets

    def resolve(self, source: Any, *, name: str | None, schema: pl.Schema) -> DatasetRef:
        """Register-or-get the dataset behind a session's snapshot (name + fingerprint).

        The fingerprint is of the snapshot the session queries. A version seen
        for the first time also gets its per-column signatures, and a dataset
        derived from a registered one is linked to its budget (audited).
        """
        del schema
        fp = fingerprint(source.frame)
        if name is None:
            if source.path is not None:
                name = source.path.stem
            else:
                name = f"frame-{str(fp.content_hash)[:12]}"
        owner = str(get_config()["user"])
        ds = self.store.resolve_dataset(name, fp, owner=owner)
        with self.store.read() as conn:
            seen = conn.execute(
                "SELECT 1 FROM identity_signatures WHERE content_hash = ?", (fp.content_hash,)
            ).fetchone()
        if seen is None:
            observe(
                self.store,
                int(ds.id),
                fp.content_hash,
                table_signature(source.frame),
                principal=owner,
            )
        return _ref(ds, fp)

    def dataset(self, name: str) -> DatasetRef:
        """Look a dataset up by name (or alias)."""
        return _ref(self.store.get_dataset(name))

    def _totals(self, dataset: DatasetRef) -> tuple[float, float]:
        with self.store.read() as conn:
            return self._totals_in(conn, dataset)

    def group(self, dataset: Any) -> list[str]:
        """Names of every dataset sharing ``dataset``'s budget (the budget's owner first)."""
        ref = self._as_ref(dataset)
        with self.store.read() as conn:
            ids = budget_group(conn, int(ref.id))
            return [self._name_in(conn, i) for i in ids]

    @staticmethod
    def _name_in(conn: Any, dataset_id: int) -> str:
        row = conn.execute("SELECT name FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
        return str(dataset_id) if row is None else str(row[0])

    def _as_ref(self, dataset: Any) -> DatasetRef:
        return self.dataset(dataset) if isinstance(dataset, str) else _ref(dataset)

    # ----------------------------------------------------------------- budgets

    def set_budget(
        self,
        dataset: Any,
        *,
        epsilon: float | None = None,
        delta: float | None = None,
        gate: Gate | None = None,
    ) -> Budget:
        """Set the total budget shared by ``dataset``'s budget group (audited, role-checked).

        The gate (``gate`` or :func:`privlab.release.default_gate` over this
        store) authorizes ``"set_budget"`` first: in governed mode only the
        dataset's owner or a steward may; a denial is audited and changes
        nothing. The change and its audit record (old and new totals) are one
        store transaction.
        """
        ref = self._as_ref(dataset)
        eps = None if epsilon is None else check_epsilon(epsilon, allow_zero=True)
        dlt = None if delta is None else check_delta(delta)
        if eps is None and dlt is None:
            raise DPQueryError("set_budget needs epsilon= and/or delta=, got neither")
        (gate if gate is not None else self.gate).authorize("set_budget", dataset=ref.name)
        principal = str(get_config()["user"])
        with self.store.transaction(immediate=True) as conn:
            root = budget_root(conn, int(ref.id))
            old = conn.execute(
                "SELECT epsilon_budget, delta_budget FROM datasets WHERE id = ?", (root,)
            ).fetchone()
            new = (old[0] if eps is None else eps, old[1] if dlt is None else dlt)
            now = self.store.now()
            conn.execute(
                "UPDATE datasets SET epsilon_budget = ?, delta_budget = ?, updated_at = ? "
                "WHERE id = ?",
                (new[0], new[1], now, root),
            )
            record_event(
                conn,
                "budget",
                dataset=ref.name,
                details={
                    "budget_of": self._name_in(conn, root),
                    "epsilon": {"old": float(old[0]), "new": float(new[0])},
                    "delta": {"old": float(old[1]), "new": float(new[1])},
                    "raised": bool(new[0] > old[0] or new[1] > old[1]),
                },
                principal=principal,
                ts=now,
            )
        return self.budget(ref)

    def declare_independent(
        self, dataset: Any, other: Any, *, reason: str, gate: Gate | None = None
    ) -> bool:
        """Declare ``dataset`` independent of ``other``: separate budgets from now on.

        Authorized as ``"declare_independence"`` (owner or steward in governed
        mode, anyone — audited — in personal mode). Returns whether a link was
        removed.
        """
        ref, oref = self._as_ref(dataset), self._as_ref(other)
        (gate if gate is not None else self.gate).authorize(
            "declare_independence", dataset=ref.name
        )
        return declare_independent(
            self.store,
            int(ref.id),
            int(oref.id),
            reason=reason,
            principal=str(get_config()["user"]),
        )

    # ----------------------------------------------------------------- spending

    def reserve(self, dataset: Any, items: Sequence[tuple[Any, float, float]]) -> Reservation:
        """Reserve ``(query, epsilon, delta)`` items atomically, or refuse them all.

        Raises
        ------
        PrivacyBudgetExceededError
            If spent + reserved + requested would exceed the dataset's budget.
        """
        ref = _ref(dataset)
        eps_req = math.fsum(e for _, e, _ in items)
        delta_req = math.fsum(d for _, _, d in items)
        if any(e < 0 or d < 0 or not math.isfinite(e) for _, e, d in items):
            raise DPQueryError(f"privacy losses must be finite and >= 0, got {items!r}")
        release_id = uuid.uuid4().hex
        principal = str(get_config()["user"])
        created = _iso(self.clock())
        with self.store.transaction(immediate=True) as conn:
            eps_total, delta_total = self._totals_in(conn, ref)
            eps_spent, delta_spent, _ = self._spent_in(conn, ref)
            if eps_spent + eps_req > eps_total + _TOLERANCE:
                remaining = max(eps_total - eps_spent, 0.0)
                raise PrivacyBudgetExceededError(
                    f"dataset {ref.name!r}: this release needs ε={eps_req:g} but only "
                    f"{remaining:g} of {eps_total:g} remains (spent {eps_spent:g}); ask "
                    "the dataset owner to raise the budget, or spend less",
                    spent=eps_spent,
                    remaining=remaining,
                    requested=eps_req,
                )
            if delta_spent + delta_req > delta_total + _TOLERANCE * 1e-6:
                remaining_d = max(delta_total - delta_spent, 0.0)
                raise PrivacyBudgetExceededError(
                    f"dataset {ref.name!r}: this release needs δ={delta_req:g} but only "
                    f"{remaining_d:g} of {delta_total:g} remains; declare public keys (no δ "
                    "needed) or ask the owner to raise the δ budget",
                    spent=eps_spent,
                    remaining=max(eps_total - eps_spent, 0.0),
                    requested=eps_req,
                )
            ids = []
            for query, eps, delta in items:
                desc, fp, label = _describe(query)
                cur = conn.execute(
                    "INSERT INTO dp_ledger (dataset_id, release_id, query_fingerprint, query,"
                    " statistic, epsilon, delta, status, principal, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 'reserved', ?, ?)",
                    (
                        ref.id,
                        release_id,
                        fp,
                        desc,
                        label,
                        float(eps),
                        float(delta),
                        principal,
                        created,
                    ),
                )
                ids.append(int(cur.lastrowid or 0))
            record_event(
                conn,
                "spend",
                dataset=ref.name,
                details={
                    "epsilon": eps_req,
                    "delta": delta_req,
                    "queries": [_describe(q)[2] for q, _, _ in items],
                    "ledger_ids": ids,
                    # per row, so `privlab audit verify` can recompute dp_ledger
                    "rows": [
                        [i, float(e), float(d)] for i, (_, e, d) in zip(ids, items, strict=True)
                    ],
                },
                principal=principal,
                ts=created,
                release=release_id,
            )
        return Reservation(tuple(ids), release_id)

    def _settle(self, reservation: Reservation, status: str) -> None:
        if not reservation.ids:
            return
        marks = ",".join("?" * len(reservation.ids))
        now = _iso(self.clock())
        with self.store.transaction(immediate=True) as conn:
            conn.execute(
                f"UPDATE dp_ledger SET status = ?, settled_at = ? "
                f"WHERE status = 'reserved' AND id IN ({marks})",
                (status, now, *reservation.ids),
            )
            if status == "cancelled":  # budget given back: audited with the change
                record_event(
                    conn,
                    "spend_cancelled",
                    dataset=None,
                    details={"ledger_ids": list(reservation.ids)},
                    principal=str(get_config()["user"]),
                    ts=now,
                    release=reservation.release_id,
                )

    def confirm(self, reservation: Reservation) -> None:
        """Mark a reservation spent (the answer was released)."""
        self._settle(reservation, "spent")

    def cancel(self, reservation: Reservation) -> None:
        """Give a reservation back (the query failed before releasing anything)."""
        self._settle(reservation, "cancelled")

    # ----------------------------------------------------------------- reading

    def _totals_in(self, conn: Any, ref: DatasetRef) -> tuple[float, float]:
        """The group's budget, read inside the caller's transaction (consistent with spending)."""
        root = budget_root(conn, int(ref.id))
        row = conn.execute(
            "SELECT epsilon_budget, delta_budget FROM datasets WHERE id = ?", (root,)
        ).fetchone()
        if row is None:
            raise DatasetNotFoundError(f"dataset {ref.name!r} is no longer in the store")
        return float(row[0]), float(row[1])

    @staticmethod
    def _spent_in(
        conn: Any, ref: DatasetRef, since: str | None = None, until: str | None = None
    ) -> tuple[float, float, int]:
        group = [str(i) for i in budget_group(conn, int(ref.id))]
        marks = ",".join("?" * len(group))
        sql = (
            f"SELECT epsilon, delta FROM dp_ledger WHERE dataset_id IN ({marks})"
            " AND status IN ('reserved', 'spent')"
        )
        args: list[Any] = list(group)
        if since is not None:
            sql += " AND created_at >= ?"
            args.append(since)
        if until is not None:
            sql += " AND created_at < ?"
            args.append(until)
        rows = conn.execute(sql, args).fetchall()
        return math.fsum(r[0] for r in rows), math.fsum(r[1] for r in rows), len(rows)

    def budget(self, dataset: Any) -> Budget:
        """Total, spent (incl. reserved) and remaining loss of a dataset."""
        ref = _ref(dataset) if not isinstance(dataset, str) else self.dataset(dataset)
        eps_total, delta_total = self._totals(ref)
        with self.store.read() as conn:
            eps, delta, n = self._spent_in(conn, ref)
        return Budget(ref.name, eps_total, eps, delta_total, delta, n)

    def loss(
        self, dataset: Any, *, since: datetime | None = None, until: datetime | None = None
    ) -> tuple[float, float]:
        """(ε, δ) spent (incl. reserved) in ``[since, until)``; lifetime by default."""
        ref = _ref(dataset) if not isinstance(dataset, str) else self.dataset(dataset)
        with self.store.read() as conn:
            eps, delta, _ = self._spent_in(
                conn,
                ref,
                None if since is None else _iso(since),
                None if until is None else _iso(until),
            )
        return eps, delta

    def entries(self, dataset: Any = None, *, include_cancelled: bool = True) -> pl.DataFrame:
        """Ledger rows as a polars frame (one per released query, oldest first)."""
        sql = (
            "SELECT id, dataset_id, release_id, statistic, query_fingerprint, epsilon, delta,"
            " status, principal, created_at, settled_at, query FROM dp_ledger"
        )
        args: list[Any] = []
        names: dict[str, str] = {}
        if dataset is not None:
            ref = _ref(dataset) if not isinstance(dataset, str) else self.dataset(dataset)
            sql += " WHERE dataset_id = ?"
            args.append(ref.id)
            names[ref.id] = ref.name
        if not include_cancelled:
            sql += (" AND" if args else " WHERE") + " status != 'cancelled'"
        sql += " ORDER BY id"
        with self.store.read() as conn:
            rows = conn.execute(sql, args).fetchall()
        for r in rows:
            if r[1] not in names:
                names[r[1]] = self._name_of(r[1])
        data = [
            (
                r[0],
                names[r[1]],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                _parse(r[9]),
                _parse(r[10]),
                r[11],
            )
            for r in rows
        ]
        return pl.DataFrame(data, schema=_ENTRY_SCHEMA, orient="row")

    def _name_of(self, dataset_id: str) -> str:
        """The dataset's canonical name (its id when the dataset no longer exists)."""
        try:
            return str(self.store.get_dataset(int(dataset_id)).name)
        except (ValueError, DatasetNotFoundError):  # a deleted dataset keeps its ledger rows
            return dataset_id

    def loss_by_period(
        self,
        dataset: Any,
        period: str = "1mo",
        *,
        now: datetime | None = None,
    ) -> pl.DataFrame:
        """ε and δ spent per calendar period (polars duration string: ``1d``, ``1w``, ``1mo``…).

        Returns
        -------
        polars.DataFrame
            ``period_start``, ``epsilon``, ``delta``, ``releases`` — spent and
            reserved releases only, oldest period first. Governance's
            ``max_epsilon_per_period`` reads the current period from here, or
            from :meth:`loss` with ``since=``.
        """
        del now
        frame = self.entries(dataset, include_cancelled=False)
        if frame.is_empty():
            return pl.DataFrame(
                schema={
                    "period_start": pl.Datetime("us", "UTC"),
                    "epsilon": pl.Float64,
                    "delta": pl.Float64,
                    "releases": pl.UInt32,
                }
            )
        return (
            frame.sort("created_at")
            .group_by_dynamic("created_at", every=period)
            .agg(pl.col("epsilon").sum(), pl.col("delta").sum(), pl.len().alias("releases"))
            .rename({"created_at": "period_start"})
        )

    def loss_in_last(self, dataset: Any, window: timedelta) -> tuple[float, float]:
        """(ε, δ) spent in the trailing ``window`` (a sliding period)."""
        return self.loss(dataset, since=self.clock() - window)


def _parse(text: str | None) -> datetime | None:
    return None if text is None else parse_iso(text)


def _describe(query: Any) -> tuple[str, str, str]:
    if hasattr(query, "describe") and hasattr(query, "fingerprint"):
        return (
            json.dumps(query.describe(), sort_keys=True, default=str),
            query.fingerprint(),
            query.label,
        )
    text = json.dumps(query, sort_keys=True, default=str)
    import hashlib

    return text, hashlib.sha256(text.encode()).hexdigest(), str(query)
