"""Trials against the retention sweep: it must delete only the files privlab released."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl

import privlab as pv
from privlab.governance import Governance
from privlab.store import Store

from .conftest import cli

DATA = pl.DataFrame({"age": [30, 31, 32], "zip": ["021", "021", "021"]})


def _gov(home: Path, now: list[dt.datetime]) -> Governance:
    gov = Governance(Store(home / "privlab.sqlite", clock=lambda: now[0]))
    gov.register_dataset("visits", DATA, profile={"age": "quasi_identifier", "zip": "other"})
    return gov


def _release(gov: Governance, path: Path | str) -> str:
    record = gov.release(
        "anonymized",
        "visits",
        {"columns": ["age"], "risk": {"k": 3}, "rows": 3},
        write=lambda: [pv.write(DATA, path)],
        retention_days=1,
    )
    return record.id


def test_sweep_keeps_a_file_that_is_not_the_release(privlab_home: Path, tmp_path: Path) -> None:
    """Attacker: a colleague (or chance) puts another file at an expired release's path —
    the release was moved and a new analysis saved under the same name.
    Must not achieve: the sweep deleting that file (only a matching SHA-256 is deleted;
    the rest is reported)."""
    now = [dt.datetime(2030, 1, 1, tzinfo=dt.UTC)]
    gov = _gov(privlab_home, now)
    path = tmp_path / "release.csv"
    release_id = _release(gov, path)
    path.write_text("someone's new work\n")
    now[0] += dt.timedelta(days=2)
    (result,) = gov.sweep_report()
    assert path.read_text() == "someone's new work\n"
    assert result.kept[0]["path"] == str(path)
    assert "SHA-256 differs" in result.kept[0]["reason"]
    assert not result.purged
    assert gov.get_release(release_id).status == "active"
    (purge,) = gov.audit.events(event="purge")
    assert purge.details["kept"] == result.kept
    assert purge.details["deleted"] == []


def test_sweep_from_another_folder_deletes_the_right_file(
    privlab_home: Path, tmp_path: Path, monkeypatch
) -> None:
    """Attacker: none — a release written with a relative path from one folder, and the
    sweep run from another folder holding an unrelated file of the same name.
    Must not achieve: the unrelated file deleted and the real release left (the measured
    failure); paths are recorded absolute."""
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    now = [dt.datetime(2030, 1, 1, tzinfo=dt.UTC)]
    monkeypatch.chdir(first)
    gov = _gov(privlab_home, now)
    release_id = _release(gov, "out.csv")
    assert gov.get_release(release_id).files[0]["path"] == str(first / "out.csv")
    (second / "out.csv").write_text("unrelated\n")
    monkeypatch.chdir(second)
    now[0] += dt.timedelta(days=2)
    (result,) = gov.sweep_report()
    assert result.deleted == [str(first / "out.csv")]
    assert result.purged
    assert not (first / "out.csv").exists()
    assert (second / "out.csv").read_text() == "unrelated\n"


def test_sweep_never_follows_a_symlink(privlab_home: Path, tmp_path: Path) -> None:
    """Attacker: replaces an expired release file by a symbolic link to a file they want
    gone (the link's target has the release's bytes). Must not achieve: that deletion."""
    now = [dt.datetime(2030, 1, 1, tzinfo=dt.UTC)]
    gov = _gov(privlab_home, now)
    path = tmp_path / "release.csv"
    _release(gov, path)
    victim = tmp_path / "victim.csv"
    victim.write_bytes(path.read_bytes())
    path.unlink()
    os.symlink(victim, path)
    now[0] += dt.timedelta(days=2)
    (result,) = gov.sweep_report()
    assert victim.exists()
    assert "symbolic link" in result.kept[0]["reason"]


def test_cli_sweep_reports_what_it_kept(privlab_home: Path, tmp_path: Path) -> None:
    """Attacker: as above, through ``privlab retention sweep``. Must not achieve: a
    silent keep — the command names the file and the reason."""
    now = [dt.datetime(2000, 1, 1, tzinfo=dt.UTC)]  # released long ago: expired today
    gov = _gov(privlab_home, now)
    path = tmp_path / "release.csv"
    _release(gov, path)
    path.write_text("changed\n")
    run = cli("retention", "sweep")
    assert run.code == 0
    assert f"KEPT {path}" in run.out
    assert "SHA-256 differs" in run.out
    assert path.exists()
