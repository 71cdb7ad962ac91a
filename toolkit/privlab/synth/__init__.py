"""Synthetic data with SDV: metadata that leaks nothing, quality and attack-based privacy.

``pv.synthesize(frame)`` fits an SDV synthesizer (GaussianCopula, CTGAN, TVAE,
CopulaGAN, or HMA for related tables) on polars data and returns a
:class:`Synthetic`; ``Synthetic.evaluate()`` scores it with SDMetrics (quality,
diagnostics) and with privacy measures: exact copies, identifier replay, distance to
closest record against a holdout, and singling-out, linkability and inference attacks
following Anonymeter's method (Giomi et al., 2022). ``pv.evaluate_synthetic(train,
synthetic, holdout)`` does the same for any synthetic rows: every privacy figure is
the excess over real rows the generator never saw, at equal sizes, with its interval.
"""

from privlab.synth._attacks import (
    AttackResult,
    inference_risk,
    linkability_risk,
    singling_out_risk,
)
from privlab.synth._evaluate import SynthReport, evaluate_synthetic
from privlab.synth._metadata import (
    ColumnPlan,
    Relationship,
    SynthMetadata,
    TablePlan,
    build_metadata,
    sanitize_sdv_metadata,
)
from privlab.synth._replay import replay_check
from privlab.synth._synthesize import Synthetic, synthesize

__all__ = [
    "AttackResult",
    "ColumnPlan",
    "Relationship",
    "SynthMetadata",
    "SynthReport",
    "Synthetic",
    "TablePlan",
    "build_metadata",
    "evaluate_synthetic",
    "inference_risk",
    "linkability_risk",
    "replay_check",
    "sanitize_sdv_metadata",
    "singling_out_risk",
    "synthesize",
]
