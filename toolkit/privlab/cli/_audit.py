"""``privlab audit verify|checkpoint|rotate-key|log|report``: the tamper-evident audit log.

``verify`` exits 0 only when every check that could run held; without
``PRIVLAB_AUDIT_KEY`` it says "cannot verify: no key" and exits 1 in governed
mode, or checks the unkeyed chain and the witness and says "signatures not
checked: no key" in personal mode. ``checkpoint`` prints ``SEQ:MAC``; keep it
outside the store and pass it back with ``verify --checkpoint SEQ:MAC`` — the
only check that catches a rollback of the store *and* its witness.
"""

from __future__ import annotations

import os

import click

from privlab.cli._output import FORMAT, emit


@click.group()
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command("verify")
@click.option(
    "--checkpoint",
    default=None,
    metavar="SEQ:MAC",
    help="A checkpoint printed earlier by `privlab audit checkpoint`.",
)
@FORMAT
def audit_verify(checkpoint: str | None, fmt: str) -> None:
    """Verify the chain, the signatures, the witness and the recorded state; exit 1 on failure."""
    from privlab.governance import AuditLog

    result = AuditLog().verify(checkpoint=checkpoint)
    if fmt == "json":
        emit(result.to_dict(), fmt)
    else:
        click.echo(result.summary())
    if not result.ok:
        raise SystemExit(1)


@audit.command("checkpoint")
def audit_checkpoint() -> None:
    """Print SEQ:MAC of the newest record; keep it where the store's writers cannot reach."""
    from privlab.governance import AuditLog

    log = AuditLog()
    mark = log.checkpoint()
    click.echo(mark)
    if log.store.audit_key() is None:
        click.echo(
            "note: no PRIVLAB_AUDIT_KEY: this checkpoint is the record's hash, not a MAC",
            err=True,
        )


@audit.command("rotate-key")
@click.option(
    "--key-lost",
    is_flag=True,
    help="The previous key is lost: check chain and witness only, and record that.",
)
def audit_rotate_key(key_lost: bool) -> None:
    """Switch the log to the key in PRIVLAB_AUDIT_KEY (old key in PRIVLAB_AUDIT_PREVIOUS_KEY)."""
    from privlab.governance import AuditLog, Governance

    Governance().authorize("rotate_key")
    previous = os.environ.get("PRIVLAB_AUDIT_PREVIOUS_KEY") or None
    record = AuditLog().rotate_key(previous, lost=key_lost)
    d = record.details
    click.echo(
        f"audit key rotated at record {record.seq}: key {d['from_key_id']} → {d['to_key_id']}"
        + (" (previous key declared lost)" if key_lost else "")
    )


@audit.command("log")
@click.option("--dataset", default=None)
@FORMAT
def audit_log(dataset: str | None, fmt: str) -> None:
    """List audit events (newest last)."""
    from privlab.governance import AuditLog

    events = [e.to_dict() for e in AuditLog().events(dataset=dataset)]
    if fmt == "json":
        emit(events, fmt)
        return
    for e in events:
        target = e["dataset"] or ""
        click.echo(f"{e['seq']:>5} {e['ts']} {e['principal']:<12} {e['event']:<16} {target}")


@audit.command("report")
@FORMAT
def audit_report_cmd(fmt: str) -> None:
    """Flag suspicious patterns (small-group DP queries, differencing, night-time bulk access)."""
    from privlab.governance import AuditLog, audit_report

    findings = [f.to_dict() for f in audit_report(AuditLog())]
    if fmt == "json":
        emit(findings, fmt)
    elif not findings:
        click.echo("no suspicious patterns")
    else:
        for f in findings:
            click.echo(f"[{f['pattern']}] {f['message']}")
