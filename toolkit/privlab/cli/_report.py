"""``privlab report FILE``: the privacy–utility trade-off of a table as one HTML file."""

from __future__ import annotations

import json
from pathlib import Path

import click

from privlab.cli._options import read_kwargs, read_options


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@read_options
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The .html to write.")
@click.option(
    "--roles",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="JSON {column: role}; default: profile FILE with privlab.profile.",
)
@click.option("--k", "ks", default="2,5,10,20,50", show_default=True, help="k values.")
@click.option("--epsilon", "epsilons", default="0.1,0.5,1,2,5", show_default=True)
@click.option(
    "--synthetic", default="gaussian_copula", show_default=True, help="SDV models, comma-separated."
)
@click.option("--png", is_flag=True, help="Also export the frontier chart as OUT.png.")
def report(
    file: str,
    sep: str | None,
    encoding: str,
    null_values: str | None,
    out: str,
    roles: str | None,
    ks: str,
    epsilons: str,
    synthetic: str,
    png: bool,
) -> None:
    """Evaluate anonymization, DP and synthesis of FILE and write a self-contained report."""
    import privlab as pv
    from privlab.io import check_outputs, read
    from privlab.release import authorize
    from privlab.report import save_chart

    authorize("release")  # a report is a release: before the (slow) trade-off

    inputs: list[tuple[str, str | Path]] = [("FILE", file)]
    if roles is not None:
        inputs.append(("--roles", roles))
    outputs: list[tuple[str, str | Path]] = [("--out", out)]
    if png:
        outputs.append(("--png", Path(out).with_suffix(".png")))
    check_outputs(outputs, inputs)  # before the (slow) trade-off, not after it
    data = read(file, **read_kwargs(sep, encoding, null_values)).collect()
    if roles is not None:
        profile = json.loads(Path(roles).read_text())
    else:
        from privlab.profile import profile as run_profile

        profile = run_profile(data)
    t = pv.tradeoff(
        data,
        profile=profile,
        candidates={
            "k": [int(k) for k in ks.split(",") if k],
            "epsilon": [float(e) for e in epsilons.split(",") if e],
            "synthetic": [m for m in synthetic.split(",") if m],
        },
    )
    path = pv.report(t, out, title=f"privlab report: {Path(file).name}", inputs=[file])
    if png:
        save_chart(t.frontier_chart(), Path(out).with_suffix(".png"))
    click.echo(f"report written to {path}")
