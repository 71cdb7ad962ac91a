"""privlab.store: migrations, dataset identity, budgets, transactions, concurrency."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import shutil
import sqlite3
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import privlab as pv
from privlab.exceptions import (
    AuditIntegrityError,
    DatasetNotFoundError,
    PrivlabError,
    StoreError,
    StoreSchemaError,
)
from privlab.store import AuditRecord, Store, append_audit, open_store, parse_records, read_records

LEGACY = Path(__file__).parent / "fixtures" / "governed_0_1_0"


def _audit(store: Store) -> list[AuditRecord]:
    with store.read() as conn:
        return parse_records(read_records(conn))


def fp(content: str, rows: int = 10, schema: str = "s1") -> SimpleNamespace:
    return SimpleNamespace(
        content_hash=content, schema_hash=schema, rows=rows, schema=[("age", "Int64")]
    )


def tables(store: Store) -> set[str]:
    with store.read() as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


# -- file, WAL, locks ----------------------------------------------------------------------


def test_store_lives_under_privlab_home_in_wal_mode(privlab_home: Path) -> None:
    store = open_store()
    assert store.path == privlab_home / "privlab.sqlite"
    with store.read() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    # the mode is persistent in the file: a plain connection sees it too
    raw = sqlite3.connect(store.path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()
    assert store.schema_versions() == {"audit": 3, "core": 3}
    assert {"datasets", "dataset_names", "dataset_versions", "schema_versions"} <= tables(store)


def test_open_store_creates_a_missing_home(tmp_path: Path) -> None:
    store = open_store(tmp_path / "a" / "b")
    assert store.path.is_file()
    with pv.config_context(home=tmp_path / "c"):
        assert open_store().path == tmp_path / "c" / "privlab.sqlite"


def _in_thread(fn: Any) -> Any:
    """Run *fn* in another thread (its own connection), returning its result or error."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


def test_a_reader_sees_a_snapshot_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    writer, other = Store(tmp_path / "s.sqlite"), Store(tmp_path / "s.sqlite", timeout=0.05)
    owner = writer.resolve_dataset("d").owner
    with writer.transaction() as conn:
        conn.execute("UPDATE datasets SET owner = 'new'")
        # another thread (like another process) is not blocked and sees committed state
        assert _in_thread(lambda: other.get_dataset("d").owner) == owner
        with pytest.raises(StoreError, match="busy: another process held its write lock"):
            _in_thread(lambda: other.set_budget("d", epsilon=2.0))
    assert other.get_dataset("d").owner == "new"


def test_nested_transactions_join_with_savepoints(tmp_path: Path) -> None:
    """A transaction opened inside another on the same file (even through another Store
    object) joins it instead of waiting for its own lock; an inner failure rolls back the
    inner block only, an outer failure everything; reads inside see the writes."""
    store, same_file = Store(tmp_path / "s.sqlite"), Store(tmp_path / "s.sqlite", timeout=0.05)
    store.resolve_dataset("d")
    with store.transaction():
        same_file.set_budget("d", epsilon=2.0)  # joins: no 'busy' after 0.05 s
        assert store.get_dataset("d").epsilon_budget == 2.0  # read-your-writes

        def inner() -> None:
            with same_file.transaction():
                same_file.set_budget("d", epsilon=5.0)
                raise StoreError("inner failure")

        with pytest.raises(StoreError):
            inner()
        assert store.get_dataset("d").epsilon_budget == 2.0
    assert store.get_dataset("d").epsilon_budget == 2.0

    def outer() -> None:
        with store.transaction():
            store.set_budget("d", epsilon=9.0)
            raise RuntimeError("outer failure")

    with pytest.raises(RuntimeError):
        outer()
    assert store.get_dataset("d").epsilon_budget == 2.0
    events = [e.event for e in _audit(store)]
    assert events == ["dataset_created", "budget"]  # the rolled-back changes left no record


