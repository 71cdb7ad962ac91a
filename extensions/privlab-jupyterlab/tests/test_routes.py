"""The REST routes, through a real Jupyter server (pytest-jupyter's ``jp_fetch``)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from privlab_jupyterlab import _handlers, _store
from privlab_seed import spend
from tornado.httpclient import HTTPResponse

NS = "privlab-jupyterlab"

# Every route and verb the extension serves; test_routes_cover_every_handler keeps it complete.
ROUTES = [
    ("GET", "datasets"),
    ("GET", "datasets/patients"),
    ("GET", "releases"),
    ("GET", "releases/0123abcd/report"),
    ("GET", "audit"),
    ("POST", "profile"),
]


async def call(jp_fetch: Any, method: str, *parts: str, **kwargs: Any) -> HTTPResponse:
    if method == "POST":
        kwargs.setdefault("body", "{}")
    return await jp_fetch(NS, *parts, method=method, raise_error=False, **kwargs)


def body(response: HTTPResponse) -> Any:
    return json.loads(response.body)


# -- authentication ------------------------------------------------------------------------


def _rules(router: Any) -> list[Any]:
    """Every (matcher, handler) rule of a tornado router, nested routers flattened."""
    out = []
    for rule in router.rules:
        out += _rules(rule.target) if hasattr(rule.target, "rules") else [rule]
    return out


def test_routes_cover_every_handler(jp_serverapp: Any) -> None:
    app = jp_serverapp.web_app
    rules = [
        r
        for r in _rules(app.default_router)
        if isinstance(r.target, type) and issubclass(r.target, _handlers._Handler)
    ]
    assert rules, "no privlab-jupyterlab handler is registered"
    tested = set()
    for _, route in ROUTES:
        request = type("Request", (), {"path": f"{app.settings['base_url']}{NS}/{route}"})()
        tested |= {r.target for r in rules if r.matcher.match(request) is not None}
    assert {r.target for r in rules} == tested


@pytest.mark.parametrize(("method", "route"), ROUTES)
@pytest.mark.parametrize("auth", ["", "token wrong-token"], ids=["no-token", "wrong-token"])
async def test_every_route_refuses_requests_without_the_token(
    jp_fetch: Any, method: str, route: str, auth: str
) -> None:
    response = await call(jp_fetch, method, route, headers={"Authorization": auth})
    assert response.code == 403, (method, route, response.code)


@pytest.mark.parametrize(("method", "route"), ROUTES)
async def test_every_route_answers_with_the_token(jp_fetch: Any, method: str, route: str) -> None:
    response = await call(jp_fetch, method, route)
    assert response.code != 403
    assert response.code < 500, response.body


# -- datasets ------------------------------------------------------------------------------


async def test_datasets_have_owner_status_and_budget(jp_fetch: Any, store: Path) -> None:
    response = await call(jp_fetch, "GET", "datasets", params={"home": str(store)})
    assert response.code == 200
    data = body(response)
    assert data["store"] == {"home": str(store), "exists": True, "default": False}
    assert data["mode"] == "personal"
    (patients,) = data["datasets"]
    assert patients["name"] == "patients"
    assert patients["owner"] == "analyst"
    assert patients["status"] == "approved"
    assert patients["epsilon"] == {"total": 2.0, "spent": 0.5, "left": 1.5, "fraction_spent": 0.25}
    assert patients["releases"] == 1


async def test_default_store_is_the_servers_privlab_home(
    jp_fetch: Any, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIVLAB_HOME", str(store))
    data = body(await call(jp_fetch, "GET", "datasets"))
    assert data["store"]["default"] is True
    assert [d["name"] for d in data["datasets"]] == ["patients"]


async def test_relative_store_is_taken_from_the_server_root(
    jp_fetch: Any, store: Path, jp_root_dir: Path
) -> None:
    os.symlink(store, Path(jp_root_dir) / "tutorial-store")
    data = body(await call(jp_fetch, "GET", "datasets", params={"home": "tutorial-store"}))
    assert [d["name"] for d in data["datasets"]] == ["patients"]


async def test_a_missing_store_is_empty_and_not_created(jp_fetch: Any, tmp_path: Path) -> None:
    home = tmp_path / "nowhere"
    for route in ("datasets", "releases", "audit"):
        response = await call(jp_fetch, "GET", route, params={"home": str(home)})
        assert response.code == 200
        assert body(response)["store"]["exists"] is False
    assert not home.exists()


async def test_dataset_detail_has_column_roles(jp_fetch: Any, store: Path) -> None:
    response = await call(jp_fetch, "GET", "datasets", "patients", params={"home": str(store)})
    assert response.code == 200
    roles = {c["name"]: c["role"] for c in body(response)["columns"]}
    assert roles["ssn"] == "direct_identifier"
    assert roles["zip_code"] == "quasi_identifier"
    assert roles["diagnosis"] == "sensitive"


async def test_unknown_dataset_is_a_404_with_a_message(jp_fetch: Any, store: Path) -> None:
    response = await call(jp_fetch, "GET", "datasets", "patient", params={"home": str(store)})
    assert response.code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert "patients" in body(response)["message"]  # names the closest match


# -- releases ------------------------------------------------------------------------------


async def test_releases_have_kind_policy_status_and_report(jp_fetch: Any, store: Path) -> None:
    data = body(await call(jp_fetch, "GET", "releases", params={"home": str(store)}))
    (release,) = data["releases"]
    assert release["kind"] == "dp"
    assert release["dataset"] == "patients"
    assert release["policy"]["status"] == "passed"
    assert release["report"] is None  # a DP release writes no file: the summary is built live
    response = await call(
        jp_fetch, "GET", "releases", release["id"], "report", params={"home": str(store)}
    )
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert release["id"] in response.body.decode()


async def test_unknown_release_report_is_a_404(jp_fetch: Any, store: Path) -> None:
    response = await call(
        jp_fetch, "GET", "releases", "0123abcd", "report", params={"home": str(store)}
    )
    assert response.code == 404
    assert "0123abcd" in body(response)["message"]


# -- audit ---------------------------------------------------------------------------------


async def test_audit_is_verified_and_cached_by_head(jp_fetch: Any, store: Path) -> None:
    params = {"home": str(store)}
    first = body(await call(jp_fetch, "GET", "audit", params=params))
    assert first["ok"] is True
    assert first["cached"] is False
    assert body(await call(jp_fetch, "GET", "audit", params=params))["cached"] is True
    assert (
        body(await call(jp_fetch, "GET", "audit", params={**params, "fresh": "1"}))["cached"]
        is False
    )
    spend(store, Path(__file__).resolve().parents[3] / "data_samples" / "patients.csv", 0.1)
    moved = body(await call(jp_fetch, "GET", "audit", params=params))
    assert moved["cached"] is False  # a new head: verified again
    assert moved["records"] > first["records"]


async def test_audit_reports_a_rewritten_witness(jp_fetch: Any, store: Path) -> None:
    params = {"home": str(store)}
    assert body(await call(jp_fetch, "GET", "audit", params=params))["ok"] is True
    witness = store / "audit-witness.jsonl"
    *lines, last = witness.read_text().splitlines()
    forged = {**json.loads(last), "hash": "0" * 64}
    witness.write_text("\n".join([*lines, json.dumps(forged)]) + "\n")
    result = body(await call(jp_fetch, "GET", "audit", params=params))
    assert result["ok"] is False
    assert result["cached"] is False
    assert result["problems"]


# -- profiling a file ----------------------------------------------------------------------


async def test_profile_a_csv_returns_roles_and_writes_the_report(
    jp_fetch: Any, sample: Path, jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = []
    original = _store.profile_file

    def spy(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return original(*args)

    monkeypatch.setattr(_store, "profile_file", spy)
    response = await call(jp_fetch, "POST", "profile", body=json.dumps({"path": "patients.csv"}))
    assert response.code == 200, response.body
    data = body(response)
    assert threads  # the profile ran on the profile pool, off the event loop
    assert threads[0].startswith("privlab-profile")
    assert data["path"] == "patients.csv"
    assert data["report"] == "patients.csv.profile.html"
    roles = {c["name"]: c["role"] for c in data["columns"]}
    assert roles["ssn"] == "direct_identifier"
    assert all("evidence" in c and "confidence" in c for c in data["columns"])
    report = Path(jp_root_dir) / data["report"]
    assert report.read_text().startswith("<!DOCTYPE html>")
    assert "123-45" not in report.read_text()  # no raw identifier values in the report


async def test_profile_a_parquet_file_in_a_subfolder(
    jp_fetch: Any, sample: Path, jp_root_dir: Path
) -> None:
    import polars as pl

    (Path(jp_root_dir) / "data").mkdir()
    pl.read_csv(sample, infer_schema_length=0).head(500).write_parquet(
        Path(jp_root_dir) / "data" / "patients.parquet"
    )
    response = await call(
        jp_fetch, "POST", "profile", body=json.dumps({"path": "data/patients.parquet"})
    )
    assert response.code == 200, response.body
    data = body(response)
    assert data["rows"] == 500
    assert data["report"] == "data/patients.parquet.profile.html"
    assert (Path(jp_root_dir) / data["report"]).is_file()


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("../outside.csv", 403),
        ("sub/../../outside.csv", 403),
        ("/etc/hosts.csv", 400),
        (".hidden/data.csv", 403),
        ("missing.csv", 404),
        ("notes.txt", 400),
        ("", 400),
    ],
)
async def test_profile_refuses_paths_outside_the_root(
    jp_fetch: Any, sample: Path, path: str, code: int
) -> None:
    response = await call(jp_fetch, "POST", "profile", body=json.dumps({"path": path}))
    assert response.code == code, response.body
    assert body(response)["message"]


async def test_profile_refuses_a_symlink_out_of_the_root(
    jp_fetch: Any, jp_root_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("a,b\n1,2\n")
    (Path(jp_root_dir) / "link.csv").symlink_to(outside)
    response = await call(jp_fetch, "POST", "profile", body=json.dumps({"path": "link.csv"}))
    assert response.code == 403
    assert "outside" in body(response)["message"]
    assert not (tmp_path / "secret.csv.profile.html").exists()


async def test_profile_needs_a_json_body(jp_fetch: Any) -> None:
    response = await call(jp_fetch, "POST", "profile", body="not json")
    assert response.code == 400
    assert "path" in body(response)["message"]


async def test_profile_of_a_broken_file_is_a_400_naming_it(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    (Path(jp_root_dir) / "empty.csv").write_text("")
    response = await call(jp_fetch, "POST", "profile", body=json.dumps({"path": "empty.csv"}))
    assert response.code == 400
    assert "empty.csv" in body(response)["message"]


async def test_a_release_report_file_is_served_while_its_hash_holds(
    jp_fetch: Any, store: Path, tmp_path: Path
) -> None:
    import privlab as pv
    from privlab.governance import Governance, PolicyWarning

    page = tmp_path / "release-report.html"

    def write() -> list[Path]:
        page.write_text("<!DOCTYPE html><h1>the release's own report</h1>")
        return [page]

    with (
        pv.config_context(home=store, user="analyst"),
        pytest.warns(PolicyWarning, match="column roles of the release were not recorded"),
    ):
        rel = Governance().release("synthetic", "patients", {"rows": 10}, write=write)
    params = {"home": str(store)}
    (listed,) = [
        r
        for r in body(await call(jp_fetch, "GET", "releases", params=params))["releases"]
        if r["id"] == rel.id
    ]
    assert listed["report"] == str(page)
    assert listed["policy"]["status"] == "failed"
    assert "column roles" in listed["policy"]["violations"][0]
    response = await call(jp_fetch, "GET", "releases", rel.id, "report", params=params)
    assert b"the release's own report" in response.body
    page.write_text("<!DOCTYPE html><h1>edited afterwards</h1>")
    response = await call(jp_fetch, "GET", "releases", rel.id, "report", params=params)
    assert response.code == 400
    assert "changed since" in body(response)["message"]
    page.unlink()
    response = await call(jp_fetch, "GET", "releases", rel.id, "report", params=params)
    assert response.code == 404
