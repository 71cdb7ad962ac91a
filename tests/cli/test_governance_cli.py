"""`privlab catalog | check | audit | retention` through click's runner."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from privlab.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_catalog_register_approve_list(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    pl.DataFrame({"age": [30, 31, 32], "dept": ["a", "a", "b"]}).write_csv(path)
    code, out = run(
        "catalog", "register", str(path), "--name", "visits", "--department", "clinic",
        "--purpose", "audit", "--no-profile",
    )  # fmt: skip
    assert code == 0, out
    assert "status pending" in out
    code, out = run("catalog", "approve", "visits")
    assert code == 2
    assert "has not been profiled" in out
    code, out = run("catalog", "list", "--format", "json")
    assert json.loads(out)[0]["status"] == "pending"


def test_policy_install_and_check_a_file(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("policy_version: 1\nname: p\nrules:\n  min_k: 3\n")
    data = tmp_path / "release.csv"
    pl.DataFrame({"zip": ["021", "021", "021", "941"]}).write_csv(data)
    code, out = run("check", str(data), "--policy", str(policy), "--qi", "zip", "--format", "json")
    assert code == 1
    assert json.loads(out)["violations"][0]["rule"] == "min_k"
    code, out = run("catalog", "policy", "install", str(policy))
    assert code == 0
    assert "mode governed" in out
    code, out = run("catalog", "policy", "template", "hipaa_safe_harbor")
    assert "not legal advice" in out.lower()


def test_audit_verify_detects_tampering(privlab_home: Path) -> None:
    from privlab.governance import AuditLog

    log = AuditLog()
    log.append("access", dataset="d")
    log.append("access", dataset="d")
    code, out = run("audit", "verify")
    assert code == 0, out
    conn = sqlite3.connect(privlab_home / "privlab.sqlite", isolation_level=None)
    conn.execute("UPDATE audit_log SET principal = 'nobody' WHERE seq = 1")
    code, out = run("audit", "verify")
    assert code == 1
    assert "record 1 was modified" in out
    code, out = run("audit", "log", "--dataset", "d")
    assert out.count("access") == 2


def test_retention_sweep_dry_run() -> None:
    code, out = run("retention", "sweep", "--dry-run")
    assert code == 0
    assert "would purge 0 release(s)" in out


def test_audit_checkpoint_and_verify_json(monkeypatch) -> None:
    from privlab.governance import AuditLog

    monkeypatch.setenv("PRIVLAB_AUDIT_KEY", "cli-key")
    AuditLog().append("access", dataset="d")
    code, mark = run("audit", "checkpoint")
    assert code == 0
    assert mark.strip().startswith("1:")
    code, out = run("audit", "verify", "--checkpoint", mark.strip(), "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert (result["ok"], result["checkpoint"], result["signature"]) == (True, "match", "valid")


def test_audit_rotate_key(monkeypatch) -> None:
    from privlab.governance import AuditLog

    monkeypatch.setenv("PRIVLAB_AUDIT_KEY", "old-key")
    AuditLog().append("access")
    monkeypatch.setenv("PRIVLAB_AUDIT_KEY", "new-key")
    monkeypatch.setenv("PRIVLAB_AUDIT_PREVIOUS_KEY", "old-key")
    code, out = run("audit", "rotate-key")
    assert code == 0, out
    assert "audit key rotated at record 2" in out
    assert run("audit", "verify")[0] == 0


def test_access_commands_and_exit_code_3(tmp_path: Path, monkeypatch) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("policy_version: 1\nname: p\nrules: {}\n")
    assert run("catalog", "policy", "install", str(policy))[0] == 0  # tester: admin now
    code, out = run("access", "grant", "ana", "analyst", "--department", "clinic")
    assert (code, out.strip()) == (0, "granted analyst to 'ana' in 'clinic'")
    code, out = run("access", "list")
    assert "# mode: governed" in out
    assert "ana" in out
    monkeypatch.setenv("PRIVLAB_USER", "ana")
    code, out = run("access", "revoke", "tester", "admin")
    assert code == 3
    assert "access denied" in out
    code, out = run("access", "grant", "bob", "analyst")
    assert code == 2
    assert "give --department" in out
