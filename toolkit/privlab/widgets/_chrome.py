"""What every privlab widget shares: a header with help, badges, tables, a progress line.

Private helpers of :mod:`privlab.widgets` — presentation only. Text shown to
people goes through :func:`privlab.viz.format_number` (full precision stays in
the widgets' traits and results). HTML is escaped here, once.

Examples
--------
>>> print(badge("SSN demoted to other", level="danger"))
<span class='privlab-badge privlab-danger' title='SSN demoted to other'>SSN demoted to other</span>
>>> "<th>k</th>" in table(["k", "risk"], [[5, 0.2]])
True
>>> cell("a long sentence " * 10, limit=20).split(">")[1]  # full text in the title
'a long sentence a …</span'
"""

from __future__ import annotations

import contextvars
import html
import threading
from collections.abc import Callable, Sequence
from typing import Any

from privlab._progress import ProgressCallback, progress
from privlab.viz import format_number

__all__ = [
    "CSS",
    "Job",
    "badge",
    "cell",
    "esc",
    "fmt",
    "header",
    "table",
]

#: Styles of every privlab widget (an ``ipywidgets.HTML`` may carry a <style> block).
CSS = """<style>
.privlab-head{margin:.2rem 0 .5rem 0;line-height:1.35}
.privlab-head b{font-size:1.08rem}
.privlab-help{color:#555;font-size:.88rem;display:block;max-width:60rem}
.privlab-badge{display:inline-block;border-radius:.7rem;padding:.05rem .55rem;
margin:.1rem .3rem .1rem 0;font-size:.8rem;font-weight:600;white-space:nowrap}
.privlab-ok{background:#e3f4e6;color:#1b5e20}.privlab-info{background:#e8eef9;color:#1a3e7a}
.privlab-warn{background:#fff3cd;color:#7a5200}.privlab-danger{background:#fde2e1;color:#8e1b17}
.privlab-stale{opacity:.45}
table.privlab-table{border-collapse:collapse;font-size:.85rem;margin:.3rem 0}
table.privlab-table th{background:#f3f3f3;text-align:left;padding:.2rem .5rem;
border-bottom:1px solid #ccc}
table.privlab-table td{padding:.2rem .5rem;border-bottom:1px solid #eee;vertical-align:top}
table.privlab-table td.num{text-align:right;font-variant-numeric:tabular-nums}
.privlab-label{color:#444;font-size:.85rem}
</style>"""


def esc(value: Any) -> str:
    """*value* as escaped HTML text."""
    return html.escape(str(value), quote=True)


def fmt(value: Any, *, percent: bool = False, digits: int = 3) -> str:
    """A number rounded for people (see :func:`privlab.viz.format_number`)."""
    return format_number(value, percent=percent, digits=digits)


def header(title: str, help_text: str) -> str:
    """A widget's title and one or two sentences of help, as HTML (with the styles)."""
    return (
        f"{CSS}<div class='privlab-head'><b>{esc(title)}</b>"
        f"<span class='privlab-help'>{esc(help_text)}</span></div>"
    )


def badge(text: str, *, level: str = "warn", title: str | None = None) -> str:
    """A coloured pill: ``level`` is ``ok``, ``info``, ``warn`` or ``danger``."""
    return (
        f"<span class='privlab-badge privlab-{esc(level)}' title='{esc(title or text)}'>"
        f"{esc(text)}</span>"
    )


def cell(text: str, *, limit: int = 90) -> str:
    """Text cut at a word boundary to about *limit* characters; the full text on hover."""
    short = text
    if len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
        short = cut.rstrip(" ,;") + " …"
    return f"<span title='{esc(text)}'>{esc(short)}</span>"


