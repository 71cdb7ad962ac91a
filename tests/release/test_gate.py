"""privlab.release: every producer hands its release to the gate and never imports governance.

A fake :class:`~privlab.release.Gate` records what it is given. It proves, for
the anonymizer, the synthesizer and the DP session, that the producer (1) builds
:class:`~privlab.release.ReleaseFacts` of its kind, (2) writes nothing — files
or ε — before the gate calls ``write``, and (3) leaves no file and spends no ε
when the gate refuses.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import privlab as pv
import privlab.dp as pdp
from privlab import release
from privlab.exceptions import ConfigError, PolicyViolationError
from privlab.release import Approval, ReleaseFacts
from privlab.store import Store

ROOT = Path(__file__).resolve().parents[2]

PATIENTS = pl.DataFrame(
    {
        "age": [23, 27, 31, 36, 44, 48, 52, 57, 61, 66] * 6,
        "sex": ["F", "M"] * 30,
        "dx": ["a", "b", "c"] * 20,
    }
)
RECIPE = {
    "privacy": {
        "k": 3,
        "quasi_identifiers": ["age", "sex"],
        "hierarchies": {
            "age": {"type": "interval", "widths": [10, 20]},
            "sex": {"type": "suppress"},
        },
    }
}


@dataclass
class FakeGate:
    """Records every call; refuses with a policy violation when *refuse* is set."""

    refuse: bool = False
    before_write: Callable[[ReleaseFacts], None] | None = None
    facts: list[ReleaseFacts] = field(default_factory=list)
    written: list[tuple[Path, ...]] = field(default_factory=list)
    authorized: list[tuple[str, str | None]] = field(default_factory=list)

    def submit(self, facts: ReleaseFacts, write: Callable[[Approval], Sequence[Path]]) -> Any:
        self.facts.append(facts)
        if self.before_write is not None:
            self.before_write(facts)
        if self.refuse:
            raise PolicyViolationError("refused by the fake gate", ["fake rule"])
        files = tuple(write(Approval(dataset=facts.dataset or "fake-dataset", release_id="r1")))
        self.written.append(files)
        return {"release_id": "r1"}

    def authorize(self, action: str, *, dataset: str | None = None) -> None:
        self.authorized.append((action, dataset))


@pytest.fixture
def default_gate() -> Iterator[FakeGate]:
    """Register a fake as the default gate; restore privlab's governance afterwards."""
    saved = list(release._factory)
    gate = FakeGate()
    release.register_default_gate(lambda store: gate)
    try:
        yield gate
    finally:
        release._factory[:] = saved


# ------------------------------------------------------------------ the protocol


def test_submit_prefers_the_explicit_gate_then_the_registered_default(
    default_gate: FakeGate,
) -> None:
    explicit = FakeGate()
    facts = ReleaseFacts(kind="dp", dataset="visits")
    release.submit(facts, lambda approval: [], governance=explicit)
    assert explicit.facts == [facts]
    assert default_gate.facts == []
    release.submit(facts, lambda approval: [])
    assert default_gate.facts == [facts]


def test_no_registered_gate_is_a_clear_error() -> None:
    saved = list(release._factory)
    release._factory.clear()
    try:
        with pytest.raises(ConfigError, match="no release gate is registered"):
            release.submit(ReleaseFacts(kind="dp", dataset="x"), lambda approval: [])
    finally:
        release._factory[:] = saved


def test_importing_privlab_registers_governance_as_the_default(tmp_path: Path) -> None:
    gate = release.default_gate(Store(tmp_path / "s.sqlite"))
    assert type(gate).__name__ == "Governance"
    assert type(gate).__module__.startswith("privlab.governance")


# ------------------------------------------------------------------ producers


