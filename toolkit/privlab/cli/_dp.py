"""``privlab dp …``: differentially private answers and the budget ledger.

::

    privlab dp count FILE --dataset NAME --epsilon E [--by COL [--keys a,b]] [--column COL]
    privlab dp sum|mean FILE --dataset NAME --epsilon E --column COL --bounds LO,HI|auto
        [--by COL] [--nulls drop|impute --impute-value V]
    privlab dp quantile FILE --dataset NAME --epsilon E --column COL --bounds LO,HI [--q 0.5]
    privlab dp preview KIND FILE --dataset NAME --epsilon E [--column COL --bounds LO,HI]
    privlab dp epsilon-for KIND FILE --dataset NAME --accuracy A [--column COL --bounds LO,HI]
    privlab dp budget [FILE] --dataset NAME [--epsilon TOTAL] [--delta D]
        [--independent-of OTHER --reason TEXT]
    privlab dp ledger [--dataset NAME]

Every query command also takes ``--max-rows N`` (a public bound on the rows;
default derived from the data and stated in each answer's note),
``--identifier COL --max-rows-per-id K [--max-groups-per-id G]`` (user-level
privacy) and ``--delta D`` (group-bys without public keys).

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
            help="With --identifier: rows kept per person (in total, across groups).",
        ),
        click.option(
            "--max-groups-per-id",
            type=int,
            default=None,
            help="With --identifier and --by: keep --max-rows-per-id rows in each of at most "
            "this many groups per person instead.",
        ),
        click.option(
            "--max-rows",
            type=int,
            default=None,
            help="Public upper bound on the rows (default: the next power of two >= 2 x the "
            "rows, which makes their order of magnitude public).",
        ),
        click.option(
            "--nulls",
            type=click.Choice(["drop", "impute"]),
            default="drop",
            show_default=True,
            help="Missing values: dropped inside the DP plan, or imputed (--impute-value).",
        ),
        click.option(
            "--impute-value",
            type=float,
            default=None,
            help="With --nulls impute: the value (inside --bounds) missing values take.",
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


def _query(kind: str, opts: dict[str, Any]) -> Any:
    import privlab.dp as pdp

    by, keys = opts.get("by"), _keys(opts.get("keys"))
    column, bounds = opts.get("column"), _parse_bounds(opts.get("bounds"))
    nulls = {"nulls": opts.get("nulls", "drop"), "impute_value": opts.get("impute_value")}
    if kind == "count":
        return pdp.count(column, by=by, keys=keys)
    if kind == "sum":
        return pdp.sum(_need_column(kind, column), bounds=bounds, by=by, keys=keys, **nulls)
    if kind == "mean":
        return pdp.mean(_need_column(kind, column), bounds=bounds, by=by, keys=keys, **nulls)
    return pdp.quantile(
        _need_column(kind, column), opts.get("q", 0.5), bounds=bounds, by=by, keys=keys
    )


def _session(file: str, opts: dict[str, Any]) -> Any:
    import privlab.dp as pdp

    return pdp.DPSession(
        file,
        dataset=opts["dataset"],
        identifier=opts["identifier"],
        max_rows_per_id=opts["max_rows_per_id"],
        max_groups_per_id=opts["max_groups_per_id"],
        max_rows=opts["max_rows"],
        read_kwargs=read_kwargs(opts["sep"], opts["encoding"], opts["null_values"]),
    )


def _run(kind: str, file: str, opts: dict[str, Any]) -> None:
    query = _query(kind, opts)
    with _session(file, opts) as session:
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


def _plan_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("kind", type=click.Choice(["count", "sum", "mean"])),
        click.option("--column", default=None, help="Column (sum, mean; count: non-missing)."),
        click.option("--bounds", default=None, help="Clipping bounds LO,HI."),
        click.option(
            "--rows",
            type=float,
            default=None,
            help="Mean: values it averages (public; default half the row bound).",
        ),
        click.option("--alpha", type=float, default=0.05, show_default=True),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@dp.command("preview")
@_plan_options
@_query_options
def preview_cmd(kind: str, file: str, **opts: Any) -> None:
    """Accuracy a query would get at --epsilon, from public inputs only; spends nothing."""
    query = _query(kind, opts)
    with _session(file, opts) as session:
        frame = session.preview(
            query,
            epsilon=opts["epsilon"],
            delta=opts["delta"],
            alpha=opts["alpha"],
            rows=opts["rows"],
        )
    _print_frame(frame, opts["fmt"])


@dp.command("epsilon-for")
@_plan_options
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dataset", required=True, help="Dataset name in the privlab store.")
@click.option("--accuracy", type=float, required=True, help="Target half-width (column units).")
@click.option("--max-rows", type=int, default=None, help="Public upper bound on the rows.")
@click.option("--by", default=None, help="Group by this column.")
@click.option("--keys", default=None, help="Public group keys, comma-separated.")
@click.option("--nulls", type=click.Choice(["drop", "impute"]), default="drop")
@click.option("--impute-value", type=float, default=None)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@read_options
def epsilon_for_cmd(kind: str, file: str, **opts: Any) -> None:
    """Smallest ε whose interval half-width is <= --accuracy (public inputs only)."""
    opts.update(identifier=None, max_rows_per_id=1, max_groups_per_id=None)
    query = _query(kind, opts)
    with _session(file, opts) as session:
        eps = session.epsilon_for(query, opts["accuracy"], opts["alpha"], rows=opts["rows"])
        note = session._planner.public_note
    out = {
        "statistic": query.label,
        "accuracy": opts["accuracy"],
        "confidence": 1.0 - opts["alpha"],
        "epsilon": eps,
        "note": note,
    }
    if opts["fmt"] == "json":
        click.echo(json.dumps(out, indent=2))
    else:
        click.echo(
            f"{query.label}: ε = {eps:.6g} for ±{opts['accuracy']:g} at "
            f"{1 - opts['alpha']:.0%} confidence ({note})"
        )


@dp.command("budget")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--dataset", required=True, help="Dataset name in the privlab store.")
@click.option("--epsilon", type=float, default=None, help="Set the total (lifetime) ε budget.")
@click.option("--delta", type=float, default=None, help="Set the total δ budget.")
@click.option(
    "--independent-of",
    "independent_of",
    default=None,
    help="Declare NAME independent of this dataset (separate budgets; needs --reason).",
)
@click.option("--reason", default=None, help="Why the datasets are independent (audited).")
@read_options
def budget_cmd(
    file: str | None,
    dataset: str,
    epsilon: float | None,
    delta: float | None,
    independent_of: str | None,
    reason: str | None,
    sep: str | None,
    encoding: str,
    null_values: str | None,
) -> None:
    """Show or set a dataset's privacy budget (give FILE to register a new dataset).

    Datasets derived from one another (a column added, cast or renamed; rows
    edited, added, removed or sampled) share one budget; the output lists
    them. Setting or raising a budget and declaring independence need the
    dataset's owner or a steward in governed mode and are audited.
    """
    import privlab.dp as pdp

    if file is not None:  # register-or-get the dataset behind FILE under NAME
        pdp.DPSession(
            file, dataset=dataset, read_kwargs=read_kwargs(sep, encoding, null_values)
        ).close()
    if independent_of is not None:
        if not reason:
            raise DPQueryError("--independent-of needs --reason TEXT (it goes to the audit log)")
        removed = pdp.declare_independent(dataset, independent_of, reason=reason)
        click.echo(
            f"declared {dataset!r} independent of {independent_of!r}"
            + ("; their shared budget was split" if removed else ""),
            err=True,
        )
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
    group = pdp.budget_group(dataset)
    if len(group) > 1:
        click.echo(f"shared budget: {', '.join(group)} (datasets derived from one another)")


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
