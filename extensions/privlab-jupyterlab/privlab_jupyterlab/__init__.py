"""privlab's JupyterLab extension: a privacy side panel and file-browser actions.

The server half (:mod:`privlab_jupyterlab._handlers`) serves read-only REST
routes over the privlab store; every call into privlab goes through
:mod:`privlab_jupyterlab._store`. The front end is built into ``labextension/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

try:
    from privlab_jupyterlab._version import __version__
except ImportError:  # a source checkout that was never built
    __version__ = "dev"

__all__ = ["__version__"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "privlab-jupyterlab"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "privlab_jupyterlab"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Register the routes (called by jupyter_server when the extension is enabled)."""
    from privlab_jupyterlab._handlers import ExtensionState, setup_handlers

    contents = getattr(server_app, "contents_manager", None)
    root = Path(getattr(contents, "root_dir", None) or server_app.root_dir).expanduser()
    hidden = bool(getattr(contents, "allow_hidden", False))
    state = ExtensionState(root_dir=root, allow_hidden=hidden)
    setup_handlers(server_app.web_app, state)
    server_app.log.info("privlab-jupyterlab: routes registered (root %s)", root)
