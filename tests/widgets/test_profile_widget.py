"""ProfileWidget, headless: dropdowns edit the Profile; the chart shows no values."""

from __future__ import annotations

import json

import polars as pl

import privlab as pv
from privlab.viz import sensitivity_chart
from privlab.widgets import ProfileWidget


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
