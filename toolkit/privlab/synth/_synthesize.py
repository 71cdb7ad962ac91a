"""``pv.synthesize``: fit an SDV synthesizer on polars tables and sample look-alike data.

The fitted SDV model stays in memory inside the returned :class:`Synthetic` (so it
can sample again) and is **never written to disk**: a fitted synthesizer holds
learned values of the real data — every category it saw, fitted distributions,
per-column formats — and SDV's own ``save`` is a cloudpickle. What privlab saves is
the synthetic data, the sanitized metadata, a manifest and the evaluation report.
"""

from __future__ import annotations

import io
import json
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from privlab._config import get_config
from privlab._progress import Progress, ProgressCallback
from privlab._progress import progress as progress_bar
from privlab._version import __version__
from privlab.exceptions import SynthesisError
from privlab.io import check_outputs, frame_sources, write_json
from privlab.io import write as write_frame
from privlab.profile import profile as run_profile
from privlab.release import DEFAULT_ALLOWED, Approval, ColumnFacts, Gate, ReleaseFacts, submit
from privlab.synth._boundary import as_polars, content_fingerprint, from_sdv, to_sdv
from privlab.synth._constraints import check_constraints, sdv_constraints
from privlab.synth._dp import check_dp_available, fit_dp, sample_dp
from privlab.synth._evaluate import evaluate_synthetic
from privlab.synth._metadata import Relationship, SynthMetadata, build_metadata
from privlab.synth._replay import RealValues, real_values, replayed
from privlab.synth._seeding import derive_seeds, global_seed, resolve_seed, seed_synthesizer

if TYPE_CHECKING:  # pragma: no cover
    from privlab.store import Store
    from privlab.synth._evaluate import SynthReport

__all__ = ["MODELS", "Synthetic", "synthesize"]

#: Model names accepted by :func:`synthesize`.
MODELS = ("copulagan", "ctgan", "gaussian_copula", "hma", "tvae")
_SINGLE_TABLE_MODELS = ("copulagan", "ctgan", "gaussian_copula", "tvae")
_NEURAL = ("copulagan", "ctgan", "tvae")
_SAMPLE_CHUNK = 25_000
_DEFAULT_NAME = "data"
_MAX_REDRAWS = 50


