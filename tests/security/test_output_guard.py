"""Trials against the output guard by a careless user: outputs that would destroy inputs.

The "attacker" here is the user's own slip (a tab-completed path, a copied
command line): they can name any path for any output option. They must not
achieve overwriting an input (data, recipe, key file, policy) or another
output, nor a half-done release. Every refusal happens before anything is
written, names the option and the input, and leaves the sources byte-identical.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import signal
import time
from pathlib import Path

import polars as pl
import pytest

import privlab as pv
from privlab.exceptions import OutputError, OverwriteSourceError
from privlab.governance import Governance
from privlab.store import Store

from .conftest import cli, digest


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "src" / "key.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text("a-pseudonym-key-not-a-real-secret\n")
    return path


def _anonymize(people: Path, recipe: Path, key_file: Path, out: Path, resolved: Path) -> object:
    return cli(
        "anonymize", people, "--recipe", recipe, "--key-file", key_file,
        "--out", out, "--resolved", resolved,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("target", "option"),
    [("people", "FILE"), ("key_file", "--key-file"), ("recipe", "--recipe"), ("out", "--out")],
)
def test_resolved_never_overwrites_an_input_or_the_release(
    people: Path, recipe: Path, key_file: Path, tmp_path: Path, target: str, option: str
) -> None:
    """Attacker: a user passing ``--resolved`` the path of the source, the key file, the
    recipe or the release itself. Must not achieve: that file replaced by YAML (a
    destroyed source or pseudonym key, a release its manifest no longer describes)."""
    out = tmp_path / "out.parquet"
    paths = {"people": people, "key_file": key_file, "recipe": recipe, "out": out}
    inputs = [people, recipe, key_file]
    before = {p: digest(p) for p in inputs}
    run = _anonymize(people, recipe, key_file, out, paths[target])
    assert run.code == 2, run.out + run.err
    assert "--resolved" in run.err
    assert option in run.err
    assert {p: digest(p) for p in inputs} == before
    assert not out.exists()
    assert not Path(f"{out}.manifest.json").exists()
    assert Governance().releases() == []  # nothing cataloged either


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_links_to_an_input_are_refused(
    people: Path, recipe: Path, key_file: Path, tmp_path: Path, link: str
) -> None:
    """Attacker: a user whose ``--out`` is a symbolic or hard link to the source (an
    "output" folder of links). Must not achieve: writing through the link or
    replacing a name that shares the source's bytes."""
    alias = tmp_path / "alias.csv"
    if link == "symlink":
        alias.symlink_to(people)
    else:
        os.link(people, alias)
    before = digest(people)
    run = cli("anonymize", people, "--recipe", recipe, "--out", alias)
    assert run.code == 2
    word = "resolves to" if link == "symlink" else "is a hard link to"
    assert f"with --out '{alias}', which {word} it" in run.err
    assert digest(people) == before


def test_two_outputs_on_one_file_are_refused(people: Path, recipe: Path, tmp_path: Path) -> None:
    """Attacker: a user giving ``--resolved`` the release's own manifest path.
    Must not achieve: one output silently replacing the other."""
    out = tmp_path / "out.parquet"
    run = cli(
        "anonymize", people, "--recipe", recipe, "--out", out,
        "--resolved", f"{out}.manifest.json",
    )  # fmt: skip
    assert run.code == 2
    assert "name the same file" in run.err
    assert not out.exists()


def test_resolved_into_a_missing_folder_writes_nothing(
    people: Path, recipe: Path, tmp_path: Path
) -> None:
    """Attacker: a typo in ``--resolved``'s folder. Must not achieve: a release and
    manifest written and cataloged, then a traceback (the measured failure)."""
    out = tmp_path / "out.parquet"
    run = cli(
        "anonymize", people, "--recipe", recipe, "--out", out,
        "--resolved", tmp_path / "no-such-folder" / "r.yaml",
    )  # fmt: skip
    assert run.code == 2
    assert "--resolved" in run.err
    assert "does not exist" in run.err
    assert "Traceback" not in run.err
    assert not out.exists()
    assert Governance().releases() == []


def test_synth_report_over_the_source(people: Path, tmp_path: Path) -> None:
    """Attacker: ``privlab synth FILE --report FILE``. Must not achieve: the source
    replaced by the JSON report (checked before the slow fit)."""
    before = digest(people)
    run = cli("synth", people, "--out", tmp_path / "syn.parquet", "--report", people)
    assert run.code == 2
    assert "--report" in run.err
    assert "FILE" in run.err
    assert digest(people) == before


