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
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from privlab.exceptions import OutputError

if TYPE_CHECKING:
    from privlab.anonymize._recipe import Recipe
    from privlab.anonymize._search import SearchResult
    from privlab.risk import RiskReport
    from privlab.utility import UtilityReport

__all__ = ["AnonymizationReport", "Release"]

InputKind = Literal["polars", "lazy", "pandas"]


@dataclass
class AnonymizationReport:
    """What a release achieved and cost.

    Attributes
    ----------
    risk:
        Risk of the released data on the quasi-identifiers (``None`` without a
        privacy section): k, ℓ, t, prosecutor risk, uniques, class sizes.
    utility:
        Information loss against the data after the steps (ARX Loss, discernibility,
        suppression rate, per-column distances); ``None`` without a privacy section.
    privacy:
        Declared targets, the values verified on the released data and ``met``.
    search:
        The search's summary: chosen levels, loss, suppressed records, statistics.
    steps:
        Per step: op, columns, rows before and after.
    lineage:
        Per input column: ``source → operations → output``.
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
    ) -> None:
        self._frame = frame
        self._input_kind = input_kind
        self.report = report
        self.manifest = manifest
        self.resolved_recipe = resolved_recipe
        self.search_result = search_result
        self._sources = list(sources or [])  # files the input was read from

    @property
    def data(self) -> Any:
        """The released table, as the type handed in (polars eager/lazy, or pandas)."""
        if self._input_kind == "lazy":
            return self._frame.lazy()
        if self._input_kind == "pandas":
            return self._frame.to_pandas()
        return self._frame

    @property
    def frame(self) -> pl.DataFrame:
        """The released table as a polars DataFrame, whatever the input type."""
        return self._frame

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the data atomically to *path* and the manifest to ``<path>.manifest.json``.

        The manifest is staged first and renamed only after the data is in place;
        if writing the data fails, neither file is left behind.

        Returns
        -------
        pathlib.Path
            The data file.
        """
        from privlab.exceptions import OverwriteSourceError
        from privlab.io import write

        target = Path(path)
        for source in self._sources:
            if target.exists() and _same_file(target, source):
                raise OverwriteSourceError(
                    f"refusing to write the release over its source {str(source)!r}; "
                    "privlab never modifies its inputs — choose another output path"
                )
        manifest_path = target.with_name(target.name + ".manifest.json")
        tmp = manifest_path.with_name(f".{manifest_path.name}.{uuid.uuid4().hex}.tmp")
        text = json.dumps(self.manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        try:
            with tmp.open("w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise OutputError(
                f"cannot write the manifest next to {str(target)!r}: {exc.strerror}; "
                "check that the folder exists and is writable"
            ) from None
        try:
            written = write(self._frame, target)
            os.replace(tmp, manifest_path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return written

    def __repr__(self) -> str:
        privacy = self.report.privacy
        met = "" if privacy is None else f", met={privacy['met']}"
        return f"Release({self._frame.height}×{self._frame.width}{met})"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
