"""Access: roles, grants, and the check every gated operation makes first.

Roles are per department, ordered viewer < analyst < steward < owner; a role
may do what the roles below it may. ``admin`` is store-wide and implies owner
everywhere: it is held first by whoever installs the first policy, granted on
(``privlab access grant USER admin``), and the last admin cannot be revoked.
The *owner of a dataset* is the principal who registered it, or a holder of
its department's owner role (or an admin). The table (``../shared/CONTRACTS.md``,
"Roles"):

==============================================  ===================  ==========================
action                                          personal mode        governed mode
==============================================  ===================  ==========================
register, profile                               anyone               analyst
release (anonymize, synthesize, report)         anyone               analyst
spend ε                                         anyone               analyst
set or raise a budget, declare independence,    anyone (audited)     owner or steward (audited)
override the guard
approve a dataset                               owner                owner or steward
install/uninstall a policy, grant/revoke roles  anyone               admin (a steward: grants
                                                                     in their department)
==============================================  ===================  ==========================

Every denied attempt is an audit record; the CLI exits with status 3.

Roles live in ``access_roles`` (component ``catalog``): principal, department
(``*`` for admin), role. Access control is a guardrail inside one trust domain
— it keeps honest users on the paved road and records what they did. It is not
a security boundary against someone who can read or write the files or the
SQLite store directly (the audit log's verify catches such edits; it cannot
prevent them).

Examples
--------
>>> from privlab.governance import Governance
>>> gov = Governance()
>>> gov.grant("ana", "analyst", "clinic")
>>> gov.role_of("ana", "clinic"), gov.mode
('analyst', 'personal')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from privlab._config import get_config
from privlab.exceptions import AccessDeniedError, DatasetNotFoundError, PrivlabError
from privlab.governance import _schema
from privlab.governance._audit import AuditLog
from privlab.store import Dataset, Store, append_audit

__all__ = ["ACTIONS", "ADMIN", "ROLES", "Access", "Grant", "principal"]

#: Department roles, highest first.
ROLES = ("owner", "steward", "analyst", "viewer")
#: The store-wide role: owner of everything, the only one who may change policies.
ADMIN = "admin"
_ADMIN_DEPARTMENT = "*"

#: action -> (least role in governed mode, who may in personal mode). "owner" means
#: the dataset's owner; "admin" the store-wide role.
ACTIONS: dict[str, tuple[str, str]] = {
    "register": ("analyst", "anyone"),
    "profile": ("analyst", "anyone"),
    "release": ("analyst", "anyone"),
    "spend": ("analyst", "anyone"),
    "set_budget": ("steward", "anyone"),
    "declare_independence": ("steward", "anyone"),
    "override": ("steward", "anyone"),
    "approve": ("steward", "owner"),
    "install_policy": (ADMIN, "anyone"),
    "uninstall_policy": (ADMIN, "anyone"),
    "grant": (ADMIN, "anyone"),
    "revoke": (ADMIN, "anyone"),
    "rotate_key": (ADMIN, "anyone"),
}


def principal() -> str:
    """Who is acting: ``PRIVLAB_USER`` or the ``user`` config value."""
    return str(get_config()["user"])


@dataclass(frozen=True)
class Grant:
    """One role held by one principal (``department`` is ``None`` for admin)."""

    principal: str
    role: str
    department: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready grant."""
        return {"principal": self.principal, "role": self.role, "department": self.department}


def _rank(role: str | None) -> int:
    """Higher is stronger; ``None`` (no role) is -1."""
    if role == ADMIN:
        return len(ROLES)
    return -1 if role is None else len(ROLES) - 1 - ROLES.index(role)


def _governed(conn: Any) -> bool:
    return bool(conn.execute("SELECT count(*) FROM policies WHERE active = 1").fetchone()[0])


