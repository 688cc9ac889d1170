"""Sign-off: approvals of the exact migration, as events in the audit chain.

An approval names a role the plan requires (``signoff.required``), a decision and a note, and
is recorded against the migration's *lineage digest*: the SHA-256 of what was compared (the
dataset's hash, each candidate's model, prompt hash, settings and price, the metrics' versions,
the criteria, the gate's verdict). When the migration is run again with a changed dataset,
prompt or model, the digest changes and earlier approvals no longer count (they are listed as
void). The sign-off verdict is PASS only when the gate passed and every required role
approved this digest; FAIL when the gate failed or a required role rejected it; else PENDING.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agility._files import atomic_write, describe_os_error
from agility.errors import PolicyViolation, UsageError
from agility.governance._policy import ROLES
from agility.store import EventRecord, NewEvent, Store

__all__ = ["Approval", "SignoffStatus", "lineage_digest", "record_signoff", "signoff_status",
           "write_signoff_record"]

Decision = Literal["approve", "reject"]
_KIND = "signoff."
#: the parts of a lineage an approval vouches for (times and paths are not evidence)
_CANDIDATE_EVIDENCE = ("model", "prompt_hash", "config", "provider_options", "prices",
                       "price_table_version")


def _evidence(lineage: dict[str, Any]) -> dict[str, Any]:
    def candidate(side: str) -> dict[str, Any]:
        data = lineage.get(side) or {}
        return {k: data.get(k) for k in _CANDIDATE_EVIDENCE}

    retriever = lineage.get("retriever") or {}
    return {
        "plan": (lineage.get("plan") or {}).get("name"),
        "dataset": (lineage.get("dataset") or {}).get("hash"),
        "splits": (lineage.get("dataset") or {}).get("splits"),
        "retriever_corpus": retriever.get("corpus_hash"),
        "source": candidate("source"), "target": candidate("target"),
        "metrics": lineage.get("metrics"), "judge": lineage.get("judge"),
        "criteria": lineage.get("criteria"), "verdict": lineage.get("verdict"),
        "residency": lineage.get("residency"), "privacy": lineage.get("privacy"),
    }


def lineage_digest(lineage: dict[str, Any]) -> str:
    """The SHA-256 of a migration's evidence (see the module docstring)."""
    text = json.dumps(_evidence(lineage), sort_keys=True, ensure_ascii=False, default=str,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Approval(BaseModel):
    """One recorded decision of a role."""

    model_config = ConfigDict(extra="forbid")

    role: str
    decision: Decision
    actor: str
    note: str
    at: str
    lineage_digest: str
    event_id: int
    event_hash: str | None


class SignoffStatus(BaseModel):
    """Where a migration's sign-off stands."""

    model_config = ConfigDict(extra="forbid")

    plan: str
    verdict: Literal["PASS", "FAIL", "PENDING"]
    gate_verdict: str | None
    lineage_digest: str
    evidence: dict[str, Any]
    required: list[str]
    #: the latest decision of each role on this digest
    decisions: dict[str, Approval] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=list)
    #: decisions made on another digest (a changed dataset, prompt or model voided them)
    void: list[Approval] = Field(default_factory=list)
    audit_chain_ok: bool = True
    reason: str = ""


def _migration(store: Store, plan: Any) -> dict[str, Any]:
    record = store.get_migration(plan.name)
    if record is None:
        raise UsageError(f"migration '{plan.name}' has not been run in the store at "
                         f"{store.path}: run `agility migrate` on the plan first, then sign "
                         f"off its result", argument="store")
    return record.lineage


def _approval(event: EventRecord) -> Approval:
    p = event.payload
    return Approval(role=str(p.get("role")), decision=p.get("decision", "reject"),
                    actor=event.actor or "unknown", note=str(p.get("note", "")),
                    at=event.created_at, lineage_digest=str(p.get("lineage_digest")),
                    event_id=event.id, event_hash=event.entry_hash)


