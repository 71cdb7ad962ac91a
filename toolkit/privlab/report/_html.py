"""A self-contained HTML report: tables and Altair charts, working offline.

The Vega, Vega-Lite and Vega-Embed runtime comes from ``vl-convert-python``'s
bundled JavaScript and is inlined in the page together with every chart spec,
so the file opens without network access and without a CDN. Charts can also be
exported one by one as PNG or SVG (:func:`save_chart`, the same function as
:func:`privlab.viz.save_chart`).

Sections are written for people: figures as tables with numbers rounded (the
full value on hover), what they mean in a sentence, and long technical details
(a release's manifest) folded into a collapsible block. Single charts take the
page's width.

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
from privlab.governance import governance_dashboard
from privlab.io import check_outputs, write_text
from privlab.release import Gate, authorize
from privlab.tradeoff import Tradeoff
from privlab.viz import (
    chart_rows,
    check_published,
    column_chart,
    epsilon_error_chart,
    format_number,
    k_loss_chart,
    privacy_risk_chart,
    quality_chart,
    save_chart,
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
td table{margin:0;font-size:.82rem}
.chart{margin:1rem 0}.vega-chart{width:100%}.note{color:#555;font-size:.9rem}
p.prose{max-width:52rem}
details{margin:.8rem 0}summary{cursor:pointer;font-weight:600}
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
    """(text for people, is it a number) — floats rounded, full value kept for the title."""
    if value is None:
        return "—", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int | float) or type(value).__module__ == "numpy":
        try:
            return format_number(float(value) if not isinstance(value, int) else value), True
        except (TypeError, ValueError):
            return str(value), False
    return str(value), False


def _cell(value: Any) -> tuple[str, bool]:
    """One table cell as HTML: nested mappings and lists of records become inner tables."""
    if isinstance(value, Mapping):
        if not value:
            return "—", False
        return _table([{"key": k, "value": v} for k, v in value.items()], header=False), False
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, Mapping) for v in value):
            return _table(list(value)), False
        return html.escape(", ".join(_fmt(v)[0] for v in value)) or "—", False
    text, numeric = _fmt(value)
    if numeric and isinstance(value, float) and text != repr(value):
        return f"<span title='{html.escape(repr(value))}'>{html.escape(text)}</span>", True
    return html.escape(text), numeric


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

    def add_details(self, summary: str, rows: Any) -> Report:
        """A collapsible table (closed by default) for details few readers need."""
        if isinstance(rows, Mapping):
            rows = [{"key": k, "value": v} for k, v in rows.items()]
        self.sections.append(("details", (summary, list(rows))))
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
                parts.append(f"<p class='prose'>{html.escape(payload)}</p>")
            elif kind == "table":
                caption, rows = payload
                parts.append(f"<h3>{html.escape(caption)}</h3>")
                parts.append(_table(rows))
            elif kind == "details":
                summary, rows = payload
                parts.append(
                    f"<details><summary>{html.escape(summary)}</summary>{_table(rows)}</details>"
                )
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
                out[f"chart {caption}"] = chart_rows(spec)
        return out

    def write(
        self,
        path: str | Path,
        *,
        sources: Sequence[pl.DataFrame] = (),
        inputs: Sequence[str | Path] = (),
        keep: Mapping[str, str] | None = None,
        governance: Gate | None = None,
    ) -> Path:
        """Write the page atomically, after the role check and the release guard.

        Publishing a report is a release (CONTRACTS.md "Roles": an analyst in
        governed mode): *governance* — default: the configured store's gate, if a
        store exists (:func:`privlab.release.authorize`) — authorizes
        ``"release"`` before anything is checked or written; a denial raises
        :class:`~privlab.exceptions.AccessDeniedError` and is audited.

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
        authorize("release", governance=governance)
        return self._write(Path(path), sources=sources, inputs=inputs, keep=keep)

    def _write(
        self,
        path: Path,
        *,
        sources: Sequence[pl.DataFrame],
        inputs: Sequence[str | Path],
        keep: Mapping[str, str] | None,
    ) -> Path:
        """:meth:`write` once the role is checked: output guard, release guard, atomic write."""
        check_outputs([("path", path)], [("source", s) for s in inputs])
        check_published(self.published_tables(), sources=sources, keep=keep)
        return write_text(path, self.to_html())