def test_read_is_read_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    with pytest.raises(sqlite3.OperationalError, match="readonly"), store.read() as conn:
        conn.execute("DELETE FROM datasets")


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "privlab.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"not a usable privlab store.*move it aside"):
        open_store(tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot create the store folder"):
        open_store(tmp_path / "file" / "sub")
    with pytest.raises(StoreError, match="must be a file"):
        Store(":memory:")


# -- schema versions and migrations --------------------------------------------------------


def test_migrations_apply_once_and_are_idempotent(tmp_path: Path) -> None:
    calls: list[int] = []

    def second(conn: sqlite3.Connection) -> None:
        calls.append(1)
        conn.execute("ALTER TABLE comp_t ADD COLUMN extra TEXT")

    migrations = ["CREATE TABLE comp_t (id INTEGER PRIMARY KEY)", second]
    store = Store(tmp_path / "s.sqlite")
    store.ensure_schema("comp", migrations)
    store.ensure_schema("comp", migrations)
    Store(tmp_path / "s.sqlite").ensure_schema("comp", migrations)  # a restart
    assert calls == [1]
    assert store.schema_version("comp") == 2
    # upgrading later (even through the same Store object) adds only the new step
    store.ensure_schema("comp", [*migrations, "CREATE TABLE comp_u (x)"])
    assert calls == [1]
    assert store.schema_versions() == {"audit": 3, "comp": 3, "core": 3}
    assert {"comp_t", "comp_u"} <= tables(store)


def test_newer_recorded_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).ensure_schema("comp", ["CREATE TABLE a (x)", "CREATE TABLE b (x)"])
    with pytest.raises(StoreSchemaError, match=r"'comp' at schema version 2.*newer privlab"):
        Store(path).ensure_schema("comp", ["CREATE TABLE a (x)"])
    with Store(path).transaction() as conn:  # as if a future privlab had migrated core
        conn.execute("UPDATE schema_versions SET version = 99 WHERE component = 'core'")
    with pytest.raises(StoreSchemaError, match="upgrade privlab"):
        Store(path)


