"""JupyterLab for the Galata test: 127.0.0.1 only, with a token, on a throw-away root.

playwright.config.js sets the PRIVLAB_UI_* variables (port, token, root folder)
and PRIVLAB_HOME (the server's store) before it starts this server.
"""

import os

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # type: ignore[name-defined] # noqa: F821  (jupyter's config loader defines it)
configure_jupyter_server(c)

# Galata's helper turns authentication off; the contract is a token and loopback only.
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ["PRIVLAB_UI_PORT"])
c.ServerApp.root_dir = os.environ["PRIVLAB_UI_ROOT"]
c.IdentityProvider.token = os.environ["PRIVLAB_UI_TOKEN"]
c.ServerApp.disable_check_xsrf = False
c.ServerApp.allow_unauthenticated_access = False
c.ServerApp.jpserver_extensions = {"privlab_jupyterlab": True}
c.ServerApp.allow_root = True  # CI runs as root
