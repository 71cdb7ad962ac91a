"""The audit primitive: append one keyed, hash-chained record inside a store transaction.

Every state change that matters — a dataset or a budget in this package, an ε
reservation in :mod:`privlab.dp`, a release, grant or policy in
:mod:`privlab.governance` — is recorded by calling :func:`append_audit` with
the connection of the very transaction that makes the change, so the change
and its record commit together or not at all::

    with store.transaction() as conn:
        conn.execute("UPDATE datasets SET epsilon_budget = ? WHERE id = ?", (eps, ds))
        append_audit(conn, "budget", details={"dataset_id": ds, "epsilon": eps})

Records live in ``audit_log`` (component ``audit``):

=============  ==============================================================
column         meaning
=============  ==============================================================
seq            1, 2, 3 … with no gaps
ts             UTC time (the store's clock)
principal      who acted (``PRIVLAB_USER``)
event          the kind of action (:data:`EVENTS`)
dataset        dataset name, if any
release        release id, if any
details        canonical JSON of small, non-sensitive facts (never raw values or secrets)
prev_hash      ``hash`` of record ``seq - 1`` ("" for the first)
hash           sha256 of the canonical JSON of all the fields above: the public chain
mac            HMAC-SHA256 of ``"<seq>:<hash>"`` under ``PRIVLAB_AUDIT_KEY`` (NULL without a key)
key_id         which key made ``mac`` (an HMAC of a constant; reveals nothing of the key)
=============  ==============================================================

Because ``hash`` chains every earlier record, one valid ``mac`` authenticates
the whole log up to its record: anyone can recompute the SHA-256 chain after an
edit, but not the MACs without the key.

Before extending the log, :func:`append_audit` checks the tail it extends —
the newest record's hash and MAC, and the newest line of the witness
(:mod:`privlab.store._witness`) — and refuses to extend a broken chain
(:class:`~privlab.exceptions.AuditIntegrityError` naming the first bad
record). That check is O(1); a record edited deeper in the log is left for
``privlab audit verify``, and no later append ever re-signs it. After the
transaction commits, the store appends its last record to the witness.

Examples
--------
>>> import privlab as pv
>>> store = pv.open_store()
>>> with store.transaction() as conn:
...     record = append_audit(conn, "access", dataset="visits", details={"rows": 3})
>>> record.seq, record.event
(1, 'access')
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from privlab._config import get_config
from privlab.exceptions import AuditIntegrityError, PrivlabError, StoreError
from privlab.store._conn import StoreConnection
from privlab.store._witness import WitnessLine

__all__ = [
    "COMPONENT",
    "EVENTS",
    "MAX_DETAIL_CHARS",
    "MIGRATIONS",
    "AuditRecord",
    "ChainReport",
    "append_audit",
    "audit_key_id",
    "check_details",
    "mac_of",
    "parse_records",
    "read_records",
    "record_hash",
    "store_id_of",
    "verify_chain",
]

COMPONENT = "audit"

#: Every audit event, by the layer that writes it. One closed list: an unknown
#: event is a bug, not a new kind of record.
EVENTS: tuple[str, ...] = (
    # store (this package)
    "dataset_created",
    "dataset_alias",
    "dataset_version",
    "budget",
    "snapshot",
    "temp_sweep",
    # dp (ledger, dataset links)
    "spend",
    "spend_cancelled",
    "link",
    "unlink",
    "independence",
    # governance
    "profile",
    "register",
    "approval",
    "release",
    "release_failed",
    "dp_query",
    "synthesis",
    "access",
    "denial",
    "purge",
    "override",
    "policy",
    "grant",
    "revoke",
    "key_rotation",
)

MAX_DETAIL_CHARS = 20_000
_SECRET_KEY = re.compile(r"(key|secret|password|passphrase|token|credential)", re.I)
_KEY_ID_LABEL = b"privlab audit key id"
_COLUMNS = "seq, ts, principal, event, dataset, release, details, prev_hash, hash, mac, key_id"


def _snapshot(conn: Any) -> None:
    """Migration 2's data step: record the state a pre-audit store already holds."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    budgets = {
        str(r[0]): [float(r[1]), float(r[2])]
        for r in conn.execute("SELECT id, epsilon_budget, delta_budget FROM datasets")
    }
    ledger: dict[str, list[Any]] = {}
    if "dp_ledger" in tables:
        for r in conn.execute("SELECT id, dataset_id, epsilon, delta, status FROM dp_ledger"):
            ledger[str(r[0])] = [str(r[1]), float(r[2]), float(r[3]), str(r[4])]
    legacy = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    if budgets or ledger or legacy:
        append_audit(
            conn,
            "snapshot",
            details={
                "budgets": budgets,
                "ledger": ledger,
                "reason": "audit schema 2",
                "legacy_witness": _legacy_witness(conn),
            },
            principal="privlab",
            _migration=True,
        )