def _table(rows: Sequence[Mapping[str, Any]], *, header: bool = True) -> str:
    if not rows:
        return "<p class='note'>(none)</p>"
    columns = list(dict.fromkeys(k for row in rows for k in row))
    out = ["<table>"]
    if header:
        out.append("<thead><tr>")
        out += [f"<th>{html.escape(str(c))}</th>" for c in columns]
        out.append("</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        out.append("<tr>")
        for c in columns:
            text, numeric = _cell(row.get(c))
            cls = " class='num'" if numeric else ""
            out.append(f"<td{cls}>{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


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


def _pick(t: Any) -> str | None:
    """The release the report highlights: the first Pareto-optimal one besides the original."""
    front = [lbl for lbl, on in zip(t.points["label"], t.points["pareto"], strict=True) if on]
    return next((lbl for lbl in front if lbl != "original"), None)


def _tradeoff_sections(rep: Report, t: Any) -> None:
    rep.add_heading("Privacy–utility trade-off")
    for note in t.notes:
        rep.add_text(note)
    pick = _pick(t)
    if pick is not None:
        rep.add_text(
            f"Each release is measured on the same axes: a linkage attacker's success at "
            f"learning the sensitive value of people in the release (who knows their "
            f"quasi-identifiers) minus their success on real people who are not, with a 95 % "
            f"interval, and the error on a fixed workload of counts and means. Lower-left is "
            f"better; the ringed point, {pick}, is the first release on the Pareto front."
        )
    rep.add_chart("Frontier: released microdata, and DP answers", tradeoff_chart(t, highlight=pick))
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
            "identified",
            "risk",
            "workload_error",
            "ml_relative",
            "suppressed",
            "loss",
            "pareto",
        ).rename(
            {
                "advantage": "attack advantage",
                "advantage_lo": "95 % CI low",
                "advantage_hi": "95 % CI high",
                "attack_success": "success on members",
                "attack_non_member": "success on non-members",
                "prosecutor_max": "max prosecutor risk",
                "identified": "members re-identified",
                "risk": "front risk (CI high or re-identified)",
                "workload_error": "workload error",
                "ml_relative": "ML accuracy vs original",
                "loss": "information loss",
                "pareto": "on the Pareto front",
            }
        ),
    )
    ks = t.points.filter(pl.col("technique") == "k-anonymity")
    if ks.height:
        chosen = ks.filter(pl.col("label") == pick) if pick is not None else ks.clear()
        k = int(chosen["param"][0]) if chosen.height else None
        rep.add_chart("k against information loss", k_loss_chart(t, highlight=k))
    if t.dp.height:
        rep.add_chart("ε against expected error", epsilon_error_chart(t))
        rep.add_table(
            "Differential privacy (expected, nothing spent)",
            t.dp.rename(
                {
                    "expected_error": "expected workload error",
                    "per_query_epsilon": "ε per query",
                },
                strict=False,
            ),
        )
    workload = t.workload.describe()
    rep.add_details(
        "Workload (the questions every release is scored on)",
        {
            key: ", ".join(f"{k} ({v})" for k, v in value.items())
            if isinstance(value, Mapping)
            else value
            for key, value in workload.items()
        },
    )
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
        rep.add_chart(f"Release {pick} vs original: {column}", column_chart(t, pick, column))


def _percent(value: Any) -> str | None:
    return None if value is None else format_number(value, percent=True)


def _risk_prose(risk: Mapping[str, Any]) -> str:
    k = risk.get("k")
    qis = ", ".join(risk.get("quasi_identifiers") or []) or "the quasi-identifiers"
    prosecutor = risk.get("prosecutor_risk") or {}
    fmt = format_number
    if k is None:
        return "No quasi-identifiers were declared, so no re-identification risk was measured."
    lead = (
        f"Every released record shares its values of {qis} with at least {fmt(k - 1)} other "
        f"records (k = {fmt(k)})."
        if k > 1
        else f"Some released records are unique on {qis} (k = 1)."
    )
    return (
        f"{lead} An attacker who knows a person's {qis} and that the person is in the release "
        f"(the prosecutor model) picks the right record with probability at most "
        f"{fmt(prosecutor.get('max'))}, {fmt(prosecutor.get('avg'))} on average; "
        f"{format_number(risk.get('unique_share'), percent=True)} of records are unique."
    )