class Access:
    """Roles, grants and authorization over the privlab store.

    Parameters
    ----------
    store:
        The privlab store.
    audit:
        The audit log denials are recorded in.
    """

    def __init__(self, store: Store, audit: AuditLog) -> None:
        self.store = store
        self.audit = audit
        _schema.ensure(store)

    # -- reading ---------------------------------------------------------------------------

    def role_of(self, who: str, department: str | None) -> str | None:
        """The role of *who* in *department* (``"admin"`` for an admin; None: no role)."""
        with self.store.read() as conn:
            return _role_in(conn, who, department)

    def grants(self) -> list[Grant]:
        """Every role held, admins first.

        Examples
        --------
        >>> from privlab.governance import Governance
        >>> gov = Governance()
        >>> gov.grant("ana", "analyst", "clinic")
        >>> [g.to_dict() for g in gov.access.grants()]
        [{'principal': 'ana', 'role': 'analyst', 'department': 'clinic'}]
        """
        with self.store.read() as conn:
            rows = conn.execute(
                "SELECT principal, department, role FROM access_roles "
                "ORDER BY department != '*', department, principal"
            ).fetchall()
        return [Grant(p, r, None if d == _ADMIN_DEPARTMENT else d) for p, d, r in rows]

    def admins(self) -> list[str]:
        """Principals holding the store-wide admin role."""
        return [g.principal for g in self.grants() if g.role == ADMIN]

    def is_owner(self, who: str, ds: Dataset) -> bool:
        """Whether *who* owns dataset *ds*.

        The owner registered it, holds its department's owner role, or is an admin.
        """
        if who == ds.owner:
            return True
        return _rank(self.role_of(who, ds.attrs.get("department"))) >= _rank("owner")

    # -- the check -------------------------------------------------------------------------

    def authorize(
        self, action: str, *, dataset: str | None = None, department: str | None = None
    ) -> None:
        """Raise :class:`AccessDeniedError` (audited) unless the principal may do *action*.

        *action* is checked on *dataset*, or in *department* for a dataset not
        registered yet; a denial is audited before it is raised.

        The release gate's stage 1 (:class:`privlab.release.Gate`); the producers
        below governance call it through the gate (``"spend"``, ``"set_budget"``,
        ``"declare_independence"``).

        Raises
        ------
        AccessDeniedError
            With the role needed and how to get it.
        PrivlabError
            *action* is not one of :data:`ACTIONS`.
        """
        if action not in ACTIONS:
            raise PrivlabError(f"unknown action {action!r}; actions are {sorted(ACTIONS)}")
        needed, personal = ACTIONS[action]
        who = principal()
        ds = _find(self.store, dataset)
        dept = ds.attrs.get("department") if ds is not None else department
        with self.store.read() as conn:
            governed = _governed(conn)
            # no dataset and no department (a file not in the catalog): a role in any
            # department counts
            role = _role_in(conn, who, dept) if ds or dept else _best_role(conn, who)
        owner = ds is not None and (who == ds.owner or _rank(role) >= _rank("owner"))
        if not governed:
            if personal == "anyone" or owner or _rank(role) >= _rank("owner"):
                return
            self._deny(
                action,
                who,
                dataset,
                f"only the dataset's owner ({ds.owner if ds else '?'!s}) or a department owner",
            )
        if needed == ADMIN:
            if role == ADMIN:
                return
            self._deny(action, who, dataset, "an admin (privlab access grant USER admin)")
        if owner or _rank(role) >= _rank(needed):
            return
        where = f" in department {dept!r}" if dept else ""
        self._deny(
            action,
            who,
            dataset,
            f"the role {needed!r} or higher{where} (ask an admin or steward: privlab access "
            f"grant {who} {needed} --department {dept or 'DEPT'})",
        )

    def _deny(self, action: str, who: str, dataset: str | None, needs: str) -> None:
        self.audit.append("denial", dataset=dataset, details={"action": action})
        raise AccessDeniedError(
            f"{who!r} may not {action.replace('_', ' ')}"
            + (f" on {dataset!r}" if dataset else "")
            + f": it needs {needs}; the attempt was recorded in the audit log"
        )

    # -- changing roles --------------------------------------------------------------------

    def _may_change_roles(self, action: str, role: str, department: str | None) -> str:
        """Check that the principal may grant or revoke *role*; the department it is in.

        In governed mode only an admin, or an owner or steward of *department* for a
        role up to their own (never admin); a denial is audited and raised.
        """
        department = self._check_role(role, department)
        who = principal()
        with self.store.read() as conn:
            governed = _governed(conn)
            mine = _role_in(conn, who, department)
        if governed and mine != ADMIN:
            local = role != ADMIN and _rank(mine) >= max(_rank("steward"), _rank(role))
            if not local:
                verb = "granting" if action == "grant" else "revoking"
                self._deny(
                    action,
                    who,
                    None,
                    f"an admin, or a steward of the department {verb} up to their own role",
                )
        return department

    def grant(self, grantee: str, role: str, department: str | None = None) -> None:
        """Give *grantee* a *role* in *department*, or the store-wide ``admin`` role.

        In governed mode only an admin may grant, or an owner or steward of
        *department* a role up to their own (never admin). The grant and its
        audit record commit together.
        """
        department = self._may_change_roles("grant", role, department)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO access_roles (principal, department, role) VALUES (?, ?, ?) "
                "ON CONFLICT(principal, department) DO UPDATE SET role = excluded.role",
                (grantee, department, role),
            )
            append_audit(
                conn,
                "grant",
                details={"grantee": grantee, "department": department, "role": role},
            )

    def revoke(self, grantee: str, role: str, department: str | None = None) -> None:
        """Take *role* in *department* (or admin) away from *grantee*; the last admin stays."""
        department = self._may_change_roles("revoke", role, department)
        with self.store.transaction() as conn:
            held = conn.execute(
                "SELECT role FROM access_roles WHERE principal = ? AND department = ?",
                (grantee, department),
            ).fetchone()
            if held is None or held[0] != role:
                raise PrivlabError(
                    f"{grantee!r} does not hold the role {role!r}"
                    + ("" if role == ADMIN else f" in department {department!r}")
                    + "; see `privlab access list`"
                )
            if role == ADMIN:
                admins = conn.execute(
                    "SELECT count(*) FROM access_roles WHERE department = ?", (_ADMIN_DEPARTMENT,)
                ).fetchone()[0]
                if admins <= 1:
                    raise AccessDeniedError(
                        f"{grantee!r} is the last admin and cannot be revoked; grant admin to "
                        "someone else first (privlab access grant USER admin)"
                    )
            conn.execute(
                "DELETE FROM access_roles WHERE principal = ? AND department = ?",
                (grantee, department),
            )
            append_audit(
                conn,
                "revoke",
                details={"grantee": grantee, "department": department, "role": role},
            )

    def bootstrap_admin(self, conn: Any) -> None:
        """Inside a policy install: the installer becomes admin when the store has none."""
        if conn.execute(
            "SELECT count(*) FROM access_roles WHERE department = ?", (_ADMIN_DEPARTMENT,)
        ).fetchone()[0]:
            return
        who = principal()
        conn.execute(
            "INSERT INTO access_roles (principal, department, role) VALUES (?, ?, ?) "
            "ON CONFLICT(principal, department) DO UPDATE SET role = excluded.role",
            (who, _ADMIN_DEPARTMENT, ADMIN),
        )
        append_audit(
            conn,
            "grant",
            details={
                "grantee": who,
                "department": _ADMIN_DEPARTMENT,
                "role": ADMIN,
                "reason": "installed the first policy",
            },
        )

    @staticmethod
    def _check_role(role: str, department: str | None) -> str:
        if role == ADMIN:
            return _ADMIN_DEPARTMENT
        if role not in ROLES:
            raise PrivlabError(f"role must be one of {[*ROLES, ADMIN]}, got {role!r}")
        if not department or department == _ADMIN_DEPARTMENT:
            raise PrivlabError(f"the role {role!r} is held in a department: give --department DEPT")
        return department


def _role_in(conn: Any, who: str, department: str | None) -> str | None:
    """The stronger of *who*'s admin role and their role in *department*."""
    rows = conn.execute(
        "SELECT role FROM access_roles WHERE principal = ? AND department IN (?, ?)",
        (who, department or "", _ADMIN_DEPARTMENT),
    ).fetchall()
    roles = [str(r[0]) for r in rows]
    return max(roles, key=_rank) if roles else None


def _best_role(conn: Any, who: str) -> str | None:
    """*who*'s strongest role in any department (or admin)."""
    rows = conn.execute("SELECT role FROM access_roles WHERE principal = ?", (who,)).fetchall()
    roles = [str(r[0]) for r in rows]
    return max(roles, key=_rank) if roles else None


def _find(store: Store, name: str | None) -> Dataset | None:
    if name is None:
        return None
    try:
        return store.get_dataset(name)
    except DatasetNotFoundError:
        return None