class Synthetic:
    """Synthetic data and everything needed to describe its release — never real values.

    Attributes
    ----------
    data:
        The synthetic table (polars ``DataFrame``), or ``{name: DataFrame}`` when
        several tables were synthesized together.
    metadata:
        :class:`SynthMetadata` — column handling and sdtypes; no categories, ranges
        or identifiers.
    model, params, seed:
        The model name, its parameters and the seed that reproduces the run.
    input_fingerprint:
        ``{table: "sha256:…"}`` of the training data.
    rows:
        ``{"real": {table: n}, "holdout": {table: n}, "synthetic": {table: n}}``.
    timings:
        Seconds spent fitting and sampling.
    replay_redrawn:
        ``{table: {column: n}}`` — generated identifier values that happened to equal
        a real value and were drawn again (counts only).
    report:
        The last :class:`SynthReport` from :meth:`evaluate`, or ``None``.

    Notes
    -----
    The object keeps the training data, the holdout and the fitted SDV model in
    private attributes so that :meth:`evaluate` and :meth:`resample` work; the fitted
    model holds learned values of the real data (categories, distributions). None
    of these is ever saved by :meth:`save` or included in :meth:`manifest`.
    """

    def __init__(
        self,
        *,
        data: dict[str, pl.DataFrame],
        metadata: SynthMetadata,
        model: str,
        params: dict[str, Any],
        seed: int,
        input_fingerprint: dict[str, str],
        rows: dict[str, dict[str, int]],
        timings: dict[str, float],
        replay_redrawn: dict[str, dict[str, int]],
        real: dict[str, pl.DataFrame],
        holdout: dict[str, pl.DataFrame] | None,
        synthesizer: Any,
        single: bool,
        profile: Any = None,
    ) -> None:
        self._tables = data
        self.metadata = metadata
        self.model = model
        self.params = params
        self.seed = seed
        self.input_fingerprint = input_fingerprint
        self.rows = rows
        self.timings = timings
        self.replay_redrawn = replay_redrawn
        self.report: SynthReport | None = None
        self._real = real
        self._holdout = holdout
        self._synthesizer = synthesizer
        self._single = single
        self._profile = profile
        #: files the input was read from: no release may overwrite one
        self.sources: tuple[Path, ...] = ()

    @property
    def data(self) -> pl.DataFrame | dict[str, pl.DataFrame]:
        """The synthetic table, or ``{name: table}`` for several tables."""
        if self._single:
            return next(iter(self._tables.values()))
        return dict(self._tables)

    @property
    def tables(self) -> dict[str, pl.DataFrame]:
        """Always ``{name: table}``, also for a single table."""
        return dict(self._tables)

    def evaluate(self, holdout: Any = None, **options: Any) -> SynthReport:
        """Score quality and privacy of the synthetic data; see :func:`evaluate_synthetic`.

        Parameters
        ----------
        holdout:
            Real rows that were **not** used for fitting (a frame, or ``{table: frame}``).
            Defaults to the rows set aside by ``synthesize(..., holdout=...)``.
        **options:
            Passed to :func:`privlab.synth.evaluate_synthetic` (``attacks``,
            ``n_attacks``, ``secrets``, ``dcr_rows``, ``seed`` — default: the
            synthesis seed …).

        Raises
        ------
        SynthesisError
            Without any holdout: every privacy figure compares members with
            non-members, so it needs real rows the model never saw.
        """
        held = self._holdout if holdout is None else holdout
        if held is None:
            raise SynthesisError(
                "evaluate() needs real rows the model never saw: synthesize with "
                "`holdout=0.2` or pass `evaluate(holdout=frame)` (for several tables "
                "`{table: frame}`)"
            )
        if not isinstance(held, Mapping) and not self._single:
            raise SynthesisError(
                "several tables were synthesized; pass holdout as {table: frame}, got one frame"
            )
        if not isinstance(held, Mapping):
            held = {next(iter(self._real)): held}
        options.setdefault("seed", self.seed)
        self.report = evaluate_synthetic(
            self._real, self._tables, held, metadata=self.metadata, **options
        )
        return self.report

    def resample(self, rows: int | None = None, *, seed: int | None = None) -> Synthetic:
        """Draw new synthetic rows from the already fitted model (no refit)."""
        seed = resolve_seed(seed)
        start = time.perf_counter()
        tables, redrawn = _sample_tables(
            self._synthesizer,
            self.metadata,
            self._real,
            rows=rows,
            seed=seed,
            model=self.model,
            replay_filter=bool(self.params.get("replay_filter", True)),
            bar=None,
            known=_all_rows(self._real, self._holdout),
        )
        timings = {**self.timings, "sample_seconds": time.perf_counter() - start}
        counts = {**self.rows, "synthetic": {n: t.height for n, t in tables.items()}}
        result = Synthetic(
            data=tables,
            metadata=self.metadata,
            model=self.model,
            params=self.params,
            seed=seed,
            input_fingerprint=self.input_fingerprint,
            rows=counts,
            timings=timings,
            replay_redrawn=redrawn,
            real=self._real,
            holdout=self._holdout,
            synthesizer=self._synthesizer,
            single=self._single,
            profile=self._profile,
        )
        result.sources = self.sources
        return result

    def manifest(self) -> dict[str, Any]:
        """JSON-ready description of this release for a catalog: no real values.

        Keys: ``kind``, ``model``, ``params``, ``seed``, ``input_fingerprint``,
        ``rows``, ``timings``, ``replay_redrawn``, ``metadata`` and, once evaluated,
        ``evaluation`` (the headline figures of the report). A release made with
        ``keep=`` adds ``keep`` (``{column: reason}``) to the manifest it writes.
        """
        out: dict[str, Any] = {
            "kind": "synthetic",
            "privlab_version": __version__,
            "model": self.model,
            "params": self.params,
            "seed": self.seed,
            "input_fingerprint": self.input_fingerprint,
            "rows": self.rows,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "replay_redrawn": self.replay_redrawn,
            "metadata": self.metadata.to_dict(),
        }
        if self.report is not None:
            out["evaluation"] = self.report.summary()
        return out

    def _released_manifest(self, keep: Mapping[str, str]) -> dict[str, Any]:
        """The manifest as written: with the columns the guard was overridden for."""
        return {**self.manifest(), **({"keep": dict(keep)} if keep else {})}

    def save(
        self,
        folder: str | Path,
        *,
        dataset: str | None = None,
        retention_days: int | None = None,
        allowed_roles: tuple[str, ...] = DEFAULT_ALLOWED,
        override: bool = False,
        governance: Gate | None = None,
        store: Store | None = None,
        keep: Mapping[str, str] | None = None,
    ) -> Path:
        """Release the data: ``<table>.parquet``, ``metadata.json``, ``manifest.json``.

        Plus ``report.json`` if evaluated. No model and no pickle is written.

        The release goes through the release gate first (:mod:`privlab.release`;
        by default :mod:`privlab.governance`): it is checked against the active
        policy (attack risk and identifier replay come from :meth:`evaluate`;
        evaluate before saving), registered in the catalog under *dataset*
        (default: a name derived from the input's fingerprint) and audited. In
        governed mode a violation writes nothing.

        Returns the folder.
        """
        files: list[Path] = []
        facts = self.release_facts(dataset, retention_days, allowed_roles, override, keep)
        out = Path(folder)
        planned = self._planned_files(out)
        check_outputs(  # the one output guard, before anything is written
            [(f"save({folder!s}) {p.name}", p) for p in planned],
            [("the synthesized source", p) for p in self.sources],
            new_folders=[out],
        )

        def write(approval: Approval) -> list[Path]:
            files.extend(self._write(out, facts.keep))
            return files

        submit(
            replace(facts, inputs=self.sources, outputs=tuple(planned)),
            write,
            governance=governance,
            store=store,
        )
        return out

    def write(
        self,
        path: str | Path,
        *,
        report: str | Path | None = None,
        dataset: str | None = None,
        sources: Sequence[str | Path] = (),
        retention_days: int | None = None,
        allowed_roles: tuple[str, ...] = DEFAULT_ALLOWED,
        override: bool = False,
        governance: Gate | None = None,
        store: Store | None = None,
        keep: Mapping[str, str] | None = None,
    ) -> Path:
        """Release one synthetic table to a file (and the evaluation as JSON to *report*).

        The single-file form of :meth:`save` (what ``privlab synth`` writes):
        the same release gate, then *path* in the format its extension names
        and, when given, *report* with :meth:`evaluate`'s figures and the
        manifest. *sources* are the files the input was read from: neither
        output may overwrite one.
        """
        if len(self._tables) != 1:
            raise SynthesisError(
                f"write() releases one table, this release has {len(self._tables)}; "
                "use save(folder)"
            )
        if report is not None and self.report is None:
            raise SynthesisError("a report needs an evaluation: call evaluate() before write()")
        outputs = [("path", Path(path))] + ([("report", Path(report))] if report else [])
        inputs = [("source", Path(p)) for p in (*sources, *self.sources)]
        check_outputs(outputs, inputs)
        files: list[Path] = []
        facts = self.release_facts(dataset, retention_days, allowed_roles, override, keep)

        def write_files(approval: Approval) -> list[Path]:
            files.append(write_frame(self.data, path))
            if report is not None and self.report is not None:
                summary = {**self.report.to_dict(), "manifest": self._released_manifest(facts.keep)}
                files.append(write_json(report, summary))
            return files

        submit(
            replace(
                facts,
                inputs=tuple(p for _, p in inputs),
                outputs=tuple(p for _, p in outputs),
            ),
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
        """What the release gate checks: rows, columns (generated or learned), attack figures.

        *keep* (``{column: reason}``) releases columns the guard would refuse.
        """
        columns = tuple(
            ColumnFacts(
                name=col.name,
                source=col.name,
                ops=(col.handling,),
                role=(
                    "generated"
                    if col.handling in ("generated", "primary_key", "foreign_key")
                    else "other"
                ),
            )
            for plan in self.metadata.tables.values()
            for col in plan.columns
        )
        privacy: dict[str, Any] = {}
        if self.report is not None:
            summary = self.report.summary()
            privacy["attack_risk"] = summary.get("privacy_risk")
            privacy["pii_replay"] = summary.get("pii_replay")
        real = _all_rows(self._real, self._holdout)
        return ReleaseFacts(
            kind="synthetic",
            dataset=dataset,
            rows=sum(t.height for t in self._tables.values()),
            columns=columns,
            privacy=privacy,
            manifest=self.manifest(),
            source=next(iter(real.values())),
            released=dict(self._tables),
            name_hint="synth-source",
            keep=dict(keep or {}),
            retention_days=retention_days,
            allowed_roles=allowed_roles,
            override=override,
        )

    def _planned_files(self, out: Path) -> list[Path]:
        names = [f"{name}.parquet" for name in self._tables]
        names += ["metadata.json", "manifest.json"]
        if self.report is not None:
            names.append("report.json")
        return [out / n for n in names]

    def _write(self, folder: Path, keep: Mapping[str, str]) -> list[Path]:
        out = Path(folder)
        out.mkdir(exist_ok=True)  # its parent must exist (checked with the outputs)
        written = [
            write_frame(table, out / f"{name}.parquet") for name, table in self._tables.items()
        ]
        written += [
            write_json(out / "metadata.json", self.metadata.to_dict()),
            write_json(out / "manifest.json", self._released_manifest(keep)),
        ]
        if self.report is not None:
            written.append(write_json(out / "report.json", self.report.to_dict()))
        return written

    def __repr__(self) -> str:
        shapes = ", ".join(f"{n}: {t.height}×{t.width}" for n, t in self._tables.items())
        return f"Synthetic(model={self.model!r}, seed={self.seed}, tables=[{shapes}])"


# ---------------------------------------------------------------------- helpers


def _normalize_tables(data: Any) -> tuple[dict[str, pl.DataFrame], bool]:
    if isinstance(data, Mapping):
        if not data:
            raise SynthesisError("expected at least one table to synthesize, got an empty dict")
        return {str(k): as_polars(v, name=str(k)) for k, v in data.items()}, False
    return {_DEFAULT_NAME: as_polars(data)}, True


def _split_holdout(
    tables: dict[str, pl.DataFrame], holdout: float | None, seed: int
) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame] | None]:
    if holdout is None:
        return tables, None
    if isinstance(holdout, bool) or not isinstance(holdout, float | int) or not 0 < holdout < 1:
        raise SynthesisError(
            f"`holdout` must be a fraction between 0 and 1 (e.g. 0.2), got {holdout!r}"
        )
    if len(tables) > 1:
        raise SynthesisError(
            "`holdout=` splits a single table; for several tables pass real rows kept "
            "aside to `Synthetic.evaluate(holdout={table: frame})` instead"
        )
    ((name, df),) = tables.items()
    n_hold = round(df.height * holdout)
    if n_hold < 1 or n_hold >= df.height:
        raise SynthesisError(
            f"`holdout={holdout}` of {df.height} rows leaves no rows for one side; "
            "use more rows or another fraction"
        )
    order = np.random.default_rng(derive_seeds(seed, 1, stream=7)[0]).permutation(df.height)
    hold = np.sort(order[:n_hold])
    train = np.sort(order[n_hold:])
    return {name: df[train]}, {name: df[hold]}


