"""Re-identification risk and privacy-model levels of released data."""

from privlab.risk._assess import RiskReport, assess_risk
from privlab.risk._linkage import LinkageResult, linkage_attack
from privlab.risk._uniques import SampleUniques, minimal_sample_uniques

__all__ = [
    "LinkageResult",
    "RiskReport",
    "SampleUniques",
    "assess_risk",
    "linkage_attack",
    "minimal_sample_uniques",
]
