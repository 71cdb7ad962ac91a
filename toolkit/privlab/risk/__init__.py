"""Re-identification risk and privacy-model levels of released data."""

from privlab.risk._assess import RiskReport, assess_risk
from privlab.risk._linkage import linkage_attack

__all__ = ["RiskReport", "assess_risk", "linkage_attack"]
