"""``privlab anonymize FILE --recipe R.yaml --out OUT``: apply a recipe and write the release."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from privlab.cli._options import parse_keep, read_kwargs, read_options
from privlab.io import write_text


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
@click.option(
    "--engine",
    type=click.Choice(["auto", "memory", "stream", "spark"]),
    default="auto",
    show_default=True,
    help="memory: load FILE; stream: polars streaming in bounded memory (files larger than "
    "memory); spark: a local Spark session (pip install 'privlab[spark]'); auto: stream for a "
    "resolved recipe or with --memory-limit, else memory.",
)
@click.option(
    "--memory-limit",
    default=None,
    help="Memory the streamed run may use, e.g. 1GiB: sizes the batches and refuses "
    "(instead of being killed) when the class histogram would not fit. Implies --engine stream.",
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
    engine: str,
    memory_limit: str | None,
) -> None:
    """Anonymize FILE with a recipe and write OUT plus OUT.manifest.json.

    Every output (--out, its manifest, --resolved) is checked first: none may
    be, resolve to or hard-link to an input (FILE, --recipe, --key-file) or
    another output, and their folders must exist. The release is checked
    against the governance policy and the release guard and registered in the
    catalog before anything is written under its final name. When the privacy
    target cannot be met (or a governed policy or the guard blocks the
    release), the command exits with status 2 and writes nothing; status 3
    when the principal's role does not allow it. With a resolved recipe
    (--resolved of an earlier run) or --memory-limit, FILE is streamed:
    memory follows the distinct quasi-identifier tuples, not the rows (the
    guard then inspects seeded samples of source and release); with --engine
    spark OUT is a folder of Parquet files.
    """
    from privlab.anonymize import Recipe, anonymize, anonymize_stream, resolve_key
    from privlab.engine import LocalEngine, parse_memory
    from privlab.io import check_outputs

    outputs = [("--out", Path(out)), ("--out's manifest", Path(f"{out}.manifest.json"))]
    if resolved_path is not None:
        outputs.append(("--resolved", Path(resolved_path)))
    inputs = [("FILE", Path(file)), ("--recipe", Path(recipe_path))]
    if key_file is not None:
        inputs.append(("--key-file", Path(key_file)))
    check_outputs(outputs, inputs)  # every option, before anything is read or written
    recipe = Recipe.from_yaml(Path(recipe_path))
    key = resolve_key(None, key_file=key_file, key_env=None) if key_file else None
    kwargs = read_kwargs(sep, encoding, null_values)
    name = dataset or Path(file).stem
    kept = parse_keep(keep)
    if engine == "auto":
        engine = "stream" if memory_limit is not None or recipe.is_resolved else "memory"
    if memory_limit is not None and engine != "stream":
        raise click.BadParameter(
            "--memory-limit needs --engine stream", param_hint="--memory-limit"
        )
    if engine == "spark":
        from privlab.cli._spark import anonymize_with_spark

        result = anonymize_with_spark(file, recipe, out, key=key, dataset=name, keep=kept, **kwargs)
        _echo_result(Path(out), result.rows, None, result.report, result.manifest)
        _write_resolved(resolved_path, result.resolved_recipe)
        return
    if engine == "stream":
        limit = None if memory_limit is None else parse_memory(memory_limit)
        streamed = anonymize_stream(
            file, recipe, out, key=key, dataset=name, keep=kept,
            engine=LocalEngine(memory_limit=limit), **kwargs,
        )  # fmt: skip
        _write_resolved(resolved_path, streamed.resolved_recipe)
        width = len(streamed.manifest.get("lineage") or {})
        _echo_result(streamed.path, streamed.rows, width, streamed.report, streamed.manifest)
        return
    release = anonymize(file, recipe, key=key, **kwargs)
    written = release.write(out, dataset=name, keep=kept)
    _write_resolved(resolved_path, release.resolved_recipe)
    frame = release.frame
    _echo_result(written, frame.height, frame.width, release.report, release.manifest)


def _write_resolved(resolved_path: str | None, resolved: Any) -> None:
    if resolved_path is not None:
        write_text(resolved_path, resolved.to_yaml())


def _echo_result(
    written: Path, rows: int, width: int | None, report: Any, manifest: dict[str, Any]
) -> None:
    shape = f"{rows:,} rows" + ("" if width is None else f" × {width} columns")
    click.echo(f"{written}: {shape}")
    privacy = report.privacy
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
        levels = report.search["levels"] if report.search else {}
        click.echo("levels: " + ", ".join(f"{q}={lv}" for q, lv in levels.items()))
    click.echo(f"manifest: {written}.manifest.json (recipe {manifest['recipe_id'][:12]})")
