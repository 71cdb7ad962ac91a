"""The package's structure: declared layers, no import cycles, plain public functions.

The import graph is read from the source (``ast``): imports inside functions
count, imports under ``if TYPE_CHECKING:`` do not. The layers are declared once,
in :mod:`privlab._layers`.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
import types
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

import privlab
from privlab._layers import LAYERS, layer_of

PACKAGE = Path(privlab.__file__).parent

#: Function-local privlab imports outside the CLI, each with its documented reason.
LOCAL_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {
    ("privlab", "privlab.governance"): "the default release gate, loaded when a release runs",
}
MAX_LOCAL_IMPORTS = 10


@dataclass(frozen=True)
class Edge:
    module: str  # importing module, e.g. privlab.anonymize._search
    target: str  # imported module, e.g. privlab.models
    line: int
    local: bool  # inside a function


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _edges() -> list[Edge]:
    edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip: set[int] = set()
        local: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip.update(id(n) for n in ast.walk(node))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                local.update(id(n) for n in ast.walk(node) if n is not node)
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module]
                if node.module == "privlab":  # from privlab import release
                    targets = [f"privlab.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                if target == "privlab" or target.startswith("privlab."):
                    edges.append(Edge(module, target, node.lineno, id(node) in local))
    return edges


EDGES = _edges()


def test_every_package_is_declared_in_a_layer() -> None:
    names = {_top(_module_name(p)) for p in PACKAGE.rglob("*.py")}
    declared = {n for layer in LAYERS for n in layer}
    assert names == declared, "declare new packages in privlab/_layers.py"


def test_no_import_goes_up_or_sideways() -> None:
    """A package imports only lower layers (and itself): no back-edge, no same-layer edge."""
    bad = []
    for e in EDGES:
        a, b = _top(e.module), _top(e.target)
        if a != b and b != "__init__" and layer_of(b) >= layer_of(a):
            bad.append(f"{e.module}:{e.line} imports {e.target} ({a} must not import {b})")
        if b == "__init__" and a not in ("__init__", "cli") and e.target == "privlab":
            bad.append(f"{e.module}:{e.line} imports the privlab façade")
    assert not bad, "\n".join(bad)


def test_no_cycle_between_subpackages() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for e in EDGES:
        a, b = _top(e.module), _top(e.target)
        if a != b:
            graph[a].add(b)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_function_local_imports_are_few_and_documented() -> None:
    local = [e for e in EDGES if e.local and _top(e.module) != "cli"]
    undocumented = [
        f"{e.module}:{e.line} -> {e.target}"
        for e in local
        if (e.module, e.target) not in LOCAL_IMPORTS_ALLOWED
    ]
    assert not undocumented, "move these imports to the module top:\n" + "\n".join(undocumented)
    assert len(local) <= MAX_LOCAL_IMPORTS


def test_no_dynamic_import_of_privlab_modules() -> None:
    """Only the façade's lazy attribute loader imports privlab modules by name."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "__init__.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "import_module(" in text or "__import__(" in text:
            offenders.append(str(path.relative_to(PACKAGE)))
    assert not offenders


def test_no_private_cross_package_imports() -> None:
    """Packages use each other's public names, never another package's ``_private`` module."""
    bad = [
        f"{e.module}:{e.line} -> {e.target}"
        for e in EDGES
        if _top(e.module) != _top(e.target)
        and any(part.startswith("_") for part in e.target.split(".")[2:])
    ]
    assert not bad, "\n".join(bad)


# -- the public surface --------------------------------------------------------------------

SUBPACKAGES = sorted(
    m.name
    for m in pkgutil.walk_packages(privlab.__path__, "privlab.")
    if m.name.count(".") == 1 and not m.name.split(".")[1].startswith("_")
)


def _import_everything() -> None:
    for name in SUBPACKAGES:
        importlib.import_module(name)


@pytest.mark.parametrize("name", ["anonymize", "profile", "report", "tradeoff", "utility"])
def test_public_functions_stay_plain_functions(name: str) -> None:
    """pv.anonymize etc. keep their real signature whatever was imported before."""
    _import_everything()
    func = getattr(privlab, name)
    assert isinstance(func, types.FunctionType), f"pv.{name} is {type(func).__name__}"
    module = sys.modules[f"privlab.{name}"]
    assert func is getattr(module, name)
    params = inspect.signature(func).parameters
    assert list(params)[:1] != ["args"], f"pv.{name} lost its signature"
    assert func.__doc__
    assert func.__doc__ == getattr(module, name).__doc__


def test_every_exported_name_of_the_facade_after_importing_everything() -> None:
    _import_everything()
    for name in privlab.__all__:
        value = getattr(privlab, name)
        assert not isinstance(value, types.ModuleType), f"pv.{name} is a module"


def _public_names(module: types.ModuleType) -> set[str]:
    """A package's public namespace; a single-file module's public top-level definitions."""
    if hasattr(module, "__path__"):  # a package: what its __init__ binds, typing aside
        return {
            n
            for n, v in vars(module).items()
            if not n.startswith("_")
            and n not in ("TYPE_CHECKING", "annotations")
            and not isinstance(v, types.ModuleType)
            and getattr(v, "__module__", None) not in ("typing", "privlab.exceptions")
        }
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_")}


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then functions, each alphabetical."""
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_all_equals_the_public_names(name: str) -> None:
    """Each subpackage exports exactly its public names, sorted (httpx, Altair)."""
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert list(exported) == sorted(exported, key=_isort_key), f"{name}.__all__ is not sorted"
    public = _public_names(module)
    assert set(exported) == public, (
        f"{name}: exported but missing {sorted(set(exported) - public)}, "
        f"public but not exported {sorted(public - set(exported))}"
    )


def test_optional_extras_are_not_imported_at_module_load() -> None:
    """No module imports pyspark or mbi at import time, and `import privlab` stays light."""
    code = (
        "import importlib, pkgutil, sys, privlab\n"
        "heavy = [m for m in ('sdv', 'torch', 'opendp') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "for m in pkgutil.walk_packages(privlab.__path__, 'privlab.'):\n"
        "    importlib.import_module(m.name)\n"
        "extras = [m for m in ('pyspark', 'mbi') if m in sys.modules]\n"
        "print(','.join(extras))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
