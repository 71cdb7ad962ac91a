"""ProfileWidget, headless: dropdowns edit the Profile; the chart shows no values."""

from __future__ import annotations

import json

import polars as pl

import privlab as pv
from privlab.viz import sensitivity_chart
from privlab.widgets import ProfileWidget
from privlab.widgets._profile_widget import describe_evidence


def test_dropdown_edits_the_profile() -> None:
    p = pv.profile(pl.DataFrame({"dept": ["a", "b"] * 10, "mail": ["x@y.org", "z@w.org"] * 10}))
    w = ProfileWidget(p)
    assert w.roles["mail"] == "direct_identifier"
    assert w.roles["dept"] == "quasi_identifier"  # the name hints a department
    w.set_role("dept", "sensitive")
    assert w.profile.column("dept").role == "sensitive"
    assert w.profile.column("dept").overridden
    assert w.get_state()["roles"]["dept"] == "sensitive"


def test_sensitivity_chart_spec_has_no_values() -> None:
    p = pv.profile(pl.DataFrame({"mail": ["ana@secret.org", "bo@secret.org"] * 5}))
    spec = sensitivity_chart(p).to_dict()
    assert spec["mark"]["type"] == "bar"
    assert "secret.org" not in json.dumps(spec)


def test_demoting_a_direct_identifier_raises_a_badge() -> None:
    ssns = [f"{100 + i:03d}-{10 + i % 80:02d}-{1000 + i:04d}" for i in range(60)]
    p = pv.profile(pl.DataFrame({"ssn": ssns, "dept": ["a", "b", "c"] * 20}))
    w = ProfileWidget(p)
    assert w.roles["ssn"] == "direct_identifier"
    assert w.warnings == []
    w.set_role("ssn", "other")
    assert w.warnings == ["ssn: national id demoted to other"]
    html = w._badges["ssn"].value
    assert "privlab-danger" in html
    assert "released as it is" in html
    assert "national id demoted to other" in w._summary.value
    w.set_role("ssn", "direct_identifier")
    assert w.warnings == []


def test_evidence_reads_as_sentences_with_the_full_text_on_hover() -> None:
    p = pv.profile(pl.DataFrame({"mail": [f"user{i}@example.org" for i in range(30)]}))
    w = ProfileWidget(p)
    cell = w._badges["mail"].value
    assert "<span title='" in cell  # the full text on hover
    assert "{" not in cell  # sentences, never raw JSON
    assert "email" in cell  # what was found, even when the evidence is only the values
    long = describe_evidence(
        {"detectors": {"email": {"pattern_share": 0.5}}, "x_share": 0.25,
         "name_evidence": {"shape_share": 0.9996, "regions": {"US": 3}}}
    )  # fmt: skip
    assert long == [
        "email: 50.0% of sampled values match the pattern",
        "x share: 25.0%",
        "name evidence: shape share 100.0%, regions US 3",
    ]
    assert w.children[3].spec["mark"]["type"] == "bar"  # the chart, offline widget
