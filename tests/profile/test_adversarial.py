"""The profile on a table nobody tuned it for: the adversarial generator, fresh seeds."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    path = ROOT / "benchmarks" / "adversarial" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"adversarial_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", [11, pytest.param(2027, marks=pytest.mark.slow)])
def test_every_identifier_found_and_no_decoy_called_one(seed: int, tmp_path: Path) -> None:
    """Attacker: reads whatever the suggested recipe leaves; one missed identifier leaks.

    Ten+ locales, meaningless column names (c01…), decoys beside the identifiers; seeds
    other than the one the benchmark figures use. Done-when of issue 13: every direct
    identifier found, no decoy called one, at least 90 % of roles right.
    """
    data, key = _load("generate").generate(tmp_path, rows=1_200, seed=seed)
    result = _load("score").score(data, key)
    missed = [
        r["meaning"]
        for r in result["columns"]
        if r["role"] == "direct_identifier" and r["found_role"] != "direct_identifier"
    ]
    false = [
        r["meaning"]
        for r in result["columns"]
        if r["role"] == "other" and r["found_role"] == "direct_identifier"
    ]
    assert missed == []
    assert false == []
    assert result["roles_right"] >= 0.9 * result["columns_total"], result["columns"]