def test_anonymize_writes_only_after_the_gate_approves(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"

    def nothing_yet(facts: ReleaseFacts) -> None:
        assert list(tmp_path.iterdir()) == []  # no temp file, no final file

    gate = FakeGate(before_write=nothing_yet)
    rel = pv.anonymize(PATIENTS, RECIPE, progress=False)
    rel.write(out, dataset="patients", governance=gate)
    (facts,) = gate.facts
    assert facts.kind == "anonymized"
    assert facts.dataset == "patients"
    assert facts.rows == PATIENTS.height
    assert facts.privacy["risk"]["k"] >= 3
    assert {c.name: c.ops for c in facts.columns or ()}["age"] == ("generalize",)
    assert gate.written == [(out, out.with_name("out.parquet.manifest.json"))]
    assert pl.read_parquet(out).height == PATIENTS.height


def test_anonymize_refused_leaves_no_file(tmp_path: Path) -> None:
    gate = FakeGate(refuse=True)
    rel = pv.anonymize(PATIENTS, RECIPE, progress=False)
    with pytest.raises(PolicyViolationError, match="fake gate"):
        rel.write(tmp_path / "out.parquet", dataset="patients", governance=gate)
    assert list(tmp_path.iterdir()) == []
    assert gate.written == []


def test_synthetic_save_goes_through_the_gate(tmp_path: Path) -> None:
    gate = FakeGate()
    syn = pv.synthesize(PATIENTS, rows=20, seed=0, profile={}, progress=False)
    refused = FakeGate(refuse=True)
    with pytest.raises(PolicyViolationError):
        syn.save(tmp_path / "refused", dataset="patients", governance=refused)
    assert not (tmp_path / "refused").exists()
    syn.save(tmp_path / "synthetic", dataset="patients", governance=gate)
    (facts,) = gate.facts
    assert facts.kind == "synthetic"
    assert facts.rows == 20
    assert {c.name for c in facts.columns or ()} == {"age", "sex", "dx"}
    assert sorted(p.name for p in gate.written[0]) == sorted(
        p.name for p in (tmp_path / "synthetic").iterdir()
    )


def test_dp_reserves_epsilon_only_inside_the_gates_write(tmp_path: Path) -> None:
    ledger = pdp.Ledger(Store(tmp_path / "store.sqlite"))

    def nothing_spent(facts: ReleaseFacts) -> None:
        assert ledger.entries().height == 0  # stage 4 (reserve ε) comes after the checks

    refused = FakeGate(refuse=True, before_write=nothing_spent)
    session = pdp.DPSession(PATIENTS, dataset="patients", ledger=ledger, governance=refused)
    with session as s, pytest.raises(PolicyViolationError):
        s.count(epsilon=0.5)
    assert ledger.entries().height == 0
    gate = FakeGate(before_write=nothing_spent)
    with pdp.DPSession(PATIENTS, dataset="patients", ledger=ledger, governance=gate) as s:
        s.count(epsilon=0.5)
    (facts,) = gate.facts
    assert facts.kind == "dp"
    assert facts.dataset == "patients"
    assert facts.privacy["epsilon"] == pytest.approx(0.5)
    assert len(facts.queries) == 1
    spent = ledger.entries()
    assert spent["status"].to_list() == ["spent"]
    assert spent["epsilon"].to_list() == pytest.approx([0.5])


@pytest.mark.slow  # a fresh interpreter loading SDV: ~15 s
def test_producers_release_without_ever_importing_governance(tmp_path: Path) -> None:
    """Run each producer in a fresh interpreter with a fake gate: governance never loads."""
    script = textwrap.dedent(
        f"""
        import sys
        import polars as pl
        import privlab as pv
        import privlab.dp as pdp
        from privlab.release import Approval
        from privlab.store import Store

        class Gate:
            def __init__(self):
                self.kinds = []
            def submit(self, facts, write):
                self.kinds.append(facts.kind)
                return write(Approval(dataset=facts.dataset or "d", release_id="r"))
            def authorize(self, action, *, dataset=None):
                pass

        gate = Gate()
        data = pl.DataFrame({{"age": list(range(20, 80)), "sex": ["F", "M"] * 30}})
        recipe = {{"privacy": {{"k": 2, "quasi_identifiers": ["age", "sex"],
                               "hierarchies": {{"age": {{"type": "interval", "widths": [10]}},
                                               "sex": {{"type": "suppress"}}}}}}}}
        out = {str(tmp_path)!r}
        pv.anonymize(data, recipe, progress=False).write(out + "/a.parquet", governance=gate)
        syn = pv.synthesize(data, rows=10, seed=0, profile={{}}, progress=False)
        syn.save(out + "/syn", governance=gate)
        ledger = pdp.Ledger(Store(out + "/store.sqlite"))
        with pdp.DPSession(data, dataset="d", ledger=ledger, governance=gate) as session:
            session.count(epsilon=0.1)
        assert gate.kinds == ["anonymized", "synthetic", "dp"], gate.kinds
        loaded = sorted(m for m in sys.modules if m.startswith("privlab.governance"))
        assert not loaded, loaded
        print("ok")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("ok")
