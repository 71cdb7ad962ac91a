"""The release gate: authorize, inspect, evaluate the policy, write, then catalog and audit.

:meth:`Releases.submit` implements :class:`privlab.release.Gate` for every
producer (``../shared/CONTRACTS.md``, "The release pipeline"). Registered
releases live in the ``catalog_releases`` table (component ``catalog``):

===============  ===============================================================
column           meaning
===============  ===============================================================
id               release id (random hex)
dataset_id       → datasets.id
kind             anonymized | dp | synthetic
recipe_id        recipe or query fingerprint, if any
manifest         JSON manifest (no secrets, no raw values)
files            JSON list of {path, sha256, encrypted}
created_at       UTC time
expires_at       UTC time after which ``retention sweep`` deletes the files
allowed_roles    JSON list of roles that may load it
status           active | purged
policy           JSON policy result recorded at release time
===============  ===============================================================

Examples
--------
>>> from privlab.governance import Governance
>>> Governance().releases()
[]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from privlab._time import iso as _iso
from privlab.dp import Ledger
from privlab.exceptions import AccessDeniedError, PolicyViolationError, PrivlabError
from privlab.governance._access import ROLES, Access, principal
from privlab.governance._audit import AuditLog
from privlab.governance._catalog import Catalog
from privlab.governance._crypto import read_encrypted
from privlab.governance._policies import Policies
from privlab.governance._policy import PolicyResult, evaluate_policy
from privlab.guard import inspect_release
from privlab.io import check_outputs, fingerprint, read, temp_registry
from privlab.release import DEFAULT_ALLOWED, KINDS, Approval, ColumnFacts, ReleaseFacts
from privlab.store import Store, append_audit

__all__ = ["PolicyWarning", "ReleaseRecord", "Releases", "file_sha256"]

_MASKING_OPS = frozenset({"mask", "redact_text", "generalize", "suppress"})


class PolicyWarning(UserWarning):
    """A release broke the policy in personal mode (it was still made)."""


@dataclass(frozen=True)
class ReleaseRecord:
    """A registered release."""

    id: str
    dataset: str
    kind: str
    recipe_id: str | None
    manifest: dict[str, Any]
    files: list[dict[str, Any]]
    created_at: str
    expires_at: str | None
    allowed_roles: list[str]
    status: str
    policy: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The record as a plain dict (for JSON output)."""
        return dict(self.__dict__)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Releases:
    """The release gate and the registered releases.

    Parameters
    ----------
    store, audit, access, policies, catalog:
        The parts of governance the gate runs through.
    """

    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        access: Access,
        policies: Policies,
        catalog: Catalog,
    ) -> None:
        self.store = store
        self.audit = audit
        self.access = access
        self.policies = policies
        self.catalog = catalog

    def evaluate(self, facts: Mapping[str, Any]) -> PolicyResult:
        """Check *facts* against the active policy (installed or baseline)."""
        return evaluate_policy(self.policies.policy, facts)

    def release(
        self,
        kind: str,
        dataset: str,
        facts: Mapping[str, Any],
        *,
        write: Callable[[], Sequence[str | Path]],
        manifest: Mapping[str, Any] | None = None,
        recipe_id: str | None = None,
        allowed_roles: Sequence[str] = DEFAULT_ALLOWED,
        retention_days: int | None = None,
        encrypted: bool = False,
        override: bool = False,
        data: Any = None,
    ) -> ReleaseRecord:
        """Gate, write and register one release described by a plain *facts* mapping.

        1. In governed mode the dataset must be approved (and its schema unchanged).
        2. *facts* are checked against the policy. Governed: violations raise
           :class:`~privlab.exceptions.PolicyViolationError` and ``write`` is never
           called — unless ``override=True`` by the dataset's owner (audited).
           Personal: violations emit a :class:`PolicyWarning`.
        3. ``write()`` writes the files (atomically) and returns their paths.
        4. The release is registered with file hashes, expiry and policy result,
           and audited.

        Producers use :meth:`submit` (typed :class:`~privlab.release.ReleaseFacts`).
        """
        self.access.authorize("spend" if kind == "dp" else "release", dataset=dataset)
        return self._release(
            kind,
            dataset,
            facts,
            write=lambda approval: write(),
            manifest=manifest,
            recipe_id=recipe_id,
            allowed_roles=allowed_roles,
            retention_days=retention_days,
            encrypted=encrypted,
            override=override,
            data=data,
        )

    def submit(
        self, facts: ReleaseFacts, write: Callable[[Approval], Sequence[str | Path]]
    ) -> ReleaseRecord:
        """The release gate (:class:`privlab.release.Gate`): run the pipeline for *facts*.

        Stages (``../shared/CONTRACTS.md``): **authorize** (``release``, or
        ``spend`` for DP; ``override`` when columns are kept despite the guard) →
        the **output guard** (no output may be an input or another output) →
        **inspect** (the guard) → **evaluate the policy** → ``write`` (DP reserves
        ε inside it), with every temp file recorded in the store first →
        **catalog and audit** in one store transaction. Any refusal writes
        nothing and is audited.

        The dataset is ``facts.dataset`` or the store's dataset with the
        source's content; the released columns' roles come from the dataset's
        profile and the operations applied, and DP releases add the ε spent in
        the policy's window.
        """
        name = facts.dataset or self._dataset_for(facts.source, facts.name_hint)
        self.access.authorize("spend" if facts.kind == "dp" else "release", dataset=name)
        if facts.keep:
            self.access.authorize("override", dataset=name)
        check_outputs(
            [("output", p) for p in facts.outputs],
            [("input", p) for p in facts.inputs],
            folders_must_exist=False,
        )
        policy_facts: dict[str, Any] = {"rows": facts.rows, **dict(facts.privacy)}
        roles = self.catalog.roles(name)
        if facts.columns is not None and (
            roles is not None or all(c.role is not None for c in facts.columns)
        ):
            policy_facts["columns"] = {c.name: released_role(c, roles or {}) for c in facts.columns}
        if facts.kind == "dp":
            cap = self.policies.policy.rules.max_epsilon_per_period
            if cap is not None:
                spent = Ledger(self.store).loss_in_last(name, dt.timedelta(days=cap.days))[0]
                policy_facts["epsilon_in_period"] = spent + float(facts.privacy.get("epsilon", 0))
        guard = inspect_release(facts, roles=roles)
        if not guard.ok:
            self.audit.append(
                "denial",
                dataset=name,
                details={"action": "release", "kind": facts.kind, "guard": guard.to_dict()},
            )
            raise PolicyViolationError(
                "the release guard refused the release: "
                + "; ".join(f.message for f in guard.blocking)
                + ". Nothing was written; drop or transform those columns, or keep one "
                "on purpose with keep={column: reason}",
                guard.blocking,  # every finding, for callers that list them one by one
            )
        policy_facts["guard"] = guard.to_dict()
        extra: list[tuple[str, dict[str, Any]]] = []
        if facts.kind == "dp":
            extra.append(
                (
                    "dp_query",
                    {k: facts.privacy.get(k) for k in ("queries", "by", "epsilon", "delta")},
                )
            )
        if facts.keep:
            extra.append(("override", {"kind": facts.kind, "keep": dict(facts.keep)}))
        return self._release(
            facts.kind,
            name,
            policy_facts,
            write=write,
            manifest={**dict(facts.manifest), "facts": policy_facts},
            recipe_id=facts.recipe_id,
            allowed_roles=facts.allowed_roles,
            retention_days=facts.retention_days,
            override=facts.override,
            data=facts.source,
            extra_audit=extra,
        )

    def _dataset_for(self, source: Any, hint: str) -> str:
        """The store's name for *source*'s content (registered by the release, if new)."""
        if source is None:
            raise PrivlabError("a release needs a dataset name or its source data")
        fp = fingerprint(source)
        known = self.store.find_by_fingerprint(fp)
        if known is not None:
            return str(known.name)
        return f"{hint}-{fp.content_hash[:12]}"

    def _release(
        self,
        kind: str,
        dataset: str,
        facts: Mapping[str, Any],
        *,
        write: Callable[[Approval], Sequence[str | Path]],
        manifest: Mapping[str, Any] | None = None,
        recipe_id: str | None = None,
        allowed_roles: Sequence[str] = DEFAULT_ALLOWED,
        retention_days: int | None = None,
        encrypted: bool = False,
        override: bool = False,
        data: Any = None,
        extra_audit: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> ReleaseRecord:
        if kind not in KINDS:
            raise PrivlabError(f"release kind must be one of {KINDS}, got {kind!r}")
        for role in allowed_roles:
            if role not in ROLES:
                raise PrivlabError(f"allowed role must be one of {ROLES}, got {role!r}")
        entry = self.catalog.check_source(dataset, data)
        days = retention_days if retention_days is not None else entry.retention_days
        full_facts = {"retention_days": days, "purpose": entry.purpose, **facts, "kind": kind}
        if "columns" in full_facts and entry.roles and isinstance(full_facts["columns"], list):
            full_facts["columns"] = {c: entry.roles.get(c, "other") for c in full_facts["columns"]}
        result = self.evaluate(full_facts)
        audits = list(extra_audit)
        if not result.passed:
            if self.policies.mode == "governed":
                if not override:
                    self.audit.append(
                        "denial",
                        dataset=entry.name,
                        details={"action": "release", "kind": kind, "policy": result.to_dict()},
                    )
                    result.raise_for_violations()
                self.access.authorize("override", dataset=entry.name)
                audits.append(
                    ("override", {"kind": kind, "violations": [v.rule for v in result.violations]})
                )
            else:
                warnings.warn(
                    f"release of {entry.name!r} breaks policy {result.policy!r}: "
                    + "; ".join(v.message for v in result.violations),
                    PolicyWarning,
                    stacklevel=2,
                )
        release_id = secrets.token_hex(8)
        try:
            with temp_registry(self.store):
                written = write(Approval(dataset=entry.name, release_id=release_id))
            paths = [Path(os.path.abspath(p)) for p in written]
        except BaseException as exc:
            self.audit.append(
                "release_failed",
                dataset=entry.name,
                details={"kind": kind, "error": type(exc).__name__},
            )
            raise
        files = [{"path": str(p), "sha256": file_sha256(p), "encrypted": encrypted} for p in paths]
        created = self.store.clock()
        expires = None if days is None else created + dt.timedelta(days=int(days))
        record = {
            "id": release_id,
            "dataset_id": entry.id,
            "kind": kind,
            "recipe_id": recipe_id,
            "manifest": json.dumps(dict(manifest or {}), sort_keys=True, default=str),
            "files": json.dumps(files),
            "created_at": _iso(created),
            "expires_at": None if expires is None else _iso(expires),
            "allowed_roles": json.dumps(list(allowed_roles)),
            "status": "active",
            "policy": json.dumps(result.to_dict()),
        }
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO catalog_releases (id, dataset_id, kind, recipe_id, manifest, files,"
                " created_at, expires_at, allowed_roles, status, policy) VALUES"
                " (:id, :dataset_id, :kind, :recipe_id, :manifest, :files, :created_at,"
                " :expires_at, :allowed_roles, :status, :policy)",
                record,
            )
            for event, details in audits:
                append_audit(conn, event, dataset=entry.name, release=release_id, details=details)
            append_audit(
                conn,
                "release",
                dataset=entry.name,
                release=release_id,
                details={
                    "kind": kind,
                    "recipe_id": recipe_id,
                    "files": [{"path": f["path"], "sha256": f["sha256"]} for f in files],
                    "policy_passed": result.passed,
                    "rows": facts.get("rows"),
                },
            )
        return self.get(release_id)

    def get(self, release_id: str) -> ReleaseRecord:
        """A registered release by id."""
        rows = self._rows("WHERE r.id = ?", (release_id,))
        if not rows:
            raise PrivlabError(f"no release {release_id!r} in the catalog")
        return rows[0]

    def records(self, dataset: str | None = None) -> list[ReleaseRecord]:
        """Registered releases, newest last."""
        if dataset is None:
            return self._rows("", ())
        return self._rows("WHERE r.dataset_id = ?", (self.catalog.dataset(dataset).id,))

    def _rows(self, where: str, args: tuple[Any, ...]) -> list[ReleaseRecord]:
        with self.store.read() as conn:
            rows = conn.execute(
                "SELECT r.id, d.name, r.kind, r.recipe_id, r.manifest, r.files, r.created_at,"
                " r.expires_at, r.allowed_roles, r.status, r.policy FROM catalog_releases r"
                f" JOIN datasets d ON d.id = r.dataset_id {where} ORDER BY r.created_at, r.id",
                args,
            ).fetchall()
        return [
            ReleaseRecord(
                id=r[0],
                dataset=r[1],
                kind=r[2],
                recipe_id=r[3],
                manifest=json.loads(r[4]),
                files=json.loads(r[5]),
                created_at=r[6],
                expires_at=r[7],
                allowed_roles=json.loads(r[8]),
                status=r[9],
                policy=json.loads(r[10]),
            )
            for r in rows
        ]

    def load(
        self, release_id: str, *, key: str | bytes | None = None, key_file: str | None = None
    ) -> Any:
        """Load a release's data after checking the principal's role; audited either way."""
        record = self.get(release_id)
        entry = self.catalog.dataset(record.dataset)
        actor = principal()
        role = "owner" if actor == entry.owner else self.access.role_of(actor, entry.department)
        if role not in record.allowed_roles:
            self.audit.append(
                "denial",
                dataset=entry.name,
                release=release_id,
                details={"action": "load", "role": role},
            )
            raise AccessDeniedError(
                f"{actor!r} (role {role!r} in {entry.department!r}) may not load release "
                f"{release_id}; allowed roles: {record.allowed_roles}"
            )
        if record.status != "active":
            raise PrivlabError(f"release {release_id} was {record.status}")
        file = record.files[0]
        path = Path(file["path"])
        if not path.exists():
            raise PrivlabError(f"the file of release {release_id} is missing: {path}")
        if file_sha256(path) != file["sha256"]:
            raise PrivlabError(f"the file of release {release_id} changed since it was released")
        self.audit.append("access", dataset=entry.name, release=release_id, details={"role": role})
        if file.get("encrypted"):
            return read_encrypted(path, key=key, key_file=key_file)
        return read(path).collect() if path.suffix != ".json" else pl.read_json(path)


def released_role(column: ColumnFacts, roles: Mapping[str, str]) -> str:
    """A released column's role: the producer's, else its source's profiled role after ops.

    A direct identifier that was pseudonymized reports ``pseudonymized``; one
    masked, redacted, generalized or blanked reports ``masked``.

    Examples
    --------
    >>> released_role(ColumnFacts("id", ops=("pseudonymize",)), {"id": "direct_identifier"})
    'pseudonymized'
    """
    if column.role is not None:
        return column.role
    role = roles.get(column.source or column.name, "other")
    if role == "direct_identifier" and "pseudonymize" in column.ops:
        return "pseudonymized"
    if role == "direct_identifier" and _MASKING_OPS & set(column.ops):
        return "masked"
    return role
