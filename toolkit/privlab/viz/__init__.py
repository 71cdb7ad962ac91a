"""Altair chart builders: pure functions, data in, un-displayed chart out."""

from privlab.viz._anonymize import class_size_chart, risk_distribution_chart
from privlab.viz._dp import budget_chart, epsilon_curve_chart
from privlab.viz._profile import sensitivity_chart
from privlab.viz._synth import column_comparison_chart, privacy_risk_chart, quality_chart
from privlab.viz._tradeoff import column_chart, epsilon_error_chart, k_loss_chart, tradeoff_chart

__all__ = [
    "budget_chart",
    "class_size_chart",
    "column_chart",
    "column_comparison_chart",
    "epsilon_curve_chart",
    "epsilon_error_chart",
    "k_loss_chart",
    "privacy_risk_chart",
    "quality_chart",
    "risk_distribution_chart",
    "sensitivity_chart",
    "tradeoff_chart",
]
