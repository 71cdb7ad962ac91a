"""Dataset identity beyond exact content: derived-dataset detection and shared budgets.

Exact fingerprints (:func:`privlab.io.fingerprint`) give one table one
privacy budget, but a copy with a column added, cast or renamed, or with rows
edited, added, removed or sampled, is new content — under a new name it would
get a fresh budget although it describes the same people. This module keeps,
per content version, a MinHash signature (``datasketch``) of every column's
distinct values, and links a table to a registered one when it is derived
from it, so both are charged to **one budget**:

- *candidate columns* of a table are its non-constant, non-sequential,
  high-cardinality columns: at least 10 distinct values and at least half as
  many distinct values as rows, and not an integer column whose distinct
  values fill a contiguous range (a row index ``0..n-1``, or ``id // 2``);
- values are normalized before hashing (numbers — also numeric text — as
  64-bit floats, everything else as text), so a cast column keeps its
  signature, and columns are matched by content, so a renamed one does too;
- the new table is **linked** when at least 50 % of its candidate columns
  match a column of the registered table with Jaccard similarity ≥ 0.8
  (columns added, cast or renamed; rows edited, added, removed, duplicated),
  or when its *row containment* — the median, over its candidate columns, of
  the share of its distinct values found in the best-matching registered
  column — is ≥ 0.5 (samples and subsets).

Two independent tables that merely share a ``0..n-1`` index do not link: the
index is sequential, so it is no candidate. A dataset's owner (or a steward)
may declare two datasets independent, which removes a link between them and
keeps them apart afterwards. Every link, unlink and independence declaration
is an audit event written in the same store transaction as the change.

Tables (component ``identity``)
===============================

=========================  ==========================================================
table                      columns
=========================  ==========================================================
``identity_signatures``    content_hash TEXT PK, dataset_id, rows, columns (JSON: name,
                           distinct, candidate, hash values — hashes only, no values)
``identity_links``         dataset_id PK, budget_of (the dataset whose budget it
                           shares), evidence (JSON), principal, created_at
``identity_independence``  dataset_id, other_id, reason, principal, created_at
=========================  ==========================================================

A MinHash holds 128 minima of hashed values: no value can be read back, but,
like any unkeyed hash, a guessed value of a tiny column can be confirmed.

Examples
--------
>>> import polars as pl
>>> a = table_signature(pl.DataFrame({"i": range(100), "x": [i * 1.5 for i in range(100)]}))
>>> [c.name for c in a.columns if c.candidate]   # the index is sequential: no candidate
['x']
>>> b = table_signature(pl.DataFrame({"y": [str(i * 1.5) for i in range(100)]}))
>>> compare(b, a).linked                         # renamed and cast to text: still linked
True
"""

from __future__ import annotations

import json
import math
import sqlite3
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from datasketch import MinHash

from privlab.exceptions import StoreError
from privlab.store._audit import append_audit

if TYPE_CHECKING:
    from privlab.store._store import Store

__all__ = [
    "ColumnSignature",
    "Link",
    "Match",
    "TableSignature",
    "budget_group",
    "budget_root",
    "compare",
    "declare_independent",
    "ensure_identity",
    "observe",
    "record_event",
    "table_signature",
]

COMPONENT = "identity"
MIGRATIONS = [
    """
    CREATE TABLE identity_signatures (
        content_hash TEXT PRIMARY KEY,
        dataset_id INTEGER NOT NULL,
        rows INTEGER NOT NULL,
        columns TEXT NOT NULL
    );
    CREATE INDEX identity_signatures_by_dataset ON identity_signatures(dataset_id);
    CREATE TABLE identity_links (
        dataset_id INTEGER PRIMARY KEY,
        budget_of INTEGER NOT NULL,
        evidence TEXT NOT NULL,
        principal TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE identity_independence (
        dataset_id INTEGER NOT NULL,
        other_id INTEGER NOT NULL,
        reason TEXT NOT NULL,
        principal TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (dataset_id, other_id)
    )
    """,
]

