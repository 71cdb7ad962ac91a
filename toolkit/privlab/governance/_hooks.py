"""Where anonymization, DP and synthesis hand their releases to governance.

Each producer calls one function here; governance checks the dataset's
approval (governed mode) and the policy *before* anything is written or spent,
then registers and audits the release. Keeping the calls in one module keeps
the producers free of catalog logic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from privlab.governance._catalog import DEFAULT_ALLOWED, Governance, ReleaseRecord

__all__ = ["govern_anonymized", "govern_dp", "govern_synthetic"]

T = TypeVar("T")


def govern_dp(
    dataset: str,
    *,
    epsilon: float,
    delta: float,
    queries: Sequence[Any],
    spent_in_last: Callable[[dt.timedelta], float],
    run: Callable[[], T],
) -> T:
    """Gate and record one DP release; *run* spends the budget and returns the answers.

    *spent_in_last(window)* gives the ε already spent on the dataset within the
    window (from the DP ledger), for the ``max_epsilon_per_period`` rule.
    """
    gov = Governance()
    cap = gov.policy.rules.max_epsilon_per_period
    facts: dict[str, Any] = {"queries": len(queries), "epsilon": epsilon, "delta": delta}
    if cap is not None:
        facts["epsilon_in_period"] = spent_in_last(dt.timedelta(days=cap.days)) + epsilon
    box: list[T] = []

    def write() -> list[Path]:
        box.append(run())
        return []

    by = sorted({c for q in queries for c in (getattr(q, "group_columns", None) or [])})
    record = gov.release("dp", dataset, facts, write=write, manifest={"facts": facts})
    gov.audit.append(
        "dp_query",
        dataset=record.dataset,
        release=record.id,
        details={"queries": len(queries), "by": by, "epsilon": epsilon, "delta": delta},
    )
    return box[0]


def govern_synthetic(
    synthetic: Any,
    *,
    dataset: str,
    write: Callable[[], Sequence[str | Path]],
    data: Any = None,
    retention_days: int | None = None,
    allowed_roles: Sequence[str] = DEFAULT_ALLOWED,
    override: bool = False,
) -> ReleaseRecord:
    """Gate and register a synthetic-data release (facts from its evaluation)."""
    gov = Governance()
    columns: dict[str, str] = {}
    for plan in synthetic.metadata.tables.values():
        for col in plan.columns:
            generated = col.handling in ("generated", "primary_key", "foreign_key")
            columns[col.name] = "generated" if generated else "other"
    facts: dict[str, Any] = {
        "columns": columns,
        "rows": sum(t.height for t in synthetic._tables.values()),
    }
    if synthetic.report is not None:
        summary = synthetic.report.summary()
        facts["attack_risk"] = summary.get("privacy_risk")
        facts["pii_replay"] = summary.get("pii_replay")
    manifest = {**synthetic.manifest(), "facts": facts}
    return gov.release(
        "synthetic",
        dataset,
        facts,
        write=write,
        manifest=manifest,
        allowed_roles=allowed_roles,
        retention_days=retention_days,
        override=override,
        data=data,
    )


def govern_anonymized(
    dataset: str,
    *,
    facts: Mapping[str, Any],
    write: Callable[[], Sequence[str | Path]],
    manifest: Mapping[str, Any],
    recipe_id: str | None = None,
    data: Any = None,
    retention_days: int | None = None,
    allowed_roles: Sequence[str] = DEFAULT_ALLOWED,
    override: bool = False,
) -> ReleaseRecord:
    """Gate and register an anonymized release (facts: columns, risk measured on it)."""
    return Governance().release(
        "anonymized",
        dataset,
        facts,
        write=write,
        manifest={**manifest, "facts": dict(facts)},
        recipe_id=recipe_id,
        allowed_roles=allowed_roles,
        retention_days=retention_days,
        override=override,
        data=data,
    )
