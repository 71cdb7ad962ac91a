"""The audit log: keyed, hash-chained, witnessed — and checked against the state it records.

Records are written by the store's audit primitive
(:func:`privlab.store.append_audit`), always in the same transaction as the
change they record; this module reads and verifies them. Each record carries a
SHA-256 hash chaining every record before it and, when ``PRIVLAB_AUDIT_KEY``
is set, an HMAC of that hash (see :mod:`privlab.store._audit` for the
columns). After every committed transaction the store appends the newest
record to the *witness*, an append-only file outside the store
(``PRIVLAB_AUDIT_WITNESS``, default ``<PRIVLAB_HOME>/audit-witness.jsonl``).

:meth:`AuditLog.verify` checks, and says which held:

1. **the chain** — sequence numbers, links, hashes (anyone can recompute these);
2. **the signatures** — every record signed with the current key verifies, the
   newest record is signed with it, no signed record is followed by an
   unsigned one, and keys change only at a ``key_rotation`` record. Without a
   key: in governed mode "cannot verify: no key" (not OK); in personal mode the
   unkeyed checks run and "signatures not checked: no key" is said;
3. **the witness** — it belongs to this store (its random id), and every head
   it recorded is in the log unchanged; a log shorter than the witness was
   truncated or rolled back, a store newer than its witness was replaced;
4. **the state** — budgets, the DP ledger, roles, the active policy and
   release statuses recomputed from the records equal the tables;
5. optionally **a checkpoint** ``SEQ:MAC`` kept elsewhere — the only way to
   catch a rollback of the store *and* its witness to older copies.

Threat model: README, "Governance — what is detected".

Examples
--------
>>> from privlab.governance import AuditLog
>>> log = AuditLog()
>>> _ = log.append("approval", dataset="patients", details={"status": "approved"})
>>> log.verify().chain_ok
True
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from privlab.exceptions import AuditIntegrityError, PrivlabError
from privlab.store import (
    EVENTS,
    AuditRecord,
    ChainReport,
    Store,
    Witness,
    WitnessFile,
    append_audit,
    audit_key_id,
    mac_of,
    open_store,
    parse_records,
    read_records,
    verify_chain,
    witness_line,
)

__all__ = [
    "EVENTS",
    "REPLAY",
    "AuditEvent",
    "AuditLog",
    "State",
    "VerifyResult",
    "iter_jsonl",
    "replay",
]

#: One audit record (the store's :class:`privlab.store.AuditRecord`).
AuditEvent = AuditRecord


@dataclass
class VerifyResult:
    """Outcome of :meth:`AuditLog.verify`.

    Attributes
    ----------
    ok:
        Every check that could run held (and, in governed mode, the key was there).
    chain_ok:
        Sequence numbers, previous-hash links and record hashes are consistent.
    signature:
        ``"valid"``, ``"invalid"``, ``"unsigned"`` (a key is set but the newest record
        carries no MAC: not OK),
        ``"no key"`` (personal mode without ``PRIVLAB_AUDIT_KEY``: not checked)
        or ``"cannot verify"`` (governed mode without the key).
    witness:
        ``"match"``, ``"behind"`` (the log has newer, chained records than the
        witness — a crash between commit and witness, or, without a key,
        appended forgeries), ``"mismatch"``, ``"missing"``, ``"foreign"`` (it
        belongs to another store) or ``"none"`` (empty log, no witness).
    state:
        ``"match"`` or ``"mismatch"``: budgets, ledger, roles, policy and
        release statuses recomputed from the log against the tables.
    checkpoint:
        ``None`` (none given), ``"match"``, ``"behind"`` or ``"mismatch"``.
    records:
        Records in the log.
    problems:
        What failed, first problem first.
    notes:
        What was not checked, and why.
    """

    ok: bool
    chain_ok: bool
    signature: str
    witness: str
    records: int
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    state: str = "match"
    checkpoint: str | None = None
    mode: str = "personal"

    def summary(self) -> str:
        """One line per finding, the verdict first."""
        state = "OK" if self.ok else "FAILED"
        head = (
            f"audit log {state}: {self.records} records; chain "
            f"{'intact' if self.chain_ok else 'BROKEN'}; signatures {self.signature}; "
            f"witness {self.witness}; state {self.state}"
        )
        if self.checkpoint is not None:
            head += f"; checkpoint {self.checkpoint}"
        lines = [head]
        lines += [f"  - {p}" for p in self.problems]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready result."""
        return dict(self.__dict__)


