"""``privlab demo``: the end-to-end tour that ``make demo`` runs."""

from __future__ import annotations

from pathlib import Path

import click

from privlab.cli._info import describe


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
def demo(samples: str, out: str) -> None:
    """Run the privlab tour on the sample tables and write results under OUT."""
    Path(out).mkdir(parents=True, exist_ok=True)
    tables = sorted(Path(samples).glob("*.csv"))
    if not tables:
        raise click.ClickException(f"no *.csv sample tables in {samples!r}")
    for path in tables:
        summary = describe(str(path))
        click.echo(f"\n{path.name}: {summary['rows']:,} rows × {len(summary['columns'])} columns")
        for col in summary["columns"]:
            click.echo(f"  {col['name']:<18} {col['dtype']}")
