"""A linkage attack on released microdata (anonymized or synthetic).

The attacker knows some targets' quasi-identifier values from the original and
looks for them in the release: the released records *compatible* with a target
on the most QIs are its candidates (a generalized label is compatible when it
covers the target's value; a raw value when it falls in the same workload bin).
The attacker then guesses the target's sensitive value as the most common one
among the candidates. The **baseline** is guessing the release's most common
sensitive value for everyone; the **advantage** is how much of the remaining
uncertainty the release removes: ``max(0, (success − baseline) / (1 − baseline))``.

For a release that keeps the original row order (a masked anonymized release),
``identified`` is the share of targets whose only candidate is their own record.

Examples
--------
>>> import polars as pl
>>> from privlab.risk import linkage_attack
>>> from privlab.utility import ReleaseView, Workload
>>> data = pl.DataFrame({"zip": ["1", "2", "3", "4"] * 5, "dx": ["a", "b", "c", "d"] * 5})
>>> work = Workload.build(data, marginal_columns=["zip", "dx"])
>>> attack = linkage_attack(data, ReleaseView(data, aligned=True), ["zip"], "dx", work)
>>> attack["success"], attack["advantage"]
(1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

__all__ = ["linkage_attack"]


def _codes(values: list[str | None], vocabulary: dict[str, int]) -> np.ndarray:
    return np.array([vocabulary.get(v, -1) if v is not None else -1 for v in values])


def linkage_attack(
    original: pl.DataFrame,
    release: Any,
    quasi_identifiers: Sequence[str],
    sensitive: str,
    workload: Any,
    *,
    targets: int = 500,
    seed: int = 0,
) -> dict[str, Any]:
    """Run the attack; returns ``success``, ``baseline``, ``advantage``, ``identified``.

    Parameters
    ----------
    original:
        The real records (the attacker knows the targets' QIs).
    release:
        A :class:`~privlab.utility.ReleaseView`.
    workload:
        A :class:`~privlab.utility.Workload` whose bins define "the same value"
        for raw numeric/date QIs.
    """
    frame = release.frame
    rng = np.random.default_rng(seed)
    n = original.height
    pick = np.sort(rng.choice(n, size=min(targets, n), replace=False))
    tgt = original[pick]
    sens_release = frame[sensitive].cast(pl.String).to_list()
    if frame.height == 0:
        return {"success": 0.0, "baseline": 0.0, "advantage": 0.0, "identified": None}
    score = np.zeros((len(pick), frame.height), dtype=np.int32)
    for q in quasi_identifiers:
        bins = workload.bins.get(q)
        cov = release.coverage.get(q)
        target_vals = tgt[q].cast(pl.String).to_list()
        if cov is not None:
            labels = frame[q].cast(pl.String).to_list()
            label_vocab = {v: i for i, v in enumerate(sorted({x for x in labels if x is not None}))}
            value_vocab = {v: i for i, v in enumerate(sorted(cov["value"].unique().to_list()))}
            matrix = np.zeros((len(label_vocab) + 1, len(value_vocab) + 1), dtype=bool)
            for label, value in cov.select("label", "value").iter_rows():
                if label in label_vocab and value in value_vocab:
                    matrix[label_vocab[label], value_vocab[value]] = True
            if "*" in label_vocab:
                matrix[label_vocab["*"], :] = True
            lc = _codes(labels, label_vocab)
            vc = _codes(target_vals, value_vocab)
            score += 2 * matrix[lc[None, :], vc[:, None]]
        else:
            # raw values: an exact match scores 2, the same workload bin 1
            raw_rel = frame[q].cast(pl.String).to_list()
            raw_vocab = {v: i for i, v in enumerate(sorted({x for x in raw_rel if x is not None}))}
            exact = (
                _codes(raw_rel, raw_vocab)[None, :] == _codes(target_vals, raw_vocab)[:, None]
            ) & (_codes(target_vals, raw_vocab)[:, None] >= 0)
            expr = bins.expr(pl.col(q)) if bins is not None else pl.col(q).cast(pl.String)
            rel_b = frame.select(expr.alias("b"))["b"].to_list()
            tgt_b = tgt.select(expr.alias("b"))["b"].to_list()
            vocab = {
                v: i for i, v in enumerate(sorted({x for x in rel_b + tgt_b if x is not None}))
            }
            rc, tc = _codes(rel_b, vocab), _codes(tgt_b, vocab)
            star = np.array([v == "*" for v in raw_rel])
            same_bin = (rc[None, :] == tc[:, None]) & (tc[:, None] >= 0)
            score += np.where(exact | star[None, :], 2, same_bin.astype(np.int32)).astype(np.int32)
    best = score.max(axis=1, keepdims=True)
    candidates = score == best
    sens_vocab = {v: i for i, v in enumerate(sorted({s for s in sens_release if s is not None}))}
    sc = _codes(sens_release, sens_vocab)
    valid = sc >= 0
    counts = np.zeros((len(pick), len(sens_vocab) + 1))
    for code in range(len(sens_vocab)):
        counts[:, code] = (candidates & (sc == code)[None, :] & valid[None, :]).sum(axis=1)
    overall = np.bincount(sc[valid], minlength=len(sens_vocab) + 1).astype(float)
    counts += overall[None, :] * 1e-9  # ties → the globally more common value
    guess = counts[:, : len(sens_vocab)].argmax(axis=1)
    truth = _codes(tgt[sensitive].cast(pl.String).to_list(), sens_vocab)
    success = float((guess == truth).mean())
    top = int(overall[: len(sens_vocab)].argmax()) if len(sens_vocab) else -1
    baseline = float((truth == top).mean())
    advantage = max(0.0, (success - baseline) / (1 - baseline)) if baseline < 1 else 0.0
    identified = None
    if release.aligned and frame.height == n:
        own = candidates[np.arange(len(pick)), pick]
        unique = candidates.sum(axis=1) == 1
        identified = float((own & unique).mean())
    return {
        "success": success,
        "baseline": baseline,
        "advantage": advantage,
        "identified": identified,
        "targets": len(pick),
    }
