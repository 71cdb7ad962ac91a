"""DPSession end to end: answers, intervals, bad input, budget refusal, user-level privacy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import privlab.dp as pdp
from privlab.exceptions import (
    ColumnNotFoundError,
    DPQueryError,
    PrivacyBudgetExceededError,
)

ANSWER_COLUMNS = [
    "statistic",
    "estimate",
    "lower",
    "upper",
    "confidence",
    "epsilon",
    "delta",
    "note",
]


def test_count_answer_frame_and_interval(session: Any, people: pl.DataFrame) -> None:
    ans = session.count(epsilon=1.0)
    assert ans.columns == ANSWER_COLUMNS
    est, lo, hi = ans.row(0)[1:4]
    assert lo <= est <= hi
    assert hi - lo < 10  # ±3 at ε=1, 95%
    assert abs(est - people.height) < 50
    assert ans["epsilon"][0] == pytest.approx(1.0)
    assert session.budget().epsilon_spent == pytest.approx(1.0)


def test_sum_mean_known_answers(session: Any, people: pl.DataFrame) -> None:
    s = session.sum("age", bounds=(0, 100), epsilon=2.0)
    assert abs(s["estimate"][0] - people["age"].sum()) < 2_000
    m = session.mean("income", bounds=(0, 100_000), epsilon=2.0)
    truth = people["income"].mean()
    assert m["lower"][0] <= m["estimate"][0] <= m["upper"][0]
    assert abs(m["estimate"][0] - truth) < 5_000
    note = m["note"][0]
    assert "clipped into [0, 100000]" in note
    assert "missing values dropped" in note
    assert "max_rows=4096" in note
    assert "snapshot of DataFrame" in note


def test_grouped_with_public_keys_keeps_declared_order(session: Any) -> None:
    ans = session.count(by="city", keys=["Tromsø", "Oslo", "Bergen", "Nowhere"], epsilon=1.0)
    assert ans["city"].to_list() == ["Tromsø", "Oslo", "Bergen", "Nowhere"]
    assert abs(ans.filter(pl.col("city") == "Nowhere")["estimate"][0]) < 20
    assert (ans["lower"] >= 0).all()


def test_grouped_without_keys_spends_delta_and_thresholds(session: Any) -> None:
    ans = session.mean("age", bounds=(18, 90), by="sex", epsilon=1.0, delta=1e-6)
    assert sorted(ans["sex"].to_list()) == ["F", "M"]
    assert "not released" in ans["note"][0]
    assert 0 < ans["delta"][0] <= 1e-6
    assert session.budget().delta_spent == pytest.approx(ans["delta"][0])


def test_quantile_has_no_interval(session: Any) -> None:
    ans = session.median("age", bounds=(0, 100), epsilon=1.0)
    assert ans["lower"][0] is None
    assert ans["upper"][0] is None
    assert "no accuracy" in ans["note"][0]
    assert 35 <= ans["estimate"][0] <= 75


def test_histogram_numeric_bins(session: Any, people: pl.DataFrame) -> None:
    ans = session.histogram("age", edges=[30, 50, 70], epsilon=1.0)
    assert ans["bin"].cast(pl.String).to_list() == [
        "(-inf, 30]",
        "(30, 50]",
        "(50, 70]",
        "(70, inf)",
    ]
    truth = people.select((pl.col("age") <= 30).sum()).item()
    assert abs(ans["estimate"][0] - truth) < 30


def test_release_many_is_one_release_with_one_row_per_query(session: Any) -> None:
    keys = ["F", "M"]
    count, total = session.release_many(
        [pdp.count(by="sex", keys=keys), pdp.sum("age", bounds=(0, 100), by="sex", keys=keys)],
        epsilon=[0.4, 0.6],
    )
    assert count["epsilon"][0] == pytest.approx(0.4, rel=1e-6)
    assert total["epsilon"][0] == pytest.approx(0.6, rel=1e-6)
    ledger = session.ledger()
    assert ledger.height == 2
    assert ledger["release_id"].n_unique() == 1
    assert session.budget().epsilon_spent == pytest.approx(1.0)


def test_preview_epsilon_for_and_curve_spend_nothing(session: Any) -> None:
    q = pdp.sum("age", bounds=(0, 100))
    prev = session.preview(q, epsilon=0.5)
    assert prev["aggregate"].to_list() == ["sum"]
    eps = session.epsilon_for(q, accuracy=500.0)
    assert session.half_width(q, eps) <= 500.0 < session.half_width(q, eps * 0.99)
    curve = session.error_curve(q, [0.1, 1.0, 10.0])
    assert curve["half_width"].is_sorted(descending=True)
    assert session.budget().epsilon_spent == 0.0
    assert session.ledger().height == 0


def test_epsilon_for_mean_defaults_to_half_the_row_bound(session: Any) -> None:
    q = pdp.mean("age", bounds=(18, 90))
    default = session.epsilon_for(q, accuracy=1.0)  # rows = max_rows / 2 = 2048
    declared = session.epsilon_for(q, accuracy=1.0, rows=2048)
    assert default == pytest.approx(declared)
    assert session.epsilon_for(q, accuracy=1.0, rows=1024) == pytest.approx(2 * declared, rel=0.02)
    with pytest.raises(DPQueryError, match="rows"):
        session.epsilon_for(q, accuracy=1.0, rows=0)
    note = session.preview(q, epsilon=1.0)["note"][2]
    assert "rows=2048 assumed (half the public row bound)" in note
    with pytest.raises(DPQueryError, match="no accuracy"):
        session.epsilon_for(pdp.median("age", bounds=(0, 100)), accuracy=1.0)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda s: s.sum("age", epsilon=1.0), DPQueryError, "clipping bounds"),
        (lambda s: s.mean("city", bounds=(0, 1), epsilon=1.0), DPQueryError, "numeric"),
        (lambda s: s.count(epsilon=0.0), DPQueryError, "epsilon"),
        (lambda s: s.count(epsilon=-1.0), DPQueryError, "epsilon"),
        (lambda s: s.count(epsilon=float("nan")), DPQueryError, "epsilon"),
        (
            lambda s: s.mean("agee", bounds=(0, 1), epsilon=1.0),
            ColumnNotFoundError,
            "did you mean 'age'",
        ),
        (lambda s: s.count(by="town", keys=["x"], epsilon=1.0), ColumnNotFoundError, "town"),
        (lambda s: s.count(by="age", keys=["old"], epsilon=1.0), DPQueryError, "dtypes"),
        (lambda s: s.count(by="sex", epsilon=1.0, delta=0.0), DPQueryError, "delta"),
        (
            lambda s: s.mean("income", bounds="auto", by="nope", epsilon=1.0),
            ColumnNotFoundError,
            "nope",
        ),
    ],
)
def test_bad_input_is_a_clear_error_and_spends_nothing(
    session: Any, call: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call(session)
    assert session.budget().epsilon_spent == 0.0
    assert session.ledger().height == 0


def test_refused_before_running_when_budget_would_be_exceeded(session: Any) -> None:
    pdp.set_budget("people", epsilon=1.0)
    session.count(epsilon=0.6)
    with pytest.raises(PrivacyBudgetExceededError) as info:
        session.count(epsilon=0.5)
    err = info.value
    assert err.spent == pytest.approx(0.6)
    assert err.remaining == pytest.approx(0.4)
    assert err.requested == pytest.approx(0.5)
    assert "0.4" in str(err)
    assert "0.6" in str(err)
    assert session.ledger().height == 1  # the refused query left no trace
    session.count(epsilon=0.4)  # exactly the remainder still fits
    assert session.budget().epsilon_remaining == pytest.approx(0.0, abs=1e-12)


def test_failed_run_gives_the_reservation_back(
    session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(session, "_context_for", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        session.count(epsilon=1.0)
    ledger = session.ledger()
    assert ledger["status"].to_list() == ["cancelled"]
    assert session.budget().epsilon_spent == 0.0


def test_same_content_under_another_name_shares_the_budget(people: pl.DataFrame) -> None:
    with pdp.DPSession(people, dataset="first") as a:
        a.count(epsilon=0.25)
    with pdp.DPSession(people.clone(), dataset="second") as b:
        assert b.budget().epsilon_spent == pytest.approx(0.25)
        assert b.name == "first"


def test_ledger_survives_a_restart(people_file: Path) -> None:
    code = (
        "import privlab.dp as pdp\n"
        f"s = pdp.DPSession({str(people_file)!r}, dataset='restart')\n"
        "s.count(epsilon=0.125)\n"
        "s.mean('age', bounds=(0, 100), epsilon=0.25)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    b = pdp.budget("restart")
    assert b.epsilon_spent == pytest.approx(0.375)
    assert pdp.ledger("restart")["statistic"].to_list() == ["count()", "mean(age)"]


def test_user_level_privacy_with_identifier(people: pl.DataFrame) -> None:
    with pdp.DPSession(people, dataset="ppl", identifier="pid", max_rows_per_id=2) as s:
        pdp.set_budget("ppl", epsilon=5.0)
        ans = s.count(epsilon=1.0)
        # two rows per person kept: the count is of all rows, noise scaled to 2 rows/person
        assert abs(ans["estimate"][0] - people.height) < 100
        assert s.preview(pdp.count(), epsilon=1.0)["scale"][0] == pytest.approx(2.0)
    with pdp.DPSession(people, dataset="ppl", identifier="pid", max_rows_per_id=1) as s:
        ans = s.count(epsilon=1.0)
        assert abs(ans["estimate"][0] - people["pid"].n_unique()) < 50  # one row per person
    with pytest.raises(ColumnNotFoundError, match="person"):
        pdp.DPSession(people, dataset="ppl", identifier="person")


def test_auto_bounds_are_ledgered(session: Any) -> None:
    ans = session.mean("income", bounds="auto", epsilon=1.0)
    assert 20_000 < ans["estimate"][0] < 80_000
    ledger = session.ledger()
    assert ledger["statistic"].to_list() == ["histogram(income)", "mean(income)"]
    assert ledger["epsilon"].sum() == pytest.approx(1.0)
    lo, hi = session.auto_bounds("income", epsilon=0.5)
    assert lo <= 5_000  # the 1% quantile is 1,000; sparse low bins may be dropped as noise
    assert 50_000 <= hi <= 200_000


def test_importing_privlab_dp_does_not_load_opendp() -> None:
    code = "import sys, privlab.dp\nprint('opendp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_csv_path_is_read_with_privlab_io(people: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    people.write_csv(path)
    with pdp.DPSession(path) as s:
        assert s.name == "people"
        assert s._source.spilled
        ans = s.count(epsilon=1.0)
    assert abs(ans["estimate"][0] - people.height) < 50


def test_max_rows_bounds_the_real_row_count(people: pl.DataFrame) -> None:
    """OpenDP trusts max_length; it must cover the data (here 2,000 rows)."""
    with pdp.DPSession(people, dataset="bound-check") as s:
        assert s.max_rows >= people.height
    with pytest.raises(DPQueryError, match="below the 2000 rows"):
        pdp.DPSession(people, dataset="bound-check", max_rows=100)


def test_custom_store_gates_and_ledgers_in_that_store(people: pl.DataFrame, tmp_path: Path) -> None:
    """A session over ``Ledger(Store(path))`` registers, gates, spends and catalogs there only."""
    from privlab.governance import Governance
    from privlab.store import Store, open_store

    store = Store(tmp_path / "custom" / "privlab.sqlite")
    with pdp.DPSession(people, dataset="custom-ppl", ledger=pdp.Ledger(store)) as s:
        s.count(epsilon=0.5)
        ledger = s.ledger()
    assert ledger["dataset"].to_list() == ["custom-ppl"]
    assert pdp.Ledger(store).entries()["dataset"].to_list() == ["custom-ppl"]
    releases = Governance(store).releases()
    assert [(r.dataset, r.kind) for r in releases] == [("custom-ppl", "dp")]
    # nothing leaked into the configured (default) store
    assert "custom-ppl" not in [d.name for d in open_store().list_datasets()]


def test_module_ledger_shows_dataset_names(people: pl.DataFrame) -> None:
    with pdp.DPSession(people, dataset="named") as s:
        s.count(epsilon=0.25)
    frame = pdp.ledger()
    assert frame["dataset"].to_list() == ["named"]
    assert pdp.ledger("named")["statistic"].to_list() == ["count()"]
