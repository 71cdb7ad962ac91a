"""Calibration sets for the synthetic-data risk figures (shared by the test and the benchmark).

From one real table: train, holdout and fresh sets of equal size, disjoint, drawn with a
seed. Synthetic sets built from them:

* ``copies 0 %`` … ``copies 100 %``: that share of training rows copied verbatim, the rest
  GaussianCopula rows (``copies 0 %`` is plain GaussianCopula);
* ``noise``: every training column shuffled on its own (marginals kept, records broken);
* ``fresh``: real rows of the same population the generator never saw — a perfect generator.

``benchmarks/bench_calibration.py`` prints the table in RESULTS.md;
``tests/synth/test_calibration.py`` asserts the orderings.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import polars as pl

COPY_SHARES = (0, 25, 50, 100)
FIGURES = ("singling_out", "linkability", "inference", "exact_copies", "dcr")


def split(data: pl.DataFrame, n: int, seed: int = 0) -> tuple[pl.DataFrame, ...]:
    """train, holdout, fresh: three disjoint sets of *n* rows each."""
    if 3 * n > data.height:
        raise ValueError(f"need {3 * n} rows for three sets of {n}, the table has {data.height}")
    order = np.random.default_rng(seed).permutation(data.height)
    return tuple(data[np.sort(order[i * n : (i + 1) * n])] for i in range(3))


def synthetic_sets(
    train: pl.DataFrame, fresh: pl.DataFrame, seed: int = 0
) -> dict[str, pl.DataFrame]:
    """The calibration's synthetic sets, each with as many rows as *train*."""
    import privlab as pv

    n = train.height
    rng = np.random.default_rng(seed + 1)
    copula = pv.synthesize(
        train,
        model="gaussian_copula",
        rows=n,
        seed=seed,
        profile={c: "other" for c in train.columns},
        progress=False,
    ).data
    assert isinstance(copula, pl.DataFrame)
    copula = copula.select(train.columns).cast(dict(train.schema))  # type: ignore[arg-type]
    out: dict[str, pl.DataFrame] = {}
    for share in COPY_SHARES:
        m = round(n * share / 100)
        copied = train[np.sort(rng.choice(n, m, replace=False))]
        rest = copula[np.sort(rng.choice(n, n - m, replace=False))]
        out[f"copies {share} %"] = pl.concat([copied, rest], how="vertical_relaxed")
    out["noise"] = pl.DataFrame({c: train[c].sample(n, shuffle=True, seed=seed + 7 + i)
                                 for i, c in enumerate(train.columns)})  # fmt: skip
    out["fresh"] = fresh
    return out


def evaluate_sets(
    train: pl.DataFrame,
    holdout: pl.DataFrame,
    sets: dict[str, pl.DataFrame],
    *,
    n_attacks: int | None = None,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """``{set: {figure: {"risk", "ci"}, "privacy_risk", "seconds"}}``."""
    import privlab as pv

    out: dict[str, dict[str, Any]] = {}
    for name, syn in sets.items():
        start = time.perf_counter()
        report = pv.evaluate_synthetic(
            train,
            syn,
            holdout,
            quality=False,
            seed=seed,
            **({} if n_attacks is None else {"n_attacks": n_attacks}),
            progress=False,
        )
        risks = report.risks()
        row: dict[str, Any] = {
            f: {"risk": float(risks[f]["risk"]), "ci": [float(x) for x in risks[f]["ci"]]}
            for f in FIGURES
        }
        row["privacy_risk"] = report.summary()["privacy_risk"]
        row["seconds"] = time.perf_counter() - start
        out[name] = row
    return out


def markdown(results: dict[str, dict[str, Any]]) -> str:
    """One row per set: each figure as ``risk [lo, hi]``."""
    head = "| set | " + " | ".join(FIGURES) + " | privacy_risk (upper end) |"
    lines = [head, "|" + "---|" * (len(FIGURES) + 2)]
    for name, row in results.items():
        cells = [f"{row[f]['risk']:.3f} [{row[f]['ci'][0]:.3f}, {row[f]['ci'][1]:.3f}]"
                 for f in FIGURES]  # fmt: skip
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {row['privacy_risk']:.3f} |")
    return "\n".join(lines)
