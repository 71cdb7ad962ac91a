"""``model="dp_aim"``: differentially private synthesis with OpenDP's contingency tables."""

from __future__ import annotations

from privlab.exceptions import SynthesisError

__all__ = ["check_dp_available"]


def check_dp_available() -> None:
    """Raise :class:`SynthesisError` when OpenDP's ``mbi`` extra is not installed."""
    try:
        import mbi  # noqa: F401
    except ImportError:
        raise SynthesisError(
            "model 'dp_aim' needs OpenDP's contingency-table synthesizer: "
            "pip install 'opendp[mbi]>=0.16,<0.17' (it brings JAX); see privlab.synth docs"
        ) from None
