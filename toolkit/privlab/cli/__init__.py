"""The ``privlab`` command line: thin commands over the same public API.

Every subcommand lives in its own module and is registered in ``_register``
below (explicitly, no entry-point discovery). Errors privlab raises on purpose
(:class:`~privlab.exceptions.PrivlabError`) are printed as one clear line and
exit with status 2 — status 3 when access was denied
(:class:`~privlab.exceptions.AccessDeniedError`); nothing is written on error.

Every command starts by sweeping temp files that a killed privlab left behind
(recorded in the store, older than an hour), and records the temp files it
writes itself in the store before writing them.

Examples
--------
>>> from click.testing import CliRunner
>>> from privlab.cli import main
>>> result = CliRunner().invoke(main, ["--version"])
>>> result.output.startswith("privlab, version")
True
"""

from __future__ import annotations

import os
import sys

# The command line owns its process. polars' allocator (jemalloc) keeps freed pages for
# reuse by default, so a streamed run's private memory grew with how long it ran (1.37x
# for 3x the rows, and an out-of-memory kill under a 1 GiB cgroup); returning them at
# once keeps it at what the run holds. Set before polars loads; polars adds its own
# defaults in front, and later options win in jemalloc, so these apply.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
# With --memory-limit, one polars thread: its streaming CSV reader otherwise runs ahead of
# the consumer on the second thread and the peak grew with the file (405 -> 563 MiB for 3x
# the rows with two threads, 329 -> 330 MiB with one). The pool is sized when polars loads.
if any(a == "--memory-limit" or a.startswith("--memory-limit=") for a in sys.argv[1:]):
    os.environ.setdefault("POLARS_MAX_THREADS", "1")

from typing import Any

import click

from privlab._version import __version__
from privlab.cli import _session
from privlab.exceptions import AccessDeniedError, PrivlabError

__all__ = ["main"]


class _PrivlabGroup(click.Group):
    """A click group: PrivlabError → one line and exit 2; AccessDeniedError → exit 3."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with _session.command_session():
                return super().invoke(ctx)
        except AccessDeniedError as exc:
            click.echo(f"error: access denied: {exc}", err=True)
            ctx.exit(_session.EXIT_DENIED)
        except PrivlabError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(_session.EXIT_ERROR)


@click.group(cls=_PrivlabGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="privlab")
def main() -> None:
    """privlab: profile, anonymize, query with DP and synthesize tabular data."""


def _register() -> None:
    # Imported here, not at module top, so each command module stays independent.
    from privlab.cli import (
        _access,
        _anonymize,
        _audit,
        _demo,
        _dp,
        _governance,
        _guard,
        _info,
        _profile,
        _recipe,
        _report,
        _risk,
        _synth,
    )

    for command in (
        _access.access,
        _anonymize.anonymize,
        _audit.audit,
        _demo.demo,
        _dp.dp,
        _governance.catalog,
        _governance.check,
        _governance.retention,
        _guard.guard,
        _info.info,
        _profile.profile,
        _recipe.recipe,
        _report.report,
        _risk.risk,
        _synth.synth,
    ):
        main.add_command(command)


_register()
