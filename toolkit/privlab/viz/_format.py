"""Numbers rounded for people: one formatter for widgets, reports and chart tooltips.

Full precision stays in the data (traits, frames, JSON); only the text shown to
a person is rounded.

Examples
--------
>>> from privlab.viz import format_number
>>> format_number(2.0499999999994603), format_number(0.30021765659433153)
('2.05', '0.3')
>>> format_number(12345.678), format_number(5000), format_number(0.052, percent=True)
('12,346', '5,000', '5.2%')
>>> format_number(None), format_number(float("nan")), format_number(True)
('—', 'n/a', 'yes')
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["format_number"]


def format_number(value: Any, *, digits: int = 3, percent: bool = False) -> str:
    """*value* as short text: ``digits`` significant digits, thousands separated.

    Parameters
    ----------
    value:
        A number (``bool``, ``int``, ``float``), ``None`` or anything else (shown
        with ``str``).
    digits:
        Significant digits for fractions (numbers ≥ 1000 are shown as whole
        numbers with separators).
    percent:
        Show a share (0–1) as a percentage with one decimal.

    Returns
    -------
    str
        ``"—"`` for ``None``, ``"n/a"`` for NaN, ``"∞"`` for infinity.

    Examples
    --------
    >>> format_number(0.000012345), format_number(-3.14159, digits=2)
    ('1.23e-05', '-3.1')
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if not isinstance(value, float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return str(value)
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if percent:
        return f"{value * 100:.1f}%"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if value == int(value) and abs(value) < 1000:
        return f"{int(value)}"
    return f"{value:.{digits}g}"
