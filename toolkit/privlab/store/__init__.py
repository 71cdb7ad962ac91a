"""The one local store: an SQLite file under ``PRIVLAB_HOME``.

Everything privlab must remember between Python processes lives here: datasets
and their privacy budgets (this module), the DP ledger (:mod:`privlab.dp`), the
catalog's releases and the audit log (:mod:`privlab.governance`). Nothing else in
privlab opens SQLite directly: those modules add their tables with
:meth:`Store.ensure_schema` and run their statements inside
:meth:`Store.transaction` (writers) or :meth:`Store.read` (readers).

The file is ``<PRIVLAB_HOME>/privlab.sqlite`` (:func:`open_store`; the folder is
created when missing). No raw data value is ever stored: only names, content
hashes, column names and dtypes, row counts, budgets and metadata.

Concurrency
-----------
- WAL journal: readers see a consistent snapshot and never block the writer,
  and the writer never blocks readers.
- One writer at a time across threads and processes. :meth:`Store.transaction`
  starts with ``BEGIN IMMEDIATE``, taking the write lock *before* the first read,
  so a read-check-write (reserve ε against the remaining budget, append to a
  hash chain) cannot interleave with another process's. A writer that finds the
  lock taken waits up to ``timeout`` seconds (``busy_timeout``), then fails with
  :class:`~privlab.exceptions.StoreError`.
- Every operation opens its own short-lived connection and closes it, so a
  :class:`Store` holds no lock between calls and can be shared by threads or
  pickled to worker processes (multiprocessing, fork or spawn; the clock must
  then be picklable — the default is). Keep write
  transactions short: never run user work (a DP release, a synthesis) inside one
  — reserve in one transaction, work, then confirm or release in another.
- A transaction commits as a whole or not at all, also when the process is
  killed mid-write; ``synchronous=FULL`` is set, so a committed spend survives
  a power cut too.

Schema versions, per component
------------------------------
Each feature owns a *component* (``core`` — this module; later ``dp_ledger``,
``catalog``, ``audit``) with its own ordered list of migrations, so parallel
features add tables without colliding on one global version number.
:meth:`Store.ensure_schema` applies the missing ones in one transaction and
records the version in ``schema_versions``; a store whose recorded version is
newer than the running code knows raises
:class:`~privlab.exceptions.StoreSchemaError`. Rules for components: append
migrations, never edit a released one; prefix your tables with the component's
name (``dp_…``, ``catalog_…``, ``audit_…``); document your tables in your own
module's docstring; refer to a dataset by ``datasets.id`` (read its budget from
``datasets`` inside your own transaction), and let history tables (ledger, audit)
reference it without ``ON DELETE CASCADE``, so history can never vanish with a
dataset. Migrations run with foreign keys off (so a table can be rebuilt) and
are checked with ``PRAGMA foreign_key_check`` before they commit.

Table layout of ``core`` (other components document their own tables)

=====================  ===================================================================
table                  columns
=====================  ===================================================================
``schema_versions``    component TEXT PK, version INTEGER, applied_at TEXT
``datasets``           id INTEGER PK, name TEXT UNIQUE (canonical name), owner TEXT,
                       epsilon_budget REAL (total ε), delta_budget REAL (total δ),
                       created_at TEXT, updated_at TEXT, attrs TEXT (a JSON object for
                       later features: department, purpose, classification, retention …)
``dataset_names``      name TEXT PK, dataset_id → datasets.id (every name of a dataset,
                       the canonical one included)
``dataset_versions``   content_hash TEXT PK, dataset_id → datasets.id, schema_hash TEXT,
                       rows INTEGER, first_seen TEXT, schema TEXT (JSON ``[[column,
                       dtype], …]`` or NULL; added by core migration 2)
=====================  ===================================================================

Identity rules
--------------
A dataset is known by any of its names *and* by the content hash of every
version seen; a content hash belongs to exactly one dataset, so one table's
privacy budget is never counted twice.

- First use of a name with unknown content registers a new dataset with the
  default budgets from config (``default_epsilon``, ``default_delta``).
- The same content under a new name resolves to the same dataset and the name
  becomes an alias: renaming or copying a file never resets its budget.
- A known name with new content adds a version to the same dataset. The budget
  is shared, not reset — the conservative choice, since an edited table still
  describes the same people.
- A name of one dataset with content registered to another is refused
  (:class:`~privlab.exceptions.StoreError`) rather than letting that content be
  spent against a second budget.

Fingerprints are exact: a copy with one row changed is new content, and under
a new name it is a new dataset. Whether two different tables describe the
same people is the job of :mod:`privlab.store._identity`: per-column MinHash
signatures link a derived table (columns added, cast or renamed; rows edited,
added, removed or sampled) to the registered one, and linked datasets share
one privacy budget (``identity_links``) until an owner declares them
independent.

Times are UTC ISO-8601 strings with microseconds and a ``Z``
(``2030-01-02T03:04:05.000000Z``), so they sort chronologically as text. The
clock is injectable (``Store(path, clock=...)``) for tests of retention and
per-period budgets.

Examples
--------
>>> import privlab as pv
>>> store = pv.open_store()
>>> ds = store.resolve_dataset("patients")
>>> ds.name, ds.epsilon_budget == pv.get_config()["default_epsilon"]
('patients', True)
>>> store.add_alias("patients", "patients_2024").aliases
('patients', 'patients_2024')
>>> store.get_dataset("patients_2024").id == ds.id
True
"""

from privlab.store._audit import (
    EVENTS,
    AuditRecord,
    ChainReport,
    append_audit,
    audit_key_id,
    check_details,
    mac_of,
    parse_records,
    read_records,
    record_hash,
    verify_chain,
)
from privlab.store._conn import StoreConnection
from privlab.store._identity import (
    ColumnSignature,
    Link,
    Match,
    TableSignature,
    budget_group,
    budget_root,
    compare,
    declare_independent,
    ensure_identity,
    observe,
    record_event,
    table_signature,
)
from privlab.store._store import (
    FILENAME,
    TEMP_MAX_AGE,
    WITNESS_FILENAME,
    Dataset,
    DatasetVersion,
    FingerprintLike,
    Migration,
    Store,
    open_store,
)
from privlab.store._witness import Witness, WitnessFile, WitnessHeader, WitnessLine
from privlab.store._witness import line_text as witness_line

__all__ = [
    "EVENTS",
    "FILENAME",
    "TEMP_MAX_AGE",
    "WITNESS_FILENAME",
    "AuditRecord",
    "ChainReport",
    "ColumnSignature",
    "Dataset",
    "DatasetVersion",
    "FingerprintLike",
    "Link",
    "Match",
    "Migration",
    "Store",
    "StoreConnection",
    "TableSignature",
    "Witness",
    "WitnessFile",
    "WitnessHeader",
    "WitnessLine",
    "append_audit",
    "audit_key_id",
    "budget_group",
    "budget_root",
    "check_details",
    "compare",
    "declare_independent",
    "ensure_identity",
    "mac_of",
    "observe",
    "open_store",
    "parse_records",
    "read_records",
    "record_event",
    "record_hash",
    "table_signature",
    "verify_chain",
    "witness_line",
]