NUM_PERM = 128
_SEED = 20261201
#: Matching rules (the issue's numbers).
JACCARD_MATCH = 0.8
MATCHED_SHARE = 0.5
ROW_CONTAINMENT = 0.5
MIN_DISTINCT = 10
HIGH_CARDINALITY = 0.5
#: Consistent sampling: at most this many values hashed at a column's first level.
MAX_KEPT = 1 << 16
MAX_LEVEL = 20


@dataclass(frozen=True)
class ColumnSignature:
    """A column's distinct-value count, candidacy and MinHash signatures (hash values only).

    ``levels`` maps a sampling level ``s`` to ``(kept, hash values)``: the
    MinHash of the distinct values whose 32-bit hash is below ``2**(32 - s)``
    (consistent sampling: the same value is kept in every table). A column
    stores the levels from the first one keeping at most ``2**16`` values up
    to :data:`MAX_LEVEL`, so two columns of any sizes share a level.
    """

    name: str
    distinct: int
    candidate: bool
    levels: dict[int, tuple[int, tuple[int, ...]]]

    def minhash(self, level: int) -> MinHash | None:
        """The ``datasketch.MinHash`` at ``level`` (``None`` when no value was kept)."""
        kept, values = self.levels[level]
        if kept == 0:
            return None
        return MinHash(
            num_perm=NUM_PERM,
            seed=_SEED,
            scheme="affine32",
            hashvalues=np.asarray(values, dtype=np.uint32),
        )


@dataclass(frozen=True)
class TableSignature:
    """Per-column signatures of one table."""

    rows: int
    columns: tuple[ColumnSignature, ...]

    def to_json(self) -> str:
        """Compact JSON (names, counts, hash values — no data values)."""
        return json.dumps(
            [
                [
                    c.name,
                    c.distinct,
                    c.candidate,
                    {str(k): [n, list(v)] for k, (n, v) in c.levels.items()},
                ]
                for c in self.columns
            ],
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, rows: int, text: str) -> TableSignature:
        """Inverse of :meth:`to_json`."""
        cols = tuple(
            ColumnSignature(
                str(n),
                int(d),
                bool(c),
                {int(k): (int(kept), tuple(int(x) for x in v)) for k, (kept, v) in lv.items()},
            )
            for n, d, c, lv in json.loads(text)
        )
        return cls(int(rows), cols)


@dataclass(frozen=True)
class Match:
    """How a new table relates to a registered one."""

    linked: bool
    rule: str | None  # "columns" or "containment"
    candidates: int
    matched: dict[str, str]  # new column -> registered column (Jaccard >= 0.8)
    row_containment: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready evidence (column names and similarities only)."""
        return {
            "rule": self.rule,
            "candidates": self.candidates,
            "matched_columns": self.matched,
            "row_containment": round(self.row_containment, 4),
        }


@dataclass(frozen=True)
class Link:
    """One dataset charged to another's budget."""

    dataset_id: int
    budget_of: int
    evidence: dict[str, Any]


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    a, b = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme="affine32").permutations
    return np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64)


_PERM = _permutations()


def _normalized(lf: pl.LazyFrame, name: str, dtype: pl.DataType) -> tuple[pl.Expr, bool]:
    """A column as one comparable type: numbers (also numeric text) as Float64, else text."""
    col = pl.col(name)
    if dtype.is_numeric() or dtype == pl.Boolean:
        return col.cast(pl.Float64).fill_nan(None), True
    if dtype == pl.String:
        parsed = col.cast(pl.Float64, strict=False)
        numeric = lf.select((parsed.is_null() == col.is_null()).all()).collect().item()
        if numeric:
            return parsed.fill_nan(None), True
    return col.cast(pl.String), False