def test_a_second_component_does_not_disturb_the_first(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    ledger = ["CREATE TABLE dp_spend (eps REAL)", "INSERT INTO dp_spend VALUES (0.5)"]
    store.ensure_schema("dp_ledger", ledger)
    store.ensure_schema("notes", ["CREATE TABLE notes_events (body TEXT)"])
    with pytest.raises(StoreError, match="migration 2 of component 'catalog' failed"):
        store.ensure_schema("catalog", ["CREATE TABLE catalog_r (x)", "NOT SQL"])
    assert store.schema_versions() == {"audit": 3, "core": 3, "dp_ledger": 2, "notes": 1}
    assert "catalog_r" not in tables(store)  # the failed component kept nothing
    with store.read() as conn:
        assert conn.execute("SELECT eps FROM dp_spend").fetchall() == [(0.5,)]
    store.ensure_schema("dp_ledger", ledger)  # still current: the insert is not repeated
    with store.read() as conn:
        assert conn.execute("SELECT count(*) FROM dp_spend").fetchone()[0] == 1


def test_sql_scripts_may_hold_triggers_and_semicolons_in_literals(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.ensure_schema(
        "notes",
        [
            """
            CREATE TABLE notes_log (id INTEGER PRIMARY KEY, body TEXT);
            -- append-only; updates are refused
            CREATE TRIGGER notes_no_update BEFORE UPDATE ON notes_log
            BEGIN
                SELECT RAISE(ABORT, 'notes_log is append-only; add a new event');
            END;
            INSERT INTO notes_log (body) VALUES ('a;b');
            """
        ],
    )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.transaction() as conn:
        conn.execute("UPDATE notes_log SET body = 'x'")
    with store.read() as conn:
        assert conn.execute("SELECT body FROM notes_log").fetchall() == [("a;b",)]


def test_migrations_must_keep_foreign_keys_and_the_transaction(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    orphan = [
        "CREATE TABLE dp_r (dataset_id INTEGER NOT NULL REFERENCES datasets(id))",
        "INSERT INTO dp_r VALUES (42)",
    ]
    with pytest.raises(StoreError, match=r"pointing at nothing.*dp_r"):
        store.ensure_schema("dp", orphan)

    def commits(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE x_t (x)")
        conn.commit()

    with pytest.raises(StoreError, match="ended the transaction"):
        store.ensure_schema("x", [commits])
    assert store.schema_versions() == {"audit": 3, "core": 3}
    assert "dp_r" not in tables(store)


# -- transactions ----------------------------------------------------------------------------


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.ensure_schema("c", ["CREATE TABLE c_t (x INTEGER)"])

    def insert_then_fail() -> None:
        with store.transaction() as conn:
            conn.execute("INSERT INTO c_t VALUES (1)")
            raise RuntimeError("boom")

    def commit_inside() -> None:
        with store.transaction(immediate=False) as conn:
            conn.execute("INSERT INTO c_t VALUES (3)")
            conn.commit()

    with pytest.raises(RuntimeError, match="boom"):
        insert_then_fail()
    with store.transaction() as conn:
        conn.execute("INSERT INTO c_t VALUES (2)")
    with store.read() as conn:
        assert conn.execute("SELECT x FROM c_t").fetchall() == [(2,)]
    with pytest.raises(StoreError, match="committed or rolled back inside"):
        commit_inside()


# -- datasets --------------------------------------------------------------------------------


def test_first_use_registers_with_config_budget() -> None:
    with pv.config_context(default_epsilon=2.0, default_delta=1e-7, user="ana"):
        ds = open_store().resolve_dataset("patients", fp("c1"))
    assert (ds.epsilon_budget, ds.delta_budget, ds.owner) == (2.0, 1e-7, "ana")
    assert (ds.name, ds.aliases) == ("patients", ("patients",))
    assert ds.versions[0].content_hash == "c1"
    assert (ds.versions[0].rows, ds.versions[0].schema) == (10, (("age", "Int64"),))
    assert ds.latest_version == ds.versions[0]
    assert open_store().resolve_dataset("other", owner="bo").owner == "bo"


def test_same_content_under_another_name_is_the_same_dataset() -> None:
    store = open_store()
    a = store.resolve_dataset("patients", fp("c1"))
    store.set_budget("patients", epsilon=0.5)
    b = store.resolve_dataset("renamed_copy", fp("c1"))
    assert b.id == a.id
    assert b.epsilon_budget == 0.5  # renaming never resets the budget
    assert b.aliases == ("patients", "renamed_copy")
    assert store.get_dataset("renamed_copy").name == "patients"
    assert len(b.versions) == 1
    assert len(store.list_datasets()) == 1


def test_known_name_with_new_content_adds_a_version_sharing_the_budget() -> None:
    store = open_store()
    a = store.resolve_dataset("patients", fp("c1"))
    store.set_budget("patients", epsilon=0.25)
    b = store.resolve_dataset("patients", fp("c2", rows=11, schema="s2"))
    assert b.id == a.id
    assert [v.content_hash for v in b.versions] == ["c1", "c2"]
    assert b.latest_version == b.versions[-1]
    assert b.versions[-1].schema_hash == "s2"
    assert b.epsilon_budget == 0.25
    assert store.find_by_fingerprint(fp("c2")) == b == store.find_by_fingerprint("c2")
    assert store.find_by_fingerprint("c3") is None
    assert store.resolve_dataset("patients", fp("c1")) == b  # resolving again changes nothing
    assert len(store.list_datasets()) == 1


def test_content_of_one_dataset_under_another_dataset_s_name_is_refused() -> None:
    store = open_store()
    store.resolve_dataset("a", fp("ca"))
    store.resolve_dataset("b", fp("cb"))
    with pytest.raises(StoreError, match=r"'b' belongs to dataset 'b'.*registered as dataset 'a'"):
        store.resolve_dataset("b", fp("ca"))  # would spend a's content against b's budget
    assert [v.content_hash for v in store.get_dataset("b").versions] == ["cb"]


def test_budget_and_identity_survive_a_restart(privlab_home: Path) -> None:
    first = open_store().resolve_dataset("claims", fp("x"))
    open_store().set_budget("claims", epsilon=4.0, delta=1e-5)
    reopened = Store(privlab_home / "privlab.sqlite")
    again = reopened.resolve_dataset("claims_renamed", fp("x"))
    assert again.id == first.id
    assert (again.epsilon_budget, again.delta_budget) == (4.0, 1e-5)
    assert reopened.get_dataset(first.id) == again


def test_a_real_fingerprint_is_accepted_and_no_value_is_stored(privlab_home: Path) -> None:
    import polars as pl  # here, not at the top: spawned workers import this module

    frame = pl.DataFrame({"full_name": ["Zebulon Quixotic-Value"], "ssn": ["987-65-4321"]})
    store = open_store()
    ds = store.resolve_dataset("people", pv.fingerprint(frame))
    assert ds.versions[0].schema == (("full_name", "String"), ("ssn", "String"))
    assert store.resolve_dataset("people_copy", pv.fingerprint(frame.clone())).id == ds.id
    stored = b"".join(p.read_bytes() for p in privlab_home.iterdir() if p.is_file())
    assert b"full_name" in stored  # column names are kept (schema drift needs them) ...
    for value in (b"Zebulon", b"Quixotic", b"987-65-4321"):  # ... values never
        assert value not in stored


def test_unknown_dataset_names_known_ones_and_suggests() -> None:
    store = open_store()
    with pytest.raises(DatasetNotFoundError, match=r"known names are \[\]; register one"):
        store.get_dataset("patients")
    store.resolve_dataset("patients")
    with pytest.raises(DatasetNotFoundError) as info:
        store.get_dataset("patient")
    assert isinstance(info.value, KeyError)
    assert str(info.value) == (
        f"no dataset 'patient' in the store {store.path}; known names are ['patients']"
        " — did you mean 'patients'?"
    )
    with pytest.raises(DatasetNotFoundError, match="no dataset 999"):
        store.get_dataset(999)
    with pytest.raises(DatasetNotFoundError, match="did you mean"):
        store.set_budget("patientz", epsilon=1.0)


def test_long_name_lists_are_cut_short() -> None:
    store = open_store()
    for i in range(25):
        store.resolve_dataset(f"t{i:02d}")
    with pytest.raises(DatasetNotFoundError, match=r"'t19', … and 5 more\]"):
        store.get_dataset("nope")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epsilon": -1.0}, "epsilon budget must be a finite number >= 0, got -1.0"),
        ({"epsilon": float("nan")}, "epsilon budget must be"),
        ({"epsilon": float("inf")}, "epsilon budget must be"),
        ({"epsilon": True}, "epsilon budget must be"),
        ({"epsilon": "1"}, "epsilon budget must be"),
        ({"delta": 1.0}, r"delta budget must be a number in \[0, 1\), got 1.0"),
        ({}, "needs epsilon= and/or delta="),
    ],
)
def test_bad_budget_is_refused_and_changes_nothing(kwargs: dict[str, object], match: str) -> None:
    store = open_store()
    before = store.resolve_dataset("d")
    with pytest.raises(StoreError, match=match):
        store.set_budget("d", **kwargs)  # type: ignore[arg-type]
    assert store.get_dataset("d") == before


def test_set_budget_by_id_and_zero_budgets() -> None:
    store = open_store()
    ds = store.resolve_dataset("d")
    after = store.set_budget(ds.id, epsilon=0, delta=0)
    assert (after.epsilon_budget, after.delta_budget) == (0.0, 0.0)


def test_attrs_merge_and_alias_rules() -> None:
    store = open_store()
    store.resolve_dataset("a")
    store.resolve_dataset("b")
    ds = store.update_attrs("a", department="cardiology", purpose="research")
    ds = store.update_attrs("a", purpose=None, retention_days=30)
    assert ds.attrs == {"department": "cardiology", "retention_days": 30}
    assert hash(ds) == hash(store.get_dataset("a"))  # frozen snapshots are hashable
    with pytest.raises(StoreError, match="JSON-serializable"):
        store.update_attrs("a", when=dt.date(2024, 1, 1))
    with pytest.raises(StoreError, match="JSON-serializable"):
        store.update_attrs("a", score=float("nan"))
    assert store.get_dataset("a").attrs == ds.attrs
    assert store.add_alias("a", "a2").aliases == ("a", "a2")
    assert store.add_alias("a", "a2").aliases == ("a", "a2")  # idempotent
    with pytest.raises(StoreError, match="'b' already belongs to dataset 'b'"):
        store.add_alias("a", "b")


@pytest.mark.parametrize("bad", ["", "  ", " padded", None])
def test_bad_names_are_refused(bad: object) -> None:
    with pytest.raises(StoreError, match="non-empty string without surrounding spaces"):
        open_store().resolve_dataset(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        SimpleNamespace(content_hash="", schema_hash="s", rows=1),
        SimpleNamespace(content_hash="c", schema_hash="s", rows=-1),
        SimpleNamespace(content_hash="c", rows=1),
        "not a fingerprint",
    ],
)
def test_bad_fingerprints_are_refused(bad: object) -> None:
    store = open_store()
    with pytest.raises(StoreError, match=r"make one with privlab\.io\.fingerprint"):
        store.resolve_dataset("d", bad)  # type: ignore[arg-type]
    assert store.list_datasets() == []


def test_injected_clock_stamps_records(tmp_path: Path) -> None:
    now = [dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)]
    store = Store(tmp_path / "s.sqlite", clock=lambda: now[0])
    ds = store.resolve_dataset("t", fp("h"))
    assert ds.created_at == ds.updated_at == "2030-01-02T03:04:05.000000Z"
    assert ds.versions[0].first_seen == ds.created_at
    now[0] = dt.datetime(2030, 1, 2, 5, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    later = store.resolve_dataset("t", fp("h2"))
    assert later.updated_at == "2030-01-02T03:04:05.000000Z"  # converted to UTC
    now[0] = dt.datetime(2031, 6, 1)  # naive: taken as UTC
    assert store.set_budget("t", epsilon=2).updated_at == "2031-06-01T00:00:00.000000Z"
    assert store.get_dataset("t").created_at == "2030-01-02T03:04:05.000000Z"
    assert store.schema_versions()["core"] == 3


# -- several processes -----------------------------------------------------------------------

_INCREMENTS = 15


def _race(path: str, name: str, barrier: mp.synchronize.Barrier, out: mp.Queue[int]) -> None:
    """Open a fresh store, register, migrate and read-modify-write, all at the same moment."""
    barrier.wait(timeout=60)
    store = Store(path)
    ds = store.resolve_dataset(name, fp("same-content"))
    store.ensure_schema(
        "counter", ["CREATE TABLE counter (n INTEGER)", "INSERT INTO counter VALUES (0)"]
    )
    for _ in range(_INCREMENTS):
        with store.transaction() as conn:
            (n,) = conn.execute("SELECT n FROM counter").fetchone()
            conn.execute("UPDATE counter SET n = ?", (n + 1,))
    out.put(ds.id)


def test_concurrent_processes_register_one_dataset_and_never_lose_a_write(tmp_path: Path) -> None:
    path = str(tmp_path / "fresh" / "privlab.sqlite")  # nobody has created it yet
    ctx = mp.get_context("spawn")
    n = 3
    barrier, out = ctx.Barrier(n), ctx.Queue()
    workers = [
        ctx.Process(target=_race, args=(path, f"name{i % 2}", barrier, out)) for i in range(n)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    ids = [out.get(timeout=5) for _ in workers]
    assert len(set(ids)) == 1
    store = Store(path)
    (dataset,) = store.list_datasets()
    assert dataset.aliases == ("name0", "name1")
    assert [v.content_hash for v in dataset.versions] == ["same-content"]
    assert store.schema_versions() == {"audit": 3, "core": 3, "counter": 2}
    with store.read() as conn:
        assert conn.execute("SELECT n FROM counter").fetchall() == [(n * _INCREMENTS,)]


# -- the audit primitive --------------------------------------------------------------------


def test_every_store_change_is_audited_in_its_own_transaction(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.resolve_dataset("visits", fp("h1"))
    store.resolve_dataset("visits_copy", fp("h1"))  # same content: an alias
    store.resolve_dataset("visits", fp("h2"))  # new content: a version
    store.add_alias("visits", "v")
    store.set_budget("visits", epsilon=4.0, reason="approved by the DPO")
    events = [(e.event, e.details.get("by")) for e in _audit(store)]
    assert events == [
        ("dataset_created", None),
        ("dataset_version", None),
        ("dataset_alias", "content"),
        ("dataset_version", None),
        ("dataset_alias", "name"),
        ("budget", None),
    ]
    budget = _audit(store)[-1].details
    assert budget["epsilon"] == 4.0
    assert budget["previous"]["epsilon"] == 1.0
    assert budget["reason"] == "approved by the DPO"
    store.resolve_dataset("visits", fp("h2"))  # nothing changes: nothing recorded
    assert len(_audit(store)) == 6


def test_append_audit_needs_a_store_write_transaction(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    with store.read() as conn, pytest.raises(StoreError, match=r"inside Store\.transaction"):
        append_audit(conn, "access")
    raw = sqlite3.connect(store.path, isolation_level=None)
    with pytest.raises(StoreError, match=r"connection from Store\.transaction"):
        append_audit(raw, "access")
    with store.transaction() as conn, pytest.raises(PrivlabError, match="unknown audit event"):
        append_audit(conn, "teleport")


def test_a_failed_change_leaves_no_record_and_no_witness_line(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    with store.transaction() as conn:
        append_audit(conn, "access")
    before = store.witness.path.read_bytes()

    def failing_change() -> None:
        with store.transaction() as conn:
            append_audit(conn, "access")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert len(_audit(store)) == 1
    assert store.witness.path.read_bytes() == before


def test_one_witness_line_per_transaction(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    with store.transaction() as conn:
        for _ in range(3):
            append_audit(conn, "access")
    lines = store.witness.path.read_text().splitlines()
    assert len(lines) == 2  # the header, then the transaction's last record (seq 3)
    assert '"seq":3' in lines[1]


def test_store_files_are_private(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    with store.transaction() as conn:
        append_audit(conn, "access")
        paths = [store.path, Path(f"{store.path}-wal"), Path(f"{store.path}-shm")]
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in paths}  # while open
    modes[store.witness.path.name] = stat.S_IMODE(store.witness.path.stat().st_mode)
    assert set(modes.values()) == {0o600}, modes


def test_witness_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PRIVLAB_AUDIT_WITNESS is the home store's witness; other stores keep theirs beside."""
    elsewhere = tmp_path / "other-volume" / "witness.jsonl"
    monkeypatch.setenv("PRIVLAB_AUDIT_WITNESS", str(elsewhere))
    assert open_store().witness.path == elsewhere
    assert Store(tmp_path / "x" / "s.sqlite").witness.path == tmp_path / "x" / "audit-witness.jsonl"
    assert Store(tmp_path / "s.sqlite", witness=tmp_path / "w").witness.path == tmp_path / "w"


def test_temp_registry_and_sweep(tmp_path: Path) -> None:
    now = [dt.datetime(2030, 1, 1, tzinfo=dt.UTC)]
    store = Store(tmp_path / "s.sqlite", clock=lambda: now[0])
    dead = tmp_path / ".out.parquet.ab12.privlab-tmp"
    dead.write_bytes(b"rows")
    store.record_temp(dead)
    with store.transaction() as conn:  # recorded by a process that is gone
        conn.execute("UPDATE store_temps SET pid = 2147483646")
    mine = tmp_path / ".mine.csv.cd34.privlab-tmp"
    mine.write_bytes(b"rows")
    store.record_temp(mine)  # this process is alive: never swept
    assert store.sweep_temps() == []  # too young
    now[0] += dt.timedelta(hours=2)
    assert store.sweep_temps() == [dead]
    assert not dead.exists()
    assert mine.exists()
    assert store.temps() == [mine.absolute()]
    with pytest.raises(StoreError, match="privlab-tmp"):
        store.record_temp(tmp_path / "thesis.docx")


def test_a_store_of_the_previous_release_migrates_and_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A governed 0.1 store (fixtures/make_governed_0_1_0.py): it opens, migrates with a
    snapshot of its state in the log (the policy's installer becomes admin), verifies,
    and keeps working."""
    from privlab.governance import Governance

    home = tmp_path / "home"
    shutil.copytree(LEGACY, home)
    monkeypatch.setenv("PRIVLAB_HOME", str(home))
    monkeypatch.setenv("PRIVLAB_AUDIT_KEY", "legacy-audit-key")
    gov = Governance()
    assert gov.dataset("visits").epsilon_budget == 3.0
    assert gov.mode == "governed"
    result = gov.audit.verify()
    assert result.ok, result.summary()
    events = [e.event for e in gov.audit.events()]
    assert events[-2:] == ["snapshot", "snapshot"]  # store state, then catalog state
    assert gov.audit.events()[-2].details["budgets"] == {"1": [3.0, 1e-06]}
    assert os.stat(home / "privlab.sqlite").st_mode & 0o077 == 0
    assert gov.access.admins() == ["olduser"]  # 0.1 had no admin: the policy's installer
    with pv.config_context(user="olduser"):
        gov.grant("ana", "steward", "clinic")
    assert gov.audit.verify().ok
    import privlab.dp as pdp

    assert pdp.budget("visits").epsilon_spent == pytest.approx(0.75)
    assert [r.kind for r in gov.releases()] == ["dp", "dp", "anonymized"]


def test_migrated_legacy_log_is_never_laundered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    shutil.copytree(LEGACY, home)
    monkeypatch.setenv("PRIVLAB_HOME", str(home))
    monkeypatch.setenv("PRIVLAB_AUDIT_KEY", "legacy-audit-key")
    store = open_store()
    sqlite3.connect(store.path, isolation_level=None).execute(
        "UPDATE audit_log SET principal = 'x' WHERE seq = 2"
    )
    from privlab.governance import AuditLog

    assert "record 2 was modified" in AuditLog(store).verify().summary()
    # the O(1) tail check lets honest work go on over an intact tail, but no later
    # record re-signs the edited one: verify keeps failing at record 2
    store.set_budget("visits", epsilon=4.0)
    assert "record 2 was modified" in AuditLog(store).verify().summary()
    sqlite3.connect(store.path, isolation_level=None).execute(
        "UPDATE audit_log SET principal = 'x' WHERE seq = (SELECT max(seq) FROM audit_log)"
    )
    with pytest.raises(AuditIntegrityError, match="refusing to extend"):
        store.set_budget("visits", epsilon=100.0)  # an edited tail stops every change
    assert store.get_dataset("visits").epsilon_budget == 4.0
