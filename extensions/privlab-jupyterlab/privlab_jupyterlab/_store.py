"""The one module that calls privlab: every route reads the store through here.

privlab's internals are being reorganised, so this adapter depends only on
public names — ``privlab.config_context``, ``privlab.get_config``,
``privlab.profile``, ``privlab.report``, ``privlab.Report``,
``privlab.governance.Governance`` (``datasets``, ``dataset``, ``releases``,
``mode``, ``audit.verify``, ``audit.witness``), ``privlab.dp.budget``,
``privlab.io.check_not_source``, ``privlab.viz.sensitivity_chart`` and the
classes of ``privlab.exceptions``. When privlab moves, adjust this file only.

Every function takes the store folder (``home``) explicitly and runs inside
``privlab.config_context(home=...)``, a context variable local to the calling
thread: the server's ``os.environ`` is never changed. The functions block; the
route handlers run them on worker threads.

Errors reach the handlers as :class:`NotFound` or :class:`Invalid`, each with a
message a person can act on.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import privlab as pv
import privlab.dp as pdp
from privlab.exceptions import DatasetNotFoundError, PrivlabError
from privlab.governance import Governance
from privlab_jupyterlab._errors import Invalid, NotFound

__all__ = [
    "AuditCache",
    "dataset_detail",
    "datasets",
    "default_home",
    "profile_file",
    "release_report",
    "releases",
    "store_info",
]

#: How long a cached audit verification is trusted while the head is unchanged.
AUDIT_MAX_AGE = 300.0


def default_home() -> Path:
    """The server's own store: ``PRIVLAB_HOME`` of the server process, else ``~/.privlab``."""
    return Path(pv.get_config()["home"]).expanduser()


def _exists(home: Path) -> bool:
    # privlab creates the store folder when it first opens it; the panel only
    # reads, so a folder that is not there is reported as an empty store.
    return home.is_dir()


@contextmanager
def _governance(home: Path) -> Iterator[Governance]:
    try:
        with pv.config_context(home=home):
            yield Governance()
    except DatasetNotFoundError as exc:
        raise NotFound(str(exc)) from None
    except PrivlabError as exc:
        raise Invalid(f"privlab store {str(home)!r}: {exc}") from None


def store_info(home: Path) -> dict[str, Any]:
    """Where the store is and whether it exists (call outside ``config_context``)."""
    return {
        "home": str(home),
        "exists": _exists(home),
        "default": home == default_home(),
    }


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _budget(name: str) -> dict[str, Any]:
    b = pdp.budget(name)
    return {
        "epsilon": {
            "total": _finite(b.epsilon_total),
            "spent": _finite(b.epsilon_spent),
            "left": _finite(b.epsilon_remaining),
            "fraction_spent": _finite(b.fraction_spent),
        },
        "delta": {
            "total": _finite(b.delta_total),
            "spent": _finite(b.delta_spent),
            "left": _finite(b.delta_remaining),
        },
        "dp_releases": int(b.releases),
    }


def _entry(entry: Any) -> dict[str, Any]:
    return {
        "name": entry.name,
        "owner": entry.owner,
        "department": entry.department,
        "purpose": entry.purpose,
        "classification": entry.classification,
        "status": entry.status,
        "profiled": entry.roles is not None,
        **_budget(entry.name),
    }


def datasets(home: Path) -> dict[str, Any]:
    """Every dataset with owner, status and ε budget (total, spent, left)."""
    info = store_info(home)
    if not info["exists"]:
        return {"store": info, "mode": None, "datasets": []}
    with _governance(home) as gov:
        rows = [_entry(e) for e in gov.datasets()]
        counts: dict[str, int] = {}
        for rel in gov.releases():
            counts[rel.dataset] = counts.get(rel.dataset, 0) + 1
        for row in rows:
            row["releases"] = counts.get(row["name"], 0)
        return {"store": info, "mode": gov.mode, "datasets": rows}


