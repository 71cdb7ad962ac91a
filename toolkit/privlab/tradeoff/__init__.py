"""The privacy–utility trade-off across anonymization, differential privacy and synthesis."""

from privlab.tradeoff._tradeoff import Tradeoff, auto_hierarchy, pareto_front, tradeoff

__all__ = ["Tradeoff", "auto_hierarchy", "pareto_front", "tradeoff"]

from privlab._callable import make_callable

make_callable(__name__, tradeoff)
