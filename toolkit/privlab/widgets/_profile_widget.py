"""ProfileWidget: review a profile, one row per column, with a role dropdown bound to it.

A view: changing a dropdown calls :meth:`Profile.set_role`; ``widget.profile``
is the edited Profile for the notebook to continue with. The evidence behind
each call is written as sentences (:func:`describe_evidence`), cut short in the
table with the full text on hover; a badge warns when a column privlab found to
be a direct identifier is demoted (it would then be released as it is).
ipywidgets and altair are imported when the widget is created, never at import.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from privlab.profile import ROLES
from privlab.viz import chart_widget, format_number, sensitivity_chart
from privlab.widgets._chrome import badge, cell, esc, fmt, header

__all__ = ["ProfileWidget", "describe_evidence"]

_SHARE_PHRASES = {
    "pattern_share": "{} of sampled values match the pattern",
    "validator_pass_rate": "{} pass the check rule",
    "name_shape_share": "{} of values are shaped like person names",
    "id_shape_share": "{} of values are shaped like ID codes",
    "census_first_name_share": "{} begin with a common first name (US Census 1990 list)",
    "date_share": "{} of values are dates",
    "health_vocabulary_share": "{} of values use health vocabulary",
}


def _pct(value: Any) -> str:
    return format_number(value, percent=True) if isinstance(value, int | float) else str(value)


def _words(key: str) -> str:
    return key.replace("_", " ")


def _hierarchy(spec: Mapping[str, Any]) -> str:
    kind = spec.get("type", "?")
    rest = "; ".join(
        f"{_words(k)} {', '.join(map(str, v)) if isinstance(v, list) else v}"
        for k, v in spec.items()
        if k != "type"
    )
    return f"suggested generalization: {kind}" + (f" ({rest})" if rest else "")


def describe_evidence(evidence: Mapping[str, Any], *, reason: str | None = None) -> list[str]:
    """The profile's evidence for one column as short sentences for people.

    Known keys get their own sentence (detector matches and check rules, name
    hints, shares of name- or ID-shaped values, PII found in free text with its
    masked examples); any other key is shown as ``"key: value"`` with numbers
    rounded, so new evidence never disappears. *reason* (the profile's own
    explanation), when given, comes first.

    Examples
    --------
    >>> for line in describe_evidence({"name_hint": ["national_id"], "detectors": {"national_id": {
    ...     "validators": ["us_ssn_ranges"], "pattern_share": 1.0, "validator_pass_rate": 0.98}}}):
    ...     print(line)
    the column name suggests national id
    national id: 100.0% of sampled values match the pattern, 98.0% pass the check rule (us ssn...
    """
    out: list[str] = [reason] if reason else []
    for key, value in evidence.items():
        if key == "detectors" and isinstance(value, Mapping):
            for name, found in value.items():
                if not isinstance(found, Mapping):
                    out.append(f"{_words(name)}: {found}")
                    continue
                parts = [
                    _SHARE_PHRASES[k].format(_pct(v))
                    for k, v in found.items()
                    if k in _SHARE_PHRASES
                ]
                checks = found.get("validators")
                if checks and "validator_pass_rate" in found:
                    parts[-1] += f" ({', '.join(_words(c) for c in checks)})"
                parts += [
                    f"{_words(k)}: {_pct(v) if k.endswith('share') else _fmt_any(v)}"
                    for k, v in found.items()
                    if k not in _SHARE_PHRASES and k != "validators"
                ]
                out.append(f"{_words(name)}: {', '.join(parts)}" if parts else _words(name))
        elif key == "name_hint":
            hints = value if isinstance(value, list) else [value]
            out.append(f"the column name suggests {', '.join(_words(str(h)) for h in hints)}")
        elif key == "pii_in_text" and isinstance(value, Mapping):
            for kind, found in value.items():
                share = found.get("share_of_rows") if isinstance(found, Mapping) else found
                examples = found.get("masked_examples", []) if isinstance(found, Mapping) else []
                text = f"{_pct(share)} of rows mention a {_words(kind)}"
                if examples:
                    text += f" (masked: {examples[0]})"
                out.append(text)
        elif key == "hierarchy" and isinstance(value, Mapping):
            out.append(_hierarchy(value))
        elif key in _SHARE_PHRASES:
            out.append(_SHARE_PHRASES[key].format(_pct(value)))
        elif key == "age_span_years":
            out.append(f"the dates span {_fmt_any(value)} years")
        elif key == "mean_tokens":
            out.append(f"{_fmt_any(value)} words per value on average")
        elif key == "vocabulary":
            out.append(f"values are {value}")
        elif key == "quasi_identifier_name" and value is True:
            out.append("the column name is a typical quasi-identifier")
        elif value is True:
            out.append(_words(key))
        elif isinstance(value, Mapping):
            inner = ", ".join(
                f"{_words(k)} {_pct(v) if k.endswith('share') else _fmt_any(v)}"
                for k, v in value.items()
            )
            out.append(f"{_words(key)}: {inner}")
        else:
            shown = _pct(value) if key.endswith("share") else _fmt_any(value)
            out.append(f"{_words(key)}: {shown}")
    return out


def _fmt_any(value: Any) -> str:
    """Numbers rounded for people; lists joined; mappings as ``key value``; else text."""
    if isinstance(value, list):
        return ", ".join(_fmt_any(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_fmt_any(v)}" for k, v in value.items())
    return format_number(value) if isinstance(value, int | float) else str(value)


_WARN_ROLES = ("other", "sensitive", "quasi_identifier")


@functools.cache
def _profile_widget_class() -> type:
    import ipywidgets as widgets
    import traitlets

    class _ProfileWidget(widgets.VBox):
        """A table of columns: name, type, a role dropdown, confidence, evidence, warnings."""

        roles = traitlets.Dict().tag(sync=True)
        warnings = traitlets.List(traitlets.Unicode()).tag(sync=True)

        def __init__(self, profile: Any, **kwargs: Any) -> None:
            self.profile = profile
            self._found = {c.name: (c.role, c.semantic_type) for c in profile.columns}
            self._dropdowns: dict[str, Any] = {}
            self._badges: dict[str, Any] = {}
            self._evidence: dict[str, str] = {}
            cells: list[Any] = [
                widgets.HTML(f"<b>{h}</b>")
                for h in ("column", "type", "role", "confidence", "evidence")
            ]
            for c in profile.columns:
                dropdown = widgets.Dropdown(
                    options=list(ROLES), value=c.role, layout={"width": "170px"}
                )
                dropdown.observe(self._changed(c.name), names="value")
                self._dropdowns[c.name] = dropdown
                sentences = describe_evidence(c.evidence, reason=getattr(c, "reason", None))
                if not sentences:  # the values alone decided; say so rather than nothing
                    kind = c.semantic_type.replace("_", " ")
                    sentences = [f"recognised as {kind} from its values"]
                self._evidence[c.name] = cell("; ".join(sentences), limit=110)
                self._badges[c.name] = widgets.HTML()
                cells += [
                    widgets.HTML(f"<b title='{esc(c.name)}'>{esc(c.name)}</b>"),
                    widgets.HTML(esc(c.semantic_type.replace("_", " "))),
                    dropdown,
                    widgets.HTML(
                        f"<span title='{c.confidence!r}'>{fmt(c.confidence, digits=2)}</span>"
                    ),
                    self._badges[c.name],
                ]
            grid = widgets.GridBox(
                cells,
                layout=widgets.Layout(
                    grid_template_columns="minmax(7rem, 11rem) 7rem 175px 5rem minmax(14rem, 1fr)",
                    grid_gap="2px 10px",
                    align_items="center",
                    width="100%",
                ),
            )
            self._summary = widgets.HTML()
            self._chart = chart_widget()
            super().__init__(
                children=[
                    widgets.HTML(
                        header(
                            "Profile review",
                            "One row per column: the role privlab found, how sure it is and "
                            "why (hover for the full evidence). Change a role in its dropdown; "
                            "widget.profile is the edited profile.",
                        )
                    ),
                    self._summary,
                    grid,
                    self._chart,
                ],
                layout={"width": "100%"},
                **kwargs,
            )
            self.roles = profile.roles()
            self._refresh()

        def _changed(self, column: str) -> Any:
            def handler(change: dict[str, Any]) -> None:
                self.profile.set_role(column, change["new"])
                self.roles = self.profile.roles()
                self._refresh()

            return handler

        def set_role(self, column: str, role: str) -> None:
            """Same as choosing *role* in the column's dropdown."""
            self._dropdowns[column].value = role

        def _refresh(self) -> None:
            warnings: list[str] = []
            for c in self.profile.columns:
                found_role, kind = self._found[c.name]
                html = ""
                if found_role == "direct_identifier" and c.role in _WARN_ROLES:
                    text = f"{kind.replace('_', ' ')} demoted to {c.role.replace('_', ' ')}"
                    warnings.append(f"{c.name}: {text}")
                    html = badge(
                        text,
                        level="danger",
                        title=f"privlab found {c.name} to be a direct identifier ({kind}); as "
                        f"'{c.role}' it is released as it is unless a recipe step removes it",
                    )
                elif c.overridden:
                    html = badge("changed by you", level="info")
                evidence = self._evidence[c.name]
                self._badges[
                    c.name
                ].value = f"<div style='line-height:1.3'>{html}<small>{evidence}</small></div>"
            self.warnings = warnings
            counts = {r: sum(1 for v in self.roles.values() if v == r) for r in ROLES}
            parts = [
                badge(f"{n} {r.replace('_', ' ')}{'s' * (n != 1)}", level="info")
                for r, n in counts.items()
                if n
            ]
            parts += [badge(w, level="danger") for w in warnings]
            self._summary.value = "".join(parts)
            #: The chart shown under the table (an un-displayed Altair chart).
            self.chart = sensitivity_chart(self.profile)
            self._chart.chart = self.chart

    return _ProfileWidget


def ProfileWidget(profile: Any, **kwargs: Any) -> Any:
    """Create the review widget for *profile* (see the module docstring).

    Parameters
    ----------
    profile:
        A :class:`~privlab.profile.Profile`; the widget edits it in place.
    **kwargs:
        Passed to ``ipywidgets.VBox``.

    Returns
    -------
    ipywidgets.VBox
        With traits ``roles`` (column → role) and ``warnings`` (demoted direct
        identifiers), a ``set_role(column, role)`` method and ``profile``.

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
