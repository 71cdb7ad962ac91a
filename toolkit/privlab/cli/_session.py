"""What every ``privlab`` command does around its work: temp sweep, temp registry, exit codes."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from privlab._config import get_config
from privlab.io import InputWarning, temp_registry
from privlab.store import FILENAME, Store, open_store

__all__ = ["EXIT_DENIED", "EXIT_ERROR", "command_session"]

#: Exit status of a refused command (an error privlab raised on purpose).
EXIT_ERROR = 2
#: Exit status when the principal's role does not allow the command.
EXIT_DENIED = 3


class _StoreTemps:
    """Records temp files in the configured store, opening it only when a file is written."""

    def __init__(self) -> None:
        self._store: Store | None = None

    def _open(self) -> Store:
        if self._store is None:
            self._store = open_store()
        return self._store

    def record_temp(self, path: Path) -> None:
        self._open().record_temp(path)

    def forget_temp(self, path: Path) -> None:
        self._open().forget_temp(path)


def _note(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    click.echo(f"note: {message}", err=True)


@contextlib.contextmanager
def command_session() -> Iterator[None]:
    """Run one command: sweep stale temps, record ours, show input notes on stderr.

    Opening an existing store sweeps the temp files a killed privlab left;
    then the temp files this command writes are recorded in the store. Notes on
    how input was read (:class:`~privlab.io.InputWarning`) become one
    ``note:`` line on stderr each.
    """
    if (Path(get_config()["home"]) / FILENAME).exists():
        open_store()
    with warnings.catch_warnings(), temp_registry(_StoreTemps()):
        previous = warnings.showwarning

        def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
            if isinstance(category, type) and issubclass(category, InputWarning):
                _note(message, category)
            else:
                previous(message, category, *args, **kwargs)

        warnings.showwarning = show
        yield
