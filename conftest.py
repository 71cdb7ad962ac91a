"""Test-wide setup: every test, doctest and notebook gets its own PRIVLAB_HOME.

A persistent privacy budget or catalog shared between runs would make reruns
depend on each other (a DP budget would run out), so nothing here touches the
user's real ``~/.privlab``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SHARED_DATA = ROOT.parent / "shared" / "data"

# Notebook kernels inherit os.environ when nbval starts them; start from a
# throw-away home so nothing leaks into ~/.privlab even outside a test.
os.environ["PRIVLAB_HOME"] = tempfile.mkdtemp(prefix="privlab-test-home-")
os.environ.setdefault("PRIVLAB_PROGRESS", "0")
os.environ.setdefault("PRIVLAB_USER", "tester")

# Import the package before pytest collects its modules for doctests: under
# --import-mode=importlib, a module collected before its package is imported gets
# loaded twice (privlab/__init__ imports one copy, pytest installs another), and
# state such as the registered release gate then lives in the wrong copy.
import privlab  # noqa: E402, F401


@pytest.fixture(autouse=True)
def privlab_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Give each test (and doctest) a fresh, empty PRIVLAB_HOME."""
    home = tmp_path_factory.mktemp("privlab_home")
    old = os.environ.get("PRIVLAB_HOME")
    os.environ["PRIVLAB_HOME"] = str(home)
    try:
        yield home
    finally:
        if old is None:
            os.environ.pop("PRIVLAB_HOME", None)
        else:
            os.environ["PRIVLAB_HOME"] = old


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Start each notebook's kernel with its own fresh PRIVLAB_HOME.

    nbval starts one kernel per notebook when the notebook's first cell is set
    up; the kernel copies os.environ at that moment.
    """
    parent = item.parent
    is_notebook = parent is not None and str(parent.path).endswith(".ipynb")
    if is_notebook and not getattr(parent, "_privlab_home_set", False):
        os.environ["PRIVLAB_HOME"] = tempfile.mkdtemp(prefix="privlab-nb-home-")
        parent._privlab_home_set = True  # type: ignore[union-attr]
