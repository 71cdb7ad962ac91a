"""Altair chart builders: pure functions, data in, un-displayed chart out."""

from privlab.viz._anonymize import class_size_chart, risk_distribution_chart
from privlab.viz._dp import budget_chart, epsilon_curve_chart
from privlab.viz._synth import column_comparison_chart, privacy_risk_chart, quality_chart

__all__ = [
    "budget_chart",
    "class_size_chart",
    "column_comparison_chart",
    "epsilon_curve_chart",
    "privacy_risk_chart",
    "quality_chart",
    "risk_distribution_chart",
]
