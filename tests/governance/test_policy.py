"""Policies: every rule fails and passes; validation; templates."""

from __future__ import annotations

from typing import Any

import pytest

from privlab.exceptions import PolicyViolationError, RecipeError
from privlab.governance import BASELINE, Policy, evaluate_policy, policy_template

ALL = Policy.from_dict(
    {
        "policy_version": 1,
        "name": "all-rules",
        "rules": {
            "no_direct_identifiers": True,
            "min_k": 5,
            "min_l": 2,
            "max_t": 0.3,
            "max_epsilon_per_period": {"epsilon": 1.0, "days": 30},
            "synthetic_max_attack_risk": 0.2,
            "no_pii_replay": True,
            "max_retention_days": 365,
            "require_purpose": True,
        },
    }
)
GOOD_COMMON: dict[str, Any] = {"retention_days": 90, "purpose": "research"}

CASES = [
    (
        "no_direct_identifiers",
        {
            "kind": "anonymized",
            "columns": {"age": "quasi_identifier"},
            "risk": {"k": 9, "l": 3, "t": 0.1},
        },
        {
            "kind": "anonymized",
            "columns": {"ssn": "direct_identifier"},
            "risk": {"k": 9, "l": 3, "t": 0.1},
        },
    ),
    (
        "min_k",
        {"kind": "anonymized", "columns": {}, "risk": {"k": 5, "l": 3, "t": 0.1}},
        {"kind": "anonymized", "columns": {}, "risk": {"k": 4, "l": 3, "t": 0.1}},
    ),
    (
        "min_l",
        {"kind": "anonymized", "columns": {}, "risk": {"k": 5, "l": {"distinct": 2}, "t": 0.1}},
        {"kind": "anonymized", "columns": {}, "risk": {"k": 5, "l": {"distinct": 1}, "t": 0.1}},
    ),
    (
        "max_t",
        {"kind": "anonymized", "columns": {}, "risk": {"k": 5, "l": 2, "t": 0.3}},
        {"kind": "anonymized", "columns": {}, "risk": {"k": 5, "l": 2, "t": 0.31}},
    ),
    (
        "max_epsilon_per_period",
        {"kind": "dp", "epsilon_in_period": 1.0},
        {"kind": "dp", "epsilon_in_period": 1.5},
    ),
    (
        "synthetic_max_attack_risk",
        {"kind": "synthetic", "columns": {}, "attack_risk": 0.1, "pii_replay": 0},
        {"kind": "synthetic", "columns": {}, "attack_risk": 0.5, "pii_replay": 0},
    ),
    (
        "no_pii_replay",
        {"kind": "synthetic", "columns": {}, "attack_risk": 0.1, "pii_replay": 0},
        {"kind": "synthetic", "columns": {}, "attack_risk": 0.1, "pii_replay": 3},
    ),
]


@pytest.mark.parametrize(("rule", "good", "bad"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_passes_and_fails(rule: str, good: dict[str, Any], bad: dict[str, Any]) -> None:
    ok = evaluate_policy(ALL, {**GOOD_COMMON, **good})
    assert ok.passed, ok.to_dict()
    assert rule in ok.checked
    broken = evaluate_policy(ALL, {**GOOD_COMMON, **bad})
    assert [v.rule for v in broken.violations] == [rule]


def test_retention_and_purpose_rules() -> None:
    base = {"kind": "dp", "epsilon_in_period": 0.1}
    assert evaluate_policy(ALL, {**base, "retention_days": 30, "purpose": "x"}).passed
    r = evaluate_policy(ALL, {**base, "retention_days": 400, "purpose": "x"})
    assert [v.rule for v in r.violations] == ["max_retention_days"]
    r = evaluate_policy(ALL, {**base, "retention_days": 30})
    assert [v.rule for v in r.violations] == ["require_purpose"]


def test_unmeasured_figures_are_violations_not_passes() -> None:
    result = evaluate_policy(ALL, {**GOOD_COMMON, "kind": "anonymized", "columns": {}})
    assert {v.rule for v in result.violations} == {"min_k", "min_l", "max_t"}
    assert all("not measured" in v.message for v in result.violations)
    syn = evaluate_policy(ALL, {**GOOD_COMMON, "kind": "synthetic", "columns": {}})
    assert {v.rule for v in syn.violations} == {"synthetic_max_attack_risk", "no_pii_replay"}


def test_all_violations_reported_together() -> None:
    result = evaluate_policy(
        ALL,
        {
            "kind": "anonymized",
            "columns": {"ssn": "direct_identifier"},
            "risk": {"k": 1, "l": 1, "t": 0.9},
        },
    )
    assert len(result.violations) == 6  # 4 risk/identifier rules + retention + purpose
    with pytest.raises(PolicyViolationError) as info:
        result.raise_for_violations()
    assert len(info.value.violations) == 6


def test_validation_reports_every_error_with_path() -> None:
    with pytest.raises(RecipeError) as info:
        Policy.from_dict(
            {
                "name": "bad",
                "rules": {
                    "min_k": 0,
                    "max_t": 2,
                    "max_epsilon_per_period": {"epsilon": 1},
                    "nope": 1,
                },
            }
        )
    text = "\n".join(info.value.errors)
    for path in ("rules.min_k", "rules.max_t", "rules.max_epsilon_per_period.days", "rules.nope"):
        assert path in text
    with pytest.raises(RecipeError, match="newer than this privlab"):
        Policy.from_dict({"policy_version": 99, "name": "x"})


def test_policy_id_is_a_content_hash_and_yaml_round_trips() -> None:
    again = Policy.from_yaml(ALL.to_yaml())
    assert again.id == ALL.id
    changed = Policy.from_dict({**ALL.to_dict(), "rules": {**ALL.to_dict()["rules"], "min_k": 6}})
    assert changed.id != ALL.id


def test_templates_load_and_say_not_legal_advice() -> None:
    for name in ("hipaa_safe_harbor", "gdpr_minded"):
        policy = policy_template(name)
        assert policy.rules.no_direct_identifiers
        assert "not legal advice" in (policy.description or "").lower()
    with pytest.raises(RecipeError, match="unknown policy template"):
        policy_template("ccpa")
    assert BASELINE.rules.min_k == 2


def test_rule_table_has_one_row_per_rule_field() -> None:
    from privlab.governance import RULES
    from privlab.governance._policy import Rules

    assert [r.name for r in RULES] == list(Rules.model_fields)
    assert len({r.name for r in RULES}) == len(RULES)


def test_a_rule_runs_only_for_its_kinds() -> None:
    from privlab.governance import Policy, evaluate_policy

    policy = Policy.from_dict(
        {"name": "p", "rules": {"min_k": 5, "synthetic_max_attack_risk": 0.1}}
    )
    dp = evaluate_policy(policy, {"kind": "dp"})
    assert dp.checked == []
    assert dp.passed
    anon = evaluate_policy(policy, {"kind": "anonymized", "risk": {"k": 7}})
    assert anon.checked == ["min_k"]
    assert anon.passed
    syn = evaluate_policy(policy, {"kind": "synthetic", "attack_risk": 0.3})
    assert [v.message for v in syn.violations] == ["attack risk 0.300 is above 0.1"]