def _auto_profile(tables: Mapping[str, pl.DataFrame]) -> Any:
    """Profile each table with :func:`privlab.profile`.

    Returns ``{table: Profile}``, or ``None`` when profiling fails (then dtypes
    and uniqueness decide, see :func:`build_metadata`).
    """
    try:
        return {name: run_profile(df) for name, df in tables.items()}
    except Exception as exc:  # a profiler failure must not block synthesis
        warnings.warn(
            f"automatic profiling failed ({type(exc).__name__}: {exc}); identifiers are "
            "detected from dtypes and uniqueness only — pass profile= to be sure",
            stacklevel=3,
        )
        return None


def _resolve_model(model: str | None, n_tables: int) -> str:
    if model is None:
        return "hma" if n_tables > 1 else "gaussian_copula"
    if model == "dp_aim":
        check_dp_available()
        if n_tables > 1:
            raise SynthesisError("model 'dp_aim' synthesizes one table; give a single frame")
        return model
    if model not in MODELS:
        raise SynthesisError(f"`model` must be one of {list(MODELS)} (or 'dp_aim'), got {model!r}")
    if n_tables > 1 and model != "hma":
        raise SynthesisError(
            f"{n_tables} tables were given but model {model!r} synthesizes one table; "
            "use model='hma' to keep the relationships, or synthesize the tables one by one"
        )
    if n_tables == 1 and model == "hma":
        raise SynthesisError(
            "model 'hma' synthesizes related tables; give {name: frame} with at least two "
            "tables, or use 'gaussian_copula' for a single table"
        )
    return model


