"""The persistent ledger: reservations, periods, and the multi-process race."""

from __future__ import annotations

import multiprocessing
import runpy
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import privlab.dp as pdp
from privlab.dp._ledger import Ledger
from privlab.exceptions import DatasetNotFoundError, DPQueryError, PrivacyBudgetExceededError


def _register(name: str, frame: pl.DataFrame | None = None) -> Any:
    from privlab.io import fingerprint
    from privlab.store import open_store

    frame = frame if frame is not None else pl.DataFrame({"x": [1, 2, 3], "tag": [name] * 3})
    return open_store().resolve_dataset(name, fingerprint(frame), owner="tester")


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_reserve_confirm_cancel_and_budget() -> None:
    ds = _register("ledger_a")
    pdp.set_budget("ledger_a", epsilon=1.0, delta=1e-6)
    led = Ledger()
    r1 = led.reserve(ds, [("q1", 0.25, 0.0), ("q2", 0.25, 1e-7)])
    assert led.budget(ds).epsilon_spent == pytest.approx(0.5)  # reserved counts
    led.confirm(r1)
    r2 = led.reserve(ds, [("q3", 0.5, 0.0)])
    led.cancel(r2)
    b = led.budget("ledger_a")
    assert (b.epsilon_spent, b.delta_spent, b.releases) == (0.5, 1e-7, 2)
    assert led.entries(ds)["status"].to_list() == ["spent", "spent", "cancelled"]
    led.confirm(r2)  # settling twice changes nothing
    assert led.entries(ds)["status"].to_list()[-1] == "cancelled"


def test_refusal_is_all_or_nothing_and_checks_delta() -> None:
    ds = _register("ledger_b")
    pdp.set_budget("ledger_b", epsilon=1.0, delta=1e-6)
    led = Ledger()
    with pytest.raises(PrivacyBudgetExceededError) as info:
        led.reserve(ds, [("q1", 0.75, 0.0), ("q2", 0.5, 0.0)])
    assert info.value.remaining == pytest.approx(1.0)
    assert led.entries(ds).height == 0
    with pytest.raises(PrivacyBudgetExceededError, match="δ"):
        led.reserve(ds, [("q", 0.1, 2e-6)])
    with pytest.raises(DPQueryError):
        led.reserve(ds, [("q", -0.1, 0.0)])


def test_principal_and_time_are_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVLAB_USER", "alice")
    ds = _register("ledger_c")
    clock = FakeClock(datetime(2024, 3, 1, 12, tzinfo=UTC))
    led = Ledger(clock=clock)
    led.confirm(led.reserve(ds, [("q", 0.1, 0.0)]))
    row = led.entries(ds).row(0, named=True)
    assert row["principal"] == "alice"
    assert row["created_at"] == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert row["dataset"] == "ledger_c"
    assert len(row["query_fingerprint"]) == 64


def test_loss_per_period_and_window() -> None:
    ds = _register("ledger_d")
    pdp.set_budget("ledger_d", epsilon=10.0)
    clock = FakeClock(datetime(2024, 1, 15, tzinfo=UTC))
    led = Ledger(clock=clock)
    for day, eps in [(15, 0.5), (20, 0.25), (45, 1.0), (46, 0.125)]:
        clock.now = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=day - 1)
        led.confirm(led.reserve(ds, [(f"q{day}", eps, 0.0)]))
    cancelled = led.reserve(ds, [("nope", 3.0, 0.0)])
    led.cancel(cancelled)
    per_month = led.loss_by_period(ds, "1mo")
    assert per_month["period_start"].dt.month().to_list() == [1, 2]
    assert per_month["epsilon"].to_list() == [0.75, 1.125]
    assert per_month["releases"].to_list() == [2, 2]
    assert led.loss(ds) == (1.875, 0.0)  # lifetime
    assert led.loss(ds, since=datetime(2024, 2, 1, tzinfo=UTC))[0] == 1.125
    clock.now = datetime(2024, 2, 16, tzinfo=UTC)
    assert led.loss_in_last(ds, timedelta(days=2))[0] == 1.125
    assert pdp.loss_by_period("ledger_d", "1mo")["epsilon"].sum() == 1.875


