"""The tamper-evident audit log: append-only, hash-chained, with a signed, witnessed head.

Every governance-relevant action (profile, approval, release, DP query, synthesis,
access, denial, purge, override) appends one small event to the ``audit_log``
table of the privlab store (component ``audit``):

=============  ==============================================================
column         meaning
=============  ==============================================================
seq            1, 2, 3 … with no gaps
ts             UTC time (the store's clock)
principal      who acted (``PRIVLAB_USER``)
event          the kind of action
dataset        dataset name, if any
release        release id, if any
details        JSON of small, non-sensitive facts (never raw values or secrets)
prev_hash      ``hash`` of record ``seq - 1`` ("" for the first)
hash           sha256 of the canonical JSON of all the fields above
=============  ==============================================================

A hash chain alone catches an edited, deleted, inserted or reordered record, but
not a truncated log nor one whose hashes were all recomputed after an edit. So the
head — the last ``(seq, hash)`` — is also

- **signed** with an HMAC key from ``PRIVLAB_AUDIT_KEY`` (stored beside the log in
  ``audit_head``; a forger without the key cannot re-sign), and
- **witnessed**: written to a file outside the store (``PRIVLAB_AUDIT_WITNESS``,
  default ``<PRIVLAB_HOME>/audit-witness.json``), which a truncation or rewrite of
  the database does not change.

:func:`verify` says which of the three guarantees held.

Examples
--------
>>> from privlab.governance import AuditLog
>>> log = AuditLog()
>>> _ = log.append("approval", dataset="patients", details={"status": "approved"})
>>> log.verify().chain_ok
True
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from privlab._config import get_config
from privlab.exceptions import AuditIntegrityError, PrivlabError
from privlab.store import Store, open_store

__all__ = ["EVENTS", "AuditEvent", "AuditLog", "VerifyResult"]

COMPONENT = "audit"
MIGRATIONS = [
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
]

EVENTS = (
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
)

_SECRET_KEY = re.compile(r"(key|secret|password|passphrase|token|credential)", re.I)
_MAX_DETAIL_CHARS = 20_000


@dataclass(frozen=True)
class AuditEvent:
    """One audit record."""

    seq: int
    ts: str
    principal: str
    event: str
    dataset: str | None
    release: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "principal": self.principal,
            "event": self.event,
            "dataset": self.dataset,
            "release": self.release,
            "details": self.details,
            "hash": self.hash,
        }


@dataclass
class VerifyResult:
    """Outcome of :meth:`AuditLog.verify`.

    Attributes
    ----------
    ok:
        Every available guarantee held.
    chain_ok:
        Sequence numbers, previous-hash links and record hashes are consistent.
    signature:
        ``"valid"``, ``"invalid"``, ``"unsigned"`` (no key was set when written)
        or ``"no key"`` (``PRIVLAB_AUDIT_KEY`` is not set now, so it was not checked).
    witness:
        ``"match"``, ``"behind"`` (the log has newer records, consistent with the
        chain), ``"mismatch"``, ``"missing"``.
    problems:
        Human-readable findings, first problem first.
    """

    ok: bool
    chain_ok: bool
    signature: str
    witness: str
    records: int
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        state = "OK" if self.ok else "FAILED"
        lines = [
            f"audit log {state}: {self.records} records; chain "
            f"{'intact' if self.chain_ok else 'BROKEN'}; signed head {self.signature}; "
            f"witness {self.witness}"
        ]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def _canonical(record: Mapping[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _record_hash(
    seq: int,
    ts: str,
    principal: str,
    event: str,
    dataset: str | None,
    release: str | None,
    details: str,
    prev_hash: str,
) -> str:
    payload = _canonical(
        {
            "seq": seq,
            "ts": ts,
            "principal": principal,
            "event": event,
            "dataset": dataset,
            "release": release,
            "details": details,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _check_details(details: Any, path: str = "details") -> None:
    """Reject anything that could carry a secret or bulk data."""
    if isinstance(details, Mapping):
        for key, value in details.items():
            if _SECRET_KEY.search(str(key)) and not str(key).endswith(("_id", "_env", "_source")):
                raise PrivlabError(
                    f"audit {path}.{key}: keys that look like secrets are never logged; "
                    "log where the secret comes from (e.g. 'key_env'), not the secret"
                )
            _check_details(value, f"{path}.{key}")
    elif isinstance(details, list | tuple):
        for i, value in enumerate(details):
            _check_details(value, f"{path}[{i}]")
    elif not isinstance(details, str | int | float | bool | type(None)):
        raise PrivlabError(f"audit {path}: {type(details).__name__} is not a plain JSON value")


def _sign(key: bytes, seq: int, digest: str) -> str:
    return hmac.new(key, f"{seq}:{digest}".encode(), hashlib.sha256).hexdigest()


def _audit_key() -> bytes | None:
    raw = os.environ.get("PRIVLAB_AUDIT_KEY")
    return raw.encode() if raw else None


class AuditLog:
    """The audit log in the privlab store.

    Parameters
    ----------
    store:
        A :class:`privlab.store.Store`; default :func:`privlab.open_store`.
    witness:
        File holding the last signed head, outside the store; default
        ``PRIVLAB_AUDIT_WITNESS`` or ``<PRIVLAB_HOME>/audit-witness.json``.
    """

    def __init__(self, store: Store | None = None, *, witness: str | Path | None = None) -> None:
        if store is None:
            store = open_store()
        self.store = store
        store.ensure_schema(COMPONENT, MIGRATIONS)
        if witness is None:
            env = os.environ.get("PRIVLAB_AUDIT_WITNESS")
            witness = Path(env) if env else Path(get_config()["home"]) / "audit-witness.json"
        self.witness = Path(witness)

    def append(
        self,
        event: str,
        *,
        dataset: str | None = None,
        release: str | None = None,
        details: Mapping[str, Any] | None = None,
        principal: str | None = None,
    ) -> AuditEvent:
        """Append one event (one short write transaction), then update the witness."""
        if event not in EVENTS:
            raise PrivlabError(f"unknown audit event {event!r}; known events are {list(EVENTS)}")
        details = dict(details or {})
        _check_details(details)
        text = _canonical(details)
        if len(text) > _MAX_DETAIL_CHARS:
            raise PrivlabError(
                f"audit details are {len(text)} characters; events hold small facts only"
            )
        who = principal or str(get_config()["user"])
        key = _audit_key()
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq, prev = (1, "") if row is None else (int(row[0]) + 1, str(row[1]))
            ts = self.store.now()
            digest = _record_hash(seq, ts, who, event, dataset, release, text, prev)
            conn.execute(
                "INSERT INTO audit_log (seq, ts, principal, event, dataset, release, details,"
                " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, ts, who, event, dataset, release, text, prev, digest),
            )
            signature = _sign(key, seq, digest) if key else None
            conn.execute(
                "INSERT INTO audit_head (id, seq, hash, signature) VALUES (1, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, "
                "signature = excluded.signature",
                (seq, digest, signature),
            )
        self._write_witness(seq, digest, signature)
        return AuditEvent(seq, ts, who, event, dataset, release, details, prev, digest)

    def _write_witness(self, seq: int, digest: str, signature: str | None) -> None:
        self.witness.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"seq": seq, "hash": digest, "signature": signature})
        fd, tmp = tempfile.mkstemp(prefix=".witness.", dir=self.witness.parent)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.witness)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def events(
        self,
        *,
        dataset: str | None = None,
        event: str | None = None,
        principal: str | None = None,
    ) -> list[AuditEvent]:
        """Events in order, optionally filtered."""
        sql = "SELECT seq, ts, principal, event, dataset, release, details, prev_hash, hash"
        sql += " FROM audit_log WHERE 1 = 1"
        args: list[Any] = []
        for column, value in (("dataset", dataset), ("event", event), ("principal", principal)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        with self.store.read() as conn:
            rows = conn.execute(sql + " ORDER BY seq", args).fetchall()
        return [
            AuditEvent(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8])
            for r in rows
        ]

    def verify(self, *, strict: bool = False) -> VerifyResult:
        """Check the chain, the signed head and the witness; see :class:`VerifyResult`.

        Parameters
        ----------
        strict:
            Raise :class:`~privlab.exceptions.AuditIntegrityError` when not ``ok``.
        """
        problems: list[str] = []
        with self.store.read() as conn:
            rows = conn.execute(
                "SELECT seq, ts, principal, event, dataset, release, details, prev_hash, hash"
                " FROM audit_log ORDER BY rowid"
            ).fetchall()
            head = conn.execute("SELECT seq, hash, signature FROM audit_head").fetchone()
        chain_ok = True
        prev = ""
        by_seq = sorted(rows, key=lambda r: r[0])
        if [r[0] for r in rows] != [r[0] for r in by_seq]:
            chain_ok = False
            problems.append("records are stored out of sequence order (reordered)")
        for expected, r in enumerate(by_seq, start=1):
            seq, ts, who, event, dataset, release, details, prev_hash, digest = r
            if seq != expected:
                chain_ok = False
                problems.append(
                    f"record {expected} is missing or duplicated (found seq {seq}): "
                    "a record was deleted or inserted"
                )
                break
            if prev_hash != prev:
                chain_ok = False
                problems.append(f"record {seq} does not link to record {seq - 1} (prev_hash)")
                break
            if _record_hash(seq, ts, who, event, dataset, release, details, prev_hash) != digest:
                chain_ok = False
                problems.append(f"record {seq} was modified after it was written (hash)")
                break
            prev = digest
        last_seq = by_seq[-1][0] if by_seq else 0
        last_hash = by_seq[-1][8] if by_seq else ""

        key = _audit_key()
        if head is None:
            signature = "unsigned" if not rows else "invalid"
            if rows:
                problems.append("the log has records but no recorded head")
        elif head[2] is None:
            signature = "unsigned"
        elif key is None:
            signature = "no key"
        else:
            good = hmac.compare_digest(_sign(key, int(head[0]), str(head[1])), str(head[2]))
            matches = (int(head[0]), str(head[1])) == (last_seq, last_hash)
            signature = "valid" if good and matches else "invalid"
            if not good:
                problems.append("the signed head's signature does not verify (forged or re-signed)")
            elif not matches:
                problems.append(
                    f"the signed head is record {head[0]} but the log ends at record "
                    f"{last_seq} (truncated, extended or rewritten)"
                )

        witness = self._check_witness(by_seq, last_seq, last_hash, problems)
        ok = (
            chain_ok
            and signature in ("valid", "unsigned", "no key")
            and witness
            in (
                "match",
                "behind",
            )
        )
        if signature == "unsigned" and rows and head is not None:
            problems.append("the head is unsigned: set PRIVLAB_AUDIT_KEY to sign it")
        result = VerifyResult(ok, chain_ok, signature, witness, len(rows), problems)
        if strict and not ok:
            raise AuditIntegrityError(result.summary())
        return result

    def _check_witness(
        self, rows: list[Any], last_seq: int, last_hash: str, problems: list[str]
    ) -> str:
        if not self.witness.exists():
            if rows:
                problems.append(f"the witness file {self.witness} is missing")
            return "missing" if rows else "match"
        try:
            data = json.loads(self.witness.read_text())
            w_seq, w_hash = int(data["seq"]), str(data["hash"])
        except (ValueError, KeyError, TypeError):
            problems.append(f"the witness file {self.witness} is unreadable")
            return "mismatch"
        if (w_seq, w_hash) == (last_seq, last_hash):
            return "match"
        if w_seq < last_seq and 0 < w_seq <= len(rows) and rows[w_seq - 1][8] == w_hash:
            problems.append(
                f"the witness holds record {w_seq}; the log has {last_seq - w_seq} newer "
                "record(s) (a crash between commit and witness update, or unwitnessed appends)"
            )
            return "behind"
        problems.append(
            f"the witness holds record {w_seq} ({w_hash[:12]}…) but the log ends at record "
            f"{last_seq} ({last_hash[:12]}…): the log was truncated or rewritten"
        )
        return "mismatch"


def iter_jsonl(events: Iterable[AuditEvent]) -> Iterable[str]:
    """One JSON line per event (for ``privlab audit log``)."""
    for e in events:
        yield json.dumps(e.to_dict(), sort_keys=True)
