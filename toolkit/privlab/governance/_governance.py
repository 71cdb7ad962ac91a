"""``Governance``: one object over the catalog, access, policies, releases and retention.

A thin façade: each job lives in its own module and object —

=============  ===========================  ===========================================
attribute      class                        job
=============  ===========================  ===========================================
``policies``   :class:`._policies.Policies` the installed policy and the mode
``access``     :class:`._access.Access`     roles, grants, authorization
``catalog``    :class:`._catalog.Catalog`   datasets, profiling, approval
``gate``       :class:`._releases.Releases` the release gate, registered releases
``retention``  :class:`._retention.Retention` the retention sweep
=============  ===========================  ===========================================

and :class:`Governance` forwards its public methods to them, so callers keep
one entry point (``Governance().submit(...)`` is the release gate producers
reach through :func:`privlab.release.submit`).

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

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from privlab.governance._access import Access, principal
from privlab.governance._audit import AuditLog
from privlab.governance._catalog import Catalog, DatasetEntry
from privlab.governance._policies import Policies
from privlab.governance._policy import Policy, PolicyResult
from privlab.governance._releases import ReleaseRecord, Releases
from privlab.governance._retention import Retention, SweepResult
from privlab.release import DEFAULT_ALLOWED, Approval, ReleaseFacts
from privlab.store import Store, open_store

__all__ = ["Governance"]


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
        self.audit = audit if audit is not None else AuditLog(store)
        self.access = Access(store, self.audit)
        self.policies = Policies(store, self.audit, self.access)
        self.catalog = Catalog(store, self.audit, self.access, self.policies)
        self.gate = Releases(store, self.audit, self.access, self.policies, self.catalog)
        self.retention = Retention(store, self.audit, self.gate)

    # -- who, mode, policy ---------------------------------------------------------------

    @property
    def principal(self) -> str:
        """Who is acting: ``PRIVLAB_USER`` or the ``user`` config value."""
        return principal()

    @property
    def mode(self) -> str:
        """``"governed"`` when a policy is installed, else ``"personal"``."""
        return self.policies.mode

    @property
    def policy(self) -> Policy:
        """The installed policy, or the built-in baseline in personal mode."""
        return self.policies.policy

    def install_policy(self, policy: Policy | str | Path) -> Policy:
        """Install *policy* (object, YAML path or text): switches to governed mode."""
        return self.policies.install(policy)

    def uninstall_policy(self) -> None:
        """Back to personal mode (audited)."""
        self.policies.uninstall()

    # -- access ----------------------------------------------------------------------------

    def role_of(self, principal: str, department: str | None) -> str | None:
        """The role of *principal* in *department* (None when none was granted)."""
        return self.access.role_of(principal, department)

    def grant(self, principal: str, role: str, department: str | None = None) -> None:
        """Give *principal* a *role* in *department*, or ``admin`` (see :meth:`Access.grant`)."""
        self.access.grant(principal, role, department)

    def revoke(self, principal: str, role: str, department: str | None = None) -> None:
        """Take a role away (the last admin stays; see :meth:`Access.revoke`)."""
        self.access.revoke(principal, role, department)

    def authorize(
        self, action: str, *, dataset: str | None = None, department: str | None = None
    ) -> None:
        """Raise :class:`~privlab.exceptions.AccessDeniedError` (audited) unless allowed.

        Whether the principal may do *action* follows the roles table of
        :mod:`privlab.governance._access` (see :meth:`Access.authorize`).
        """
        self.access.authorize(action, dataset=dataset, department=department)

    # -- catalog ---------------------------------------------------------------------------

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
        roles and counts as the profiling step of onboarding (see
        :meth:`Catalog.register_dataset`).
        """
        return self.catalog.register_dataset(
            name,
            data,
            owner=owner,
            department=department,
            purpose=purpose,
            classification=classification,
            retention_days=retention_days,
            legal_basis=legal_basis,
            consent=consent,
            profile=profile,
        )

    def dataset(self, name: str) -> DatasetEntry:
        """The catalog entry of a dataset (any of its names)."""
        return self.catalog.dataset(name)

    def datasets(self) -> list[DatasetEntry]:
        """Every dataset in the store."""
        return self.catalog.datasets()

    def approve(self, name: str) -> DatasetEntry:
        """Approve a profiled dataset for releases (its owner or a department steward)."""
        return self.catalog.approve(name)

    def check_source(self, name: str, data: Any = None) -> DatasetEntry:
        """In governed mode, refuse a dataset that is unknown, unapproved or changed schema."""
        return self.catalog.check_source(name, data)

    # -- releases --------------------------------------------------------------------------

    def evaluate(self, facts: Mapping[str, Any]) -> PolicyResult:
        """Check *facts* against the active policy (installed or baseline)."""
        return self.gate.evaluate(facts)

    def submit(
        self, facts: ReleaseFacts, write: Callable[[Approval], Sequence[str | Path]]
    ) -> ReleaseRecord:
        """The release gate (:class:`privlab.release.Gate`); see :meth:`Releases.submit`."""
        return self.gate.submit(facts, write)

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
        """Gate, write and register one release of plain *facts* (see :meth:`Releases.release`)."""
        return self.gate.release(
            kind,
            dataset,
            facts,
            write=write,
            manifest=manifest,
            recipe_id=recipe_id,
            allowed_roles=allowed_roles,
            retention_days=retention_days,
            encrypted=encrypted,
            override=override,
            data=data,
        )

    def get_release(self, release_id: str) -> ReleaseRecord:
        """A registered release by id."""
        return self.gate.get(release_id)

    def releases(self, dataset: str | None = None) -> list[ReleaseRecord]:
        """Registered releases, newest last."""
        return self.gate.records(dataset)

    def load_release(
        self, release_id: str, *, key: str | bytes | None = None, key_file: str | None = None
    ) -> Any:
        """Load a release's data after checking the principal's role; audited either way."""
        return self.gate.load(release_id, key=key, key_file=key_file)

    # -- retention -------------------------------------------------------------------------

    def sweep(self, *, dry_run: bool = False) -> list[ReleaseRecord]:
        """Delete the files of expired releases and mark them purged (audited)."""
        return self.retention.sweep(dry_run=dry_run)

    def sweep_report(self) -> list[SweepResult]:
        """Sweep, saying file by file what was deleted and what was kept (and why)."""
        return self.retention.sweep_report()
