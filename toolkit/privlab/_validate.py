"""Argument checks shared by every layer: one ``check_*`` family, one message shape.

Each check returns the (normalized) value or raises with the message
"```name`` must be <what>, got <value!r>" plus an optional hint, as
scikit-learn's parameter validation does. The exception class is the caller's
domain error (``DPQueryError`` for privacy-loss parameters, ``InputError`` by
default), so ``except ValueError`` keeps working everywhere.

Examples
--------
>>> check_epsilon(0.5)
0.5
>>> check_epsilon(0)
Traceback (most recent call last):
...
privlab.exceptions.DPQueryError: `epsilon` must be a finite number > 0, got 0; ...
>>> check_int(5, "k", minimum=2)
5
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from privlab.exceptions import DPQueryError, InputError

__all__ = [
    "check_delta",
    "check_epsilon",
    "check_fraction",
    "check_int",
    "check_unique",
    "fail",
]


def fail(
    name: str, expected: str, value: Any, *, hint: str = "", error: type[Exception] = InputError
) -> Exception:
    """The exception for a bad argument (raise it: ``raise fail(...)``)."""
    message = f"`{name}` must be {expected}, got {value!r}"
    return error(f"{message}; {hint}" if hint else message)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_epsilon(value: Any, name: str = "epsilon", *, allow_zero: bool = False) -> float:
    """A privacy-loss ε: a finite number > 0 (≥ 0 for budgets with *allow_zero*)."""
    ok = _is_number(value) and math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise fail(
            name,
            f"a finite number {bound}",
            value,
            hint="smaller ε means more noise and more privacy",
            error=DPQueryError,
        )
    return float(value)


def check_delta(value: Any, name: str = "delta") -> float:
    """A privacy-loss δ in [0, 1)."""
    if not (_is_number(value) and 0 <= value < 1):
        raise fail(name, "a number in [0, 1)", value, error=DPQueryError)
    return float(value)


def check_int(
    value: Any,
    name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    error: type[Exception] = InputError,
) -> int:
    """A whole number (not a bool) within [*minimum*, *maximum*]."""
    ok = isinstance(value, int) and not isinstance(value, bool)
    ok = ok and (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    if not ok:
        what = "an integer"
        if minimum is not None and maximum is not None:
            what += f" in [{minimum}, {maximum}]"
        elif minimum is not None:
            what += f" >= {minimum}"
        elif maximum is not None:
            what += f" <= {maximum}"
        raise fail(name, what, value, error=error)
    return int(value)


def check_fraction(
    value: Any, name: str, *, inclusive: bool = True, error: type[Exception] = InputError
) -> float:
    """A share in [0, 1] (or (0, 1) with ``inclusive=False``)."""
    ok = _is_number(value) and (0 <= value <= 1 if inclusive else 0 < value < 1)
    if not ok:
        raise fail(name, "a number in " + ("[0, 1]" if inclusive else "(0, 1)"), value, error=error)
    return float(value)


def check_unique(
    values: Sequence[str], name: str, *, error: type[Exception] = InputError
) -> list[str]:
    """Names listed at most once (duplicate QIs, duplicate columns)."""
    seen: set[str] = set()
    dupes = sorted({v for v in values if v in seen or seen.add(v)})  # type: ignore[func-returns-value]
    if dupes:
        raise error(f"`{name}` lists {dupes!r} more than once; give each column once")
    return list(values)
