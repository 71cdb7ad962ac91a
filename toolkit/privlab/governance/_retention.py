"""Retention: delete the files of expired releases — only the files privlab wrote.

Every release records the absolute path and SHA-256 of each of its files.
:meth:`Retention.sweep` deletes a file only when it is still at that path with
that hash; anything else there (a different file, a changed file, a relative
path recorded by an older privlab) is left alone and reported. A release is
marked ``purged`` once none of its files remains; the deletions, what was kept
and why, and the status change are one audit record in the same transaction.

Examples
--------
>>> from privlab.governance import Governance
>>> Governance().sweep(dry_run=True)
[]
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from privlab._time import iso as _iso
from privlab.governance._audit import AuditLog
from privlab.governance._releases import ReleaseRecord, Releases, file_sha256
from privlab.store import Store, append_audit

__all__ = ["Retention", "SweepResult"]


@dataclass
class SweepResult:
    """What a sweep did to one expired release."""

    release: ReleaseRecord
    deleted: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    kept: list[dict[str, str]] = field(default_factory=list)

    @property
    def purged(self) -> bool:
        """No file of the release remains (deleted now, or already gone)."""
        return not self.kept

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready result."""
        return {
            "release": self.release.id,
            "dataset": self.release.dataset,
            "deleted": self.deleted,
            "gone": self.gone,
            "kept": self.kept,
            "purged": self.purged,
        }


def _examine(path_text: str, sha256: str) -> str | None:
    """Why a recorded file must not be deleted (``None``: it may), or ``"gone"``."""
    if not os.path.isabs(path_text):
        return "recorded as a relative path by an older privlab: its folder is unknown"
    path = Path(path_text)
    if path.is_symlink():
        return "it is now a symbolic link, not the file that was released"
    if not path.exists():
        return "gone"
    if not path.is_file():
        return "it is now a folder, not the file that was released"
    if file_sha256(path) != sha256:
        return "its content changed since the release (SHA-256 differs): not privlab's file"
    return None


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
        """Delete the files of expired releases and mark them purged (audited).

        Returns the expired releases; :meth:`sweep_report` says file by file
        what was deleted and what was kept.
        """
        if dry_run:
            return self.expired()
        return [r.release for r in self.sweep_report()]

    def sweep_report(self) -> list[SweepResult]:
        """Sweep, and say for every expired release what was deleted, gone or kept, and why."""
        results = []
        for record in self.expired():
            result = SweepResult(record)
            with self.store.transaction() as conn:
                for file in record.files:
                    why = _examine(str(file["path"]), str(file["sha256"]))
                    if why == "gone":
                        result.gone.append(file["path"])
                    elif why is not None:
                        result.kept.append({"path": file["path"], "reason": why})
                if result.purged:
                    conn.execute(
                        "UPDATE catalog_releases SET status = 'purged' WHERE id = ?", (record.id,)
                    )
                deletable = [
                    f["path"]
                    for f in record.files
                    if f["path"] not in result.gone
                    and all(k["path"] != f["path"] for k in result.kept)
                ]
                append_audit(
                    conn,
                    "purge",
                    dataset=record.dataset,
                    release=record.id,
                    details={
                        "deleted": deletable,
                        "gone": result.gone,
                        "kept": result.kept,
                        "expired_at": record.expires_at,
                        "purged": result.purged,
                    },
                )
                for path in deletable:  # last, so a refused commit deletes nothing earlier
                    Path(path).unlink(missing_ok=True)
                    result.deleted.append(path)
            results.append(result)
        return results
