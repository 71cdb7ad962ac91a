"""Audit log: every kind of tampering is detected; no secret is ever logged."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from privlab.exceptions import AuditIntegrityError, PrivlabError
from privlab.governance import AuditLog
from privlab.store import open_store


@pytest.fixture
def signed(monkeypatch: pytest.MonkeyPatch) -> AuditLog:
    monkeypatch.setenv("PRIVLAB_AUDIT_KEY", "test-hmac-key-0123456789")
    log = AuditLog()
    for i in range(6):
        log.append("access", dataset="patients", details={"n": i})
    return log


def db(log: AuditLog) -> sqlite3.Connection:
    return sqlite3.connect(log.store.path, isolation_level=None)


def test_untouched_log_verifies(signed: AuditLog) -> None:
    result = signed.verify()
    assert result.ok, result.summary()
    assert (result.chain_ok, result.signature, result.witness, result.records) == (
        True,
        "valid",
        "match",
        6,
    )


def test_edited_record(signed: AuditLog) -> None:
    db(signed).execute("UPDATE audit_log SET details = '{\"n\": 99}' WHERE seq = 3")
    result = signed.verify()
    assert not result.ok
    assert not result.chain_ok
    assert "record 3 was modified" in result.summary()


def test_deleted_record(signed: AuditLog) -> None:
    db(signed).execute("DELETE FROM audit_log WHERE seq = 2")
    result = signed.verify()
    assert not result.chain_ok
    assert "deleted or inserted" in result.summary()


def test_inserted_record(signed: AuditLog) -> None:
    conn = db(signed)
    conn.execute("UPDATE audit_log SET seq = -seq WHERE seq >= 4")  # make room at 4
    conn.execute("UPDATE audit_log SET seq = 1 - seq WHERE seq < 0")
    conn.execute(
        "INSERT INTO audit_log VALUES (4, '2026-01-01T00:00:00Z', 'mallory', 'access', 'x',"
        " NULL, '{}', 'forged', 'forged')"
    )
    assert not signed.verify().chain_ok


def test_reordered_records(signed: AuditLog) -> None:
    conn = db(signed)  # records 2 and 3 swap places
    conn.execute("UPDATE audit_log SET seq = -1 WHERE seq = 2")
    conn.execute("UPDATE audit_log SET seq = 2 WHERE seq = 3")
    conn.execute("UPDATE audit_log SET seq = 3 WHERE seq = -1")
    result = signed.verify()
    assert not result.chain_ok
    assert "record 2" in result.summary()


def test_truncated_log_is_caught_by_signature_and_witness(signed: AuditLog) -> None:
    conn = db(signed)
    conn.execute("DELETE FROM audit_log WHERE seq >= 5")
    last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    conn.execute("UPDATE audit_head SET seq = ?, hash = ?", last)  # a careful forger
    result = signed.verify()
    assert result.chain_ok  # the chain alone cannot see a truncation
    assert result.signature == "invalid"
    assert result.witness == "mismatch"
    assert not result.ok
    with pytest.raises(AuditIntegrityError, match="truncated or rewritten"):
        signed.verify(strict=True)


def test_fully_recomputed_chain_is_caught(signed: AuditLog, tmp_path: Path) -> None:
    # the forger edits a record, recomputes every hash and rewrites the head, but has
    # neither the HMAC key nor the witness file
    from privlab.governance._audit import _record_hash

    conn = db(signed)
    rows = conn.execute("SELECT * FROM audit_log ORDER BY seq").fetchall()
    prev = ""
    conn.execute("DELETE FROM audit_log")
    for seq, ts, who, event, ds, rel, details, _prev, _hash in rows:
        if seq == 2:
            details = '{"n":42}'
        digest = _record_hash(seq, ts, who, event, ds, rel, details, prev)
        conn.execute(
            "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, ts, who, event, ds, rel, details, prev, digest),
        )
        prev = digest
    conn.execute("UPDATE audit_head SET hash = ?, signature = 'f00d'", (prev,))
    result = signed.verify()
    assert result.chain_ok
    assert result.signature == "invalid"
    assert result.witness == "mismatch"
    assert not result.ok


def test_unsigned_log_reports_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRIVLAB_AUDIT_KEY", raising=False)
    log = AuditLog()
    log.append("access")
    result = log.verify()
    assert result.ok
    assert result.signature == "unsigned"
    assert "set PRIVLAB_AUDIT_KEY" in result.summary()


def test_missing_witness_fails(signed: AuditLog) -> None:
    signed.witness.unlink()
    result = signed.verify()
    assert result.witness == "missing"
    assert not result.ok


def test_secrets_and_unknown_events_are_refused(signed: AuditLog) -> None:
    with pytest.raises(PrivlabError, match="look like secrets"):
        signed.append("access", details={"pseudonym_key": "s3cr3t"})
    with pytest.raises(PrivlabError, match="look like secrets"):
        signed.append("access", details={"nested": {"api_token": "x"}})
    with pytest.raises(PrivlabError, match="unknown audit event"):
        signed.append("teleport")
    signed.append("access", details={"key_env": "PRIVLAB_PSEUDONYM_KEY"})  # a name is fine
    assert signed.verify().ok


def test_key_never_stored(signed: AuditLog) -> None:
    store_bytes = Path(signed.store.path).read_bytes()
    for extra in (".sqlite-wal",):
        wal = Path(str(signed.store.path).replace(".sqlite", extra))
        if wal.exists():
            store_bytes += wal.read_bytes()
    assert b"test-hmac-key-0123456789" not in store_bytes
    assert "test-hmac-key" not in signed.witness.read_text()


def _append_forever(home: str, key: str) -> None:
    os.environ["PRIVLAB_HOME"] = home
    os.environ["PRIVLAB_AUDIT_KEY"] = key
    log = AuditLog()
    i = 0
    while True:
        log.append("access", details={"i": i})
        i += 1


def test_killed_writer_leaves_a_verifiable_log(
    monkeypatch: pytest.MonkeyPatch, privlab_home: Path
) -> None:
    monkeypatch.setenv("PRIVLAB_AUDIT_KEY", "k-kill")
    AuditLog().append("access")  # schema in place before the child starts
    proc = mp.get_context("spawn").Process(
        target=_append_forever, args=(str(privlab_home), "k-kill")
    )
    proc.start()
    deadline = time.time() + 20
    log = AuditLog()
    while time.time() < deadline and len(log.events()) < 30:
        time.sleep(0.05)
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    result = log.verify()
    assert result.chain_ok, result.summary()
    assert result.witness in ("match", "behind")
    assert result.ok
    assert json.loads(log.witness.read_text())["seq"] <= result.records
    assert open_store().path.exists()
