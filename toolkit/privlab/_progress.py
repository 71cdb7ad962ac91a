"""The one progress reporter: named stages, shown as tqdm, a notebook bar or a callback.

Every slow operation (search, synthesis fit/sample, evaluation, the trade-off,
streaming batches) reports through :func:`progress`:

- in a terminal, a tqdm bar; in a Jupyter kernel, tqdm's notebook widget
  (``tqdm.auto`` picks);
- *callback* ``(stage, done, total)`` receives every step (widgets use it to draw
  their own bar; tests record it);
- ``show=False`` or ``PRIVLAB_PROGRESS=0`` turns the bar off (the callback still
  runs).

Examples
--------
>>> seen = []
>>> with progress(2, "fit", show=False, callback=lambda *a: seen.append(a)) as bar:
...     bar.advance(stage="metadata")
...     bar.advance(stage="model")
>>> seen
[('metadata', 1, 2), ('model', 2, 2)]
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from privlab._config import get_config

__all__ = ["Progress", "ProgressCallback", "progress"]

#: ``callback(stage, done, total)``
ProgressCallback = Callable[[str, int, int], None]


class Progress:
    """A bar over *total* steps; see :func:`progress`."""

    def __init__(
        self,
        total: int,
        desc: str,
        *,
        show: bool | None = None,
        callback: ProgressCallback | None = None,
        unit: str = "step",
    ) -> None:
        self.total = int(total)
        self.desc = desc
        self.done = 0
        self.stage = ""
        self.callback = callback
        enabled = bool(get_config()["progress"]) if show is None else bool(show)
        self._bar: Any = None
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.total, desc=desc, unit=unit, leave=False)

    def advance(self, n: int = 1, *, stage: str | None = None) -> None:
        """Count *n* finished steps, optionally naming the stage now running."""
        if stage is not None:
            self.stage = stage
        self.done = min(self.total, self.done + n) if self.total else self.done + n
        if self._bar is not None:
            if stage is not None:
                self._bar.set_postfix_str(stage, refresh=False)
            self._bar.update(n)
        if self.callback is not None:
            self.callback(self.stage, self.done, self.total)

    def set_stage(self, stage: str) -> None:
        """Name the stage now running without counting a step."""
        self.stage = stage
        if self._bar is not None:
            self._bar.set_postfix_str(stage)
        if self.callback is not None:
            self.callback(stage, self.done, self.total)

    def set_total(self, total: int) -> None:
        """Change the number of steps (when it becomes known)."""
        self.total = int(total)
        if self._bar is not None:
            self._bar.total = self.total
            self._bar.refresh()

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def progress(
    total: int,
    desc: str,
    *,
    show: bool | None = None,
    callback: ProgressCallback | None = None,
    unit: str = "step",
) -> Progress:
    """A progress reporter over *total* steps named *desc* (use as a context manager)."""
    return Progress(total, desc, show=show, callback=callback, unit=unit)
