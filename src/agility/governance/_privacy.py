"""A privacy policy applied on every path it names: judges, providers, store, exports,
reports, logs.

:func:`policy_masks` turns a :class:`PrivacyPolicy` into one text mask per path (one
:class:`PiiMasker`, so ``hash`` and ``pseudonymize`` give the same token for the same value on
every path and exact comparisons between masked texts still hold). The lower layers take these
masks as plain callables: :class:`agility.client.Client` (``mask``: what leaves for a model),
:func:`agility.runner.run_model` (``masks``: what is sent and what is stored),
:func:`agility.metrics.score_run` (``mask_judged``, ``mask_stored``),
:func:`agility.runner.export_run` (``mask``); :func:`mask_comparison` masks a comparison
before it is rendered, :func:`mask_logs` installs a filter on agility's loggers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from agility.governance._pii import PiiMasker
from agility.governance._policy import PrivacyPolicy

__all__ = [
    "PolicyMasks",
    "ground_truth_findings",
    "log_model_call",
    "mask_comparison",
    "mask_logs",
    "model_call_event",
    "policy_masks",
    "run_privacy_record",
    "stored_policy_masks",
]

TextMask = Callable[[str], str]

#: fields of a comparison that hold dataset or model text
_COMPARISON_TEXT = frozenset({"question", "source_output", "target_output", "ground_truth",
                              "output", "prompt", "reason", "comment", "note"})


@dataclass(frozen=True)
class PolicyMasks:
    """One text mask per path of a privacy policy (None where the policy does not mask)."""

    masker: PiiMasker | None = None
    judges: TextMask | None = None
    providers: TextMask | None = None
    store: TextMask | None = None
    exports: TextMask | None = None
    reports: TextMask | None = None
    logs: TextMask | None = None


def policy_masks(policy: PrivacyPolicy | None) -> PolicyMasks:
    """The masks of ``policy`` (no policy: nothing is masked).

    Raises:
        MissingExtraError: Presidio is not installed (``pip install 'agility[privacy]'``).
    """
    if policy is None:
        return PolicyMasks()
    masker = PiiMasker(policy.mask, policy.mode, ner=policy.ner, threshold=policy.threshold)
    paths = {path: masker.mask if policy.masks(path) else None for path in policy.where}
    return PolicyMasks(masker=masker, **paths)


def run_privacy_record(policy: PrivacyPolicy | None) -> dict[str, Any] | None:
    """What a run records of the policy it ran under (so a later export applies it too)."""
    if policy is None:
        return None
    return {"mask": list(policy.mask), "where": list(policy.where), "mode": policy.mode,
            "ner": policy.ner, "threshold": policy.threshold}


def stored_policy_masks(meta: dict[str, Any]) -> PolicyMasks:
    """The masks of the policy a run recorded in its ``meta`` (none recorded: no masks)."""
    recorded = meta.get("privacy")
    if not isinstance(recorded, dict):
        return PolicyMasks()
    return policy_masks(PrivacyPolicy.model_validate(recorded))


def mask_comparison(comparison: Any, mask: TextMask) -> Any:
    """A copy of a :class:`~agility.compare.Comparison` with its dataset and model text
    masked (questions, answers, ground truths, reasons), for the reports."""

    def walk(value: Any, key: str | None = None) -> Any:
        if isinstance(value, str) and key in _COMPARISON_TEXT:
            return mask(value)
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        return value

    return type(comparison).model_validate(walk(comparison.model_dump(mode="python")))


class _MaskingFilter(logging.Filter):
    def __init__(self, mask: TextMask) -> None:
        super().__init__()
        self.mask = mask

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.mask(record.getMessage())
        record.args = None
        return True


def mask_logs(mask: TextMask, loggers: Iterable[str] = ("agility",)) -> Callable[[], None]:
    """Mask every record of agility's loggers; returns a function that removes the filter."""
    installed = [(logging.getLogger(name), _MaskingFilter(mask)) for name in loggers]
    for logger, filt in installed:
        logger.addFilter(filt)
        for handler in logger.handlers:
            handler.addFilter(filt)

    def remove() -> None:
        for logger, filt in installed:
            logger.removeFilter(filt)
            for handler in logger.handlers:
                handler.removeFilter(filt)

    return remove


