"""Trials against the audit log by an insider who can write the store (and sometimes the witness).

None of them has ``PRIVLAB_AUDIT_KEY``: it lives with the honest users'
processes (the ``keyed`` fixture), never in the store or the witness.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from privlab.exceptions import AuditIntegrityError
from privlab.governance import AuditLog, Governance, Policy
from privlab.store import record_hash

from .conftest import cli, forger


def _log(n: int = 5) -> AuditLog:
    log = AuditLog()
    for i in range(n):
        log.append("access", dataset="visits", details={"n": i})
    return log


def _rechain(home: Path, *, edit: int | None = None, keep: int | None = None) -> list[str]:
    """The forger's tool: edit/truncate, recompute every SHA-256, strip every MAC."""
    conn = forger(home)
    if keep is not None:
        conn.execute("DELETE FROM audit_log WHERE seq > ?", (keep,))
    rows = conn.execute(
        "SELECT seq, ts, principal, event, dataset, release, details FROM audit_log ORDER BY seq"
    ).fetchall()
    prev, hashes = "", []
    for seq, ts, who, event, dataset, release, details in rows:
        if seq == edit:
            who, details = "nobody", '{"n":42}'
        digest = record_hash(seq, ts, who, event, dataset, release, details, prev)
        conn.execute(
            "UPDATE audit_log SET principal = ?, details = ?, prev_hash = ?, hash = ?,"
            " mac = NULL, key_id = NULL WHERE seq = ?",
            (who, details, prev, digest, seq),
        )
        prev = digest
        hashes.append(digest)
    return hashes


def _rewrite_witness(log: AuditLog, hashes: list[str]) -> None:
    """The forger rewrites the witness file to match the forged log."""
    header = log.witness.read_text().splitlines()[0]
    lines = [
        json.dumps({"seq": i, "hash": h, "mac": None, "key_id": None}, separators=(",", ":"))
        for i, h in enumerate(hashes, start=1)
    ]
    log.witness.write_text(header + "\n" + "\n".join(lines) + "\n")


@pytest.mark.parametrize("attack", ["edit", "truncate"])
def test_recomputed_chain_stripped_signatures_rewritten_witness(
    keyed: str, privlab_home: Path, attack: str
) -> None:
    """Attacker: writes the SQLite store and the witness file, has no key.

    They edit record 3 (or drop the last two), recompute the whole public
    SHA-256 chain, strip every signature (set the MACs to NULL) and rewrite
    the witness to match. Must not achieve: ``privlab audit verify`` saying
    OK with the key set, nor an honest append that signs over the forgery.
    """
    log = _log()
    hashes = _rechain(privlab_home, **({"edit": 3} if attack == "edit" else {"keep": 3}))
    _rewrite_witness(log, hashes)
    result = AuditLog().verify()
    assert not result.ok
    assert result.chain_ok  # the public chain alone is consistent again…
    assert result.signature == "unsigned"  # …but the key's signatures are gone
    assert "newest record" in result.summary()
    run = cli("audit", "verify")
    assert run.code == 1
    assert "FAILED" in run.out
    with pytest.raises(AuditIntegrityError, match="unsigned but PRIVLAB_AUDIT_KEY is set"):
        log.append("access")  # the next honest command does not launder it
    assert not AuditLog().verify().ok


def test_truncated_tail_is_not_laundered_by_the_next_honest_append(
    keyed: str, privlab_home: Path
) -> None:
    """Attacker: writes the store only (not the witness), has no key.

    They delete the newest records. Must not achieve: an honest command
    appending after the truncation and re-signing the head so that verify
    passes again (the laundering the issue measured).
    """
    log = _log(6)
    forger(privlab_home).execute("DELETE FROM audit_log WHERE seq >= 5")
    assert not log.verify().ok
    with pytest.raises(AuditIntegrityError, match=r"witness .* recorded record 6"):
        log.append("access")
    gov = Governance()
    with pytest.raises(AuditIntegrityError):  # any state change is refused, not just appends
        gov.register_dataset("x", pl.DataFrame({"a": [1]}))
    assert [d.name for d in gov.datasets()] == []  # and changed nothing
    result = log.verify()
    assert not result.ok
    assert result.witness == "mismatch"
    assert "records were deleted" in result.summary()


