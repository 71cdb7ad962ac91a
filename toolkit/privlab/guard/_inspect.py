"""What the guard reports: :class:`Finding` and :class:`GuardReport`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from privlab.release import ReleaseFacts

__all__ = ["Finding", "GuardReport", "inspect_release"]


@dataclass(frozen=True)
class Finding:
    """One reason to refuse a release: which column, what was found, masked examples."""

    column: str | None
    kind: str  # e.g. direct_identifier, replay, identifying_combination, query_identifier
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class GuardReport:
    """The guard's verdict on one release (JSON-ready through :meth:`to_dict`)."""

    findings: list[Finding] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # column -> reason (overrides)
    checked: dict[str, Any] = field(default_factory=dict)  # what was inspected, sample sizes

    @property
    def ok(self) -> bool:
        """No finding that was not kept on purpose."""
        return not self.blocking

    @property
    def blocking(self) -> list[Finding]:
        """Findings on columns not kept with a reason."""
        return [f for f in self.findings if f.column is None or f.column not in self.kept]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (no raw values: examples are masked)."""
        return {
            "ok": self.ok,
            "findings": [
                {"column": f.column, "kind": f.kind, "message": f.message, **dict(f.details)}
                for f in self.findings
            ],
            "kept": dict(self.kept),
            "checked": dict(self.checked),
        }


def inspect_release(facts: ReleaseFacts, *, roles: Mapping[str, str] | None = None) -> GuardReport:
    """Inspect one release (its data and source, or for DP its queries).

    *roles* are the source columns' profiled roles from the catalog, when known.
    """
    return GuardReport(kept=dict(facts.keep))
