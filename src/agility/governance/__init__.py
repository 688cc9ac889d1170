"""Governance: the audit trail, privacy (PII masking), residency, retention and sign-off.

Every decision and change is an event in the store's hash-chained audit trail; the policies
(``privacy:``, ``residency:``, ``retention:``, ``signoff:``) are data in the migration plan,
validated when it is loaded and enforced here, in the library.
"""

from agility.governance._audit import export_audit, parse_since, verify_audit
from agility.governance._call_log import CallLog
from agility.governance._checklist import governance_checklist
from agility.governance._pii import (
    NER_ENTITIES,
    PATTERN_ENTITIES,
    Detection,
    PiiMasker,
    known_entities,
)
from agility.governance._policy import (
    MASK_PATHS,
    ROLES,
    PrivacyPolicy,
    ResidencyPolicy,
    RetentionPolicy,
    SignoffPolicy,
)
from agility.governance._privacy import (
    PolicyMasks,
    ground_truth_findings,
    log_model_call,
    mask_comparison,
    mask_logs,
    model_call_event,
    policy_masks,
    stored_policy_masks,
)
from agility.governance._residency import (
    ENV_PROVIDER_REGIONS,
    check_residency,
    declared_regions,
    plan_models,
    residency_mapping,
)
from agility.governance._retention import purge_store, retention_cutoffs
from agility.governance._signoff import (
    Approval,
    SignoffStatus,
    lineage_digest,
    record_signoff,
    signoff_status,
    write_signoff_record,
)

__all__ = [
    "ENV_PROVIDER_REGIONS",
    "MASK_PATHS",
    "NER_ENTITIES",
    "PATTERN_ENTITIES",
    "ROLES",
    "Approval",
    "CallLog",
    "Detection",
    "PiiMasker",
    "PolicyMasks",
    "PrivacyPolicy",
    "ResidencyPolicy",
    "RetentionPolicy",
    "SignoffPolicy",
    "SignoffStatus",
    "check_residency",
    "declared_regions",
    "export_audit",
    "governance_checklist",
    "ground_truth_findings",
    "known_entities",
    "lineage_digest",
    "log_model_call",
    "mask_comparison",
    "mask_logs",
    "model_call_event",
    "parse_since",
    "plan_models",
    "policy_masks",
    "purge_store",
    "record_signoff",
    "residency_mapping",
    "retention_cutoffs",
    "signoff_status",
    "stored_policy_masks",
    "verify_audit",
    "write_signoff_record",
]