def test_edit_and_rechain_without_the_witness(keyed: str, privlab_home: Path) -> None:
    """Attacker: writes the store only, has no key.

    They edit a record and recompute the chain (keeping the MACs they cannot
    recompute). Must not achieve: verify OK, or an honest append over it.
    """
    log = _log()
    conn = forger(privlab_home)
    rows = conn.execute(
        "SELECT seq, ts, principal, event, dataset, release, details FROM audit_log ORDER BY seq"
    ).fetchall()
    prev = ""
    for seq, ts, who, event, dataset, release, details in rows:
        if seq == 2:
            who = "nobody"
        digest = record_hash(seq, ts, who, event, dataset, release, details, prev)
        conn.execute(
            "UPDATE audit_log SET principal = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (who, prev, digest, seq),
        )
        prev = digest
    result = log.verify()
    assert not result.ok
    assert result.signature == "invalid"
    assert result.witness == "mismatch"
    assert "record 2's signature does not verify" in result.summary()
    with pytest.raises(AuditIntegrityError, match="refusing to extend"):
        log.append("access")


def test_rollback_of_store_and_witness_is_caught_only_by_a_checkpoint(
    keyed: str, privlab_home: Path, tmp_path: Path
) -> None:
    """Attacker: can replace the store *and* the witness with older copies they kept.

    Must not achieve: going unnoticed by someone holding a checkpoint taken
    after the copies. (Without a checkpoint this is undetectable — the README
    says so; the first assertion documents that limit.)
    """
    log = _log(3)
    old = tmp_path / "old"
    old.mkdir()
    for name in ("privlab.sqlite", "privlab.sqlite-wal", "privlab.sqlite-shm"):
        if (privlab_home / name).exists():
            shutil.copy2(privlab_home / name, old / name)
    shutil.copy2(log.witness, old / log.witness.name)
    log.append("release", dataset="visits", details={"rows": 10})
    mark = log.checkpoint()  # printed and kept elsewhere by the honest admin
    for item in old.iterdir():
        shutil.copy2(item, privlab_home / item.name)
    assert AuditLog().verify().ok  # the limit: a consistent older state verifies
    run = cli("audit", "verify", "--checkpoint", mark)
    assert run.code == 1
    assert "behind the checkpoint at record 4" in run.out


def _forge_signature(log: AuditLog, home: Path) -> None:
    """Edit record 3's MAC in the store and in the witness (no key needed to write bytes)."""
    genuine = log.events()[2].mac
    assert genuine is not None
    forger(home).execute("UPDATE audit_log SET mac = ? WHERE seq = 3", ("f" * 64,))
    log.witness.write_text(log.witness.read_text().replace(genuine, "f" * 64))


@pytest.mark.parametrize("mode", ["personal", "governed"])
def test_verify_without_the_key(keyed: str, privlab_home: Path, monkeypatch, mode: str) -> None:
    """Attacker: writes the store and the witness, has no key; forges a record's signature.

    Must not achieve: a verify run *with* the key passing; in governed mode a
    verify run without the key passing (it must say "cannot verify: no key" and
    exit non-zero). In personal mode without the key it must say plainly that
    the signatures were not checked.
    """
    if mode == "governed":
        Governance().install_policy(Policy.from_dict({"name": "p", "rules": {}}))
    log = _log(3)
    _forge_signature(log, privlab_home)
    assert "signature does not verify" in log.verify().summary()  # the key sees it
    monkeypatch.delenv("PRIVLAB_AUDIT_KEY")
    run = cli("audit", "verify")
    if mode == "personal":  # the limit without a key, said plainly
        assert run.code == 0
        assert "signatures not checked: no key" in run.out
    else:
        assert run.code == 1
        assert "cannot verify: no key" in run.out


def test_deleted_store_with_a_witness(privlab_home: Path, people: Path) -> None:
    """Attacker: deletes ``privlab.sqlite`` (and its -wal/-shm); cannot reach the witness.

    Must not achieve: a fresh store that verifies as a clean short log, nor
    commands that quietly start a new history on top of it.
    """
    gov = Governance()
    gov.register_dataset("visits", pl.read_csv(people))
    for name in ("privlab.sqlite", "privlab.sqlite-wal", "privlab.sqlite-shm"):
        (privlab_home / name).unlink(missing_ok=True)
    run = cli("catalog", "register", people, "--name", "fresh", "--no-profile")
    assert run.code == 2
    assert "belongs to store" in run.err
    assert "deleted, replaced or re-created" in run.err
    assert "Traceback" not in run.err
    verify = cli("audit", "verify")
    assert verify.code == 1
    assert "witness foreign" in verify.out


