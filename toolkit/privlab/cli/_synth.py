"""``privlab synth``: synthetic data from a table, and the evaluation of synthetic data.

``privlab synth FILE --out OUT`` (shorthand for ``privlab synth generate FILE ...``)
fits a generator and writes synthetic rows; ``privlab synth evaluate TRAIN SYNTH
--holdout H`` scores synthetic rows against the training rows and real rows the
generator never saw (:func:`privlab.synth.evaluate_synthetic`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click

from privlab.cli._options import read_kwargs, read_options
from privlab.io import read


class _SynthGroup(click.Group):
    """A group whose first argument may be a FILE: ``privlab synth FILE`` = ``… generate FILE``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["generate", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_SynthGroup)
def synth() -> None:
    """Generate synthetic rows (synth FILE --out OUT) or evaluate them (synth evaluate)."""


@synth.command("generate")
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
def generate(
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
            f"quality {s['quality_score']:.3f} · privacy risk (upper 95 % end) "
            f"{'n/a' if s['privacy_risk'] is None else format(s['privacy_risk'], '.3f')} · "
            f"exact copies {s['exact_copy_rate']:.1%} → {report}"
        )


def _strict(value: Any) -> Any:
    """JSON without NaN/Infinity: non-finite floats become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_strict(v) for v in value]
    return value


def evaluation_payload(report: Any) -> dict[str, Any]:
    """The JSON ``privlab synth evaluate`` prints (CONTRACTS.md): risks, intervals, sizes, time.

    Examples
    --------
    >>> from privlab.synth import SynthReport
    >>> payload = evaluation_payload(SynthReport(quality={}, diagnostic={}, privacy={}))
    >>> sorted(payload)[:4]
    ['confidence_level', 'dcr', 'exact_copies', 'inference']
    """
    risks = report.risks()
    summary = report.summary()
    payload = {
        **risks,
        "privacy_risk": summary["privacy_risk"],
        "privacy_risk_basis": summary["privacy_risk_basis"],
        "quality": summary["quality_score"],
    }
    return dict(_strict(payload))


@synth.command("evaluate")
@click.argument("train", type=click.Path(dir_okay=False, exists=True))
@click.argument("synthetic", type=click.Path(dir_okay=False, exists=True))
@click.option(
    "--holdout",
    required=True,
    type=click.Path(dir_okay=False, exists=True),
    help="Real rows from the same population that the generator never saw.",
)
@read_options
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--n-attacks",
    type=click.IntRange(min=1),
    default=None,
    help="Predicates/targets per attack (default: evaluate_synthetic's, 2,000).",
)
@click.option(
    "--quality/--no-quality", default=True, show_default=True, help="SDMetrics quality score."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
def evaluate(
    train: str,
    synthetic: str,
    holdout: str,
    sep: str | None,
    encoding: str,
    null_values: str | None,
    seed: int,
    n_attacks: int | None,
    quality: bool,
    fmt: str,
) -> None:
    """Score SYNTHETIC against TRAIN (members) and --holdout (non-members) at equal sizes."""
    from privlab.synth import evaluate_synthetic

    kwargs = read_kwargs(sep, encoding, null_values)
    frames = [read(path, **kwargs).collect() for path in (train, synthetic, holdout)]
    options: dict[str, Any] = {} if n_attacks is None else {"n_attacks": n_attacks}
    report = evaluate_synthetic(*frames, seed=seed, quality=quality, progress=False, **options)
    payload = evaluation_payload(report)
    if fmt == "json":
        click.echo(json.dumps(payload, indent=2, allow_nan=False))
        return
    rows = next(iter(payload["rows"].values()))
    click.echo(
        f"{synthetic}: {rows['synthetic']:,} synthetic rows; members and non-members scored "
        f"at {rows['attack_train']:,} rows each ({rows['train']:,} training, "
        f"{rows['holdout']:,} holdout)"
    )
    click.echo(f"  {'figure':<14} {'risk':>7}   95 % interval")
    for key in ("singling_out", "linkability", "inference", "exact_copies", "dcr"):
        item = payload.get(key)
        if item is None:
            click.echo(f"  {key:<14} {'n/a':>7}")
            continue
        lo, hi = item["ci"]
        click.echo(f"  {key:<14} {item['risk']:>7.3f}   [{lo:.3f}, {hi:.3f}]")
    if payload["privacy_risk"] is not None:
        click.echo(
            f"  privacy risk (largest upper end of the attacks) {payload['privacy_risk']:.3f}"
        )
    for note in payload["notes"]:
        click.echo(f"  note: {note}", err=True)
    click.echo(f"  {payload['seconds']:.1f} s", err=True)
