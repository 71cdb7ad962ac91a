"""Let a subpackage be called like the function it is named after.

``pv.utility(...)``, ``pv.anonymize(...)``, ``pv.profile(...)`` and
``pv.report(...)`` are functions, but ``privlab.utility`` (etc.) are also
subpackages, and Python's import system sets ``privlab.utility`` to the
subpackage as soon as it is imported — replacing the function. Making the
subpackage object callable (forwarding to the function) keeps ``pv.utility(...)``
working whichever of the two the attribute holds.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any


def make_callable(module_name: str, function: Callable[..., Any]) -> None:
    """Make the module *module_name* forward calls to *function*."""
    module = sys.modules[module_name]

    class _CallableModule(types.ModuleType):
        __doc__ = module.__doc__

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return function(*args, **kwargs)

    module.__class__ = _CallableModule
