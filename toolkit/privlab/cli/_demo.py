"""``privlab demo``: the end-to-end tour that ``make demo`` runs.

On ``data_samples/patients.csv``: profile → suggested recipe → anonymize → a few
DP queries → synthesize → trade-off → one HTML report, every release going
through the catalog, the policy gate and the audit log. Everything is written
under ``--out`` (its own ``PRIVLAB_HOME`` when ``make demo`` runs it).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import click

#: Only for the demo: a real pseudonym key comes from a secret store, never from code.
DEMO_KEY = "privlab-demo-key-not-for-real-data"


class _Steps:
    def __init__(self, total: int) -> None:
        self.total = total
        self.n = 0
        self.start = time.perf_counter()
        self.t = self.start

    def __call__(self, text: str) -> None:
        self.n += 1
        click.secho(f"\n[{self.n}/{self.total}] {text}", bold=True)
        self.t = time.perf_counter()

    def done(self, text: str) -> None:
        click.echo(f"      {text} ({time.perf_counter() - self.t:.1f} s)")


@click.command()
@click.option(
    "--samples",
    type=click.Path(file_okay=False, exists=True),
    default="data_samples",
    show_default=True,
    help="Folder of the sample tables.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="demo_output",
    show_default=True,
    help="Folder for everything the demo writes.",
)
@click.option(
    "--quick", is_flag=True, help="Smaller samples and grids, every step kept (for tests)."
)
def demo(samples: str, out: str, quick: bool) -> None:
    """Run the privlab tour on the sample patients table and write results under OUT."""
    import polars as pl

    import privlab as pv
    import privlab.dp as pdp
    from privlab.governance import Governance
    from privlab.io import check_outputs, write_json, write_text

    folder = Path(out)
    source = Path(samples) / "patients.csv"
    names = ["profile.json", "recipe.yaml", "patients_anonymized.parquet", "dp_answers.txt"]
    names += ["tradeoff.json", "report.html", "frontier.png"]
    # OUT is the demo's own folder: created here (its parent must exist)
    check_outputs(
        [(f"OUT/{n}", folder / n) for n in names], [("SAMPLES", source)], new_folders=[folder]
    )
    folder.mkdir(exist_ok=True)
    os.environ.setdefault("PRIVLAB_PSEUDONYM_KEY", DEMO_KEY)
    os.environ.setdefault("PRIVLAB_AUDIT_KEY", DEMO_KEY + "-audit")
    step = _Steps(8)

    step("Load the sample patients table")
    patients = pv.read(source).collect()
    step.done(f"{source}: {patients.height:,} rows × {patients.width} columns")

    step("Profile: which columns identify people, which are sensitive")
    profile = pv.profile(patients, seed=0)
    write_text(folder / "profile.json", profile.to_json())
    roles = {c.name: c.role for c in profile.columns}
    for role in ("direct_identifier", "quasi_identifier", "sensitive"):
        click.echo(f"      {role:<18} {', '.join(c for c, r in roles.items() if r == role)}")
    step.done(f"profile written to {folder / 'profile.json'}")

    step("Catalog: register, profile and approve the source")
    gov = Governance()
    gov.register_dataset(
        "patients",
        patients,
        department="cardiology",
        purpose="readmission research",
        retention_days=180,
        profile=profile,
    )
    gov.approve("patients")
    step.done(f"'patients' approved; mode {gov.mode}, policy {gov.policy.name!r}")

    step("Anonymize with the suggested recipe (k-anonymity search, pseudonyms, drops)")
    recipe = profile.suggest_recipe()
    write_text(folder / "recipe.yaml", recipe.to_yaml())
    release = pv.anonymize(patients, recipe, progress=False)
    target = folder / "patients_anonymized.parquet"
    release.write(target, dataset="patients")
    risk = release.report.to_dict().get("risk", {})
    levels = release.resolved_recipe.to_dict()["privacy"]["resolved"]["levels"]
    step.done(f"{target.name}: k={risk.get('k')}, generalization levels {levels}")

    step("Differential privacy: a few answers from the ledgered budget")
    answers = []
    with pdp.DPSession(patients, dataset="patients") as session:
        pdp.set_budget("patients", epsilon=3.0)
        answers.append(session.count(epsilon=0.2))
        answers.append(
            session.mean(
                "total_charges", bounds=(0, 100_000), by="sex", keys=["F", "M"], epsilon=0.5
            )
        )
        answers.append(
            session.count(
                by="insurance_plan", keys=sorted(patients["insurance_plan"].unique()), epsilon=0.3
            )
        )
        budget = session.budget()
    known = {"statistic", "estimate", "lower", "upper", "confidence", "epsilon", "delta", "note"}
    lines = []
    for answer in answers:
        group = [c for c in answer.columns if c not in known]
        for row in answer.iter_rows(named=True):
            where = " | " + ", ".join(f"{g}={row[g]}" for g in group) if group else ""
            ci = "" if row["lower"] is None else f" [{row['lower']:.1f}, {row['upper']:.1f}]"
            lines.append(f"{row['statistic']}{where}: {row['estimate']:.1f}{ci}")
    write_text(folder / "dp_answers.txt", "\n".join(lines) + "\n")
    for line in lines[:5]:
        click.echo(f"      {line}")
    step.done(f"ε spent {budget.epsilon_spent:g} of {budget.epsilon_total:g}")

    step("Synthesize look-alike rows for a sandbox, and evaluate them")
    rows = 300 if quick else 2000
    syn = pv.synthesize(
        patients,  # all of it: generated identifiers are redrawn against every real row
        model="gaussian_copula",
        rows=rows,
        profile=profile,
        seed=7,
        holdout=0.2,
        progress=False,
    )
    syn.evaluate(attacks=not quick)
    syn.save(folder / "synthetic", dataset="patients")
    summary = syn.report.summary() if syn.report is not None else {}
    step.done(
        f"{rows} rows; quality {summary.get('quality_score', float('nan')):.3f}, "
        f"exact copies {summary.get('exact_copy_rate', 0):.1%}"
    )

    step("Trade-off: anonymization vs DP vs synthetic data on common axes")
    candidates: dict[str, Any] = {
        "k": [2, 5] if quick else [2, 5, 10, 20, 50],
        "l": [2],
        "epsilon": [0.5, 2.0] if quick else [0.1, 0.5, 1.0, 2.0, 5.0],
        "synthetic": ["gaussian_copula"] if quick else ["gaussian_copula", "tvae"],
        "synthetic_epochs": 30,
    }
    t = pv.tradeoff(
        patients.head(800) if quick else patients,
        profile=profile,
        candidates=candidates,
        targets=100 if quick else 400,
        progress=False,
    )
    write_json(folder / "tradeoff.json", t.to_dict())
    front = t.points.filter(pl.col("pareto"))["label"].to_list()
    step.done(f"{t.points.height} releases evaluated; Pareto front: {', '.join(front)}")

    step("Report and audit")
    report = pv.report(
        [t, release, syn, gov], folder / "report.html", title="privlab demo: patients"
    )
    from privlab.report import save_chart

    save_chart(t.frontier_chart(), folder / "frontier.png")
    verify = gov.audit.verify()
    step.done(verify.summary().splitlines()[0])
    click.secho(f"\nReport: {report.resolve()}", fg="green", bold=True)
    click.echo(
        f"Everything else is in {folder.resolve()} ({time.perf_counter() - step.start:.0f} s)"
    )
