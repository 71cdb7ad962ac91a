"""Re-identification risk and privacy-model levels of released data."""

from privlab.risk._assess import RiskReport, assess_risk

__all__ = ["RiskReport", "assess_risk"]
