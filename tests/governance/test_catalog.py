"""Catalog: onboarding, approval, schema drift, policy gate, access, retention."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import privlab as pv
from privlab.exceptions import AccessDeniedError, PolicyViolationError, PrivlabError
from privlab.governance import Governance, Policy, PolicyWarning
from privlab.store import Store

DATA = pl.DataFrame(
    {"age": [34, 51, 34], "zip": ["02139", "02139", "02139"], "ssn": ["a", "b", "c"]}
)
ROLES = {"age": "quasi_identifier", "zip": "quasi_identifier", "ssn": "direct_identifier"}
STRICT = Policy.from_dict(
    {
        "name": "strict",
        "rules": {"no_direct_identifiers": True, "min_k": 3, "require_purpose": True},
    }
)


def writer(path: Path, frame: pl.DataFrame = DATA) -> Any:
    return lambda: [pv.write(frame, path)]


def onboard(gov: Governance, name: str = "visits") -> None:
    gov.register_dataset(name, DATA, department="clinic", purpose="research", profile=ROLES)
    gov.approve(name)


def test_register_profile_approve(privlab_home: Path) -> None:
    gov = Governance()
    entry = gov.register_dataset("visits", DATA, department="clinic", purpose="research")
    assert entry.status == "pending"
    with pytest.raises(PrivlabError, match="has not been profiled"):
        gov.approve("visits")
    gov.register_dataset("visits", DATA, profile=ROLES)
    assert gov.approve("visits").status == "approved"
    events = [e.event for e in gov.audit.events(dataset="visits")]
    assert events == [
        "dataset_created",
        "dataset_version",
        "register",
        "register",
        "profile",
        "approval",
    ]


def test_schema_drift_requires_new_approval() -> None:
    gov = Governance()
    onboard(gov)
    gov.install_policy(STRICT)
    drifted = DATA.with_columns(pl.lit(1.5).alias("score"))
    with pytest.raises(PolicyViolationError, match=r"changed schema.*new column 'score'"):
        gov.check_source("visits", drifted)
    assert gov.dataset("visits").status == "pending"
    retyped = DATA.with_columns(pl.col("age").cast(pl.Float64))
    entry = gov.register_dataset("visits", retyped, profile=ROLES)
    assert entry.status == "pending"


def test_governed_mode_blocks_and_writes_nothing(tmp_path: Path) -> None:
    gov = Governance()
    gov.register_dataset("visits", DATA, department="clinic", purpose="research", profile=ROLES)
    gov.install_policy(STRICT)
    target = tmp_path / "out.parquet"
    # not approved yet
    with pytest.raises(PolicyViolationError, match="must be approved"):
        gov.release(
            "anonymized", "visits", {"columns": ["age"], "risk": {"k": 3}}, write=writer(target)
        )
    gov.approve("visits")
    # k too small and a direct identifier released
    with pytest.raises(PolicyViolationError) as info:
        gov.release(
            "anonymized",
            "visits",
            {"columns": ["age", "ssn"], "risk": {"k": 1}},
            write=writer(target),
        )
    assert {v.rule for v in info.value.violations} == {"no_direct_identifiers", "min_k"}
    assert not target.exists()
    assert gov.releases("visits") == []
    assert gov.audit.events(event="denial")
    # a passing release is written, registered and audited
    record = gov.release(
        "anonymized",
        "visits",
        {"columns": ["age", "zip"], "risk": {"k": 3}, "rows": 3},
        write=writer(target),
    )
    assert target.exists()
    assert record.policy["passed"]
    assert [r.id for r in gov.releases("visits")] == [record.id]


def test_owner_override_is_audited(tmp_path: Path) -> None:
    gov = Governance()
    onboard(gov)
    gov.install_policy(STRICT)
    facts = {"columns": ["age"], "risk": {"k": 1}}
    gov.grant("someone-else", "analyst", "clinic")  # may release, may not override
    with pv.config_context(user="someone-else"), pytest.raises(AccessDeniedError, match="override"):
        gov.release(
            "anonymized", "visits", facts, write=writer(tmp_path / "a.parquet"), override=True
        )
    record = gov.release(
        "anonymized", "visits", facts, write=writer(tmp_path / "a.parquet"), override=True
    )
    assert not record.policy["passed"]
    overrides = gov.audit.events(event="override")
    assert overrides[0].details["violations"] == ["min_k"]


def test_personal_mode_warns_but_releases(tmp_path: Path) -> None:
    gov = Governance()
    onboard(gov)
    assert gov.mode == "personal"
    with pytest.warns(PolicyWarning, match="direct identifier"):
        gov.release(
            "anonymized",
            "visits",
            {"columns": ["ssn"], "risk": {"k": 3}},
            write=writer(tmp_path / "x.csv"),
        )
    assert len(gov.releases()) == 1


def test_access_control_and_denials(tmp_path: Path) -> None:
    gov = Governance()
    onboard(gov)
    record = gov.release(
        "anonymized",
        "visits",
        {"columns": ["age"], "risk": {"k": 3}},
        write=writer(tmp_path / "r.parquet"),
        allowed_roles=("owner", "analyst"),
    )
    assert gov.load_release(record.id).height == 3  # the owner (tester)
    gov.grant("ana", "analyst", "clinic")
    gov.grant("vic", "viewer", "clinic")
    with pv.config_context(user="ana"):
        assert gov.load_release(record.id).height == 3
    with pv.config_context(user="vic"), pytest.raises(AccessDeniedError, match="viewer"):
        gov.load_release(record.id)
    gov.install_policy(STRICT)  # governed: only an admin (tester, the installer) grants
    with pv.config_context(user="vic"), pytest.raises(AccessDeniedError, match="may not grant"):
        gov.grant("vic", "owner", "clinic")
    denials = gov.audit.events(event="denial")
    assert [d.details["action"] for d in denials] == ["load", "grant"]
    assert [e.principal for e in gov.audit.events(event="access")] == ["tester", "ana"]


def test_tampered_release_file_is_refused(tmp_path: Path) -> None:
    gov = Governance()
    onboard(gov)
    path = tmp_path / "r.csv"
    record = gov.release(
        "anonymized", "visits", {"columns": ["age"], "risk": {"k": 3}}, write=writer(path)
    )
    path.write_text("age\n1\n")
    with pytest.raises(PrivlabError, match="changed since it was released"):
        gov.load_release(record.id)


def test_retention_sweep_with_a_fake_clock(tmp_path: Path, privlab_home: Path) -> None:
    now = [dt.datetime(2030, 1, 1, tzinfo=dt.UTC)]
    store = Store(privlab_home / "privlab.sqlite", clock=lambda: now[0])
    gov = Governance(store)
    onboard(gov)
    short = gov.release(
        "anonymized",
        "visits",
        {"columns": ["age"], "risk": {"k": 3}},
        write=writer(tmp_path / "s.csv"),
        retention_days=10,
    )
    long = gov.release(
        "anonymized",
        "visits",
        {"columns": ["age"], "risk": {"k": 3}},
        write=writer(tmp_path / "l.csv"),
        retention_days=100,
    )
    now[0] += dt.timedelta(days=11)
    assert [r.id for r in gov.sweep(dry_run=True)] == [short.id]
    assert (tmp_path / "s.csv").exists()  # dry run deletes nothing
    purged = gov.sweep()
    assert [r.id for r in purged] == [short.id]
    assert not (tmp_path / "s.csv").exists()
    assert (tmp_path / "l.csv").exists()
    assert gov.get_release(short.id).status == "purged"
    assert gov.get_release(long.id).status == "active"
    assert gov.audit.events(event="purge")[0].release == short.id
    assert gov.sweep() == []


def test_failed_write_registers_nothing(tmp_path: Path) -> None:
    gov = Governance()
    onboard(gov)

    def boom() -> list[Path]:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        gov.release("anonymized", "visits", {"columns": ["age"], "risk": {"k": 3}}, write=boom)
    assert gov.releases() == []
    assert gov.audit.events(event="release_failed")


def test_unknown_dataset_and_bad_arguments() -> None:
    gov = Governance()
    gov.install_policy(STRICT)
    with pytest.raises(PolicyViolationError, match="not in the catalog"):
        gov.check_source("ghost")
    with pytest.raises(PrivlabError, match="release kind"):
        gov.release("leak", "ghost", {}, write=lambda: [])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gov.uninstall_policy()
    assert gov.mode == "personal"