def _make_synthesizer(
    model: str, metadata: Any, epochs: int | None, params: Mapping[str, Any], verbose: bool
) -> Any:
    kwargs = dict(params)
    if model == "gaussian_copula":
        from sdv.single_table import GaussianCopulaSynthesizer

        return GaussianCopulaSynthesizer(metadata, **kwargs)
    if model == "hma":
        from sdv.multi_table import HMASynthesizer

        return HMASynthesizer(metadata, verbose=False, **kwargs)
    if epochs is not None:
        kwargs["epochs"] = epochs
    kwargs.setdefault("enable_gpu", False)
    if model == "ctgan":
        from sdv.single_table import CTGANSynthesizer

        return CTGANSynthesizer(metadata, verbose=verbose, **kwargs)
    if model == "tvae":
        from sdv.single_table import TVAESynthesizer

        kwargs.pop("verbose", None)
        return TVAESynthesizer(metadata, verbose=verbose, **kwargs)
    from sdv.single_table import CopulaGANSynthesizer

    return CopulaGANSynthesizer(metadata, verbose=verbose, **kwargs)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence SDV's advisory warnings (metadata saving hints, dtype notes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@contextmanager
def _no_sdv_bar(synthesizer: Any) -> Iterator[None]:
    """Swallow the tqdm bar SDV draws on stderr whenever a synthesizer has constraints.

    SDV has no switch for it; privlab's own progress reporter already covers
    sampling. ``sys.stderr`` is swapped only while a constrained synthesizer samples.
    """
    if not getattr(synthesizer, "get_constraints", lambda: None)():
        yield
        return
    with redirect_stderr(io.StringIO()):
        yield


