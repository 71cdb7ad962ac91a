"""Run anonymeter 1.1.0's evaluators on files; executed by .venv-oracles/anonymeter/bin/python.

Usage: python _anonymeter_oracle.py WORKDIR  (reads ori/syn/control.parquet and
config.json from WORKDIR, writes anonymeter.json there). Not imported by privlab.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import anonymeter.evaluators  # noqa: F401  (import order avoids a circular import)
import numpy as np
import pandas as pd
from anonymeter.evaluators import InferenceEvaluator, LinkabilityEvaluator, SinglingOutEvaluator


def _risk(evaluator) -> dict:
    res = evaluator.results()
    risk = res.risk()
    return {
        "risk": risk.value,
        "ci": list(risk.ci),
        "n_success": int(res.n_success),
        "n_baseline": int(res.n_baseline),
        "n_control": None if res.n_control is None else float(res.n_control),
    }


def main(work: Path) -> None:
    cfg = json.loads((work / "config.json").read_text())
    ori = pd.read_parquet(work / "ori.parquet")
    syn = pd.read_parquet(work / "syn.parquet")
    control = pd.read_parquet(work / "control.parquet")
    out = []
    warnings.simplefilter("ignore")
    for seed in cfg["seeds"]:
        row = {"seed": seed}
        t = time.perf_counter()
        so = SinglingOutEvaluator(
            ori,
            syn,
            n_attacks=cfg["n_attacks"],
            n_cols=cfg["n_cols"],
            control=control,
            seed=seed,
            max_attempts=cfg["max_attempts"],
        )
        row["singling_out"] = _risk(so.evaluate(mode="multivariate"))
        row["singling_out"]["seconds"] = time.perf_counter() - t
        t = time.perf_counter()
        np.random.seed(seed)  # noqa: NPY002 - anonymeter's pandas .sample() uses it
        link = LinkabilityEvaluator(
            ori, syn, aux_cols=tuple(cfg["aux_cols"]), n_attacks=cfg["n_attacks"], control=control
        )
        row["linkability"] = _risk(link.evaluate(n_jobs=1))
        row["linkability"]["seconds"] = time.perf_counter() - t
        t = time.perf_counter()
        np.random.seed(seed)  # noqa: NPY002 - anonymeter's pandas .sample() uses it
        inf = InferenceEvaluator(
            ori,
            syn,
            aux_cols=cfg["inference_aux"],
            secret=cfg["secret"],
            regression=cfg["regression"],
            n_attacks=cfg["n_attacks"],
            control=control,
        )
        row["inference"] = _risk(inf.evaluate(n_jobs=1))
        row["inference"]["seconds"] = time.perf_counter() - t
        out.append(row)
    (work / "anonymeter.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
