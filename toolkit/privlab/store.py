"""The one local store: an SQLite file under ``PRIVLAB_HOME``.

Everything privlab must remember between Python processes lives here: datasets
and their privacy budgets (this module), the DP ledger (:mod:`privlab.dp`), the
catalog's releases and the audit log (:mod:`privlab.governance`). Nothing else in
privlab opens SQLite directly; those modules add their tables through
:meth:`Store.ensure_schema` and run their statements through
:meth:`Store.transaction` / :meth:`Store.read`.

The file is ``<PRIVLAB_HOME>/privlab.sqlite`` in WAL mode (readers never block the
writer), with a busy timeout so concurrent processes wait instead of failing, and
foreign keys on. Write transactions are short ``BEGIN IMMEDIATE`` blocks: callers
never hold the write lock while user work (a query, a synthesis) runs.

Table layout (component ``core``; other components document their own tables)

=====================  ===================================================================
table                  columns
=====================  ===================================================================
``schema_versions``    component TEXT PK, version INTEGER, applied_at TEXT
``datasets``           id INTEGER PK, name TEXT UNIQUE (canonical name), owner TEXT,
                       epsilon_budget REAL, delta_budget REAL, created_at TEXT,
                       updated_at TEXT, attrs TEXT (JSON object for later features:
                       department, purpose, classification, retention …)
``dataset_names``      name TEXT PK, dataset_id → datasets.id (every name, canonical too)
``dataset_versions``   content_hash TEXT PK, dataset_id → datasets.id, schema_hash TEXT,
                       rows INTEGER, first_seen TEXT
=====================  ===================================================================

Identity rules: a dataset is known by any of its names *and* by the content
fingerprint of every version seen. The same content under a new name resolves to
the same dataset (the name becomes an alias), so renaming a file never resets its
privacy budget. A known name with new content adds a version to the same dataset:
the budget is shared, not reset — the conservative choice, since an edited copy
of a table still describes the same people. No raw data value is ever stored:
only names, hashes, row counts, budgets and metadata. Times are UTC ISO-8601.

Examples
--------
>>> import privlab as pv
>>> store = pv.open_store()
>>> ds = store.resolve_dataset("patients")
>>> ds.name, ds.epsilon_budget == pv.get_config()["default_epsilon"]
('patients', True)
>>> store.add_alias("patients", "patients_2024")
>>> store.get_dataset("patients_2024").id == ds.id
True
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import difflib
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from privlab._config import get_config
from privlab.exceptions import DatasetNotFoundError, StoreError, StoreSchemaError

__all__ = ["Dataset", "DatasetVersion", "FingerprintLike", "Store", "open_store"]

FILENAME = "privlab.sqlite"
Migration = str | Callable[[sqlite3.Connection], None]


class FingerprintLike(Protocol):
    """What the store needs of a content fingerprint (see :func:`privlab.io.fingerprint`)."""

    @property
    def schema_hash(self) -> str: ...
    @property
    def rows(self) -> int: ...
    @property
    def content_hash(self) -> str: ...


@dataclass(frozen=True)
class DatasetVersion:
    """One content version of a dataset: hashes and a row count, never values."""

    content_hash: str
    schema_hash: str
    rows: int
    first_seen: str


@dataclass(frozen=True)
class Dataset:
    """A registered dataset and its privacy budget."""

    id: int
    name: str
    aliases: tuple[str, ...]
    owner: str
    epsilon_budget: float
    delta_budget: float
    created_at: str
    updated_at: str
    attrs: dict[str, Any] = field(default_factory=dict)
    versions: tuple[DatasetVersion, ...] = ()


_CORE_MIGRATIONS: list[Migration] = [
    """
    CREATE TABLE datasets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        owner TEXT NOT NULL,
        epsilon_budget REAL NOT NULL CHECK (epsilon_budget >= 0),
        delta_budget REAL NOT NULL CHECK (delta_budget >= 0),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        attrs TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE dataset_names (
        name TEXT PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE
    );
    CREATE TABLE dataset_versions (
        content_hash TEXT PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        schema_hash TEXT NOT NULL,
        rows INTEGER NOT NULL,
        first_seen TEXT NOT NULL
    );
    CREATE INDEX dataset_names_by_dataset ON dataset_names(dataset_id);
    CREATE INDEX dataset_versions_by_dataset ON dataset_versions(dataset_id);
    """,
]


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


class Store:
    """The privlab store: one SQLite file, short transactions, per-component schemas.

    Parameters
    ----------
    path:
        The SQLite file. Its folder is created when missing.
    clock:
        Returns the current time as an aware datetime; inject a fake clock in
        tests (retention, per-period budgets). Defaults to UTC now.
    timeout:
        Seconds a writer waits for another process's lock before failing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = Store(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite")
    >>> store.ensure_schema("notes", ["CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"])
    >>> with store.transaction() as conn:
    ...     _ = conn.execute("INSERT INTO notes (body) VALUES ('hello')")
    >>> with store.read() as conn:
    ...     conn.execute("SELECT count(*) FROM notes").fetchone()[0]
    1
    """

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], _dt.datetime] | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.path = Path(path)
        self.clock = clock or _utcnow
        self.timeout = timeout
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {self.path.parent}: {exc}") from exc
        self._known: set[str] = set()
        with self._connect() as conn:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # pragma: no cover - e.g. some network filesystems
                raise StoreError(f"could not switch {self.path} to WAL mode (got {mode!r})")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_versions ("
                "component TEXT PRIMARY KEY, version INTEGER NOT NULL, applied_at TEXT NOT NULL)"
            )
        self.ensure_schema("core", _CORE_MIGRATIONS)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- connections -------------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the privlab store {self.path}: {exc}") from exc
        try:
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def transaction(self, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
        """A short write transaction: commit on success, roll back on any error.

        ``BEGIN IMMEDIATE`` takes the write lock up front, so a read-then-write
        (reserve a budget, append to a hash chain) cannot interleave with another
        process. Keep the block short: never run user work inside it.
        """
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read-only snapshot (a deferred transaction that is rolled back)."""
        with self._connect() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("ROLLBACK")

    def now(self) -> str:
        """The store clock's current time as UTC ISO-8601 (seconds precision, ``Z``)."""
        stamp = self.clock().astimezone(_dt.UTC)
        return stamp.isoformat(timespec="microseconds").replace("+00:00", "Z")

    # -- schema --------------------------------------------------------------------------

    def ensure_schema(self, component: str, migrations: Sequence[Migration]) -> None:
        """Bring *component*'s tables up to ``len(migrations)``; idempotent.

        Parameters
        ----------
        component:
            A name owned by one module (``core``, ``dp_ledger``, ``catalog``, ``audit``).
        migrations:
            Ordered SQL scripts or callables; migration *i* moves the component
            from version *i* to *i + 1*. Never edit a released migration: append.

        Raises
        ------
        StoreSchemaError
            When the store records a newer version than *migrations* knows.
        """
        if component in self._known:
            return
        target = len(migrations)
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT version FROM schema_versions WHERE component = ?", (component,)
            ).fetchone()
            current = 0 if row is None else int(row[0])
            if current > target:
                raise StoreSchemaError(
                    f"the store {self.path} holds component {component!r} at schema version "
                    f"{current}, but this privlab knows only up to {target}: it was written "
                    "by a newer privlab; upgrade privlab to use it"
                )
            for migration in migrations[current:]:
                if callable(migration):
                    migration(conn)
                else:
                    for statement in _split_sql(migration):
                        conn.execute(statement)
            if current < target:
                conn.execute(
                    "INSERT INTO schema_versions (component, version, applied_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(component) DO UPDATE SET version = excluded.version, "
                    "applied_at = excluded.applied_at",
                    (component, target, self.now()),
                )
        self._known.add(component)

    def schema_version(self, component: str) -> int:
        """The recorded schema version of *component* (0 when it has no tables yet)."""
        with self.read() as conn:
            row = conn.execute(
                "SELECT version FROM schema_versions WHERE component = ?", (component,)
            ).fetchone()
        return 0 if row is None else int(row[0])

    # -- datasets ------------------------------------------------------------------------

    def resolve_dataset(
        self,
        name: str,
        fingerprint: FingerprintLike | None = None,
        *,
        owner: str | None = None,
    ) -> Dataset:
        """Return the dataset known by *name* or *fingerprint*, registering it on first use.

        Resolution, in one write transaction (two processes registering the same
        thing at once end with one dataset):

        1. *name* is known → that dataset; a new *fingerprint* becomes a new version.
        2. else *fingerprint* is known → that dataset; *name* becomes an alias.
        3. else a new dataset with the default budgets from config.

        Parameters
        ----------
        name:
            Any name for the dataset (file stem, catalog name).
        fingerprint:
            Content fingerprint from :func:`privlab.io.fingerprint`.
        owner:
            Recorded on registration; defaults to the configured user.

        Examples
        --------
        >>> import privlab as pv
        >>> from types import SimpleNamespace as FP
        >>> store = pv.open_store()
        >>> a = store.resolve_dataset("visits", FP(content_hash="c1", schema_hash="s", rows=3))
        >>> b = store.resolve_dataset("visits_copy", FP(content_hash="c1", schema_hash="s", rows=3))
        >>> a.id == b.id, b.aliases
        (True, ('visits', 'visits_copy'))
        """
        _check_name(name)
        cfg = get_config()
        with self.transaction() as conn:
            dataset_id = _id_by_name(conn, name)
            if dataset_id is None and fingerprint is not None:
                row = conn.execute(
                    "SELECT dataset_id FROM dataset_versions WHERE content_hash = ?",
                    (fingerprint.content_hash,),
                ).fetchone()
                dataset_id = None if row is None else int(row[0])
                if dataset_id is not None:
                    conn.execute(
                        "INSERT INTO dataset_names (name, dataset_id) VALUES (?, ?)",
                        (name, dataset_id),
                    )
            if dataset_id is None:
                now = self.now()
                cursor = conn.execute(
                    "INSERT INTO datasets (name, owner, epsilon_budget, delta_budget, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        name,
                        owner or cfg["user"],
                        cfg["default_epsilon"],
                        cfg["default_delta"],
                        now,
                        now,
                    ),
                )
                dataset_id = int(cursor.lastrowid or 0)
                conn.execute(
                    "INSERT INTO dataset_names (name, dataset_id) VALUES (?, ?)",
                    (name, dataset_id),
                )
            if fingerprint is not None:
                conn.execute(
                    "INSERT INTO dataset_versions "
                    "(content_hash, dataset_id, schema_hash, rows, first_seen) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(content_hash) DO NOTHING",
                    (
                        fingerprint.content_hash,
                        dataset_id,
                        fingerprint.schema_hash,
                        int(fingerprint.rows),
                        self.now(),
                    ),
                )
            return _load(conn, dataset_id)

    def get_dataset(self, name_or_id: str | int) -> Dataset:
        """Return a registered dataset by any of its names, or by id.

        Raises
        ------
        DatasetNotFoundError
            Listing the known names and the closest match.
        """
        with self.read() as conn:
            if isinstance(name_or_id, int) and not isinstance(name_or_id, bool):
                found = conn.execute(
                    "SELECT id FROM datasets WHERE id = ?", (name_or_id,)
                ).fetchone()
                dataset_id = None if found is None else int(found[0])
            else:
                dataset_id = _id_by_name(conn, str(name_or_id))
            if dataset_id is None:
                names = [r[0] for r in conn.execute("SELECT name FROM dataset_names ORDER BY name")]
                msg = (
                    f"no dataset {name_or_id!r} in the store {self.path}; known names are {names!r}"
                )
                close = difflib.get_close_matches(str(name_or_id), names, n=1)
                if close:
                    msg += f" — did you mean {close[0]!r}?"
                elif not names:
                    msg += " (register one with store.resolve_dataset(name, fingerprint))"
                raise DatasetNotFoundError(msg)
            return _load(conn, dataset_id)

    def find_by_fingerprint(self, content_hash: str) -> Dataset | None:
        """The dataset that has a version with this content hash, if any."""
        with self.read() as conn:
            row = conn.execute(
                "SELECT dataset_id FROM dataset_versions WHERE content_hash = ?", (content_hash,)
            ).fetchone()
            return None if row is None else _load(conn, int(row[0]))

    def list_datasets(self) -> list[Dataset]:
        """Every registered dataset, by canonical name."""
        with self.read() as conn:
            ids = [int(r[0]) for r in conn.execute("SELECT id FROM datasets ORDER BY name")]
            return [_load(conn, i) for i in ids]

    def set_budget(
        self, name: str, *, epsilon: float | None = None, delta: float | None = None
    ) -> Dataset:
        """Set the dataset's total privacy budget (the one budget the DP ledger spends).

        Examples
        --------
        >>> import privlab as pv
        >>> store = pv.open_store()
        >>> _ = store.resolve_dataset("claims")
        >>> store.set_budget("claims", epsilon=3.0).epsilon_budget
        3.0
        """
        for label, value in (("epsilon", epsilon), ("delta", delta)):
            if value is not None and (isinstance(value, bool) or not float(value) >= 0):
                raise StoreError(f"{label} budget must be a number >= 0, got {value!r}")
        dataset = self.get_dataset(name)
        with self.transaction() as conn:
            if epsilon is not None:
                conn.execute(
                    "UPDATE datasets SET epsilon_budget = ?, updated_at = ? WHERE id = ?",
                    (float(epsilon), self.now(), dataset.id),
                )
            if delta is not None:
                conn.execute(
                    "UPDATE datasets SET delta_budget = ?, updated_at = ? WHERE id = ?",
                    (float(delta), self.now(), dataset.id),
                )
            return _load(conn, dataset.id)

    def update_attrs(self, name: str, **attrs: Any) -> Dataset:
        """Merge JSON-serializable *attrs* into the dataset's ``attrs`` (``None`` deletes a key)."""
        dataset = self.get_dataset(name)
        with self.transaction() as conn:
            row = conn.execute("SELECT attrs FROM datasets WHERE id = ?", (dataset.id,)).fetchone()
            merged = {**json.loads(row[0]), **attrs}
            merged = {k: v for k, v in merged.items() if v is not None}
            try:
                text = json.dumps(merged, sort_keys=True)
            except TypeError as exc:
                raise StoreError(f"dataset attrs must be JSON-serializable: {exc}") from exc
            conn.execute(
                "UPDATE datasets SET attrs = ?, updated_at = ? WHERE id = ?",
                (text, self.now(), dataset.id),
            )
            return _load(conn, dataset.id)

    def add_alias(self, name: str, alias: str) -> None:
        """Make *alias* another name of the dataset known as *name*."""
        _check_name(alias)
        dataset = self.get_dataset(name)
        with self.transaction() as conn:
            existing = _id_by_name(conn, alias)
            if existing is not None and existing != dataset.id:
                raise StoreError(
                    f"the name {alias!r} already belongs to another dataset; pick another alias"
                )
            conn.execute(
                "INSERT INTO dataset_names (name, dataset_id) VALUES (?, ?) "
                "ON CONFLICT(name) DO NOTHING",
                (alias, dataset.id),
            )


