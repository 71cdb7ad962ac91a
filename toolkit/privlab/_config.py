"""Explicit, scoped configuration: ``get_config`` / ``set_config`` / ``config_context``.

Defaults come from ``PRIVLAB_*`` environment variables, read when a value is first
needed (not at import). Values set with :func:`set_config` or inside
:func:`config_context` override the environment for the current context only
(a :class:`contextvars.ContextVar`, so threads and async tasks do not leak into
each other).

=================  ==========================  ======================================
key                environment variable        meaning
=================  ==========================  ======================================
home               ``PRIVLAB_HOME``            folder of the store (catalog, ledger,
                                               audit log); default ``~/.privlab``
user               ``PRIVLAB_USER``            principal recorded in ledgers and logs;
                                               default: the OS login name
default_epsilon    ``PRIVLAB_DEFAULT_EPSILON`` privacy budget (ε) a newly registered
                                               dataset gets; default 1.0
default_delta      ``PRIVLAB_DEFAULT_DELTA``   δ budget of a new dataset; default 1e-6
progress           ``PRIVLAB_PROGRESS``        show progress bars (``1``/``0``);
                                               default 1
=================  ==========================  ======================================

Examples
--------
>>> import privlab as pv
>>> with pv.config_context(default_epsilon=2.5):
...     pv.get_config()["default_epsilon"]
2.5
"""

from __future__ import annotations

import contextlib
import getpass
import os
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from privlab.exceptions import ConfigError

__all__ = ["config_context", "get_config", "set_config"]


def _parse_bool(raw: str) -> bool:
    low = raw.strip().lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected 1/0/true/false, got {raw!r}")


def _parse_positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError(f"expected a number > 0, got {raw!r}")
    return value


def _default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


# key -> (environment variable, parser of the raw string, default factory)
_SPEC: dict[str, tuple[str, Callable[[str], Any], Callable[[], Any]]] = {
    "home": ("PRIVLAB_HOME", lambda raw: Path(raw).expanduser(), lambda: Path.home() / ".privlab"),
    "user": ("PRIVLAB_USER", str, _default_user),
    "default_epsilon": ("PRIVLAB_DEFAULT_EPSILON", _parse_positive_float, lambda: 1.0),
    "default_delta": ("PRIVLAB_DEFAULT_DELTA", _parse_positive_float, lambda: 1e-6),
    "progress": ("PRIVLAB_PROGRESS", _parse_bool, lambda: True),
}

_overrides: ContextVar[dict[str, Any] | None] = ContextVar("privlab_config", default=None)


def _validate(key: str, value: Any) -> Any:
    if key not in _SPEC:
        raise ConfigError(f"unknown config key {key!r}; known keys are {sorted(_SPEC)}")
    if key == "home":
        return Path(value).expanduser()
    if key in {"default_epsilon", "default_delta"}:
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ConfigError(f"{key!r} must be a number > 0, got {value!r}")
        return float(value)
    if key == "progress":
        if not isinstance(value, bool):
            raise ConfigError(f"'progress' must be True or False, got {value!r}")
        return value
    if key == "user":
        if not isinstance(value, str) or not value:
            raise ConfigError(f"'user' must be a non-empty string, got {value!r}")
        return value
    return value  # pragma: no cover - every key is handled above


def _from_env(key: str) -> Any:
    env, parse, default = _SPEC[key]
    raw = os.environ.get(env)
    if raw is None or raw == "":
        return default()
    try:
        return parse(raw)
    except ValueError as exc:
        raise ConfigError(f"environment variable {env}={raw!r} is invalid: {exc}") from None


def get_config() -> dict[str, Any]:
    """Return the effective configuration as a new dict.

    Returns
    -------
    dict
        Every key in the table above, from overrides first, then the environment,
        then the built-in default.

    Examples
    --------
    >>> import privlab as pv
    >>> sorted(pv.get_config())
    ['default_delta', 'default_epsilon', 'home', 'progress', 'user']
    """
    overrides = _overrides.get() or {}
    return {key: overrides[key] if key in overrides else _from_env(key) for key in _SPEC}


def set_config(**values: Any) -> None:
    """Override configuration values for the current context.

    Parameters
    ----------
    **values
        Keys from the table in the module docstring. Unknown keys raise
        :class:`~privlab.exceptions.ConfigError`.

    Examples
    --------
    >>> import privlab as pv
    >>> with pv.config_context():
    ...     pv.set_config(progress=False)
    ...     pv.get_config()["progress"]
    False
    """
    checked = {key: _validate(key, value) for key, value in values.items()}
    _overrides.set({**(_overrides.get() or {}), **checked})


@contextlib.contextmanager
def config_context(**values: Any) -> Iterator[None]:
    """Temporarily override configuration values; restored on exit.

    Examples
    --------
    >>> import privlab as pv
    >>> with pv.config_context(user="alice"):
    ...     pv.get_config()["user"]
    'alice'
    """
    checked = {key: _validate(key, value) for key, value in values.items()}
    token = _overrides.set({**(_overrides.get() or {}), **checked})
    try:
        yield
    finally:
        _overrides.reset(token)
