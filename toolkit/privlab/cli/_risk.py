"""``privlab risk FILE --qi a,b``: k, ℓ, t and re-identification risk of a table."""

from __future__ import annotations

from typing import Any

import click

from privlab._validate import check_unique
from privlab.cli._options import read_kwargs, read_options
from privlab.io import dumps_strict


def risk_summary(
    path: str,
    quasi_identifiers: list[str],
    sensitive: str | None,
    memory_limit: int | None = None,
    **read_args: Any,
) -> dict[str, Any]:
    r"""The figures ``privlab risk`` prints (no data values).

    The file is streamed: its class histogram (distinct QI tuples, with the
    sensitive value, and their counts) is counted batch by batch, and every
    measure follows from it — memory is O(distinct tuples), whatever the rows.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("zip,dx\n1,a\n1,b\n2,a\n")
    >>> risk_summary(str(p), ["zip"], "dx")["k"]
    1
    """
    from privlab.engine import COUNT, LocalEngine, count_tuples
    from privlab.exceptions import ColumnNotFoundError
    from privlab.io import read
    from privlab.risk import assess_risk

    data = read(path, **read_args)
    columns = data.collect_schema().names()
    needed = [*quasi_identifiers, *([sensitive] if sensitive else [])]
    for column in needed:
        if column not in columns:
            raise ColumnNotFoundError(column, columns, source=path)
    hist = count_tuples(data, needed, engine=LocalEngine(memory_limit=memory_limit))
    report = assess_risk(hist, quasi_identifiers, sensitive=sensitive, counts=COUNT)
    return {
        "k": report.k,
        "l": report.l,
        "t": report.t,
        "prosecutor_risk": {"max": report.prosecutor["max"], "avg": report.prosecutor["avg"]},
        "unique_share": report.unique_share,
        "records": report.records,
        "classes": report.classes,
        "quasi_identifiers": quasi_identifiers,
        "sensitive": sensitive,
    }


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@read_options
@click.option("--qi", required=True, help="Comma-separated quasi-identifier columns.")
@click.option("--sensitive", default=None, help="Sensitive column for ℓ-diversity and t.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--memory-limit",
    default=None,
    help="Memory the run may use, e.g. 1GiB (FILE is always streamed; memory follows the "
    "distinct QI tuples): a histogram that would not fit is refused instead of killed.",
)
def risk(
    file: str,
    sep: str | None,
    encoding: str,
    null_values: str | None,
    qi: str,
    sensitive: str | None,
    fmt: str,
    memory_limit: str | None,
) -> None:
    """Measure k, ℓ, t, prosecutor risk and sample uniqueness of FILE (streamed)."""
    from privlab.engine import parse_memory

    qis = [c.strip() for c in qi.split(",") if c.strip()]
    if not qis:
        raise click.BadParameter("give at least one column, e.g. --qi age,zip", param_hint="--qi")
    check_unique(qis, "--qi")
    limit = None if memory_limit is None else parse_memory(memory_limit)
    summary = risk_summary(file, qis, sensitive, limit, **read_kwargs(sep, encoding, null_values))
    if fmt == "json":
        click.echo(dumps_strict(summary, indent=2))  # NaN/∞ → null, with a note
        return
    click.echo(f"{file}: {summary['records']:,} records in {summary['classes']:,} classes")
    click.echo(f"  k                 {summary['k']}")
    if summary["l"] is not None:
        l_ = summary["l"]
        click.echo(
            f"  l (distinct)      {l_['distinct']}   entropy {l_['entropy']:.3f}   "
            "recursive c "
            + ("n/a" if l_["recursive_c"] is None else format(l_["recursive_c"], ".3f"))
        )
        click.echo(f"  t                 {summary['t']:.4f}")
    pr = summary["prosecutor_risk"]
    click.echo(f"  prosecutor risk   max {pr['max']:.3f}   avg {pr['avg']:.3f}")
    click.echo(f"  unique records    {summary['unique_share']:.1%}")