def dataset_detail(home: Path, name: str) -> dict[str, Any]:
    """One dataset: its catalog entry, budget and column roles from its profile."""
    if not _exists(home):
        raise NotFound(f"no privlab store at {str(home)!r}, so no dataset {name!r}")
    with _governance(home) as gov:
        entry = gov.dataset(name)
        roles = entry.roles or {}
        return {
            **_entry(entry),
            "retention_days": entry.retention_days,
            "legal_basis": entry.legal_basis,
            "schema": [{"name": c, "dtype": t} for c, t in entry.schema],
            "columns": [{"name": c, "role": r} for c, r in sorted(roles.items())],
        }


def _report_file(rel: Any) -> str | None:
    named = rel.manifest.get("report") if isinstance(rel.manifest, dict) else None
    if isinstance(named, str) and named:
        return named
    for item in rel.files:
        path = str(item.get("path", ""))
        if path.lower().endswith((".html", ".htm")):
            return path
    return None


def _policy(rel: Any) -> dict[str, Any]:
    policy = rel.policy if isinstance(rel.policy, dict) else {}
    violations = [
        v.get("message") or v.get("rule") or json.dumps(v) if isinstance(v, dict) else str(v)
        for v in policy.get("violations", [])
    ]
    passed = bool(policy.get("passed", not violations))
    return {
        "name": policy.get("policy"),
        "passed": passed,
        "status": "passed" if passed else "failed",
        "violations": violations,
    }


def _release(rel: Any) -> dict[str, Any]:
    return {
        "id": rel.id,
        "dataset": rel.dataset,
        "kind": rel.kind,
        "status": rel.status,
        "created_at": rel.created_at,
        "expires_at": rel.expires_at,
        "policy": _policy(rel),
        "report": _report_file(rel),
        "files": [str(item.get("path", "")) for item in rel.files],
    }


def releases(home: Path) -> dict[str, Any]:
    """Every release, newest first, with kind, policy status and report path."""
    info = store_info(home)
    if not info["exists"]:
        return {"store": info, "releases": []}
    with _governance(home) as gov:
        rows = [_release(r) for r in gov.releases()]
    rows.reverse()
    return {"store": info, "releases": rows}


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def release_report(home: Path, release_id: str) -> str:
    """The HTML report of a release.

    The release's own report file when it has one (checked against the hash the
    catalog recorded), else a summary page built in memory — nothing is written.
    """
    if not _exists(home):
        raise NotFound(f"no privlab store at {str(home)!r}, so no release {release_id!r}")
    with _governance(home) as gov:
        match = [r for r in gov.releases() if r.id == release_id]
        if not match:
            raise NotFound(f"no release {release_id!r} in the privlab store at {str(home)!r}")
        rel = match[0]
        path = _report_file(rel)
        if path is not None:
            file = Path(path)
            recorded = {str(f.get("path")): f.get("sha256") for f in rel.files}
            if not file.is_file():
                raise NotFound(
                    f"the report of release {release_id!r} is gone: {path!r} does not exist"
                    " (retention may have removed it)"
                )
            if recorded.get(path) and recorded[path] != _sha256(file):
                raise Invalid(
                    f"the report {path!r} changed since release {release_id!r} was made"
                    " (its hash differs from the catalog's); not showing it"
                )
            return file.read_text(encoding="utf-8")
        info = _release(rel)
        rep = pv.Report(f"{rel.kind} release {rel.id} of {rel.dataset}")
        rep.add_table(
            "Release",
            {k: info[k] for k in ("dataset", "kind", "status", "created_at", "expires_at")},
        )
        policy = info["policy"]
        rep.add_table(
            f"Policy {policy['name']}: {policy['status']}",
            [{"violation": v} for v in policy["violations"]] or {"violations": "none"},
        )
        facts = rel.manifest.get("facts") if isinstance(rel.manifest, dict) else None
        if isinstance(facts, dict):
            rep.add_table(
                "Facts the policy checked",
                {k: json.dumps(v, default=str) for k, v in sorted(facts.items())},
            )
        rep.add_table("Files", [{"path": p} for p in info["files"]] or {"files": "none"})
        return str(rep.to_html())


