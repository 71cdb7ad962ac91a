"""The installed policy: which one is active, and so which mode governance is in.

A policy installed with :meth:`Policies.install` switches the store to
*governed* mode; without one (*personal* mode) every release is checked
against the built-in :data:`~privlab.governance.BASELINE` and violations warn.
Policies live in the ``policies`` table (component ``catalog``): id (sha256 of
the canonical policy), name, the policy as JSON, when it was installed, and
whether it is the active one (at most one is).

Examples
--------
>>> from privlab.governance import Governance, Policy
>>> gov = Governance()
>>> gov.policies.mode
'personal'
>>> _ = gov.policies.install(Policy.from_dict({"name": "p", "rules": {"min_k": 5}}))
>>> gov.policies.mode, gov.policies.policy.rules.min_k, gov.access.admins() == [gov.principal]
('governed', 5, True)

The first install makes its installer the store's admin; from then on only an
admin may install or uninstall a policy (``../shared/CONTRACTS.md``, "Roles").
"""

from __future__ import annotations

import json
from pathlib import Path

from privlab.governance import _schema
from privlab.governance._access import Access
from privlab.governance._audit import AuditLog
from privlab.governance._policy import BASELINE, Policy
from privlab.store import Store, append_audit

__all__ = ["Policies"]


class Policies:
    """The active policy of a store and the mode it puts governance in.

    Parameters
    ----------
    store:
        The privlab store.
    audit:
        The audit log installs and uninstalls are recorded in.
    access:
        Who may install or uninstall.
    """

    def __init__(self, store: Store, audit: AuditLog, access: Access) -> None:
        self.store = store
        self.audit = audit
        self.access = access
        _schema.ensure(store)

    def installed(self) -> Policy | None:
        """The installed policy, or ``None`` in personal mode."""
        with self.store.read() as conn:
            row = conn.execute("SELECT text FROM policies WHERE active = 1").fetchone()
        return None if row is None else Policy.from_dict(json.loads(row[0]))

    @property
    def mode(self) -> str:
        """``"governed"`` when a policy is installed, else ``"personal"``."""
        return "governed" if self.installed() is not None else "personal"

    @property
    def policy(self) -> Policy:
        """The installed policy, or the built-in baseline in personal mode."""
        return self.installed() or BASELINE

    def install(self, policy: Policy | str | Path) -> Policy:
        """Install *policy* (object, YAML path or text): switches to governed mode.

        Needs an admin once a policy is installed; the first installer becomes
        admin. The change, the admin grant and their audit records commit together.
        """
        if not isinstance(policy, Policy):
            policy = Policy.from_yaml(policy)
        self.access.authorize("install_policy")
        with self.store.transaction() as conn:
            conn.execute("UPDATE policies SET active = 0")
            conn.execute(
                "INSERT INTO policies (id, name, text, installed_at, active) VALUES (?, ?, ?, ?, 1)"
                " ON CONFLICT(id) DO UPDATE SET active = 1, installed_at = excluded.installed_at",
                (policy.id, policy.name, json.dumps(policy.to_dict()), self.store.now()),
            )
            self.access.bootstrap_admin(conn)
            append_audit(conn, "policy", details={"installed": policy.name, "policy_id": policy.id})
        return policy

    def uninstall(self) -> None:
        """Back to personal mode (an admin only, in governed mode; audited)."""
        self.access.authorize("uninstall_policy")
        with self.store.transaction() as conn:
            conn.execute("UPDATE policies SET active = 0")
            append_audit(conn, "policy", details={"installed": None, "policy_id": None})
