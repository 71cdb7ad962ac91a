"""A store written by privlab 0.1.0 (commit 26212fd) opens, migrates, verifies and reads.

The fixture (``fixtures/store_0_1_0.sqlite`` and its audit witness) was written
by the 0.1.0 code with ``fixtures/make_store_0_1_0.py``, whose docstring lists
what it holds. Each test works on a copy: the committed files never change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import shutil
import sqlite3
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

import privlab as pv
import privlab.dp as pdp
from privlab.governance import AuditLog, Governance
from privlab.store import Store, open_store

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STORE = FIXTURES / "store_0_1_0.sqlite"
WITNESS = FIXTURES / "audit-witness_0_1_0.json"


def _maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_store_0_1_0", FIXTURES / "make_store_0_1_0.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _maker()
DIGESTS = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (STORE, WITNESS)}


@pytest.fixture
def old_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PRIVLAB_HOME holding a copy of the 0.1.0 store and witness, with its audit key."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(STORE, home / "privlab.sqlite")
    shutil.copyfile(WITNESS, home / "audit-witness.json")
    monkeypatch.setenv("PRIVLAB_HOME", str(home))
    monkeypatch.setenv("PRIVLAB_AUDIT_KEY", MAKER.AUDIT_KEY)
    monkeypatch.delenv("PRIVLAB_AUDIT_WITNESS", raising=False)
    monkeypatch.setenv("PRIVLAB_USER", MAKER.USER)
    return home


def _raw(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _raw_write(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def _open_every_component(store: Store) -> None:
    """What opening privlab does: the ledger, the catalog and the audit log migrate."""
    pdp.Ledger(store)
    Governance(store)


def _columns(path: Path) -> dict[str, list[str]]:
    tables = [r[0] for r in _raw(path, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {
        str(t): sorted(str(r[1]) for r in _raw(path, f"PRAGMA table_info('{t}')"))
        for t in sorted(tables)
        if not str(t).startswith("sqlite_")
    }


def test_every_component_migrates_to_the_schema_of_a_new_store(
    old_home: Path, tmp_path: Path
) -> None:
    path = old_home / "privlab.sqlite"
    before = dict(_raw(path, "SELECT component, version FROM schema_versions"))
    assert before == {"core": 2, "catalog": 1, "audit": 1, "dp_ledger": 1}
    store = open_store()
    _open_every_component(store)
    fresh = Store(tmp_path / "fresh.sqlite")
    _open_every_component(fresh)
    assert store.schema_versions() == fresh.schema_versions()
    assert store.schema_versions()["dp_ledger"] == 2
    assert _columns(path) == _columns(fresh.path)
    # opening again changes nothing
    again = open_store()
    _open_every_component(again)
    assert again.schema_versions() == fresh.schema_versions()


def test_dp_ledger_migration_2_rewrites_timestamps_to_z_keeping_the_instant(
    old_home: Path,
) -> None:
    path = old_home / "privlab.sqlite"
    sql = "SELECT id, created_at, settled_at FROM dp_ledger ORDER BY id"
    old = _raw(path, sql)
    assert len(old) == 3
    assert all(str(c).endswith("+00:00") and str(s).endswith("+00:00") for _, c, s in old)
    pdp.Ledger(open_store())
    new = _raw(path, sql)
    assert [r[0] for r in new] == [r[0] for r in old]
    for (_, c_old, s_old), (_, c_new, s_new) in zip(old, new, strict=True):
        assert str(c_new).endswith("Z")
        assert str(s_new).endswith("Z")
        assert dt.datetime.fromisoformat(str(c_new)) == dt.datetime.fromisoformat(str(c_old))
        assert dt.datetime.fromisoformat(str(s_new)) == dt.datetime.fromisoformat(str(s_old))


def test_audit_chain_signature_and_witness_of_the_old_log_verify(old_home: Path) -> None:
    """0.1's unkeyed chain verifies, and migrating anchors it: the state the store held is
    recorded (signed) in snapshot records, checked against 0.1's own witness file."""
    _open_every_component(open_store())
    audit = AuditLog(open_store())
    result = audit.verify()
    assert result.ok, result.summary()
    assert result.chain_ok
    assert result.signature == "valid"
    assert result.witness == "match"
    assert "10 record(s) before the first signed one are unsigned" in result.summary()
    events = [e.event for e in audit.events()]
    assert events[:4] == ["register", "profile", "approval", "register"]
    assert events.count("release") == 4
    assert events[10:] == ["snapshot", "snapshot"]  # the store's state, the catalog's
    store_snapshot = audit.events()[10].details
    assert store_snapshot["legacy_witness"] == "match"
    assert sorted(store_snapshot["ledger"]) == ["1", "2", "3"]
    # the current code appends to the old chain and the whole log still verifies
    audit.append("access", dataset="visits", details={"action": "read"})
    assert audit.verify().ok