def _sample_counts(
    metadata: SynthMetadata, real: Mapping[str, pl.DataFrame], rows: int | None
) -> dict[str, int]:
    if rows is not None and (isinstance(rows, bool) or not isinstance(rows, int) or rows < 1):
        raise SynthesisError(f"`rows` must be a positive integer or None, got {rows!r}")
    return {name: rows if rows is not None else df.height for name, df in real.items()}


def _root_table(metadata: SynthMetadata) -> str:
    children = {r.child for r in metadata.relationships}
    roots = [t for t in metadata.tables if t not in children]
    return roots[0] if roots else next(iter(metadata.tables))


def _sample_tables(
    synthesizer: Any,
    metadata: SynthMetadata,
    real: Mapping[str, pl.DataFrame],
    *,
    rows: int | None,
    seed: int,
    model: str,
    replay_filter: bool,
    bar: Progress | None,
    known: Mapping[str, pl.DataFrame] | None = None,
) -> tuple[dict[str, pl.DataFrame], dict[str, dict[str, int]]]:
    """Sample every table; *known* (default *real*) are the real rows no identifier may replay."""
    counts = _sample_counts(metadata, real, rows)
    known = known if known is not None else real
    raw: dict[str, Any] = {}
    if model == "dp_aim":
        (name,) = metadata.tables
        out = {name: sample_dp(synthesizer, metadata.tables[name], counts[name], seed)}
        if bar is not None:
            bar.advance(stage="sample")
        return _post_filter(out, synthesizer, metadata, known, seed, replay_filter, model)
    with _quiet(), _no_sdv_bar(synthesizer), seed_synthesizer(synthesizer, seed):
        if model == "hma":
            root = _root_table(metadata)
            scale = counts[root] / real[root].height
            raw = synthesizer.sample_scale(scale=scale)
            if bar is not None:
                bar.advance(stage="sample")
        else:
            (name,) = metadata.tables
            parts = []
            remaining = counts[name]
            while remaining > 0:
                chunk = min(_SAMPLE_CHUNK, remaining)
                part = synthesizer.sample(num_rows=chunk)
                parts.append(part[name] if isinstance(part, dict) else part)
                remaining -= chunk
                if bar is not None:
                    bar.advance(stage="sample")
            import pandas as pd

            raw = {name: pd.concat(parts, ignore_index=True)}
    tables = {name: from_sdv(raw[name], metadata.tables[name]) for name in metadata.tables}
    return _post_filter(tables, synthesizer, metadata, known, seed, replay_filter, model)


def _post_filter(
    tables: dict[str, pl.DataFrame],
    synthesizer: Any,
    metadata: SynthMetadata,
    real: Mapping[str, pl.DataFrame],
    seed: int,
    replay_filter: bool,
    model: str,
) -> tuple[dict[str, pl.DataFrame], dict[str, dict[str, int]]]:
    redrawn: dict[str, dict[str, int]] = {}
    if not replay_filter:
        return tables, redrawn
    _redraw_keys(tables, metadata, real, seed, redrawn)
    for t_index, (name, df) in enumerate(tables.items()):
        plan = metadata.tables[name]
        generated = plan.names("generated")
        found = real_values(
            real[name].select([c for c in df.columns if c in real[name].columns]),
            generated=generated,
        )
        for c_index, col in enumerate(plan.columns):
            if col.handling != "generated":  # every generated column, filler text included
                continue
            fresh, n = _redraw_replayed(
                df[col.name],
                found,
                _faker_for(synthesizer, name, col.name, col.sdtype, model),
                derive_seeds(seed, 1, stream=100 + 1000 * t_index + c_index)[0],
            )
            if n:
                df = df.with_columns(fresh)
                redrawn.setdefault(name, {})[col.name] = n
        tables[name] = df
    return tables, redrawn


