"""RecipeBuilder: choose an operation per column and the k / ℓ / t targets, see the result live.

A view over :func:`privlab.anonymize`. Started from a recipe, it **keeps every
step it cannot edit** (date shifts, text redaction, generalizations, …): those are
listed read-only and stay in ``widget.recipe`` at their place, and
``RecipeBuilder(data, recipe=r).recipe == r`` for any recipe ``r``. Editable are
a role per column (keep, drop, pseudonymize, mask, quasi-identifier, sensitive)
and the privacy targets. Every change runs the recipe on a seeded sample and
shows the verdict (met / not met / met only by suppressing whole columns), k, ℓ,
t, re-identification risk, information loss, suppression and two charts.
``widget.recipe`` is the :class:`~privlab.anonymize.Recipe`, so the notebook
continues in code; :meth:`RecipeBuilder.save_recipe` and
:meth:`RecipeBuilder.save_charts` export it. The logic — which steps are
editable, how controls compose a recipe, the verdict — is in the plain
functions :func:`plan_roles`, :func:`compose_recipe` and :func:`verdict`.
ipywidgets and Altair are imported only when a widget is built.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from privlab._progress import ProgressCallback
from privlab.anonymize import EncodingCache, Recipe, anonymize
from privlab.exceptions import PrivlabError
from privlab.hierarchy import suggest as suggest_hierarchy
from privlab.io import read, write_text
from privlab.viz import chart_widget, class_size_chart, risk_distribution_chart, save_chart
from privlab.widgets._chrome import Job, badge, cell, esc, fmt, header, table
from privlab.widgets._kernel import in_kernel as _in_kernel

__all__ = [
    "EDITABLE_OPS",
    "ROLES",
    "RecipeBuilder",
    "RolePlan",
    "build_recipe",
    "compose_recipe",
    "plan_roles",
    "verdict",
]

#: What the builder can do with a column.
ROLES = ("keep", "drop", "pseudonymize", "mask", "quasi-identifier", "sensitive")
#: Step operations the builder edits (a role per column); every other op is kept as is.
EDITABLE_OPS = ("drop", "pseudonymize", "mask")

_K_OPTIONS = list(range(2, 51))
_L_OPTIONS = list(range(2, 11))
_T_OPTIONS = [round(0.05 * i, 2) for i in range(1, 21)]


@dataclass
class RolePlan:
    """How a recipe's steps map onto the builder's per-column roles.

    Attributes
    ----------
    roles:
        The starting role of each column of the data.
    editable:
        Indices of the steps the roles describe (drop / pseudonymize / mask steps
        whose columns are all in the data and in no other step or target).
    locked:
        Columns a kept step drops, pseudonymizes or masks: their role cannot be
        edited (the reason is the value).
    kept:
        ``{column: [op, ...]}`` of the kept steps touching each column.
    """

    roles: dict[str, str]
    editable: set[int] = field(default_factory=set)
    locked: dict[str, str] = field(default_factory=dict)
    kept: dict[str, list[str]] = field(default_factory=dict)


def plan_roles(recipe: Recipe | None, columns: Sequence[str]) -> RolePlan:
    """Which steps of *recipe* the builder can edit, and each column's starting role.

    Examples
    --------
    >>> shift = {"subject": "pid", "max_days": 9}
    >>> r = Recipe.from_dict({"steps": [
    ...     {"op": "drop", "columns": ["name"]},
    ...     {"op": "date_shift", "columns": ["admit"], "params": shift}]})
    >>> plan = plan_roles(r, ["name", "admit", "pid", "age"])
    >>> plan.roles["name"], plan.roles["admit"], sorted(plan.editable), plan.kept
    ('drop', 'keep', [0], {'admit': ['date_shift']})
    """
    roles = dict.fromkeys(columns, "keep")
    plan = RolePlan(roles=roles)
    if recipe is None:
        return plan
    privacy = recipe.privacy
    targeted = set(privacy.quasi_identifiers) | set(privacy.sensitive) if privacy else set()
    uses: dict[str, int] = {}
    for step in recipe.steps:
        for column in step.columns:
            uses[column] = uses.get(column, 0) + 1
    known = set(columns)
    for i, step in enumerate(recipe.steps):
        cols = step.columns
        if (
            step.op in EDITABLE_OPS
            and cols
            and all(c in known and uses[c] == 1 and c not in targeted for c in cols)
        ):
            plan.editable.add(i)
            for column in cols:
                roles[column] = step.op
            continue
        for column in cols:
            if column in known:
                plan.kept.setdefault(column, []).append(step.op)
                if step.op in EDITABLE_OPS:
                    plan.locked[column] = f"{step.op} in kept step {i + 1}"
    if privacy is not None:
        for q in privacy.quasi_identifiers:
            if q in roles and q not in plan.locked:
                roles[q] = "quasi-identifier"
        for s in privacy.sensitive:
            if s in roles and s not in plan.locked:
                roles[s] = "sensitive"
    return plan


def compose_recipe(
    original: Recipe | None,
    roles: Mapping[str, str],
    *,
    editable: set[int] | None = None,
    hierarchies: Mapping[str, Mapping[str, Any]],
    k: int | None = 5,
    l: float | None = None,
    l_variant: str = "distinct",
    c: float | None = None,
    t: float | None = None,
    max_suppression: float = 0.0,
) -> Recipe:
    """The recipe *original* becomes with the builder's roles and targets.

    Kept steps (every step not in *editable*) stay verbatim at their place;
    editable steps keep the columns whose role is still their op (and their
    params); a column newly given an op joins the first remaining step of that
    op, or a new step at the end. Privacy settings the builder does not edit
    (``suppression``, ``metric``, a target's ``ordered``) are kept, and so are
    ``resolved`` levels while the privacy section is otherwise unchanged. ℓ and t
    apply only when a column is sensitive (the original target's column, else
    the first one marked sensitive).

    Examples
    --------
    >>> r = compose_recipe(None, {"pid": "pseudonymize", "age": "quasi-identifier"},
    ...                    hierarchies={"age": {"type": "interval", "widths": [10]}}, k=3)
    >>> [s.op for s in r.steps], r.privacy.k
    (['pseudonymize'], 3)
    """
    editable = set() if editable is None else editable
    steps: list[dict[str, Any]] = []
    first_of: dict[str, int] = {}
    placed: dict[str, set[str]] = {op: set() for op in EDITABLE_OPS}
    for i, step in enumerate(original.steps if original else []):
        step_dict = step.to_dict()
        if i in editable:
            cols = [col for col in step.columns if roles.get(col, step.op) == step.op]
            placed[step.op].update(cols)
            if not cols:
                continue
            step_dict["columns"] = cols
            first_of.setdefault(step.op, len(steps))
        steps.append(step_dict)
    for op in EDITABLE_OPS:
        new = [col for col, role in roles.items() if role == op and col not in placed[op]]
        if not new:
            continue
        if op in first_of:
            steps[first_of[op]]["columns"] += new
        else:
            steps.append(
                {"op": op, "columns": new, **({"params": {"keep_last": 4}} if op == "mask" else {})}
            )
    data: dict[str, Any] = {"steps": steps}
    if original is not None:
        data["recipe_version"] = original.recipe_version
        if original.name is not None:
            data["name"] = original.name
    old = original.privacy if original else None
    qis = [
        q
        for q in (old.quasi_identifiers if old else [])
        if roles.get(q, "quasi-identifier") == "quasi-identifier"
    ]
    qis += [col for col, role in roles.items() if role == "quasi-identifier" and col not in qis]
    if qis:
        base = old.to_dict() if old else {}
        base.pop("resolved", None)
        privacy: dict[str, Any] = {
            **{key: base[key] for key in ("suppression", "metric") if key in base},
            "quasi_identifiers": qis,
            "hierarchies": {
                q: dict(old.hierarchies[q])
                if old and q in old.hierarchies
                else dict(hierarchies[q])
                for q in qis
            },
            "max_suppression": max_suppression,
        }
        if k is not None:
            privacy["k"] = k
        sensitive = [col for col, role in roles.items() if role == "sensitive"]

        def column_for(previous: str | None) -> str | None:
            if previous is not None and roles.get(previous, "sensitive") == "sensitive":
                return previous
            return sensitive[0] if sensitive else None

        l_column = column_for(old.l.column if old and old.l else None)
        if l is not None and l_column is not None:
            privacy["l"] = {"column": l_column, "l": l, "variant": l_variant}
            if l_variant == "recursive":
                privacy["l"]["c"] = c if c is not None else 3.0
        t_column = column_for(old.t.column if old and old.t else None)
        if t is not None and t_column is not None:
            privacy["t"] = {"column": t_column, "t": t}
            if old and old.t and old.t.column == t_column and old.t.ordered is not None:
                privacy["t"]["ordered"] = old.t.ordered
        if old is not None and old.resolved is not None:
            unchanged = Recipe.from_dict({"privacy": privacy}).privacy
            if unchanged is not None and unchanged.to_dict() == base:
                privacy["resolved"] = old.resolved.model_dump()
        data["privacy"] = privacy
    return Recipe.from_dict(data, base_dir=original.base_dir if original else None)


def build_recipe(
    roles: Mapping[str, str],
    *,
    hierarchies: Mapping[str, Mapping[str, Any]],
    k: int | None = 5,
    l: int = 0,
    l_variant: str = "distinct",
    c: float | None = None,
    t: float = 0.0,
    max_suppression: float = 0.0,
    name: str | None = None,
) -> Any:
    """The :class:`~privlab.anonymize.Recipe` for a role per column and the targets.

    ``l = 0`` and ``t = 0`` switch those targets off; the first ``sensitive``
    column carries them.

    Examples
    --------
    >>> r = build_recipe(
    ...     {"ssn": "drop", "age": "quasi-identifier", "dx": "sensitive"},
    ...     hierarchies={"age": {"type": "interval", "widths": [10]}},
    ...     k=3, l=2,
    ... )
    >>> r.steps[0].op, r.privacy.k, r.privacy.l.column
    ('drop', 3, 'dx')
    """
    recipe = compose_recipe(
        None,
        roles,
        hierarchies=hierarchies,
        k=k,
        l=l or None,
        l_variant=l_variant,
        c=c,
        t=t or None,
        max_suppression=max_suppression,
    )
    if name is None:
        return recipe
    return Recipe.from_dict({**recipe.to_dict(), "name": name})


def verdict(release: Any, source: pl.DataFrame) -> tuple[str, list[str]]:
    """``("met" | "not met" | "met only by suppressing whole columns", columns)``.

    A target counts as met only by suppressing whole columns when some
    quasi-identifier that had several values in *source* has at most one value
    left in the release (every record generalized to ``*`` or to one common
    prefix, year, …: the column no longer tells anyone apart); those columns are
    returned.

    Examples
    --------
    >>> import polars as pl, privlab as pv
    >>> df = pl.DataFrame({"zip": [f"9410{i % 10}" for i in range(40)], "dx": list("ab") * 20})
    >>> r = pv.Recipe.from_dict({"privacy": {"quasi_identifiers": ["zip"], "k": 40,
    ...     "hierarchies": {"zip": {"type": "prefix", "keep": [4]}}}})
    >>> verdict(pv.anonymize(df, r, progress=False), df)
    ('met only by suppressing whole columns', ['zip'])
    """
    privacy = release.report.privacy or {}
    if not privacy.get("met", True):
        return "not met", []
    frame = release.frame
    whole = [
        q
        for q in privacy.get("quasi_identifiers", [])
        if q in frame.columns
        and q in source.columns
        and source[q].n_unique() > 1
        and frame[q].drop_nulls().n_unique() <= 1
    ]
    return ("met only by suppressing whole columns" if whole else "met"), whole


def _hierarchy_text(spec: Mapping[str, Any]) -> str:
    kind = spec.get("type", "?")
    detail = {k: v for k, v in spec.items() if k != "type"}
    parts = ", ".join(
        f"{k} {' → '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in detail.items()
    )
    return f"{kind}: {parts}" if parts else str(kind)


def _step_text(step: Any) -> str:
    params = step.to_dict().get("params", {})
    shown = ", ".join(f"{k}={v}" for k, v in params.items())
    return shown or "default parameters"


def _accepts_callback(func: Any) -> bool:
    """Whether *func* takes the progress reporter's ``callback=`` (being added to anonymize)."""
    return "callback" in inspect.signature(func).parameters


class RecipeBuilder:
    """Build a recipe interactively with a live readout of the verdict, k, ℓ, t, risk and loss.

    Parameters
    ----------
    data:
        The table (polars, pandas or a path).
    recipe:
        Optional starting recipe (e.g. ``profile.suggest_recipe()``). Every step is
        kept; its drops, pseudonyms, masks, QIs, hierarchies and targets preset the
        controls, the other steps are listed read-only.
    key:
        Key for pseudonymized columns in the preview (else the step's key_env).
    hierarchies:
        Hierarchy specs per column, overriding :func:`privlab.hierarchy.suggest`.
    sample:
        The preview runs on at most this many rows (a seeded sample).
    seed:
        Seed of that sample.
    live:
        Re-run the preview on every change (else call :meth:`refresh`).
    callback:
        Receives the preview's progress events ``(stage, done, total)``.

    Examples
    --------
    >>> import polars as pl
    >>> from privlab.widgets import RecipeBuilder
    >>> df = pl.DataFrame({"age": [30, 31, 32, 33, 50, 51], "dx": list("ababab")})
    >>> b = RecipeBuilder(df, live=False)
    >>> b.roles["age"].value = "quasi-identifier"
    >>> b.k.value = 2
    >>> b.recipe.privacy.k, b.refresh()["k"], b.figures["verdict"]
    (2, 2, 'met')
    """

    def __init__(
        self,
        data: Any,
        *,
        recipe: Recipe | None = None,
        key: bytes | str | None = None,
        hierarchies: Mapping[str, Mapping[str, Any]] | None = None,
        sample: int = 20_000,
        seed: int = 0,
        live: bool = True,
        callback: ProgressCallback | None = None,
    ) -> None:
        import ipywidgets as w

        frame = read(data).collect()
        self.sample = frame.sample(n=sample, seed=seed) if frame.height > sample else frame
        self.key = key
        self._cache = EncodingCache()  # the live readout re-searches the same sample
        self.hierarchies: dict[str, dict[str, Any]] = {
            c: suggest_hierarchy(self.sample[c]).to_spec() for c in self.sample.columns
        }
        self.hierarchies.update({c: dict(h) for c, h in (hierarchies or {}).items()})
        self.original = recipe
        self.plan = plan_roles(recipe, self.sample.columns)
        self.release: Any = None
        self.error: str | None = None
        self.figures: dict[str, Any] | None = None
        self.last_charts: tuple[Any, Any] | None = None
        old = recipe.privacy if recipe is not None else None

        self.roles: dict[str, Any] = {}
        grid: list[Any] = [
            w.HTML(f"<b>{h}</b>")
            for h in ("column", "role", "generalization (QI)", "also in recipe")
        ]
        for column in self.sample.columns:
            dropdown = w.Dropdown(
                options=list(ROLES),
                value=self.plan.roles[column],
                layout={"width": "170px"},
                disabled=column in self.plan.locked,
            )
            self.roles[column] = dropdown
            kept = self.plan.kept.get(column, [])
            note = ", ".join(kept) + (
                f" ({self.plan.locked[column]})" if column in self.plan.locked else ""
            )
            grid += [
                w.HTML(f"<span title='{esc(column)}'>{esc(column)}</span>"),
                dropdown,
                w.HTML(),
                w.HTML(f"<span class='privlab-label'>{esc(note)}</span>"),
            ]
        self._hier_cells = {c: grid[4 + 4 * i + 2] for i, c in enumerate(self.sample.columns)}
        columns_box = w.GridBox(
            grid,
            layout=w.Layout(
                grid_template_columns=(
                    "minmax(8rem, 12rem) 175px minmax(10rem, 1fr) minmax(6rem, 14rem)"
                ),
                grid_gap="2px 8px",
                align_items="center",
            ),
        )
        self.kept_steps = w.HTML(self._kept_steps_html())

        def options(values: list[Any], current: Any) -> list[tuple[str, Any]]:
            # 0 is "off" (a selection slider cannot hold None); an original value
            # outside the usual range is added so that it round-trips
            extra = [current] if current and current not in values else []
            return [("off", 0)] + [(fmt(v), v) for v in sorted([*values, *extra])]

        style = {"description_width": "14rem"}
        wide = w.Layout(width="32rem")
        k0 = (old.k or 0) if old else 5
        self.k = w.SelectionSlider(
            options=options(_K_OPTIONS, k0),
            value=k0,
            description="k (records per class ≥)",
            style=style,
            layout=wide,
            continuous_update=False,
        )
        l0 = old.l.l if old and old.l else 0
        self.l = w.SelectionSlider(
            options=options(_L_OPTIONS, l0),
            value=l0,
            description="ℓ (sensitive values per class ≥)",
            style=style,
            layout=wide,
            continuous_update=False,
        )
        self.l_variant = w.Dropdown(
            options=["distinct", "entropy", "recursive"],
            value=old.l.variant if old and old.l else "distinct",
            description="ℓ variant",
            style=style,
            layout={"width": "24rem"},
        )
        self.c = w.BoundedFloatText(
            value=old.l.c if old and old.l and old.l.c is not None else 3.0,
            min=0.1,
            max=100.0,
            description="c (recursive ℓ only)",
            style=style,
            layout={"width": "24rem"},
        )
        t0 = old.t.t if old and old.t else 0
        self.t = w.SelectionSlider(
            options=options(_T_OPTIONS, t0),
            value=t0,
            description="t (distance to overall ≤)",
            style=style,
            layout=wide,
            continuous_update=False,
        )
        s0 = old.max_suppression if old else 0.02
        self.max_suppression = w.FloatSlider(
            value=s0,
            min=0.0,
            max=max(0.5, s0),
            step=0.01,
            description="suppressed records ≤",
            readout_format=".0%",
            style=style,
            layout=wide,
            continuous_update=False,
        )
        self.targets_note = w.HTML()
        self.readout = w.HTML(value="")
        self.progress = w.IntProgress(value=0, min=0, max=1, layout={"width": "14rem"})
        self.status = w.HTML()
        self.cancel = w.Button(description="Cancel", icon="stop", disabled=True)
        self.job = Job(self.progress, self.status, self.cancel, forward=callback)
        self._pending = False
        self.chart_widgets = (chart_widget(), chart_widget())
        for chart in self.chart_widgets:
            chart.layout.width = "50%"
        self.path = w.Text(value="recipe.yaml", description="file", layout={"width": "22rem"})
        auto = {"width": "auto"}
        self.save_button = w.Button(description="Save recipe (YAML)", icon="save", layout=auto)
        self.png_button = w.Button(description="Save charts (PNG)", icon="image", layout=auto)
        self.svg_button = w.Button(description="Save charts (SVG)", icon="image", layout=auto)
        self.saved = w.HTML()
        self.save_button.on_click(lambda _b: self._ui_save(self.save_recipe, self.path.value))
        self.png_button.on_click(lambda _b: self._ui_save(self.save_charts, "png"))
        self.svg_button.on_click(lambda _b: self._ui_save(self.save_charts, "svg"))

        self.live = live
        self._sync_enabled()
        for control in [*self.roles.values(), self.k, self.l, self.l_variant, self.c, self.t,
                        self.max_suppression]:  # fmt: skip
            control.observe(self._on_change, names="value")
        targets = w.VBox(
            [
                self.k,
                self.l,
                self.l_variant,
                self.c,
                self.t,
                self.max_suppression,
                self.targets_note,
            ]
        )
        self.box = w.VBox(
            [
                w.HTML(
                    header(
                        "Recipe builder",
                        "Give each column a role and set the privacy targets; the preview runs "
                        "the recipe on a sample and shows whether the targets are met. Steps "
                        "the builder cannot edit are kept as they are. builder.recipe is the "
                        "recipe to continue with in code.",
                    )
                ),
                w.HBox(
                    [columns_box, targets], layout={"grid_gap": "1rem", "flex_flow": "row wrap"}
                ),
                self.kept_steps,
                w.HBox([self.progress, self.cancel, self.status]),
                self.readout,
                w.HBox(list(self.chart_widgets), layout={"width": "100%"}),
                w.HBox([self.path, self.save_button, self.png_button, self.svg_button]),
                self.saved,
            ],
            layout={"width": "100%"},
        )
        if live:
            self.refresh()

    # -- the recipe ---------------------------------------------------------------------
    @property
    def recipe(self) -> Recipe:
        """The :class:`~privlab.anonymize.Recipe` the controls describe (kept steps included)."""
        variant = str(self.l_variant.value)
        return compose_recipe(
            self.original,
            {c: d.value for c, d in self.roles.items() if c not in self.plan.locked},
            editable=self.plan.editable,
            hierarchies=self.hierarchies,
            k=self.k.value or None,
            l=self.l.value or None,
            l_variant=variant,
            c=float(self.c.value) if variant == "recursive" else None,
            t=self.t.value or None,
            max_suppression=float(self.max_suppression.value),
        )

    def _kept_steps_html(self) -> str:
        if self.original is None:
            return ""
        kept = [
            (i + 1, s.op, ", ".join(s.columns), cell(_step_text(s), limit=70))
            for i, s in enumerate(self.original.steps)
            if i not in self.plan.editable
        ]
        if not kept:
            return ""
        return (
            "<div class='privlab-label'><b>Steps kept from the recipe</b> "
            "(not editable here; they stay in builder.recipe at their place)</div>"
            + table(
                ["#", "operation", "columns", "parameters"], kept, raw=[False, False, False, True]
            )
        )

    def _sync_enabled(self) -> None:
        roles = {c: d.value for c, d in self.roles.items()}
        has_qi = "quasi-identifier" in roles.values() or bool(
            self.original
            and self.original.privacy
            and set(self.original.privacy.quasi_identifiers) - set(roles)
        )
        has_sensitive = "sensitive" in roles.values()
        self.k.disabled = self.max_suppression.disabled = not has_qi
        self.l.disabled = self.t.disabled = self.l_variant.disabled = not (has_qi and has_sensitive)
        self.c.disabled = self.l.disabled or self.l_variant.value != "recursive"
        notes = []
        if not has_qi:
            notes.append("Mark at least one column quasi-identifier to set targets.")
        elif not has_sensitive:
            notes.append("ℓ and t need a column marked sensitive.")
        notes.append(
            "k: each record shares its quasi-identifiers with at least k − 1 others. ℓ: each "
            "such class holds at least ℓ different sensitive values. t: each class's sensitive "
            "values are within distance t of the whole table's. Suppressed: records removed to "
            "meet the targets. 'off' switches a target off."
        )
        self.targets_note.value = (
            f"<div class='privlab-label' style='max-width:32rem'>{esc(' '.join(notes))}</div>"
        )
        for column, cell_widget in self._hier_cells.items():
            spec = self.hierarchies.get(column, {})
            if (
                self.original
                and self.original.privacy
                and column in self.original.privacy.hierarchies
            ):
                spec = self.original.privacy.hierarchies[column]
            shown = roles.get(column) == "quasi-identifier"
            cell_widget.value = (
                f"<span class='privlab-label'>{esc(_hierarchy_text(spec))}</span>" if shown else ""
            )

    def _on_change(self, _change: Any) -> None:
        self._sync_enabled()
        if self.live:
            self._schedule()

    # -- the preview --------------------------------------------------------------------
    def _settings(self, recipe: Recipe) -> str:
        p = recipe.privacy
        if p is None:
            return "no quasi-identifiers"
        parts = [f"{len(p.quasi_identifiers)} quasi-identifier(s)"]
        if p.k is not None:
            parts.append(f"k ≥ {p.k}")
        if p.l is not None:
            parts.append(f"ℓ ≥ {fmt(p.l.l)} ({p.l.variant}, {p.l.column})")
        if p.t is not None:
            parts.append(f"t ≤ {fmt(p.t.t)} ({p.t.column})")
        parts.append(f"≤ {fmt(p.max_suppression, percent=True)} suppressed")
        return " · ".join(parts)

    def _compute(self, recipe: Recipe, job: Job) -> Any:
        with job.stages(2, "preview") as bar:
            bar.set_stage("search")
            extra = {"callback": job.callback} if _accepts_callback(anonymize) else {}
            release = anonymize(
                self.sample, recipe, key=self.key, progress=False, cache=self._cache, **extra
            )
            bar.advance(stage="measure")
            figures = _figures(release, self.sample)
            bar.advance(stage="done")
        return release, figures, recipe

    def refresh(self) -> dict[str, Any] | None:
        """Run the current recipe on the sample (in this thread); update readout and charts.

        Returns the readout figures, or ``None`` (with the reason in the readout)
        when the recipe is invalid, its target cannot be met, or it was cancelled.
        """
        try:
            recipe = self.recipe
        except PrivlabError as exc:
            self._show_error(str(exc))
            return None
        self.job.run(self._settings(recipe), lambda job: self._attempt(recipe, job), self._show)
        return self.figures

    def _attempt(self, recipe: Recipe, job: Job) -> Any:
        try:
            return self._compute(recipe, job)
        except PrivlabError as exc:
            return exc

    def _schedule(self) -> None:
        """In a kernel run the preview in a thread (Cancel stays clickable); else at once."""
        if not _in_kernel():
            self.refresh()
            return
        if self.job.thread is not None and self.job.thread.is_alive():
            self._pending = True
            self.job.cancel()
            return
        try:
            recipe = self.recipe
        except PrivlabError as exc:
            self._show_error(str(exc))
            return
        self.readout.value = f"<div class='privlab-stale'>{self.readout.value}</div>"
        self.job.start(self._settings(recipe), lambda job: self._attempt(recipe, job), self._done)

    def _done(self, result: Any) -> None:
        self._show(result)
        if self._pending:
            self._pending = False
            self._schedule()

    def _show_error(self, message: str) -> None:
        self.release, self.figures, self.error = None, None, message
        self.readout.value = (
            badge("not met / invalid", level="danger", title=message)
            + " "
            + cell(message, limit=300)
        )
        self._clear()

    def _show(self, result: Any) -> None:
        if result is None:  # cancelled
            self.figures = None
            return
        if isinstance(result, PrivlabError):
            self._show_error(str(result))
            return
        self.release, figures, recipe = result
        self.error = None
        self.figures = figures
        self.readout.value = _readout_html(figures, self._settings(recipe))
        self._draw()

    def _draw(self) -> None:
        report = None if self.release is None else self.release.report
        if report is None or report.risk is None:
            self._clear()
            return
        k = report.privacy["targets"].get("k") if report.privacy else None
        self.last_charts = (
            class_size_chart(report.risk, k=k),
            risk_distribution_chart(report.risk, k=k),
        )
        for widget, chart in zip(self.chart_widgets, self.last_charts, strict=True):
            widget.chart = chart

    def _clear(self) -> None:
        self.last_charts = None
        for widget in self.chart_widgets:
            widget.chart = None

    # -- export -------------------------------------------------------------------------
    def save_recipe(self, path: str | Path) -> Path:
        """Write :attr:`recipe` as YAML to *path* (atomically); returns the path."""
        return write_text(path, self.recipe.to_yaml())

    def save_charts(self, fmt: str = "png", folder: str | Path = ".") -> list[Path]:
        """Write the preview's two charts as ``recipe-class-sizes.<fmt>`` and ``recipe-risk.<fmt>``.

        Raises
        ------
        ValueError
            No preview has charts yet (run :meth:`refresh` with a quasi-identifier).
        """
        if self.last_charts is None:
            raise ValueError("no charts to save: run a preview with at least one quasi-identifier")
        names = ("recipe-class-sizes", "recipe-risk")
        return [
            save_chart(chart, Path(folder) / f"{name}.{fmt}")
            for name, chart in zip(names, self.last_charts, strict=True)
        ]

    def _ui_save(self, action: Any, arg: Any) -> None:
        try:
            saved = action(arg)
        except (PrivlabError, ValueError, OSError) as exc:
            self.saved.value = badge("not saved", level="danger") + esc(str(exc))
            return
        paths = saved if isinstance(saved, list) else [saved]
        self.saved.value = badge("saved", level="ok") + esc(", ".join(str(p) for p in paths))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)


