"""Altair chart builders: pure functions, data in, un-displayed chart out.

Also the notebook switch (:func:`enable_notebook`, :func:`chart_widget`: charts
that render offline), chart export (:func:`save_chart`, after the release guard
has read the chart's data: :func:`check_published`, :func:`chart_rows`) and the one
number formatter for people (:func:`format_number`). Importing this package
changes no Altair setting.
"""

from privlab.viz._anonymize import class_size_chart, risk_distribution_chart
from privlab.viz._dp import budget_chart, epsilon_curve_chart
from privlab.viz._export import chart_rows, check_published, save_chart
from privlab.viz._format import format_number
from privlab.viz._notebook import chart_widget, enable_notebook
from privlab.viz._profile import sensitivity_chart
from privlab.viz._synth import column_comparison_chart, privacy_risk_chart, quality_chart
from privlab.viz._tradeoff import column_chart, epsilon_error_chart, k_loss_chart, tradeoff_chart

__all__ = [
    "budget_chart",
    "chart_rows",
    "chart_widget",
    "check_published",
    "class_size_chart",
    "column_chart",
    "column_comparison_chart",
    "enable_notebook",
    "epsilon_curve_chart",
    "epsilon_error_chart",
    "format_number",
    "k_loss_chart",
    "privacy_risk_chart",
    "quality_chart",
    "risk_distribution_chart",
    "save_chart",
    "sensitivity_chart",
    "tradeoff_chart",
]
