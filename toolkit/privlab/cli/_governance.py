"""``privlab catalog | check | retention``: governance from the command line."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import click

from privlab.cli._options import read_kwargs, read_options
from privlab.cli._output import FORMAT as _FORMAT
from privlab.cli._output import emit as _emit


def _gov() -> Any:
    from privlab.governance import Governance

    return Governance()


@click.group()
def catalog() -> None:
    """Datasets, their approval and releases."""


@catalog.command("list")
@_FORMAT
def catalog_list(fmt: str) -> None:
    """List datasets with their status and department."""
    rows = [
        {
            "name": d.name,
            "status": d.status,
            "owner": d.owner,
            "department": d.department,
            "purpose": d.purpose,
            "releases": len(_gov().releases(d.name)),
        }
        for d in _gov().datasets()
    ]
    _emit(rows, fmt)


@catalog.command("register")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@read_options
@click.option("--name", required=True, help="Catalog name of the dataset.")
@click.option("--department", default=None)
@click.option("--purpose", default=None)
@click.option("--classification", default=None)
@click.option("--retention-days", type=int, default=None)
@click.option("--legal-basis", default=None)
@click.option("--profile/--no-profile", default=True, help="Profile the data (column roles).")
def catalog_register(
    file: str,
    sep: str | None,
    encoding: str,
    null_values: str | None,
    name: str,
    department: str | None,
    purpose: str | None,
    classification: str | None,
    retention_days: int | None,
    legal_basis: str | None,
    profile: bool,
) -> None:
    """Register FILE in the catalog (profiled unless --no-profile); it then awaits approval."""
    from privlab.io import read

    data = read(file, **read_kwargs(sep, encoding, null_values)).collect()
    roles = None
    if profile:
        try:
            from privlab.profile import profile as run_profile

            roles = run_profile(data)
        except (ImportError, AttributeError):
            roles = None
    entry = _gov().register_dataset(
        name,
        data,
        department=department,
        purpose=purpose,
        classification=classification,
        retention_days=retention_days,
        legal_basis=legal_basis,
        profile=roles,
    )
    click.echo(f"registered {entry.name!r}: status {entry.status}")


@catalog.command("approve")
@click.argument("name")
def catalog_approve(name: str) -> None:
    """Approve dataset NAME for releases (its owner or a steward)."""
    entry = _gov().approve(name)
    click.echo(f"approved {entry.name!r}")


@catalog.command("show")
@click.argument("name")
@_FORMAT
def catalog_show(name: str, fmt: str) -> None:
    """Show a dataset's catalog entry and its releases."""
    gov = _gov()
    entry = gov.dataset(name).to_dict()
    entry["releases"] = [
        {"id": r.id, "kind": r.kind, "status": r.status, "expires_at": r.expires_at}
        for r in gov.releases(name)
    ]
    _emit(entry, fmt)


@catalog.command("policy")
@click.argument("action", type=click.Choice(["show", "install", "uninstall", "template"]))
@click.argument("source", required=False)
def catalog_policy(action: str, source: str | None) -> None:
    """Show, install (from a YAML file), uninstall the policy, or print a template.

    'template [NAME]' prints only the template's YAML on stdout (redirect it
    to a file and edit it); it opens no store. Installing or uninstalling needs
    an admin once a policy is installed; the first installer becomes admin.
    """
    if action == "template":
        name = source or "gdpr_minded"
        from privlab.governance import policy_template

        policy_template(name)  # validates the name (and the shipped file)
        text = resources.files("privlab.governance").joinpath("templates", f"{name}.yaml")
        click.echo(text.read_text(encoding="utf-8"), nl=False)
        return
    gov = _gov()
    if action == "show":
        click.echo(f"# mode: {gov.mode}")
        click.echo(gov.policy.to_yaml(), nl=False)
    elif action == "install":
        if not source:
            raise click.UsageError(
                "give the policy YAML file: privlab catalog policy install P.yaml"
            )
        policy = gov.install_policy(Path(source))
        click.echo(f"installed policy {policy.name!r} ({policy.id[:12]}): mode governed")
    else:
        gov.uninstall_policy()
        click.echo("policy uninstalled: mode personal")


@click.command()
@click.argument("target")
@read_options
@click.option("--policy", "policy_path", type=click.Path(exists=True), default=None)
@click.option("--kind", type=click.Choice(["anonymized", "dp", "synthetic"]), default="anonymized")
@click.option("--qi", default=None, help="Comma-separated quasi-identifiers (for a file).")
@click.option("--sensitive", default=None)
@click.option("--dataset", default=None, help="Catalog dataset whose column roles apply.")
@_FORMAT
def check(
    target: str,
    sep: str | None,
    encoding: str,
    null_values: str | None,
    policy_path: str | None,
    kind: str,
    qi: str | None,
    sensitive: str | None,
    dataset: str | None,
    fmt: str,
) -> None:
    """Check a release id or a file against a policy (default: the active one)."""
    from privlab.governance import Policy, evaluate_policy

    gov = _gov()
    policy = Policy.from_yaml(Path(policy_path)) if policy_path else gov.policy
    path = Path(target)
    if path.exists():
        from privlab.io import read
        from privlab.risk import assess_risk

        data = read(path, **read_kwargs(sep, encoding, null_values)).collect()
        facts: dict[str, Any] = {"kind": kind, "rows": data.height}
        manifest_path = path.with_name(path.name + ".manifest.json")
        if manifest_path.exists():
            manifest = json.loads(manifest_path.read_text())
            facts.update(manifest.get("facts", {}))
        if qi:
            report = assess_risk(data, qi.split(","), sensitive=sensitive)
            facts["risk"] = {"k": report.k, "l": report.l, "t": report.t}
        if dataset:
            entry = gov.dataset(dataset)
            facts.setdefault("purpose", entry.purpose)
            facts.setdefault("retention_days", entry.retention_days)
            if entry.roles:
                facts["columns"] = {c: entry.roles.get(c, "other") for c in data.columns}
        result = evaluate_policy(policy, facts)
    else:
        record = gov.get_release(target)
        facts = dict(record.manifest.get("facts", {}))
        facts["kind"] = record.kind
        result = evaluate_policy(policy, facts)
    _emit(result.to_dict(), fmt)
    if not result.passed:
        raise SystemExit(1)


@click.group()
def retention() -> None:
    """Retention of releases."""


@retention.command("sweep")
@click.option("--dry-run", is_flag=True, help="List what would be purged; delete nothing.")
@_FORMAT
def retention_sweep(dry_run: bool, fmt: str) -> None:
    """Delete the files of expired releases — only those whose SHA-256 still matches."""
    gov = _gov()
    if dry_run:
        expired = gov.sweep(dry_run=True)
        if fmt == "json":
            _emit([r.to_dict() for r in expired], fmt)
            return
        click.echo(f"would purge {len(expired)} release(s)")
        for record in expired:
            click.echo(f"  {record.id} {record.dataset} {record.kind} expired {record.expires_at}")
        return
    results = gov.sweep_report()
    if fmt == "json":
        _emit([r.to_dict() for r in results], fmt)
        return
    purged = sum(r.purged for r in results)
    click.echo(f"purged {purged} release(s); {len(results) - purged} kept file(s) to review")
    for r in results:
        for path in r.deleted:
            click.echo(f"  deleted {path} ({r.release.id})")
        for kept in r.kept:
            click.echo(f"  KEPT {kept['path']} ({r.release.id}): {kept['reason']}")
