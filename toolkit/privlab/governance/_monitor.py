"""Monitoring: flag suspicious patterns in the audit log; a governance dashboard chart.

Three patterns, each a known way to extract what a single release would not give:

- **many DP queries on small groups** by one principal on one dataset within a day
  (many fine-grained group-by answers average noise away);
- **repeated releases of overlapping subsets** of one dataset whose row counts
  differ by only a few records (differencing: subtract two aggregates to learn one
  person);
- **bulk access at unusual hours**: many loads by one principal outside 07:00–20:00 UTC.

And every change to who shares a DP budget, each with who and when (written
by :mod:`privlab.dp` and the store's dataset identity): a dataset **linked**
to another's budget as derived from it, an **independence declaration** (and
the unlink it made), and a **budget raise** — the ways to get fresh ε for the
same people.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from privlab.governance._audit import AuditEvent, AuditLog

__all__ = ["Finding", "audit_report", "governance_dashboard"]


@dataclass(frozen=True)
class Finding:
    """One suspicious pattern."""

    pattern: str
    principal: str | None
    dataset: str | None
    count: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The finding as a plain dict (for JSON output)."""
        return dict(self.__dict__)


def _time(event: AuditEvent) -> dt.datetime:
    return dt.datetime.fromisoformat(event.ts.replace("Z", "+00:00"))


