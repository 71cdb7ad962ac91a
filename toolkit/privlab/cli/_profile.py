"""``privlab profile FILE``: semantic types, roles and quasi-identifier risk of a table."""

from __future__ import annotations

import click

from privlab.cli._options import read_kwargs, read_options


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@read_options
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Values per column the detectors examine (statistics use every row).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--engine",
    type=click.Choice(["memory", "stream"]),
    default="memory",
    show_default=True,
    help="stream: two passes in batches for files larger than memory (statistics merged per "
    "batch; distinct counts of columns with more than 100,000 values are estimated).",
)
@click.option(
    "--memory-limit",
    default=None,
    help="Memory the streamed run may use, e.g. 1GiB (implies stream).",
)
def profile(
    file: str,
    sep: str | None,
    encoding: str,
    null_values: str | None,
    fmt: str,
    sample: int,
    seed: int,
    engine: str,
    memory_limit: str | None,
) -> None:
    """Profile FILE: which columns identify people, which are sensitive, how risky the QIs are.

    The JSON output is a stable contract: {"rows", "columns": [{"name", "dtype",
    "semantic_type", "role", "confidence", "evidence"}, ...], "quasi_identifiers",
    "qi_risk": {"min_class_size", "unique_share", "risky_combinations"}}.
    """
    from privlab.engine import LocalEngine, parse_memory
    from privlab.io import read
    from privlab.profile import profile as run_profile
    from privlab.profile import profile_stream
    from privlab.release import authorize

    authorize("profile")  # an analyst in governed mode (CONTRACTS.md "Roles")
    data = read(file, **read_kwargs(sep, encoding, null_values))
    if engine == "stream" or memory_limit is not None:
        limit = None if memory_limit is None else parse_memory(memory_limit)
        result = profile_stream(
            data, sample_size=sample, seed=seed, engine=LocalEngine(memory_limit=limit)
        )
    else:
        result = run_profile(data, sample_size=sample, seed=seed)
    if fmt == "json":
        click.echo(result.to_json())
        return
    click.echo(f"{file}: {result.rows:,} rows")
    width = max((len(c.name) for c in result.columns), default=6)
    for c in result.columns:
        note = f"  ({c.reason})" if c.reason else ""
        click.echo(
            f"  {c.name:<{width}}  {c.semantic_type:<16} {c.role:<18} {c.confidence:4.2f}{note}"
        )
    risk = result.qi_risk
    if risk.get("min_class_size") is not None:
        click.echo(
            f"quasi-identifiers {risk['quasi_identifiers']}: smallest class "
            f"{risk['min_class_size']}, {risk['unique_share']:.1%} of records unique"
        )
        for combo in risk["risky_combinations"][:3]:
            click.echo(f"  {' + '.join(combo['columns'])}: {combo['unique_share']:.1%} unique")
