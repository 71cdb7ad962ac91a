"""The guard on published tables: a report's tables and chart data, before they are written.

A report (:func:`privlab.report.report`) is a release path like any other, but
what it publishes are small tables of figures — risk measures, utility, lineage,
manifests — and the data behind its charts, not records. The record-level rules
of :func:`~privlab.guard.inspect_release` (record keys, uniqueness of
combinations) would call every table of figures identifying, so a report gets
the two rules that concern values:

1. **PII formats.** Every text cell (numbers are figures, not identifiers) is
   searched for e-mail addresses, IBANs, card numbers, national IDs (any
   separators), phone numbers and IP addresses with the validated detectors of
   :func:`privlab.detect.find_pii`. A hit refuses the report.
2. **Replays.** When the report describes a release of a known source table,
   every text cell is compared (64-bit hashes) with every value of the source's
   direct identifiers and record keys — names included. A match refuses it.

A column may be kept with a reason (``keep={"column": "reason"}``), as for any
release. Aggregates (counts per category in a chart, figures per release) are not
inspected: they are not records, and they are not differentially private either —
a report of a small table can still reveal a rare category's count.

Attacker: reads the HTML file. They must find in it no e-mail, phone, national
ID, IBAN, card or IP address, and no value of the source's identifying columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from privlab.detect import find_pii
from privlab.guard._inspect import Finding, GuardReport, _hash, _mask, _profile

__all__ = ["PUBLISHED_TYPES", "inspect_published"]

#: PII types looked for in published text (validated formats; names only by replay).
PUBLISHED_TYPES = ("email", "iban", "credit_card", "national_id", "phone", "ip_address")
_LABELS = {
    "email": "e-mail addresses",
    "iban": "IBANs",
    "credit_card": "card numbers",
    "national_id": "national ID numbers",
    "phone": "phone numbers",
    "ip_address": "IP addresses",
}


def _strings(value: Any) -> list[str]:
    """The text in a cell: strings, and the string keys and leaves of nested values.

    Numbers (also inside a nested mapping) are figures, not identifiers: the digits
    of ``0.06321008056186739`` must not be read as a card number.
    """
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        out = [str(k) for k in value if isinstance(k, str)]
        for item in value.values():
            out.extend(_strings(item))
        return out
    if isinstance(value, list | tuple | set):
        return [s for item in value for s in _strings(item)]
    if value is None or isinstance(value, bool | int | float):
        return []
    return [str(value)]


def _text_cells(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """``{column: [text values]}``: what the page shows as text (numbers left out)."""
    out: dict[str, list[str]] = {}
    for row in rows:
        for key, value in row.items():
            found = _strings(value)
            if found:
                out.setdefault(str(key), []).extend(found)
    return out


def _identifying_hashes(source: pl.DataFrame, roles: Mapping[str, str], seed: int) -> pl.Series:
    """Hashes of every value of the source's direct identifiers and record keys."""
    known = {**_profile(source, seed).roles(), **dict(roles)}
    columns = [c for c, role in known.items() if role == "direct_identifier" and c in source]
    if not columns:
        return pl.Series("h", [], dtype=pl.UInt64)
    return pl.concat(
        [source.select(_hash(pl.col(c)).alias("h")).drop_nulls()["h"] for c in columns]
    ).unique()


def inspect_published(
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    source: pl.DataFrame | None = None,
    roles: Mapping[str, str] | None = None,
    keep: Mapping[str, str] | None = None,
    seed: int = 0,
) -> GuardReport:
    """Inspect tables about to be published (a report's tables and chart data).

    Parameters
    ----------
    tables:
        ``{caption: rows}``, each row a mapping of column to value (as written).
    source:
        The table the report describes, when there is one: its identifying values
        must not appear.
    roles:
        The source columns' profiled roles, when known (else the guard profiles it).
    keep:
        ``{column: reason}``: columns published on purpose.
    seed:
        Seed of the source's 10,000-row detector sample.

    Returns
    -------
    GuardReport
        ``ok`` when nothing identifying is found outside kept columns; findings name
        the table and column and show masked examples only.

    Examples
    --------
    >>> rows = [{"release": "k=5", "contact": "ana.ruiz@example.org"}, {"release": "k=10"}]
    >>> report = inspect_published({"Releases": rows})
    >>> report.ok, [f.column for f in report.findings]
    (False, ['contact'])
    >>> report.findings[0].details["masked_examples"]
    ['a***@example.org']
    >>> inspect_published({"Releases": rows}, keep={"contact": "the DPO's address"}).ok
    True

    A value of the source's identifying columns is a replay, whatever its format:

    >>> import polars as pl
    >>> src = pl.DataFrame({"patient": ["Omar Haddad", "Li Wei"], "ward": ["A", "B"]})
    >>> top = {"Top cases": [{"who": "Omar Haddad", "n": 3}]}
    >>> report = inspect_published(top, source=src, roles={"patient": "direct_identifier"})
    >>> [(f.column, f.kind) for f in report.findings]
    [('who', 'replay')]
    """
    report = GuardReport(kept=dict(keep or {}))
    cells = {caption: _text_cells(rows) for caption, rows in tables.items()}
    real = (
        _identifying_hashes(source, roles or {}, seed)
        if source is not None and source.width and source.height
        else pl.Series("h", [], dtype=pl.UInt64)
    )
    checked = 0
    for caption, columns in cells.items():
        for column, values in columns.items():
            texts = pl.Series("v", values, dtype=pl.String).unique()
            checked += len(texts)
            for kind, found in find_pii(texts, types=PUBLISHED_TYPES).items():
                report.findings.append(
                    Finding(
                        column,
                        "direct_identifier",
                        f"report table {caption!r}, column {column!r} shows {len(found)} "
                        f"{_LABELS[kind]}",
                        {
                            "table": caption,
                            "type": kind,
                            "masked_examples": [_mask(v) for v in found[:2]],
                        },
                    )
                )
            if len(real):
                hits = texts.filter(texts.hash(0x5EED).is_in(real.implode()))
                if len(hits):
                    report.findings.append(
                        Finding(
                            column,
                            "replay",
                            f"report table {caption!r}, column {column!r} shows {len(hits)} "
                            "value(s) of the source's identifying columns",
                            {
                                "table": caption,
                                "values": len(hits),
                                "masked_examples": [_mask(v) for v in hits.sort().head(2)],
                            },
                        )
                    )
    report.checked = {"tables": len(cells), "text_values": checked, "source": source is not None}
    return report
