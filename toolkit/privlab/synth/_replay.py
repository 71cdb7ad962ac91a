"""Replays: real identifying values in synthetic rows — found, counted, and re-drawn away.

One definition serves both sides. :func:`replay_check` counts them in a finished
synthetic table (the evaluation reports it as ``pii_replay``); :func:`replayed`
tells the sampler which generated values to draw again before anything is
released. A synthetic value *replays* when

* it equals a real value of an **identifying** column of the real rows
  (training and holdout): a generated column, or high-cardinality text that is
  not a date; or
* it *contains* one: an e-mail, phone, national ID, IBAN or person name found in
  it by :func:`privlab.detect.find_pii` that is a real identifying value, or a
  piece of PII found inside real free text (a synthetic note carrying a real
  patient's phone number is a replay).

Low-cardinality categories and measurements repeat by design and are not counted.

Attacker: holds the real table (or the holdout) and searches the synthetic file
for any of its identifying values, whole or inside text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from privlab.detect import find_pii, parse_dates

if TYPE_CHECKING:  # pragma: no cover
    from privlab.synth._metadata import TablePlan

__all__ = ["RealValues", "real_values", "replay_check", "replayed"]


@dataclass(frozen=True)
class RealValues:
    """What no synthetic value may be or contain, for one table."""

    columns: dict[str, pl.Series] = field(default_factory=dict)  # identifying: distinct values
    strings: frozenset[str] = frozenset()  # every one of them, plus PII inside real text


def real_values(rows: pl.DataFrame, *, generated: Iterable[str] = ()) -> RealValues:
    """The identifying columns of *rows* (real training and holdout rows) and their values.

    A column is identifying when it is *generated* by the synthesizer, or text with
    at least 20 values of which half are distinct and that does not read as dates.
    """
    generated = set(generated)
    columns: dict[str, pl.Series] = {}
    strings: set[str] = set()
    for name in rows.columns:
        values = rows[name].cast(pl.String).drop_nulls()
        text = rows.schema[name] == pl.String
        if text and name not in generated and parse_dates(values.head(2_000)).is_date:
            continue  # dates coincide by chance and identify no one on their own
        many = text and len(values) >= 20 and values.n_unique() >= 0.5 * len(values)
        if name not in generated and not many:
            continue
        columns[name] = values.unique()
        strings.update(columns[name].to_list())
        tokens = values.str.count_matches(r"\S+").cast(pl.Float64).mean()
        if text and isinstance(tokens, float) and tokens >= 5:  # free text: the PII inside
            for found in find_pii(values).values():
                strings.update(found)
    return RealValues(columns, frozenset(strings))


def replayed(synthetic: pl.Series, real: RealValues) -> pl.Series:
    """Boolean per row: the value is, or (text) contains, a real identifying value."""
    own = real.columns.get(synthetic.name)
    text = synthetic.cast(pl.String)
    hit = (
        text.is_in(own.implode()).fill_null(False)
        if own is not None
        else pl.Series([False] * len(text), dtype=pl.Boolean)
    )
    if synthetic.dtype == pl.String and real.strings:
        found = {v for vals in find_pii(text.drop_nulls()).values() for v in vals}
        leaked = sorted(found & real.strings)
        if leaked:  # each row counts once, whole value or inside it
            hit = hit | text.str.contains_any(leaked).fill_null(False)
    return hit.rename(synthetic.name)


def replay_check(
    real: pl.DataFrame,
    synthetic: pl.DataFrame,
    *,
    holdout: pl.DataFrame | None = None,
    plan: TablePlan | None = None,
) -> dict[str, int]:
    """Real values a synthetic table replays, per identifying column (free text included).

    Parameters
    ----------
    real, synthetic:
        Training rows and the synthetic rows (same columns).
    holdout:
        Real rows kept out of fitting; they count as real.
    plan:
        The synthesis plan of the table (which columns were generated).

    Returns
    -------
    dict
        ``{column: rows that replay}`` for every identifying column (0 when clean).

    Examples
    --------
    One synthetic e-mail is a real one; the low-cardinality ``k`` is not identifying:

    >>> import polars as pl
    >>> real = pl.DataFrame({"mail": [f"u{i}@x.org" for i in range(30)], "k": [1, 2] * 15})
    >>> syn = pl.DataFrame({"mail": ["u3@x.org"] + [f"s{i}@y.org" for i in range(29)],
    ...                     "k": [1] * 30})
    >>> replay_check(real, syn)
    {'mail': 1}
    """
    rows = real if holdout is None else pl.concat([real, holdout.select(real.columns)],
                                                  how="vertical_relaxed")  # fmt: skip
    shared = rows.select([c for c in synthetic.columns if c in rows.columns])
    found = real_values(shared, generated=() if plan is None else plan.names("generated"))
    return {
        name: int(replayed(synthetic[name], found).sum())
        for name in found.columns
        if name in synthetic.columns
    }