def _legacy_witness(conn: Any) -> str:
    """0.1's witness (one JSON object ``{seq, hash}``) against the log it witnessed."""
    env = os.environ.get("PRIVLAB_AUDIT_WITNESS")
    store = conn.store
    candidates = [Path(env)] if env and env.endswith(".json") else []
    if store is not None:
        candidates.append(store.path.parent / "audit-witness.json")
    for path in candidates:
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text())
            seq, digest = int(data["seq"]), str(data["hash"])
        except (OSError, ValueError, KeyError, TypeError):
            return f"mismatch: {path} is unreadable"
        row = conn.execute("SELECT hash FROM audit_log WHERE seq = ?", (seq,)).fetchone()
        if row is None or row[0] != digest:
            return f"mismatch: {path} holds record {seq} ({digest[:12]}…), not in the log"
        return "match"
    return "absent"


MIGRATIONS: list[Any] = [
    # 1: the hash chain with one signed head (privlab 0.1)
    """
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        principal TEXT NOT NULL,
        event TEXT NOT NULL,
        dataset TEXT,
        release TEXT,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_by_dataset ON audit_log(dataset);
    CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        signature TEXT
    )
    """,
    # 2: a MAC on every record (the head alone let an honest append re-sign a
    # tampered tail); the append-only witness file replaces audit_head
    """
    ALTER TABLE audit_log ADD COLUMN mac TEXT;
    ALTER TABLE audit_log ADD COLUMN key_id TEXT;
    DROP TABLE audit_head
    """,
    # 3: what the store already held when auditing began
    _snapshot,
]


