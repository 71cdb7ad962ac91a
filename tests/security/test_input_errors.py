"""Trials with hostile or careless input: every problem is one clear line, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import privlab as pv
from privlab.exceptions import InputError
from privlab.io import InputWarning, write_json

from .conftest import cli, digest

WIDE = "123456789012345678901234567890"


@pytest.mark.parametrize("where", ["first rows", "after 20,000 rows"])
def test_integers_beyond_64_bits_are_read_as_text_with_a_note(tmp_path: Path, where: str) -> None:
    """Attacker: a table with an account number wider than 64 bits (first rows, or deep in
    the file past the type inference). Must not achieve: a polars traceback in every
    command, or a silently mangled number."""
    rows = [f"{i},{i % 90}" for i in range(20_000 if where != "first rows" else 2)]
    rows.insert(len(rows) if where != "first rows" else 0, f"{WIDE},3")
    path = tmp_path / "accounts.csv"
    path.write_text("account,age\n" + "\n".join(rows) + "\n")
    with pytest.warns(InputWarning, match=r"\['account'\] hold integers wider than 64 bits"):
        frame = pv.read(path).collect()
    assert WIDE in frame["account"].to_list()  # every digit kept
    run = cli("info", path)
    assert run.code == 0
    assert run.err.startswith("note: ")
    assert run.err.count("\n") == 1
    assert "Traceback" not in run.err


def test_duplicate_column_names_are_refused(tmp_path: Path) -> None:
    """Attacker: a CSV export with two ``age`` columns. Must not achieve: columns silently
    renamed (``age_duplicated_0``) and then released under a name nobody checked."""
    path = tmp_path / "dup.csv"
    path.write_text("id,age,age\n1,30,40\n")
    before = digest(path)
    with pytest.raises(InputError, match=r"duplicate column names \['age'\]"):
        pv.read(path)
    run = cli("profile", path)
    assert run.code == 2
    assert "duplicate column names ['age']" in run.err
    assert digest(path) == before


def test_duplicate_quasi_identifiers_are_refused(tmp_path: Path) -> None:
    """Attacker: ``privlab risk --qi a,a``. Must not achieve: a DuplicateError traceback."""
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n2,y\n")
    run = cli("risk", path, "--qi", "a,a")
    assert run.code == 2
    assert "lists ['a'] more than once" in run.err
    with pytest.raises(InputError, match="more than once"):
        pv.assess_risk(pv.read(path), ["a", "a"])


def test_risk_json_is_strict(tmp_path: Path) -> None:
    """Attacker: a table where recursive (c,ℓ)-diversity is infinite. Must not achieve:
    ``Infinity`` in ``--format json`` (invalid JSON that breaks every consumer)."""
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n1,x\n")
    run = cli("risk", path, "--qi", "a", "--sensitive", "b", "--format", "json")
    assert run.code == 0
    assert "Infinity" not in run.out
    assert "NaN" not in run.out
    data = json.loads(run.out, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert data["l"]["recursive_c"] is None  # undefined here: null, never Infinity


def test_written_json_is_strict(tmp_path: Path) -> None:
    """Attacker: none — a figure that is NaN in a manifest or report written by privlab.
    Must not achieve: a file other JSON readers reject."""
    target = write_json(tmp_path / "m.json", {"t": float("nan"), "k": 2})
    text = target.read_text()
    assert "NaN" not in text
    assert json.loads(text) == {"k": 2, "notes": ["t is nan: reported as null"], "t": None}
