"""Shared pieces of the security trials: a CLI runner, a forger's SQLite handle, a table.

Every test in this folder is one trial of issue 14: its docstring names the
attacker — what they can touch, and what they must not achieve.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from privlab.cli import main

KEY = "security-trial-audit-key"
RECIPE = """
steps:
  - {op: drop, columns: [name]}
privacy:
  quasi_identifiers: [age]
  hierarchies:
    age: {type: interval, widths: [10, 20]}
  k: 2
  max_suppression: 0.2
"""


@dataclass
class Run:
    """One CLI invocation: exit code, stdout and stderr."""

    code: int
    out: str
    err: str


def cli(*args: str) -> Run:
    """Run ``privlab ARGS`` in-process."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def digest(path: Path) -> str:
    """SHA-256 of a file (to prove an input is byte-identical after a refusal)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def forger(home: Path) -> sqlite3.Connection:
    """What an insider with write access to the store file uses: plain sqlite3."""
    return sqlite3.connect(home / "privlab.sqlite", isolation_level=None)


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> str:
    """The honest users' audit key (the attacker never sees it)."""
    monkeypatch.setenv("PRIVLAB_AUDIT_KEY", KEY)
    return KEY


@pytest.fixture
def people(tmp_path: Path) -> Path:
    """A small source table with a direct identifier and a quasi-identifier."""
    n = 40
    frame = pl.DataFrame(
        {
            "name": [f"Person {i}" for i in range(n)],
            "age": [20 + (i * 7) % 45 for i in range(n)],
            "dx": ["a", "b", "c", "d"] * (n // 4),
        }
    )
    path = tmp_path / "src" / "people.csv"
    path.parent.mkdir()
    frame.write_csv(path)
    return path


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    """A recipe file that releases age (generalized) and dx."""
    path = tmp_path / "src" / "recipe.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(RECIPE)
    return path
