"""ipywidgets front ends: views over privlab functions, no logic of their own."""

from privlab.widgets._dp_widgets import budget_meter, epsilon_explorer

__all__ = ["budget_meter", "epsilon_explorer"]
