"""The result of :func:`privlab.anonymize`: released data, its report and its manifest.

Examples
--------
>>> import polars as pl, privlab as pv
>>> release = pv.anonymize(
...     pl.DataFrame({"ssn": ["1", "2"], "age": [30, 40]}),
...     {"steps": [{"op": "drop", "columns": ["ssn"]}]},
... )
>>> release.data.columns, release.manifest["kind"]
(['age'], 'anonymized')
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from privlab.io import atomic_path, check_outputs, write
from privlab.release import DEFAULT_ALLOWED, Approval, ColumnFacts, Gate, ReleaseFacts, submit

if TYPE_CHECKING:
    from privlab.anonymize._recipe import Recipe
    from privlab.anonymize._search import SearchResult
    from privlab.risk import RiskReport
    from privlab.store import Store
    from privlab.utility import UtilityReport

__all__ = ["AnonymizationReport", "Release"]

InputKind = Literal["polars", "lazy", "pandas"]


@dataclass
class AnonymizationReport:
    """What a release achieved and cost (figures only, never a value from the data).

    Attributes
    ----------
    risk:
        Risk of the released data on the quasi-identifiers (``None`` without a
        privacy section): k, ℓ, t, prosecutor risk, uniques, class sizes.
    utility:
        What the privacy stage cost, against the data after the steps: ARX Loss,
        discernibility, suppression rate, and per-column distances of the QIs and
        sensitive columns; ``None`` without a privacy section.
    privacy:
        Declared targets, the values verified on the released data and ``met``.
    search:
        The search's summary: chosen levels, loss, suppressed records, statistics.
    steps:
        Per step: op, columns, rows before and after.
    lineage:
        Per input column: ``source → operations → output``.

    Examples
    --------
    >>> import polars as pl
    >>> from privlab.anonymize import anonymize
    >>> report = anonymize(
    ...     pl.DataFrame({"age": [31, 33, 52, 54]}),
    ...     {"privacy": {"quasi_identifiers": ["age"], "k": 2,
    ...                  "hierarchies": {"age": {"type": "interval", "widths": [10]}}}},
    ... ).report
    >>> report.privacy["met"], report.risk.k, report.search["levels"]
    (True, 2, {'age': 1})
    >>> sorted(report.to_dict())
    ['lineage', 'privacy', 'risk', 'search', 'steps', 'utility']
    """

    risk: RiskReport | None
    utility: UtilityReport | None
    privacy: dict[str, Any] | None
    search: dict[str, Any] | None
    steps: list[dict[str, Any]] = field(default_factory=list)
    lineage: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures; holds no value from the data."""
        return {
            "risk": None if self.risk is None else self.risk.to_dict(),
            "utility": None if self.utility is None else self.utility.to_dict(),
            "privacy": self.privacy,
            "search": self.search,
            "steps": self.steps,
            "lineage": self.lineage,
        }


