"""``privlab info FILE``: rows and schema of a table."""

from __future__ import annotations

import json
from typing import Any

import click

from privlab.cli._options import read_kwargs, read_options


def describe(path: str, **read_args: Any) -> dict[str, Any]:
    r"""Rows, column names and dtypes of the table at *path*.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("a,b\n1,x\n2,y\n")
    >>> summary = describe(str(p))
    >>> summary["rows"], summary["columns"][1]
    (2, {'name': 'b', 'dtype': 'String'})
    """
    import polars as pl

    from privlab.io import read

    frame = read(path, **read_args)
    schema = frame.collect_schema()
    rows = frame.select(pl.len()).collect().item()
    return {
        "path": path,
        "rows": int(rows),
        "columns": [{"name": name, "dtype": str(dtype)} for name, dtype in schema.items()],
    }


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@read_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
def info(file: str, sep: str | None, encoding: str, null_values: str | None, fmt: str) -> None:
    """Print the number of rows and the schema of FILE (CSV, Parquet, NDJSON, Arrow IPC)."""
    summary = describe(file, **read_kwargs(sep, encoding, null_values))
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"{summary['path']}: {summary['rows']:,} rows × {len(summary['columns'])} columns")
    width = max((len(c["name"]) for c in summary["columns"]), default=4)
    for col in summary["columns"]:
        click.echo(f"  {col['name']:<{width}}  {col['dtype']}")
