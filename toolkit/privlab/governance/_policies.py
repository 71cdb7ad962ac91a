"""The installed policy: which one is active, and so which mode governance is in.

A policy installed with :meth:`Policies.install` switches the store to
*governed* mode; without one (*personal* mode) every release is checked
against the built-in :data:`~privlab.governance.BASELINE` and violations warn.
Policies live in the ``policies`` table (component ``catalog``): id (sha256 of
the canonical policy), name, the policy as JSON, when it was installed, and
whether it is the active one (at most one is).

Examples
--------
>>> from privlab.governance import AuditLog, Policy
>>> from privlab.governance._policies import Policies
>>> from privlab.store import open_store
>>> store = open_store()
>>> policies = Policies(store, AuditLog(store))
>>> policies.mode
'personal'
>>> _ = policies.install(Policy.from_dict({"name": "p", "rules": {"min_k": 5}}))
>>> policies.mode, policies.policy.rules.min_k
('governed', 5)
"""

from __future__ import annotations

import json
from pathlib import Path

from privlab.governance import _schema
from privlab.governance._audit import AuditLog
from privlab.governance._policy import BASELINE, Policy
from privlab.store import Store

__all__ = ["Policies"]


class Policies:
    """The active policy of a store and the mode it puts governance in.

    Parameters
    ----------
    store:
        The privlab store.
    audit:
        The audit log installs and uninstalls are recorded in.
    """

    def __init__(self, store: Store, audit: AuditLog) -> None:
        self.store = store
        self.audit = audit
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

    def uninstall(self) -> None:
        """Back to personal mode (audited)."""
        with self.store.transaction() as conn:
            conn.execute("UPDATE policies SET active = 0")
        self.audit.append("policy", details={"installed": None})
