"""ipywidgets front ends over privlab's modules (views only; logic lives elsewhere)."""

from privlab.widgets._dp_widgets import budget_meter, epsilon_explorer
from privlab.widgets._synth_widget import SynthWidget

__all__ = ["SynthWidget", "budget_meter", "epsilon_explorer"]