def open_store(home: str | Path | None = None) -> Store:
    """Open (creating when needed) the store under *home* or ``PRIVLAB_HOME``.

    Examples
    --------
    >>> import privlab as pv
    >>> pv.open_store().path.name
    'privlab.sqlite'
    """
    folder = Path(home) if home is not None else Path(get_config()["home"])
    return Store(folder / FILENAME)


# -- helpers -----------------------------------------------------------------------------


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (our scripts hold no ';' in literals)."""
    return [part.strip() for part in script.split(";") if part.strip()]


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise StoreError(f"a dataset name must be a non-empty string, got {name!r}")


def _id_by_name(conn: sqlite3.Connection, name: str) -> int | None:
    row = conn.execute("SELECT dataset_id FROM dataset_names WHERE name = ?", (name,)).fetchone()
    return None if row is None else int(row[0])


def _load(conn: sqlite3.Connection, dataset_id: int) -> Dataset:
    row = conn.execute(
        "SELECT id, name, owner, epsilon_budget, delta_budget, created_at, updated_at, attrs "
        "FROM datasets WHERE id = ?",
        (dataset_id,),
    ).fetchone()
    if row is None:  # pragma: no cover - callers pass ids they just read
        raise DatasetNotFoundError(f"no dataset with id {dataset_id}")
    aliases = tuple(
        r[0]
        for r in conn.execute(
            "SELECT name FROM dataset_names WHERE dataset_id = ? ORDER BY name", (dataset_id,)
        )
    )
    versions = tuple(
        DatasetVersion(content_hash=r[0], schema_hash=r[1], rows=int(r[2]), first_seen=r[3])
        for r in conn.execute(
            "SELECT content_hash, schema_hash, rows, first_seen FROM dataset_versions "
            "WHERE dataset_id = ? ORDER BY first_seen, content_hash",
            (dataset_id,),
        )
    )
    return Dataset(
        id=int(row[0]),
        name=row[1],
        aliases=aliases,
        owner=row[2],
        epsilon_budget=float(row[3]),
        delta_budget=float(row[4]),
        created_at=row[5],
        updated_at=row[6],
        attrs=json.loads(row[7]),
        versions=versions,
    )