def record_signoff(store: Store, plan: Any, *, role: str, decision: Decision, note: str,
                   actor: str | None = None) -> Approval:
    """Record ``role``'s decision on the migration of ``plan`` as it stands in the store.

    Args:
        store: the store holding the migration (run ``migrate`` first).
        plan: the loaded migration plan (its ``signoff.required`` lists the roles).
        role: one of the plan's required roles.
        decision: ``approve`` or ``reject``.
        note: why (kept in the audit trail).
        actor: who decides (None: the process's actor: ``--actor``, ``$AGILITY_ACTOR``, OS
            user).

    Raises:
        PolicyViolation: the plan requires no sign-off, or does not list ``role``.
        UsageError: the migration was not run yet, or the note is empty.
    """
    if plan.signoff is None:
        raise PolicyViolation("signoff", f"the plan '{plan.name}' has no signoff: section, so "
                                         f"it requires no approval; add signoff: {{required: "
                                         f"[...]}} to the plan")
    if role not in plan.signoff.required:
        raise PolicyViolation("signoff", f"role '{role}' is not one the plan requires "
                                         f"({', '.join(plan.signoff.required)}); roles known: "
                                         f"{', '.join(ROLES)}")
    if not note.strip():
        raise UsageError("a sign-off needs a note saying why", argument="note")
    lineage = _migration(store, plan)
    event = store.log_event(NewEvent(kind=f"{_KIND}{decision}", subject=plan.name, actor=actor,
                                     payload={"role": role, "decision": decision,
                                              "note": note, "lineage_digest":
                                                  lineage_digest(lineage),
                                              "gate_verdict": lineage.get("verdict"),
                                              "plan_hash": plan.plan_hash}))
    return _approval(event)


def signoff_status(store: Store, plan: Any,
                   lineage: dict[str, Any] | None = None) -> SignoffStatus:
    """The sign-off of ``plan``'s migration: decisions per role on its current digest, void
    ones, the audit chain's state, and the verdict (see the module docstring).

    Args:
        store: the store.
        plan: the loaded plan.
        lineage: the migration's lineage (default: the one the store recorded).
    """
    lineage = lineage if lineage is not None else _migration(store, plan)
    digest = lineage_digest(lineage)
    required = list(plan.signoff.required) if plan.signoff is not None else []
    decisions: dict[str, Approval] = {}
    void: list[Approval] = []
    for event in store.events(subject=plan.name):
        if not event.kind.startswith(_KIND):
            continue
        approval = _approval(event)
        if approval.lineage_digest != digest:
            void.append(approval)
        elif approval.role in required:
            decisions[approval.role] = approval  # the latest decision counts
    missing = [r for r in required if r not in decisions]
    rejected = [r for r, a in decisions.items() if a.decision == "reject"]
    gate = lineage.get("verdict")
    verdict: Literal["PASS", "FAIL", "PENDING"]
    chain_ok = store.verify_audit().ok
    if gate != "PASS":
        verdict, reason = "FAIL", f"the gate's verdict is {gate}"
    elif rejected:
        verdict, reason = "FAIL", f"rejected by {', '.join(rejected)}"
    elif not chain_ok:
        verdict, reason = "FAIL", "the audit chain does not verify (agility audit verify)"
    elif missing:
        verdict, reason = "PENDING", f"waiting for {', '.join(missing)}"
    else:
        verdict, reason = "PASS", "the gate passed and every required role approved"
    return SignoffStatus(plan=plan.name, verdict=verdict, gate_verdict=gate,
                         lineage_digest=digest, evidence=_evidence(lineage), required=required,
                         decisions=decisions, missing=missing, void=void,
                         audit_chain_ok=chain_ok, reason=reason)


def write_signoff_record(status: SignoffStatus, out: str | Path) -> Path:
    """Write the sign-off record (evidence digest, who decided what and when) as JSON.

    Raises:
        UsageError: the file cannot be written.
    """
    path = Path(out)
    try:
        atomic_write(path, status.model_dump_json(indent=2) + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {describe_os_error(exc)}. Pick another output "
                         f"path.", argument="out") from exc
    return path
