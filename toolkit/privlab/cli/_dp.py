"""``privlab dp …``: differentially private answers and the budget ledger.

::

    privlab dp count FILE --dataset NAME --epsilon E [--by COL [--keys a,b]] [--column COL]
    privlab dp sum|mean FILE --dataset NAME --epsilon E --column COL --bounds LO,HI [--by COL]
    privlab dp quantile FILE --dataset NAME --epsilon E --column COL --bounds LO,HI [--q 0.5]
    privlab dp budget [FILE] --dataset NAME [--epsilon TOTAL] [--delta D]
    privlab dp ledger [--dataset NAME]

Every release is checked against and recorded in the dataset's budget in the
privlab store; a release that would exceed it is refused before it runs
(``error: …``, exit status 2).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

import click

from privlab.cli._options import read_kwargs, read_options
from privlab.exceptions import DPQueryError

__all__ = ["dp"]


def _parse_bounds(raw: str | None) -> tuple[float, float] | Literal["auto"] | None:
    if raw is None:
        return None
    if raw.strip().lower() == "auto":
        return "auto"
    parts = raw.split(",")
    if len(parts) != 2:
        raise DPQueryError(f"--bounds must be LO,HI (e.g. 0,100) or 'auto', got {raw!r}")
    try:
        return float(parts[0]), float(parts[1])
    except ValueError:
        raise DPQueryError(f"--bounds must be two numbers LO,HI, got {raw!r}") from None


def _keys(raw: str | None) -> list[str] | None:
    return None if raw is None else [k for k in raw.split(",") if k != ""]


def _print_frame(frame: Any, fmt: str) -> None:
    import polars as pl

    if fmt == "json":
        click.echo(json.dumps(frame.to_dicts(), indent=2, default=str))
    elif fmt == "csv":
        click.echo(frame.write_csv(), nl=False)
    else:
        with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=80, tbl_width_chars=160):
            click.echo(str(frame))


def _query_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("file", type=click.Path(dir_okay=False)),
        click.option("--dataset", required=True, help="Dataset name in the privlab store."),
        click.option("--epsilon", type=float, required=True, help="ε to spend on this query."),
        click.option("--by", default=None, help="Group by this column."),
        click.option(
            "--keys",
            default=None,
            help="Public group keys, comma-separated; without them only groups above a "
            "noisy threshold are released (spends δ).",
        ),
        click.option("--delta", type=float, default=None, help="δ for a group-by without keys."),
        click.option("--identifier", default=None, help="Person id column (user-level privacy)."),
        click.option(
            "--max-rows-per-id",
            type=int,
            default=1,
            show_default=True,
            help="With --identifier: rows kept per person.",
        ),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(["table", "json", "csv"]),
            default="table",
            show_default=True,
        ),
        read_options,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _run(kind: str, file: str, opts: dict[str, Any]) -> None:
    import privlab.dp as pdp

    by, keys = opts["by"], _keys(opts["keys"])
    column, bounds = opts.get("column"), _parse_bounds(opts.get("bounds"))
    if kind == "count":
        query = pdp.count(column, by=by, keys=keys)
    elif kind == "sum":
        query = pdp.sum(_need_column(kind, column), bounds=bounds, by=by, keys=keys)
    elif kind == "mean":
        query = pdp.mean(_need_column(kind, column), bounds=bounds, by=by, keys=keys)
    else:
        query = pdp.quantile(_need_column(kind, column), opts["q"], bounds=bounds, by=by, keys=keys)
    with pdp.DPSession(
        file,
        dataset=opts["dataset"],
        identifier=opts["identifier"],
        max_rows_per_id=opts["max_rows_per_id"],
        read_kwargs=read_kwargs(opts["sep"], opts["encoding"], opts["null_values"]),
    ) as session:
        answer = session.release(query, epsilon=opts["epsilon"], delta=opts["delta"])
        b = session.budget()
    _print_frame(answer, opts["fmt"])
    click.echo(
        f"dataset {b.dataset!r}: ε {b.epsilon_spent:.4g} of {b.epsilon_total:.4g} spent, "
        f"{b.epsilon_remaining:.4g} left",
        err=True,
    )


def _need_column(kind: str, column: str | None) -> str:
    if column is None:
        raise DPQueryError(f"`privlab dp {kind}` needs --column COL")
    return column


@click.group()
def dp() -> None:
    """Differentially private queries (OpenDP) against a persistent privacy budget."""


@dp.command("count")
@_query_options
@click.option("--column", default=None, help="Count non-missing values of COL (default: rows).")
def count_cmd(file: str, **opts: Any) -> None:
    """Release a DP count of the rows (or of a column's values) of FILE."""
    _run("count", file, opts)


@dp.command("sum")
@_query_options
@click.option("--column", default=None, help="Column to sum.")
@click.option("--bounds", default=None, help="Clipping bounds LO,HI, or 'auto'.")
def sum_cmd(file: str, **opts: Any) -> None:
    """Release a DP sum of a column of FILE (values clipped into --bounds)."""
    _run("sum", file, opts)


@dp.command("mean")
@_query_options
@click.option("--column", default=None, help="Column to average.")
@click.option("--bounds", default=None, help="Clipping bounds LO,HI, or 'auto'.")
def mean_cmd(file: str, **opts: Any) -> None:
    """Release a DP mean of a column of FILE (values clipped into --bounds)."""
    _run("mean", file, opts)


@dp.command("quantile")
@_query_options
@click.option("--column", default=None, help="Column.")
@click.option("--bounds", default=None, help="Range LO,HI of the 101 candidate answers.")
@click.option("--q", type=float, default=0.5, show_default=True, help="Quantile in [0, 1].")
def quantile_cmd(file: str, **opts: Any) -> None:
    """Release a DP quantile of a column of FILE (no interval: OpenDP gives no accuracy)."""
    _run("quantile", file, opts)


@dp.command("budget")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--dataset", required=True, help="Dataset name in the privlab store.")
@click.option("--epsilon", type=float, default=None, help="Set the total (lifetime) ε budget.")
@click.option("--delta", type=float, default=None, help="Set the total δ budget.")
@read_options
def budget_cmd(
    file: str | None,
    dataset: str,
    epsilon: float | None,
    delta: float | None,
    sep: str | None,
    encoding: str,
    null_values: str | None,
) -> None:
    """Show or set a dataset's privacy budget (give FILE to register a new dataset)."""
    import privlab.dp as pdp

    if file is not None:  # register-or-get the dataset behind FILE under NAME
        pdp.DPSession(
            file, dataset=dataset, read_kwargs=read_kwargs(sep, encoding, null_values)
        ).close()
    if epsilon is not None or delta is not None:
        if epsilon is None:
            epsilon = pdp.budget(dataset).epsilon_total
        pdp.set_budget(dataset, epsilon=epsilon, delta=delta)
    b = pdp.budget(dataset)
    click.echo(
        f"dataset {b.dataset!r}: ε budget {b.epsilon_total:.6g}, spent {b.epsilon_spent:.6g}, "
        f"remaining {b.epsilon_remaining:.6g}; δ budget {b.delta_total:.3g}, spent "
        f"{b.delta_spent:.3g}; {b.releases} release(s)"
    )


@dp.command("ledger")
@click.option("--dataset", default=None, help="Only this dataset.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
def ledger_cmd(dataset: str | None, fmt: str) -> None:
    """List recorded DP releases (time, dataset, query, ε, δ, principal, status)."""
    import privlab.dp as pdp

    frame = pdp.ledger(dataset).select(
        "id",
        "created_at",
        "dataset",
        "statistic",
        "epsilon",
        "delta",
        "principal",
        "status",
        "query_fingerprint",
    )
    _print_frame(frame, fmt)
