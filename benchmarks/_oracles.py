"""Build the oracle virtual environments (pyCANON) on first use, cached under .venv-oracles/."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYCANON = ROOT / ".venv-oracles" / "pycanon"


def ensure_pycanon() -> Path:
    """The python of a venv holding pycanon==1.3.6 (it pins numpy, pandas, scipy …)."""
    python = PYCANON / "bin" / "python"
    if not python.exists():
        subprocess.run(["python3.11", "-m", "venv", str(PYCANON)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "pycanon==1.3.6"],
            check=True,
            capture_output=True,
        )
    return python


def pycanon_measure(
    csv: Path,
    qi: list[str],
    sa: str | None,
    *,
    sep: str = ",",
    raw: Path | None = None,
    raw_sep: str = ",",
    timeout: float = 3600,
) -> dict[str, Any]:
    """Run pyCANON on a CSV file; returns its k, l_distinct, l_entropy, t and timings,
    and ``dm`` (discernibility with suppression) when the original table *raw* is given."""
    python = ensure_pycanon()
    config: dict[str, Any] = {"qi": qi, "sa": sa, "sep": sep, "dtypes": {c: "str" for c in qi}}
    if raw is not None:
        config.update(raw=str(raw), raw_sep=raw_sep)
    out = subprocess.run(
        [
            str(python),
            str(ROOT / "benchmarks" / "_pycanon_oracle.py"),
            str(csv),
            json.dumps(config),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


if __name__ == "__main__":  # pragma: no cover
    print(ensure_pycanon(), file=sys.stderr)
