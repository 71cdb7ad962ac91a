"""The package surface: exports, import cost, version."""

from __future__ import annotations

import subprocess
import sys

import pytest

import privlab


def test_all_is_sorted_and_unique() -> None:
    assert privlab.__all__ == sorted(privlab.__all__)
    assert len(set(privlab.__all__)) == len(privlab.__all__)


def test_every_exported_name_resolves() -> None:
    for name in privlab.__all__:
        assert getattr(privlab, name) is not None, name


def test_lazy_map_names_are_exported() -> None:
    assert set(privlab._LAZY) <= set(privlab.__all__)


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        privlab.no_such_thing  # noqa: B018


def test_import_does_not_load_heavy_dependencies() -> None:
    code = (
        "import sys, privlab\n"
        "heavy = [m for m in ('sdv', 'torch', 'opendp', 'sdmetrics', 'altair', 'pandas')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"import privlab loaded {out}"