# -- audit -------------------------------------------------------------------------------


@dataclass
class _Verified:
    head: tuple[Any, ...]
    at: float
    result: dict[str, Any]


@dataclass
class AuditCache:
    """Audit verification, cached by the head of the log.

    The head is the log's newest record (``gov.audit.head()``) and the
    append-only witness file's modification time (``gov.audit.witness``), which
    every committed change moves. A cached result is reused
    while the head is unchanged and younger than :data:`AUDIT_MAX_AGE` seconds;
    ``fresh=True`` always re-verifies. Tampering that leaves the head alone is
    therefore seen on the next append, the next expiry or the next forced check.
    """

    max_age: float = AUDIT_MAX_AGE
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cache: dict[str, _Verified] = field(default_factory=dict)

    @staticmethod
    def _head(gov: Governance) -> tuple[Any, ...] | None:
        witness = Path(gov.audit.witness)
        try:
            head = gov.audit.head()  # O(1) from the store; the witness only grows
            return (str(witness), head, witness.stat().st_mtime_ns)
        except (OSError, PrivlabError):
            return None  # no usable witness or log: verify every time (verify reports why)

    def verify(self, home: Path, *, fresh: bool = False) -> dict[str, Any]:
        """The audit log's verification status (see the class docstring)."""
        info = store_info(home)
        if not info["exists"]:
            return {
                "store": info,
                "ok": True,
                "records": 0,
                "summary": "no store yet, so no audit log",
                "problems": [],
                "cached": False,
                "checked_at": time.time(),
            }
        with _governance(home) as gov:
            head = self._head(gov)
            key = str(home)
            now = time.time()
            with self._lock:
                hit = self._cache.get(key)
            if (
                not fresh
                and head is not None
                and hit is not None
                and hit.head == head
                and now - hit.at < self.max_age
            ):
                return {**hit.result, "cached": True}
            res = gov.audit.verify()
            result = {
                "store": info,
                "ok": bool(res.ok),
                "chain_ok": bool(res.chain_ok),
                "signature": res.signature,
                "witness": res.witness,
                "records": int(res.records),
                "problems": list(res.problems),
                "summary": res.summary().splitlines()[0],
                "checked_at": now,
            }
            if head is not None:
                with self._lock:
                    self._cache[key] = _Verified(head, now, result)
            return {**result, "cached": False}


# -- profiling a file ----------------------------------------------------------------------


def report_path_for(source: Path) -> Path:
    """Where the HTML report of a profiled file goes: beside it, ``<name>.profile.html``."""
    return source.with_name(f"{source.name}.profile.html")


def profile_file(source: Path, report: Path) -> dict[str, Any]:
    """Profile *source* and write its HTML report to *report* (atomically, never over *source*).

    Returns the profile's JSON contract (``privlab profile --format json``) plus
    the report path. The caller has confined both paths to the server's root.
    """
    from privlab.io import check_not_source
    from privlab.viz import sensitivity_chart

    try:
        check_not_source(report, source)
        started = time.perf_counter()
        prof = pv.profile(source)
        title = f"privlab profile of {source.name}"
        rep = pv.Report(title)
        rep.add_heading(f"Profile of {source.name}")
        rep.add_text(
            f"{prof.rows} rows, {len(prof.columns)} columns; quasi-identifiers: "
            + (", ".join(prof.quasi_identifiers) or "none")
        )
        rep.add_chart("Sensitivity of each column", sensitivity_chart(prof))
        rep.add_table(
            "Columns",
            [
                {
                    "column": c.name,
                    "semantic type": c.semantic_type,
                    "role": c.role,
                    "confidence": c.confidence,
                    "reason": c.reason or "",
                }
                for c in prof.columns
            ],
        )
        pv.report(rep, report, title=title)
    except PrivlabError as exc:
        raise Invalid(f"could not profile {source.name!r}: {exc}") from None
    summary: dict[str, Any] = json.loads(prof.to_json())
    summary["elapsed"] = round(time.perf_counter() - started, 3)
    return summary
