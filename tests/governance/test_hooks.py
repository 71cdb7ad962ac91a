"""Governance gates DP queries and synthetic releases before anything is spent or written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from privlab.exceptions import PolicyViolationError
from privlab.governance import Governance, Policy

PEOPLE = pl.DataFrame(
    {"age": np.arange(400) % 70 + 18, "sex": ["F", "M"] * 200, "pid": np.arange(400)}
)
ROLES = {"age": "quasi_identifier", "sex": "quasi_identifier", "pid": "direct_identifier"}


def test_dp_epsilon_per_period_blocks_before_spending() -> None:
    import privlab.dp as pdp

    gov = Governance()
    gov.register_dataset("people", PEOPLE, purpose="stats", profile=ROLES)
    gov.approve("people")
    gov.install_policy(
        Policy.from_dict(
            {"name": "eps", "rules": {"max_epsilon_per_period": {"epsilon": 1.0, "days": 30}}}
        )
    )
    with pdp.DPSession(PEOPLE, dataset="people") as session:
        pdp.set_budget("people", epsilon=10.0)
        session.count(epsilon=0.8)
        spent = session.budget().epsilon_spent
        with pytest.raises(PolicyViolationError, match=r"last 30 days would be 1\.3"):
            session.count(epsilon=0.5)
        assert session.budget().epsilon_spent == pytest.approx(spent)  # nothing spent
    kinds = [e.event for e in gov.audit.events(dataset="people")]
    assert kinds.count("dp_query") == 1
    assert "denial" in kinds


def test_dp_on_an_unapproved_dataset_is_refused_in_governed_mode() -> None:
    import privlab.dp as pdp

    gov = Governance()
    gov.install_policy(Policy.from_dict({"name": "any", "rules": {}}))
    with (
        pdp.DPSession(PEOPLE, dataset="fresh") as session,
        pytest.raises(PolicyViolationError, match=r"must be approved|not in the catalog"),
    ):
        session.count(epsilon=0.1)


def test_personal_mode_dp_release_is_registered_and_audited() -> None:
    import privlab.dp as pdp

    with pdp.DPSession(PEOPLE, dataset="people2") as session:
        session.count(epsilon=0.2)
    gov = Governance()
    assert [r.kind for r in gov.releases("people2")] == ["dp"]
    assert gov.audit.events(event="dp_query")[0].details["epsilon"] == pytest.approx(0.2)


def test_synthetic_release_blocked_without_evaluation(tmp_path: Path) -> None:
    import privlab as pv

    small = PEOPLE.head(120).drop("pid")
    gov = Governance()
    gov.register_dataset("small", small, purpose="sandbox", profile=ROLES)
    gov.approve("small")
    gov.install_policy(
        Policy.from_dict({"name": "syn", "rules": {"synthetic_max_attack_risk": 0.5}})
    )
    syn = pv.synthesize(small, rows=50, seed=1, progress=False)
    out = tmp_path / "release"
    with pytest.raises(PolicyViolationError, match="attack risk was not measured"):
        syn.save(out, dataset="small")
    assert not out.exists()
