"""privlab.synth's public surface."""

from __future__ import annotations

import privlab
import privlab.synth as synth
import privlab.viz as viz
import privlab.widgets as widgets


def test_all_sorted_and_resolvable() -> None:
    for module in (synth, viz, widgets):
        assert module.__all__ == sorted(module.__all__)
        for name in module.__all__:
            assert getattr(module, name) is not None


def test_top_level_exports() -> None:
    assert privlab.synthesize is synth.synthesize
    assert privlab.Synthetic is synth.Synthetic
