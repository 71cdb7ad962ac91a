"""A self-contained HTML report: tables and Altair charts, working offline.

The Vega, Vega-Lite and Vega-Embed runtime comes from ``vl-convert-python``'s
bundled JavaScript and is inlined in the page together with every chart spec,
so the file opens without network access and without a CDN. Charts can also be
exported one by one as PNG or SVG (:func:`save_chart`).

:func:`report` accepts a :class:`~privlab.tradeoff.Tradeoff`, an anonymization
``Release``, a :class:`~privlab.synth.Synthetic`, a
:class:`~privlab.governance.Governance`, a :class:`Report` you built yourself, or
a list of those (one section each).

Examples
--------
>>> import tempfile, pathlib, altair as alt
>>> from privlab.report import Report
>>> rep = Report("Demo").add_text("Hello").add_table("t", [{"a": 1}])
>>> rep = rep.add_chart("c", alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q"))
>>> path = rep.write(pathlib.Path(tempfile.mkdtemp()) / "r.html")
>>> "<script" in path.read_text() and "cdn" not in path.read_text().lower()
True
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from privlab._version import __version__
from privlab.governance import governance_dashboard
from privlab.io import atomic_path, check_outputs, write_text
from privlab.tradeoff import Tradeoff
from privlab.viz import (
    column_chart,
    epsilon_error_chart,
    k_loss_chart,
    privacy_risk_chart,
    quality_chart,
    tradeoff_chart,
)

__all__ = ["Report", "report", "save_chart"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#222;line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}
h3{margin-top:1.4rem}.meta{color:#666;font-size:.9rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.88rem}
th,td{border:1px solid #ddd;padding:.25rem .55rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.chart{margin:1rem 0}.note{color:#555;font-size:.9rem}
"""


@lru_cache(maxsize=1)
def _runtime() -> str:
    import vl_convert as vlc

    bundle = str(vlc.javascript_bundle())  # type: ignore[call-arg]  # default snippet: globals
    return bundle.replace("</script", "<\\/script")


def _chart_spec(chart: Any) -> dict[str, Any]:
    spec: dict[str, Any] = chart.to_dict() if hasattr(chart, "to_dict") else dict(chart)
    return spec


def _fmt(value: Any) -> tuple[str, bool]:
    if value is None:
        return "—", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, float):
        return (f"{value:.4g}" if abs(value) < 1e6 else f"{value:,.0f}"), True
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, default=str, ensure_ascii=False), False
    return str(value), False


@dataclass
class Report:
    """A report under construction: text, tables and charts, in order."""

    title: str
    sections: list[tuple[str, Any]] = field(default_factory=list)

    def add_heading(self, text: str, level: int = 2) -> Report:
        """Add a heading (``<h2>`` by default); returns the report."""
        self.sections.append(("heading", (text, level)))
        return self

    def add_text(self, text: str) -> Report:
        """Add a paragraph of text (HTML-escaped); returns the report."""
        self.sections.append(("text", text))
        return self

    def add_table(self, caption: str, rows: Any) -> Report:
        """*rows*: a polars DataFrame, a list of dicts, or one dict (shown as key/value)."""
        if hasattr(rows, "to_dicts"):
            rows = rows.to_dicts()
        elif isinstance(rows, Mapping):
            rows = [{"measure": k, "value": v} for k, v in rows.items()]
        self.sections.append(("table", (caption, list(rows))))
        return self

    def add_chart(self, caption: str, chart: Any) -> Report:
        """Add an Altair chart (or a Vega-Lite spec dict) under *caption*; returns the report."""
        self.sections.append(("chart", (caption, _chart_spec(chart))))
        return self

    def charts(self) -> list[tuple[str, dict[str, Any]]]:
        """The ``(caption, Vega-Lite spec)`` of every chart added, in order."""
        return [payload for kind, payload in self.sections if kind == "chart"]

    def to_html(self) -> str:
        """The whole page as one string."""
        parts = [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>{html.escape(self.title)}</title><style>{_CSS}</style>",
            f"<script>{_runtime()}</script></head><body>",
            f"<h1>{html.escape(self.title)}</h1>",
            f"<p class='meta'>privlab {__version__} · generated "
            f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}</p>",
        ]
        specs: list[dict[str, Any]] = []
        for kind, payload in self.sections:
            if kind == "heading":
                text, level = payload
                parts.append(f"<h{level}>{html.escape(text)}</h{level}>")
            elif kind == "text":
                parts.append(f"<p class='note'>{html.escape(payload)}</p>")
            elif kind == "table":
                caption, rows = payload
                parts.append(f"<h3>{html.escape(caption)}</h3>")
                parts.append(_table(rows))
            else:
                caption, spec = payload
                idx = len(specs)
                specs.append(spec)
                parts.append(
                    f"<div class='chart'><h3>{html.escape(caption)}</h3>"
                    f"<div id='chart-{idx}' class='vega-chart'></div></div>"
                )
        data = json.dumps(specs, default=str).replace("</", "<\\/")
        parts.append(f"<script id='privlab-specs' type='application/json'>{data}</script>")
        parts.append(
            "<script>const specs=JSON.parse(document.getElementById('privlab-specs').textContent);"
            "window.privlabRendered=Promise.all(specs.map((s,i)=>vegaEmbed('#chart-'+i,s,"
            "{renderer:'svg',actions:false})));</script></body></html>"
        )
        return "".join(parts)

    def write(self, path: str | Path, *, sources: Sequence[str | Path] = ()) -> Path:
        """Write the page atomically; *path* may not be one of *sources* (the output guard).

        The folder must exist (privlab never creates folders implicitly).
        """
        target = Path(path)
        check_outputs([("path", target)], [("source", s) for s in sources])
        return write_text(target, self.to_html())