@dataclass(frozen=True)
class AuditRecord:
    """One audit record (``details`` parsed)."""

    seq: int
    ts: str
    principal: str
    event: str
    dataset: str | None
    release: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str
    mac: str | None = None
    key_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data (``prev_hash`` left out: it is the previous ``hash``)."""
        return {
            "seq": self.seq,
            "ts": self.ts,
            "principal": self.principal,
            "event": self.event,
            "dataset": self.dataset,
            "release": self.release,
            "details": self.details,
            "hash": self.hash,
            "mac": self.mac,
            "key_id": self.key_id,
        }


def record_hash(
    seq: int,
    ts: str,
    principal: str,
    event: str,
    dataset: str | None,
    release: str | None,
    details: str,
    prev_hash: str,
) -> str:
    """sha256 of a record's canonical JSON (keys sorted, no spaces, UTF-8 kept).

    The same bytes as ``json.dumps(record, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)``, built directly because :func:`verify_chain` hashes
    every record (a property test checks the two agree).

    Examples
    --------
    >>> record_hash(1, "t", "ana", "access", None, None, "{}", "")[:12]
    '77853ecd37ff'
    """
    enc = encode_basestring
    payload = (
        f'{{"dataset":{"null" if dataset is None else enc(dataset)},"details":{enc(details)},'
        f'"event":{enc(event)},"prev_hash":{enc(prev_hash)},"principal":{enc(principal)},'
        f'"release":{"null" if release is None else enc(release)},"seq":{int(seq)},'
        f'"ts":{enc(ts)}}}'
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def mac_of(key: bytes, seq: int, digest: str) -> str:
    """HMAC-SHA256 of ``"<seq>:<hash>"`` under *key*, as hex.

    Examples
    --------
    >>> mac_of(b"k", 1, "ab")[:12]
    '3162286d8e3b'
    """
    return hmac.digest(key, f"{seq}:{digest}".encode(), "sha256").hex()


def audit_key_id(key: bytes) -> str:
    """A short public name for *key* (an HMAC of a constant): which key signed a record.

    Examples
    --------
    >>> len(audit_key_id(b"secret")), audit_key_id(b"a") != audit_key_id(b"b")
    (16, True)
    """
    return hmac.digest(key, _KEY_ID_LABEL, "sha256").hex()[:16]


def check_details(details: Any, path: str = "details") -> None:
    """Reject anything in audit details that could carry a secret or bulk data.

    Keys that look like secrets (``…key``, ``token``, ``password`` …) are
    refused unless they name where a secret comes from (``…_id``, ``…_env``,
    ``…_source``); values must be plain JSON (finite numbers).

    Examples
    --------
    >>> check_details({"key_env": "PRIVLAB_PSEUDONYM_KEY"})
    >>> check_details({"api_token": "x"})
    Traceback (most recent call last):
    ...
    privlab.exceptions.PrivlabError: audit details.api_token: keys that look like secrets ...
    """
    if isinstance(details, Mapping):
        for key, value in details.items():
            if _SECRET_KEY.search(str(key)) and not str(key).endswith(("_id", "_env", "_source")):
                raise PrivlabError(
                    f"audit {path}.{key}: keys that look like secrets are never logged; "
                    "log where the secret comes from (e.g. 'key_env'), not the secret"
                )
            check_details(value, f"{path}.{key}")
    elif isinstance(details, list | tuple):
        for i, value in enumerate(details):
            check_details(value, f"{path}[{i}]")
    elif isinstance(details, float) and not math.isfinite(details):
        raise PrivlabError(f"audit {path}: {details!r} is not a finite number (strict JSON)")
    elif not isinstance(details, str | int | float | bool | type(None)):
        raise PrivlabError(f"audit {path}: {type(details).__name__} is not a plain JSON value")


def _canonical(details: Mapping[str, Any]) -> str:
    return json.dumps(
        details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _context(conn: Any) -> StoreConnection:
    if not isinstance(conn, StoreConnection) or conn.store is None:
        raise StoreError(
            "append_audit needs a connection from Store.transaction(), got "
            f"{type(conn).__name__}; open one with `with store.transaction() as conn:`"
        )
    if not conn.in_transaction or conn.read_only:
        raise StoreError(
            "append_audit must run inside Store.transaction(), in the transaction that "
            "makes the change it records"
        )
    return conn


def _row_record(row: Sequence[Any]) -> AuditRecord:
    return AuditRecord(
        int(row[0]),
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        json.loads(row[6]),
        row[7],
        row[8],
        row[9],
        row[10],
    )


def _query(conn: Any, sql: str, args: Sequence[Any] = ()) -> list[Any]:
    try:
        return list(conn.execute(sql, args).fetchall())
    except Exception as exc:  # sqlite3.OperationalError: no such table / column
        if "no such table" in str(exc) or "no such column" in str(exc):
            raise AuditIntegrityError(
                f"the audit log of the store is damaged ({exc}): the audit_log table was "
                "dropped or altered; restore the store from a backup and run "
                "`privlab audit verify`"
            ) from None
        raise


def store_id_of(conn: Any) -> str:
    """The random id the store was created with (``store_meta``)."""
    rows = _query(conn, "SELECT value FROM store_meta WHERE key = 'store_id'")
    if not rows:
        raise AuditIntegrityError(
            "the store has no store id (store_meta was edited): its witness cannot be matched"
        )
    return str(rows[0][0])


def append_audit(
    conn: Any,
    event: str,
    *,
    dataset: str | None = None,
    release: str | None = None,
    details: Mapping[str, Any] | None = None,
    principal: str | None = None,
    ts: str | None = None,
    _migration: bool = False,
) -> AuditRecord:
    """Append one audit record in the open store transaction *conn*.

    Parameters
    ----------
    conn:
        The connection yielded by :meth:`privlab.store.Store.transaction` — the
        transaction that makes the change being recorded.
    event:
        One of :data:`EVENTS`.
    dataset, release:
        Dataset name and release id the record is about, if any.
    details:
        Small, non-sensitive facts as plain JSON (checked by :func:`check_details`;
        at most :data:`MAX_DETAIL_CHARS` characters).
    principal:
        Who acted; default ``PRIVLAB_USER``.
    ts:
        When (the change's own timestamp, ``privlab._time`` format); default
        the store's clock now.

    Returns
    -------
    AuditRecord
        The record as written (signed when ``PRIVLAB_AUDIT_KEY`` is set).

    Raises
    ------
    AuditIntegrityError
        The tail the record would extend is broken (edited, truncated, signed
        with another key, or disagreeing with the witness); nothing is written
        and the caller's transaction rolls back.
    PrivlabError
        Unknown event, or details that are not small plain JSON without secrets.

    Examples
    --------
    >>> import privlab as pv
    >>> store = pv.open_store()
    >>> ds = store.resolve_dataset("visits")  # audited by the store itself
    >>> with store.transaction() as conn:
    ...     _ = conn.execute("UPDATE datasets SET owner = 'ana' WHERE id = ?", (ds.id,))
    ...     record = append_audit(conn, "register", dataset="visits", details={"owner": "ana"})
    >>> record.seq, record.prev_hash != ""
    (2, True)
    """
    if event not in EVENTS:
        raise PrivlabError(f"unknown audit event {event!r}; known events are {list(EVENTS)}")
    facts = dict(details or {})
    check_details(facts)
    text = _canonical(facts)
    if len(text) > MAX_DETAIL_CHARS and event != "snapshot":
        raise PrivlabError(
            f"audit details are {len(text)} characters; events hold small facts only"
        )
    ctx = _context(conn)
    store = ctx.store
    assert store is not None
    key = store.audit_key()
    if ctx.audit_tail is None:
        ctx.audit_tail = _checked_tail(ctx, key, migration=_migration)
    seq, prev = ctx.audit_tail
    who = principal or str(get_config()["user"])
    ts = ts or store.now()
    digest = record_hash(seq, ts, who, event, dataset, release, text, prev)
    mac = mac_of(key, seq, digest) if key else None
    key_id = audit_key_id(key) if key else None
    conn.execute(
        f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, ts, who, event, dataset, release, text, prev, digest, mac, key_id),
    )
    ctx.audit_tail = (seq + 1, digest)
    ctx.pending_witness = (seq, digest, mac, key_id)
    return AuditRecord(seq, ts, who, event, dataset, release, facts, prev, digest, mac, key_id)


def _checked_tail(
    conn: StoreConnection, key: bytes | None, *, migration: bool = False
) -> tuple[int, str]:
    """``(next seq, hash of the newest record)`` after checking the tail; O(1) when intact.

    *migration*: the first record written when a store of privlab 0.1 migrates; its
    log was never witnessed nor signed per record, so only the chain is checked.
    """
    assert conn.store is not None
    rows = _query(conn, f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1")
    witness = conn.store.witness
    tail = witness.tail()
    store_id = store_id_of(conn)
    if tail.problems:
        raise _refuse(conn, tail.problems[0])
    if tail.header is not None and tail.header.store_id != store_id:
        raise _refuse(
            conn,
            f"the witness {witness.path} belongs to store {tail.header.store_id} "
            f"({tail.header.store_path}), not to this store {store_id} at {conn.store.path}: "
            "the store was deleted, replaced or re-created. If you replaced it on purpose, "
            "move the witness aside (keep it as evidence) and retry",
        )
    if not rows:
        last = tail.last
        if last is not None:
            raise _refuse(
                conn,
                f"the audit log is empty but the witness {witness.path} recorded {last.seq} "
                "record(s): the log was deleted",
            )
        return 1, ""
    newest = rows[0]
    seq, digest, mac, key_id = int(newest[0]), str(newest[8]), newest[9], newest[10]
    if record_hash(*newest[:8]) != digest:
        raise _broken(conn, key)
    rotation = conn.rotation_from
    if key is None and mac is not None:
        raise _refuse(
            conn,
            f"the audit log is signed (its newest record {seq} with key {key_id}) but "
            "PRIVLAB_AUDIT_KEY is not set: set it — an unsigned record after signed ones "
            "would read as a stripped signature",
        )
    if key is not None and mac is None and rotation is None and not migration:
        raise _refuse(
            conn,
            f"the newest audit record ({seq}) is unsigned but PRIVLAB_AUDIT_KEY is set: its "
            "signature was stripped, or the log was kept without a key until now — then "
            "start signing with `privlab audit rotate-key`",
        )
    if key is not None and mac is not None:
        signer: bytes | None = key
        if key_id != audit_key_id(key):
            if rotation is None or (rotation and key_id != audit_key_id(rotation)):
                raise _refuse(
                    conn,
                    f"the newest audit record ({seq}) was signed with key {key_id}, but "
                    f"PRIVLAB_AUDIT_KEY is key {audit_key_id(key)}: set the right key, or "
                    "rotate keys with `privlab audit rotate-key`",
                )
            signer = rotation or None  # b"": the previous key was lost, not checked
        if signer is not None and not hmac.compare_digest(mac_of(signer, seq, digest), str(mac)):
            raise _broken(conn, key)
    last = tail.last
    if last is None:
        if migration:
            return seq + 1, digest
        raise _refuse(
            conn,
            f"the audit witness {witness.path} is missing but the log has {seq} record(s): "
            "the witness was deleted or moved (set PRIVLAB_AUDIT_WITNESS to where it is)",
        )
    if last.seq > seq:
        raise _refuse(
            conn,
            f"the audit log ends at record {seq} but the witness {witness.path} recorded "
            f"record {last.seq}: records were deleted or the store was rolled back",
        )
    if last.seq == seq:
        if (last.hash, last.mac) != (digest, mac):
            raise _refuse(
                conn,
                f"audit record {seq} differs from the witness {witness.path}: it was rewritten",
            )
        return seq + 1, digest
    # records after the witnessed head (a crash between commit and witness, or a
    # concurrent writer that has not written its line yet): they must chain from it
    after = _query(
        conn,
        f"SELECT {_COLUMNS} FROM audit_log WHERE seq >= ? ORDER BY seq",
        (last.seq,),
    )
    report = verify_chain(after, key=key, start=last)
    if report.first_bad is not None:
        raise _refuse(conn, report.problems[0])
    return seq + 1, digest


def _broken(conn: StoreConnection, key: bytes | None) -> AuditIntegrityError:
    rows = _query(conn, f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq")
    report = verify_chain(rows, key=key)
    first = report.problems[0] if report.problems else "the newest record does not verify"
    return _refuse(conn, first)


def _refuse(conn: StoreConnection, problem: str) -> AuditIntegrityError:
    return AuditIntegrityError(
        f"refusing to extend the audit log of {conn.store.path if conn.store else 'the store'}: "
        f"{problem}. Nothing was changed; run `privlab audit verify` for the full report"
    )


@dataclass
class ChainReport:
    """What :func:`verify_chain` found.

    Attributes
    ----------
    records:
        Records checked.
    first_bad:
        Sequence number of the first record that does not verify, or ``None``.
    problems:
        Human-readable findings, first problem first.
    signed, unsigned, unchecked:
        Records with a MAC checked under the key, without a MAC, and with a
        MAC of another key (not checked).
    head_key_id:
        Key id of the newest record (``None``: unsigned or empty).
    signatures_ok:
        No MAC failed, no signed record is followed by an unsigned one, and
        keys change only at a ``key_rotation`` record.
    chain_ok:
        Sequence numbers, links and hashes hold (what anyone can recompute).
    key_ids:
        Every key id seen, oldest first.
    last_seq, last_hash:
        The newest record.
    """

    records: int = 0
    first_bad: int | None = None
    problems: list[str] = field(default_factory=list)
    signed: int = 0
    unsigned: int = 0
    unchecked: int = 0
    head_key_id: str | None = None
    key_ids: list[str] = field(default_factory=list)
    last_seq: int = 0
    last_hash: str = ""
    signatures_ok: bool = True
    chain_ok: bool = True
    hashes: dict[int, tuple[str, str | None]] = field(default_factory=dict, repr=False)

    def fail(self, seq: int, message: str) -> None:
        """Record a problem (the first one also sets ``first_bad``)."""
        if self.first_bad is None:
            self.first_bad = seq
        self.problems.append(message)


def read_records(conn: Any, *, start: int = 1) -> list[Any]:
    """Raw audit rows from *start* on, in sequence order (for :func:`verify_chain`).

    Examples
    --------
    >>> import privlab as pv
    >>> store = pv.open_store()
    >>> _ = store.resolve_dataset("visits")
    >>> with store.read() as conn:
    ...     [row[3] for row in read_records(conn)]
    ['dataset_created']
    """
    return _query(conn, f"SELECT {_COLUMNS} FROM audit_log WHERE seq >= ? ORDER BY seq", (start,))


def verify_chain(
    rows: Iterable[Sequence[Any]],
    *,
    key: bytes | None = None,
    previous_keys: Sequence[bytes] = (),
    start: WitnessLine | None = None,
) -> ChainReport:
    """Check sequence numbers, links, hashes and MACs of raw audit rows.

    After the first broken link or hash the remaining rows are only collected
    (their stored hashes, for comparison with the witness), not judged.

    Parameters
    ----------
    rows:
        Rows in the column order of :func:`read_records`, ascending ``seq``.
    key:
        The current audit key; records it signed must verify.
    previous_keys:
        Retired keys; records they signed are checked too.
    start:
        A witnessed head the rows must begin with (its record included).

    Returns
    -------
    ChainReport

    Examples
    --------
    >>> import privlab as pv
    >>> store = pv.open_store()
    >>> with store.transaction() as conn:
    ...     _ = append_audit(conn, "access")
    >>> with store.read() as conn:
    ...     verify_chain(read_records(conn)).first_bad is None
    True
    """
    report = ChainReport()
    keys = {audit_key_id(k): k for k in previous_keys}
    if key is not None:
        keys[audit_key_id(key)] = key
    current = None if key is None else audit_key_id(key)
    prev = ""
    expected = 1 if start is None else start.seq
    seen_signed = False
    last_key: str | None = None
    broken = False
    hashes = report.hashes
    hash_of, compare, hmac_digest = record_hash, hmac.compare_digest, hmac.digest
    records = unsigned = signed = unchecked = 0
    seq, digest, mac, key_id = 0, "", None, None
    for row in rows:
        seq, digest, mac, key_id = row[0], row[8], row[9], row[10]
        records += 1
        hashes[seq] = (digest, mac)
        if broken:
            continue
        if seq != expected:
            report.fail(
                expected,
                f"audit record {expected} is missing (found {seq} next): a record was deleted "
                "or inserted",
            )
            broken = True
            continue
        if start is not None and seq == start.seq:
            if (digest, mac) != (start.hash, start.mac):
                report.fail(seq, f"audit record {seq} differs from the witness: it was rewritten")
                broken = True
                continue
        elif row[7] != prev:
            report.fail(seq, f"audit record {seq} does not link to record {seq - 1} (prev_hash)")
            broken = True
            continue
        if hash_of(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7]) != digest:
            report.fail(seq, f"audit record {seq} was modified after it was written (hash)")
            broken = True
            continue
        if mac is None:
            unsigned += 1
            if seen_signed:
                report.signatures_ok = False
                report.fail(
                    seq,
                    f"audit record {seq} is unsigned after signed records: its signature was "
                    "stripped, or it was written without PRIVLAB_AUDIT_KEY",
                )
        else:
            seen_signed = True
            if key_id != last_key:
                if key_id not in report.key_ids:
                    report.key_ids.append(str(key_id))
                if last_key is not None and row[3] != "key_rotation":
                    report.signatures_ok = False
                    report.fail(
                        seq,
                        f"audit record {seq} is signed with key {key_id} but record {seq - 1} "
                        f"with key {last_key}, with no key rotation between",
                    )
                last_key = key_id
            signer = key if key_id == current else keys.get(str(key_id))
            if signer is None:
                unchecked += 1
            elif compare(hmac_digest(signer, f"{seq}:{digest}".encode(), "sha256").hex(), mac):
                signed += 1
            else:
                report.signatures_ok = False
                report.fail(
                    seq,
                    f"audit record {seq}'s signature does not verify: it was edited and "
                    "re-chained without the key, or forged",
                )
        prev = digest
        expected = seq + 1
    report.chain_ok = not broken
    report.records, report.unsigned, report.signed, report.unchecked = (
        records,
        unsigned,
        signed,
        unchecked,
    )
    if records:
        report.last_seq, report.last_hash = int(seq), str(digest)
        report.head_key_id = None if mac is None else str(key_id)
    return report


def parse_records(rows: Iterable[Sequence[Any]]) -> list[AuditRecord]:
    """Raw rows (as from :func:`read_records`) to :class:`AuditRecord` objects.

    Examples
    --------
    >>> import privlab as pv
    >>> store = pv.open_store()
    >>> _ = store.resolve_dataset("visits")
    >>> with store.read() as conn:
    ...     [(r.event, r.details["epsilon"]) for r in parse_records(read_records(conn))]
    [('dataset_created', 1.0)]
    """
    return [_row_record(r) for r in rows]
