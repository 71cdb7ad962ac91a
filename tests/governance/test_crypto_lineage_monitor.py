"""Encryption at rest, OpenLineage events, monitoring findings, dashboard."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from privlab.exceptions import DecryptionError, MissingSecretError
from privlab.governance import (
    AuditLog,
    Governance,
    audit_report,
    generate_key,
    governance_dashboard,
    openlineage_event,
    read_encrypted,
    write_encrypted,
)
from privlab.store import Store

FRAME = pl.DataFrame({"zip": ["02139", "94107"], "n": [1, 2]})


def test_encryption_round_trip_and_wrong_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = generate_key()
    path = write_encrypted(FRAME, tmp_path / "r.parquet.enc", key=key)
    blob = path.read_bytes()
    assert b"02139" not in blob
    assert b"94107" not in blob
    assert read_encrypted(path, key=key).equals(FRAME)
    with pytest.raises(DecryptionError, match="wrong key"):
        read_encrypted(path, key=generate_key())
    monkeypatch.delenv("PRIVLAB_ENCRYPTION_KEY", raising=False)
    with pytest.raises(MissingSecretError, match="no encryption key"):
        read_encrypted(path)
    monkeypatch.setenv("PRIVLAB_ENCRYPTION_KEY", key)
    assert read_encrypted(path).equals(FRAME)
    key_file = tmp_path / "k.txt"
    key_file.write_text(key + "\n")
    assert read_encrypted(path, key_file=key_file).equals(FRAME)
    renamed = path.rename(tmp_path / "other.enc")
    with pytest.raises(DecryptionError):
        read_encrypted(renamed, key=key)
    with pytest.raises(MissingSecretError, match="256 bits"):
        write_encrypted(FRAME, tmp_path / "x.enc", key="too-short")


def test_encrypted_release_through_the_catalog(tmp_path: Path) -> None:
    key = generate_key()
    gov = Governance()
    gov.register_dataset("t", FRAME, purpose="p", profile={"zip": "quasi_identifier", "n": "other"})
    record = gov.release(
        "anonymized",
        "t",
        {"columns": ["zip"], "risk": {"k": 2}},
        write=lambda: [write_encrypted(FRAME, tmp_path / "t.enc", key=key)],
        encrypted=True,
    )
    assert gov.load_release(record.id, key=key).equals(FRAME)
    store_text = Path(gov.store.path).read_bytes()
    assert key.encode() not in store_text


def test_openlineage_event_shape() -> None:
    manifest = {
        "kind": "anonymized",
        "dataset": "patients",
        "recipe_id": "abc",
        "input_fingerprint": {"schema": [["zip_code", "String"], ["ssn", "String"]]},
        "output_fingerprint": {"schema": [["zip_code", "String"]]},
        "lineage": {"zip_code": {"sources": ["zip_code"], "operations": ["generalize(prefix 3)"]}},
    }
    event = openlineage_event(manifest, release_id="r9", event_time="2026-01-01T00:00:00Z")
    assert event["eventType"] == "COMPLETE"
    assert event["inputs"][0]["name"] == "patients"
    col = event["outputs"][0]["facets"]["columnLineage"]["fields"]["zip_code"]
    assert col["inputFields"] == [{"namespace": "privlab", "name": "patients", "field": "zip_code"}]
    assert col["transformationDescription"] == "generalize(prefix 3)"
    assert event["run"]["runId"] == openlineage_event(manifest, release_id="r9")["run"]["runId"]


def test_monitoring_flags_planted_patterns(privlab_home: Path) -> None:
    clock = [dt.datetime(2030, 3, 1, 2, 0, tzinfo=dt.UTC)]  # 02:00 UTC: unusual hours
    store = Store(privlab_home / "privlab.sqlite", clock=lambda: clock[0])
    log = AuditLog(store)
    for _ in range(25):
        log.append("dp_query", dataset="d", principal="eve", details={"by": ["zip"], "queries": 1})
    log.append("release", dataset="d", release="r1", details={"kind": "anonymized", "rows": 1000})
    log.append("release", dataset="d", release="r2", details={"kind": "anonymized", "rows": 999})
    for _ in range(12):
        log.append("access", dataset="d", principal="mal")
    log.append("access", dataset="d", principal="ok-user")
    patterns = {(f.pattern, f.principal) for f in audit_report(log)}
    assert ("dp_small_groups", "eve") in patterns
    assert ("differencing", "tester") in patterns
    assert ("unusual_hours", "mal") in patterns
    assert not any(p[1] == "ok-user" for p in patterns)


def test_quiet_log_has_no_findings(privlab_home: Path) -> None:
    clock = [dt.datetime(2030, 3, 1, 10, 0, tzinfo=dt.UTC)]
    log = AuditLog(Store(privlab_home / "privlab.sqlite", clock=lambda: clock[0]))
    for _ in range(5):
        log.append("access", dataset="d")
    log.append("dp_query", dataset="d", details={"by": [], "queries": 1})
    assert audit_report(log) == []


def test_dashboard_chart_spec() -> None:
    gov = Governance()
    gov.register_dataset("t", FRAME, profile={"zip": "quasi_identifier", "n": "other"})
    spec = governance_dashboard(gov).to_dict()
    assert len(spec["vconcat"]) == 3
    datasets, releases, activity = (chart["data"]["values"] for chart in spec["vconcat"])
    assert datasets == [{"status": "pending", "len": 1}]
    # nothing released yet: a zero-length bar, never a phantom count of one
    assert releases == [{"kind": "none", "policy": "none", "len": 0}]
    assert activity == [
        {"event": "dataset_created", "len": 1},
        {"event": "dataset_version", "len": 1},
        {"event": "profile", "len": 1},
        {"event": "register", "len": 1},
    ]
