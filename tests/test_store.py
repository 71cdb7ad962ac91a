"""privlab.store: migrations, dataset identity, budgets, concurrency."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

import privlab as pv
from privlab.exceptions import DatasetNotFoundError, StoreError, StoreSchemaError
from privlab.store import Store, open_store


def fp(content: str, rows: int = 10, schema: str = "s1") -> SimpleNamespace:
    return SimpleNamespace(content_hash=content, schema_hash=schema, rows=rows)


def test_store_lives_under_privlab_home_in_wal_mode(privlab_home: Path) -> None:
    store = open_store()
    assert store.path == privlab_home / "privlab.sqlite"
    with store.read() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version("core") == 1


def test_migrations_apply_once_and_are_idempotent(tmp_path: Path) -> None:
    calls: list[int] = []

    def second(conn: sqlite3.Connection) -> None:
        calls.append(1)
        conn.execute("ALTER TABLE t ADD COLUMN extra TEXT")

    migrations = ["CREATE TABLE t (id INTEGER PRIMARY KEY)", second]
    store = Store(tmp_path / "s.sqlite")
    store.ensure_schema("comp", migrations)
    Store(tmp_path / "s.sqlite").ensure_schema("comp", migrations)  # a restart
    assert calls == [1]
    assert store.schema_version("comp") == 2
    # upgrading later adds only the new step
    Store(tmp_path / "s.sqlite").ensure_schema("comp", [*migrations, "CREATE TABLE u (x)"])
    assert store.schema_version("comp") == 3
    assert store.schema_version("core") == 1


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    Store(tmp_path / "s.sqlite").ensure_schema("comp", ["CREATE TABLE a (x)", "CREATE TABLE b (x)"])
    with pytest.raises(StoreSchemaError, match="newer privlab"):
        Store(tmp_path / "s.sqlite").ensure_schema("comp", ["CREATE TABLE a (x)"])


def test_failed_migration_leaves_nothing_behind(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    with pytest.raises(sqlite3.OperationalError):
        store.ensure_schema("bad", ["CREATE TABLE ok (x)", "THIS IS NOT SQL"])
    assert store.schema_version("bad") == 0
    with store.read() as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "ok" not in tables


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.ensure_schema("c", ["CREATE TABLE t (x INTEGER)"])

    def insert_then_fail() -> None:
        with store.transaction() as conn:
            conn.execute("INSERT INTO t VALUES (1)")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    with store.read() as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0


def test_first_use_registers_with_config_budget() -> None:
    with pv.config_context(default_epsilon=2.0, default_delta=1e-7, user="ana"):
        ds = open_store().resolve_dataset("patients", fp("c1"))
    assert (ds.epsilon_budget, ds.delta_budget, ds.owner) == (2.0, 1e-7, "ana")
    assert ds.versions[0].content_hash == "c1"
    assert ds.versions[0].rows == 10


def test_same_content_under_another_name_is_the_same_dataset() -> None:
    store = open_store()
    a = store.resolve_dataset("patients", fp("c1"))
    store.set_budget("patients", epsilon=0.5)
    b = store.resolve_dataset("renamed_copy", fp("c1"))
    assert b.id == a.id
    assert b.epsilon_budget == 0.5  # renaming never resets the budget
    assert set(b.aliases) == {"patients", "renamed_copy"}
    assert store.get_dataset("renamed_copy").name == "patients"


def test_known_name_with_new_content_adds_a_version_sharing_the_budget() -> None:
    store = open_store()
    a = store.resolve_dataset("patients", fp("c1"))
    store.set_budget("patients", epsilon=0.25)
    b = store.resolve_dataset("patients", fp("c2", rows=11))
    assert b.id == a.id
    assert [v.content_hash for v in b.versions] == ["c1", "c2"]
    assert b.epsilon_budget == 0.25
    assert store.find_by_fingerprint("c2") == b
    assert len(store.list_datasets()) == 1


def test_budget_survives_a_restart(privlab_home: Path) -> None:
    open_store().resolve_dataset("claims", fp("x"))
    open_store().set_budget("claims", epsilon=4.0, delta=1e-5)
    reopened = Store(privlab_home / "privlab.sqlite").get_dataset("claims")
    assert (reopened.epsilon_budget, reopened.delta_budget) == (4.0, 1e-5)


def test_unknown_dataset_names_known_ones_and_suggests() -> None:
    store = open_store()
    store.resolve_dataset("patients")
    with pytest.raises(DatasetNotFoundError, match=r"known names are \['patients'\].*'patients'\?"):
        store.get_dataset("patient")
    with pytest.raises(DatasetNotFoundError):
        store.get_dataset(999)


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_bad_budget_is_refused(bad: float) -> None:
    store = open_store()
    store.resolve_dataset("d")
    with pytest.raises(StoreError, match="budget must be a number >= 0"):
        store.set_budget("d", epsilon=bad)


def test_attrs_merge_and_alias_conflicts() -> None:
    store = open_store()
    store.resolve_dataset("a")
    store.resolve_dataset("b")
    ds = store.update_attrs("a", department="cardiology", purpose="research")
    ds = store.update_attrs("a", purpose=None, retention_days=30)
    assert ds.attrs == {"department": "cardiology", "retention_days": 30}
    with pytest.raises(StoreError, match="already belongs to another dataset"):
        store.add_alias("a", "b")
    with pytest.raises(StoreError, match="non-empty string"):
        store.resolve_dataset("  ")


def test_injected_clock_stamps_records(tmp_path: Path) -> None:
    fixed = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    store = Store(tmp_path / "s.sqlite", clock=lambda: fixed)
    ds = store.resolve_dataset("t", fp("h"))
    assert ds.created_at.startswith("2030-01-02T03:04:05")
    assert ds.versions[0].first_seen == ds.created_at


def _register(path: str, name: str, content: str, barrier: object) -> int:
    barrier.wait()  # type: ignore[attr-defined]
    return Store(path).resolve_dataset(name, fp(content)).id


def test_concurrent_registration_yields_one_dataset(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite")
    Store(path)  # create the schema once, as any first user would
    ctx = mp.get_context("spawn")
    n = 4
    with ctx.Manager() as manager:
        barrier = manager.Barrier(n)
        with ctx.Pool(n) as pool:
            ids = pool.starmap(
                _register, [(path, f"name{i % 2}", "same-content", barrier) for i in range(n)]
            )
    assert len(set(ids)) == 1
    datasets = Store(path).list_datasets()
    assert len(datasets) == 1
    assert set(datasets[0].aliases) == {"name0", "name1"}
