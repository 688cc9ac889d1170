"""Governance: the audit trail, privacy (PII masking), residency, retention and sign-off.

Every decision and change is an event in the store's hash-chained audit trail; the policies
(``privacy:``, ``residency:``, ``retention:``, ``signoff:``) are data in the migration plan,
validated when it is loaded and enforced here, in the library.
"""

from agility.governance._audit import export_audit, parse_since, verify_audit

__all__ = [
    "export_audit",
    "parse_since",
    "verify_audit",
]
