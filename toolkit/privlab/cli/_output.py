"""Output helpers shared by the governance commands: strict JSON or plain lines."""

from __future__ import annotations

from typing import Any

import click

from privlab.io import dumps_strict, strict_json

__all__ = ["FORMAT", "emit"]

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)


def emit(payload: Any, fmt: str) -> None:
    """Print *payload*: strict JSON (NaN/∞ → null, noted), or ``key: value`` lines."""
    if fmt == "json":
        if isinstance(payload, list):
            clean, notes = strict_json(payload)
            click.echo(dumps_strict(clean, indent=2))
            for note in notes:
                click.echo(f"note: {note}", err=True)
        else:
            click.echo(dumps_strict(payload, indent=2))
        return
    clean, notes = strict_json(payload)
    if isinstance(clean, list):
        for row in clean:
            click.echo("  ".join(f"{k}={v}" for k, v in row.items()))
    else:
        for key, value in clean.items():
            click.echo(f"{key}: {value}")
    for note in notes:
        click.echo(f"note: {note}", err=True)