def table_signature(data: pl.DataFrame | pl.LazyFrame) -> TableSignature:
    """Per-column MinHash signatures of a table (a few vectorized passes per column).

    Each distinct normalized value is hashed to 32 bits by polars and
    permuted with the ``affine32`` scheme of ``datasketch`` (seeded), so the
    128 minima form a ``datasketch.MinHash`` comparable across tables.

    Examples
    --------
    >>> import polars as pl
    >>> sig = table_signature(pl.DataFrame({"c": ["a"] * 20, "v": [str(i) for i in range(20)]}))
    >>> [(c.name, c.distinct, c.candidate) for c in sig.columns]
    [('c', 1, False), ('v', 20, False)]
    """
    lf = data.lazy()
    schema = lf.collect_schema()
    rows = int(lf.select(pl.len()).collect().item())
    a, b = _PERM
    h = pl.col("v").hash(_SEED) & pl.lit(0xFFFFFFFF, dtype=pl.UInt64)
    hk = pl.col("h")
    mins = [
        (
            (hk * pl.lit(int(a[i]), dtype=pl.UInt64) + pl.lit(int(b[i]), dtype=pl.UInt64))
            & pl.lit(0xFFFFFFFF, dtype=pl.UInt64)
        )
        .min()
        .alias(f"m{i}")
        for i in range(NUM_PERM)
    ]
    columns = []
    for name, dtype in schema.items():
        norm, numeric = _normalized(lf, name, dtype)
        values = lf.select(norm.alias("v")).drop_nulls().unique().collect()
        distinct = values.height
        sequential = False
        if numeric and distinct > 1:
            v = values["v"]
            lo, hi = float(v.min()), float(v.max())  # type: ignore[arg-type]
            integral = bool((v == v.floor()).all())
            sequential = integral and hi - lo + 1 == distinct
        candidate = (
            distinct >= MIN_DISTINCT and distinct >= HIGH_CARDINALITY * rows and not sequential
        )
        first = max(0, math.ceil(math.log2(max(distinct, 1) / MAX_KEPT)))
        kept = values.select(h.alias("h"))
        levels: dict[int, tuple[int, tuple[int, ...]]] = {}
        for level in range(first, MAX_LEVEL + 1):
            kept = kept.filter(pl.col("h") < (1 << (32 - level)))
            if kept.height == 0:
                levels[level] = (0, ())
                continue
            row = kept.select(mins).row(0)
            levels[level] = (kept.height, tuple(int(x) for x in row))
        columns.append(ColumnSignature(name, distinct, candidate, levels))
    return TableSignature(rows, tuple(columns))


def compare(new: TableSignature, old: TableSignature) -> Match:
    """Whether ``new`` derives from ``old`` under the module's two rules.

    Examples
    --------
    >>> import polars as pl
    >>> base = pl.DataFrame({"x": [i / 7 for i in range(200)]})
    >>> compare(table_signature(base.head(40)), table_signature(base)).rule
    'containment'
    """
    cands = [c for c in new.columns if c.candidate]
    if not cands:
        return Match(False, None, 0, {}, 0.0)
    olds = [o for o in old.columns if o.distinct > 1]
    matched: dict[str, str] = {}
    containments = []
    for c in cands:
        best_j, best_name, best_c = 0.0, "", 0.0
        for o in olds:
            level = max(min(c.levels), min(o.levels))
            mine, theirs = c.minhash(level), o.minhash(level)
            if mine is None or theirs is None:
                continue
            j = mine.jaccard(theirs)
            cont = min(j * (c.distinct + o.distinct) / ((1.0 + j) * c.distinct), 1.0)
            if j > best_j:
                best_j, best_name = j, o.name
            best_c = max(best_c, cont)
        if best_j >= JACCARD_MATCH:
            matched[c.name] = best_name
        containments.append(best_c)
    row_containment = float(statistics.median(containments))
    if len(matched) >= MATCHED_SHARE * len(cands):
        return Match(True, "columns", len(cands), matched, row_containment)
    if row_containment >= ROW_CONTAINMENT:
        return Match(True, "containment", len(cands), matched, row_containment)
    return Match(False, None, len(cands), matched, row_containment)


# -- store side ---------------------------------------------------------------------------


def ensure_identity(store: Store) -> None:
    """Create or migrate the identity tables of *store*.

    Examples
    --------
    >>> import privlab as pv
    >>> store = pv.open_store()
    >>> ensure_identity(store)
    >>> with store.read() as conn:
    ...     conn.execute("SELECT count(*) FROM identity_links").fetchone()[0]
    0
    """
    store.ensure_schema(COMPONENT, MIGRATIONS)


