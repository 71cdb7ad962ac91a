"""Altair chart builders: pure functions, data in, un-displayed chart out."""

from privlab.viz._dp import budget_chart, epsilon_curve_chart

__all__ = ["budget_chart", "epsilon_curve_chart"]
