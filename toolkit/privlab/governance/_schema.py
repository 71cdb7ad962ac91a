"""The catalog component's tables in the privlab store (one migration list for the package).

``catalog_releases`` (see :mod:`privlab.governance._releases`), ``access_roles``
(:mod:`privlab.governance._access`) and ``policies``
(:mod:`privlab.governance._policies`) belong to one store component,
``catalog``, so their migrations stay one ordered list.
"""

from __future__ import annotations

from typing import Any

from privlab.store import Migration, Store, append_audit

__all__ = ["COMPONENT", "MIGRATIONS", "ensure"]

COMPONENT = "catalog"
MIGRATIONS: list[Migration] = [
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
    # 2: what a pre-audit catalog already held, so verify can recompute it from the log
    # (a governed 0.1 store makes the last policy installer its admin)
    lambda conn: _snapshot(conn),
]


def _snapshot(conn: Any) -> None:
    active = conn.execute("SELECT id FROM policies WHERE active = 1").fetchone()
    if active is not None:  # 0.1 had no admin role: whoever installed the policy gets it
        installer = conn.execute(
            "SELECT principal FROM audit_log WHERE event = 'policy' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if installer is not None:
            conn.execute(
                "INSERT OR IGNORE INTO access_roles (principal, department, role) "
                "VALUES (?, '*', 'admin')",
                (installer[0],),
            )
    roles = [list(r) for r in conn.execute("SELECT principal, department, role FROM access_roles")]
    releases = {str(i): str(s) for i, s in conn.execute("SELECT id, status FROM catalog_releases")}
    if roles or active is not None or releases:
        append_audit(
            conn,
            "snapshot",
            details={
                "roles": roles,
                "policy": None if active is None else str(active[0]),
                "releases": releases,
                "reason": "catalog schema 2",
            },
            principal="privlab",
        )


def ensure(store: Store) -> None:
    """Bring the catalog component's tables up to date in *store*."""
    store.ensure_schema(COMPONENT, MIGRATIONS)
