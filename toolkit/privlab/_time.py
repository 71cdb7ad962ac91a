"""One timestamp format for everything privlab records: UTC, microseconds, ``Z``.

``2030-01-02T03:04:05.000000Z`` — fixed width, so timestamps sort chronologically
as text (the store compares them in SQL). Manifests, the catalog, the DP ledger,
the audit log and lineage events all use :func:`iso`.

Examples
--------
>>> import datetime as dt
>>> iso(dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
'2030-01-02T03:04:05.000000Z'
>>> parse_iso("2030-01-02T03:04:05.000000Z").year
2030
"""

from __future__ import annotations

import datetime as dt

__all__ = ["iso", "now", "parse_iso", "utc_now"]


def now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    """*moment* as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> str:
    """The current time as :func:`iso` text."""
    return iso(now())


def parse_iso(text: str) -> dt.datetime:
    """Parse :func:`iso` text (or any ISO-8601 time; naive values are taken as UTC)."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
