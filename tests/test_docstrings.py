"""The public API is documented: a docstring on every public name, an example on every function.

ruff's ``D`` rules (numpy convention, ``pyproject.toml``) check the *form* of the
docstrings, but ruff counts every definition inside a ``_private.py`` module as
private — and privlab's public API lives in such modules, re-exported through
each package's ``__all__``. So *presence* is checked here, from what the
packages export: every public class and function has a docstring, every public
method and property of a public class has one, and every public function has an
``Examples`` section (numpydoc; the examples run as doctests).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from typing import Any

import privlab

PACKAGES = sorted(
    m.name
    for m in pkgutil.walk_packages(privlab.__path__, "privlab.")
    if m.name.count(".") == 1 and not m.name.split(".")[1].startswith("_")
)


def public_objects() -> Iterator[tuple[str, str, Any]]:
    """(package, public name, object) for each class and function privlab exports, once."""
    seen: set[int] = set()
    for name in [*PACKAGES, "privlab"]:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if id(obj) in seen or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if not str(getattr(obj, "__module__", "")).startswith("privlab"):
                continue
            seen.add(id(obj))
            package = str(obj.__module__).split(".")[1]
            yield package, f"privlab.{package}.{obj.__qualname__}", obj


def _own_members(cls: type) -> Iterator[tuple[str, Any]]:
    """Public methods and properties written in *cls* itself (not generated, not inherited)."""
    for attr, value in vars(cls).items():
        if attr.startswith("_"):
            continue
        func = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
        if inspect.isfunction(func) and str(func.__module__).startswith("privlab"):
            yield attr, func


def test_every_public_class_and_function_has_a_docstring() -> None:
    missing = [name for _, name, obj in public_objects() if not (obj.__doc__ or "").strip()]
    assert not missing


def test_every_public_method_and_property_has_a_docstring() -> None:
    missing = [
        f"{name}.{attr}"
        for _, name, obj in public_objects()
        if inspect.isclass(obj)
        for attr, func in _own_members(obj)
        if not (func.__doc__ or "").strip()
    ]
    assert not missing


def test_every_public_function_has_an_example() -> None:
    missing = [
        name
        for _, name, obj in public_objects()
        if inspect.isfunction(obj) and "Examples\n--------" not in inspect.getdoc(obj)
    ]
    assert not missing
