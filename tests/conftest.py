"""Fixtures shared by the unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data_samples"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The committed sample tables (data_samples/)."""
    return SAMPLES


@pytest.fixture(scope="session")
def adult_dir() -> Path:
    """../shared/data/adult; tests using it skip cleanly on a fresh clone without it."""
    path = SHARED_DATA / "adult"
    if not (path / "adult.csv").exists():
        pytest.skip(f"shared Adult data not present at {path}")
    return path
