"""The release guard: stage 2 (inspect) of the release pipeline.

The gate (:mod:`privlab.governance`) calls :func:`inspect_release` on every
release before the policy is evaluated. The guard looks at the released data
and its source — not only at the profile — and reports findings; the gate
refuses a release with findings unless the caller keeps each column with a
reason (``keep={"col": "reason"}``). Rules: ``../shared/CONTRACTS.md`` ("The
guard"). Reports publish tables of figures, not records: :func:`inspect_published`
applies the value rules (PII formats, replays of the source's identifiers) to
their tables and chart data.

Examples
--------
>>> from privlab.guard import inspect_release
>>> from privlab.release import ReleaseFacts
>>> inspect_release(ReleaseFacts(kind="dp", dataset="visits")).ok
True
"""

from privlab.guard._inspect import Finding, GuardReport, inspect_release
from privlab.guard._published import PUBLISHED_TYPES, inspect_published

__all__ = ["PUBLISHED_TYPES", "Finding", "GuardReport", "inspect_published", "inspect_release"]