def _redraw_keys(
    tables: dict[str, pl.DataFrame],
    metadata: SynthMetadata,
    real: Mapping[str, pl.DataFrame],
    seed: int,
    redrawn: dict[str, dict[str, int]],
) -> None:
    """Give synthetic primary keys that equal a real key a fresh value; children follow.

    Real keys are training and holdout keys; the child tables' foreign keys are
    pointed at the fresh values (CONTRACTS.md: generated columns share no value
    with any source row). SDV draws integer keys at random from a fixed range, so
    a real table with keys in that range shares some by chance (2 of 5,000 against
    3,000 real seven-digit keys).
    A fresh integer is drawn (seeded) from the synthetic keys' own range, a fresh text
    key is the old one with a ``-r<n>`` suffix; neither is a real or synthetic key.
    """
    for t_index, (name, df) in enumerate(tables.items()):
        key = metadata.tables[name].primary_key
        if key is None or key not in df.columns or key not in real[name].columns:
            continue
        synthetic = df.get_column(key)
        real_keys = real[name].get_column(key).drop_nulls()
        if real_keys.dtype != synthetic.dtype:
            real_keys = real_keys.cast(pl.String, strict=False)
            synthetic = synthetic.cast(pl.String)
        hit = synthetic.is_in(real_keys.implode()).fill_null(False)
        n = int(hit.sum())
        if n == 0:
            continue
        taken = set(real_keys.to_list()) | set(synthetic.drop_nulls().to_list())
        rng = np.random.default_rng(derive_seeds(seed, 1, stream=50 + t_index)[0])
        old_values = synthetic.filter(hit).to_list()
        fresh: list[Any] = []
        if synthetic.dtype.is_integer():
            low, high = int(synthetic.min() or 0), int(synthetic.max() or 0)  # type: ignore[arg-type]
            high = max(high, low + 2 * len(taken))
            while len(fresh) < n:
                value = int(rng.integers(low, high + 1))
                if value not in taken:
                    taken.add(value)
                    fresh.append(value)
        else:
            for i, value in enumerate(old_values):
                candidate, j = f"{value}-r{i}", 0
                while candidate in taken:
                    j += 1
                    candidate = f"{value}-r{i}.{j}"
                taken.add(candidate)
                fresh.append(candidate)
        mapping = dict(zip(old_values, fresh, strict=True))
        tables[name] = df.with_columns(_remap(key, df.schema[key], synthetic.dtype, mapping))
        redrawn.setdefault(name, {})[key] = n
        for rel in metadata.relationships:  # children follow their parent's new keys
            if rel.parent == name and rel.child in tables:
                child = tables[rel.child]
                fk = _remap(rel.child_key, child.schema[rel.child_key], synthetic.dtype, mapping)
                tables[rel.child] = child.with_columns(fk)


def _remap(column: str, dtype: pl.DataType, as_: pl.DataType, mapping: dict[Any, Any]) -> pl.Expr:
    """*column* with the values of *mapping* replaced (compared as *as_*), back in *dtype*."""
    return pl.col(column).cast(as_).replace(mapping).cast(dtype, strict=False)


def _faker_for(
    synthesizer: Any, table: str, column: str, sdtype: str, model: str
) -> Callable[[Any], Any]:
    """A function faker -> one fresh value, the same generator SDV used for the column."""
    transformer = None
    if model != "dp_aim":
        single = getattr(synthesizer, "_table_synthesizers", {}).get(table, synthesizer)
        fields = single._data_processor._hyper_transformer.field_transformers
        transformer = fields.get(column)
    name = getattr(transformer, "function_name", None)
    kwargs = dict(getattr(transformer, "function_kwargs", None) or {})
    if name is None:
        from rdt.transformers.pii.anonymization import get_anonymized_transformer

        try:
            fallback = get_anonymized_transformer(sdtype, {"locales": ["en_US"]})
            name = fallback.function_name
        except Exception:
            name, kwargs = "bothify", {"text": "sdv-pii-?????"}

    def draw(faker: Any) -> Any:
        return getattr(faker, name)(**kwargs)

    return draw