def test_a_tampered_old_log_is_detected(old_home: Path) -> None:
    _raw_write(
        old_home / "privlab.sqlite",
        "UPDATE audit_log SET principal = 'mallory' WHERE seq = 3",
    )
    result = AuditLog(open_store()).verify()
    assert not result.ok
    assert not result.chain_ok


def test_datasets_budgets_ledger_and_releases_read_back(old_home: Path) -> None:
    gov = pv.Governance()
    datasets = {d.name: d for d in gov.datasets()}
    assert set(datasets) == {"visits", "staff"}
    assert datasets["visits"].status == "approved"
    assert datasets["visits"].department == "cardiology"
    assert datasets["visits"].roles == {
        "age": "quasi_identifier",
        "sex": "quasi_identifier",
        "dx": "sensitive",
    }
    assert datasets["staff"].status == "pending"
    budget = pdp.budget("visits")
    assert budget.epsilon_total == 2.0
    assert budget.epsilon_spent == pytest.approx(0.75)  # the cancelled 0.1 is given back
    ledger = pdp.ledger().sort("id")
    assert ledger["dataset"].to_list() == ["visits"] * 3
    assert ledger["statistic"].to_list() == ["count()", "mean(charges)", "count()"]
    assert ledger["status"].to_list() == ["spent", "spent", "cancelled"]
    assert ledger["epsilon"].to_list() == pytest.approx([0.25, 0.5, 0.1])
    assert ledger["created_at"].dtype == pl.Datetime("us", "UTC")
    kinds = sorted(r.kind for r in gov.releases("visits"))
    assert kinds == ["anonymized", "dp", "dp", "synthetic"]
    # and the migrated store keeps working: a new DP release is charged against the old spend
    with pdp.DPSession(MAKER.visits_frame(), dataset="visits") as session:
        session.count(epsilon=0.25)
    assert pdp.budget("visits").epsilon_spent == pytest.approx(1.0)


def test_the_committed_fixture_is_never_modified() -> None:
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in DIGESTS} == DIGESTS


def test_a_0_1_log_edited_behind_its_witness_is_reported(old_home: Path) -> None:
    """Attacker: edits and re-chains 0.1's log (whose chain anyone can recompute) before
    the upgrade. Must not achieve: the upgrade anchoring the forgery as if it were true —
    0.1's witness no longer matches, and verify says so from then on."""
    from privlab.store import record_hash

    path = old_home / "privlab.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    rows = conn.execute(
        "SELECT seq, ts, principal, event, dataset, release, details FROM audit_log ORDER BY seq"
    ).fetchall()
    prev = ""
    for seq, ts, who, event, dataset, release, details in rows:
        who = "mallory" if seq == 3 else who
        digest = record_hash(seq, ts, who, event, dataset, release, details, prev)
        conn.execute(
            "UPDATE audit_log SET principal = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (who, prev, digest, seq),
        )
        prev = digest
    conn.execute("UPDATE audit_head SET hash = ?", (prev,))
    conn.close()
    result = AuditLog(open_store()).verify()
    assert not result.ok
    assert "privlab 0.1's witness did not match its log" in result.summary()
