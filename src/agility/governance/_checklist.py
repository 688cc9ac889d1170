"""The governance checklist of a migration, for the report: each item's status and evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agility.governance._signoff import signoff_status
from agility.store import Store

if TYPE_CHECKING:  # the report package loads the comparison's statistics (scipy)
    from agility.report import ChecklistItem
    from agility.report._governance import Status

__all__ = ["governance_checklist"]


def _regions(mapping: dict[str, Any]) -> str:
    parts = [f"{role} {m['model']}: {', '.join(m['regions']) or 'unknown'} ({m['basis']})"
             for role, m in mapping.items() if role != "allowed" and isinstance(m, dict)]
    return "; ".join(parts)


def governance_checklist(store: Store, plan: Any, lineage: dict[str, Any],
                         privacy_step: str | None = None) -> list[ChecklistItem]:
    """The checklist of the playbook's compliance items for ``plan``'s migration.

    Args:
        store: the store (its audit chain is verified now).
        plan: the loaded plan.
        lineage: the migration's lineage (residency mapping included).
        privacy_step: what the privacy step found (ground truths masking changes).
    """
    from agility.report import ChecklistItem

    audit = store.verify_audit()
    items = [ChecklistItem(
        item="audit trail", status="done" if audit.ok else "failed",
        evidence=(f"{audit.events} events hash-chained, head {(audit.head or '')[:16]}"
                  if audit.ok else f"broken: {audit.first_broken}"))]
    privacy = plan.privacy
    items.append(ChecklistItem(item="PII masking", status="not set", evidence="no privacy: "
                               "section; text is sent and stored as it is") if privacy is None
                 else ChecklistItem(item="PII masking", status="done", evidence=(
                     f"{', '.join(privacy.mask)} masked ({privacy.mode}) on "
                     f"{', '.join(privacy.where)}" + (f"; {privacy_step}" if privacy_step
                                                      else ""))))
    residency = lineage.get("residency") or {}
    items.append(ChecklistItem(
        item="data residency", status="done" if plan.residency is not None else "not set",
        evidence=(f"allowed {', '.join(plan.residency.allowed)}; " if plan.residency
                  else "no residency: section; ") + _regions(residency)))
    retention = plan.retention
    purges = store.events(kind="store.purge")
    items.append(ChecklistItem(
        item="retention", status="not set" if retention is None
        else ("done" if purges else "pending"),
        evidence="no retention: section" if retention is None else (
            ", ".join(f"{k} {v} d" for k, v in retention.model_dump().items() if v is not None)
            + (f"; last purge {purges[-1].created_at}" if purges
               else "; no purge yet (agility store purge --plan)"))))
    if plan.signoff is None:
        items.append(ChecklistItem(item="sign-off", status="not set",
                                   evidence="no signoff: section; the gate alone decides"))
    else:
        status = signoff_status(store, plan, lineage)
        state: Status = {"PASS": "done", "FAIL": "failed"}.get(  # type: ignore[assignment]
            status.verdict, "pending")
        decided = "; ".join(f"{r} {a.decision}d by {a.actor} at {a.at}"
                            for r, a in status.decisions.items())
        items.append(ChecklistItem(
            item="sign-off", status=state,
            evidence=f"{status.verdict}: {status.reason}" + (f"; {decided}" if decided else "")
            + f"; lineage digest {status.lineage_digest[:16]}"))
    return items
