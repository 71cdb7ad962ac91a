"""privlab — profile, anonymize, query with differential privacy and synthesize tables.

``import privlab as pv`` is the one entry point. Importing has no side effects and
stays fast: submodules (and their heavy dependencies — SDV, torch, OpenDP) load
the first time one of their names is used.

Examples
--------
>>> import privlab as pv
>>> pv.__version__  # doctest: +ELLIPSIS
'...'
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from privlab import release as _release
from privlab._config import config_context, get_config, set_config
from privlab._version import __version__

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from privlab.anonymize import (
        Hierarchy,
        KAnonymity,
        LDiversity,
        Recipe,
        Release,
        TCloseness,
        anonymize,
        search,
    )
    from privlab.dp import DPSession
    from privlab.governance import Governance
    from privlab.io import fingerprint, read, write
    from privlab.profile import Profile, profile
    from privlab.report import Report, report
    from privlab.risk import assess_risk
    from privlab.store import Store, open_store
    from privlab.synth import Synthetic, evaluate_synthetic, synthesize
    from privlab.tradeoff import Tradeoff, tradeoff
    from privlab.utility import utility

# Public name -> module that defines it. Loaded on first attribute access
# (PEP 562) so `import privlab` does not pull polars extensions, OpenDP or SDV.
_LAZY: dict[str, str] = {
    "DPSession": "privlab.dp",
    "Governance": "privlab.governance",
    "Hierarchy": "privlab.anonymize",
    "KAnonymity": "privlab.anonymize",
    "LDiversity": "privlab.anonymize",
    "Profile": "privlab.profile",
    "Recipe": "privlab.anonymize",
    "Release": "privlab.anonymize",
    "Report": "privlab.report",
    "Store": "privlab.store",
    "Synthetic": "privlab.synth",
    "TCloseness": "privlab.anonymize",
    "Tradeoff": "privlab.tradeoff",
    "anonymize": "privlab.anonymize",
    "assess_risk": "privlab.risk",
    "evaluate_synthetic": "privlab.synth",
    "fingerprint": "privlab.io",
    "open_store": "privlab.store",
    "profile": "privlab.profile",
    "read": "privlab.io",
    "report": "privlab.report",
    "search": "privlab.anonymize",
    "synthesize": "privlab.synth",
    "tradeoff": "privlab.tradeoff",
    "utility": "privlab.utility",
    "write": "privlab.io",
}

__all__ = [
    "DPSession",
    "Governance",
    "Hierarchy",
    "KAnonymity",
    "LDiversity",
    "Profile",
    "Recipe",
    "Release",
    "Report",
    "Store",
    "Synthetic",
    "TCloseness",
    "Tradeoff",
    "__version__",
    "anonymize",
    "assess_risk",
    "config_context",
    "evaluate_synthetic",
    "fingerprint",
    "get_config",
    "open_store",
    "profile",
    "read",
    "report",
    "search",
    "set_config",
    "synthesize",
    "tradeoff",
    "utility",
    "write",
]


#: Public functions that share their name with a subpackage (``privlab.anonymize`` …).
_FUNCTIONS = frozenset({"anonymize", "profile", "report", "tradeoff", "utility"})


class _Package(types.ModuleType):
    """privlab's own module type: a public function's name is never re-bound to a subpackage.

    After ``import privlab.anonymize`` the import system sets the attribute
    ``privlab.anonymize`` to the subpackage, which would shadow the function
    ``pv.anonymize``. This class refuses that one re-binding, so ``pv.anonymize``
    is the plain function whatever was imported first; names inside the
    subpackage are imported with ``from privlab.anonymize import Recipe``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FUNCTIONS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def _governance_gate(store: Any) -> Any:
    """The default release gate: privlab's governance over *store* (loaded on first release)."""
    from privlab.governance import Governance  # higher layer: loaded only when a release runs

    return Governance(store)


_release.register_default_gate(_governance_gate)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'privlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
