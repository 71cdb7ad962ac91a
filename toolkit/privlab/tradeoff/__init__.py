"""The privacy–utility trade-off across anonymization, differential privacy and synthesis."""

from privlab.hierarchy import suggest as auto_hierarchy  # deprecated alias (ARCHITECTURE.md)
from privlab.tradeoff._tradeoff import Tradeoff, pareto_front, tradeoff

__all__ = ["Tradeoff", "auto_hierarchy", "pareto_front", "tradeoff"]