def _links(conn: sqlite3.Connection) -> dict[int, int]:
    return {
        int(r[0]): int(r[1])
        for r in conn.execute("SELECT dataset_id, budget_of FROM identity_links")
    }


def budget_root(conn: sqlite3.Connection, dataset_id: int) -> int:
    """The dataset whose budget *dataset_id* is charged to (itself when unlinked).

    Examples
    --------
    >>> import privlab as pv
    >>> store = pv.open_store()
    >>> ensure_identity(store)
    >>> ds = store.resolve_dataset("visits")
    >>> with store.read() as conn:
    ...     budget_root(conn, ds.id) == ds.id
    True
    """
    links = _links(conn)
    seen = {dataset_id}
    while dataset_id in links:
        dataset_id = links[dataset_id]
        if dataset_id in seen:  # pragma: no cover - links only point to older roots
            raise StoreError(f"identity links form a cycle through dataset {dataset_id}")
        seen.add(dataset_id)
    return dataset_id


def budget_group(conn: sqlite3.Connection, dataset_id: int) -> list[int]:
    """Every dataset sharing *dataset_id*'s budget (root first, then by id).

    Examples
    --------
    >>> import privlab as pv
    >>> store = pv.open_store()
    >>> ensure_identity(store)
    >>> ds = store.resolve_dataset("visits")
    >>> with store.read() as conn:
    ...     budget_group(conn, ds.id) == [ds.id]
    True
    """
    root = budget_root(conn, dataset_id)
    links = _links(conn)
    members = [d for d in links if budget_root(conn, d) == root]
    return [root, *sorted(m for m in members if m != root)]


def _independent(conn: sqlite3.Connection, a: int, b: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM identity_independence WHERE dataset_id = ? AND other_id = ?", (a, b)
    ).fetchone()
    return row is not None


