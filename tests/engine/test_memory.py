"""Streamed runs take the same private memory on 0.5 GB and 1.5 GB with the same tuples.

Mark ``memory`` (not in the fast tier): it generates a 0.5 GB CSV with the seeded scale
generator (``benchmarks/scale_data.py``), writes its rows three times over as the 1.5 GB
file (three times the rows, the very same distinct QI tuples), and runs
``privlab anonymize`` with a resolved recipe and ``privlab profile`` (both with
``--memory-limit``: streamed, bounded mode) on each in a fresh process, sampling its
private memory (RssAnon: polars memory-maps the CSV, and mapped file pages would count
in RSS). Memory may follow the distinct tuples —
the class histograms — but not the rows: the larger file must stay within 20 %.
``privlab risk`` holds one histogram of the same tuples (O(distinct tuples), stated).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

pytestmark = [pytest.mark.memory, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _scale_data() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "scale_data", ROOT / "benchmarks" / "scale_data.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["scale_data"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    scale_data = _scale_data()
    folder = tmp_path_factory.mktemp("memory")
    small, large = folder / "small.csv", folder / "large.csv"
    scale_data.generate(small, size=500_000_000, zip_pool=300, seed=11)
    scale_data.repeat_file(small, large, 3)
    recipe = folder / "resolved.yaml"
    levels = {"age": 2, "sex": 0, "zip": 3, "education": 0, "marital_status": 0}
    recipe.write_text(yaml.safe_dump(scale_data.recipe(k=5, levels=levels)))
    return small, large, recipe


def _privlab() -> str:
    found = Path(sys.executable).parent / "privlab"
    return str(found) if found.exists() else str(shutil.which("privlab"))


@pytest.mark.parametrize("command", ["anonymize", "profile"])
def test_private_memory_does_not_grow_with_rows(
    files: tuple[Path, Path, Path], command: str, tmp_path: Path
) -> None:
    scale_data = _scale_data()
    small, large, recipe = files
    env = {**os.environ, "PRIVLAB_HOME": str(tmp_path / "home"), "PRIVLAB_PROGRESS": "0"}
    peaks = {}
    for path in (small, large):
        if command == "anonymize":
            out = tmp_path / f"{path.stem}.parquet"
            args = [_privlab(), "anonymize", str(path), "--recipe", str(recipe), "--out", str(out)]
        else:
            args = [_privlab(), "profile", str(path), "--format", "json"]
        args += ["--memory-limit", "4GiB"]  # bounded mode: one polars thread, budgets
        peak, _seconds, code = scale_data.peak_private_memory(args, env=env)
        assert code == 0, f"{command} failed on {path.name}"
        peaks[path.name] = peak
    growth = peaks["large.csv"] / peaks["small.csv"]
    assert growth < 1.2, f"{command}: {peaks} (×{growth:.2f} for 3× the rows)"