def _redraw_replayed(
    synthetic: pl.Series, real: RealValues, draw: Callable[[Any], Any], seed: int
) -> tuple[pl.Series, int]:
    """Re-draw synthetic values that are (or contain) a real identifying value; count them."""
    hit = replayed(synthetic, real)
    n = int(hit.sum())
    if n == 0:
        return synthetic, 0
    from faker import Faker

    faker = Faker(["en_US"])
    faker.seed_instance(seed)
    syn_text = synthetic.cast(pl.String)
    own = real.columns.get(synthetic.name)
    taken = set(own.to_list() if own is not None else ()) | set(syn_text.drop_nulls().to_list())
    values = syn_text.to_list()
    for i in np.flatnonzero(hit.to_numpy()):  # only the few colliding rows
        for _ in range(_MAX_REDRAWS):
            candidate = str(draw(faker))
            if (
                candidate not in taken
                and not replayed(
                    pl.Series(synthetic.name, [candidate], dtype=pl.String), real
                ).any()
            ):
                break
        else:
            candidate = None  # cannot find a fresh value: leave it empty rather than real
        values[i] = candidate
        if candidate is not None:
            taken.add(candidate)
    fresh = pl.Series(synthetic.name, values, dtype=pl.String)
    return fresh.cast(synthetic.dtype, strict=False), n


# ------------------------------------------------------------------------- API


