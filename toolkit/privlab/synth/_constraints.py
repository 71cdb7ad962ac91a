"""Logical rules the synthetic rows must keep, declared to SDV as constraints.

A model that learns each column's distribution and their correlations does not
learn rules: GaussianCopula will happily sample a discharge before the admission,
or a diagnosis code next to another code's text. Two kinds of rule are declared
here and handed to SDV's constraint-augmented generation (``sdv.cag``), which
transforms the data before fitting so that every sampled row keeps them:

- ``{"type": "inequality", "low": A, "high": B}`` — ``B >= A`` in every row
  (``"strict": True`` for ``B > A``); numbers or dates of the same kind;
- ``{"type": "fixed_combinations", "columns": [A, B, ...]}`` — only value
  combinations that occur in the real rows (codes and their texts).

Both name columns only; no value of the data is part of a constraint. Each
constraint must name columns the model learns (``handling == "modelled"``):
generated identifiers and keys are not learned, so a rule over them could not
hold. ``"table"`` names the table when several are synthesized.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from privlab.exceptions import SynthesisError
from privlab.synth._metadata import SynthMetadata

__all__ = ["CONSTRAINT_TYPES", "check_constraints", "sdv_constraints"]

#: The constraint types :func:`privlab.synthesize` accepts.
CONSTRAINT_TYPES = ("fixed_combinations", "inequality")
_KEYS = {
    "inequality": ({"type", "low", "high"}, {"strict", "table"}),
    "fixed_combinations": ({"type", "columns"}, {"table"}),
}


def check_constraints(
    constraints: Sequence[Mapping[str, Any]], metadata: SynthMetadata, model: str
) -> list[dict[str, Any]]:
    """Validate *constraints* against the column plan; return them as plain dicts.

    Every problem is reported at once, naming the constraint (by position) and
    the column.

    Raises
    ------
    SynthesisError
        A constraint of an unknown type, with missing or unknown keys, naming a
        table or column that does not exist or is not modelled, or any
        constraint with the ``dp_aim`` model (its marginals cannot carry one).

    Examples
    --------
    >>> import polars as pl
    >>> from privlab.synth import build_metadata
    >>> frame = pl.DataFrame({"start": [1, 2, 3], "end": [2, 4, 3]})
    >>> meta = build_metadata({"data": frame}, profile={})
    >>> check_constraints([{"type": "inequality", "low": "start", "high": "end"}], meta, "tvae")
    [{'type': 'inequality', 'low': 'start', 'high': 'end'}]
    """
    if isinstance(constraints, (Mapping, str)):
        raise SynthesisError(
            "`constraints` must be a list of constraints such as "
            '[{"type": "inequality", "low": "admission_date", "high": "discharge_date"}]'
        )
    if constraints and model == "dp_aim":
        raise SynthesisError(
            "the dp_aim model cannot keep constraints (it samples from noisy marginals); "
            "use another model or drop `constraints`"
        )
    problems: list[str] = []
    checked: list[dict[str, Any]] = []
    for i, raw in enumerate(constraints):
        where = f"constraints[{i}]"
        if not isinstance(raw, Mapping):
            problems.append(f"{where}: must be a mapping, got {type(raw).__name__}")
            continue
        spec = dict(raw)
        kind = spec.get("type")
        if kind not in _KEYS:
            problems.append(f"{where}: type {kind!r} is not one of {list(CONSTRAINT_TYPES)}")
            continue
        required, optional = _KEYS[kind]
        missing, unknown = required - set(spec), set(spec) - required - optional
        if missing or unknown:
            problems.append(
                f"{where} ({kind}): "
                + "; ".join(
                    ([f"missing {sorted(missing)}"] if missing else [])
                    + ([f"unknown keys {sorted(unknown)}"] if unknown else [])
                )
            )
            continue
        table = spec.get("table")
        if table is None:
            if len(metadata.tables) != 1:
                problems.append(
                    f"{where}: several tables are synthesized; say which with 'table' "
                    f"(one of {sorted(metadata.tables)})"
                )
                continue
            table = next(iter(metadata.tables))
        if table not in metadata.tables:
            problems.append(f"{where}: no table {table!r} (tables: {sorted(metadata.tables)})")
            continue
        columns = [spec["low"], spec["high"]] if kind == "inequality" else list(spec["columns"])
        if kind == "fixed_combinations" and len(columns) < 2:
            problems.append(f"{where}: fixed_combinations needs at least two columns")
        plans = {c.name: c for c in metadata.tables[table].columns}
        for column in columns:
            plan = plans.get(column)
            if plan is None:
                problems.append(f"{where}: table {table!r} has no column {column!r}")
            elif plan.handling != "modelled":
                problems.append(
                    f"{where}: column {column!r} is {plan.handling} ({plan.reason}), not "
                    "learned by the model, so no rule over it can hold"
                )
        checked.append(spec)
    if problems:
        raise SynthesisError("invalid constraints:\n- " + "\n- ".join(problems))
    return checked


def sdv_constraints(
    constraints: Sequence[Mapping[str, Any]], metadata: SynthMetadata, *, multi_table: bool
) -> list[Any]:
    """SDV ``cag`` constraint objects for *constraints* checked by :func:`check_constraints`.

    For a multi-table synthesizer each names its table (the only one when the
    constraint does not say); single-table synthesizers take no table name.

    Examples
    --------
    >>> import polars as pl
    >>> from privlab.synth import build_metadata
    >>> frame = pl.DataFrame({"code": ["a", "b"], "text": ["x", "y"]})
    >>> meta = build_metadata({"data": frame}, profile={})
    >>> rules = [{"type": "fixed_combinations", "columns": ["code", "text"]}]
    >>> [type(c).__name__ for c in sdv_constraints(rules, meta, multi_table=False)]
    ['FixedCombinations']
    """
    from sdv.cag import FixedCombinations, Inequality

    out: list[Any] = []
    for spec in constraints:
        table = (spec.get("table") or next(iter(metadata.tables))) if multi_table else None
        if spec["type"] == "inequality":
            out.append(
                Inequality(
                    low_column_name=spec["low"],
                    high_column_name=spec["high"],
                    strict_boundaries=bool(spec.get("strict", False)),
                    table_name=table,
                )
            )
        else:
            out.append(FixedCombinations(column_names=list(spec["columns"]), table_name=table))
    return out
