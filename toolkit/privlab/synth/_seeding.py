"""Make SDV runs reproducible from privlab's ``seed``.

SDV 2.0 takes no seed: every synthesizer samples from a fixed internal one
(``sdv.single_table.base.FIXED_RNG_SEED`` for the model, per-column seeds hashed
from the training data for the RDT transformers, ``_numpy_seed`` for HMA's parent
choice). The same fitted model therefore always returns the same rows, and two
privlab runs with different seeds would not differ. privlab seeds every generator
involved before it fits and before it samples:

* the global ``numpy``, ``random`` and ``torch`` generators (weights of CTGAN/TVAE,
  anything that draws from global state), restored afterwards;
* the model's own random state (copulas: a ``RandomState``; CTGAN/TVAE: a
  ``RandomState`` and a ``torch.Generator``) via ``_set_random_state``;
* every RDT transformer's ``transform``/``reverse_transform`` ``RandomState`` and the
  Faker instance of each ``AnonymizedFaker`` (generated identifiers);
* for HMA, the multi-table ``_numpy_seed`` and ``FIXED_RNG_SEED``, which SDV applies to
  each per-parent child synthesizer it recreates while sampling.

All derived seeds come from one ``numpy.random.SeedSequence(seed)``, so one integer
reproduces the whole run.
"""

from __future__ import annotations

import contextlib
import random
import secrets
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from privlab.exceptions import SynthesisError

__all__ = ["derive_seeds", "global_seed", "resolve_seed", "seed_synthesizer"]


def resolve_seed(seed: int | None) -> int:
    """*seed*, or a fresh random one (recorded so the run can be replayed).

    Examples
    --------
    >>> resolve_seed(7)
    7
    >>> 0 <= resolve_seed(None) < 2**32
    True
    """
    if seed is None:
        return secrets.randbelow(2**32)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SynthesisError(f"`seed` must be a non-negative integer or None, got {seed!r}")
    return int(seed)


def derive_seeds(seed: int, n: int, *, stream: int = 0) -> list[int]:
    """*n* independent 32-bit seeds derived from *seed* (and a stream number).

    Examples
    --------
    >>> derive_seeds(1, 2) == derive_seeds(1, 2)
    True
    >>> derive_seeds(1, 2) != derive_seeds(2, 2)
    True
    """
    state = np.random.SeedSequence([seed, stream]).generate_state(max(n, 1))
    return [int(x) for x in state[:n]]


@contextlib.contextmanager
def global_seed(seed: int) -> Iterator[None]:
    """Seed the global numpy, random and (if loaded) torch generators; restore on exit."""
    np_state = np.random.get_state()  # noqa: NPY002 - SDV/HMA draw from it
    py_state = random.getstate()
    torch = sys.modules.get("torch")
    torch_state = torch.get_rng_state() if torch is not None else None
    np.random.seed(seed)  # noqa: NPY002 - SDV/HMA draw from it
    random.seed(seed)
    if torch is not None:
        torch.manual_seed(seed)
    try:
        yield
    finally:
        np.random.set_state(np_state)  # noqa: NPY002 - SDV/HMA draw from it
        random.setstate(py_state)
        if torch is not None and torch_state is not None:
            torch.set_rng_state(torch_state)


def _seed_transformers(data_processor: Any, seed: int) -> None:
    transformers = data_processor._hyper_transformer.field_transformers
    ordered = sorted(transformers.items(), key=lambda kv: str(kv[0]))
    seeds = derive_seeds(seed, 3 * len(ordered), stream=1)
    for i, (_, transformer) in enumerate(ordered):
        if transformer is None:
            continue
        s_transform, s_reverse, s_faker = seeds[3 * i : 3 * i + 3]
        states = getattr(transformer, "random_states", None)
        if isinstance(states, dict):
            states["transform"] = np.random.RandomState(s_transform)
            states["reverse_transform"] = np.random.RandomState(s_reverse)
        faker = getattr(transformer, "faker", None)
        if faker is not None:
            faker.seed_instance(s_faker)


def _seed_single(synthesizer: Any, seed: int) -> None:
    synthesizer.reset_sampling()  # restart key generators, then override the fixed seeds
    model_seed, transformer_seed = derive_seeds(seed, 2, stream=2)
    if getattr(synthesizer, "_model", None) is not None:
        synthesizer._set_random_state(model_seed)
    _seed_transformers(synthesizer._data_processor, transformer_seed)


@contextlib.contextmanager
def seed_synthesizer(synthesizer: Any, seed: int) -> Iterator[None]:
    """Seed a fitted SDV synthesizer (single- or multi-table) for the next sample call."""
    import sdv.single_table.base as single_base

    tables = getattr(synthesizer, "_table_synthesizers", None)
    fixed = single_base.FIXED_RNG_SEED
    if tables is None:
        _seed_single(synthesizer, seed)
        with global_seed(seed):
            yield
        return
    synthesizer.reset_sampling()
    hma_seed, child_seed, *table_seeds = derive_seeds(seed, 2 + len(tables), stream=3)
    synthesizer._numpy_seed = hma_seed
    for table_seed, (_, table_synth) in zip(table_seeds, sorted(tables.items()), strict=True):
        _seed_single(table_synth, table_seed)
    single_base.FIXED_RNG_SEED = child_seed  # read by every child synthesizer HMA recreates
    try:
        with global_seed(seed):
            yield
    finally:
        single_base.FIXED_RNG_SEED = fixed
