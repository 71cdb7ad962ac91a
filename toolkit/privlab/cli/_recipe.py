"""``privlab recipe schema|validate``: the recipe format for editors and CI."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group()
def recipe() -> None:
    """Work with anonymization recipes (YAML)."""


@recipe.command()
def schema() -> None:
    """Print the JSON Schema of the recipe format (for editors and CI checks)."""
    from privlab.anonymize import Recipe

    click.echo(json.dumps(Recipe.json_schema(), indent=2))


@recipe.command()
@click.argument("path", type=click.Path(dir_okay=False))
def validate(path: str) -> None:
    """Validate the recipe at PATH; every problem is listed at once."""
    from privlab.anonymize import Recipe

    parsed = Recipe.from_yaml(Path(path))
    ops = ", ".join(s.op for s in parsed.steps) or "no steps"
    click.echo(f"ok: {path} ({ops}); id {parsed.id()}")
