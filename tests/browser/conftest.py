"""Fixtures of the browser tests: one JupyterLab and one offline Chromium per session.

The rules live in ``tests/browser/lab.py`` (and ``README.md`` beside it); this
file only turns them into pytest fixtures. Without Chromium the tests skip on a
workstation and fail in CI.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "privlab_browser_lab", Path(__file__).with_name("lab.py")
)
assert _spec is not None
assert _spec.loader is not None
lab = importlib.util.module_from_spec(_spec)
sys.modules["privlab_browser_lab"] = lab
_spec.loader.exec_module(lab)


@pytest.fixture(scope="session")
def chromium() -> Path:
    path, reason = lab.chromium_or_reason()
    if path is None:
        if lab.in_ci():
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def jupyterlab(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """JupyterLab serving a copy of the notebooks; kernels see this process's environment."""
    root = lab.workspace(ROOT, tmp_path_factory.mktemp("lab-root"))
    env = dict(os.environ)
    env.setdefault("PRIVLAB_PROGRESS", "0")
    with lab.jupyterlab(root, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def browser_context(chromium: Path) -> Iterator[tuple[Any, Any]]:
    """(Playwright browser context, its Offline guard): 127.0.0.1 only.

    Module scope: Playwright's sync API keeps its event loop running while it is
    open, and any later test that opens its own (tests/report) would find it.
    """
    with lab.offline_browser(chromium) as pair:
        yield pair
