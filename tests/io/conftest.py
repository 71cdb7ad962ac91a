"""Helpers for the I/O tests: prove that a failing call wrote nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under *folder* (hidden ones too) -> sha256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def nothing_written() -> Callable[[Path], AbstractContextManager[None]]:
    """``with nothing_written(folder): ...`` fails if the block changed any file there."""

    @contextmanager
    def check(folder: Path) -> Iterator[None]:
        before = snapshot(folder)
        yield
        after = snapshot(folder)
        assert after == before, f"files changed: {set(after) ^ set(before) or 'contents'}"

    return check
