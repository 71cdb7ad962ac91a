"""Generalization hierarchies and the one hierarchy suggester.

Examples
--------
>>> import polars as pl
>>> from privlab.hierarchy import suggest
>>> suggest(pl.Series("zip", ["94107", "10001"])).to_spec()
{'type': 'prefix', 'keep': [4, 3, 2, 1]}
"""

from privlab.hierarchy._hierarchy import (
    Hierarchy,
    date_hierarchy,
    interval_hierarchy,
    prefix_hierarchy,
    suppress_hierarchy,
)
from privlab.hierarchy._suggest import suggest

__all__ = [
    "Hierarchy",
    "date_hierarchy",
    "interval_hierarchy",
    "prefix_hierarchy",
    "suggest",
    "suppress_hierarchy",
]
