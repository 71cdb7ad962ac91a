"""Automatic clipping bounds from a DP histogram over a public grid.

The histogram is OpenDP's (a session releases it like any query, inside the
same reservation as the query that needs the bounds); this module holds the
public grid — signed 1-2-5 steps from ±0.01 to ±5e9, plus the two unbounded
tail bins — and the post-processing that turns noisy bin counts into bounds,
so both can be tested without a session.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["AUTO_BOUNDS_ALPHA", "AUTO_EDGES", "bounds_from_counts"]

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


#: Family-wise chance that a bin holding no value clears the threshold.
AUTO_BOUNDS_ALPHA = 1e-6


def bounds_from_counts(
    edges: Sequence[float], counts: Sequence[float], threshold: float
) -> tuple[float, float, str]:
    """Bounds spanning every bin whose noisy count clears ``threshold`` (and a note).

    ``counts`` has one more entry than ``edges``: bins are ``(-inf, e0]``,
    ``(e0, e1]``, …, ``(e_last, inf)``. ``threshold`` is OpenDP's accuracy of
    the noisy counts at ``AUTO_BOUNDS_ALPHA / bins``, so the chance that any
    empty bin clears it is at most :data:`AUTO_BOUNDS_ALPHA` / 2: a lone far
    bin of pure noise cannot stretch the bounds (the failure that gave
    bounds like (20, 1e6) for ages). Values in bins below the threshold are
    clipped — the tails of skewed data, by design. When no bin clears it
    (little data, or little ε), the fullest bin is used and the note says so.

    Examples
    --------
    >>> bounds_from_counts([0, 10, 20, 30], [0, 5, 900, 300, 2], 50.0)
    (10, 30, '2 bins cleared the noise threshold 50')
    >>> bounds_from_counts([0, 10, 20, 30], [3, 0, 40, 1, 0], 50.0)
    (10, 20, 'no bin cleared the noise threshold 50: the fullest bin was used')
    """
    kept = [i for i, c in enumerate(counts) if c >= threshold]
    note = f"{len(kept)} bins cleared the noise threshold {threshold:.3g}"
    if not kept:
        kept = [max(range(len(counts)), key=lambda i: counts[i])]
        note = f"no bin cleared the noise threshold {threshold:.3g}: the fullest bin was used"
    first, last = min(kept), max(kept)
    lo = edges[first - 1] if first > 0 else edges[0]
    hi = edges[last] if last < len(edges) else edges[-1]
    if lo >= hi:  # only an outer, unbounded bin: take the neighbouring finite one
        lo, hi = (edges[0], edges[1]) if first == 0 else (edges[-2], edges[-1])
    return lo, hi, note
