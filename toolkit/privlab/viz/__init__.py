"""Altair chart builders: pure functions, data in, un-displayed chart out."""

from privlab.viz._synth import column_comparison_chart, privacy_risk_chart, quality_chart

__all__ = ["column_comparison_chart", "privacy_risk_chart", "quality_chart"]
