"""The catalog: datasets with their metadata, profiling and approval.

Datasets are the store's datasets (:mod:`privlab.store`); the catalog keeps its
metadata in each dataset's ``attrs`` (department, purpose, classification,
retention, legal basis, consent, schema, column roles, approval status).

In *governed* mode (a policy installed) a dataset must be registered,
profiled and approved before any release, and a changed schema sends it back
to ``pending``.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from privlab.exceptions import PolicyViolationError, PrivlabError
from privlab.governance._access import Access, principal
from privlab.governance._audit import AuditLog
from privlab.governance._policies import Policies
from privlab.io import fingerprint
from privlab.store import Store, append_audit

__all__ = ["ROLES_OF", "Catalog", "DatasetEntry", "schema_drift"]

#: Column roles a profile assigns (counted in the ``profile`` audit event).
ROLES_OF = ("direct_identifier", "quasi_identifier", "sensitive", "other")


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
        """The entry as a plain dict (for JSON output)."""
        return dict(self.__dict__)


class Catalog:
    """Datasets: registration, profiling, approval and the source check of a release.

    Parameters
    ----------
    store, audit, access, policies:
        The store, the audit log, access control and the installed policy.
    """

    def __init__(self, store: Store, audit: AuditLog, access: Access, policies: Policies) -> None:
        self.store = store
        self.audit = audit
        self.access = access
        self.policies = policies

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
        roles and counts as the profiling step of onboarding. Needs the role
        ``analyst`` in the dataset's department in governed mode; the dataset,
        its metadata and the ``register`` / ``profile`` audit records commit together.
        """
        fp = fingerprint(data)
        self.access.authorize("register", dataset=name, department=department)
        roles = _roles_from_profile(profile)
        if roles is not None:
            self.access.authorize("profile", dataset=name, department=department)
        with self.store.transaction() as conn:
            ds = self.store.resolve_dataset(name, fp, owner=owner or principal())
            attrs = dict(ds.attrs)
            schema = [list(pair) for pair in fp.schema]
            old = attrs.get("schema")
            drift = schema_drift(old, schema) if old is not None else []
            status = attrs.get("status", "pending")
            if old is None or drift:
                status = "pending"
            update: dict[str, Any] = {
                "schema": schema,
                "schema_hash": fp.schema_hash,
                "status": status,
            }
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
            append_audit(
                conn,
                "register",
                dataset=ds.name,
                details={
                    "schema_hash": fp.schema_hash,
                    "rows": fp.rows,
                    "status": status,
                    "schema_changes": drift,
                    **{k: update[k] for k in ("department", "purpose") if k in update},
                },
            )
            if roles is not None:
                counts = {r: sum(1 for v in roles.values() if v == r) for r in ROLES_OF}
                append_audit(conn, "profile", dataset=ds.name, details={"roles": counts})
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
        """Approve a profiled dataset for releases (its owner, or a steward in governed mode)."""
        entry = self.dataset(name)
        self.access.authorize("approve", dataset=entry.name)
        if entry.roles is None:
            raise PrivlabError(
                f"dataset {entry.name!r} has not been profiled: register it with "
                "profile=pv.profile(data) before approving"
            )
        with self.store.transaction() as conn:
            self.store.update_attrs(
                entry.name, status="approved", approved_by=principal(), approved_at=self.store.now()
            )
            append_audit(conn, "approval", dataset=entry.name, details={"status": "approved"})
        return self.dataset(entry.name)

    def check_source(self, name: str, data: Any = None) -> DatasetEntry:
        """In governed mode, refuse a dataset that is unknown, unapproved or changed schema."""
        entry = None
        with contextlib.suppress(KeyError):
            entry = self.dataset(name)
        governed = self.policies.mode == "governed"
        if data is not None and (entry is None or not entry.schema):
            # a source seen for the first time is registered (pending) before anything else
            entry = self.register_dataset(name, data)
        elif data is not None and entry is not None:
            fp = fingerprint(data)
            drift = schema_drift(entry.schema, [list(p) for p in fp.schema])
            if drift:
                with self.store.transaction() as conn:
                    self.store.update_attrs(entry.name, status="pending")
                    append_audit(
                        conn,
                        "approval",
                        dataset=entry.name,
                        details={"status": "pending", "schema_changes": drift},
                    )
                entry = self.dataset(entry.name)
                if governed:
                    raise PolicyViolationError(
                        f"dataset {entry.name!r} changed schema ({'; '.join(drift)}); profile it "
                        "again and have it approved before any release"
                    )
        if not governed:
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

    def roles(self, name: str) -> dict[str, str] | None:
        """The profiled column roles of dataset *name* (``None``: unknown or not profiled)."""
        try:
            roles = self.dataset(name).roles
        except KeyError:  # not registered yet: the release registers it (unprofiled)
            return None
        return None if roles is None else dict(roles)


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


def schema_drift(old: Sequence[Sequence[str]], new: Sequence[Sequence[str]]) -> list[str]:
    """New or retyped columns (removed columns need no re-approval).

    Examples
    --------
    >>> schema_drift([["age", "Int64"]], [["age", "Float64"], ["zip", "String"]])
    ["column 'age' changed type Int64 → Float64", "new column 'zip' (String)"]
    """
    before = {name: dtype for name, dtype in old}
    changes = []
    for name, dtype in new:
        if name not in before:
            changes.append(f"new column {name!r} ({dtype})")
        elif before[name] != dtype:
            changes.append(f"column {name!r} changed type {before[name]} → {dtype}")
    return changes
