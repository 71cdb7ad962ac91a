"""HTML report: self-contained, rendered in a real browser (Debian chromium)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import altair as alt
import polars as pl
import pytest

import privlab as pv
from privlab.report import Report, save_chart

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")


def small_report(path: Path) -> Path:
    rows = [{"x": i, "y": i * i, "g": "ab"[i % 2]} for i in range(10)]
    chart = alt.Chart(alt.Data(values=rows)).mark_line().encode(x="x:Q", y="y:Q", color="g:N")
    rep = (
        Report("Test <report>")
        .add_text("a & b")
        .add_table("Figures", pl.DataFrame({"name": ["<script>x</script>"], "k": [5]}))
        .add_chart("Line", chart)
        .add_chart(
            "Bars", alt.Chart(alt.Data(values=rows)).mark_bar().encode(x="g:N", y="sum(y):Q")
        )
    )
    return rep.write(path)


def test_report_is_self_contained_and_escaped(tmp_path: Path) -> None:
    text = small_report(tmp_path / "r.html").read_text()
    assert "http://" not in text.replace("http://www.w3.org", "")
    assert "https://cdn" not in text
    assert "vegaEmbed" in text
    assert "&lt;script&gt;x&lt;/script&gt;" in text  # table values escaped
    assert "Test &lt;report&gt;" in text


def test_chart_export_png_and_svg(tmp_path: Path) -> None:
    chart = alt.Chart(alt.Data(values=[{"a": 1}])).mark_point().encode(x="a:Q")
    png = save_chart(chart, tmp_path / "c.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in save_chart(chart, tmp_path / "c.svg").read_text()
    with pytest.raises(ValueError, match=r"png or \.svg"):
        save_chart(chart, tmp_path / "c.gif")


def test_report_of_unknown_object_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="cannot report on int"):
        pv.report(3, tmp_path / "x.html")


@pytest.mark.browser
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        message = "Debian chromium is not installed (.ci/run installs it: apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CONTRACTS.md: in CI a browser test fails, never skips
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    rows = [
        {"age": a, "sex": s, "dx": d}
        for a, s, d in zip(range(20, 80), ["F", "M"] * 30, ["a", "b", "c"] * 20, strict=False)
    ] * 4
    data = pl.DataFrame(rows)
    tradeoff = pv.tradeoff(
        data,
        profile={"age": "quasi_identifier", "sex": "quasi_identifier", "dx": "sensitive"},
        candidates={"k": [2, 5], "l": [], "epsilon": [1.0, 2.0], "synthetic": []},
        targets=60,
        progress=False,
    )
    path = pv.report([tradeoff, pv.Governance()], tmp_path / "report.html")
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        assert page.evaluate("() => window.privlabRendered.then(() => true)")
        charts = page.locator(".vega-chart")
        assert charts.count() >= 4
        for i in range(charts.count()):
            assert charts.nth(i).locator("svg, canvas").count() >= 1, f"chart {i} did not render"
        out = ROOT / "demo_output"
        out.mkdir(exist_ok=True)
        page.screenshot(path=str(out / "report_screenshot.png"), full_page=True)
        browser.close()
    assert errors == []
    assert (ROOT / "demo_output" / "report_screenshot.png").stat().st_size > 10_000
    shutil.copy(path, ROOT / "demo_output" / "report_test.html")


def test_release_report_reads_as_tables_and_prose(tmp_path: Path) -> None:
    """Risk and utility as rounded tables with a sentence; the manifest folded away."""
    patients = pv.read(ROOT / "data_samples" / "patients.csv").collect().head(400)
    recipe = pv.Recipe.from_dict(
        {
            "steps": [{"op": "drop", "columns": ["ssn", "full_name", "email", "phone", "notes"]}],
            "privacy": {
                "quasi_identifiers": ["date_of_birth", "zip_code", "sex"],
                "hierarchies": {
                    "date_of_birth": {"type": "date", "levels": ["year", "decade"]},
                    "zip_code": {"type": "prefix", "keep": [3, 2]},
                    "sex": {"type": "suppress"},
                },
                "k": 5,
                "max_suppression": 0.05,
            },
        }
    )
    release = pv.anonymize(patients, recipe, progress=False)
    text = pv.report(release, tmp_path / "release.html").read_text()
    body = text.split("</script></head>", 1)[1]
    assert "Every released record shares its values of date_of_birth" in body
    assert "<details><summary>Manifest details" in body
    risk_table = body.split("<h3>Risk</h3>", 1)[1].split("</table>", 1)[0]
    assert "k (smallest class)" in risk_table
    avg = release.report.risk.prosecutor["avg"]
    assert f"{avg:.3g}" in risk_table  # rounded for people ...
    assert repr(avg) in risk_table  # ... the full value on hover
    assert "{'" not in body  # no raw dicts / JSON
    assert '{"' not in body.split("<script", 1)[0]
    assert '"recipe_id"' not in body  # the manifest is a table, not a JSON dump


def test_report_table_cells() -> None:
    from privlab.report._html import _table

    html = _table([{"x": 2.0499999999994603, "nested": {"a": 1, "b": [1, 2]}, "ok": True}])
    assert ">2.05<" in html  # shown rounded, full in title
    assert "2.0499999999994603" in html
    assert "<td>yes</td>" in html
    assert html.count("<table>") == 2  # the mapping became an inner table
