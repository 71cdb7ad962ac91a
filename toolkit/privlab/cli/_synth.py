"""``privlab synth FILE``: synthetic data from a table, with an optional quality/privacy report."""

from __future__ import annotations

from pathlib import Path

import click

from privlab.cli._options import read_kwargs, read_options
from privlab.io import read


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@read_options
@click.option("--rows", type=click.IntRange(min=1), default=None, help="Rows to generate.")
@click.option(
    "--model",
    type=click.Choice(["gaussian_copula", "ctgan", "tvae", "copulagan", "dp_aim"]),
    default="gaussian_copula",
    show_default=True,
)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output .parquet/.csv.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write quality and privacy figures (JSON) here.",
)
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed (reproducible runs).")
@click.option(
    "--holdout",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=None,
    help="Fraction of rows kept out of fitting as the privacy control set.",
)
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Epochs (neural models).")
@click.option(
    "--attacks/--no-attacks",
    default=True,
    show_default=True,
    help="Run the singling-out, linkability and inference attacks for --report.",
)
@click.option(
    "--dataset",
    default=None,
    help="Catalog name of the source dataset (default: the file name without extension).",
)
def synth(
    file: str,
    sep: str | None,
    encoding: str,
    null_values: str | None,
    rows: int | None,
    model: str,
    out: str,
    report: str | None,
    seed: int | None,
    holdout: float | None,
    epochs: int | None,
    attacks: bool,
    dataset: str | None,
) -> None:
    """Generate synthetic rows that look like FILE and write them to OUT."""
    from privlab.io import check_outputs
    from privlab.synth import synthesize

    outputs = [("--out", out), *([("--report", report)] if report is not None else [])]
    check_outputs(outputs, [("FILE", file)])  # before the (slow) fit, not after it
    data = read(file, **read_kwargs(sep, encoding, null_values))
    if report is not None and holdout is None:
        holdout = 0.2  # a report needs real rows the model never saw
    result = synthesize(data, model=model, rows=rows, seed=seed, holdout=holdout, epochs=epochs)
    if report is not None:
        result.evaluate(attacks=attacks)
    # policy-checked, registered and audited before anything is written
    result.write(out, report=report, dataset=dataset or Path(file).stem, sources=[file])
    summary = None if result.report is None else result.report.to_dict()
    rows_out = result.rows["synthetic"]
    click.echo(f"{out}: {sum(rows_out.values()):,} synthetic rows ({model}, seed {result.seed})")
    if summary is not None:
        s = summary["summary"]
        click.echo(
            f"quality {s['quality_score']:.3f} · privacy risk "
            f"{'n/a' if s['privacy_risk'] is None else format(s['privacy_risk'], '.3f')} · "
            f"exact copies {s['exact_copy_rate']:.1%} → {report}"
        )
