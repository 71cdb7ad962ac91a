"""The store's connection, transactions, per-component migrations and dataset identity.

See :mod:`privlab.store` for the design (concurrency, schema versions, identity rules).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import difflib
import json
import math
import numbers
import os
import socket
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from privlab._config import get_config
from privlab._time import iso
from privlab.exceptions import (
    AuditIntegrityError,
    DatasetNotFoundError,
    StoreError,
    StoreSchemaError,
)
from privlab.io import TEMP_SUFFIX
from privlab.store import _audit
from privlab.store._audit import append_audit
from privlab.store._conn import StoreConnection
from privlab.store._witness import Witness

__all__ = [
    "FILENAME",
    "Dataset",
    "DatasetVersion",
    "FingerprintLike",
    "Migration",
    "Store",
    "open_store",
]

FILENAME = "privlab.sqlite"
#: Default file name of the audit witness, beside the store (``PRIVLAB_AUDIT_WITNESS`` overrides).
WITNESS_FILENAME = "audit-witness.jsonl"
#: Temp files older than this are deleted when a store opens (their writer died).
TEMP_MAX_AGE = _dt.timedelta(hours=1)

#: One migration step: an SQL script (statements separated by ``;``, triggers
#: allowed) or a callable that runs statements on the connection it is given.
Migration = str | Callable[[sqlite3.Connection], None]

_MAX_NAMES_SHOWN = 20


class FingerprintLike(Protocol):
    """What the store needs of a content fingerprint (:func:`privlab.io.fingerprint`).

    Any object with these attributes will do; ``schema`` may also be missing.
    """

    @property
    def schema_hash(self) -> str:
        """Hash of the column names and types."""

    @property
    def rows(self) -> int:
        """Number of rows."""

    @property
    def content_hash(self) -> str:
        """Hash of the content (identifies the data whatever its file)."""

    @property
    def schema(self) -> Sequence[tuple[str, str]]:
        """``(column, dtype)`` pairs."""


@dataclass(frozen=True)
class DatasetVersion:
    """One content version of a dataset: hashes, a row count and the column types.

    ``schema`` lists ``(column, dtype)`` pairs (no values), or is ``None`` when
    the fingerprint did not carry it.
    """

    content_hash: str
    schema_hash: str
    rows: int
    first_seen: str
    schema: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class Dataset:
    """A registered dataset and its total privacy budget (a snapshot; re-read to refresh).

    ``aliases`` holds every name of the dataset, the canonical ``name`` included,
    sorted. ``versions`` are in the order they were first seen.
    """

    id: int
    name: str
    aliases: tuple[str, ...]
    owner: str
    epsilon_budget: float
    delta_budget: float
    created_at: str
    updated_at: str
    attrs: dict[str, Any] = field(default_factory=dict, hash=False)
    versions: tuple[DatasetVersion, ...] = ()

    @property
    def latest_version(self) -> DatasetVersion | None:
        """The most recently first-seen version, or ``None`` when no content was seen."""
        return self.versions[-1] if self.versions else None


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
    # 2: column names and dtypes per version, so the catalog can tell new or
    # retyped columns from a changed schema hash (names and types, never values).
    "ALTER TABLE dataset_versions ADD COLUMN schema TEXT",
    # 3: a random id (the audit witness names the store it witnesses) and the
    # temp files writers registered before writing (swept when their writer died)
    """
    CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO store_meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))));
    CREATE TABLE store_temps (
        path TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL
    );
    CREATE INDEX store_temps_by_time ON store_temps(created_at);
    """,
]

# Open write transactions of this thread, by store file: a nested
# Store.transaction() on the same file joins the open one instead of waiting
# for its own lock (SQLite locks are per file, so this is per file too).
_OPEN = threading.local()


@contextlib.contextmanager
def _savepoint(conn: StoreConnection) -> Iterator[None]:
    """A nested block: its changes (audit records included) roll back alone on error."""
    name = f"privlab_{id(conn)}_{time.monotonic_ns()}"
    tail, pending = conn.audit_tail, conn.pending_witness
    conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        conn.execute(f"ROLLBACK TO {name}")
        conn.execute(f"RELEASE {name}")
        conn.audit_tail, conn.pending_witness = tail, pending
        raise
    conn.execute(f"RELEASE {name}")


def _open_transactions() -> dict[str, StoreConnection]:
    table: dict[str, StoreConnection] | None = getattr(_OPEN, "by_file", None)
    if table is None:
        table = {}
        _OPEN.by_file = table
    return table


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


class Store:
    """The privlab store: one SQLite file, short transactions, per-component schemas.

    Opening a store switches the file to WAL mode and brings the ``core``
    component up to date; it takes the write lock only when something must change.

    Parameters
    ----------
    path:
        The SQLite file (not ``:memory:`` — every operation opens its own
        connection). Its folder is created when missing.
    clock:
        Returns the current time as a datetime (naive values are taken as UTC);
        inject a fake clock in tests of retention or per-period budgets.
    timeout:
        Seconds a writer waits for another's lock before failing with
        :class:`~privlab.exceptions.StoreError`.

    Raises
    ------
    StoreError
        The folder cannot be created or the file is not an SQLite database.
    StoreSchemaError
        The file was written by a newer privlab.

    Examples
    --------
    >>> import privlab as pv
    >>> store = Store(pv.get_config()["home"] / "notes.sqlite")
    >>> store.ensure_schema("notes", ["CREATE TABLE notes_text (id INTEGER PRIMARY KEY, body)"])
    >>> with store.transaction() as conn:
    ...     _ = conn.execute("INSERT INTO notes_text (body) VALUES ('hello')")
    >>> with store.read() as conn:
    ...     conn.execute("SELECT count(*) FROM notes_text").fetchone()[0]
    1
    """

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], _dt.datetime] | None = None,
        timeout: float = 30.0,
        witness: str | Path | None = None,
        audit_key: str | bytes | None = None,
    ) -> None:
        self.path = Path(path)
        self.clock = clock or _utcnow
        self.timeout = float(timeout)
        self._known: dict[str, int] = {}
        self._audit_key = audit_key.encode() if isinstance(audit_key, str) else audit_key
        if str(path) == ":memory:":
            raise StoreError(
                "the privlab store must be a file, got ':memory:'; pass a path such as "
                "tmp_path / 'privlab.sqlite'"
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {self.path.parent}: {exc}") from exc
        self._file = os.path.realpath(self.path)
        self.witness = Witness(witness if witness is not None else self._default_witness())
        self._create_private()
        self._enable_wal()
        self.ensure_schema("core", _CORE_MIGRATIONS)
        self.ensure_schema(_audit.COMPONENT, _audit.MIGRATIONS)
        self.sweep_temps()

    def _default_witness(self) -> Path:
        """``PRIVLAB_AUDIT_WITNESS`` for the store under ``PRIVLAB_HOME``, else beside the store."""
        env = os.environ.get("PRIVLAB_AUDIT_WITNESS")
        home_store = os.path.realpath(Path(get_config()["home"]) / FILENAME)
        if env and self._file == home_store:
            return Path(env).expanduser()
        return self.path.parent / WITNESS_FILENAME

    def _create_private(self) -> None:
        """Create the file ``0600``; narrow an existing store readable by others to ``0600``.

        SQLite gives its -wal and -shm files the same mode as the database.
        """
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            try:
                info = os.stat(self.path)
                if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
                    os.chmod(self.path, 0o600)
            except OSError:
                pass  # not ours, or not a regular file: SQLite reports what is wrong
            return
        except OSError as exc:
            raise StoreError(f"cannot create the privlab store {self.path}: {exc}") from exc
        os.close(fd)

    @property
    def store_id(self) -> str:
        """The random id this store was created with (the witness records it).

        Examples
        --------
        >>> import privlab as pv
        >>> len(pv.open_store().store_id)
        32
        """
        with self.read() as conn:
            return _audit.store_id_of(conn)

    def audit_key(self) -> bytes | None:
        """The audit HMAC key: the one given to the store, else ``PRIVLAB_AUDIT_KEY``.

        Never stored, logged or written anywhere by privlab.
        """
        if self._audit_key is not None:
            return self._audit_key
        raw = os.environ.get("PRIVLAB_AUDIT_KEY")
        return raw.encode() if raw else None

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def _enable_wal(self) -> None:
        """Switch the file to WAL (persistent), retrying while other processes open it too.

        SQLite answers ``database is locked`` at once, without waiting, when two
        connections try to change the journal mode of a fresh file together.
        """
        deadline = time.monotonic() + self.timeout
        delay = 0.002
        while True:
            try:
                with self._connect() as conn:
                    mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
                    if mode != "wal":
                        mode = str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise self._unusable(exc) from exc
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"the privlab store {self.path} stayed locked for {self.timeout:g} s "
                        "while opening; retry, or look for a stuck process"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
                continue
            except sqlite3.DatabaseError as exc:
                raise self._unusable(exc) from exc
            if mode != "wal":  # pragma: no cover - e.g. some network filesystems
                raise StoreError(
                    f"could not switch {self.path} to WAL mode (got {mode!r}); "
                    "put PRIVLAB_HOME on a local disk"
                )
            return

    def _unusable(self, exc: sqlite3.Error) -> StoreError:
        return StoreError(
            f"{self.path} is not a usable privlab store ({exc}); move it aside to start "
            "a new one, or point PRIVLAB_HOME elsewhere"
        )

    # -- connections -------------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(
        self, *, foreign_keys: bool = True, query_only: bool = False
    ) -> Iterator[StoreConnection]:
        try:
            conn = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, factory=StoreConnection
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the privlab store {self.path}: {exc}") from exc
        conn.store = self
        conn.read_only = query_only
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            conn.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
            conn.execute("PRAGMA synchronous = FULL")
            if query_only:
                conn.execute("PRAGMA query_only = ON")
            yield conn
        finally:
            conn.close()

    def _begin(self, conn: sqlite3.Connection, statement: str) -> None:
        try:
            conn.execute(statement)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreError(
                    f"the privlab store {self.path} is busy: another process held its write "
                    f"lock for more than {self.timeout:g} s; retry, or look for a stuck process"
                ) from exc
            raise

    @contextlib.contextmanager
    def _write(self, conn: StoreConnection, immediate: bool) -> Iterator[StoreConnection]:
        self._begin(conn, "BEGIN IMMEDIATE" if immediate else "BEGIN")
        conn.audit_tail = None
        conn.pending_witness = None
        open_ = _open_transactions()
        open_[self._file] = conn
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            open_.pop(self._file, None)
        if not conn.in_transaction:
            raise StoreError(
                "the store transaction was committed or rolled back inside its `with` block; "
                "let Store.transaction() end it (and don't use executescript, which commits)"
            )
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(f"could not commit to the privlab store {self.path}: {exc}") from exc
        if conn.pending_witness is not None:
            self._witness_head(conn, conn.pending_witness)

    def _witness_head(
        self, conn: StoreConnection, head: tuple[int, str, str | None, str | None]
    ) -> None:
        seq, digest, mac, key_id = head
        try:
            store_id = _audit.store_id_of(conn)
            self.witness.append(
                store_id,
                self._file,
                seq=seq,
                digest=digest,
                mac=mac,
                key_id=key_id,
                created_at=self.now(),
            )
        except OSError as exc:
            raise AuditIntegrityError(
                f"the change and its audit record {seq} were committed, but the audit witness "
                f"{self.witness.path} could not be appended ({exc}); fix the witness location "
                "(PRIVLAB_AUDIT_WITNESS) and run `privlab audit verify`"
            ) from exc

    @contextlib.contextmanager
    def transaction(self, *, immediate: bool = True) -> Iterator[StoreConnection]:
        """A short write transaction: commit on success, roll back on any error.

        Parameters
        ----------
        immediate:
            ``True`` (default) starts with ``BEGIN IMMEDIATE``: the write lock is
            taken up front, so what the block reads cannot change before it
            writes — use it for every read-check-write. ``False`` starts a deferred
            transaction that takes the lock at its first write; upgrading from a
            read can then fail at once with ``database is locked``.

        Yields
        ------
        sqlite3.Connection
            Use ``execute``; don't ``commit``, ``rollback`` or ``executescript``.
            Keep the block short: never run user work inside it.

        Raises
        ------
        StoreError
            The write lock was not free within ``timeout`` seconds, or the commit
            failed. Exceptions raised in the block propagate after the rollback.

        Examples
        --------
        >>> import privlab as pv
        >>> store = pv.open_store()
        >>> _ = store.resolve_dataset("visits")
        >>> try:
        ...     with store.transaction() as conn:
        ...         _ = conn.execute("UPDATE datasets SET epsilon_budget = 9")
        ...         raise RuntimeError("the work failed")
        ... except RuntimeError:
        ...     pass
        >>> store.get_dataset("visits").epsilon_budget == pv.get_config()["default_epsilon"]
        True
        """
        joined = _open_transactions().get(self._file)
        if joined is not None:  # nested: a savepoint inside the transaction already open
            with _savepoint(joined):
                yield joined
            return
        with self._connect() as conn, self._write(conn, immediate):
            yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[StoreConnection]:
        """A read-only snapshot: a deferred transaction on a ``query_only`` connection.

        Everything read inside the block sees the same committed state; writes
        raise ``sqlite3.OperationalError``. Readers never wait for the writer.

        Examples
        --------
        >>> import privlab as pv
        >>> with pv.open_store().read() as conn:
        ...     conn.execute("SELECT count(*) FROM datasets").fetchone()[0]
        0
        """
        joined = _open_transactions().get(self._file)
        if joined is not None:  # inside a write transaction: read its own writes
            yield joined
            return
        with self._connect(query_only=True) as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")

    def now(self) -> str:
        """The store clock's current time: UTC ISO-8601 with microseconds and ``Z``.

        Examples
        --------
        >>> import datetime as dt, privlab as pv
        >>> fixed = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
        >>> Store(pv.get_config()["home"] / "t.sqlite", clock=lambda: fixed).now()
        '2030-01-02T03:04:05.000000Z'
        """
        return iso(self.clock())

    # -- temp files ------------------------------------------------------------------------

    def record_temp(self, path: str | Path) -> None:
        """Remember a temp file *before* it is written, so a dead writer's temp is swept.

        :func:`privlab.io.atomic_path` calls this through
        :func:`privlab.io.temp_registry`; :meth:`sweep_temps` deletes recorded
        temps older than an hour whose writer is gone. Only names ending in
        ``.privlab-tmp`` are accepted, so the registry can never be made to
        delete anything else.

        Examples
        --------
        >>> import privlab as pv
        >>> store = pv.open_store()
        >>> tmp = pv.get_config()["home"] / ".out.csv.1a2b.privlab-tmp"
        >>> store.record_temp(tmp)
        >>> [p.name for p in store.temps()]
        ['.out.csv.1a2b.privlab-tmp']
        >>> store.forget_temp(tmp)
        >>> store.temps()
        []
        """
        name = os.path.abspath(path)
        if not name.endswith(TEMP_SUFFIX):
            raise StoreError(f"temp files end with {TEMP_SUFFIX!r}, got {str(path)!r}")
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO store_temps (path, created_at, host, pid) "
                "VALUES (?, ?, ?, ?)",
                (name, self.now(), socket.gethostname(), os.getpid()),
            )

    def forget_temp(self, path: str | Path) -> None:
        """Drop a temp file from the registry (it was renamed into place or removed)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM store_temps WHERE path = ?", (os.path.abspath(path),))

    def temps(self) -> list[Path]:
        """Temp files currently recorded, oldest first."""
        with self.read() as conn:
            rows = conn.execute("SELECT path FROM store_temps ORDER BY created_at").fetchall()
        return [Path(r[0]) for r in rows]

    def sweep_temps(self, *, older_than: _dt.timedelta = TEMP_MAX_AGE) -> list[Path]:
        """Delete recorded temp files older than *older_than* whose writer is gone.

        Runs whenever a store opens (and at every CLI start). A temp whose
        writing process is still alive on this host is kept, however old. Each
        sweep that deletes something is audited (``temp_sweep``).

        Returns
        -------
        list of pathlib.Path
            The temp files deleted (or found already gone).
        """
        cutoff = iso(self.clock() - older_than)
        with self.read() as conn:
            rows = conn.execute(
                "SELECT path, host, pid FROM store_temps WHERE created_at < ?", (cutoff,)
            ).fetchall()
        stale = [Path(p) for p, host, pid in rows if not _alive(str(host), int(pid))]
        if not stale:
            return []
        removed: list[Path] = []
        with self.transaction() as conn:
            for path in stale:
                if path.name.endswith(TEMP_SUFFIX) and not path.is_dir():
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                    removed.append(path)
                conn.execute("DELETE FROM store_temps WHERE path = ?", (str(path),))
            append_audit(
                conn,
                "temp_sweep",
                details={"deleted": [str(p) for p in removed[:100]], "count": len(removed)},
            )
        return removed

    # -- schema --------------------------------------------------------------------------

    def ensure_schema(self, component: str, migrations: Sequence[Migration]) -> None:
        """Bring *component*'s tables up to version ``len(migrations)``; idempotent.

        The missing migrations run in one transaction (all or none), with
        foreign keys off and a ``PRAGMA foreign_key_check`` before commit. Two
        processes calling this at once apply each migration once. When the
        component is already current, no write lock is taken.

        Parameters
        ----------
        component:
            A name owned by one module (``core``, ``dp_ledger``, ``catalog``, ``audit``).
        migrations:
            Ordered SQL scripts or callables; migration *i* (0-based) moves the
            component from version *i* to *i + 1*. Append new ones; never edit a
            released one. A callable gets the connection and must not commit.

        Raises
        ------
        StoreSchemaError
            When the store records a newer version than *migrations* knows.
        StoreError
            When a migration fails (nothing of it is kept) or breaks a foreign key.

        Examples
        --------
        >>> import privlab as pv
        >>> store = pv.open_store()
        >>> steps = ["CREATE TABLE demo_items (id INTEGER PRIMARY KEY)"]
        >>> store.ensure_schema("demo", steps)
        >>> store.ensure_schema("demo", [*steps, "ALTER TABLE demo_items ADD COLUMN label TEXT"])
        >>> store.schema_versions()
        {'audit': 3, 'core': 3, 'demo': 2}
        """
        if not isinstance(component, str) or not component.strip():
            raise StoreError(f"a schema component must be a non-empty string, got {component!r}")
        target = len(migrations)
        if self._known.get(component) == target:
            return
        current = self.schema_version(component)
        self._check_not_newer(component, current, target)
        if current < target and self._file in _open_transactions():
            raise StoreError(
                f"component {component!r} needs migrating, but a transaction on {self.path} is "
                "open in this thread; open the component (e.g. construct it) before the "
                "transaction"
            )
        if current < target:
            with self._connect(foreign_keys=False) as conn, self._write(conn, immediate=True):
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, "
                    "version INTEGER NOT NULL, applied_at TEXT NOT NULL)"
                )
                current = _recorded_version(conn, component)  # another process may have won
                self._check_not_newer(component, current, target)
                for number in range(current + 1, target + 1):
                    self._apply(conn, component, number, migrations[number - 1])
                if current < target:
                    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(
                            f"migrations {current + 1}..{target} of component {component!r} "
                            f"leave rows pointing at nothing (table, rowid, parent): "
                            f"{[tuple(r[:3]) for r in broken[:5]]!r}; fix the migration"
                        )
                    conn.execute(
                        "INSERT INTO schema_versions (component, version, applied_at) "
                        "VALUES (?, ?, ?) ON CONFLICT(component) DO UPDATE SET "
                        "version = excluded.version, applied_at = excluded.applied_at",
                        (component, target, self.now()),
                    )
        self._known[component] = target

    def _check_not_newer(self, component: str, current: int, target: int) -> None:
        if current > target:
            raise StoreSchemaError(
                f"the store {self.path} holds component {component!r} at schema version "
                f"{current}, but this privlab knows only up to {target}: it was written by a "
                "newer privlab; upgrade privlab (pip install -U privlab) to use this store"
            )

    def _apply(
        self, conn: sqlite3.Connection, component: str, number: int, migration: Migration
    ) -> None:
        try:
            if callable(migration):
                migration(conn)
            else:
                for statement in _split_sql(migration):
                    conn.execute(statement)
        except sqlite3.Error as exc:
            raise StoreError(
                f"migration {number} of component {component!r} failed: {exc}; nothing was kept"
            ) from exc
        if not conn.in_transaction:
            raise StoreError(
                f"migration {number} of component {component!r} ended the transaction "
                "(commit or executescript); run plain statements with conn.execute"
            )

    def schema_version(self, component: str) -> int:
        """The recorded schema version of *component* (0 when it has no tables yet).

        Examples
        --------
        >>> import privlab as pv
        >>> store = pv.open_store()
        >>> store.schema_version("core"), store.schema_version("not_yet")
        (3, 0)
        """
        with self.read() as conn:
            return _recorded_version(conn, component)

    def schema_versions(self) -> dict[str, int]:
        """Every component's recorded schema version, by component name."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT component, version FROM schema_versions ORDER BY component"
            ).fetchall()
        return {str(component): int(version) for component, version in rows}

    # -- datasets ------------------------------------------------------------------------

    def resolve_dataset(
        self,
        name: str,
        fingerprint: FingerprintLike | None = None,
        *,
        owner: str | None = None,
    ) -> Dataset:
        """Return the dataset known by *name* or *fingerprint*, registering it on first use.

        Resolution runs in one write transaction, so processes registering the
        same thing at once end with one dataset:

        1. *name* and the content are both unknown → a new dataset with the
           default budgets from config; *name* becomes its canonical name.
        2. the content is known, *name* is not → that dataset; *name* becomes an alias.
        3. *name* is known → that dataset; unknown content becomes a new version
           (the budget is shared, not reset).
        4. *name* and the content are known but belong to different datasets → refused.

        Parameters
        ----------
        name:
            Any name for the dataset (file stem, catalog name).
        fingerprint:
            Content fingerprint from :func:`privlab.io.fingerprint` (anything with
            ``content_hash``, ``schema_hash``, ``rows`` and optionally ``schema``).
        owner:
            Recorded when the dataset is registered; defaults to the configured
            user. Ignored for a known dataset.

        Raises
        ------
        StoreError
            Case 4, an empty name or a malformed fingerprint.

        Examples
        --------
        >>> import privlab as pv
        >>> from types import SimpleNamespace as FP
        >>> store = pv.open_store()
        >>> v1 = FP(content_hash="c1", schema_hash="s", rows=3, schema=[("age", "Int64")])
        >>> a = store.resolve_dataset("visits", v1)
        >>> b = store.resolve_dataset("visits_copy", v1)      # same content: an alias
        >>> a.id == b.id, b.aliases
        (True, ('visits', 'visits_copy'))
        >>> v2 = FP(content_hash="c2", schema_hash="s", rows=4, schema=[("age", "Int64")])
        >>> c = store.resolve_dataset("visits", v2)            # new content: a version
        >>> c.id == a.id, [v.rows for v in c.versions]
        (True, [3, 4])
        """
        _check_name(name)
        version = _version_values(fingerprint) if fingerprint is not None else None
        cfg = get_config()
        budgets = (cfg["default_epsilon"], cfg["default_delta"])
        with self.transaction() as conn:
            by_name = _id_by_name(conn, name)
            content_hash = "" if version is None else version[0]
            by_content = None if version is None else _id_by_content(conn, content_hash)
            if by_name is not None and by_content is not None and by_name != by_content:
                raise StoreError(
                    f"the name {name!r} belongs to dataset {_canonical(conn, by_name)!r}, but "
                    f"this content (hash {content_hash[:12]}…) is registered as dataset "
                    f"{_canonical(conn, by_content)!r}: one content has one privacy budget. "
                    f"Use the name {_canonical(conn, by_content)!r} for this data, or register "
                    "the data under a new name"
                )
            dataset_id = by_name if by_name is not None else by_content
            now = self.now()
            if dataset_id is None:
                cursor = conn.execute(
                    "INSERT INTO datasets (name, owner, epsilon_budget, delta_budget, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (name, owner or cfg["user"], *budgets, now, now),
                )
                dataset_id = int(cursor.lastrowid or 0)
                conn.execute(
                    "INSERT INTO dataset_names (name, dataset_id) VALUES (?, ?)",
                    (name, dataset_id),
                )
                append_audit(
                    conn,
                    "dataset_created",
                    dataset=name,
                    details={
                        "dataset_id": dataset_id,
                        "owner": owner or cfg["user"],
                        "epsilon": budgets[0],
                        "delta": budgets[1],
                    },
                )
            elif by_name is None:
                conn.execute(
                    "INSERT INTO dataset_names (name, dataset_id) VALUES (?, ?)",
                    (name, dataset_id),
                )
                _touch(conn, dataset_id, now)
                append_audit(
                    conn,
                    "dataset_alias",
                    dataset=_canonical(conn, dataset_id),
                    details={"dataset_id": dataset_id, "alias": name, "by": "content"},
                )
            if version is not None and by_content is None:
                conn.execute(
                    "INSERT INTO dataset_versions "
                    "(content_hash, dataset_id, schema_hash, rows, first_seen, schema) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (version[0], dataset_id, version[1], version[2], now, version[3]),
                )
                _touch(conn, dataset_id, now)
                append_audit(
                    conn,
                    "dataset_version",
                    dataset=_canonical(conn, dataset_id),
                    details={
                        "dataset_id": dataset_id,
                        "content_hash": version[0],
                        "schema_hash": version[1],
                        "rows": version[2],
                    },
                )
            return _load(conn, dataset_id)

    def get_dataset(self, name_or_id: str | int) -> Dataset:
        """Return a registered dataset by any of its names, or by its integer id.

        Raises
        ------
        DatasetNotFoundError
            Listing the known names and the closest match.

        Examples
        --------
        >>> import privlab as pv
        >>> store = pv.open_store()
        >>> _ = store.resolve_dataset("patients")
        >>> store.get_dataset("patient")
        Traceback (most recent call last):
        ...
        privlab.exceptions.DatasetNotFoundError: no dataset 'patient' ... did you mean 'patients'?
        """
        with self.read() as conn:
            return _load(conn, self._lookup(conn, name_or_id))

    def find_by_fingerprint(self, fingerprint: FingerprintLike | str) -> Dataset | None:
        """The dataset that has a version with this content (a fingerprint or its hash).

        Examples
        --------
        >>> import privlab as pv
        >>> from types import SimpleNamespace as FP
        >>> store = pv.open_store()
        >>> _ = store.resolve_dataset("claims", FP(content_hash="h1", schema_hash="s", rows=1))
        >>> store.find_by_fingerprint("h1").name, store.find_by_fingerprint("h2")
        ('claims', None)
        """
        content_hash = fingerprint if isinstance(fingerprint, str) else fingerprint.content_hash
        with self.read() as conn:
            dataset_id = _id_by_content(conn, content_hash)
            return None if dataset_id is None else _load(conn, dataset_id)

    def list_datasets(self) -> list[Dataset]:
        """Every registered dataset, by canonical name.

        Examples
        --------
        >>> import privlab as pv
        >>> store = pv.open_store()
        >>> for name in ["b", "a"]:
        ...     _ = store.resolve_dataset(name)
        >>> [ds.name for ds in store.list_datasets()]
        ['a', 'b']
        """
        with self.read() as conn:
            ids = [int(r[0]) for r in conn.execute("SELECT id FROM datasets ORDER BY name")]
            return [_load(conn, i) for i in ids]

    def set_budget(
        self,
        name: str | int,
        *,
        epsilon: float | None = None,
        delta: float | None = None,
        reason: str | None = None,
    ) -> Dataset:
        """Set the dataset's total privacy budget — the one budget the DP ledger spends.

        The store does not know what was spent; lowering a budget below the
        spent amount is for the ledger to report.

        Parameters
        ----------
        name:
            Any name of the dataset, or its id.
        epsilon, delta:
            New totals: ε a finite number >= 0, δ in [0, 1). ``None`` keeps the current one.
        reason:
            Why, recorded in the audit log with the old and new totals (every
            budget change is audited, in the same transaction).

        Examples
        --------
        >>> import privlab as pv
        >>> store = pv.open_store()
        >>> _ = store.resolve_dataset("claims")
        >>> store.set_budget("claims", epsilon=3.0).epsilon_budget
        3.0
        """
        if epsilon is None and delta is None:
            raise StoreError("set_budget needs epsilon= and/or delta=, got neither")
        eps = None if epsilon is None else _check_number("epsilon", epsilon, upper=math.inf)
        dlt = None if delta is None else _check_number("delta", delta, upper=1.0)
        with self.transaction() as conn:
            dataset_id = self._lookup(conn, name)
            before = _load(conn, dataset_id)
            if eps is not None:
                conn.execute(
                    "UPDATE datasets SET epsilon_budget = ? WHERE id = ?", (eps, dataset_id)
                )
            if dlt is not None:
                conn.execute("UPDATE datasets SET delta_budget = ? WHERE id = ?", (dlt, dataset_id))
            _touch(conn, dataset_id, self.now())
            after = _load(conn, dataset_id)
            append_audit(
                conn,
                "budget",
                dataset=after.name,
                details={
                    "dataset_id": dataset_id,
                    "epsilon": after.epsilon_budget,
                    "delta": after.delta_budget,
                    "previous": {"epsilon": before.epsilon_budget, "delta": before.delta_budget},
                    **({"reason": reason} if reason else {}),
                },
            )
            return after

    def update_attrs(self, name: str | int, **attrs: Any) -> Dataset:
        """Merge JSON-serializable *attrs* into the dataset's ``attrs``; ``None`` deletes a key.

        For later features' metadata (department, purpose, classification,
        retention …) — never raw data values or secrets.

        Examples
        --------
        >>> import privlab as pv
        >>> store = pv.open_store()
        >>> _ = store.resolve_dataset("staff")
        >>> store.update_attrs("staff", department="HR", purpose="payroll").attrs
        {'department': 'HR', 'purpose': 'payroll'}
        >>> store.update_attrs("staff", purpose=None).attrs
        {'department': 'HR'}
        """
        with self.transaction() as conn:
            dataset_id = self._lookup(conn, name)
            row = conn.execute("SELECT attrs FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
            merged = {**json.loads(row[0]), **attrs}
            merged = {key: value for key, value in merged.items() if value is not None}
            try:
                text = json.dumps(merged, sort_keys=True, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise StoreError(
                    f"dataset attrs must be JSON-serializable (str, finite numbers, bool, "
                    f"lists, dicts): {exc}"
                ) from exc
            conn.execute("UPDATE datasets SET attrs = ? WHERE id = ?", (text, dataset_id))
            _touch(conn, dataset_id, self.now())
            return _load(conn, dataset_id)

    def add_alias(self, name: str | int, alias: str) -> Dataset:
        """Make *alias* another name of the dataset known as *name*; returns the dataset.

        Raises
        ------
        StoreError
            When *alias* already names another dataset.

        Examples
        --------
        >>> import privlab as pv
        >>> store = pv.open_store()
        >>> _ = store.resolve_dataset("hr")
        >>> store.add_alias("hr", "people").aliases
        ('hr', 'people')
        """
        _check_name(alias)
        with self.transaction() as conn:
            dataset_id = self._lookup(conn, name)
            existing = _id_by_name(conn, alias)
            if existing is not None and existing != dataset_id:
                raise StoreError(
                    f"the name {alias!r} already belongs to dataset "
                    f"{_canonical(conn, existing)!r}; pick another alias"
                )
            if existing is None:
                conn.execute(
                    "INSERT INTO dataset_names (name, dataset_id) VALUES (?, ?)",
                    (alias, dataset_id),
                )
                _touch(conn, dataset_id, self.now())
                append_audit(
                    conn,
                    "dataset_alias",
                    dataset=_canonical(conn, dataset_id),
                    details={"dataset_id": dataset_id, "alias": alias, "by": "name"},
                )
            return _load(conn, dataset_id)

    def _lookup(self, conn: sqlite3.Connection, name_or_id: str | int) -> int:
        if isinstance(name_or_id, int) and not isinstance(name_or_id, bool):
            row = conn.execute("SELECT id FROM datasets WHERE id = ?", (name_or_id,)).fetchone()
            dataset_id = None if row is None else int(row[0])
        else:
            dataset_id = _id_by_name(conn, str(name_or_id))
        if dataset_id is not None:
            return dataset_id
        names = [r[0] for r in conn.execute("SELECT name FROM dataset_names ORDER BY name")]
        shown = repr(names[:_MAX_NAMES_SHOWN])
        if len(names) > _MAX_NAMES_SHOWN:
            shown = f"{shown[:-1]}, … and {len(names) - _MAX_NAMES_SHOWN} more]"
        msg = f"no dataset {name_or_id!r} in the store {self.path}; known names are {shown}"
        close = difflib.get_close_matches(str(name_or_id), names, n=1)
        if close:
            msg += f" — did you mean {close[0]!r}?"
        elif not names:
            msg += "; register one with store.resolve_dataset(name, fingerprint)"
        raise DatasetNotFoundError(msg)


def open_store(
    home: str | Path | None = None,
    *,
    clock: Callable[[], _dt.datetime] | None = None,
    timeout: float = 30.0,
) -> Store:
    """Open (creating when needed) the store ``privlab.sqlite`` under *home* or ``PRIVLAB_HOME``.

    Cheap enough to call per operation; see :class:`Store` for the parameters.

    Examples
    --------
    >>> import privlab as pv
    >>> store = pv.open_store()
    >>> store.path == pv.get_config()["home"] / "privlab.sqlite"
    True
    """
    folder = Path(home).expanduser() if home is not None else Path(get_config()["home"])
    return Store(folder / FILENAME, clock=clock, timeout=timeout)


# -- helpers -----------------------------------------------------------------------------


def _alive(host: str, pid: int) -> bool:
    """Whether the process that recorded a temp file may still be writing it."""
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _split_sql(script: str) -> list[str]:
    """Split a script into complete statements (``;`` inside triggers or literals is kept)."""
    statements: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip(" \t\r\n;"):  # pragma: no cover - the loop always ends on a ';'
        raise StoreError(f"incomplete SQL statement in a migration: {buffer.strip()!r}")
    return statements


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        raise StoreError(
            f"a dataset name must be a non-empty string without surrounding spaces, got {name!r}"
        )


def _check_number(label: str, value: object, *, upper: float) -> float:
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    if not (math.isfinite(number) and 0 <= number < upper):
        bound = "a finite number >= 0" if upper == math.inf else f"a number in [0, {upper:g})"
        raise StoreError(f"the {label} budget must be {bound}, got {value!r}")
    return number


def _version_values(fingerprint: FingerprintLike) -> tuple[str, str, int, str | None]:
    """``(content_hash, schema_hash, rows, schema JSON)`` of a fingerprint, checked."""
    content_hash = getattr(fingerprint, "content_hash", None)
    schema_hash = getattr(fingerprint, "schema_hash", None)
    rows = getattr(fingerprint, "rows", None)
    if not (
        isinstance(content_hash, str)
        and content_hash
        and isinstance(schema_hash, str)
        and isinstance(rows, numbers.Integral)
        and not isinstance(rows, bool)
        and int(rows) >= 0
    ):
        raise StoreError(
            "a fingerprint needs content_hash (non-empty str), schema_hash (str) and rows "
            f"(int >= 0), got {fingerprint!r}; make one with privlab.io.fingerprint(data)"
        )
    schema = getattr(fingerprint, "schema", None)
    schema_json = None
    if schema is not None:
        schema_json = json.dumps([[str(col), str(dtype)] for col, dtype in schema])
    return content_hash, schema_hash, int(rows), schema_json


def _recorded_version(conn: sqlite3.Connection, component: str) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions'"
    ).fetchone()
    if exists is None:
        return 0
    row = conn.execute(
        "SELECT version FROM schema_versions WHERE component = ?", (component,)
    ).fetchone()
    return 0 if row is None else int(row[0])


def _id_by_name(conn: sqlite3.Connection, name: str) -> int | None:
    row = conn.execute("SELECT dataset_id FROM dataset_names WHERE name = ?", (name,)).fetchone()
    return None if row is None else int(row[0])


def _id_by_content(conn: sqlite3.Connection, content_hash: str) -> int | None:
    row = conn.execute(
        "SELECT dataset_id FROM dataset_versions WHERE content_hash = ?", (content_hash,)
    ).fetchone()
    return None if row is None else int(row[0])


def _canonical(conn: sqlite3.Connection, dataset_id: int) -> str:
    row = conn.execute("SELECT name FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
    return str(row[0])


def _touch(conn: sqlite3.Connection, dataset_id: int, now: str) -> None:
    conn.execute("UPDATE datasets SET updated_at = ? WHERE id = ?", (now, dataset_id))


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
        DatasetVersion(
            content_hash=r[0],
            schema_hash=r[1],
            rows=int(r[2]),
            first_seen=r[3],
            schema=None if r[4] is None else tuple((c, t) for c, t in json.loads(r[4])),
        )
        for r in conn.execute(
            "SELECT content_hash, schema_hash, rows, first_seen, schema FROM dataset_versions "
            "WHERE dataset_id = ? ORDER BY rowid",
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
