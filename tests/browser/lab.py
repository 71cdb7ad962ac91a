"""A JupyterLab on 127.0.0.1 and Debian's Chromium with every other host blocked.

The one implementation of the browser-test rules (``tests/browser/README.md``),
for privlab's notebook tests and for anyone else who drives JupyterLab in a
browser (the extension's Galata tests can start the same server with
``python tests/browser/lab.py --root . --port 8899``, which prints the URL):

- JupyterLab runs on ``127.0.0.1`` only, with a random token, and with its own
  throw-away config, settings, workspace and runtime folders (nothing of the
  user's JupyterLab is read or written); news, update checks and the extension
  manager's PyPI queries are off;
- the browser is Debian's ``/usr/bin/chromium`` driven by Playwright (never
  ``playwright install``); without it the tests skip on a workstation and
  **fail** in CI (``CI`` set in the environment);
- every request to a host other than ``127.0.0.1`` (HTTP or WebSocket) is
  aborted *and* recorded, and :meth:`Offline.assert_no_outside_requests` fails
  the test if one was attempted;
- notebooks run from a throw-away copy (:func:`workspace`), never from the
  repository, and autosave is off: a test run changes no file of the project;
- screenshots go under ``test-artifacts/`` (gitignored).

Only the standard library and Playwright are used, so this file can be copied
or imported by path.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

CHROMIUM = Path(os.environ.get("PRIVLAB_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ALLOWED_HOSTS = frozenset({"127.0.0.1"})
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
]
#: JupyterLab settings for a quiet, offline test run (news prompts and update checks off).
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",  # every cell stays in the DOM, so the test sees all outputs
    },
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {
        "autosave": False,  # a test run must never rewrite a notebook
    },
}


def chromium_or_reason() -> tuple[Path | None, str]:
    """Debian's Chromium, or ``None`` and why it cannot be used."""
    if not CHROMIUM.exists():
        return None, (
            f"Debian chromium is not installed at {CHROMIUM} "
            "(apt-get install -y chromium; .ci/run installs it; never `playwright install`)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None, "playwright (a dev dependency) is not installed: pip install -e '.[dev]'"
    return CHROMIUM, ""


def in_ci() -> bool:
    """Whether this is a CI run (then a missing browser is a failure, not a skip)."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Lab:
    """A running JupyterLab: its base URL, token, root folder and log file."""

    url: str
    token: str
    root: Path
    log: Path
    process: subprocess.Popen[bytes]

    def open_url(self, path: str, *, workspace: str | None = None) -> str:
        """The URL that opens *path* (relative to the root), token included.

        With *workspace*, in a JupyterLab workspace of that name, reset first, so
        no tab of an earlier page is restored beside it.
        """
        if workspace is None:
            return f"{self.url}/lab/tree/{path}?token={self.token}"
        return f"{self.url}/lab/workspaces/{workspace}/tree/{path}?reset&token={self.token}"

    def api(self, method: str, route: str) -> Any:
        """Call the Jupyter server's REST API (``route`` like ``api/sessions``); JSON back."""
        request = urllib.request.Request(
            f"{self.url}/{route}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None


@contextlib.contextmanager
def jupyterlab(
    root: Path, *, env: dict[str, str] | None = None, port: int | None = None, timeout: float = 120
) -> Iterator[Lab]:
    """Start JupyterLab on 127.0.0.1 serving *root*; stop it (and its kernels) on exit.

    *env* is the environment of the server and therefore of every kernel it
    starts (default: this process's). Raises ``RuntimeError`` with the server log
    when it does not answer within *timeout* seconds.
    """
    home = Path(tempfile.mkdtemp(prefix="privlab-lab-"))
    settings = home / "settings"
    for name, values in SETTINGS.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    token = secrets.token_hex(16)
    port = port or _free_port()
    server_env = {
        **(env if env is not None else os.environ),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }
    log = home / "jupyterlab.log"
    command = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--expose-app-in-browser",  # window.jupyterapp: run commands like a user would
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=server_env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({process.returncode}):\n{log.read_text()}")
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"JupyterLab did not answer in {timeout:.0f} s:\n{log.read_text()}"
                    ) from None
                time.sleep(0.5)
        yield Lab(url=url, token=token, root=root, log=log, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(home, ignore_errors=True)


def shutdown_sessions(lab: Lab) -> None:
    """Stop every kernel session of *lab* (through the REST API, whatever the page shows)."""
    for session in lab.api("GET", "api/sessions"):
        lab.api("DELETE", f"api/sessions/{session['id']}")


@dataclass
class Offline:
    """Blocks and records every request of a browser context to a host not in ``allowed``."""

    allowed: frozenset[str] = ALLOWED_HOSTS
    attempts: list[str] = field(default_factory=list)

    def _allowed(self, url: str) -> bool:
        scheme = urlparse(url).scheme
        if scheme in ("data", "blob", "about", "chrome-extension"):
            return True  # never leave the machine
        return urlparse(url).hostname in self.allowed

    def attach(self, context: Any) -> None:
        """Route every request of *context* through the check (and watch WebSockets)."""

        def route(r: Any) -> None:
            if self._allowed(r.request.url):
                r.continue_()
            else:
                self.attempts.append(r.request.url)
                r.abort("blockedbyclient")

        context.route("**/*", route)
        context.on(
            "page",
            lambda page: page.on(
                "websocket",
                lambda ws: None if self._allowed(ws.url) else self.attempts.append(ws.url),
            ),
        )

    def assert_no_outside_requests(self) -> None:
        """Fail when anything tried to reach another host (it was blocked, but must not try)."""
        assert not self.attempts, f"requests to other hosts were attempted: {self.attempts}"


@contextlib.contextmanager
def offline_browser(chromium: Path) -> Iterator[tuple[Any, Offline]]:
    """A Chromium browser context that can reach ``127.0.0.1`` only."""
    from playwright.sync_api import sync_playwright

    offline = Offline()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1400, "height": 1000}, service_workers="block"
        )
        offline.attach(context)
        try:
            yield context, offline
        finally:
            context.close()
            browser.close()


def workspace(repo: Path, target: Path, folders: tuple[str, ...] = ("notebooks",)) -> Path:
    """A copy of *folders* of *repo* under *target*, other top-level folders linked.

    Notebooks then run (and write their tutorial stores, checkpoints and any
    saved metadata) inside *target*; relative paths such as ``../data_samples``
    keep working through the links.
    """
    target.mkdir(parents=True, exist_ok=True)
    skip = shutil.ignore_patterns(".privlab-tutorial", ".ipynb_checkpoints", "__pycache__")
    for entry in repo.iterdir():
        if entry.name.startswith("."):
            continue
        if entry.name in folders:
            shutil.copytree(entry, target / entry.name, ignore=skip)
        elif entry.is_dir():
            (target / entry.name).symlink_to(entry, target_is_directory=True)
    return target


def artifact(*parts: str) -> Path:
    """A path under ``test-artifacts/`` (folders created)."""
    path = ARTIFACTS.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def main() -> None:
    """Serve a folder the way the browser tests do (for Galata or a manual look)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    with jupyterlab(args.root.resolve(), port=args.port) as lab:
        print(f"{lab.url}/lab?token={lab.token}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            lab.process.wait()


if __name__ == "__main__":
    main()