class Release:
    """Anonymized data with its report and manifest (built by :func:`privlab.anonymize`).

    Attributes
    ----------
    report:
        :class:`AnonymizationReport` — risk, utility, privacy verification, lineage.
    manifest:
        JSON-ready dict for governance: recipe id, resolved recipe, input and output
        fingerprints, privlab version, lineage, creation time. Never a secret or a
        value from the data.
    resolved_recipe:
        The recipe with the chosen generalization levels fixed; anonymizing the
        next batch with it replays this release without a search.
    search_result:
        The search's full result (every evaluated node, for trade-off charts), or
        ``None`` when no search ran.
    release_record:
        What the release gate returned from :meth:`write` (``None`` before).

    Examples
    --------
    >>> import pandas as pd
    >>> from privlab.anonymize import anonymize
    >>> release = anonymize(
    ...     pd.DataFrame({"ssn": ["1", "2", "3"], "age": [30, 40, 50]}),
    ...     {"steps": [{"op": "drop", "columns": ["ssn"]}]},
    ... )
    >>> release
    Release(3×1)
    >>> type(release.data).__module__.split(".")[0]  # pandas in, pandas out
    'pandas'
    >>> type(release.frame).__module__.split(".")[0]  # the same rows as a polars frame
    'polars'
    >>> release.report.steps
    [{'step': 0, 'op': 'drop', 'columns': ['ssn'], 'rows_in': 3, 'rows_out': 3}]
    >>> release.search_result is None  # no privacy section, no search
    True
    """

    def __init__(
        self,
        frame: pl.DataFrame,
        *,
        input_kind: InputKind,
        report: AnonymizationReport,
        manifest: dict[str, Any],
        resolved_recipe: Recipe,
        search_result: SearchResult | None = None,
        sources: list[Path] | None = None,
        source_frame: pl.DataFrame | None = None,
    ) -> None:
        self._frame = frame
        self._input_kind = input_kind
        self.report = report
        self.manifest = manifest
        self.resolved_recipe = resolved_recipe
        self.search_result = search_result
        self._sources = list(sources or [])  # files the input was read from
        self._source_frame = source_frame  # the input, for governance's schema check
        self.release_record: Any = None

    @property
    def data(self) -> Any:
        """The released table, as the type handed in (polars eager/lazy, or pandas)."""
        if self._input_kind == "lazy":
            return self._frame.lazy()
        if self._input_kind == "pandas":
            return self._frame.to_pandas()
        return self._frame

    @property
    def sources(self) -> tuple[Path, ...]:
        """The files the input was read from (no output may overwrite one)."""
        return tuple(self._sources)

    @property
    def frame(self) -> pl.DataFrame:
        """The released table as a polars DataFrame, whatever the input type."""
        return self._frame

    def write(
        self,
        path: str | os.PathLike[str],
        *,
        dataset: str | None = None,
        retention_days: int | None = None,
        allowed_roles: Sequence[str] = DEFAULT_ALLOWED,
        override: bool = False,
        governance: Gate | None = None,
        store: Store | None = None,
        keep: Mapping[str, str] | None = None,
    ) -> Path:
        """Write the data atomically to *path* and the manifest to ``<path>.manifest.json``.

        The release goes through the release gate first (:mod:`privlab.release`;
        by default :mod:`privlab.governance`): the source dataset is checked
        (approved, schema unchanged — in governed mode), the release's facts
        (column roles, the k / ℓ / t verified on it) are checked against the
        active policy, and only then are the files written; the release is
        registered in the catalog with the recipe id and audited
        (``release_record``). In governed mode a violation raises
        :class:`~privlab.exceptions.PolicyViolationError` and writes nothing.

        Parameters
        ----------
        path:
            The data file (``.parquet``, ``.csv``, ``.ndjson``, ``.arrow``).
        dataset:
            Catalog name of the source dataset; default: the dataset the store
            knows with this content, else ``anonymize-source-<hash>``.
        retention_days, allowed_roles, override:
            Passed to the catalog (expiry, who may load it, owner override).
        governance, store:
            The gate to use (default: privlab's governance over *store*, itself
            defaulting to the configured store).
        keep:
            ``{column: reason}``: columns released as they are although the release
            guard finds them identifying (adds to the recipe's ``keep`` steps); the
            reasons go into the manifest and the audit log.

        Returns
        -------
        pathlib.Path
            The data file.

        Raises
        ------
        OverwriteSourceError, OutputError
            *path* or its manifest would overwrite an input of the release or
            each other, or the folder of *path* does not exist (checked before
            the gate runs).
        AccessDeniedError
            The principal may not release (or override) this dataset.
        PolicyViolationError
            The gate refuses the release (governed mode); nothing is written.

        Examples
        --------
        A stand-in gate that approves every release (privlab's governance is the
        default); the files are written in a fresh temporary folder:

        >>> import pathlib, tempfile, polars as pl
        >>> from privlab.anonymize import anonymize
        >>> from privlab.release import Approval
        >>> class ApproveAll:
        ...     def submit(self, facts, write):
        ...         return write(Approval(dataset="visits", release_id="r1"))
        ...     def authorize(self, action, *, dataset=None):
        ...         pass
        >>> release = anonymize(
        ...     pl.DataFrame({"ssn": ["1", "2"], "age": [30, 40]}),
        ...     {"steps": [{"op": "drop", "columns": ["ssn"]}]},
        ... )
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> release.write(folder / "out.csv", governance=ApproveAll()).name
        'out.csv'
        >>> sorted(p.name for p in folder.iterdir()), release.manifest["dataset"]
        (['out.csv', 'out.csv.manifest.json'], 'visits')
        """
        target = Path(path)
        files: list[Path] = []

        facts = self.release_facts(dataset, retention_days, tuple(allowed_roles), override, keep)

        def write_files(approval: Approval) -> list[Path]:
            self.manifest = {**self.manifest, "dataset": approval.dataset}
            if facts.keep:
                self.manifest["keep"] = dict(facts.keep)
            files.extend(self._write_files(target))
            return files

        manifest_path = target.with_name(target.name + ".manifest.json")
        check_outputs(  # the one output guard: neither output may be an input or the other
            [("path", target), ("manifest", manifest_path)],
            [("source", p) for p in self._sources],
        )
        self.release_record = submit(
            replace(facts, outputs=(target, manifest_path)),
            write_files,
            governance=governance,
            store=store,
        )
        return files[0]

    def release_facts(
        self,
        dataset: str | None = None,
        retention_days: int | None = None,
        allowed_roles: tuple[str, ...] = DEFAULT_ALLOWED,
        override: bool = False,
        keep: Mapping[str, str] | None = None,
    ) -> ReleaseFacts:
        """What the release gate checks: released rows, columns with lineage, verified k / ℓ / t.

        Each released column names its source column and the operations applied
        (the gate turns them into roles with the dataset's profile: a
        pseudonymized direct identifier is no longer one).
        """
        return ReleaseFacts(
            kind="anonymized",
            dataset=dataset,
            rows=self._frame.height,
            columns=column_facts(self.manifest),
            privacy=privacy_facts(self.report),
            manifest=self.manifest,
            recipe_id=self.manifest.get("recipe_id"),
            source=self._source_frame,
            released=self._frame,
            inputs=tuple(self._sources),
            name_hint="anonymize-source",
            retention_days=retention_days,
            allowed_roles=allowed_roles,
            override=override,
            keep={**recipe_keeps(self.manifest), **dict(keep or {})},
        )

    def _write_files(self, target: Path) -> list[Path]:
        """Data then manifest, each atomic; the manifest is staged before the data."""
        manifest_path = target.with_name(target.name + ".manifest.json")
        text = json.dumps(self.manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        with atomic_path(manifest_path) as tmp:
            tmp.write_text(text, encoding="utf-8")
            written = write(self._frame, target)
        return [written, manifest_path]

    def __repr__(self) -> str:
        privacy = self.report.privacy
        met = "" if privacy is None else f", met={privacy['met']}"
        return f"Release({self._frame.height}×{self._frame.width}{met})"


def column_facts(manifest: Mapping[str, Any]) -> tuple[ColumnFacts, ...]:
    """Each released column with its source column and the operations that changed its values.

    Operations that only remove rows (a ``suppress`` step on records, the privacy
    stage's suppression in ``drop`` mode) leave the column's values as they were:
    they are not reported, so the release guard does not exempt a direct
    identifier that merely lost some rows.
    """
    lineage = manifest.get("lineage") or {}
    return tuple(
        ColumnFacts(
            name=column,
            source=info["sources"][0] if info.get("sources") else None,
            ops=tuple(str(d.get("op")) for d in info.get("details", []) if "rows" not in d),
        )
        for column, info in lineage.items()
    )


def privacy_facts(report: AnonymizationReport) -> dict[str, Any]:
    """The verified k / ℓ / t the policy checks (in mask mode '*' records count as a class)."""
    if report.privacy is None:
        return {}
    achieved = report.privacy["achieved"]
    k = achieved.get("k")
    if report.risk is not None:
        k = min(k, report.risk.k) if k is not None else report.risk.k
    return {"risk": {"k": k, "l": achieved.get("l"), "t": achieved.get("t")}}


def recipe_keeps(manifest: Mapping[str, Any]) -> dict[str, str]:
    """``{column: reason}`` from the resolved recipe's ``keep`` steps."""
    steps = (manifest.get("resolved_recipe") or {}).get("steps") or []
    return {
        column: str((step.get("params") or {}).get("reason", ""))
        for step in steps
        if step.get("op") == "keep"
        for column in step.get("columns", [])
    }
