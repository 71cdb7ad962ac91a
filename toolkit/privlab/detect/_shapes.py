"""Hashed and random identifiers: hex digests, base64 tokens, UUIDs — with high entropy.

A column whose values are hex strings of 16+ characters (MD5, SHA-1/256 digests,
hashed IDs), base64/base64url tokens of 16+ characters, or UUIDs, and whose
characters are close to uniformly spread (Shannon entropy per character near the
alphabet's maximum), is an identifier whatever its name: hashing a name or an
e-mail without a key is reversible by anyone who can guess the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from privlab.detect._util import share

__all__ = ["random_id_evidence"]

_SHAPES: tuple[tuple[str, str, float], ...] = (
    # name, pattern (whole value), minimum bits per character
    ("uuid", r"(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", 3.3),
    ("hex", r"^(?:[0-9a-f]{16,128}|[0-9A-F]{16,128})$", 3.5),
    ("base64", r"^[A-Za-z0-9+/_-]{16,}={0,2}$", 4.8),
)


def _bits_per_char(values: pl.Series) -> float:
    chars = values.str.replace_all("-", "").str.split("").explode()
    counts = chars.rename("value").value_counts()["count"].to_numpy().astype(float)
    total = counts.sum()
    if total == 0:
        return 0.0
    p = counts / total
    return float(-(p * np.log2(p)).sum())


def random_id_evidence(values: pl.Series, *, min_share: float = 0.9) -> dict[str, Any] | None:
    """``{"shape", "share", "bits_per_char"}`` when the column holds random-looking IDs.

    Base64 values must mix upper case, lower case and digits (plain words do not).
    Shapes are tried in the order UUID, hex, base64; the first that covers
    *min_share* of the non-null values with enough entropy per character wins.

    Parameters
    ----------
    values:
        The column (cast to text).
    min_share:
        Share of the non-null values that must have the shape.

    Returns
    -------
    dict or None
        ``shape`` (``"uuid"``, ``"hex"`` or ``"base64"``), ``share`` of values
        with it and their ``bits_per_char`` (Shannon entropy), or ``None``.

    Examples
    --------
    >>> import hashlib, polars as pl
    >>> digests = [hashlib.md5(str(i).encode()).hexdigest() for i in range(200)]
    >>> random_id_evidence(pl.Series(digests))["shape"]
    'hex'
    >>> random_id_evidence(pl.Series(["deadbeefdeadbeef"] * 200)) is None  # too little entropy
    True
    """
    text = values.cast(pl.String).str.strip_chars().drop_nulls()
    if len(text) == 0:
        return None
    for name, pattern, min_bits in _SHAPES:
        hit = text.str.contains(pattern).fill_null(False)
        if name == "base64":
            hit = (
                hit
                & text.str.contains(r"[A-Z]").fill_null(False)
                & text.str.contains(r"[a-z]").fill_null(False)
                & text.str.contains(r"\d").fill_null(False)
            )
        hit_share = share(hit)
        if hit_share < min_share:
            continue
        bits = _bits_per_char(text.filter(hit).head(2_000))
        if bits >= min_bits:
            return {"shape": name, "share": round(hit_share, 4), "bits_per_char": round(bits, 3)}
    return None