def audit_report(
    log: AuditLog,
    *,
    dp_queries_per_day: int = 20,
    small_group_rows: int = 50,
    differencing_rows: int = 5,
    night_accesses: int = 10,
    work_hours: tuple[int, int] = (7, 20),
) -> list[Finding]:
    """Scan the whole log and return every finding.

    Parameters
    ----------
    log:
        The audit log to read.
    dp_queries_per_day:
        Flag a principal who runs at least this many DP group-by queries on
        small groups of one dataset in one day.
    small_group_rows:
        A group-by whose smallest group has at most this many rows (or an
        unknown smallest group) is on small groups.
    differencing_rows:
        Flag two consecutive releases of the same kind of one dataset whose row
        counts differ by 1 to this many.
    night_accesses:
        Flag a principal who loads at least this many releases in one day
        outside *work_hours*.
    work_hours:
        ``(start, end)`` hours, UTC.

    Returns
    -------
    list of Finding
        DP small-group, differencing and unusual-hours findings, then every
        budget link, unlink, independence declaration and budget raise.

    Examples
    --------
    >>> import privlab as pv, privlab.dp as pdp
    >>> from privlab.governance import AuditLog
    >>> _ = pv.open_store().resolve_dataset("visits")
    >>> pdp.set_budget("visits", epsilon=0.0)  # lowered: no finding
    >>> pdp.set_budget("visits", epsilon=2.0)  # raised: fresh ε for the same people
    >>> [(f.pattern, f.dataset) for f in audit_report(AuditLog())]
    [('budget_raised', 'visits')]
    """
    events = log.events()
    findings: list[Finding] = []
    # 1. many DP queries with group-bys on small groups, per principal, dataset and day
    buckets: dict[tuple[str, str | None, dt.date], int] = defaultdict(int)
    for e in events:
        if e.event != "dp_query":
            continue
        grouped = bool(e.details.get("by"))
        smallest = e.details.get("min_group_rows")
        small = smallest is None or smallest <= small_group_rows
        if grouped and small:
            buckets[(e.principal, e.dataset, _time(e).date())] += int(e.details.get("queries", 1))
    for (who, ds, day), n in sorted(buckets.items(), key=lambda kv: (kv[0][2], kv[0][0])):
        if n >= dp_queries_per_day:
            findings.append(
                Finding(
                    "dp_small_groups",
                    who,
                    ds,
                    n,
                    f"{who} ran {n} DP group-by queries on small groups of {ds!r} on {day}",
                )
            )
    # 2. releases of nearly the same rows (differencing)
    by_dataset: dict[str | None, list[AuditEvent]] = defaultdict(list)
    for e in events:
        if e.event == "release" and e.details.get("rows") is not None:
            by_dataset[e.dataset].append(e)
    for ds, rel in by_dataset.items():
        for a, b in itertools.pairwise(rel):
            gap = abs(int(a.details["rows"]) - int(b.details["rows"]))
            if 0 < gap <= differencing_rows and a.details.get("kind") == b.details.get("kind"):
                findings.append(
                    Finding(
                        "differencing",
                        b.principal,
                        ds,
                        gap,
                        f"releases {a.release} and {b.release} of {ds!r} differ by {gap} "
                        "row(s): subtracting them may single out those records",
                    )
                )
    # 3. bulk access outside working hours
    night: dict[tuple[str, dt.date], int] = defaultdict(int)
    start, end = work_hours
    for e in events:
        if e.event == "access":
            t = _time(e)
            if not start <= t.hour < end:
                night[(e.principal, t.date())] += 1
    for (who, day), n in sorted(night.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if n >= night_accesses:
            findings.append(
                Finding(
                    "unusual_hours",
                    who,
                    None,
                    n,
                    f"{who} loaded {n} releases outside {start:02d}:00–{end:02d}:00 UTC on {day}",
                )
            )
    findings.extend(_budget_findings(events))
    return findings


def _budget_findings(events: list[AuditEvent]) -> list[Finding]:
    """Links, unlinks, independence declarations and budget raises, with who and when."""
    out = []
    for e in events:
        d = e.details
        if e.event == "link":
            out.append(
                Finding(
                    "dataset_linked",
                    e.principal,
                    e.dataset,
                    1,
                    f"{e.dataset!r} was linked to the budget of {d.get('budget_of')!r} at {e.ts} "
                    f"(seen as derived: rule {d.get('rule')!r}, matched columns "
                    f"{d.get('matched_columns')}, row containment {d.get('row_containment')}); "
                    f"registered by {e.principal}",
                )
            )
        elif e.event in ("independence", "unlink"):
            what = (
                f"declared {e.dataset!r} independent of {d.get('independent_of')!r}"
                if e.event == "independence"
                else f"unlinked {e.dataset!r} from the budget of {d.get('budget_of')!r}"
            )
            out.append(
                Finding(
                    "independence_declared" if e.event == "independence" else "dataset_unlinked",
                    e.principal,
                    e.dataset,
                    1,
                    f"{e.principal} {what} at {e.ts}: {d.get('reason')!r}",
                )
            )
        elif e.event == "budget" and d.get("raised"):
            eps, dlt = d.get("epsilon", {}), d.get("delta", {})
            out.append(
                Finding(
                    "budget_raised",
                    e.principal,
                    e.dataset,
                    1,
                    f"{e.principal} raised the budget of {e.dataset!r} at {e.ts}: ε "
                    f"{eps.get('old')} → {eps.get('new')}, δ {dlt.get('old')} → {dlt.get('new')}",
                )
            )
    return out


def governance_dashboard(gov: Any) -> Any:
    """An Altair dashboard: datasets by status, releases passing policy, access activity.

    Parameters
    ----------
    gov:
        A :class:`Governance` (its catalog, releases and audit log are read).

    Returns
    -------
    altair.VConcatChart
        Three bar charts, not displayed; a chart with nothing to count shows
        one ``none`` bar of 0.

    Examples
    --------
    >>> from privlab.governance import Governance
    >>> chart = governance_dashboard(Governance())
    >>> type(chart).__name__, len(chart.vconcat)
    ('VConcatChart', 3)
    """
    import altair as alt

    releases = gov.releases()
    datasets = _counts({"status": [d.status for d in gov.datasets()]})
    checked = _counts(
        {
            "kind": [r.kind for r in releases],
            "policy": ["passed" if r.policy.get("passed") else "violated" for r in releases],
        }
    )
    activity = _counts({"event": [e.event for e in gov.audit.events()]})
    status = (
        alt.Chart(alt.Data(values=datasets))
        .mark_bar()
        .encode(x=alt.X("len:Q", title="datasets"), y=alt.Y("status:N", title=None))
        .properties(title="Datasets by approval status", width=300, height=80)
    )
    rel = (
        alt.Chart(alt.Data(values=checked))
        .mark_bar()
        .encode(
            x=alt.X("len:Q", title="releases"),
            y=alt.Y("kind:N", title=None),
            color=alt.Color("policy:N", title="policy check"),
        )
        .properties(title="Releases and policy checks", width=300, height=80)
    )
    act = (
        alt.Chart(alt.Data(values=activity))
        .mark_bar()
        .encode(x=alt.X("len:Q", title="events"), y=alt.Y("event:N", sort="-x", title=None))
        .properties(title="Audit activity", width=300, height=160)
    )
    return alt.vconcat(status, rel, act)


def _counts(columns: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Rows per distinct combination, as ``len``; nothing yet is one ``none`` row of 0."""
    names = list(columns)
    tally = Counter(zip(*columns.values(), strict=True))
    if not tally:
        return [{**dict.fromkeys(names, "none"), "len": 0}]
    return [{**dict(zip(names, key, strict=True)), "len": n} for key, n in sorted(tally.items())]
