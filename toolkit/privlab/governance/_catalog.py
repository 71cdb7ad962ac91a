"""The catalog: datasets with their metadata and approval, releases, access and retention.

Datasets are the store's datasets (:mod:`privlab.store`); the catalog keeps its
metadata in each dataset's ``attrs`` (department, purpose, classification,
retention, legal basis, consent, schema, column roles, approval). Releases live
in the ``catalog_releases`` table (component ``catalog``):

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

plus ``access_roles(principal, department, role)``.

**Two modes.** *Personal* (no policy installed): every release is still
registered, audited and checked against the built-in baseline policy; violations
warn. *Governed* (a policy is installed with :meth:`Governance.install_policy`):
datasets must be approved before any release, and violations block — nothing is
written — unless the dataset's owner overrides explicitly, which is audited.

**Access control** is a guardrail inside one trust domain — it keeps honest users
on the paved road and records what they did. It is not a security boundary against
someone who can read the files or the SQLite store directly; encrypt releases at
rest (:mod:`._crypto`) when files travel.

Examples
--------
>>> import polars as pl
>>> from privlab.governance import Governance
>>> gov = Governance()
>>> entry = gov.register_dataset("visits", pl.DataFrame({"a": [1]}), department="clinic",
...                              purpose="quality review")
>>> entry.status, gov.mode
('pending', 'personal')
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import secrets
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from privlab._config import get_config
from privlab._time import iso as _iso
from privlab.dp import Ledger
from privlab.exceptions import (
    AccessDeniedError,
    PolicyViolationError,
    PrivlabError,
)
from privlab.governance._audit import AuditLog
from privlab.governance._crypto import read_encrypted
from privlab.governance._policy import BASELINE, Policy, PolicyResult, evaluate_policy
from privlab.guard import inspect_release
from privlab.io import fingerprint, read
from privlab.release import DEFAULT_ALLOWED, KINDS, Approval, ColumnFacts, ReleaseFacts
from privlab.store import Store, open_store

__all__ = ["ROLES", "DatasetEntry", "Governance", "PolicyWarning", "ReleaseRecord"]

COMPONENT = "catalog"
MIGRATIONS = [
    """
    CREATE TABLE catalog_releases (
        id TEXT PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id),
        kind TEXT NOT NULL,
        recipe_id TEXT,
        manifest TEXT NOT NULL,
        files TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        allowed_roles TEXT NOT NULL,
        status TEXT NOT NULL,
        policy TEXT NOT NULL
    );
    CREATE INDEX catalog_releases_by_dataset ON catalog_releases(dataset_id);
    CREATE TABLE access_roles (
        principal TEXT NOT NULL,
        department TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (principal, department)
    );
    CREATE TABLE policies (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        text TEXT NOT NULL,
        installed_at TEXT NOT NULL,
        active INTEGER NOT NULL
    )
    """,
]

ROLES = ("owner", "steward", "analyst", "viewer")
#: The least role each gated action needs in governed mode (CONTRACTS.md, "Roles").
_ACTION_ROLE = {
    "register": "analyst",
    "profile": "analyst",
    "release": "analyst",
    "spend": "analyst",
    "set_budget": "steward",
    "declare_independence": "steward",
    "override": "steward",
    "approve": "steward",
}


class PolicyWarning(UserWarning):
    """A release broke the policy in personal mode (it was still made)."""


@dataclass(frozen=True)
class DatasetEntry:
    """A dataset as the catalog sees it."""

    name: str
    id: int
    owner: str
    department: str | None
    purpose: str | None
    classification: str | None
    retention_days: int | None
    legal_basis: str | None
    consent: bool | None
    status: str  # pending | approved
    schema: list[list[str]]
    roles: dict[str, str] | None
    epsilon_budget: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


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
        return dict(self.__dict__)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _roles_from_profile(profile: Any) -> dict[str, str] | None:
    if profile is None:
        return None
    if isinstance(profile, Mapping):
        out = {}
        for col, val in profile.items():
            out[str(col)] = str(val.get("role") if isinstance(val, Mapping) else val)
        return out
    columns = getattr(profile, "columns", None)
    if columns is None:
        raise PrivlabError("profile must be a privlab Profile or a {column: role} mapping")
    if isinstance(columns, Mapping):
        columns = list(columns.values())
    return {str(c.name): str(c.role) for c in columns}


class Governance:
    """Catalog, policy gate, access control and retention over the privlab store.

    Parameters
    ----------
    store:
        A :class:`privlab.store.Store`; default :func:`privlab.open_store`.
    audit:
        The :class:`AuditLog`; default one over the same store.
    """

    def __init__(self, store: Store | None = None, *, audit: AuditLog | None = None) -> None:
        if store is None:
            store = open_store()
        self.store = store
        store.ensure_schema(COMPONENT, MIGRATIONS)
        self.audit = audit if audit is not None else AuditLog(store)

    # -- principal, roles ---------------------------------------------------------------

    @property
    def principal(self) -> str:
        """Who is acting: ``PRIVLAB_USER`` or the ``user`` config value."""
        return str(get_config()["user"])

    def role_of(self, principal: str, department: str | None) -> str | None:
        """The role of *principal* in *department* (None when none was granted)."""
        with self.store.read() as conn:
            row = conn.execute(
                "SELECT role FROM access_roles WHERE principal = ? AND department = ?",
                (principal, department or ""),
            ).fetchone()
        return None if row is None else str(row[0])

    def grant(self, principal: str, role: str, department: str) -> None:
        """Give *principal* a *role* in *department* (owners and stewards only, after bootstrap).

        The first grant in a department bootstraps it; afterwards only an owner or
        steward of the department (or the owner of one of its datasets) may grant.
        """
        if role not in ROLES:
            raise PrivlabError(f"role must be one of {ROLES}, got {role!r}")
        actor = self.principal
        with self.store.read() as conn:
            existing = conn.execute(
                "SELECT count(*) FROM access_roles WHERE department = ?", (department,)
            ).fetchone()[0]
        if existing and not self._can_administer(actor, department):
            self.audit.append(
                "denial", details={"action": "grant", "department": department, "role": role}
            )
            raise AccessDeniedError(
                f"{actor!r} may not grant roles in department {department!r}: only its owners "
                "and stewards can"
            )
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO access_roles (principal, department, role) VALUES (?, ?, ?) "
                "ON CONFLICT(principal, department) DO UPDATE SET role = excluded.role",
                (principal, department, role),
            )
        self.audit.append(
            "grant", details={"grantee": principal, "department": department, "role": role}
        )

    def authorize(self, action: str, *, dataset: str | None = None) -> None:
        """Raise :class:`AccessDeniedError` (audited) unless the principal may do *action*.

        The release gate's stage 1 (:class:`privlab.release.Gate`). Personal mode
        allows everything; governed mode requires the role that
        ``../shared/CONTRACTS.md`` lists for *action* in the dataset's
        department (its owner may do everything on it).
        """
        if self.mode != "governed":
            return
        needed = _ACTION_ROLE.get(action)
        if needed is None:
            raise PrivlabError(f"unknown action {action!r}; actions are {sorted(_ACTION_ROLE)}")
        actor = self.principal
        entry = None
        if dataset is not None:
            with contextlib.suppress(KeyError):
                entry = self.dataset(dataset)
        if entry is not None and actor == entry.owner:
            return
        role = self.role_of(actor, entry.department if entry is not None else None)
        if role is not None and ROLES.index(role) <= ROLES.index(needed):
            return
        self.audit.append(
            "denial", dataset=entry.name if entry else dataset, details={"action": action}
        )
        raise AccessDeniedError(
            f"{actor!r} may not {action.replace('_', ' ')}"
            + (f" on {dataset!r}" if dataset else "")
            + f": it needs the role {needed!r} or higher"
            + (f" in department {entry.department!r}" if entry is not None else "")
        )

    def _can_administer(self, actor: str, department: str | None) -> bool:
        if self.role_of(actor, department) in ("owner", "steward"):
            return True
        return any(e.owner == actor and e.department == department for e in self.datasets())

    # -- policies -----------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """``"governed"`` when a policy is installed, else ``"personal"``."""
        return "governed" if self._installed() is not None else "personal"

    def _installed(self) -> Policy | None:
        with self.store.read() as conn:
            row = conn.execute("SELECT text FROM policies WHERE active = 1").fetchone()
        return None if row is None else Policy.from_dict(json.loads(row[0]))

    @property
    def policy(self) -> Policy:
        """The installed policy, or the built-in baseline in personal mode."""
        return self._installed() or BASELINE

    def install_policy(self, policy: Policy | str | Path) -> Policy:
        """Install *policy* (object, YAML path or text): switches to governed mode."""
        if not isinstance(policy, Policy):
            policy = Policy.from_yaml(policy)
        with self.store.transaction() as conn:
            conn.execute("UPDATE policies SET active = 0")
            conn.execute(
                "INSERT INTO policies (id, name, text, installed_at, active) VALUES (?, ?, ?, ?, 1)"
                " ON CONFLICT(id) DO UPDATE SET active = 1, installed_at = excluded.installed_at",
                (policy.id, policy.name, json.dumps(policy.to_dict()), self.store.now()),
            )
        self.audit.append("policy", details={"installed": policy.name, "policy_id": policy.id})
        return policy

    def uninstall_policy(self) -> None:
        """Back to personal mode (audited)."""
        with self.store.transaction() as conn:
            conn.execute("UPDATE policies SET active = 0")
        self.audit.append("policy", details={"installed": None})

    # -- datasets ------------------------------------------------------------------------

    def register_dataset(
        self,
        name: str,
        data: Any,
        *,
        owner: str | None = None,
        department: str | None = None,
        purpose: str | None = None,
        classification: str | None = None,
        retention_days: int | None = None,
        legal_basis: str | None = None,
        consent: bool | None = None,
        profile: Any = None,
    ) -> DatasetEntry:
        """Register (or update) a dataset; a new one, or a changed schema, needs approval.

        *profile* (a privlab Profile or ``{column: role}``) records the column
        roles and counts as the profiling step of onboarding.
        """

        fp = fingerprint(data)
        ds = self.store.resolve_dataset(name, fp, owner=owner or self.principal)
        attrs = dict(ds.attrs)
        schema = [list(pair) for pair in fp.schema]
        old = attrs.get("schema")
        drift = _schema_drift(old, schema) if old is not None else []
        status = attrs.get("status", "pending")
        if old is None or drift:
            status = "pending"
        roles = _roles_from_profile(profile)
        update: dict[str, Any] = {"schema": schema, "schema_hash": fp.schema_hash, "status": status}
        for key, value in (
            ("department", department),
            ("purpose", purpose),
            ("classification", classification),
            ("retention_days", retention_days),
            ("legal_basis", legal_basis),
            ("consent", consent),
        ):
            if value is not None:
                update[key] = value
        if roles is not None:
            update["roles"] = roles
            update["profiled_at"] = self.store.now()
        if drift:
            update["approved_by"] = None
            update["approved_at"] = None
        self.store.update_attrs(ds.name, **update)
        self.audit.append(
            "register",
            dataset=ds.name,
            details={
                "schema_hash": fp.schema_hash,
                "rows": fp.rows,
                "status": status,
                "schema_changes": drift,
            },
        )
        if roles is not None:
            self.audit.append(
                "profile",
                dataset=ds.name,
                details={"roles": {r: sum(1 for v in roles.values() if v == r) for r in ROLES_OF}},
            )
        return self.dataset(ds.name)

    def dataset(self, name: str) -> DatasetEntry:
        """The catalog entry of a dataset (any of its names)."""
        ds = self.store.get_dataset(name)
        a = ds.attrs
        return DatasetEntry(
            name=ds.name,
            id=ds.id,
            owner=ds.owner,
            department=a.get("department"),
            purpose=a.get("purpose"),
            classification=a.get("classification"),
            retention_days=a.get("retention_days"),
            legal_basis=a.get("legal_basis"),
            consent=a.get("consent"),
            status=a.get("status", "pending"),
            schema=a.get("schema", []),
            roles=a.get("roles"),
            epsilon_budget=ds.epsilon_budget,
        )

    def datasets(self) -> list[DatasetEntry]:
        """Every dataset in the store."""
        return [self.dataset(ds.name) for ds in self.store.list_datasets()]

    def approve(self, name: str) -> DatasetEntry:
        """Approve a profiled dataset for releases (its owner or a department steward)."""
        entry = self.dataset(name)
        actor = self.principal
        if actor != entry.owner and self.role_of(actor, entry.department) not in (
            "owner",
            "steward",
        ):
            self.audit.append("denial", dataset=entry.name, details={"action": "approve"})
            raise AccessDeniedError(
                f"{actor!r} may not approve {entry.name!r}: only its owner "
                f"({entry.owner!r}) or a steward of {entry.department!r} can"
            )
        if entry.roles is None:
            raise PrivlabError(
                f"dataset {entry.name!r} has not been profiled: register it with "
                "profile=pv.profile(data) before approving"
            )
        self.store.update_attrs(
            entry.name, status="approved", approved_by=actor, approved_at=self.store.now()
        )
        self.audit.append("approval", dataset=entry.name, details={"status": "approved"})
        return self.dataset(entry.name)

    def check_source(self, name: str, data: Any = None) -> DatasetEntry:
        """In governed mode, refuse a dataset that is unknown, unapproved or changed schema."""

        entry = None
        with contextlib.suppress(KeyError):
            entry = self.dataset(name)
        if data is not None and (entry is None or not entry.schema):
            # a source seen for the first time is registered (pending) before anything else
            entry = self.register_dataset(name, data)
        elif data is not None and entry is not None:
            fp = fingerprint(data)
            drift = _schema_drift(entry.schema, [list(p) for p in fp.schema])
            if drift:
                self.store.update_attrs(entry.name, status="pending")
                entry = self.dataset(entry.name)
                if self.mode == "governed":
                    raise PolicyViolationError(
                        f"dataset {entry.name!r} changed schema ({'; '.join(drift)}); profile it "
                        "again and have it approved before any release"
                    )
        if self.mode != "governed":
            if entry is None:
                raise PrivlabError(f"dataset {name!r} is not in the catalog")
            return entry
        if entry is None:
            raise PolicyViolationError(
                f"dataset {name!r} is not in the catalog; register, profile and approve it first"
            )
        if entry.status != "approved":
            raise PolicyViolationError(
                f"dataset {entry.name!r} is {entry.status}; it must be approved before releases"
            )
        return entry

    # -- releases ------------------------------------------------------------------------

    def evaluate(self, facts: Mapping[str, Any]) -> PolicyResult:
        """Check *facts* against the active policy (installed or baseline)."""
        return evaluate_policy(self.policy, facts)

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

        Resolves the dataset (``facts.dataset`` or the store's dataset with the
        source's content), derives the released columns' roles from the
        dataset's profile and the operations applied, adds the ε spent in the
        policy's window for DP releases, then gates, writes and registers the
        release like :meth:`release`.
        """
        name = facts.dataset or self._dataset_for(facts.source, facts.name_hint)
        policy_facts: dict[str, Any] = {"rows": facts.rows, **dict(facts.privacy)}
        if facts.columns is not None:
            roles = self._catalog_roles(name)
            if roles is not None or all(c.role is not None for c in facts.columns):
                policy_facts["columns"] = {
                    c.name: _released_role(c, roles or {}) for c in facts.columns
                }
        if facts.kind == "dp":
            cap = self.policy.rules.max_epsilon_per_period
            if cap is not None:
                spent = Ledger(self.store).loss_in_last(name, dt.timedelta(days=cap.days))[0]
                policy_facts["epsilon_in_period"] = spent + float(facts.privacy.get("epsilon", 0))
        guard = inspect_release(facts, roles=self._catalog_roles(name))
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
                "on purpose with keep={column: reason}"
            )
        policy_facts["guard"] = guard.to_dict()
        if guard.kept:  # overriding the guard is an owner's or steward's call (audited below)
            self.authorize("override", dataset=name)
        record = self._release(
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
        )
        if guard.kept:
            self.audit.append(
                "override",
                dataset=record.dataset,
                release=record.id,
                details={"guard_keep": dict(guard.kept)},
            )
        if facts.kind == "dp":
            self.audit.append(
                "dp_query",
                dataset=record.dataset,
                release=record.id,
                details={k: facts.privacy.get(k) for k in ("queries", "by", "epsilon", "delta")},
            )
        return record

    def _catalog_roles(self, dataset: str) -> dict[str, str] | None:
        try:
            roles = self.dataset(dataset).roles
        except KeyError:  # not registered yet: the release registers it (unprofiled)
            return None
        return None if roles is None else dict(roles)

    def _dataset_for(self, source: Any, hint: str) -> str:
        """The store's name for *source*'s content, registered on first use."""
        if source is None:
            raise PrivlabError("a release needs a dataset name or its source data")
        fp = fingerprint(source)
        known = self.store.find_by_fingerprint(fp)
        if known is not None:
            return str(known.name)
        return str(self.store.resolve_dataset(f"{hint}-{fp.content_hash[:12]}", fp).name)

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
    ) -> ReleaseRecord:
        if kind not in KINDS:
            raise PrivlabError(f"release kind must be one of {KINDS}, got {kind!r}")
        for role in allowed_roles:
            if role not in ROLES:
                raise PrivlabError(f"allowed role must be one of {ROLES}, got {role!r}")
        entry = self.check_source(dataset, data)
        days = retention_days if retention_days is not None else entry.retention_days
        full_facts = {"retention_days": days, "purpose": entry.purpose, **facts, "kind": kind}
        if "columns" in full_facts and entry.roles and isinstance(full_facts["columns"], list):
            full_facts["columns"] = {c: entry.roles.get(c, "other") for c in full_facts["columns"]}
        result = self.evaluate(full_facts)
        if not result.passed:
            if self.mode == "governed":
                if not override:
                    self.audit.append(
                        "denial",
                        dataset=entry.name,
                        details={"action": "release", "kind": kind, "policy": result.to_dict()},
                    )
                    result.raise_for_violations()
                if self.principal != entry.owner:
                    raise AccessDeniedError(
                        f"only the owner of {entry.name!r} ({entry.owner!r}) may override the "
                        "policy"
                    )
                self.audit.append(
                    "override",
                    dataset=entry.name,
                    details={"kind": kind, "violations": [v.rule for v in result.violations]},
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
            paths = [Path(p) for p in write(Approval(dataset=entry.name, release_id=release_id))]
        except BaseException as exc:
            self.audit.append(
                "release_failed",
                dataset=entry.name,
                details={"kind": kind, "error": type(exc).__name__},
            )
            raise
        files = [{"path": str(p), "sha256": _file_sha256(p), "encrypted": encrypted} for p in paths]
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
        self.audit.append(
            "release",
            dataset=entry.name,
            release=release_id,
            details={
                "kind": kind,
                "recipe_id": recipe_id,
                "files": len(files),
                "policy_passed": result.passed,
                "rows": facts.get("rows"),
            },
        )
        return self.get_release(release_id)

    def get_release(self, release_id: str) -> ReleaseRecord:
        """A registered release by id."""
        rows = self._release_rows("WHERE r.id = ?", (release_id,))
        if not rows:
            raise PrivlabError(f"no release {release_id!r} in the catalog")
        return rows[0]

    def releases(self, dataset: str | None = None) -> list[ReleaseRecord]:
        """Registered releases, newest last."""
        if dataset is None:
            return self._release_rows("", ())
        return self._release_rows("WHERE r.dataset_id = ?", (self.dataset(dataset).id,))

    def _release_rows(self, where: str, args: tuple[Any, ...]) -> list[ReleaseRecord]:
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

    def load_release(
        self, release_id: str, *, key: str | bytes | None = None, key_file: str | None = None
    ) -> Any:
        """Load a release's data after checking the principal's role; audited either way."""
        import polars as pl

        record = self.get_release(release_id)
        entry = self.dataset(record.dataset)
        actor = self.principal
        role = "owner" if actor == entry.owner else self.role_of(actor, entry.department)
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
        if _file_sha256(path) != file["sha256"]:
            raise PrivlabError(f"the file of release {release_id} changed since it was released")
        self.audit.append("access", dataset=entry.name, release=release_id, details={"role": role})
        if file.get("encrypted"):
            return read_encrypted(path, key=key, key_file=key_file)
        return read(path).collect() if path.suffix != ".json" else pl.read_json(path)

    # -- retention -------------------------------------------------------------------------

    def sweep(self, *, dry_run: bool = False) -> list[ReleaseRecord]:
        """Delete the files of expired releases and mark them purged (audited)."""
        now = _iso(self.store.clock())
        expired = [
            r
            for r in self.releases()
            if r.status == "active" and r.expires_at is not None and r.expires_at <= now
        ]
        if dry_run:
            return expired
        for record in expired:
            for file in record.files:
                Path(file["path"]).unlink(missing_ok=True)
            with self.store.transaction() as conn:
                conn.execute(
                    "UPDATE catalog_releases SET status = 'purged' WHERE id = ?", (record.id,)
                )
            self.audit.append(
                "purge",
                dataset=record.dataset,
                release=record.id,
                details={"files": len(record.files), "expired_at": record.expires_at},
            )
        return expired


ROLES_OF = ("direct_identifier", "quasi_identifier", "sensitive", "other")
_MASKING_OPS = frozenset({"mask", "redact_text", "generalize", "suppress"})


def _released_role(column: ColumnFacts, roles: Mapping[str, str]) -> str:
    """A released column's role: the producer's, else its source's profiled role after ops.

    A direct identifier that was pseudonymized reports ``pseudonymized``; one
    masked, redacted, generalized or blanked reports ``masked``.
    """
    if column.role is not None:
        return column.role
    role = roles.get(column.source or column.name, "other")
    if role == "direct_identifier" and "pseudonymize" in column.ops:
        return "pseudonymized"
    if role == "direct_identifier" and _MASKING_OPS & set(column.ops):
        return "masked"
    return role


def _schema_drift(old: Sequence[Sequence[str]], new: Sequence[Sequence[str]]) -> list[str]:
    """New or retyped columns (removed columns need no re-approval)."""
    before = {name: dtype for name, dtype in old}
    changes = []
    for name, dtype in new:
        if name not in before:
            changes.append(f"new column {name!r} ({dtype})")
        elif before[name] != dtype:
            changes.append(f"column {name!r} changed type {before[name]} → {dtype}")
    return changes
