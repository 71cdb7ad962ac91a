"""Per-column lineage and the release manifest of an anonymization.

The manifest is what governance records for a release: the recipe id and the
*resolved* recipe (which replays the release on new data), fingerprints of the
input and output (schema, row count, content hash — never a value), the privacy
targets and what was verified on the released data, and the per-column lineage
``source → operations → output``.

What a manifest never holds: a key (keyed steps are listed by where their key
came from — an environment variable *name*, a key-file *path*, or "argument"),
or any value from the data. It does hold the recipe as written, so a literal an
analyst puts into a recipe (a ``suppress`` condition's value, an inline
hierarchy's labels) appears there as configuration.

Examples
--------
>>> import polars as pl
>>> from privlab.anonymize import Mask
>>> tracker = LineageTracker(pl.Schema({"ssn": pl.String, "age": pl.Int64}))
>>> tracker.record_step(0, Mask("ssn", keep_last=4))
>>> [c["operations"][0]["op"] for c in tracker.columns() if c["operations"]]
['mask']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import polars as pl

from privlab.anonymize._transforms_base import Transform

__all__ = ["MANIFEST_VERSION", "LineageTracker", "describe", "op_label", "utc_now"]

MANIFEST_VERSION = 1


def describe(transform: type[Transform] | Transform) -> str:
    """The first line of a transform's docstring, as plain text (user-visible)."""
    doc = (transform.__doc__ or "").strip().splitlines()
    return doc[0].replace("``", "").replace("**", "").strip() if doc else ""


class LineageTracker:
    """Follows every input column through the steps to its output column (or its drop)."""

    def __init__(self, schema: Mapping[str, pl.DataType]) -> None:
        self._entries: list[dict[str, Any]] = [
            {"source": name, "source_dtype": str(dtype), "operations": [], "output": name}
            for name, dtype in schema.items()
        ]

    def _live(self) -> dict[str, dict[str, Any]]:
        return {e["output"]: e for e in self._entries if e["output"] is not None}

    def record_step(self, index: int, transform: Transform) -> None:
        """Add step *index* (its op, non-secret params and the columns it reads)."""
        step = transform.to_step()
        op: dict[str, Any] = {
            "step": index,
            "op": step["op"],
            "description": describe(transform),
            "masking": transform.masking,
        }
        if step.get("params"):
            op["params"] = step["params"]
        reads = transform.reads()
        if reads:
            op["reads"] = reads
        live = self._live()
        scope = getattr(getattr(transform, "params", None), "scope", None)
        if step["op"] == "suppress" and scope == "records":
            for entry in live.values():
                entry["operations"].append({**op, "rows": "removed where the condition holds"})
            return
        for column in transform.columns:
            target = live.get(column)
            if target is None:  # pragma: no cover - columns are checked before
                continue
            target["operations"].append(dict(op))
            if step["op"] == "drop":
                target["output"] = None

    def record_privacy(
        self,
        levels: Mapping[str, int],
        hierarchy_hashes: Mapping[str, str],
        hierarchy_types: Mapping[str, str],
        *,
        suppression: str,
        suppressed: int,
    ) -> None:
        """Add the privacy search's generalization and suppression."""
        live = self._live()
        for qi, level in levels.items():
            live[qi]["operations"].append(
                {
                    "step": "privacy",
                    "op": "generalize",
                    "description": "Generalized by the privacy search (full-domain, one level)",
                    "masking": level > 0,
                    "level": int(level),
                    "hierarchy": hierarchy_types[qi],
                    "hierarchy_hash": hierarchy_hashes[f"privacy.hierarchies.{qi}"],
                }
            )
        if suppressed:
            targets = live.values() if suppression == "drop" else [live[q] for q in levels]
            for entry in targets:
                op: dict[str, Any] = {
                    "step": "privacy",
                    "op": "suppress",
                    "description": (
                        "Records violating the privacy models removed"
                        if suppression == "drop"
                        else "Quasi-identifiers of records violating the models set to '*'"
                    ),
                    "masking": True,
                    "records": int(suppressed),
                }
                if suppression == "drop":  # whole rows go; no value of this column changes
                    op["rows"] = "removed where they violate the privacy models"
                entry["operations"].append(op)

    def columns(
        self, output_schema: Mapping[str, pl.DataType] | None = None
    ) -> list[dict[str, Any]]:
        """One entry per input column: source, dtype, operations, output (None if dropped)."""
        out = []
        for entry in self._entries:
            item = {**entry, "operations": [dict(o) for o in entry["operations"]]}
            if output_schema is not None and entry["output"] is not None:
                item["output_dtype"] = str(output_schema[entry["output"]])
            out.append(item)
        return out

    def manifest_lineage(
        self, output_schema: Mapping[str, pl.DataType]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Lineage keyed by output column, plus the dropped columns.

        Each output column maps to ``{"sources", "operations", "details",
        "source_dtype", "output_dtype"}``: the input columns its values depend on,
        a short label per operation in order, and the operations in full (the shape
        :func:`privlab.governance.openlineage_event` reads).
        """
        lineage: dict[str, Any] = {}
        dropped: list[dict[str, Any]] = []
        for entry in self.columns(output_schema):
            ops = entry["operations"]
            sources = [entry["source"]]
            for op in ops:
                sources += [c for c in op.get("reads", []) if c not in sources]
            item = {
                "sources": sources,
                "operations": [op_label(op) for op in ops],
                "details": ops,
                "source_dtype": entry["source_dtype"],
            }
            if entry["output"] is None:
                dropped.append({"source": entry["source"], **item})
            else:
                lineage[entry["output"]] = {**item, "output_dtype": entry["output_dtype"]}
        return lineage, dropped


def op_label(op: Mapping[str, Any]) -> str:
    """A short, value-free label for one lineage operation, e.g. ``round(base=5)``.

    Examples
    --------
    >>> op_label({"step": 2, "op": "mask", "params": {"keep_last": 4}})
    'mask(keep_last=4)'
    >>> op_label({"step": "privacy", "op": "generalize", "level": 2, "hierarchy": "prefix"})
    'generalize(level 2, prefix hierarchy)'
    """
    if op.get("step") == "privacy":
        if op["op"] == "generalize":
            return f"generalize(level {op['level']}, {op['hierarchy']} hierarchy)"
        return f"suppress({op['records']} records, privacy)"
    if op.get("rows"):
        return f"{op['op']}(records)"
    params = op.get("params") or {}
    shown = [
        f"{k}={v}"
        for k, v in params.items()
        if isinstance(v, str | int | float | bool) and k not in ("key_env", "key_file")
    ]
    return f"{op['op']}({', '.join(shown)})" if shown else str(op["op"])


def utc_now() -> str:
    """Current UTC time, ISO 8601 with a ``Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
