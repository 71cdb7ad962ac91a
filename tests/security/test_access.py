"""Trials against access control by colleagues without the role for what they try.

Setting: governed mode. ``tester`` installed the policy (so is admin) and owns
the dataset ``visits`` in department ``clinic``; ``ana`` is an analyst there,
``vic`` a viewer, ``nobody`` holds no role. Access control is a guardrail
inside one trust domain: these users go through privlab's API and CLI (what
they could do to the files directly is the audit log's job, see
``test_audit_attacks.py``). Each denied attempt must exit 3 (CLI), change no
state and leave an audit record.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import polars as pl
import pytest
import yaml

import privlab as pv
from privlab.exceptions import AccessDeniedError
from privlab.governance import Governance, Policy
from privlab.release import ColumnFacts, ReleaseFacts

from .conftest import cli, digest

POLICY = "policy_version: 1\nname: clinic\nrules:\n  min_k: 2\n  no_direct_identifiers: true\n"


@pytest.fixture
def governed(people: Path, tmp_path: Path) -> Governance:
    gov = Governance()
    frame = pl.read_csv(people)
    gov.register_dataset(
        "visits",
        frame,
        department="clinic",
        purpose="trial",
        profile={"name": "direct_identifier", "age": "quasi_identifier", "dx": "sensitive"},
    )
    gov.approve("visits")
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    gov.install_policy(policy)
    gov.grant("ana", "analyst", "clinic")
    gov.grant("vic", "viewer", "clinic")
    return gov


def _denials(gov: Governance) -> list[str]:
    return [e.details["action"] for e in gov.audit.events(event="denial")]


def _as(monkeypatch: pytest.MonkeyPatch, user: str) -> None:
    monkeypatch.setenv("PRIVLAB_USER", user)


@pytest.mark.parametrize("engine", [[], ["--memory-limit", "256MiB"]], ids=["memory", "stream"])
@pytest.mark.parametrize("user", ["nobody", "vic"])
def test_no_role_or_viewer_cannot_release(
    governed: Governance,
    people: Path,
    recipe: Path,
    tmp_path: Path,
    monkeypatch,
    user: str,
    engine: list[str],
) -> None:
    """Attacker: a colleague with no role (or a viewer) runs ``privlab anonymize``, in
    memory or streamed (``--memory-limit``).
    Must not achieve: an anonymized release written or cataloged — nor a staged file."""
    _as(monkeypatch, user)
    out = tmp_path / "out.parquet"
    run = cli("anonymize", people, "--recipe", recipe, "--out", out, "--dataset", "visits", *engine)
    assert run.code == 3, run.err
    assert "access denied" in run.err
    assert "analyst" in run.err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy.yaml", "src"]  # nothing staged
    assert governed.releases() == []
    assert _denials(governed) == ["release"]


def test_viewer_cannot_spend_epsilon(governed: Governance, people: Path, monkeypatch) -> None:
    """Attacker: a viewer runs a DP count. Must not achieve: ε spent (or reserved)."""
    _as(monkeypatch, "vic")
    run = cli("dp", "count", people, "--dataset", "visits", "--epsilon", "0.1")
    assert run.code == 3
    assert "may not spend" in run.err
    import privlab.dp as pdp

    assert pdp.budget("visits").epsilon_spent == 0
    assert _denials(governed) == ["spend"]


@pytest.mark.parametrize("user", ["nobody", "ana"])
def test_raising_a_budget_needs_owner_or_steward(
    governed: Governance, monkeypatch, user: str
) -> None:
    """Attacker: an analyst (or someone with no role) raises ε from 1 to 1,000.
    Must not achieve: a bigger budget — and the attempt must be on the record."""
    _as(monkeypatch, user)
    run = cli("dp", "budget", "--dataset", "visits", "--epsilon", "1000")
    assert run.code == 3
    assert "set budget" in run.err
    assert governed.dataset("visits").epsilon_budget == 1.0
    assert _denials(governed) == ["set_budget"]


def test_every_budget_change_is_audited_in_personal_mode() -> None:
    """Attacker: anyone in personal mode raising a budget (allowed there).
    Must not achieve: doing it without an audit record of who, when, old and new."""
    import privlab.dp as pdp

    pv.open_store().resolve_dataset("notes")
    pdp.set_budget("notes", epsilon=1000.0)
    (event,) = Governance().audit.events(event="budget")
    assert event.principal == "tester"
    assert event.dataset == "notes"
    assert event.details["epsilon"] == {"old": 1.0, "new": 1000.0}
    assert event.details["raised"] is True


@pytest.mark.parametrize("action", ["uninstall", "install"])
def test_viewer_cannot_change_the_policy(
    governed: Governance, tmp_path: Path, monkeypatch, action: str
) -> None:
    """Attacker: a viewer uninstalls the policy (to release freely) or installs a laxer
    one. Must not achieve: a change of mode or policy."""
    lax = tmp_path / "lax.yaml"
    lax.write_text("policy_version: 1\nname: lax\nrules: {}\n")
    before = governed.policy.id
    _as(monkeypatch, "vic")
    run = cli("catalog", "policy", action, *([lax] if action == "install" else []))
    assert run.code == 3
    assert "admin" in run.err
    assert governed.mode == "governed"
    assert governed.policy.id == before
    assert _denials(governed) == [f"{action}_policy"]


def test_analyst_cannot_release_raw_identifiers(
    governed: Governance, people: Path, tmp_path: Path, monkeypatch
) -> None:
    """Attacker: an analyst keeps the raw ``name`` column (a guard override) or forces a
    release that breaks the policy (a policy override). Must not achieve: either —
    overrides need the dataset's owner or a steward."""
    _as(monkeypatch, "ana")
    frame = pl.read_csv(people)
    out = tmp_path / "raw.parquet"
    facts = ReleaseFacts(
        kind="anonymized",
        dataset="visits",
        rows=frame.height,
        columns=tuple(ColumnFacts(c, source=c) for c in frame.columns),
        privacy={"risk": {"k": 2}},
        source=frame,
        released=frame,
        keep={"name": "needed for the mailing"},
    )
    with pytest.raises(AccessDeniedError, match="may not override"):
        governed.submit(facts, lambda approval: [pv.write(frame, out)])
    with pytest.raises(AccessDeniedError, match="may not override"):
        governed.release(
            "anonymized",
            "visits",
            {"columns": frame.columns, "risk": {"k": 2}},
            write=lambda: [pv.write(frame, out)],
            override=True,
        )
    assert not out.exists()
    assert governed.releases() == []
    assert _denials(governed) == ["override", "override"]  # both attempts on the record


