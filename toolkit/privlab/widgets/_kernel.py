"""Whether code runs inside a Jupyter kernel (widgets draw charts only there)."""

from __future__ import annotations


def in_kernel() -> bool:
    """True inside an IPython kernel; False in plain Python and in headless tests."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