class AuditLog:
    """The audit log in the privlab store.

    Parameters
    ----------
    store:
        A :class:`privlab.store.Store`; default :func:`privlab.open_store`.
    witness:
        Use this witness file instead of the store's (``PRIVLAB_AUDIT_WITNESS``
        or ``audit-witness.jsonl`` beside the store); it then witnesses every
        transaction of *store*.
    """

    def __init__(self, store: Store | None = None, *, witness: str | Path | None = None) -> None:
        if store is None:
            store = open_store()
        self.store = store
        if witness is not None:
            store.witness = Witness(witness)

    @property
    def witness(self) -> Path:
        """The witness file."""
        return self.store.witness.path

    def append(
        self,
        event: str,
        *,
        dataset: str | None = None,
        release: str | None = None,
        details: Mapping[str, Any] | None = None,
        principal: str | None = None,
    ) -> AuditEvent:
        """Append one record in its own transaction.

        A change and its record belong in one transaction: inside it, call
        :func:`privlab.store.append_audit` instead.
        """
        with self.store.transaction() as conn:
            return append_audit(
                conn, event, dataset=dataset, release=release, details=details, principal=principal
            )

    def events(
        self,
        *,
        dataset: str | None = None,
        event: str | None = None,
        principal: str | None = None,
    ) -> list[AuditEvent]:
        """Records in order, optionally filtered."""
        with self.store.read() as conn:
            rows = read_records(conn)
        out = parse_records(rows)
        return [
            e
            for e in out
            if (dataset is None or e.dataset == dataset)
            and (event is None or e.event == event)
            and (principal is None or e.principal == principal)
        ]

    def head(self) -> tuple[int, str] | None:
        """``(seq, hash)`` of the newest record, read from the store in O(1) (``None``: empty).

        Cheap enough to poll: a changed head means new records (e.g. to invalidate
        a cached :meth:`verify`).
        """
        with self.store.read() as conn:
            row = conn.execute(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def checkpoint(self) -> str:
        """``SEQ:MAC`` of the newest record (``SEQ:HASH`` when it is unsigned).

        Keep it somewhere the store's writers cannot reach (print it, mail it,
        commit it elsewhere); ``privlab audit verify --checkpoint SEQ:MAC`` then
        fails if the log is ever behind it or differs.
        """
        with self.store.read() as conn:
            row = conn.execute(
                "SELECT seq, hash, mac FROM audit_log ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        if row is None:
            raise PrivlabError("the audit log is empty: nothing to checkpoint yet")
        return f"{row[0]}:{row[2] or row[1]}"

    def rotate_key(self, previous_key: str | bytes | None, *, lost: bool = False) -> AuditEvent:
        """Switch the log to the current ``PRIVLAB_AUDIT_KEY`` (the new key).

        With *previous_key* the whole log is verified under it first and the
        ``key_rotation`` record carries its endorsement; with ``lost=True`` (the
        old key is gone) the log is checked without it — chain and witness only
        — and the record says so. A log kept without any key so far starts
        being signed here (no previous key needed). Records signed with a retired key stay
        anchored: every later record's hash chains them, and the new key signs
        those.
        """
        key = self.store.audit_key()
        if key is None:
            raise PrivlabError("set PRIVLAB_AUDIT_KEY to the new key before rotating")
        old = previous_key.encode() if isinstance(previous_key, str) else previous_key
        with self.store.read() as conn:
            rows = read_records(conn)
        report = verify_chain(rows, key=old, previous_keys=() if old is None else (old,))
        if old is None and not lost and report.head_key_id is not None:
            raise PrivlabError(
                "give the previous key (PRIVLAB_AUDIT_PREVIOUS_KEY), or declare it lost"
            )
        if report.problems:
            raise AuditIntegrityError(
                "refusing to rotate keys over a log that does not verify: " + report.problems[0]
            )
        if report.head_key_id == audit_key_id(key):
            raise PrivlabError(
                "the log is already signed with PRIVLAB_AUDIT_KEY: nothing to rotate"
            )
        if old is not None and report.head_key_id not in (None, audit_key_id(old)):
            raise AuditIntegrityError(
                f"the previous key given (key {audit_key_id(old)}) did not sign the newest record "
                f"(key {report.head_key_id}); give the key that did, or declare it lost"
            )
        details: dict[str, Any] = {
            "from_key_id": report.head_key_id,
            "to_key_id": audit_key_id(key),
            "lost": lost,
        }
        if old is not None:
            details["endorsement"] = mac_of(old, report.last_seq, report.last_hash)
        with self.store.transaction() as conn:
            conn.rotation_from = old if old is not None else b""
            return append_audit(conn, "key_rotation", details=details)

    def verify(
        self,
        *,
        strict: bool = False,
        checkpoint: str | None = None,
        previous_keys: Sequence[str | bytes] = (),
    ) -> VerifyResult:
        """Check the chain, the signatures, the witness and the recorded state.

        Parameters
        ----------
        strict:
            Raise :class:`~privlab.exceptions.AuditIntegrityError` when not ``ok``.
        checkpoint:
            ``"SEQ:MAC"`` from :meth:`checkpoint`, kept outside the store.
        previous_keys:
            Retired keys, to check records signed before a rotation too.
        """
        key = self.store.audit_key()
        olds = [k.encode() if isinstance(k, str) else k for k in previous_keys]
        env_old = os.environ.get("PRIVLAB_AUDIT_PREVIOUS_KEY")
        if env_old:
            olds.append(env_old.encode())
        try:
            with self.store.read() as conn:
                rows = read_records(conn)
                store_id = conn.execute(
                    "SELECT value FROM store_meta WHERE key = 'store_id'"
                ).fetchone()
                tables = _tables(conn)
                governed = "policies" in tables and bool(
                    conn.execute("SELECT count(*) FROM policies WHERE active = 1").fetchone()[0]
                )
        except AuditIntegrityError as exc:
            result = VerifyResult(False, False, "invalid", "missing", 0, [str(exc)])
            if strict:
                raise
            return result
        mode = "governed" if governed else "personal"
        chain = verify_chain(rows, key=key, previous_keys=olds)
        problems = list(chain.problems)
        notes: list[str] = []
        signature = _signature_verdict(chain, key, governed, problems, notes)
        known = {witness_line(r[0], r[8], r[9], r[10]): r[0] for r in rows}
        witness = _witness_verdict(
            self.store.witness.read(known),
            chain,
            None if store_id is None else str(store_id[0]),
            self.store.witness.path,
            problems,
            notes,
        )
        replayed = parse_records(r for r in rows if r[3] in REPLAY)
        state_problems = check_state(self.store, replayed)
        for r in replayed:
            legacy = str(r.details.get("legacy_witness", ""))
            if r.event == "snapshot" and legacy.startswith("mismatch"):
                problems.append(
                    f"when auditing began (record {r.seq}) privlab 0.1's witness did not match "
                    f"its log — {legacy[len('mismatch: ') :]}: the log was already altered"
                )
        problems += state_problems
        checked = None if checkpoint is None else _checkpoint_verdict(checkpoint, chain, problems)
        ok = (
            not problems
            and chain.first_bad is None
            and signature in ("valid", "no key")
            and witness in ("match", "behind", "none")
            and not state_problems
            and checked in (None, "match")
        )
        result = VerifyResult(
            ok=ok,
            chain_ok=chain.chain_ok,
            signature=signature,
            witness=witness,
            records=chain.records,
            problems=problems,
            notes=notes,
            state="mismatch" if state_problems else "match",
            checkpoint=checked,
            mode=mode,
        )
        if strict and not ok:
            raise AuditIntegrityError(result.summary())
        return result


def _tables(conn: Any) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _signature_verdict(
    chain: ChainReport, key: bytes | None, governed: bool, problems: list[str], notes: list[str]
) -> str:
    if key is None:
        if governed:
            problems.append(
                "cannot verify: no key — governed mode needs PRIVLAB_AUDIT_KEY to check the "
                "signatures; the unkeyed chain and the witness alone can be recomputed"
            )
            return "cannot verify"
        notes.append("signatures not checked: no key (set PRIVLAB_AUDIT_KEY)")
        return "no key"
    if not chain.signatures_ok:
        return "invalid"
    if chain.records and chain.head_key_id != audit_key_id(key):
        problems.append(
            f"the newest record ({chain.last_seq}) is "
            + ("unsigned" if chain.head_key_id is None else f"signed with key {chain.head_key_id}")
            + f", not with PRIVLAB_AUDIT_KEY (key {audit_key_id(key)}): its signatures were "
            "stripped or it is signed with another key — or, if the log was kept without "
            "this key until now, start signing with `privlab audit rotate-key`"
        )
        return "unsigned" if chain.head_key_id is None else "invalid"
    if chain.unsigned:
        notes.append(f"{chain.unsigned} record(s) before the first signed one are unsigned")
    if chain.unchecked:
        notes.append(
            f"{chain.unchecked} record(s) signed with a retired key were not checked "
            "(set PRIVLAB_AUDIT_PREVIOUS_KEY to check them); the current key's records "
            "anchor them through the hash chain"
        )
    return "valid" if chain.records else "unsigned"


def _witness_verdict(
    witness: WitnessFile,
    chain: ChainReport,
    store_id: str | None,
    path: Path,
    problems: list[str],
    notes: list[str],
) -> str:
    problems += witness.problems
    if witness.header is None:
        if witness.problems:
            return "mismatch"
        if chain.records:
            problems.append(f"the witness file {path} is missing (the log has records)")
            return "missing"
        return "none"
    if witness.header.store_id != store_id:
        problems.append(
            f"the witness {path} belongs to store {witness.header.store_id} "
            f"({witness.header.store_path}, {witness.last_seq} record(s) witnessed), "
            f"not to this store {store_id}: the store was deleted, replaced or re-created"
        )
        return "foreign"
    verdict = "match"
    for line in witness.lines:  # lines that matched no record exactly
        if line.seq > chain.last_seq:
            problems.append(
                f"the witness recorded record {line.seq} but the log ends at record "
                f"{chain.last_seq}: records were deleted, or the store was rolled back"
            )
            return "mismatch"
        recorded = chain.hashes.get(line.seq)
        if recorded is None or recorded != (line.hash, line.mac):
            problems.append(
                f"audit record {line.seq} differs from the witness (line {line.line}): "
                "the log was rewritten"
            )
            verdict = "mismatch"
    if verdict != "match":
        return verdict
    seen = witness.last_seq
    if chain.records and seen < chain.last_seq:
        notes.append(
            f"records {seen + 1}..{chain.last_seq} are not in the witness yet (a crash between "
            "commit and witness; without a key such records cannot be told from forgeries)"
        )
        return "behind"
    return "match"


def _checkpoint_verdict(text: str, chain: ChainReport, problems: list[str]) -> str:
    seq_text, _, value = text.partition(":")
    try:
        seq = int(seq_text)
    except ValueError:
        raise PrivlabError(f"a checkpoint is SEQ:MAC (e.g. 12:3fa4…), got {text!r}") from None
    if not value or seq < 1:
        raise PrivlabError(f"a checkpoint is SEQ:MAC (e.g. 12:3fa4…), got {text!r}")
    recorded = chain.hashes.get(seq)
    if recorded is None:
        problems.append(
            f"the log ends at record {chain.last_seq}, behind the checkpoint at record {seq}: "
            "the store (and its witness) were rolled back or truncated"
        )
        return "behind"
    if not any(v is not None and hmac.compare_digest(v, value) for v in recorded):
        problems.append(f"audit record {seq} differs from the checkpoint: history was rewritten")
        return "mismatch"
    return "match"


# -- the state the log records --------------------------------------------------------------


@dataclass
class State:
    """What the audit log says the tables hold (recomputed by :func:`replay`).

    Budgets are keyed by dataset name; ledger rows by their id, with the
    dataset's name, ε, δ and ``"counted"`` (reserved or spent) or ``"cancelled"``.
    """

    budgets: dict[str, tuple[float, float]] = field(default_factory=dict)
    ledger: dict[str, tuple[str | None, float | None, float | None, str]] = field(
        default_factory=dict
    )
    roles: dict[tuple[str, str], str] = field(default_factory=dict)
    policy: str | None = None
    policy_seen: bool = False
    releases: dict[str, str] = field(default_factory=dict)
    releases_seen: bool = False
    #: dataset name -> the dataset whose budget it shares (DP dataset links)
    links: dict[str, str] = field(default_factory=dict)
    #: dataset id -> name, to read records that name datasets by id (snapshots)
    names: dict[str, str] = field(default_factory=dict)


def _counted(status: str) -> str:
    return "cancelled" if status == "cancelled" else "counted"


def _on_snapshot(state: State, r: AuditRecord) -> None:
    d = r.details
    for ds, (eps, delta) in d.get("budgets", {}).items():
        state.budgets[state.names.get(str(ds), f"#{ds}")] = (float(eps), float(delta))
    for row_id, (ds, eps, delta, status) in d.get("ledger", {}).items():
        name = state.names.get(str(ds), f"#{ds}")
        state.ledger[str(row_id)] = (name, float(eps), float(delta), _counted(str(status)))
    for principal, department, role in d.get("roles", []):
        state.roles[(principal, department)] = role
    if "policy" in d:
        state.policy, state.policy_seen = d["policy"], True
    if "releases" in d:
        state.releases.update({str(k): str(v) for k, v in d["releases"].items()})
        state.releases_seen = True


def _on_budget(state: State, r: AuditRecord) -> None:
    """``dataset_created`` and ``budget`` (the store's: totals; the DP ledger's: old/new)."""
    d = r.details
    name = d.get("budget_of") or r.dataset
    if name is None or "epsilon" not in d or "delta" not in d:
        return  # not a budget this verify can recompute (malformed: the table check says so)
    eps, delta = d["epsilon"], d["delta"]
    if isinstance(eps, Mapping):
        eps = eps["new"]
    if isinstance(delta, Mapping):
        delta = delta["new"]
    state.budgets[str(name)] = (float(eps), float(delta))


def _on_spend(state: State, r: AuditRecord) -> None:
    d = r.details
    rows = d.get("rows") or [[i, None, None] for i in d.get("ledger_ids", [])]
    for row_id, eps, delta in rows:
        state.ledger[str(row_id)] = (
            r.dataset,
            None if eps is None else float(eps),
            None if delta is None else float(delta),
            "counted",
        )


def _on_spend_cancelled(state: State, r: AuditRecord) -> None:
    for row_id in r.details.get("ledger_ids", []):
        name, eps, delta, _ = state.ledger.get(str(row_id), (None, None, None, ""))
        state.ledger[str(row_id)] = (name, eps, delta, "cancelled")


def _on_grant(state: State, r: AuditRecord) -> None:
    d = r.details
    state.roles[(str(d["grantee"]), str(d["department"]))] = str(d["role"])


def _on_revoke(state: State, r: AuditRecord) -> None:
    d = r.details
    state.roles.pop((str(d["grantee"]), str(d["department"])), None)


def _on_policy(state: State, r: AuditRecord) -> None:
    state.policy = r.details.get("policy_id") if r.details.get("installed") else None
    state.policy_seen = True


def _on_release(state: State, r: AuditRecord) -> None:
    if r.release is not None:
        state.releases[r.release] = "active"
        state.releases_seen = True


def _on_purge(state: State, r: AuditRecord) -> None:
    if r.release is not None and r.details.get("purged", True):
        state.releases[r.release] = "purged"


def _on_link(state: State, r: AuditRecord) -> None:
    if r.dataset is not None:
        state.links[r.dataset] = str(r.details["budget_of"])


def _on_unlink(state: State, r: AuditRecord) -> None:
    if r.dataset is not None:
        state.links.pop(r.dataset, None)


#: How each state-changing event updates the recomputed state. A component that
#: adds state to check adds its events here.
REPLAY: dict[str, Callable[[State, AuditRecord], None]] = {
    "snapshot": _on_snapshot,
    "dataset_created": _on_budget,
    "budget": _on_budget,
    "spend": _on_spend,
    "spend_cancelled": _on_spend_cancelled,
    "grant": _on_grant,
    "revoke": _on_revoke,
    "policy": _on_policy,
    "release": _on_release,
    "purge": _on_purge,
    "link": _on_link,
    "unlink": _on_unlink,
}


def replay(records: Iterable[AuditRecord], names: Mapping[str, str] | None = None) -> State:
    """Recompute budgets, ledger, roles, policy, releases and dataset links from *records*.

    *names* maps dataset ids to names, for records that name datasets by id.

    Examples
    --------
    >>> r = AuditRecord(1, "t", "ana", "budget", "x", None,
    ...                 {"dataset_id": 1, "epsilon": 2.0, "delta": 0.0}, "", "h")
    >>> replay([r]).budgets
    {'x': (2.0, 0.0)}
    """
    state = State(names=dict(names or {}))
    for record in records:
        handler = REPLAY.get(record.event)
        if handler is not None:
            handler(state, record)
    return state


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


def check_state(store: Store, records: Sequence[AuditRecord]) -> list[str]:
    """The tables against the state :func:`replay` recomputes from *records*."""
    problems: list[str] = []
    with store.read() as conn:
        tables = _tables(conn)
        names = {str(r[0]): str(r[1]) for r in conn.execute("SELECT id, name FROM datasets")}
        state = replay(records, names)
        for ds_id, eps, delta in conn.execute(
            "SELECT id, epsilon_budget, delta_budget FROM datasets"
        ):
            name = names[str(ds_id)]
            logged = state.budgets.pop(name, None)
            if logged is None:
                problems.append(f"dataset {name!r} is not in the audit log (inserted directly)")
            elif not (_close(logged[0], eps) and _close(logged[1], delta)):
                problems.append(
                    f"dataset {name!r}: the budget is ε={eps:g}, δ={delta:g} in the store but "
                    f"ε={logged[0]:g}, δ={logged[1]:g} in the audit log (edited directly)"
                )
        for name in state.budgets:
            problems.append(f"dataset {name!r} is in the audit log but missing from the store")
        if "dp_ledger" in tables:
            for row in conn.execute(
                "SELECT id, dataset_id, epsilon, delta, status FROM dp_ledger ORDER BY id"
            ):
                row_id = str(row[0])
                logged_row = state.ledger.pop(row_id, None)
                ds = names.get(str(row[1]), str(row[1]))
                status = _counted(str(row[4]))
                if logged_row is None:
                    problems.append(
                        f"DP ledger row {row_id} (dataset {ds!r}, ε={row[2]:g}) is not in the "
                        "audit log (inserted directly)"
                    )
                    continue
                _, eps, delta, logged_status = logged_row
                if not (
                    (eps is None or _close(eps, row[2]))
                    and (delta is None or _close(delta, row[3]))
                    and logged_status == status
                ):
                    logged_eps = "?" if eps is None else f"{eps:g}"
                    logged_delta = "?" if delta is None else f"{delta:g}"
                    problems.append(
                        f"DP ledger row {row_id} (dataset {ds!r}): ε={row[2]:g}, δ={row[3]:g}, "
                        f"{status} in the table but ε={logged_eps}, δ={logged_delta}, "
                        f"{logged_status} in the audit log (edited directly)"
                    )
        for row_id, (logged_name, eps, _, status) in sorted(state.ledger.items()):
            shown = "?" if eps is None else f"{eps:g}"
            problems.append(
                f"DP ledger row {row_id} (dataset {logged_name!r}, ε={shown}, {status}) is in the "
                "audit log but missing from the table (deleted)"
            )
        if "identity_links" in tables:
            links = {
                names.get(str(a), f"#{a}"): names.get(str(b), f"#{b}")
                for a, b in conn.execute("SELECT dataset_id, budget_of FROM identity_links")
            }
            if links != state.links:
                changed = sorted(
                    n for n in set(links) | set(state.links) if links.get(n) != state.links.get(n)
                )
                problems.append(
                    "dataset links differ from the audit log (edited directly): "
                    + "; ".join(
                        f"{n!r} shares the budget of {links.get(n) or 'no dataset'!r} in the "
                        f"store, of {state.links.get(n) or 'no dataset'!r} in the log"
                        for n in changed[:10]
                    )
                )
        if "access_roles" in tables:
            roles = {
                (str(p), str(d)): str(r)
                for p, d, r in conn.execute("SELECT principal, department, role FROM access_roles")
            }
            if roles != state.roles:
                extra = sorted(set(roles.items()) - set(state.roles.items()))
                missing = sorted(set(state.roles.items()) - set(roles.items()))
                problems.append(
                    "roles differ from the audit log (edited directly): "
                    + "; ".join(
                        [f"{p}@{d or '*'}={r} not logged" for (p, d), r in extra]
                        + [f"{p}@{d or '*'}={r} logged but missing" for (p, d), r in missing]
                    )
                )
        if "policies" in tables:
            active = conn.execute("SELECT id FROM policies WHERE active = 1").fetchone()
            active_id = None if active is None else str(active[0])
            if active_id != state.policy and (state.policy_seen or active_id is not None):
                problems.append(
                    f"the active policy is {active_id or 'none'} in the store but "
                    f"{state.policy or 'none'} in the audit log (changed directly)"
                )
        if "catalog_releases" in tables:
            statuses = {
                str(i): str(s) for i, s in conn.execute("SELECT id, status FROM catalog_releases")
            }
            if statuses != state.releases and (state.releases_seen or statuses):
                changed = sorted(
                    i for i in set(statuses) | set(state.releases)
                    if statuses.get(i) != state.releases.get(i)
                )  # fmt: skip
                problems.append(
                    "releases differ from the audit log (edited directly): "
                    + ", ".join(
                        f"{i} is {statuses.get(i, 'missing')} in the catalog, "
                        f"{state.releases.get(i, 'absent')} in the log"
                        for i in changed[:10]
                    )
                )
    return problems


def iter_jsonl(events: Iterable[AuditEvent]) -> Iterable[str]:
    """One JSON line per event (for ``privlab audit log``)."""
    for e in events:
        yield json.dumps(e.to_dict(), sort_keys=True)
