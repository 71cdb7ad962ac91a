"""Audit log: the keyed chain, the witness, checkpoints, key rotation, and no secret logged.

Attacks by someone who can write the store (each with its attacker) live in
``tests/security/test_audit_attacks.py``; this file checks the mechanics.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privlab.exceptions import AuditIntegrityError, PrivlabError
from privlab.governance import AuditLog
from privlab.store import open_store, record_hash

KEY = "test-hmac-key-0123456789"


@pytest.fixture
def signed(monkeypatch: pytest.MonkeyPatch) -> AuditLog:
    monkeypatch.setenv("PRIVLAB_AUDIT_KEY", KEY)
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
    assert [e.seq for e in signed.events()] == [1, 2, 3, 4, 5, 6]
    assert all(e.mac and e.key_id for e in signed.events())


def test_edited_record(signed: AuditLog) -> None:
    db(signed).execute("UPDATE audit_log SET details = '{\"n\":99}' WHERE seq = 3")
    result = signed.verify()
    assert not result.ok
    assert not result.chain_ok
    assert "record 3 was modified" in result.summary()


def test_deleted_record(signed: AuditLog) -> None:
    db(signed).execute("DELETE FROM audit_log WHERE seq = 2")
    result = signed.verify()
    assert not result.chain_ok
    assert "record 2 is missing" in result.summary()


def test_reordered_records(signed: AuditLog) -> None:
    conn = db(signed)  # records 2 and 3 swap contents
    conn.execute("UPDATE audit_log SET seq = -1 WHERE seq = 2")
    conn.execute("UPDATE audit_log SET seq = 2 WHERE seq = 3")
    conn.execute("UPDATE audit_log SET seq = 3 WHERE seq = -1")
    result = signed.verify()
    assert not result.chain_ok
    assert "record 2" in result.summary()


def test_append_refuses_to_extend_an_edited_tail(signed: AuditLog) -> None:
    db(signed).execute("UPDATE audit_log SET principal = 'mallory' WHERE seq = 6")
    with pytest.raises(AuditIntegrityError, match=r"refusing to extend .*record 6"):
        signed.append("access")
    assert len(signed.events()) == 6  # nothing appended


def test_checkpoint_round_trip(signed: AuditLog) -> None:
    mark = signed.checkpoint()
    seq, mac = mark.split(":")
    assert seq == "6"
    assert mac == signed.events()[-1].mac
    signed.append("access")
    assert signed.verify(checkpoint=mark).checkpoint == "match"
    assert signed.verify(checkpoint="6:" + "0" * 64).checkpoint == "mismatch"
    behind = signed.verify(checkpoint="99:" + mac)
    assert behind.checkpoint == "behind"
    assert not behind.ok
    with pytest.raises(PrivlabError, match="SEQ:MAC"):
        signed.verify(checkpoint="nonsense")


def test_unsigned_log_in_personal_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRIVLAB_AUDIT_KEY", raising=False)
    log = AuditLog()
    log.append("access")
    result = log.verify()
    assert result.ok
    assert result.signature == "no key"
    assert "signatures not checked: no key" in result.summary()


def test_key_set_later_signs_from_there_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRIVLAB_AUDIT_KEY", raising=False)
    log = AuditLog()
    log.append("access")
    monkeypatch.setenv("PRIVLAB_AUDIT_KEY", KEY)
    unsigned = log.verify()  # with a key, an unsigned head is not OK (stripped signatures?)
    assert unsigned.signature == "unsigned"
    assert not unsigned.ok
    with pytest.raises(AuditIntegrityError, match="rotate-key"):
        log.append("access")  # nor extended silently
    start = log.rotate_key(None)  # starting to sign is an explicit, audited step
    assert start.details["from_key_id"] is None
    assert start.mac
    log.append("access")
    result = log.verify()
    assert result.ok, result.summary()
    assert result.signature == "valid"
    assert "1 record(s) before the first signed one are unsigned" in result.summary()


def test_a_signed_log_refuses_unsigned_appends(signed: AuditLog, monkeypatch) -> None:
    monkeypatch.delenv("PRIVLAB_AUDIT_KEY")
    with pytest.raises(AuditIntegrityError, match="PRIVLAB_AUDIT_KEY is not set"):
        signed.append("access")
    assert len(signed.events()) == 6


def test_key_rotation_keeps_the_log_verifiable(signed: AuditLog, monkeypatch) -> None:
    monkeypatch.setenv("PRIVLAB_AUDIT_KEY", "the-new-key")
    with pytest.raises(AuditIntegrityError, match="rotate-key"):
        signed.append("access")  # the tail was signed with the old key
    rotation = signed.rotate_key(KEY)
    assert rotation.details["endorsement"]
    assert rotation.details["lost"] is False
    signed.append("access")
    result = signed.verify()
    assert result.ok, result.summary()
    assert "retired key were not checked" in result.summary()
    assert signed.verify(previous_keys=[KEY]).summary().count("retired") == 0
    monkeypatch.setenv("PRIVLAB_AUDIT_KEY", "a-third-key")
    with pytest.raises(AuditIntegrityError, match="did not sign the newest record"):
        AuditLog().rotate_key("not-the-old-key")


def test_lost_key_rotation(signed: AuditLog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVLAB_AUDIT_KEY", "replacement-key")
    with pytest.raises(PrivlabError, match="previous key"):
        signed.rotate_key(None)  # the log is signed: the old key, or declare it lost
    rotation = signed.rotate_key(None, lost=True)
    assert rotation.details["lost"] is True
    assert "endorsement" not in rotation.details
    assert signed.verify().ok


def test_secrets_and_unknown_events_are_refused(signed: AuditLog) -> None:
    with pytest.raises(PrivlabError, match="look like secrets"):
        signed.append("access", details={"pseudonym_key": "s3cr3t"})
    with pytest.raises(PrivlabError, match="look like secrets"):
        signed.append("access", details={"nested": {"api_token": "x"}})
    with pytest.raises(PrivlabError, match="unknown audit event"):
        signed.append("teleport")
    with pytest.raises(PrivlabError, match="finite"):
        signed.append("access", details={"risk": float("nan")})
    signed.append("access", details={"key_env": "PRIVLAB_PSEUDONYM_KEY"})  # a name is fine
    assert signed.verify().ok


def test_key_never_stored(signed: AuditLog) -> None:
    store_bytes = Path(signed.store.path).read_bytes()
    wal = Path(str(signed.store.path) + "-wal")
    if wal.exists():
        store_bytes += wal.read_bytes()
    assert KEY.encode() not in store_bytes
    assert KEY not in signed.witness.read_text()


def test_witness_is_append_only_and_fsynced(signed: AuditLog, monkeypatch) -> None:
    before = signed.witness.read_bytes()
    inode = signed.witness.stat().st_ino
    flags: list[int] = []
    synced: list[int] = []
    real_open, real_fsync = os.open, os.fsync

    def spy_open(path, flag, *args):  # type: ignore[no-untyped-def]
        if str(path) == str(signed.witness):
            flags.append(flag)
        return real_open(path, flag, *args)

    def spy_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr(os, "fsync", spy_fsync)
    signed.append("access")
    after = signed.witness.read_bytes()
    assert after.startswith(before)
    assert len(after) > len(before)
    assert signed.witness.stat().st_ino == inode  # never replaced
    assert flags
    assert all(f & os.O_APPEND for f in flags)
    assert synced  # flushed to disk
    assert oct(signed.witness.stat().st_mode & 0o777) == "0o600"
    lines = after.decode().splitlines()
    assert json.loads(lines[0])["store_id"] == signed.store.store_id
    assert json.loads(lines[-1])["seq"] == 7


@given(
    text=st.text(max_size=30),
    seq=st.integers(min_value=1, max_value=10**12),
    nullable=st.one_of(st.none(), st.text(max_size=10)),
)
def test_fast_record_hash_equals_canonical_json(text: str, seq: int, nullable: str | None) -> None:
    """record_hash builds the canonical JSON by hand; it must equal json.dumps(sort_keys)."""
    import hashlib

    record = {
        "seq": seq,
        "ts": text,
        "principal": text[::-1],
        "event": "access",
        "dataset": nullable,
        "release": None,
        "details": json.dumps({"t": text}),
        "prev_hash": text,
    }
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    expected = hashlib.sha256(canonical.encode()).hexdigest()
    got = record_hash(seq, text, text[::-1], "access", nullable, None, record["details"], text)
    assert got == expected


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
    assert result.ok, result.summary()
    log.append("access")  # an honest append after the crash extends the log
    assert log.verify().witness == "match"
    assert open_store().path.exists()