def synthesize(
    data: Any,
    *,
    model: str | None = None,
    rows: int | None = None,
    profile: Any = None,
    seed: int | None = None,
    holdout: float | None = None,
    epochs: int | None = None,
    model_params: Mapping[str, Any] | None = None,
    primary_keys: Mapping[str, str | None] | None = None,
    relationships: Any = None,
    replay_filter: bool = True,
    constraints: Sequence[Mapping[str, Any]] = (),
    progress: bool | None = None,
    callback: ProgressCallback | None = None,
) -> Synthetic:
    """Fit an SDV synthesizer and sample synthetic data.

    Parameters
    ----------
    data:
        A polars ``DataFrame``/``LazyFrame``, a pandas ``DataFrame`` or a file path —
        or ``{table name: one of those}`` for related tables (synthesized with HMA).
    model:
        ``"gaussian_copula"`` (default for one table), ``"ctgan"``, ``"tvae"``,
        ``"copulagan"``, ``"hma"`` (default for several tables) or ``"dp_aim"``.
    rows:
        Rows to generate (for several tables: rows of the root table; child tables
        scale along). Default: as many as the input.
    profile:
        A privlab ``Profile``, a ``{column: pii_type}`` mapping or ``{table: …}``; see
        :func:`build_metadata`. Direct identifiers and free text are generated fresh
        with Faker, never learned. ``None``: each table is profiled with
        ``privlab.profile`` when it is available; otherwise dtypes and uniqueness
        decide (unique text columns are treated as identifiers).
    seed:
        Makes the run reproducible; different seeds give different data. ``None``
        draws a seed, recorded in ``Synthetic.seed``.
    holdout:
        Fraction of rows (single table) kept out of fitting and used by
        :meth:`Synthetic.evaluate` as the control set.
    epochs:
        Training epochs for ``ctgan``, ``tvae`` and ``copulagan``.
    model_params:
        Extra keyword arguments for the SDV synthesizer (e.g.
        ``{"default_distribution": "norm"}``).
    primary_keys, relationships:
        Override key and relationship detection (see :func:`build_metadata`).
    replay_filter:
        Redraw generated identifier values that happen to equal a real value of the
        same column (Faker can produce a real name by chance). Default on.
    constraints:
        Rules every synthetic row keeps, declared to SDV (names only, no values):
        ``{"type": "inequality", "low": "admission_date", "high": "discharge_date"}``
        (high ≥ low; ``"strict": True`` for >) and ``{"type": "fixed_combinations",
        "columns": ["diagnosis_code", "diagnosis"]}`` (only combinations that occur in
        the real rows); ``"table"`` names the table when there are several. Not
        available with ``dp_aim``. Recorded in ``Synthetic.params``.
    progress:
        Show a progress bar; default from ``get_config()["progress"]``.
    callback:
        Called as ``callback(stage, done, total)`` after each step (used by widgets).

    Returns
    -------
    Synthetic

    Examples
    --------
    >>> import polars as pl
    >>> import privlab as pv
    >>> real = pl.DataFrame({
    ...     "email": [f"user{i}@corp.example" for i in range(60)],
    ...     "age": [20 + (i * 7) % 50 for i in range(60)],
    ...     "plan": ["basic", "plus", "pro"] * 20,
    ... })
    >>> syn = pv.synthesize(real, rows=40, profile={"email": "email"}, seed=3)
    >>> syn.data.shape
    (40, 3)
    >>> bool(syn.data["email"].is_in(real["email"].implode()).any())
    False
    """
    tables, single = _normalize_tables(data)
    seed = resolve_seed(seed)
    model = _resolve_model(model, len(tables))
    show = get_config()["progress"] if progress is None else bool(progress)
    train, held = _split_holdout(tables, holdout, seed)
    for name, df in train.items():
        if df.height < 2 or df.width < 1:
            raise SynthesisError(
                f"table {name!r} has {df.height} rows × {df.width} columns; synthesis needs "
                "at least 2 rows and 1 column"
            )
    rels = None
    if relationships is not None:
        rels = [r if isinstance(r, Relationship) else Relationship(*r) for r in relationships]
    if profile is None:
        profile = _auto_profile(train)
    metadata = build_metadata(train, profile=profile, primary_keys=primary_keys, relationships=rels)
    rules = check_constraints(constraints, metadata, model)
    counts = _sample_counts(metadata, train, rows)
    n_chunks = 1 if model in ("hma", "dp_aim") else -(-max(counts.values()) // _SAMPLE_CHUNK)
    bar = progress_bar(2 + n_chunks, f"synthesize ({model})", show=show, callback=callback)
    try:
        bar.advance(stage="metadata")
        start = time.perf_counter()
        if model == "dp_aim":
            (name,) = train
            synthesizer = fit_dp(train[name], metadata.tables[name], model_params or {}, seed)
        else:
            sdv_tables = {name: to_sdv(df, metadata.tables[name]) for name, df in train.items()}
            with _quiet():
                synthesizer = _make_synthesizer(
                    model, metadata.to_sdv(), epochs, model_params or {}, show
                )
                if rules:
                    synthesizer.add_constraints(
                        sdv_constraints(rules, metadata, multi_table=model == "hma")
                    )
            with _quiet(), global_seed(seed):
                synthesizer.fit(sdv_tables)
        fit_seconds = time.perf_counter() - start
        bar.advance(stage="fit")
        start = time.perf_counter()
        out, redrawn = _sample_tables(
            synthesizer,
            metadata,
            train,
            rows=rows,
            seed=seed,
            model=model,
            replay_filter=replay_filter,
            bar=bar,
            known=tables,  # training rows and holdout alike: no real identifier replays
        )
        sample_seconds = time.perf_counter() - start
    except SynthesisError:
        raise
    except Exception as exc:
        raise SynthesisError(
            f"SDV could not synthesize with model {model!r}: {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        bar.close()
    params: dict[str, Any] = {"replay_filter": replay_filter}
    if rules:
        params["constraints"] = rules
    if epochs is not None:
        params["epochs"] = epochs
    if model_params:
        params["model_params"] = {k: _jsonable(v) for k, v in model_params.items()}
    if holdout is not None:
        params["holdout"] = holdout
    if model == "dp_aim":
        params["dp"] = {
            "epsilon": synthesizer.epsilon,
            "delta": synthesizer.delta,
            "algorithm": synthesizer.algorithm,
            "bins": synthesizer.bins,
            "privacy_unit": "one row",
        }
    result = Synthetic(
        data=out,
        metadata=metadata,
        model=model,
        params=params,
        seed=seed,
        input_fingerprint={name: content_fingerprint(df) for name, df in train.items()},
        rows={
            "real": {n: df.height for n, df in train.items()},
            "holdout": {n: df.height for n, df in (held or {}).items()},
            "synthetic": {n: df.height for n, df in out.items()},
        },
        timings={"fit_seconds": fit_seconds, "sample_seconds": sample_seconds},
        replay_redrawn=redrawn,
        real=train,
        holdout=held,
        synthesizer=synthesizer,
        single=single,
        profile=profile,
    )
    result.sources = tuple(
        path
        for value in (data.values() if isinstance(data, Mapping) else [data])
        for path in frame_sources(value)
    )
    return result


def _all_rows(
    real: Mapping[str, pl.DataFrame], holdout: Mapping[str, pl.DataFrame] | None
) -> dict[str, pl.DataFrame]:
    """Training rows plus any holdout rows, per table."""
    if not holdout:
        return dict(real)
    return {
        name: pl.concat([df, holdout[name]], how="vertical_relaxed") if name in holdout else df
        for name, df in real.items()
    }


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except TypeError:
        return repr(value)
    return value