@pytest.mark.parametrize("where", ["source", "missing folder"])
def test_report_out(people: Path, tmp_path: Path, where: str) -> None:
    """Attacker: ``privlab report SRC --out SRC`` (or into a folder that does not exist).
    Must not achieve: the source replaced by HTML; a folder made behind the user's back
    (one rule for every writer: missing folders are refused)."""
    target = people if where == "source" else tmp_path / "new" / "r.html"
    before = digest(people)
    run = cli("report", people, "--out", target)
    assert run.code == 2
    assert "--out" in run.err
    assert digest(people) == before
    assert not (tmp_path / "new").exists()


def test_pv_report_over_its_source(people: Path, recipe: Path) -> None:
    """Attacker: ``pv.report(release, SRC)`` in a notebook, SRC being the release's source.
    Must not achieve: the source replaced by the report."""
    release = pv.anonymize(people, pv.Recipe.from_yaml(recipe), progress=False)
    before = digest(people)
    with pytest.raises(OverwriteSourceError, match="refusing to overwrite the input"):
        pv.report(release, people)
    assert digest(people) == before


def test_synthetic_save_over_its_source(tmp_path: Path) -> None:
    """Attacker: ``Synthetic.save(folder)`` where ``folder/data.parquet`` is the very file
    the model was trained on. Must not achieve: the training data replaced."""
    folder = tmp_path / "work"
    folder.mkdir()
    source = folder / "data.parquet"
    pl.DataFrame(
        {"age": [20 + (i * 7) % 45 for i in range(40)], "dx": ["a", "b"] * 20}
    ).write_parquet(source)
    syn = pv.synthesize(pv.read(source), rows=20, seed=1, progress=False)
    before = digest(source)
    with pytest.raises(OverwriteSourceError, match=r"data\.parquet"):
        syn.save(folder)
    assert digest(source) == before
    assert not (folder / "manifest.json").exists()
    with pytest.raises(OutputError, match="does not exist"):
        syn.save(tmp_path / "a" / "b")  # one rule: the parent folder must exist


def _kill_me_mid_write(home: str, target: str) -> None:
    os.environ["PRIVLAB_HOME"] = home
    from privlab.io import atomic_path, temp_registry
    from privlab.store import open_store

    with temp_registry(open_store()), atomic_path(target) as tmp:
        tmp.write_bytes(b"released rows " * 10_000)
        Path(target + ".ready").write_text(str(tmp))
        time.sleep(600)


def test_killed_writer_leaves_no_temp_behind(privlab_home: Path, tmp_path: Path) -> None:
    """Attacker: a SIGKILL (OOM killer, closed laptop) in the middle of writing a release.
    Must not achieve: hidden temp files full of released rows left forever (they are
    recorded in the store before the first byte is written and swept an hour later)."""
    target = tmp_path / "release.parquet"
    proc = mp.get_context("spawn").Process(
        target=_kill_me_mid_write, args=(str(privlab_home), str(target))
    )
    proc.start()
    ready = Path(f"{target}.ready")
    deadline = time.time() + 60
    while not ready.exists() and time.time() < deadline:
        time.sleep(0.05)
    assert ready.exists(), "the writer did not start"
    tmp = Path(ready.read_text())
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    assert tmp.exists()
    assert not target.exists()
    store = Store(privlab_home / "privlab.sqlite")
    assert tmp in store.temps()  # recorded before writing; too young to sweep yet
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    Store(privlab_home / "privlab.sqlite", clock=lambda: later)  # any store open sweeps
    assert not tmp.exists()
    assert store.temps() == []
    sweeps = Governance(store).audit.events(event="temp_sweep")
    assert sweeps
    assert sweeps[0].details["deleted"] == [str(tmp)]


def test_a_recorded_temp_never_deletes_anything_else(privlab_home: Path, tmp_path: Path) -> None:
    """Attacker: an insider who writes the store and records a victim file as a "temp".
    Must not achieve: a store open deleting that file (only ``*.privlab-tmp`` names go)."""
    victim = tmp_path / "thesis.docx"
    victim.write_text("years of work")
    store = Store(privlab_home / "privlab.sqlite")
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO store_temps (path, created_at, host, pid) VALUES (?, ?, 'h', 1)",
            (str(victim), "2000-01-01T00:00:00.000000Z"),
        )
    Store(privlab_home / "privlab.sqlite")
    assert victim.read_text() == "years of work"
