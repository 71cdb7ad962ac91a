"""ipywidgets front ends over privlab's modules (views only; logic lives elsewhere)."""

from privlab.widgets._dp_widgets import budget_meter, epsilon_explorer
from privlab.widgets._profile_widget import ProfileWidget
from privlab.widgets._recipe_builder import RecipeBuilder
from privlab.widgets._synth_widget import SynthWidget
from privlab.widgets._tradeoff_explorer import TradeoffExplorer

__all__ = [
    "ProfileWidget",
    "RecipeBuilder",
    "SynthWidget",
    "TradeoffExplorer",
    "budget_meter",
    "epsilon_explorer",
]