def table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], *, raw: Sequence[bool] = ()
) -> str:
    """An HTML table with a header row; numbers rounded and right-aligned.

    ``raw[i]`` marks column *i* as already-built HTML (e.g. a badge or a
    :func:`cell`); every other value is escaped.
    """
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for row in rows:
        tds = []
        for i, value in enumerate(row):
            if i < len(raw) and raw[i]:
                tds.append(f"<td>{value}</td>")
            elif isinstance(value, int | float) and not isinstance(value, bool):
                tds.append(f"<td class='num'>{esc(fmt(value))}</td>")
            else:
                tds.append(f"<td>{esc(fmt(value) if value is None else value)}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    return (
        f"<table class='privlab-table'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


class _Cancelled(BaseException):
    """Raised inside a job's progress callback when its Cancel button was pressed.

    A ``BaseException`` (like :class:`asyncio.CancelledError`) so that a
    producer's ``except Exception`` wrapping does not turn a cancellation into an
    error; the widget catches it and shows "cancelled". It never leaves a widget.
    """


class Job:
    """One long computation of a widget: progress through the reporter, a Cancel button.

    The work receives a ``callback(stage, done, total)`` to pass to privlab's
    producers (their ``callback=``); every event updates *bar* and *label*,
    goes to *forward* (a user's recording callback), and — once Cancel was
    pressed — raises inside the producer so it stops at its next step.
    In a kernel :meth:`start` runs the work in a thread, so the Cancel click
    can be processed; :meth:`run` runs it in the caller's thread.
    """

    def __init__(
        self,
        bar: Any,
        label: Any,
        cancel: Any,
        *,
        forward: ProgressCallback | None = None,
    ) -> None:
        self.bar, self.label, self.cancel_button = bar, label, cancel
        self.forward = forward
        self.events: list[tuple[str, int, int]] = []
        self.title = ""
        self._cancel = threading.Event()
        self.thread: threading.Thread | None = None
        cancel.disabled = True
        cancel.on_click(lambda _b: self.cancel())

    def cancel(self) -> None:
        """Ask the running work to stop at its next progress step."""
        self._cancel.set()
        self.label.value = f"<span class='privlab-label'>{esc(self.title)}: cancelling…</span>"

    @property
    def cancelled(self) -> bool:
        """Whether Cancel was pressed during the current run."""
        return self._cancel.is_set()

    def callback(self, stage: str, done: int, total: int) -> None:
        """The reporter's callback: show the event, record it, stop if cancelled."""
        self.events.append((stage, done, total))
        self.bar.max = max(total, 1)
        self.bar.value = min(done, self.bar.max)
        self.label.value = (
            f"<span class='privlab-label'>{esc(self.title)} — {esc(stage)} "
            f"({done} of {total} steps done)</span>"
        )
        if self.forward is not None:
            self.forward(stage, done, total)
        if self._cancel.is_set():
            raise _Cancelled

    def run(self, title: str, work: Callable[[Job], Any], done: Callable[[Any], None]) -> Any:
        """Run ``work(job)`` here; pass its result (``None`` if cancelled) to ``done``."""
        self.title = title
        self._cancel.clear()
        self.events = []
        self.cancel_button.disabled = False
        self.bar.value = 0
        self.label.value = f"<span class='privlab-label'>{esc(title)} — starting…</span>"
        result = None
        try:
            result = work(self)
        except _Cancelled:
            self.label.value = f"<span class='privlab-label'>{esc(title)}: cancelled</span>"
        finally:
            self.cancel_button.disabled = True
        done(result)
        return result

    def start(self, title: str, work: Callable[[Job], Any], done: Callable[[Any], None]) -> None:
        """Like :meth:`run`, in a background thread (the kernel stays free for Cancel)."""
        context = contextvars.copy_context()  # keep pv.config_context() settings in the thread
        self.thread = threading.Thread(
            target=context.run,
            args=(self.run, title, work, done),
            name="privlab-widget-job",
            daemon=True,
        )
        self.thread.start()

    def stages(self, total: int, desc: str) -> Any:
        """A :func:`privlab._progress.progress` reporter whose events this job shows."""
        return progress(total, desc, show=False, callback=self.callback)
