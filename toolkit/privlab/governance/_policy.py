"""Policies as code: versioned, hashed YAML rules checked on every release.

A policy file::

    policy_version: 1
    name: hospital-research
    description: Releases to the research department
    rules:
      no_direct_identifiers: true
      min_k: 5
      min_l: 2
      max_t: 0.3
      max_epsilon_per_period: {epsilon: 2.0, days: 30}
      synthetic_max_attack_risk: 0.2
      no_pii_replay: true
      max_retention_days: 365
      require_purpose: true

Rules apply to the release kinds they make sense for (``min_k`` to anonymized
microdata, ``max_epsilon_per_period`` to DP answers, ``synthetic_max_attack_risk``
to synthetic data, …). A rule that applies but whose figure was not measured is
a violation, never a silent pass: a privacy model is only reported as met if it
was checked on the released data. :func:`evaluate_policy` collects *every*
violation.

Templates (starting points, **not legal advice**): ``hipaa_safe_harbor`` and
``gdpr_minded``, see :func:`policy_template`.

Examples
--------
>>> from privlab.governance import Policy, evaluate_policy
>>> policy = Policy.from_dict({"policy_version": 1, "name": "p", "rules": {"min_k": 5}})
>>> result = evaluate_policy(policy, {"kind": "anonymized", "risk": {"k": 3}})
>>> result.passed, result.violations[0].rule
(False, 'min_k')
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from privlab.exceptions import PolicyViolationError, RecipeError

__all__ = [
    "BASELINE",
    "RULES",
    "Policy",
    "PolicyResult",
    "PolicyRule",
    "Violation",
    "evaluate_policy",
    "policy_template",
]

POLICY_VERSION = 1
Kind = Literal["anonymized", "dp", "synthetic"]


class _EpsilonPeriod(BaseModel):
    model_config = ConfigDict(extra="forbid")
    epsilon: float = Field(gt=0)
    days: int = Field(gt=0)


class Rules(BaseModel):
    """The rule set; every field optional (absent = not enforced)."""

    model_config = ConfigDict(extra="forbid")
    no_direct_identifiers: bool | None = None
    min_k: int | None = Field(default=None, ge=1)
    min_l: float | None = Field(default=None, ge=1)
    max_t: float | None = Field(default=None, ge=0, le=1)
    max_epsilon_per_period: _EpsilonPeriod | None = None
    synthetic_max_attack_risk: float | None = Field(default=None, ge=0, le=1)
    no_pii_replay: bool | None = None
    max_retention_days: int | None = Field(default=None, ge=1)
    require_purpose: bool | None = None


class Policy(BaseModel):
    """A versioned policy; its id is the sha256 of its canonical JSON."""

    model_config = ConfigDict(extra="forbid")
    policy_version: int = POLICY_VERSION
    name: str
    description: str | None = None
    rules: Rules = Field(default_factory=Rules)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        """Validate a mapping; every problem is reported at once with its path."""
        if not isinstance(data, Mapping):
            raise RecipeError(f"a policy must be a mapping, got {type(data).__name__}")
        version = data.get("policy_version", POLICY_VERSION)
        if isinstance(version, int) and version > POLICY_VERSION:
            raise RecipeError(
                f"policy_version {version} is newer than this privlab understands "
                f"({POLICY_VERSION}); upgrade privlab"
            )
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            errors = [
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            ]
            raise RecipeError(
                f"invalid policy ({len(errors)} problem(s)):\n  " + "\n  ".join(errors), errors
            ) from None

    @classmethod
    def from_yaml(cls, source: str | Path) -> Policy:
        """Read a policy from a YAML file path or YAML text."""
        text = Path(source).read_text() if _is_path(source) else str(source)
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise RecipeError(f"the policy is not valid YAML: {exc}") from None
        return cls.from_dict(data or {})

    def to_dict(self) -> dict[str, Any]:
        """The policy as a plain dict; rules that are not set are left out."""
        return self.model_dump(exclude_none=True)

    def to_yaml(self) -> str:
        """The policy as YAML text (what :meth:`from_yaml` reads back)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @property
    def id(self) -> str:
        """sha256 of the canonical JSON of the policy."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _is_path(source: str | Path) -> bool:
    if isinstance(source, Path):
        return True
    return "\n" not in source and source.endswith((".yaml", ".yml")) and Path(source).exists()


@dataclass(frozen=True)
class Violation:
    """One broken rule: which, what was required, what was measured."""

    rule: str
    message: str
    required: Any = None
    measured: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The violation as a plain dict (for JSON output)."""
        return {
            "rule": self.rule,
            "message": self.message,
            "required": self.required,
            "measured": self.measured,
        }


