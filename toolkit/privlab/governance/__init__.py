"""Governance as code: catalog, policy gate, audit log, lineage, retention, access, encryption.

Examples
--------
>>> from privlab.governance import Governance
>>> Governance().mode
'personal'
"""

from privlab.governance._access import ROLES
from privlab.governance._audit import EVENTS, AuditEvent, AuditLog, VerifyResult
from privlab.governance._catalog import DatasetEntry
from privlab.governance._crypto import generate_key, load_key, read_encrypted, write_encrypted
from privlab.governance._governance import Governance
from privlab.governance._lineage import openlineage_event
from privlab.governance._monitor import Finding, audit_report, governance_dashboard
from privlab.governance._policy import (
    BASELINE,
    RULES,
    Policy,
    PolicyResult,
    PolicyRule,
    Violation,
    evaluate_policy,
    policy_template,
)
from privlab.governance._releases import PolicyWarning, ReleaseRecord

__all__ = [
    "BASELINE",
    "EVENTS",
    "ROLES",
    "RULES",
    "AuditEvent",
    "AuditLog",
    "DatasetEntry",
    "Finding",
    "Governance",
    "Policy",
    "PolicyResult",
    "PolicyRule",
    "PolicyWarning",
    "ReleaseRecord",
    "VerifyResult",
    "Violation",
    "audit_report",
    "evaluate_policy",
    "generate_key",
    "governance_dashboard",
    "load_key",
    "openlineage_event",
    "policy_template",
    "read_encrypted",
    "write_encrypted",
]
