"""Options shared by every command that reads a file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def read_options(func: F) -> F:
    """Add ``--sep``, ``--encoding`` and ``--null-values`` to a command.

    The command receives them as one dict argument, ``read_kwargs``, ready for
    :func:`privlab.read`.
    """
    options = [
        click.option(
            "--sep",
            default=None,
            help="Field delimiter of a CSV file (default: detected from the header).",
        ),
        click.option(
            "--encoding",
            default="utf8",
            show_default=True,
            help="Text encoding of a CSV file (any codec Python knows).",
        ),
        click.option(
            "--null-values",
            default=None,
            help="Comma-separated strings read as missing, e.g. 'NA,?,-'.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def read_kwargs(sep: str | None, encoding: str, null_values: str | None) -> dict[str, Any]:
    """Turn the raw CLI option values into keyword arguments of :func:`privlab.read`."""
    if sep is not None:
        sep = sep.encode().decode("unicode_escape")  # allow --sep '\t'
    nulls = None if null_values is None else [v for v in null_values.split(",")]
    return {"sep": sep, "encoding": encoding, "null_values": nulls}


def parse_keep(items: tuple[str, ...]) -> dict[str, str]:
    """``("ssn=court order 12",)`` → ``{"ssn": "court order 12"}``; no reason is an error."""
    out: dict[str, str] = {}
    for item in items:
        column, sep, reason = item.partition("=")
        if not sep or not column.strip() or len(reason.strip()) < 3:
            raise click.BadParameter(
                f"expected COL=REASON with a reason of 3+ characters, got {item!r}",
                param_hint="--keep",
            )
        out[column.strip()] = reason.strip()
    return out