@dataclass
class PolicyResult:
    """Every rule checked on one release."""

    policy: str
    policy_id: str
    violations: list[Violation] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No rule was broken."""
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        """The result as a plain dict (for JSON output)."""
        return {
            "policy": self.policy,
            "policy_id": self.policy_id,
            "passed": self.passed,
            "checked": self.checked,
            "violations": [v.to_dict() for v in self.violations],
        }

    def raise_for_violations(self) -> None:
        """Raise :class:`~privlab.exceptions.PolicyViolationError` listing every violation.

        Does nothing when the release passed.
        """
        if self.violations:
            lines = "\n  ".join(f"{v.rule}: {v.message}" for v in self.violations)
            raise PolicyViolationError(
                f"the release breaks policy {self.policy!r} ({len(self.violations)} rule(s)):"
                f"\n  {lines}",
                self.violations,
            )


RuleCheck = Callable[[Any, Mapping[str, Any]], "Violation | None"]


@dataclass(frozen=True)
class PolicyRule:
    """One row of the rule table: a field of :class:`Rules` and the function checking it.

    ``kinds`` are the release kinds the rule applies to (``None``: every kind);
    ``check(setting, facts)`` gets the policy's value for the rule and the
    release's facts and returns a :class:`Violation` or ``None``.
    """

    name: str
    kinds: frozenset[str] | None
    check: RuleCheck


def _no_direct_identifiers(setting: bool, facts: Mapping[str, Any]) -> Violation | None:
    columns = facts.get("columns")
    if columns is None:
        return Violation("no_direct_identifiers", "column roles of the release were not recorded")
    direct = sorted(c for c, r in columns.items() if r == "direct_identifier")
    if not direct:
        return None
    return Violation(
        "no_direct_identifiers",
        f"the release contains direct identifier column(s) {direct}; drop, "
        "pseudonymize or generate them",
        required=[],
        measured=direct,
    )


def _measured_bound(rule: str, key: str, op: str) -> RuleCheck:
    """A check of one privacy figure measured on the released data against a bound."""

    def check(bound: float, facts: Mapping[str, Any]) -> Violation | None:
        value = (facts.get("risk") or {}).get(key)
        if isinstance(value, Mapping):  # ℓ reported per variant: use distinct ℓ
            value = value.get("distinct")
        if value is None:
            return Violation(rule, f"{key} was not measured on the released data", bound, None)
        if (op == "min" and value < bound) or (op == "max" and value > bound):
            word = "at least" if op == "min" else "at most"
            return Violation(rule, f"{key} must be {word} {bound}, measured {value}", bound, value)
        return None

    check.__name__ = f"_{rule}"
    return check


def _max_epsilon_per_period(cap: Any, facts: Mapping[str, Any]) -> Violation | None:
    spent = facts.get("epsilon_in_period")
    if spent is None:
        return Violation(
            "max_epsilon_per_period", "the ε spent in the period is unknown", cap.epsilon
        )
    if spent > cap.epsilon + 1e-12:
        return Violation(
            "max_epsilon_per_period",
            f"ε spent on this dataset in the last {cap.days} days would be {spent:g}, "
            f"above {cap.epsilon:g}",
            cap.epsilon,
            spent,
        )
    return None


def _synthetic_max_attack_risk(bound: float, facts: Mapping[str, Any]) -> Violation | None:
    measured = facts.get("attack_risk")
    if measured is None:
        return Violation(
            "synthetic_max_attack_risk",
            "attack risk was not measured (run Synthetic.evaluate())",
            bound,
        )
    if measured > bound:
        return Violation(
            "synthetic_max_attack_risk",
            f"attack risk {measured:.3f} is above {bound}",
            bound,
            measured,
        )
    return None


def _no_pii_replay(setting: bool, facts: Mapping[str, Any]) -> Violation | None:
    replay = facts.get("pii_replay")
    if replay is None:
        return Violation("no_pii_replay", "identifier replay was not measured")
    if replay > 0:
        return Violation("no_pii_replay", f"{replay} real identifier value(s) replayed", 0, replay)
    return None


def _max_retention_days(limit: int, facts: Mapping[str, Any]) -> Violation | None:
    days = facts.get("retention_days")
    if days is None:
        return Violation(
            "max_retention_days", "the release has no retention period; give retention_days", limit
        )
    if days > limit:
        return Violation(
            "max_retention_days", f"retention of {days} days exceeds {limit}", limit, days
        )
    return None


def _require_purpose(setting: bool, facts: Mapping[str, Any]) -> Violation | None:
    if facts.get("purpose"):
        return None
    return Violation("require_purpose", "no purpose recorded for the dataset or release")


_MICRODATA = frozenset({"anonymized", "synthetic"})
_ANONYMIZED = frozenset({"anonymized"})

#: The rule table, in the order rules are checked and reported. Adding a rule: a
#: field of :class:`Rules` and one row here (``docs/ARCHITECTURE.md``).
RULES: tuple[PolicyRule, ...] = (
    PolicyRule("no_direct_identifiers", _MICRODATA, _no_direct_identifiers),
    PolicyRule("min_k", _ANONYMIZED, _measured_bound("min_k", "k", "min")),
    PolicyRule("min_l", _ANONYMIZED, _measured_bound("min_l", "l", "min")),
    PolicyRule("max_t", _ANONYMIZED, _measured_bound("max_t", "t", "max")),
    PolicyRule("max_epsilon_per_period", frozenset({"dp"}), _max_epsilon_per_period),
    PolicyRule("synthetic_max_attack_risk", frozenset({"synthetic"}), _synthetic_max_attack_risk),
    PolicyRule("no_pii_replay", frozenset({"synthetic"}), _no_pii_replay),
    PolicyRule("max_retention_days", None, _max_retention_days),
    PolicyRule("require_purpose", None, _require_purpose),
)


def evaluate_policy(policy: Policy, facts: Mapping[str, Any]) -> PolicyResult:
    """Check every applicable rule of *policy* against a release's *facts*.

    Runs the rule table :data:`RULES` in order: a rule is checked when the
    policy sets it (a number, or ``true``) and the release's kind is one it
    applies to; every violation is collected.

    Parameters
    ----------
    policy:
        The policy to apply.
    facts:
        ``kind`` (anonymized | dp | synthetic) and the measured figures:
        ``columns`` ({name: role} of released columns), ``risk`` ({k, l, t}),
        ``epsilon_in_period`` (ε spent on the dataset in the rule's window,
        this release included), ``attack_risk`` (largest attack risk of a
        synthetic release), ``pii_replay`` (real identifier values found in it),
        ``retention_days``, ``purpose``.

    Returns
    -------
    PolicyResult
        The rules checked and every violation.

    Examples
    --------
    >>> p = Policy.from_dict({"name": "p", "rules": {"min_k": 5, "require_purpose": True}})
    >>> [v.rule for v in evaluate_policy(p, {"kind": "anonymized", "risk": {"k": 3}}).violations]
    ['min_k', 'require_purpose']
    """
    kind = facts.get("kind")
    result = PolicyResult(policy=policy.name, policy_id=policy.id)
    for rule in RULES:
        setting = getattr(policy.rules, rule.name)
        if setting is None or setting is False:
            continue
        if rule.kinds is not None and kind not in rule.kinds:
            continue
        result.checked.append(rule.name)
        violation = rule.check(setting, facts)
        if violation is not None:
            result.violations.append(violation)
    return result


#: The policy every release is checked against in personal mode (violations warn).
BASELINE = Policy(
    name="privlab-baseline",
    description="Built-in baseline: no direct identifiers in microdata, k >= 2, "
    "synthetic data must not replay real identifiers.",
    rules=Rules(no_direct_identifiers=True, min_k=2, no_pii_replay=True),
)


def policy_template(name: str) -> Policy:
    """A shipped template: ``"hipaa_safe_harbor"`` or ``"gdpr_minded"``.

    Templates are starting points for your own policy, **not legal advice**.

    Raises
    ------
    RecipeError
        If *name* is not a shipped template (the message lists them).

    Examples
    --------
    >>> policy_template("gdpr_minded").rules.require_purpose
    True
    """
    files = {"hipaa_safe_harbor": "hipaa_safe_harbor.yaml", "gdpr_minded": "gdpr_minded.yaml"}
    if name not in files:
        raise RecipeError(f"unknown policy template {name!r}; templates are {sorted(files)}")
    text = resources.files("privlab.governance").joinpath("templates", files[name]).read_text()
    return Policy.from_yaml(text)
