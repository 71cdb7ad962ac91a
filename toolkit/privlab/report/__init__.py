"""Self-contained HTML reports of releases and trade-offs (charts inlined, offline)."""

from privlab.report._html import Report, check_published, report, save_chart

__all__ = ["Report", "check_published", "report", "save_chart"]