def _figures(release: Any, sample: pl.DataFrame) -> dict[str, Any]:
    report = release.report
    out: dict[str, Any] = {"rows_in": sample.height, "rows_out": release.frame.height}
    if report.risk is None:
        out.update(k=None, max_risk=None, avg_risk=None, loss=None, suppressed=0, verdict="met")
        out["whole_columns"] = []
        return out
    privacy = report.privacy or {}
    status, whole = verdict(release, sample)
    out.update(
        verdict=status,
        whole_columns=whole,
        targets=dict(privacy.get("targets", {})),
        k=report.risk.k,
        max_risk=report.risk.prosecutor["max"],
        avg_risk=report.risk.prosecutor["avg"],
        unique_share=report.risk.unique_share,
        loss=None if report.utility is None else report.utility.loss,
        suppressed=privacy.get("suppressed", 0),
        suppressed_share=privacy.get("suppressed_share", 0.0),
        levels=dict(report.search["levels"]) if report.search else {},
        l=report.risk.l,
        t=report.risk.t,
    )
    if report.risk.l is not None:
        out["l_distinct"] = report.risk.l["distinct"]
    return out


def _readout_html(f: Mapping[str, Any], settings: str) -> str:
    label = (
        f"<div class='privlab-label'>Preview of: {esc(settings)} · "
        f"on {fmt(f['rows_in'])} rows</div>"
    )
    if f["k"] is None:
        return (
            label
            + badge("no targets", level="info")
            + esc(f" no quasi-identifiers chosen · {fmt(f['rows_out'])} rows")
        )
    status = f["verdict"]
    level = {"met": "ok", "not met": "danger"}.get(status, "warn")
    badges = [badge(f"targets {status}", level=level)]
    if f["whole_columns"]:
        cols = ", ".join(f["whole_columns"])
        badges.append(
            badge(
                f"no information left in: {cols}",
                level="danger",
                title=f"every record of {cols} has the same generalized value (e.g. '*'): the "
                "targets hold only because these columns no longer tell anyone apart; lower "
                "the targets, allow some suppression or choose other quasi-identifiers",
            )
        )
    targets = f.get("targets", {})
    rows: list[list[Any]] = [["k (smallest class)", _target("≥", targets.get("k")), f["k"]]]
    l_target = targets.get("l")
    if f.get("l") is not None:
        variant = l_target["variant"] if l_target else "distinct"
        key = "recursive_c" if variant == "recursive" else variant
        achieved = f["l"].get(key, f["l"].get("distinct"))
        rows.append([f"ℓ ({variant})", _target("≥", l_target and l_target["l"]), achieved])
    if f.get("t") is not None:
        t_target = targets.get("t")
        rows.append(["t (closeness)", _target("≤", t_target and t_target["t"]), f["t"]])
    rows += [
        ["max re-identification risk", "", f["max_risk"]],
        ["average re-identification risk", "", f["avg_risk"]],
        ["information loss (0–1)", "", f["loss"]],
        [
            "suppressed records",
            _target("≤", targets.get("max_suppression"), percent=True),
            f"{fmt(f['suppressed'])} ({fmt(f['suppressed_share'], percent=True)})",
        ],
        ["levels chosen", "", ", ".join(f"{q} {lv}" for q, lv in f["levels"].items())],
    ]
    return label + "".join(badges) + table(["measure", "target", "preview"], rows)


def _target(sign: str, value: Any, *, percent: bool = False) -> str:
    return "" if value is None else f"{sign} {fmt(value, percent=percent)}"
