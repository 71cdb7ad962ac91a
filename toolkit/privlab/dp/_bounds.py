"""Automatic clipping bounds from a DP histogram over a public grid.

The histogram's release is the caller's (a session spends it like any query);
this module holds the public grid and the post-processing that turns noisy
bin counts into bounds, so both can be tested without a session.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["AUTO_EDGES", "bounds_from_histogram"]

#: Bin edges for automatic bounds: 0 and ±{1, 2, 5} × 10^k for k = -2 … 9 — a
#: signed logarithmic grid that depends on nothing in the data.
AUTO_EDGES: tuple[float, ...] = tuple(
    [
        -v
        for v in sorted({m * 10.0**k for k in range(-2, 10) for m in (1.0, 2.0, 5.0)}, reverse=True)
    ]
    + [0.0]
    + sorted({m * 10.0**k for k in range(-2, 10) for m in (1.0, 2.0, 5.0)})
)


def bounds_from_histogram(
    edges: Sequence[float], counts: Sequence[float], lower_q: float, upper_q: float
) -> tuple[float, float]:
    """Outer edges of the bins holding the ``lower_q`` and ``upper_q`` quantiles.

    ``counts`` has one more entry than ``edges``: bins are ``(-inf, e0]``,
    ``(e0, e1]``, …, ``(e_last, inf)``.

    Examples
    --------
    >>> bounds_from_histogram([0, 10, 20, 30], [0, 5, 90, 5, 0], 0.01, 0.99)
    (0, 30)
    >>> bounds_from_histogram([0, 10, 20, 30], [0, 0, 100, 0, 0], 0.01, 0.99)
    (10, 20)
    """
    total = math.fsum(counts)
    if total <= 0:
        return edges[0], edges[-1]
    cum, lo_bin, hi_bin = 0.0, None, len(counts) - 1
    for i, c in enumerate(counts):
        cum += c
        if lo_bin is None and cum >= lower_q * total and cum > 0:
            lo_bin = i
        if cum >= upper_q * total:
            hi_bin = i
            break
    lo_bin = 0 if lo_bin is None else lo_bin
    lo = edges[max(lo_bin - 1, 0)]
    hi = edges[min(hi_bin, len(edges) - 1)]
    if lo >= hi:  # both quantiles in an outer bin: take its neighbour too
        if hi_bin >= len(edges):
            lo = edges[-2] if len(edges) > 1 else lo - 1.0
        else:
            hi = edges[min(lo_bin + 1, len(edges) - 1)] if lo_bin + 1 < len(edges) else hi + 1.0
    return lo, hi
