"""A report is a release path: what it publishes passes the release guard first."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import polars as pl
import pytest

import privlab as pv
from privlab.exceptions import PolicyViolationError
from privlab.report import Report, save_chart

KEY = "report-guard-key-0123456789"


def _people() -> pl.DataFrame:
    first = ["Anna", "Jonas", "Sofia", "Mateo", "Yuki", "Olga", "Pierre", "Ingrid"]
    last = ["Nilsson", "Moreau", "Kowalski", "Tanaka", "Rossi", "Schmidt", "Okafor", "Silva"]
    names = [f"{f} {g}" for f in first for g in last]
    return pl.DataFrame(
        {
            "name": names,
            "mail": [f"person{i}@example.org" for i in range(len(names))],
            "age": [20 + i % 50 for i in range(len(names))],
            "city": ["Lund", "Lyon", "Kraków", "Porto"] * (len(names) // 4),
        }
    )


def test_a_table_of_e_mails_is_refused_and_nothing_written(tmp_path: Path) -> None:
    """Attacker: opens the HTML file and reads the contact list someone pasted into it."""
    rep = Report("Contacts").add_table("People", _people().select("mail", "age").head(5))
    target = tmp_path / "r.html"
    with pytest.raises(PolicyViolationError, match="'mail'") as err:
        rep.write(target)
    assert "person1@example.org" not in str(err.value)  # the refusal names, never shows
    assert list(tmp_path.iterdir()) == []
    kept = rep.write(target, keep={"mail": "the study team's own addresses"})
    assert "person1@example.org" in kept.read_text()


def test_names_of_the_source_are_a_replay(tmp_path: Path) -> None:
    """Attacker: holds the source; any of its names in the report identifies a person.

    Names have no checkable format, so they are found by comparing with the source's
    identifying columns (hashed), not by a name list.
    """
    people = _people()
    rep = Report("Top customers").add_table("Best", people.select("name", "age").head(3))
    with pytest.raises(PolicyViolationError, match="identifying columns"):
        rep.write(tmp_path / "r.html", sources=[people])
    assert list(tmp_path.iterdir()) == []
    rep.write(tmp_path / "ok.html")  # without the source only formats are checkable


def test_chart_data_is_inspected_too(tmp_path: Path) -> None:
    rows = [{"who": f"+33 1 23 45 67 {i:02d}", "n": i} for i in range(10)]
    chart = alt.Chart(alt.Data(values=rows)).mark_bar().encode(x="who:N", y="n:Q")
    with pytest.raises(PolicyViolationError, match="phone"):
        Report("Calls").add_chart("Calls per number", chart).write(tmp_path / "r.html")
    with pytest.raises(PolicyViolationError, match="phone"):
        save_chart(chart, tmp_path / "c.svg")
    assert list(tmp_path.iterdir()) == []


def test_a_report_of_a_clean_release_is_written(tmp_path: Path) -> None:
    """Figures, lineage and the manifest of a pseudonymized release identify no one."""
    recipe = {
        "steps": [
            {"op": "drop", "columns": ["name"]},
            {"op": "pseudonymize", "columns": ["mail"], "params": {"prefix": "P-"}},
        ]
    }
    release = pv.anonymize(_people(), recipe, key=KEY)
    path = pv.report(release, tmp_path / "release.html")
    assert "Anonymized release" in path.read_text()
