"""privlab's layers, lowest first: the one declaration the import-graph test checks.

A module may import from its own top-level package and from packages in
*lower* layers only — never from a higher layer, and never from another
package of its own layer (so packages of one layer stay independent). Imports
inside functions count; imports under ``if TYPE_CHECKING:`` do not.
``docs/ARCHITECTURE.md`` explains what each layer owns.

Examples
--------
>>> layer_of("models") < layer_of("anonymize") < layer_of("governance")
True
"""

from __future__ import annotations

__all__ = ["LAYERS", "layer_of"]

#: Top-level modules and subpackages of ``privlab``, grouped by layer, lowest first.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("exceptions", "_version", "_layers"),  # no privlab imports
    ("_config", "_time", "_validate"),  # configuration and shared argument checks
    ("_progress",),  # the one progress reporter
    ("io",),  # readers, fingerprints, the atomic writer, the output guard
    ("engine",),  # streaming batches, mergeable histograms, Spark partitions
    ("store",),  # the SQLite store: connections, migrations, dataset identity
    ("release",),  # ReleaseFacts and the gate protocol every producer uses
    ("detect",),  # semantic-type detectors (pure functions over values)
    ("hierarchy", "models"),  # generalization (reads dates through detect), privacy models
    ("risk", "utility"),  # measurement over models and hierarchies
    ("anonymize", "dp"),  # producers that need no profile
    ("profile",),  # profiling (hands a Recipe to the anonymizer)
    ("synth",),  # synthesis (profiles its input)
    ("guard",),  # the release guard: inspects released data against its source
    ("governance",),  # the gate's implementation: catalog, access, policy, audit
    ("viz",),  # charts: data in, chart out
    ("tradeoff",),  # orchestration across producers
    ("report", "widgets"),  # presentation
    ("cli",),  # the command line
    ("__init__",),  # the façade: ``import privlab as pv``
)


def layer_of(name: str) -> int:
    """The layer index of a top-level module or subpackage of privlab."""
    for index, names in enumerate(LAYERS):
        if name in names:
            return index
    raise KeyError(f"{name!r} is not declared in privlab._layers.LAYERS")
