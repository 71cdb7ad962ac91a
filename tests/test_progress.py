"""privlab._progress: the one progress reporter, and every slow operation reporting through it.

Each operation is run with a recording callback: the stages it names, in order,
with ``done`` never decreasing and ending at ``total``.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

import privlab as pv
from privlab._progress import ProgressCallback, progress
from privlab.anonymize import KAnonymity, interval_hierarchy, search, suppress_hierarchy
from privlab.models import PrivacyModel, TCloseness

PACKAGE = Path(pv.__file__).resolve().parent

Record = list[tuple[str, int, int]]


def recorder() -> tuple[Record, ProgressCallback]:
    seen: Record = []
    return seen, lambda stage, done, total: seen.append((stage, done, total))


def assert_well_formed(seen: Record) -> None:
    """done never decreases, never exceeds total, and the last step finishes the bar."""
    assert seen, "the callback was never called"
    dones = [d for _, d, _ in seen]
    assert dones == sorted(dones)
    assert all(d <= t for _, d, t in seen)
    assert seen[-1][1] == seen[-1][2]


# ------------------------------------------------------------------ the reporter itself


def test_callback_gets_every_step_and_named_stages() -> None:
    seen, callback = recorder()
    with progress(3, "fit", show=False, callback=callback) as bar:
        bar.set_stage("metadata")
        bar.advance()
        bar.advance(stage="model")
        bar.advance(5, stage="sample")  # never counts past the total
    assert seen == [("metadata", 0, 3), ("metadata", 1, 3), ("model", 2, 3), ("sample", 3, 3)]


def test_total_can_be_set_once_known() -> None:
    seen, callback = recorder()
    bar = progress(0, "search", show=False, callback=callback)
    bar.set_stage("encode")
    bar.set_total(4)
    bar.advance(4, stage="nodes")
    bar.close()
    assert seen == [("encode", 0, 0), ("nodes", 4, 4)]


def test_bar_is_drawn_on_stderr_when_shown(capsys: pytest.CaptureFixture[str]) -> None:
    with progress(2, "my-operation", show=True) as bar:
        bar.advance(stage="first")
        bar.advance(stage="second")
    assert "my-operation" in capsys.readouterr().err


def test_config_turns_the_bar_off_but_not_the_callback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    seen, callback = recorder()
    with (
        pv.config_context(progress=False),
        progress(1, "quiet-operation", callback=callback) as bar,
    ):
        bar.advance(stage="only")
    assert "quiet-operation" not in capsys.readouterr().err
    assert seen == [("only", 1, 1)]
    with pv.config_context(progress=True), progress(1, "loud-operation") as bar:
        bar.advance()
    assert "loud-operation" in capsys.readouterr().err


def test_tqdm_is_used_by_the_reporter_only() -> None:
    """One implementation per concept: no private bar anywhere else in the package."""
    users = sorted(
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if re.search(r"^\s*(from|import) tqdm", p.read_text(encoding="utf-8"), re.M)
    )
    assert users == ["_progress.py"]


# ------------------------------------------------------------------ the operations

DATA = pl.DataFrame(
    {
        "age": [31, 32, 33, 34, 51, 52, 53, 58, 61, 64, 66, 69],
        "sex": ["F", "F", "M", "M", "F", "F", "M", "M", "F", "M", "F", "M"],
        "dx": ["a", "b", "a", "b", "a", "b", "a", "a", "b", "b", "a", "b"],
    }
)
# age: raw, 5, 10, 20 years, * (5 levels); sex: raw, * (2 levels) -> 10 nodes
HIERARCHIES = {"age": interval_hierarchy(widths=[5, 10, 20]), "sex": suppress_hierarchy()}


@pytest.mark.parametrize(
    ("models", "suppression", "strategy", "stages"),
    [
        # the bottom node (nothing generalized) is always evaluated first
        ([KAnonymity(2)], 0.0, "top-down", ["bottom", "top-down"]),
        ([KAnonymity(3)], 0.2, "top-down", ["bottom", "greedy descent", "top-down"]),
        ([KAnonymity(2), TCloseness("dx", 0.3)], 0.2, "bound-ordered", ["bottom", "bound-ordered"]),
    ],
)
def test_search_reports_encode_then_each_evaluated_node(
    models: list[PrivacyModel], suppression: float, strategy: str, stages: list[str]
) -> None:
    seen, callback = recorder()
    result = search(
        DATA,
        HIERARCHIES,
        models,
        max_suppression=suppression,
        callback=callback,
    )
    assert result.stats["strategy"] == strategy
    assert_well_formed(seen)
    assert seen[0] == ("encode", 0, 0)
    total = result.stats["nodes_total"]
    assert total == 10
    nodes = seen[1:-1]
    # one step per evaluated node, stages in the order the strategy runs them
    assert len(nodes) == result.stats["nodes_evaluated"]
    assert [d for _, d, _ in nodes] == list(range(1, len(nodes) + 1))
    assert list(dict.fromkeys(stage for stage, _, _ in nodes)) == stages
    pruned = result.stats["nodes_pruned"]
    assert pruned == total - len(nodes)
    assert seen[-1] == ("pruned" if pruned else "done", total, total)


def test_tradeoff_reports_each_release_then_the_dp_panel() -> None:
    seen, callback = recorder()
    data = pl.DataFrame(
        {
            "age": [23, 35, 47, 51, 62, 38, 44, 29] * 25,
            "sex": ["F", "M"] * 100,
            "dx": ["a", "b", "c", "a", "b"] * 40,
        }
    )
    pv.tradeoff(
        data,
        profile={"age": "quasi_identifier", "sex": "quasi_identifier", "dx": "sensitive"},
        candidates={"k": [2, 5], "l": [], "epsilon": [1.0], "synthetic": []},
        targets=40,
        callback=callback,
    )
    assert seen == [
        ("original", 0, 4),
        ("original", 1, 4),
        ("k=2", 1, 4),
        ("k=2", 2, 4),
        ("k=5", 2, 4),
        ("k=5", 3, 4),
        ("differential privacy", 3, 4),
        ("differential privacy", 4, 4),
    ]


def test_synthesize_reports_metadata_fit_and_each_sample_chunk() -> None:
    seen, callback = recorder()
    real = pl.DataFrame({"age": [20 + (i * 7) % 50 for i in range(60)], "plan": ["a", "b"] * 30})
    pv.synthesize(real, rows=25, seed=0, profile={}, callback=callback)
    assert seen == [("metadata", 1, 3), ("fit", 2, 3), ("sample", 3, 3)]