def ground_truth_findings(policy: PrivacyPolicy, masker: PiiMasker,
                          examples: Iterable[Any]) -> list[str]:
    """Named findings when masking would change a ground truth the graders need.

    Returns one sentence per problem: which rows, which entity types, and what follows (a
    judge sees placeholders; with ``redact`` every masked value reads alike).
    """
    if not (policy.masks("store") or policy.masks("judges")):
        return []
    hit: dict[str, set[str]] = {}
    for example in examples:
        truth = getattr(example, "ground_truth", None)
        if truth:
            for found in masker.find(str(truth)):
                hit.setdefault(example.id, set()).add(found.entity)
    if not hit:
        return []
    rows = ", ".join(f"{row} ({'/'.join(sorted(kinds))})" for row, kinds in sorted(hit.items()))
    findings = [f"masking changes the ground truth of {len(hit)} row(s): {rows}"]
    if policy.mode == "redact":
        findings.append("with mode redact every masked value reads alike, so an answer naming "
                        "the wrong value grades as matching on these rows: use mode hash or "
                        "pseudonymize (the same value keeps the same token)")
    if policy.masks("judges"):
        findings.append("judges see placeholders on these rows" + (
            "; a local judge grades them unmasked (grade_unmasked: true)"
            if policy.grade_unmasked else "; set grade_unmasked: true to let a local judge "
                                          "see the unmasked text"))
    return findings


def model_call_event(*, subject: str, model: str, messages: Iterable[Any],
                     response: str | None, error: str | None = None,
                     request_id: str | None = None, mask: TextMask | None = None,
                     extra: dict[str, Any] | None = None, actor: str | None = None,
                     created_at: str | None = None) -> Any:
    """The ``model.call`` audit event of one call made outside a run (a gateway request, a
    port's optimiser call): the prompt sent and the answer, every text through ``mask``.

    Args: as for :func:`log_model_call`; ``actor`` who made the call (None: the process's),
    ``created_at`` when (None: when it is written).

    Returns:
        the :class:`~agility.store.NewEvent` (not written).
    """
    from agility.store import NewEvent

    def text(value: str | None) -> str | None:
        return value if value is None or mask is None else mask(value)

    prompt = []
    for m in messages:
        role, content = (m.get("role"), m.get("content")) if isinstance(m, dict) \
            else (m.role, m.content)
        prompt.append({"role": role, "content": text(str(content))})
    return NewEvent(kind="model.call", subject=subject, actor=actor, created_at=created_at,
                    payload={**(extra or {}), "model": model, "prompt": prompt,
                             "response": text(response), "error": text(error),
                             "request_id": request_id})


def log_model_call(store: Any, *, subject: str, model: str, messages: Iterable[Any],
                   response: str | None, error: str | None = None,
                   request_id: str | None = None, mask: TextMask | None = None,
                   extra: dict[str, Any] | None = None) -> Any:
    """Audit-log one model call made outside a run: the prompt sent and the answer, masked
    with ``mask`` (the policy's ``store`` mask), as a ``model.call`` event chained like every
    other. (Many calls on a request path: :class:`agility.governance.CallLog` writes them in
    batches, off that path.)

    Args:
        store: the store.
        subject: what the call belongs to (a rollout, a gateway arm, a port).
        model: ``provider/model``.
        messages: the messages sent (``Message`` objects or ``{"role", "content"}`` dicts).
        response: the answer's text (None when the call failed).
        error: the failure, if any.
        request_id: the provider's request id.
        mask: applied to every text before it is written.
        extra: more payload fields (arm, stage, latency...).

    Returns:
        the stored event.
    """
    return store.log_event(model_call_event(
        subject=subject, model=model, messages=messages, response=response, error=error,
        request_id=request_id, mask=mask, extra=extra))
