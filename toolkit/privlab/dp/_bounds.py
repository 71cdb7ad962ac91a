"""Automatic clipping bounds from a DP histogram over a public grid.

The histogram is OpenDP's (a session releases it like any query, inside the
same reservation as the query that needs the bounds); this module holds the
public grid — signed 1-2-5 steps from ±0.01 to ±5e9, plus the two unbounded
tail bins — and the post-processing that turns noisy bin counts into bounds,
so both can be tested without a session.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["AUTO_BOUNDS_ALPHA", "AUTO_BOUNDS_EXTEND_ALPHA", "AUTO_EDGES", "bounds_from_counts"]

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


#: Family-wise chance that a bin holding no value clears the core threshold.
AUTO_BOUNDS_ALPHA = 1e-6
#: Family-wise chance for the bins that extend the core outward, one neighbour at a time.
AUTO_BOUNDS_EXTEND_ALPHA = 0.05


def bounds_from_counts(
    edges: Sequence[float], counts: Sequence[float], threshold: float, extend: float
) -> tuple[float, float, str]:
    """Bounds from noisy bin counts: a robust core, extended over its significant neighbours.

    ``counts`` has one more entry than ``edges``: bins are ``(-inf, e0]``,
    ``(e0, e1]``, …, ``(e_last, inf)``. The *core* spans every bin whose
    noisy count clears ``threshold`` — OpenDP's accuracy of the counts at
    ``AUTO_BOUNDS_ALPHA / bins``, so the chance that any empty bin clears it
    is below 1e-6 and a lone far bin of pure noise cannot stretch the bounds
    (the failure that gave (20, 1e6) for ages). The core then grows one
    *adjacent* bin at a time while that bin clears ``extend`` (accuracy at
    ``AUTO_BOUNDS_EXTEND_ALPHA / bins``): sparse but real tails are kept, and
    a false extension costs one grid step (×2–2.5), never an absurd bound.
    Values in the bins left out are clipped. When no bin clears
    ``threshold`` (little data, or little ε), the fullest bin is the core
    and the note says so.

    Examples
    --------
    >>> bounds_from_counts([0, 10, 20, 30], [0, 5, 900, 300, 2], 500.0, 100.0)
    (10, 30, 'core of 1 bin(s) above 500, extended over 1 neighbour(s) above 100')
    >>> bounds_from_counts([0, 10, 20, 30], [3, 0, 40, 1, 0], 500.0, 100.0)[:2]
    (10, 20)
    """
    core = [i for i, c in enumerate(counts) if c >= threshold]
    note = f"core of {len(core)} bin(s) above {threshold:.3g}"
    if not core:
        core = [max(range(len(counts)), key=lambda i: counts[i])]
        note = f"no bin cleared the noise threshold {threshold:.3g}: the fullest bin was used"
    first, last = min(core), max(core)
    grown = 0
    while first > 0 and counts[first - 1] >= extend:
        first, grown = first - 1, grown + 1
    while last < len(counts) - 1 and counts[last + 1] >= extend:
        last, grown = last + 1, grown + 1
    note += f", extended over {grown} neighbour(s) above {extend:.3g}"
    lo = edges[first - 1] if first > 0 else edges[0]
    hi = edges[last] if last < len(edges) else edges[-1]
    if lo >= hi:  # only an outer, unbounded bin: take the neighbouring finite one
        lo, hi = (edges[0], edges[1]) if first == 0 else (edges[-2], edges[-1])
    return lo, hi, note
