"""Re-identification risk and privacy-model levels of released data."""

from privlab.risk._assess import RiskReport, assess_risk
from privlab.risk._linkage import LinkageResult, linkage_attack

__all__ = ["LinkageResult", "RiskReport", "assess_risk", "linkage_attack"]
