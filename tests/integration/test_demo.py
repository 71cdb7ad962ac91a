"""End to end: ``privlab demo --quick`` — profile → recipe → anonymize → DP → synthesize →
trade-off → report, every release through the gate, in a fresh PRIVLAB_HOME.

What it proves: every file the tour promises is written and readable, the
anonymized table meets the recipe's k, the report is one self-contained HTML
page that parses, the catalog holds each release and the audit log verifies,
and no direct identifier of the source (name, e-mail, phone, SSN, patient id)
appears as a value of a released table or inside any text output.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import privlab as pv
from privlab.anonymize import Recipe
from privlab.cli import main

pytestmark = pytest.mark.slow  # the whole tour, scaled down: ~20 s on 2 idle cores

IDENTIFIERS = ["patient_id", "full_name", "email", "phone", "ssn"]
EXPECTED = [
    "dp_answers.txt",
    "frontier.png",
    "patients_anonymized.parquet",
    "patients_anonymized.parquet.manifest.json",
    "profile.json",
    "recipe.yaml",
    "report.html",
    "synthetic/data.parquet",
    "synthetic/manifest.json",
    "synthetic/metadata.json",
    "synthetic/report.json",
    "tradeoff.json",
]


class _Page(HTMLParser):
    """Collects tags and the URLs a page would fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.fetches: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_title = tag == "title"
        for name, value in attrs:
            if name in ("src", "href") and value and "://" in value:
                self.fetches.append(value)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """Run the demo once (its own home); returns (output folder, home, console output)."""
    root = Path(__file__).resolve().parents[2]
    out = tmp_path_factory.mktemp("demo") / "out"
    home = tmp_path_factory.mktemp("demo_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PRIVLAB_HOME", str(home))
        for key in ("PRIVLAB_PSEUDONYM_KEY", "PRIVLAB_AUDIT_KEY"):
            mp.delenv(key, raising=False)  # the demo sets its demo keys; undone afterwards
        result = CliRunner().invoke(
            main, ["demo", "--samples", str(root / "data_samples"), "--out", str(out), "--quick"]
        )
        assert result.exit_code == 0, result.output + repr(result.exception)
        # read the catalog and verify the audit log while the demo's keys are still set
        gov = pv.Governance()
        kinds = sorted(r.kind for r in gov.releases())
        verify = gov.audit.verify()
    assert kinds == ["anonymized", "dp", "dp", "dp", "synthetic"]
    assert verify.ok, verify.summary()
    return out, home, result.output


def test_every_promised_file_is_written(demo: tuple[Path, Path, str]) -> None:
    out, _, console = demo
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == EXPECTED
    assert "[8/8] Report and audit" in console


def test_profile_recipe_and_anonymized_release(demo: tuple[Path, Path, str]) -> None:
    out, _, _ = demo
    profile = json.loads((out / "profile.json").read_text())
    roles = {c["name"]: c["role"] for c in profile["columns"]}
    assert {roles[c] for c in IDENTIFIERS} == {"direct_identifier"}
    recipe = Recipe.from_yaml((out / "recipe.yaml").read_text())
    assert recipe.privacy is not None
    k = recipe.privacy.k
    assert k is not None
    released = pl.read_parquet(out / "patients_anonymized.parquet")
    manifest = json.loads((out / "patients_anonymized.parquet.manifest.json").read_text())
    assert manifest["dataset"] == "patients"
    assert manifest["output_fingerprint"]["rows"] == released.height
    assert manifest["privacy"]["met"] is True
    qis = [q for q in recipe.privacy.quasi_identifiers if q in released.columns]
    assert qis
    kept = released.filter(pl.any_horizontal([pl.col(q).cast(pl.String) != "*" for q in qis]))
    assert pv.assess_risk(kept, qis).k >= k


def test_dp_answers_synthetic_and_tradeoff(demo: tuple[Path, Path, str]) -> None:
    out, _, _ = demo
    answers = (out / "dp_answers.txt").read_text().splitlines()
    assert answers[0].startswith("count(): ")
    assert sum(line.startswith("mean(total_charges) by sex") for line in answers) == 2
    synthetic = pl.read_parquet(out / "synthetic" / "data.parquet")
    assert synthetic.height == 300
    assert json.loads((out / "synthetic" / "manifest.json").read_text())["model"] == (
        "gaussian_copula"
    )
    tradeoff = json.loads((out / "tradeoff.json").read_text())
    techniques = {p["technique"] for p in tradeoff["points"]}
    assert techniques == {"original", "k-anonymity", "ℓ-diversity", "synthetic"}
    assert sorted({row["epsilon"] for row in tradeoff["dp"]}) == [0.5, 2.0]


def test_report_is_one_self_contained_page(demo: tuple[Path, Path, str]) -> None:
    out, _, _ = demo
    page = _Page()
    page.feed((out / "report.html").read_text(encoding="utf-8"))
    page.close()
    assert page.title.strip() == "privlab demo: patients"
    assert page.tags.count("script") >= 1
    assert page.fetches == []  # opens offline: nothing to fetch from another host
    assert (out / "frontier.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_direct_identifier_leaves_in_any_output(demo: tuple[Path, Path, str]) -> None:
    out, _, _ = demo
    root = Path(__file__).resolve().parents[2]
    source = pl.read_csv(root / "data_samples" / "patients.csv", infer_schema=False)
    secrets = {c: set(source[c].drop_nulls().to_list()) for c in IDENTIFIERS}
    for table in (out / "patients_anonymized.parquet", out / "synthetic" / "data.parquet"):
        frame = pl.read_parquet(table)
        for column in frame.columns:
            values = set(frame[column].cast(pl.String).drop_nulls().to_list())
            for kind, real in secrets.items():
                assert not values & real, f"{table.name}:{column} replays a real {kind}"
    distinctive = secrets["ssn"] | secrets["email"] | secrets["phone"]
    for path in out.rglob("*"):
        if path.suffix in (".json", ".yaml", ".html", ".txt"):
            leaked = _contained(distinctive, path.read_text(encoding="utf-8"))
            assert not leaked, f"{path.name} contains {leaked[:3]}"


def _contained(values: set[str], text: str, n: int = 8) -> list[str]:
    """The values that occur in *text* (an n-gram index first: the report is ~1 MB)."""
    grams = {text[i : i + n] for i in range(len(text) - n + 1)}
    return [v for v in values if (len(v) < n or (v[:n] in grams and v[-n:] in grams)) and v in text]
