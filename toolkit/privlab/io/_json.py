"""Strict JSON: every document privlab prints or writes parses in any JSON reader.

Python's ``json`` writes ``NaN`` and ``Infinity`` by default, which are not
JSON. :func:`strict_json` replaces each non-finite number by ``null`` and says
where, so the figure is not silently lost: callers put those notes in the
output (a ``notes`` list) or on stderr.

Examples
--------
>>> clean, notes = strict_json({"k": 2, "t": float("inf"), "l": [1.0, float("nan")]})
>>> clean
{'k': 2, 't': None, 'l': [1.0, None]}
>>> notes
['t is inf: reported as null', 'l[1] is nan: reported as null']
>>> dumps_strict({"t": float("-inf")})
'{"t": null, "notes": ["t is -inf: reported as null"]}'
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

__all__ = ["dumps_strict", "strict_json"]


def strict_json(payload: Any, path: str = "") -> tuple[Any, list[str]]:
    """*payload* with every NaN/±Infinity replaced by ``None``, and a note per replacement.

    Mappings, lists and tuples are walked; other non-JSON values (paths, dates)
    become strings.

    Examples
    --------
    >>> strict_json([1.0, float("nan")])
    ([1.0, None], ['[1] is nan: reported as null'])
    """
    notes: list[str] = []

    def walk(node: Any, where: str) -> Any:
        if isinstance(node, bool) or node is None or isinstance(node, str | int):
            return node
        if isinstance(node, float):
            if math.isfinite(node):
                return node
            notes.append(f"{where or 'value'} is {node}: reported as null")
            return None
        if isinstance(node, Mapping):
            return {str(k): walk(v, f"{where}.{k}" if where else str(k)) for k, v in node.items()}
        if isinstance(node, list | tuple):
            return [walk(v, f"{where}[{i}]") for i, v in enumerate(node)]
        if isinstance(node, PurePath | _dt.date | _dt.datetime):
            return str(node)
        if hasattr(node, "item"):  # numpy scalars
            return walk(node.item(), where)
        return str(node)

    return walk(payload, path), notes


def dumps_strict(payload: Any, *, indent: int | None = None, sort_keys: bool = False) -> str:
    """JSON text with no NaN/Infinity; replacements are listed under ``notes`` (objects only).

    For a top-level list the notes cannot be added in-band; use
    :func:`strict_json` and print them elsewhere.

    Examples
    --------
    >>> dumps_strict({"k": 2, "t": float("inf")})
    '{"k": 2, "t": null, "notes": ["t is inf: reported as null"]}'
    """
    clean, notes = strict_json(payload)
    if notes and isinstance(clean, dict):
        clean = {**clean, "notes": [*clean.get("notes", []), *notes]}
    return json.dumps(
        clean, indent=indent, sort_keys=sort_keys, ensure_ascii=False, allow_nan=False
    )