def test_dropped_audit_table_is_one_clear_line(privlab_home: Path, people: Path) -> None:
    """Attacker: runs ``DROP TABLE audit_log`` on the store.

    Must not achieve: a traceback (an unreadable failure someone shrugs off),
    a passing verify, or state changes made without records.
    """
    _log(2)
    forger(privlab_home).execute("DROP TABLE audit_log")
    verify = cli("audit", "verify")
    assert verify.code == 1
    assert "audit_log table was dropped or altered" in verify.out
    assert "Traceback" not in verify.out + verify.err
    run = cli("catalog", "register", people, "--name", "x", "--no-profile")
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert "dropped or altered" in run.err


@pytest.fixture
def spent(keyed: str) -> Governance:
    """A dataset with ε budget 1 and two spends recorded by the DP ledger."""
    import privlab.dp as pdp

    frame = pl.DataFrame({"x": list(range(300))})
    with pdp.DPSession(frame, dataset="visits") as session:
        session.release_many([pdp.count(), pdp.sum("x", bounds=(0, 300))], epsilon=0.2)
    return Governance()


def test_edited_ledger_is_caught(spent: Governance, privlab_home: Path) -> None:
    """Attacker: writes ``dp_ledger`` directly: sets a spend's ε to 0.

    Must not achieve: giving ε back unnoticed (verify recomputes the ledger
    from the audit log and compares).
    """
    assert spent.audit.verify().ok
    forger(privlab_home).execute("UPDATE dp_ledger SET epsilon = 0 WHERE id = 1")
    result = spent.audit.verify()
    assert not result.ok
    assert result.state == "mismatch"
    assert "DP ledger row 1" in result.summary()
    assert "edited directly" in result.summary()


def test_deleted_ledger_rows_are_caught(spent: Governance, privlab_home: Path) -> None:
    """Attacker: deletes every ``dp_ledger`` row. Must not achieve: a fresh budget unnoticed."""
    forger(privlab_home).execute("DELETE FROM dp_ledger")
    result = spent.audit.verify()
    assert not result.ok
    assert "missing from the table (deleted)" in result.summary()


def test_raised_budget_in_sqlite_is_caught(spent: Governance, privlab_home: Path) -> None:
    """Attacker: raises a dataset's ε budget from 1 to 1000 in SQLite.

    Must not achieve: more ε to spend without a record (verify recomputes the
    budgets from the audit log).
    """
    forger(privlab_home).execute("UPDATE datasets SET epsilon_budget = 1000")
    result = spent.audit.verify()
    assert not result.ok
    assert "ε=1000, δ=1e-06 in the store but ε=1, δ=1e-06 in the audit log" in result.summary()


def test_uninstalled_policy_in_sqlite_is_caught(keyed: str, privlab_home: Path) -> None:
    """Attacker: deactivates the installed policy in SQLite (governed → personal mode).

    Must not achieve: a store that verifies while its policy was switched off.
    """
    gov = Governance()
    gov.install_policy(Policy.from_dict({"name": "p", "rules": {"min_k": 5}}))
    forger(privlab_home).execute("UPDATE policies SET active = 0")
    result = gov.audit.verify()
    assert not result.ok
    assert "active policy is none in the store" in result.summary()


def test_deleted_or_forged_dataset_link_is_caught(keyed: str, privlab_home: Path) -> None:
    """Attacker: a sample of a registered table was linked to its budget (a DP session
    on the derived data spends the original's ε); the attacker deletes the row of
    ``identity_links`` in SQLite to give the sample a fresh budget of its own — or
    inserts a link to move a dataset onto a roomier budget.
    Must not achieve: either edit verifying (verify replays link/unlink records)."""
    import privlab.dp as pdp

    base = pl.DataFrame({"x": [i * 1.5 for i in range(400)], "g": ["a", "b"] * 200})
    with pdp.DPSession(base, dataset="full"):
        pass
    with pdp.DPSession(base.head(300), dataset="sample"):
        pass
    log = AuditLog()
    assert [e.event for e in log.events(event="link")] == ["link"]
    assert log.verify().ok
    conn = forger(privlab_home)
    conn.execute("DELETE FROM identity_links")
    result = log.verify()
    assert not result.ok
    assert "'sample' shares the budget of 'no dataset' in the store, of 'full' in the log" in (
        result.summary()
    )
    conn.execute(
        "INSERT INTO identity_links (dataset_id, budget_of, evidence, principal, created_at) "
        "SELECT s.id, f.id, '{}', 'x', 't' FROM datasets s, datasets f "
        "WHERE s.name = 'full' AND f.name = 'sample'"
    )
    assert "'full' shares the budget of 'sample' in the store" in log.verify().summary()
