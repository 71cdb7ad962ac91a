"""``privlab anonymize FILE --recipe R.yaml --out OUT``: apply a recipe and write the release."""

from __future__ import annotations

from pathlib import Path

import click

from privlab.cli._options import parse_keep, read_kwargs, read_options


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@read_options
@click.option(
    "--recipe",
    "recipe_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Recipe YAML (steps and privacy targets).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Output table (.parquet, .csv, .ndjson, .arrow); OUT.manifest.json is written beside it.",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="File holding the secret key for pseudonyms / date shifts (never stored anywhere).",
)
@click.option(
    "--dataset",
    default=None,
    help="Catalog name of the source dataset (default: FILE's stem).",
)
@click.option(
    "--resolved",
    "resolved_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the resolved recipe (levels fixed) here, to replay on the next batch.",
)
@click.option(
    "--keep",
    "keep",
    multiple=True,
    metavar="COL=REASON",
    help="Release COL as it is although the release guard refuses it; REASON is recorded "
    "in the manifest and the audit log (repeatable).",
)
def anonymize(
    file: str,
    sep: str | None,
    encoding: str,
    null_values: str | None,
    recipe_path: str,
    out: str,
    key_file: str | None,
    dataset: str | None,
    resolved_path: str | None,
    keep: tuple[str, ...],
) -> None:
    """Anonymize FILE with a recipe and write OUT plus OUT.manifest.json.

    Every output (--out, its manifest, --resolved) is checked first: none may
    be, resolve to or hard-link to an input (FILE, --recipe, --key-file) or
    another output, and their folders must exist. The release is checked
    against the governance policy and registered in the catalog before
    anything is written. When the privacy target cannot be met (or a governed
    policy blocks the release), the command exits with status 2 and writes
    nothing; status 3 when the principal's role does not allow it.
    """
    from privlab.anonymize import Recipe, anonymize, resolve_key
    from privlab.io import check_outputs, write_text

    outputs = [("--out", Path(out)), ("--out's manifest", Path(f"{out}.manifest.json"))]
    if resolved_path is not None:
        outputs.append(("--resolved", Path(resolved_path)))
    inputs = [("FILE", Path(file)), ("--recipe", Path(recipe_path))]
    if key_file is not None:
        inputs.append(("--key-file", Path(key_file)))
    check_outputs(outputs, inputs)  # every option, before anything is read or written
    recipe = Recipe.from_yaml(Path(recipe_path))
    key = resolve_key(None, key_file=key_file, key_env=None) if key_file else None
    release = anonymize(file, recipe, key=key, **read_kwargs(sep, encoding, null_values))
    written = release.write(out, dataset=dataset or Path(file).stem, keep=parse_keep(keep))
    if resolved_path is not None:
        write_text(resolved_path, release.resolved_recipe.to_yaml())
    frame = release.frame
    click.echo(f"{written}: {frame.height:,} rows × {frame.width} columns")
    privacy = release.report.privacy
    if privacy is not None:
        achieved = privacy["achieved"]
        parts = [f"k={achieved['k']}"]
        if "l" in achieved:
            parts.append(f"l(distinct)={achieved['l']['distinct']}")
        if "t" in achieved:
            parts.append(f"t={achieved['t']:.3f}")
        loss = privacy.get("loss")
        click.echo(
            f"verified on the released data: {', '.join(parts)}; suppressed "
            f"{privacy['suppressed']:,} ({privacy['suppressed_share']:.1%})"
            + ("" if loss is None else f"; loss {loss:.4f}")
        )
        levels = release.report.search["levels"] if release.report.search else {}
        click.echo("levels: " + ", ".join(f"{q}={lv}" for q, lv in levels.items()))
    click.echo(f"manifest: {written}.manifest.json (recipe {release.manifest['recipe_id'][:12]})")
