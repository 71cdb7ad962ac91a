"""Information loss and distribution distance of a release against its original."""

from privlab.utility._utility import UtilityReport, utility

__all__ = ["UtilityReport", "utility"]

from privlab._callable import make_callable

make_callable(__name__, utility)