def test_unknown_dataset_and_bad_budget() -> None:
    with pytest.raises(DatasetNotFoundError):
        pdp.budget("never_registered")
    _register("ledger_e")
    with pytest.raises(DPQueryError, match=">= 0"):
        pdp.set_budget("ledger_e", epsilon=-1.0)
    with pytest.raises(DPQueryError, match="delta"):
        pdp.set_budget("ledger_e", epsilon=1.0, delta=2.0)


_WORKER = textwrap.dedent(
    """
    import json, os
    os.environ["PRIVLAB_HOME"] = HOME
    start.wait(60)
    ok = refused = 0
    if MODE == "ledger":
        from privlab.dp._ledger import Ledger
        from privlab.exceptions import PrivacyBudgetExceededError
        led = Ledger()
        ds = led.dataset(NAME)
        for i in range(ATTEMPTS):
            try:
                led.confirm(led.reserve(ds, [(f"w{WID}-{i}", EPS, 0.0)]))
                ok += 1
            except PrivacyBudgetExceededError:
                refused += 1
    else:
        import privlab.dp as pdp
        from privlab.exceptions import PrivacyBudgetExceededError
        with pdp.DPSession(DATA, dataset=NAME) as s:
            for i in range(ATTEMPTS):
                try:
                    s.count(epsilon=EPS)
                    ok += 1
                except PrivacyBudgetExceededError:
                    refused += 1
    with open(OUT, "w") as fh:
        json.dump({"ok": ok, "refused": refused}, fh)
    """
)


def _race(
    tmp_path: Path, *, mode: str, name: str, workers: int, attempts: int, eps: float, data: str = ""
) -> list[dict[str, int]]:
    import json
    import os

    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = []
    for wid in range(workers):
        init = {
            "HOME": os.environ["PRIVLAB_HOME"],
            "MODE": mode,
            "NAME": name,
            "WID": wid,
            "ATTEMPTS": attempts,
            "EPS": eps,
            "DATA": data,
            "OUT": str(tmp_path / f"{wid}.json"),
            "start": start,
        }
        p = ctx.Process(target=runpy.run_path, args=(str(script),), kwargs={"init_globals": init})
        p.start()
        procs.append(p)
    start.set()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    return [json.loads((tmp_path / f"{w}.json").read_text()) for w in range(workers)]


def test_concurrent_reservations_never_overspend(tmp_path: Path) -> None:
    _register("race_ledger")
    pdp.set_budget("race_ledger", epsilon=1.0)
    results = _race(tmp_path, mode="ledger", name="race_ledger", workers=4, attempts=6, eps=0.125)
    assert sum(r["ok"] for r in results) == 8  # 8 × 0.125 = 1.0 exactly; the other 16 refused
    assert sum(r["refused"] for r in results) == 16
    b = pdp.budget("race_ledger")
    assert b.epsilon_spent == 1.0
    assert pdp.ledger("race_ledger").height == 8


def test_two_processes_releasing_never_overspend(tmp_path: Path) -> None:
    frame = pl.DataFrame({"x": list(range(500))})
    data = tmp_path / "race.parquet"
    frame.write_parquet(data)
    with pdp.DPSession(data, dataset="race_e2e"):
        pass
    pdp.set_budget("race_e2e", epsilon=1.0)
    results = _race(
        tmp_path, mode="session", name="race_e2e", workers=2, attempts=6, eps=0.125, data=str(data)
    )
    assert sum(r["ok"] for r in results) == 8
    assert pdp.budget("race_e2e").epsilon_spent == pytest.approx(1.0)
    assert set(pdp.ledger("race_e2e")["status"]) == {"spent"}
