"""Governance as code: catalog, policy gate, audit log, lineage, retention, access, encryption.

Examples
--------
>>> from privlab.governance import Governance
>>> Governance().mode
'personal'
"""

from privlab.governance._audit import EVENTS, AuditEvent, AuditLog, VerifyResult
from privlab.governance._catalog import (
    ROLES,
    DatasetEntry,
    Governance,
    PolicyWarning,
    ReleaseRecord,
)
from privlab.governance._crypto import generate_key, load_key, read_encrypted, write_encrypted
from privlab.governance._lineage import openlineage_event
from privlab.governance._monitor import Finding, audit_report, governance_dashboard
from privlab.governance._policy import (
    BASELINE,
    Policy,
    PolicyResult,
    Violation,
    evaluate_policy,
    policy_template,
)

__all__ = [
    "BASELINE",
    "EVENTS",
    "ROLES",
    "AuditEvent",
    "AuditLog",
    "DatasetEntry",
    "Finding",
    "Governance",
    "Policy",
    "PolicyResult",
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
