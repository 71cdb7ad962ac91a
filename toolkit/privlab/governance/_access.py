"""Access: roles per department, grants, and the authorization of every gated action.

Roles are ordered viewer < analyst < steward < owner; a role may do what the
roles below it may (``../shared/CONTRACTS.md``, "Roles"). They live in the
``access_roles`` table (component ``catalog``): principal, department, role.

Access control is a guardrail inside one trust domain — it keeps honest users
on the paved road and records what they did. It is not a security boundary
against someone who can read or write the files or the SQLite store directly.

Examples
--------
>>> from privlab.governance import AuditLog
>>> from privlab.governance._access import Access
>>> from privlab.governance._policies import Policies
>>> from privlab.store import open_store
>>> store = open_store()
>>> audit = AuditLog(store)
>>> access = Access(store, audit, Policies(store, audit))
>>> access.grant("ana", "analyst", "clinic")
>>> access.role_of("ana", "clinic")
'analyst'
"""

from __future__ import annotations

from privlab._config import get_config
from privlab.exceptions import AccessDeniedError, DatasetNotFoundError, PrivlabError
from privlab.governance import _schema
from privlab.governance._audit import AuditLog
from privlab.governance._policies import Policies
from privlab.store import Dataset, Store

__all__ = ["ROLES", "Access", "principal"]

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


def principal() -> str:
    """Who is acting: ``PRIVLAB_USER`` or the ``user`` config value."""
    return str(get_config()["user"])


class Access:
    """Roles, grants and authorization over the privlab store.

    Parameters
    ----------
    store:
        The privlab store.
    audit:
        The audit log grants and denials are recorded in.
    policies:
        The installed policy (its presence decides the mode).
    """

    def __init__(self, store: Store, audit: AuditLog, policies: Policies) -> None:
        self.store = store
        self.audit = audit
        self.policies = policies
        _schema.ensure(store)

    def role_of(self, principal: str, department: str | None) -> str | None:
        """The role of *principal* in *department* (None when none was granted)."""
        with self.store.read() as conn:
            row = conn.execute(
                "SELECT role FROM access_roles WHERE principal = ? AND department = ?",
                (principal, department or ""),
            ).fetchone()
        return None if row is None else str(row[0])

    def grant(self, grantee: str, role: str, department: str) -> None:
        """Give *grantee* a *role* in *department* (owners and stewards only, after bootstrap).

        The first grant in a department bootstraps it; afterwards only an owner or
        steward of the department (or the owner of one of its datasets) may grant.
        """
        if role not in ROLES:
            raise PrivlabError(f"role must be one of {ROLES}, got {role!r}")
        actor = principal()
        with self.store.read() as conn:
            existing = conn.execute(
                "SELECT count(*) FROM access_roles WHERE department = ?", (department,)
            ).fetchone()[0]
        if existing and not self.can_administer(actor, department):
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
                (grantee, department, role),
            )
        self.audit.append(
            "grant", details={"grantee": grantee, "department": department, "role": role}
        )

    def authorize(self, action: str, *, dataset: str | None = None) -> None:
        """Raise :class:`AccessDeniedError` (audited) unless the principal may do *action*.

        The release gate's stage 1 (:class:`privlab.release.Gate`). Personal mode
        allows everything; governed mode requires the role that
        ``../shared/CONTRACTS.md`` lists for *action* in the dataset's
        department (its owner may do everything on it).
        """
        if self.policies.mode != "governed":
            return
        needed = _ACTION_ROLE.get(action)
        if needed is None:
            raise PrivlabError(f"unknown action {action!r}; actions are {sorted(_ACTION_ROLE)}")
        actor = principal()
        ds = _find(self.store, dataset)
        department = _department(ds)
        if ds is not None and actor == ds.owner:
            return
        role = self.role_of(actor, department)
        if role is not None and ROLES.index(role) <= ROLES.index(needed):
            return
        self.audit.append("denial", dataset=ds.name if ds else dataset, details={"action": action})
        raise AccessDeniedError(
            f"{actor!r} may not {action.replace('_', ' ')}"
            + (f" on {dataset!r}" if dataset else "")
            + f": it needs the role {needed!r} or higher"
            + (f" in department {department!r}" if ds is not None else "")
        )

    def can_administer(self, actor: str, department: str | None) -> bool:
        """Whether *actor* is an owner or steward of *department*, or owns one of its datasets."""
        if self.role_of(actor, department) in ("owner", "steward"):
            return True
        return any(
            ds.owner == actor and _department(ds) == department for ds in self.store.list_datasets()
        )


def _find(store: Store, name: str | None) -> Dataset | None:
    if name is None:
        return None
    try:
        return store.get_dataset(name)
    except DatasetNotFoundError:
        return None


def _department(ds: Dataset | None) -> str | None:
    return None if ds is None else ds.attrs.get("department")
