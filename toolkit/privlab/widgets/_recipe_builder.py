"""RecipeBuilder: choose an operation per column and the k / ℓ / t targets, see the result live.

A view over :func:`privlab.anonymize`: every change rebuilds the recipe (with the
plain functions :func:`privlab.hierarchy.suggest` and :func:`build_recipe`), runs it
on a sample of the data and shows k, re-identification risk, information loss and
two charts (class sizes, risk distribution). ``widget.recipe`` is the
:class:`~privlab.anonymize.Recipe`, so the notebook continues in code.
ipywidgets and Altair are imported only when a widget is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from privlab.anonymize import EncodingCache, Recipe, anonymize
from privlab.exceptions import PrivlabError
from privlab.hierarchy import suggest as suggest_hierarchy
from privlab.io import read
from privlab.viz import class_size_chart, risk_distribution_chart
from privlab.widgets._kernel import in_kernel as _in_kernel

__all__ = ["ROLES", "RecipeBuilder", "build_recipe"]

#: What the builder can do with a column.
ROLES = ("keep", "drop", "pseudonymize", "mask", "quasi-identifier", "sensitive")


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
    by_role: dict[str, list[str]] = {role: [] for role in ROLES}
    for column, role in roles.items():
        by_role[role].append(column)
    steps: list[dict[str, Any]] = []
    if by_role["drop"]:
        steps.append({"op": "drop", "columns": by_role["drop"]})
    if by_role["pseudonymize"]:
        steps.append({"op": "pseudonymize", "columns": by_role["pseudonymize"]})
    if by_role["mask"]:
        steps.append({"op": "mask", "columns": by_role["mask"], "params": {"keep_last": 4}})
    data: dict[str, Any] = {"steps": steps}
    if name is not None:
        data["name"] = name
    qis = by_role["quasi-identifier"]
    if qis:
        privacy: dict[str, Any] = {
            "quasi_identifiers": qis,
            "hierarchies": {q: dict(hierarchies[q]) for q in qis},
            "max_suppression": max_suppression,
        }
        if k is not None:
            privacy["k"] = k
        sensitive = by_role["sensitive"][:1]
        if sensitive and l > 0:
            privacy["l"] = {"column": sensitive[0], "l": l, "variant": l_variant}
            if l_variant == "recursive":
                privacy["l"]["c"] = c if c is not None else 3.0
        if sensitive and t > 0:
            privacy["t"] = {"column": sensitive[0], "t": t}
        data["privacy"] = privacy
    return Recipe.from_dict(data)


class RecipeBuilder:
    """Build a recipe interactively with a live readout of k, risk and loss.

    Parameters
    ----------
    data:
        The table (polars, pandas or a path).
    recipe:
        Optional starting recipe (e.g. ``profile.suggest_recipe()``): its drops,
        pseudonyms, masks, QIs, hierarchies and targets preset the controls.
    key:
        Key for pseudonymized columns in the preview (else the step's key_env).
    hierarchies:
        Hierarchy specs per column, overriding :func:`privlab.hierarchy.suggest`.
    sample:
        The preview runs on at most this many rows (a seeded sample).
    live:
        Re-run the preview on every change (else call :meth:`refresh`).

    Examples
    --------
    >>> import polars as pl
    >>> from privlab.widgets import RecipeBuilder
    >>> df = pl.DataFrame({"age": [30, 31, 32, 33, 50, 51], "dx": list("ababab")})
    >>> b = RecipeBuilder(df, live=False)
    >>> b.roles["age"].value = "quasi-identifier"
    >>> b.k.value = 2
    >>> b.recipe.privacy.k, b.refresh()["k"]
    (2, 2)
    """

    def __init__(
        self,
        data: Any,
        *,
        recipe: Any = None,
        key: bytes | str | None = None,
        hierarchies: Mapping[str, Mapping[str, Any]] | None = None,
        sample: int = 20_000,
        seed: int = 0,
        live: bool = True,
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
        self.release: Any = None
        self.error: str | None = None
        self.figures: dict[str, Any] | None = None
        self.last_charts: tuple[Any, Any] | None = None
        self.roles = {
            c: w.Dropdown(options=list(ROLES), value="keep", description=c)
            for c in self.sample.columns
        }
        self.k = w.IntSlider(value=5, min=2, max=50, description="k")
        self.l = w.IntSlider(value=0, min=0, max=10, description="ℓ (0 = off)")
        self.l_variant = w.Dropdown(
            options=["distinct", "entropy", "recursive"], value="distinct", description="ℓ variant"
        )
        self.c = w.BoundedFloatText(value=3.0, min=0.1, max=100.0, description="c")
        self.t = w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="t (0 = off)")
        self.max_suppression = w.FloatSlider(
            value=0.02, min=0.0, max=0.5, step=0.01, description="max suppr.", readout_format=".0%"
        )
        self.readout = w.HTML(value="")
        self.charts = w.Output()
        if recipe is not None:
            self._preset(recipe)
        self.live = live
        for control in [*self.roles.values(), self.k, self.l, self.l_variant, self.c, self.t,
                        self.max_suppression]:  # fmt: skip
            control.observe(self._on_change, names="value")
        role_box = w.VBox(list(self.roles.values()))
        targets = w.VBox([self.k, self.l, self.l_variant, self.c, self.t, self.max_suppression])
        self.box = w.VBox([w.HBox([role_box, targets]), self.readout, self.charts])
        if live:
            self.refresh()

    def _preset(self, recipe: Any) -> None:
        for step in recipe.steps:
            role = {"drop": "drop", "pseudonymize": "pseudonymize", "mask": "mask"}.get(step.op)
            for column in step.columns:
                if role is not None and column in self.roles:
                    self.roles[column].value = role
        privacy = recipe.privacy
        if privacy is None:
            return
        for q in privacy.quasi_identifiers:
            if q in self.roles:
                self.roles[q].value = "quasi-identifier"
                self.hierarchies[q] = dict(privacy.hierarchies[q])
        for s in privacy.sensitive:
            if s in self.roles:
                self.roles[s].value = "sensitive"
        if privacy.k is not None:
            self.k.value = privacy.k
        if privacy.l is not None:
            self.l.value = int(privacy.l.l)
            self.l_variant.value = privacy.l.variant
            if privacy.l.c is not None:
                self.c.value = privacy.l.c
        if privacy.t is not None:
            self.t.value = privacy.t.t
        self.max_suppression.value = privacy.max_suppression

    @property
    def recipe(self) -> Any:
        """The :class:`~privlab.anonymize.Recipe` the controls describe."""
        return build_recipe(
            {c: d.value for c, d in self.roles.items()},
            hierarchies=self.hierarchies,
            k=int(self.k.value),
            l=int(self.l.value),
            l_variant=str(self.l_variant.value),
            c=float(self.c.value),
            t=float(self.t.value),
            max_suppression=float(self.max_suppression.value),
        )

    def _on_change(self, _change: Any) -> None:
        if self.live:
            self.refresh()

    def refresh(self) -> dict[str, Any] | None:
        """Run the current recipe on the sample; update readout and charts.

        Returns the readout figures, or ``None`` (with the reason in the readout)
        when the recipe is invalid or its target cannot be met.
        """
        self.figures = None
        try:
            recipe = self.recipe
            self.release = anonymize(
                self.sample, recipe, key=self.key, progress=False, cache=self._cache
            )
        except PrivlabError as exc:
            self.release = None
            self.error = str(exc)
            self.readout.value = f"<b>not met / invalid:</b> {_escape(self.error)}"
            self._clear()
            return None
        self.error = None
        figures = _figures(self.release, self.sample.height)
        self.figures = figures
        self.readout.value = _readout_html(figures)
        self._draw()
        return figures

    def _draw(self) -> None:
        report = None if self.release is None else self.release.report
        self._clear()
        if report is None or report.risk is None:
            self.last_charts = None
            return

        k = report.privacy["targets"].get("k") if report.privacy else None
        self.last_charts = (
            class_size_chart(report.risk, k=k),
            risk_distribution_chart(report.risk),
        )
        if _in_kernel():  # an Output widget captures only inside a running kernel
            with self.charts:
                from IPython.display import display

                display(self.last_charts[0] | self.last_charts[1])

    def _clear(self) -> None:
        if _in_kernel():  # outside a kernel clear_output would print terminal escapes
            self.charts.clear_output()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)


def _figures(release: Any, rows: int) -> dict[str, Any]:
    report = release.report
    out: dict[str, Any] = {"rows_in": rows, "rows_out": release.frame.height}
    if report.risk is None:
        out.update(k=None, max_risk=None, avg_risk=None, loss=None, suppressed=0)
        return out
    out.update(
        k=report.risk.k,
        max_risk=report.risk.prosecutor["max"],
        avg_risk=report.risk.prosecutor["avg"],
        unique_share=report.risk.unique_share,
        loss=None if report.utility is None else report.utility.loss,
        suppressed=report.privacy["suppressed"],
        suppressed_share=report.privacy["suppressed_share"],
        levels=dict(report.search["levels"]) if report.search else {},
    )
    if report.risk.l is not None:
        out["l_distinct"] = report.risk.l["distinct"]
    return out


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _readout_html(f: Mapping[str, Any]) -> str:
    if f["k"] is None:
        return f"no quasi-identifiers chosen · {f['rows_out']:,} rows"
    loss = "n/a" if f["loss"] is None else f"{f['loss']:.3f}"
    levels = ", ".join(f"{q}={lv}" for q, lv in f["levels"].items())
    return (
        f"<b>k</b> {f['k']} · <b>max risk</b> {f['max_risk']:.3f} · "
        f"<b>avg risk</b> {f['avg_risk']:.3f} · <b>loss</b> {loss} · "
        f"<b>suppressed</b> {f['suppressed']:,} ({f['suppressed_share']:.1%}) · "
        f"<b>levels</b> {_escape(levels)} <i>(preview on {f['rows_in']:,} rows)</i>"
    )
