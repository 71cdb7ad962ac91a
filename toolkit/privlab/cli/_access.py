"""``privlab access grant|revoke|list``: roles per department, and the store-wide admin.

Who may grant: anyone in personal mode; in governed mode an admin, or an owner
or steward of the department (up to their own role, never admin). The last
admin cannot be revoked. A denied attempt is audited and exits with status 3.
"""

from __future__ import annotations

from typing import Any

import click

from privlab.cli._output import FORMAT, emit


def _gov() -> Any:
    from privlab.governance import Governance

    return Governance()


@click.group()
def access() -> None:
    """Roles: viewer < analyst < steward < owner per department; admin store-wide."""


@access.command("grant")
@click.argument("user")
@click.argument("role", type=click.Choice(["viewer", "analyst", "steward", "owner", "admin"]))
@click.option("--department", default=None, help="Department (not for admin).")
def grant(user: str, role: str, department: str | None) -> None:
    """Give USER the ROLE in --department (or the store-wide admin role)."""
    _gov().grant(user, role, department)
    where = "store-wide" if role == "admin" else f"in {department!r}"
    click.echo(f"granted {role} to {user!r} {where}")


@access.command("revoke")
@click.argument("user")
@click.argument("role", type=click.Choice(["viewer", "analyst", "steward", "owner", "admin"]))
@click.option("--department", default=None, help="Department (not for admin).")
def revoke(user: str, role: str, department: str | None) -> None:
    """Take ROLE in --department (or admin) away from USER."""
    _gov().revoke(user, role, department)
    where = "store-wide" if role == "admin" else f"in {department!r}"
    click.echo(f"revoked {role} of {user!r} {where}")


@access.command("list")
@FORMAT
def list_roles(fmt: str) -> None:
    """List every role held (admins first) and the mode."""
    gov = _gov()
    rows = [g.to_dict() for g in gov.access.grants()]
    if fmt == "json":
        emit({"mode": gov.mode, "grants": rows}, fmt)
        return
    click.echo(f"# mode: {gov.mode}")
    if not rows:
        click.echo("no roles granted")
    for row in rows:
        click.echo(f"{row['principal']:<16} {row['role']:<8} {row['department'] or '*'}")
