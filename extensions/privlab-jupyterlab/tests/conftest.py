"""A Jupyter server with the extension loaded, and a privlab store with a sample in it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from privlab_seed import register, spend

pytest_plugins = ("pytest_jupyter.jupyter_server",)

SAMPLE = Path(__file__).resolve().parents[3] / "data_samples" / "patients.csv"


@pytest.fixture(autouse=True)
def _privlab_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the server's own PRIVLAB_HOME is an empty throw-away folder unless a test says otherwise
    monkeypatch.setenv("PRIVLAB_HOME", str(tmp_path / "server-home"))
    monkeypatch.setenv("PRIVLAB_PROGRESS", "0")
    monkeypatch.setenv("PRIVLAB_USER", "tester")
    monkeypatch.delenv("PRIVLAB_AUDIT_KEY", raising=False)
    monkeypatch.delenv("PRIVLAB_AUDIT_WITNESS", raising=False)


@pytest.fixture
def jp_server_config() -> dict:
    return {
        "ServerApp": {
            "jpserver_extensions": {"privlab_jupyterlab": True},
            "allow_unauthenticated_access": False,
        }
    }


@pytest.fixture(scope="session")
def _seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with ``patients`` registered (budget 2 ε, profiled, approved) and 0.5 ε spent."""
    home = tmp_path_factory.mktemp("seeded") / "home"
    register(home, SAMPLE, budget=2.0)
    spend(home, SAMPLE, 0.5)
    return home


@pytest.fixture
def store(_seeded: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded store, so a test may change it."""
    home = tmp_path / "store"
    shutil.copytree(_seeded, home)
    return home


@pytest.fixture
def sample(jp_root_dir: Path) -> Path:
    """patients.csv in the server's root folder."""
    target = Path(jp_root_dir) / "patients.csv"
    shutil.copy(SAMPLE, target)
    return target
