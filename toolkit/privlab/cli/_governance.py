"""``privlab catalog | check | audit | retention``: governance from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from privlab.cli._options import read_kwargs, read_options


def _gov() -> Any:
    from privlab.governance import Governance

    return Governance()


def _emit(payload: Any, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(payload, indent=2, default=str))
        return
    if isinstance(payload, list):
        for row in payload:
            click.echo("  ".join(f"{k}={v}" for k, v in row.items()))
    else:
        for key, value in payload.items():
            click.echo(f"{key}: {value}")


_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)


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
    """Show, install (from a YAML file), uninstall the policy, or print a template."""
    from privlab.governance import policy_template

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
    elif action == "uninstall":
        gov.uninstall_policy()
        click.echo("policy uninstalled: mode personal")
    else:
        click.echo(policy_template(source or "gdpr_minded").to_yaml(), nl=False)


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
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Verify the hash chain, the signed head and the witness; exit 1 on failure."""
    from privlab.governance import AuditLog

    result = AuditLog().verify()
    click.echo(result.summary())
    if not result.ok:
        raise SystemExit(1)


@audit.command("log")
@click.option("--dataset", default=None)
@_FORMAT
def audit_log(dataset: str | None, fmt: str) -> None:
    """List audit events (newest last)."""
    from privlab.governance import AuditLog

    events = [e.to_dict() for e in AuditLog().events(dataset=dataset)]
    if fmt == "json":
        click.echo(json.dumps(events, indent=2))
        return
    for e in events:
        target = e["dataset"] or ""
        click.echo(f"{e['seq']:>5} {e['ts']} {e['principal']:<12} {e['event']:<14} {target}")


@audit.command("report")
@_FORMAT
def audit_report_cmd(fmt: str) -> None:
    """Flag suspicious patterns (small-group DP queries, differencing, night-time bulk access)."""
    from privlab.governance import AuditLog, audit_report

    findings = [f.to_dict() for f in audit_report(AuditLog())]
    if fmt == "json":
        click.echo(json.dumps(findings, indent=2))
    elif not findings:
        click.echo("no suspicious patterns")
    else:
        for f in findings:
            click.echo(f"[{f['pattern']}] {f['message']}")


@click.group()
def retention() -> None:
    """Retention of releases."""


@retention.command("sweep")
@click.option("--dry-run", is_flag=True, help="List what would be purged; delete nothing.")
def retention_sweep(dry_run: bool) -> None:
    """Delete the files of expired releases and mark them purged."""
    expired = _gov().sweep(dry_run=dry_run)
    verb = "would purge" if dry_run else "purged"
    click.echo(f"{verb} {len(expired)} release(s)")
    for record in expired:
        click.echo(f"  {record.id} {record.dataset} {record.kind} expired {record.expires_at}")