def _table(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return "<p class='note'>(none)</p>"
    columns = list(dict.fromkeys(k for row in rows for k in row))
    out = ["<table><thead><tr>"]
    out += [f"<th>{html.escape(str(c))}</th>" for c in columns]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for c in columns:
            text, numeric = _fmt(row.get(c))
            cls = " class='num'" if numeric else ""
            out.append(f"<td{cls}>{html.escape(text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def save_chart(chart: Any, path: str | Path, *, scale: float = 2.0) -> Path:
    """Export one chart as PNG or SVG (by extension) through vl-convert, offline.

    Examples
    --------
    >>> import tempfile, pathlib, altair as alt
    >>> chart = alt.Chart(alt.Data(values=[{"x": 1}, {"x": 2}])).mark_point().encode(x="x:Q")
    >>> path = save_chart(chart, pathlib.Path(tempfile.mkdtemp()) / "points.svg")
    >>> path.read_text().startswith("<svg")
    True
    """
    import vl_convert as vlc

    target = Path(path)
    check_outputs([("path", target)])
    spec = _chart_spec(chart)
    if target.suffix.lower() == ".svg":
        write_text(target, vlc.vegalite_to_svg(spec))
    elif target.suffix.lower() == ".png":
        with atomic_path(target) as tmp:
            tmp.write_bytes(vlc.vegalite_to_png(spec, scale=scale))
    else:
        raise ValueError(f"export charts as .png or .svg, got {target.suffix!r}")
    return target


def _sections_for(rep: Report, obj: Any) -> None:
    """Append the sections describing one object."""
    if isinstance(obj, Report):
        rep.sections.extend(obj.sections)
    elif isinstance(obj, Tradeoff):
        _tradeoff_sections(rep, obj)
    elif type(obj).__name__ == "Synthetic":
        _synthetic_sections(rep, obj)
    elif type(obj).__name__ == "Governance":
        _governance_sections(rep, obj)
    elif hasattr(obj, "manifest") and hasattr(obj, "report"):
        _release_sections(rep, obj)
    else:
        raise TypeError(
            f"cannot report on {type(obj).__name__}; pass a Tradeoff, Release, Synthetic, "
            "Governance or Report"
        )


def _tradeoff_sections(rep: Report, t: Any) -> None:

    rep.add_heading("Privacy–utility trade-off")
    for note in t.notes:
        rep.add_text(note)
    rep.add_chart("Frontier: released microdata, and DP answers", tradeoff_chart(t))
    rep.add_table(
        "Risk and utility of every release",
        t.points.select(
            "label",
            "technique",
            "advantage",
            "advantage_lo",
            "advantage_hi",
            "attack_success",
            "attack_non_member",
            "prosecutor_max",
            "workload_error",
            "ml_relative",
            "suppressed",
            "loss",
            "pareto",
        ),
    )
    if t.points.filter(t.points["technique"] == "k-anonymity").height:
        rep.add_chart("k against information loss", k_loss_chart(t))
    if t.dp.height:
        rep.add_chart("ε against expected error", epsilon_error_chart(t))
        rep.add_table("Differential privacy (expected, nothing spent)", t.dp)
    rep.add_table("Workload", t.workload.describe())
    front = [lbl for lbl, on in zip(t.points["label"], t.points["pareto"], strict=True) if on]
    pick = next((lbl for lbl in front if lbl != "original"), None)
    if pick is not None and t.quasi_identifiers:
        # the QI with the fewest bins makes the most readable comparison
        column = min(
            t.quasi_identifiers,
            key=lambda q: (
                t.workload.original[q].n_unique()
                if t.workload.bins[q].kind == "category"
                else 10**6
            ),
        )
        rep.add_chart(f"Release vs original: {column}", column_chart(t, pick, column))


def _release_sections(rep: Report, release: Any) -> None:
    rep.add_heading("Anonymized release")
    manifest = release.manifest
    manifest = manifest.to_dict() if hasattr(manifest, "to_dict") else dict(manifest)
    report_ = release.report.to_dict() if hasattr(release.report, "to_dict") else release.report
    risk = report_.get("risk") or {}
    utility = report_.get("utility") or {}
    rep.add_table("Risk", {k: v for k, v in risk.items() if k != "class_sizes"})
    rep.add_table("Utility", {k: v for k, v in utility.items() if k != "columns"})
    lineage = manifest.get("lineage") or manifest.get("columns") or {}
    rep.add_table(
        "Lineage (source → operations → output)",
        [
            {
                "output": col,
                "sources": ", ".join(info.get("sources", [col]))
                if isinstance(info, Mapping)
                else col,
                "operations": " → ".join(info.get("operations", []))
                if isinstance(info, Mapping)
                else str(info),
            }
            for col, info in lineage.items()
        ],
    )
    rep.add_table(
        "Manifest", {k: v for k, v in manifest.items() if k not in ("lineage", "columns")}
    )


def _synthetic_sections(rep: Report, syn: Any) -> None:
    rep.add_heading("Synthetic data")
    manifest = syn.manifest()
    rep.add_table("Model", {k: manifest.get(k) for k in ("model", "seed", "rows", "timings")})
    if syn.report is not None:
        rep.add_table("Quality and privacy", syn.report.summary())
        try:
            rep.add_chart("Quality", quality_chart(syn.report))
            rep.add_chart("Privacy risk", privacy_risk_chart(syn.report))
        except (AttributeError, TypeError, KeyError):
            pass


def _governance_sections(rep: Report, gov: Any) -> None:

    rep.add_heading("Governance")
    rep.add_table(
        "Mode and policy",
        {
            "mode": gov.mode,
            "policy": gov.policy.name,
            **gov.policy.rules.model_dump(exclude_none=True),
        },
    )
    rep.add_table(
        "Catalog",
        [
            {"dataset": d.name, "status": d.status, "owner": d.owner, "purpose": d.purpose}
            for d in gov.datasets()
        ],
    )
    rep.add_table(
        "Releases and policy checks",
        [
            {
                "release": r.id,
                "dataset": r.dataset,
                "kind": r.kind,
                "policy passed": r.policy.get("passed"),
                "violations": ", ".join(v["rule"] for v in r.policy.get("violations", [])),
                "expires": r.expires_at,
            }
            for r in gov.releases()
        ],
    )
    verify = gov.audit.verify()
    rep.add_table(
        "Audit log",
        {
            "records": verify.records,
            "chain": verify.chain_ok,
            "signed head": verify.signature,
            "witness": verify.witness,
        },
    )
    rep.add_chart("Governance dashboard", governance_dashboard(gov))


def report(
    obj: Any,
    path: str | Path,
    *,
    title: str = "privlab report",
    sources: Sequence[str | Path] = (),
) -> Path:
    """Write a self-contained HTML report of *obj* (or a list of objects) to *path*.

    *obj* is a :class:`~privlab.tradeoff.Tradeoff`, an anonymization ``Release``,
    a :class:`~privlab.synth.Synthetic`, a :class:`~privlab.governance.Governance`,
    a :class:`Report`, or a list of those (one section each). *path* may not be a
    file the reported objects were read from (their ``sources``) nor one of
    *sources*: that is refused before anything is computed or written. Its
    folder must exist.

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl, privlab as pv
    >>> data = pl.DataFrame({"age": [31, 32, 33, 34, 51, 52], "sex": ["F", "M"] * 3})
    >>> recipe = {"privacy": {"k": 2, "quasi_identifiers": ["age", "sex"], "hierarchies": {
    ...     "age": {"type": "interval", "widths": [5]}, "sex": {"type": "suppress"}}}}
    >>> release = pv.anonymize(data, recipe, progress=False)
    >>> path = report(release, pathlib.Path(tempfile.mkdtemp()) / "release.html", title="k=2")
    >>> "<title>k=2</title>" in path.read_text()
    True
    """
    items = list(obj) if isinstance(obj, list | tuple) else [obj]
    inputs = [*sources, *(p for item in items for p in getattr(item, "sources", ()) or ())]
    check_outputs([("path", Path(path))], [("source", s) for s in inputs])
    rep = Report(title)
    for item in items:
        _sections_for(rep, item)
    return rep.write(path, sources=inputs)
