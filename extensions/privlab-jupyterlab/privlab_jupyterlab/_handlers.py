"""REST routes under ``<base_url>/privlab-jupyterlab/``; every verb needs the Jupyter token.

=====  ================================  ============================================
verb   route                             answer
=====  ================================  ============================================
GET    ``datasets``                      datasets: owner, status, ε total/spent/left
GET    ``datasets/<name>``               one dataset and its column roles
GET    ``releases``                      releases: kind, policy status, report path
GET    ``releases/<id>/report``          the release's HTML report (``text/html``)
GET    ``audit[?fresh=1]``               audit verification, cached by the log's head
POST   ``profile`` ``{"path": ...}``     profile a file under the root; writes its report
=====  ================================  ============================================

GET routes take ``?home=FOLDER`` (the panel's store setting): empty means the
server's own ``PRIVLAB_HOME``; a relative folder is taken from the server's
root. Errors are JSON ``{"message": ...}`` with 400, 403, 404 or 500. Store work
runs on worker threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from privlab_jupyterlab import _store
from privlab_jupyterlab._errors import Forbidden, Invalid, NotFound
from privlab_jupyterlab._paths import PROFILE_SUFFIXES, confine

__all__ = ["NAMESPACE", "ExtensionState", "setup_handlers"]

NAMESPACE = "privlab-jupyterlab"
SETTINGS_KEY = "privlab_jupyterlab"
T = TypeVar("T")


@dataclass
class ExtensionState:
    """What the handlers share: the server's root, thread pools, the audit cache."""

    root_dir: Path
    allow_hidden: bool = False
    reads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(2, thread_name_prefix="privlab-read")
    )
    # one profile at a time: it is CPU-bound and must not starve the panel's reads
    profiles: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="privlab-profile")
    )
    audit: _store.AuditCache = field(default_factory=_store.AuditCache)

    def home(self, setting: str) -> Path:
        """The store folder a request names (see the module docstring)."""
        text = setting.strip()
        if not text:
            return _store.default_home()
        path = Path(text).expanduser()
        return path if path.is_absolute() else self.root_dir / path


class _Handler(APIHandler):
    @property
    def state(self) -> ExtensionState:
        state: ExtensionState = self.settings[SETTINGS_KEY]
        return state

    def home(self) -> Path:
        return self.state.home(self.get_query_argument("home", ""))

    async def run(
        self, fn: Callable[..., T], *args: Any, pool: ThreadPoolExecutor | None = None
    ) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool or self.state.reads, partial(fn, *args))
        except NotFound as exc:
            raise web.HTTPError(404, str(exc)) from None
        except Forbidden as exc:
            raise web.HTTPError(403, str(exc)) from None
        except Invalid as exc:
            raise web.HTTPError(400, str(exc)) from None
        except Exception as exc:
            name = getattr(fn, "__name__", None) or repr(fn)
            self.log.exception("privlab-jupyterlab: %s failed", name)
            raise web.HTTPError(
                500,
                f"privlab-jupyterlab could not answer: {type(exc).__name__}: {exc} (the Jupyter"
                " server log has the traceback)",
            ) from None

    def reply(self, data: Any) -> None:
        self.finish(json.dumps(data, default=str, allow_nan=False))  # application/json


class DatasetsHandler(_Handler):
    @web.authenticated
    async def get(self) -> None:
        self.reply(await self.run(_store.datasets, self.home()))


class DatasetHandler(_Handler):
    @web.authenticated
    async def get(self, name: str) -> None:
        self.reply(await self.run(_store.dataset_detail, self.home(), unquote(name)))


class ReleasesHandler(_Handler):
    @web.authenticated
    async def get(self) -> None:
        self.reply(await self.run(_store.releases, self.home()))


class ReleaseReportHandler(_Handler):
    @web.authenticated
    async def get(self, release_id: str) -> None:
        html = await self.run(_store.release_report, self.home(), release_id)
        self.finish(html, set_content_type="text/html; charset=utf-8")


class AuditHandler(_Handler):
    @web.authenticated
    async def get(self) -> None:
        fresh = self.get_query_argument("fresh", "0") not in ("", "0", "false")
        self.reply(await self.run(partial(self.state.audit.verify, fresh=fresh), self.home()))


class ProfileHandler(_Handler):
    @web.authenticated
    async def post(self) -> None:
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            raise web.HTTPError(400, 'send a JSON body {"path": "folder/file.csv"}') from None
        path = body.get("path") if isinstance(body, dict) else None
        if not isinstance(path, str) or not path.strip():
            raise web.HTTPError(400, 'send a JSON body {"path": "folder/file.csv"}')
        if not path.lower().endswith(PROFILE_SUFFIXES):
            raise web.HTTPError(
                400, f"privlab profiles {' and '.join(PROFILE_SUFFIXES)} files, got {path!r}"
            )
        state = self.state
        source = await self.run(
            partial(confine, allow_hidden=state.allow_hidden), state.root_dir, path
        )
        report = _store.report_path_for(source)
        summary = await self.run(_store.profile_file, source, report, pool=state.profiles)
        base = state.root_dir.resolve()
        summary["path"] = source.relative_to(base).as_posix()
        summary["report"] = report.relative_to(base).as_posix()
        self.reply(summary)


def setup_handlers(web_app: Any, state: ExtensionState) -> None:
    """Register the routes on the server's tornado application."""
    web_app.settings[SETTINGS_KEY] = state
    base = url_path_join(web_app.settings["base_url"], NAMESPACE)
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "datasets"), DatasetsHandler),
            (url_path_join(base, "datasets", "([^/]+)"), DatasetHandler),
            (url_path_join(base, "releases"), ReleasesHandler),
            (url_path_join(base, "releases", "([0-9A-Za-z_-]+)", "report"), ReleaseReportHandler),
            (url_path_join(base, "audit"), AuditHandler),
            (url_path_join(base, "profile"), ProfileHandler),
        ],
    )