def _name(conn: sqlite3.Connection, dataset_id: int) -> str:
    row = conn.execute("SELECT name FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
    return str(dataset_id) if row is None else str(row[0])


def observe(
    store: Store, dataset_id: int, content_hash: str, signature: TableSignature, *, principal: str
) -> list[Link]:
    """Record a version's signature and link its dataset to every registered one it derives from.

    In one write transaction: the signature is stored (once per content), it
    is compared with the signatures of every dataset outside the dataset's
    budget group (pairs declared independent excepted), and each match merges
    the two groups — the younger root is linked to the older one — with a
    ``link`` audit event.

    Returns
    -------
    list of Link
        The links made now (empty when nothing new was found).

    Examples
    --------
    >>> import polars as pl, privlab as pv
    >>> from privlab.governance import AuditLog
    >>> store = pv.open_store()
    >>> _ = AuditLog(store)  # links are audit events: the store needs its audit log
    >>> frame = pl.DataFrame({"x": [i * 1.5 for i in range(200)]})
    >>> a, b = store.resolve_dataset("a"), store.resolve_dataset("b")
    >>> observe(store, a.id, "content-a", table_signature(frame), principal="ann")
    []
    >>> sample = table_signature(frame.head(150))
    >>> links = observe(store, b.id, "content-b", sample, principal="ann")
    >>> [link.budget_of == a.id for link in links]
    [True]
    """
    ensure_identity(store)
    made: list[Link] = []
    with store.transaction() as conn:
        known = conn.execute(
            "SELECT 1 FROM identity_signatures WHERE content_hash = ?", (content_hash,)
        ).fetchone()
        if known is not None:
            return made
        conn.execute(
            "INSERT INTO identity_signatures (content_hash, dataset_id, rows, columns) "
            "VALUES (?, ?, ?, ?)",
            (content_hash, dataset_id, signature.rows, signature.to_json()),
        )
        others = conn.execute(
            "SELECT dataset_id, rows, columns FROM identity_signatures WHERE dataset_id != ? "
            "ORDER BY dataset_id",
            (dataset_id,),
        ).fetchall()
        for other_id, rows, text in others:
            other_id = int(other_id)
            if budget_root(conn, other_id) == budget_root(conn, dataset_id):
                continue
            if _independent(conn, dataset_id, other_id):
                continue
            match = compare(signature, TableSignature.from_json(rows, text))
            if not match.linked:
                continue
            mine, theirs = budget_root(conn, dataset_id), budget_root(conn, other_id)
            young, old = max(mine, theirs), min(mine, theirs)
            evidence = {
                **match.to_dict(),
                "new": _name(conn, dataset_id),
                "registered": _name(conn, other_id),
            }
            now = store.now()
            conn.execute(
                "INSERT INTO identity_links (dataset_id, budget_of, evidence, principal, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                (young, old, json.dumps(evidence, sort_keys=True), principal, now),
            )
            record_event(
                conn,
                "link",
                dataset=_name(conn, young),
                details={"budget_of": _name(conn, old), **evidence},
                principal=principal,
                ts=now,
            )
            made.append(Link(young, old, evidence))
    return made


def declare_independent(
    store: Store, dataset_id: int, other_id: int, *, reason: str, principal: str
) -> bool:
    """Declare two datasets independent: unlink them if linked, and never link them again.

    Returns whether a link was removed. Both the declaration and the unlink
    are audit events of the same transaction. Authorization is the caller's
    (the release gate's ``declare_independence``).

    Examples
    --------
    >>> import privlab as pv
    >>> from privlab.governance import AuditLog
    >>> store = pv.open_store()
    >>> _ = AuditLog(store)
    >>> a, b = store.resolve_dataset("a"), store.resolve_dataset("b")
    >>> declare_independent(store, a.id, b.id, reason="different clinics", principal="ann")
    False
    """
    if not isinstance(reason, str) or not reason.strip():
        raise StoreError("declaring two datasets independent needs a reason (non-empty text)")
    if dataset_id == other_id:
        raise StoreError("a dataset cannot be declared independent of itself")
    ensure_identity(store)
    removed = False
    with store.transaction() as conn:
        now = store.now()
        for a, b in ((dataset_id, other_id), (other_id, dataset_id)):
            conn.execute(
                "INSERT OR REPLACE INTO identity_independence (dataset_id, other_id, reason, "
                "principal, created_at) VALUES (?, ?, ?, ?, ?)",
                (a, b, reason, principal, now),
            )
        names = (_name(conn, dataset_id), _name(conn, other_id))
        record_event(
            conn,
            "independence",
            dataset=names[0],
            details={"independent_of": names[1], "reason": reason},
            principal=principal,
            ts=now,
        )
        links = _links(conn)
        for a, b in ((dataset_id, other_id), (other_id, dataset_id)):
            parent = links.get(a)
            if parent is not None and budget_root(conn, b) == budget_root(conn, parent):
                conn.execute("DELETE FROM identity_links WHERE dataset_id = ?", (a,))
                record_event(
                    conn,
                    "unlink",
                    dataset=_name(conn, a),
                    details={"budget_of": _name(conn, parent), "reason": reason},
                    principal=principal,
                    ts=now,
                )
                removed = True
                links = _links(conn)
    return removed


def record_event(
    conn: sqlite3.Connection,
    event: str,
    *,
    dataset: str | None,
    details: dict[str, Any],
    principal: str,
    ts: str,
    release: str | None = None,
) -> None:
    """Append one audit record inside the caller's open transaction.

    The store's audit primitive (:func:`privlab.store.append_audit`): keyed,
    chained, tail-checked, witnessed after the commit.

    Raises
    ------
    AuditIntegrityError
        The log's tail is broken: the caller's change rolls back with it.

    Examples
    --------
    >>> import privlab as pv
    >>> from privlab.governance import AuditLog
    >>> store = pv.open_store()
    >>> log = AuditLog(store)
    >>> with store.transaction() as conn:
    ...     record_event(conn, "link", dataset="b", details={"budget_of": "a"},
    ...                  principal="ann", ts=store.now())
    >>> log.verify().chain_ok
    True
    """
    append_audit(
        conn, event, dataset=dataset, release=release, details=details, principal=principal, ts=ts
    )
