"""Information loss and distribution distance of a release against its original."""

from privlab.utility._ml import ml_utility
from privlab.utility._utility import UtilityReport, utility
from privlab.utility._workload import ReleaseView, Workload, bin_spec, coverage_from_hierarchy

__all__ = [
    "ReleaseView",
    "UtilityReport",
    "Workload",
    "bin_spec",
    "coverage_from_hierarchy",
    "ml_utility",
    "utility",
]
