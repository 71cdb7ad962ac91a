"""``privlab guard OUT --source SRC``: run the release guard alone on a released file."""

from __future__ import annotations

import json
from pathlib import Path

import click

from privlab.cli._options import parse_keep, read_kwargs, read_options


@click.command()
@click.argument("out", type=click.Path(dir_okay=False, exists=True))
@click.option(
    "--source",
    required=True,
    type=click.Path(dir_okay=False, exists=True),
    help="The table OUT was made from.",
)
@read_options
@click.option(
    "--kind",
    type=click.Choice(["anonymized", "synthetic"]),
    default=None,
    help="Release kind (default: from OUT.manifest.json, else anonymized).",
)
@click.option("--keep", multiple=True, metavar="COL=REASON", help="Columns kept on purpose.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def guard(
    out: str,
    source: str,
    sep: str | None,
    encoding: str,
    null_values: str | None,
    kind: str | None,
    keep: tuple[str, ...],
    fmt: str,
) -> None:
    """Check OUT against SOURCE as the release gate would; exit 1 when it would be refused.

    Uses OUT.manifest.json (lineage, declared quasi-identifiers, k) when it exists.
    Nothing is written or registered.
    """
    from privlab.guard import inspect_release
    from privlab.io import read
    from privlab.release import ColumnFacts, ReleaseFacts

    options = read_kwargs(sep, encoding, null_values)
    released = read(out, **options).collect()
    src = read(source, **options).collect()
    manifest_path = Path(f"{out}.manifest.json")
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    lineage = manifest.get("lineage") or {}
    # without a manifest nothing says how a column was made: it is profiled, never assumed
    # to be its source column unchanged (its source role is still looked up by name)
    columns = tuple(
        ColumnFacts(
            name=c,
            source=(lineage[c].get("sources") or [None])[0] if c in lineage else None,
            ops=tuple(str(d.get("op")) for d in lineage.get(c, {}).get("details", [])),
        )
        for c in released.columns
    )
    facts = ReleaseFacts(
        kind=kind or manifest.get("kind") or "anonymized",  # type: ignore[arg-type]
        dataset=None,
        columns=columns,
        manifest=manifest,
        source=src,
        released=released,
        keep={**dict(manifest.get("keep") or {}), **parse_keep(keep)},
    )
    report = inspect_release(facts)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        for f in report.findings:
            state = "kept" if f.column in report.kept else "REFUSED"
            click.echo(f"{state:8} {f.kind:24} {f.message}")
        click.echo("ok: the guard would release it" if report.ok else "refused")
    if not report.ok:
        raise SystemExit(1)
