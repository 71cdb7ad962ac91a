"""ProfileWidget: review a profile, one row per column, with a role dropdown bound to it.

A view: changing a dropdown calls :meth:`Profile.set_role`; ``widget.profile``
is the edited Profile for the notebook to continue with. ipywidgets and altair
are imported when the widget is created, never at import.
"""

from __future__ import annotations

import functools
import html
import json
from typing import Any

from privlab.profile import ROLES
from privlab.viz import sensitivity_chart
from privlab.widgets._kernel import in_kernel as _in_kernel

__all__ = ["ProfileWidget"]


@functools.cache
def _profile_widget_class() -> type:
    import ipywidgets as widgets
    import traitlets

    class _ProfileWidget(widgets.VBox):
        """One row per column: name, semantic type, a role dropdown, the evidence."""

        roles = traitlets.Dict().tag(sync=True)

        def __init__(self, profile: Any, **kwargs: Any) -> None:
            self.profile = profile
            self._dropdowns: dict[str, Any] = {}
            rows = []
            for c in profile.columns:
                dropdown = widgets.Dropdown(
                    options=list(ROLES), value=c.role, layout={"width": "170px"}
                )
                dropdown.observe(self._changed(c.name), names="value")
                self._dropdowns[c.name] = dropdown
                evidence = html.escape(json.dumps(c.evidence, default=str)[:300])
                rows.append(
                    widgets.HBox(
                        [
                            widgets.HTML(
                                f"<b>{html.escape(c.name)}</b>", layout={"width": "160px"}
                            ),
                            widgets.HTML(html.escape(c.semantic_type), layout={"width": "130px"}),
                            dropdown,
                            widgets.HTML(f"{c.confidence:.2f}", layout={"width": "50px"}),
                            widgets.HTML(f"<small>{evidence}</small>"),
                        ]
                    )
                )
            self._chart = widgets.Output()
            super().__init__(children=[*rows, self._chart], **kwargs)
            self.roles = profile.roles()
            self._draw()

        def _changed(self, column: str) -> Any:
            def handler(change: dict[str, Any]) -> None:
                self.profile.set_role(column, change["new"])
                self.roles = self.profile.roles()
                self._draw()

            return handler

        def set_role(self, column: str, role: str) -> None:
            """Same as choosing *role* in the column's dropdown."""
            self._dropdowns[column].value = role

        def _draw(self) -> None:
            if not _in_kernel():
                return
            from IPython.display import display

            self._chart.clear_output(wait=True)
            with self._chart:
                display(sensitivity_chart(self.profile))

    return _ProfileWidget


def ProfileWidget(profile: Any, **kwargs: Any) -> Any:
    """Create the review widget for *profile* (see the module docstring).

    Examples
    --------
    >>> import polars as pl, privlab as pv
    >>> from privlab.widgets import ProfileWidget
    >>> p = pv.profile(pl.DataFrame({"dept": ["a", "b"] * 10, "pay": list(range(20))}))
    >>> w = ProfileWidget(p)
    >>> w.set_role("dept", "quasi_identifier")
    >>> w.profile.column("dept").role, w.roles["dept"]
    ('quasi_identifier', 'quasi_identifier')
    """
    return _profile_widget_class()(profile, **kwargs)