def _release_sections(rep: Report, release: Any) -> None:
    rep.add_heading("Anonymized release")
    manifest = release.manifest
    manifest = manifest.to_dict() if hasattr(manifest, "to_dict") else dict(manifest)
    report_ = release.report.to_dict() if hasattr(release.report, "to_dict") else release.report
    risk = report_.get("risk") or {}
    utility = report_.get("utility") or {}
    rep.add_text(_risk_prose(risk))
    rep.add_table(
        "Risk",
        {
            "k (smallest class)": risk.get("k"),
            "ℓ (sensitive values per class)": risk.get("l"),
            "t (closeness)": risk.get("t"),
            "max prosecutor risk": (risk.get("prosecutor_risk") or {}).get("max"),
            "average prosecutor risk": (risk.get("prosecutor_risk") or {}).get("avg"),
            "unique records": _percent(risk.get("unique_share")),
            "equivalence classes": risk.get("classes"),
            "records": risk.get("records"),
        },
    )
    if utility:
        rep.add_text(
            f"Information loss {format_number(utility.get('loss'))} (ARX's Loss: 0 = nothing "
            f"generalized, 1 = everything suppressed); "
            f"{format_number(utility.get('suppression_rate'), percent=True)} of records "
            "suppressed."
        )
        rep.add_table(
            "Utility",
            {
                "information loss (0–1)": utility.get("loss"),
                "loss per column": utility.get("loss_per_column"),
                "records suppressed": _percent(utility.get("suppression_rate")),
                "released records": utility.get("released_records"),
                "average class size": utility.get("avg_class_size"),
                "discernibility": utility.get("discernibility"),
            },
        )
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
    rep.add_details(
        "Manifest details (recipe, fingerprints, keys' sources — never a key)",
        {k: v for k, v in manifest.items() if k not in ("lineage", "columns")},
    )


_SYNTH_MEASURES = {
    "quality_score": "quality (SDMetrics, 1 = same distributions)",
    "column_shapes": "column shapes",
    "column_pair_trends": "column pair trends",
    "diagnostic_score": "diagnostic (SDMetrics)",
    "exact_copy_rate": "exact copies of training rows",
    "holdout_copy_rate": "exact copies of held-out rows",
    "pii_replay": "real identifier values replayed",
    "dcr_overfitting_protection": "DCR overfitting protection",
    "dcr_baseline_protection": "DCR baseline protection",
    "singling_out_risk": "singling-out risk",
    "linkability_risk": "linkability risk",
    "inference_risk": "inference risk",
    "privacy_risk": "privacy risk (worst attack)",
}


def _synthetic_sections(rep: Report, syn: Any) -> None:
    rep.add_heading("Synthetic data")
    manifest = syn.manifest()
    rep.add_table(
        "Model",
        {
            "model": manifest.get("model"),
            "seed": manifest.get("seed"),
            "rows": manifest.get("rows"),
            "seconds": manifest.get("timings"),
        },
    )
    if syn.report is not None:
        summary = syn.report.summary()
        rep.add_text(
            "Attack risks are the excess success of each attack on the training rows over the "
            "same attack on rows held out of fitting (Anonymeter's method): 0 means the "
            "synthetic data helps the attacker no more than data about other people would."
        )
        rep.add_table(
            "Quality and privacy",
            [
                {"measure": _SYNTH_MEASURES.get(k, k.replace("_", " ")), "value": v}
                for k, v in summary.items()
            ],
        )
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
    governance: Gate | None = None,
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
    column on purpose. Publishing needs the ``"release"`` role first (an analyst
    in governed mode; *governance* as for :meth:`Report.write`).

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
    authorize("release", governance=governance)  # before the sections are computed
    items = list(obj) if isinstance(obj, list | tuple) else [obj]
    files = [*inputs, *(p for item in items for p in getattr(item, "sources", ()) or ())]
    check_outputs([("path", Path(path))], [("source", s) for s in files])
    rep = Report(title)
    for item in items:
        _sections_for(rep, item)
    frames = [s for s in (_source_of(item) for item in items) if s is not None]
    return rep._write(Path(path), sources=frames, inputs=files, keep=keep)  # role checked above


def _source_of(obj: Any) -> pl.DataFrame | None:
    """The table a reported object was made from, when it carries one."""
    if isinstance(obj, Tradeoff):
        original = getattr(obj.workload, "original", None)
        return original if isinstance(original, pl.DataFrame) else None
    if hasattr(obj, "release_facts"):  # an anonymization Release or a Synthetic
        source = obj.release_facts().source
        return source if isinstance(source, pl.DataFrame) else None
    return None