def test_roles_from_the_command_line(governed: Governance, monkeypatch) -> None:
    """Attacker: a viewer grants themself owner; anyone revokes the last admin.
    Must not achieve: either. (Roles can be managed from the CLI at all — the issue
    found them Python-only.)"""
    run = cli("access", "grant", "sam", "steward", "--department", "clinic")
    assert run.code == 0
    listing = yaml.safe_load(cli("access", "list", "--format", "json").out)
    assert {"principal": "sam", "role": "steward", "department": "clinic"} in listing["grants"]
    assert listing["grants"][0] == {"principal": "tester", "role": "admin", "department": None}
    _as(monkeypatch, "vic")
    run = cli("access", "grant", "vic", "owner", "--department", "clinic")
    assert run.code == 3
    assert governed.role_of("vic", "clinic") == "viewer"
    _as(monkeypatch, "sam")  # a steward may grant in their department, up to steward
    assert cli("access", "grant", "ana", "steward", "--department", "clinic").code == 0
    assert cli("access", "grant", "ana", "owner", "--department", "clinic").code == 3
    assert cli("access", "grant", "sam", "admin").code == 3
    _as(monkeypatch, "tester")
    run = cli("access", "revoke", "tester", "admin")
    assert run.code == 3
    assert "last admin" in run.err
    assert cli("access", "grant", "sam", "admin").code == 0  # transferable…
    assert cli("access", "revoke", "tester", "admin").code == 0  # …then the old one can go
    assert governed.access.admins() == ["sam"]


def test_store_and_witness_are_private(governed: Governance) -> None:
    """Attacker: another local account reading ``~/.privlab``.
    Must not achieve: reading the catalog, the ledger or the audit log (files 0600)."""
    home = Path(os.environ["PRIVLAB_HOME"])
    for name in ("privlab.sqlite", "privlab.sqlite-wal", "audit-witness.jsonl"):
        path = home / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


def test_an_existing_world_readable_store_is_narrowed(privlab_home: Path) -> None:
    """Attacker: another local account, against a store an older privlab created 0644.
    Must not achieve: keeping read access after the next privlab command."""
    pv.open_store()
    os.chmod(privlab_home / "privlab.sqlite", 0o644)
    pv.open_store()
    assert stat.S_IMODE((privlab_home / "privlab.sqlite").stat().st_mode) == 0o600


def test_policy_template_prints_only_yaml(tmp_path: Path) -> None:
    """Attacker: none — a user redirecting ``privlab catalog policy template > p.yaml``.
    Must not achieve: a file polluted by status lines that then fails to install."""
    run = cli("catalog", "policy", "template", "hipaa_safe_harbor")
    assert run.code == 0
    assert run.err == ""
    policy = Policy.from_yaml(run.out)
    assert policy.rules.min_k == 5
    path = tmp_path / "p.yaml"
    path.write_text(run.out)
    assert digest(path)
    assert cli("catalog", "policy", "install", path).code == 0


def test_profiling_needs_an_analyst_in_governed_mode(
    governed: Governance, people: Path, monkeypatch
) -> None:
    """Attacker: a colleague with no role profiles a file from the command line.
    Must not achieve: it in governed mode (the roles table: register, profile → analyst)."""
    _as(monkeypatch, "nobody")
    for engine in ("memory", "stream"):
        run = cli("profile", people, "--engine", engine)
        assert run.code == 3
        assert "may not profile" in run.err
    _as(monkeypatch, "ana")
    assert cli("profile", people).code == 0
    assert cli("profile", people, "--engine", "stream").code == 0


@pytest.mark.parametrize("user", ["nobody", "vic"])
def test_no_role_or_viewer_cannot_publish_a_report(
    governed: Governance, people: Path, recipe: Path, tmp_path: Path, monkeypatch, user: str
) -> None:
    """Attacker: a colleague with no role (or a viewer) publishes figures about
    ``visits`` as a report — ``pv.report`` on a release made in memory, ``Report.write``
    of a hand-built page, or ``privlab report`` on the file.
    Must not achieve: a report written (a report is a release: analyst, CONTRACTS.md
    "Roles"); each attempt is denied before anything is computed and audited."""
    release = pv.anonymize(people, recipe, progress=False)  # in memory: nothing published
    _as(monkeypatch, user)
    before = len(_denials(governed))
    page = tmp_path / "page.html"
    with pytest.raises(AccessDeniedError, match="analyst"):
        pv.report(release, page)
    with pytest.raises(AccessDeniedError, match="analyst"):
        pv.Report("hand-built").write(page)
    run = cli("report", people, "--out", page, "--k", "2", "--epsilon", "1", "--synthetic", "")
    assert run.code == 3, run.err
    assert not page.exists()
    assert _denials(governed)[before:] == ["release"] * 3
    _as(monkeypatch, "ana")  # an analyst may
    assert pv.report(release, page).exists()
