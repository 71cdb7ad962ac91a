"""Retention: delete the files of expired releases and mark them purged.

Examples
--------
>>> from privlab.governance import Governance
>>> Governance().sweep(dry_run=True)
[]
"""

from __future__ import annotations

from pathlib import Path

from privlab._time import iso as _iso
from privlab.governance._audit import AuditLog
from privlab.governance._releases import ReleaseRecord, Releases
from privlab.store import Store

__all__ = ["Retention"]


class Retention:
    """The retention sweep over the registered releases.

    Parameters
    ----------
    store, audit, releases:
        The store, the audit log and the registered releases.
    """

    def __init__(self, store: Store, audit: AuditLog, releases: Releases) -> None:
        self.store = store
        self.audit = audit
        self.releases = releases

    def expired(self) -> list[ReleaseRecord]:
        """Active releases whose expiry time has passed (by the store's clock)."""
        now = _iso(self.store.clock())
        return [
            r
            for r in self.releases.records()
            if r.status == "active" and r.expires_at is not None and r.expires_at <= now
        ]

    def sweep(self, *, dry_run: bool = False) -> list[ReleaseRecord]:
        """Delete the files of expired releases and mark them purged (audited)."""
        expired = self.expired()
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
