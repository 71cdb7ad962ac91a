"""The tutorials re-run: 00→06 twice, then 06→00, in one environment (issue 18).

One ``PRIVLAB_HOME`` for the whole sequence and no per-notebook home from the
root ``conftest.py`` (``--noconftest``): what a person gets who runs every
notebook again and again in one JupyterLab. Each notebook's first cell wipes
its own store (``notebooks/.privlab-tutorial/<notebook>/``), so a policy
installed by 06, a budget spent by 03 or 06's tampered audit log must not break
any later run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

pytestmark = pytest.mark.slow  # every notebook three times: minutes


def test_notebooks_rerun_forwards_twice_then_backwards(tmp_path: Path) -> None:
    assert [p.name[:2] for p in NOTEBOOKS] == ["00", "01", "02", "03", "04", "05", "06"]
    order = [*NOTEBOOKS, *NOTEBOOKS, *reversed(NOTEBOOKS)]
    env = {
        **os.environ,
        "PRIVLAB_HOME": str(tmp_path / "one-home"),
        "PRIVLAB_PROGRESS": "0",
        "PRIVLAB_USER": "tester",
    }
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
            "--noconftest", "--keep-duplicates", "-p", "no:cacheprovider", "-q",
            "-o", "addopts=", *map(str, order),
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    tail = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0, tail
    cells = sum(
        1 for p in NOTEBOOKS for line in p.read_text().splitlines() if '"cell_type": "code"' in line
    )
    assert f"{3 * cells} passed" in result.stdout, tail  # every cell of every run executed
