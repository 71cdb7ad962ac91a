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

import polars as pl

from privlab._version import __version__
from privlab.exceptions import PolicyViolationError
from privlab.governance import governance_dashboard
from privlab.guard import GuardReport, inspect_published
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

__all__ = ["Report", "check_published", "report", "save_chart"]

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

    def published_tables(self) -> dict[str, list[Mapping[str, Any]]]:
        """Everything data-derived the page shows: its tables and its charts' data rows."""
        out: dict[str, list[Mapping[str, Any]]] = {}
        for kind, payload in self.sections:
            if kind == "table":
                caption, rows = payload
                out[f"table {caption}"] = list(rows)
            elif kind == "chart":
                caption, spec = payload
                out[f"chart {caption}"] = _chart_rows(spec)
        return out

    def write(
        self,
        path: str | Path,
        *,
        sources: Sequence[pl.DataFrame] = (),
        inputs: Sequence[str | Path] = (),
        keep: Mapping[str, str] | None = None,
    ) -> Path:
        """Write the page atomically, after the release guard has read it.

        *path* may not be one of *inputs* (the files the report was made from: the
        output guard), and its folder must exist (privlab never creates folders
        implicitly).

        The guard (:func:`privlab.guard.inspect_published`) looks for e-mails,
        phones, national IDs, IBANs, cards and IP addresses in every text cell of
        the tables and charts, and for any value of the identifying columns of
        *sources* (the tables the report describes). A finding raises
        :class:`~privlab.exceptions.PolicyViolationError` and writes nothing, unless
        its column is kept with a reason (*keep*: ``{column: reason}``).
        """
        check_outputs([("path", Path(path))], [("source", s) for s in inputs])
        check_published(self.published_tables(), sources=sources, keep=keep)
        return write_text(Path(path), self.to_html())


def _chart_rows(spec: Any) -> list[Mapping[str, Any]]:
    """The inline data rows of a Vega-Lite spec (``datasets``, ``data.values``, nested)."""
    rows: list[Mapping[str, Any]] = []
    if isinstance(spec, Mapping):
        for key, value in spec.items():
            if key == "datasets" and isinstance(value, Mapping):
                for values in value.values():
                    rows.extend(v for v in values if isinstance(v, Mapping))
            elif key == "values" and isinstance(value, list):
                rows.extend(v for v in value if isinstance(v, Mapping))
            else:
                rows.extend(_chart_rows(value))
    elif isinstance(spec, list):
        for item in spec:
            rows.extend(_chart_rows(item))
    return rows


def check_published(
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    sources: Sequence[pl.DataFrame] = (),
    keep: Mapping[str, str] | None = None,
) -> GuardReport:
    """Run the release guard on what a report or chart publishes; raise when it refuses.

    Examples
    --------
    >>> check_published({"summary": [{"k": 5, "records": 100}]}).ok
    True
    >>> check_published({"contacts": [{"who": "ann.lee@example.com"}]})
    Traceback (most recent call last):
    ...
    privlab.exceptions.PolicyViolationError: the release guard refused the report: ...
    """
    found: Sequence[pl.DataFrame | None] = list(sources) or [None]
    reports = [inspect_published(tables, source=source, keep=keep) for source in found]
    blocking = [f for r in reports for f in r.blocking]
    if blocking:
        raise PolicyViolationError(
            "the release guard refused the report: "
            + "; ".join(dict.fromkeys(f.message for f in blocking))
            + ". Nothing was written; leave those columns out of the report, or keep one on "
            "purpose with keep={column: reason}",
            blocking,
        )
    return reports[0]


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


def save_chart(
    chart: Any, path: str | Path, *, scale: float = 2.0, keep: Mapping[str, str] | None = None
) -> Path:
    """Export one chart as PNG or SVG (by extension) through vl-convert, offline.

    The chart's data passes the release guard first (see :meth:`Report.write`).

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
    check_published({"chart": _chart_rows(spec)}, keep=keep)
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
    keep: Mapping[str, str] | None = None,
    inputs: Sequence[str | Path] = (),
) -> Path:
    """Write a self-contained HTML report of *obj* (or a list of objects) to *path*.

    *obj* is a :class:`~privlab.tradeoff.Tradeoff`, an anonymization ``Release``,
    a :class:`~privlab.synth.Synthetic`, a :class:`~privlab.governance.Governance`,
    a :class:`Report`, or a list of those (one section each). *path* may not be a
    file the reported objects were read from (their ``sources``) nor one of
    *inputs*: that is refused before anything is computed or written. Its folder
    must exist.

    The page passes the release guard before it is written (see
    :meth:`Report.write`): no e-mail, phone, national ID, IBAN, card or IP address
    in its tables and charts, and no value of the identifying columns of the
    tables the objects were made from. *keep* (``{column: reason}``) publishes a
    column on purpose.

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
    files = [*inputs, *(p for item in items for p in getattr(item, "sources", ()) or ())]
    check_outputs([("path", Path(path))], [("source", s) for s in files])
    rep = Report(title)
    for item in items:
        _sections_for(rep, item)
    frames = [s for s in (_source_of(item) for item in items) if s is not None]
    return rep.write(path, sources=frames, inputs=files, keep=keep)


def _source_of(obj: Any) -> pl.DataFrame | None:
    """The table a reported object was made from, when it carries one."""
    if isinstance(obj, Tradeoff):
        original = getattr(obj.workload, "original", None)
        return original if isinstance(original, pl.DataFrame) else None
    if hasattr(obj, "release_facts"):  # an anonymization Release or a Synthetic
        source = obj.release_facts().source
        return source if isinstance(source, pl.DataFrame) else None
    return None
