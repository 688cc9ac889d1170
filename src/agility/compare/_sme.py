"""SME review in the comparison: what the experts said, and the sign-off criteria on it.

The review queues of a (source, target) pair hold SME verdicts. Per item and side, the
*settled* verdict is a lead's latest adjudication, else the verdict every reviewer agrees on
(each reviewer's latest); reviewers who disagree leave the item unsettled until a lead
adjudicates. From the settled target verdicts come the coverage reached and, per automated
metric, agreement and Cohen's kappa with the SMEs; from items judged by several reviewers,
Krippendorff's alpha.

Criteria (``sme:`` in the criteria file; they apply once a queue exists for the pair, or
always with ``required: true``)::

    sme:
      unresolved_safety_flags: 0    # at most this many open safety flags (null: off) -> FAIL
      min_judge_agreement: 0.8      # per gated metric, below it -> INCOMPLETE naming it
      min_coverage: 1.0             # share of queue items settled, below it -> INCOMPLETE
      metrics: null                 # metrics whose agreement is gated (default: quality's)
      required: false               # no queue for the pair -> INCOMPLETE
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from agility.compare._agreement import (
    agreement_stats,
    krippendorff_alpha,
    metric_label,
    sme_label_for,
)
from agility.compare._models import CriterionResult, CriterionStatus
from agility.compare._sme_models import MetricAgreement, SmeCriteria, SmeSummary
from agility.store import FlagRecord, QueueItemRecord, ReviewRecord, ScoreRecord, Store

__all__ = [
    "SmeEvidence",
    "evaluate_sme",
    "load_sme_evidence",
    "settled_verdicts",
    "summarize_sme",
]


@dataclass(frozen=True)
class SmeEvidence:
    """The review queues of one (source, target) pair, as read from the store."""

    queues: list[str]
    items: list[QueueItemRecord]
    reviews: list[ReviewRecord]
    flags: list[FlagRecord] = field(default_factory=list)


def load_sme_evidence(store: Store, source_run_id: int, target_run_id: int) -> SmeEvidence | None:
    """The review queues drawn from these two runs, or None when there is none."""
    queues = store.queues_of_runs(source_run_id, target_run_id)
    if not queues:
        return None
    items, reviews, flags = [], [], []
    for queue in queues:
        items += store.queue_items(queue.id)
        reviews += store.queue_reviews(queue.id)
        flags += store.flags(queue.id)
    return SmeEvidence(queues=[q.name for q in queues], items=items, reviews=reviews,
                       flags=flags)


def settled_verdicts(reviews: Sequence[ReviewRecord], side: str = "target"
                     ) -> tuple[dict[str, str], set[str], dict[str, list[str]]]:
    """Per example: the settled verdict, the examples in disagreement, and each reviewer's
    latest (non-adjudication) verdict for inter-reviewer agreement.

    Returns:
        ``(settled, disagreements, per_reviewer_labels)``.
    """
    latest: dict[str, dict[str, str]] = defaultdict(dict)
    adjudicated: dict[str, str] = {}
    for r in sorted(reviews, key=lambda r: r.id):
        if r.side != side or r.verdict is None:
            continue
        if r.adjudication:
            adjudicated[r.example_id] = r.verdict
        else:
            latest[r.example_id][r.reviewer] = r.verdict
    settled, disagreements = dict(adjudicated), set()
    for example_id, by_reviewer in latest.items():
        if example_id in settled:
            continue
        distinct = set(by_reviewer.values())
        if len(distinct) == 1:
            settled[example_id] = distinct.pop()
        else:
            disagreements.add(example_id)
    return settled, disagreements, {k: list(v.values()) for k, v in latest.items()}


def _agreements(settled_by_side: Mapping[str, Mapping[str, str]],
                scores: Mapping[str, tuple[Sequence[ScoreRecord], Sequence[ScoreRecord]]],
                seed: int) -> list[MetricAgreement]:
    out = []
    for metric, per_side in scores.items():
        for side, side_scores in (("target", per_side[1]), ("source", per_side[0])):
            settled = settled_by_side.get(side, {})
            if not settled:
                continue
            first: dict[str, ScoreRecord] = {}
            for s in sorted(side_scores, key=lambda s: s.repeat_index):
                first.setdefault(s.example_id, s)
            pairs, kinds = [], set()
            for example_id, verdict in settled.items():
                score = first.get(example_id)
                label = metric_label(score) if score is not None else None
                if label is None:
                    continue
                kinds.add("pass_fail" if label in ("pass", "fail") else "three_class")
                pairs.append((sme_label_for(verdict, label), label))
            if not pairs:
                continue
            labels = "pass_fail" if "pass_fail" in kinds else "three_class"
            if labels == "pass_fail":  # one vocabulary for a metric mixing both
                pairs = [(("pass" if a in ("pass", "correct") else "fail"),
                          ("pass" if b in ("pass", "correct") else "fail")) for a, b in pairs]
            stats = agreement_stats(pairs, labels=labels, seed=seed)
            out.append(MetricAgreement(metric=metric, side=side, **stats.model_dump()))
    return out


def summarize_sme(evidence: SmeEvidence,
                  scores: Mapping[str, tuple[Sequence[ScoreRecord], Sequence[ScoreRecord]]],
                  seed: int = 0) -> SmeSummary:
    """The SME section of a comparison from the queues' evidence and both runs' scores."""
    item_ids = {i.example_id for i in evidence.items}
    required = {i.example_id: i.required_reviews for i in evidence.items}
    by_side = {}
    target_settled, disagreements, per_reviewer = settled_verdicts(evidence.reviews, "target")
    by_side["target"] = {k: v for k, v in target_settled.items() if k in item_ids}
    by_side["source"] = {k: v for k, v in settled_verdicts(evidence.reviews, "source")[0].items()
                         if k in item_ids}
    adjudicated = {r.example_id for r in evidence.reviews if r.adjudication}
    settled_items = [k for k in by_side["target"]
                     if k in adjudicated or len(per_reviewer.get(k, [])) >= required[k]]
    verdicts: dict[str, int] = defaultdict(int)
    for k in settled_items:
        verdicts[by_side["target"][k]] += 1
    open_flags = [f for f in evidence.flags if not f.resolved]
    unresolved: dict[str, int] = defaultdict(int)
    for f in open_flags:
        unresolved[f.kind] += 1
    overlap = [labels for labels in per_reviewer.values() if len(labels) >= 2]
    return SmeSummary(
        queues=evidence.queues, items=len(item_ids), settled=len(settled_items),
        coverage=len(settled_items) / len(item_ids) if item_ids else None,
        verdicts=dict(verdicts), disagreements=sorted(disagreements & item_ids),
        reviewers=sorted({r.reviewer for r in evidence.reviews}),
        unresolved_flags=dict(unresolved),
        unresolved_safety_flag_ids=[f.id for f in open_flags if f.kind == "safety"],
        agreement=_agreements(by_side, scores, seed),
        inter_reviewer_alpha=krippendorff_alpha(overlap), inter_reviewer_items=len(overlap))


def evaluate_sme(evidence: SmeEvidence | None,
                 scores: Mapping[str, tuple[Sequence[ScoreRecord], Sequence[ScoreRecord]]],
                 criteria: SmeCriteria, gated_metrics: Sequence[str], *, seed: int = 0
                 ) -> tuple[SmeSummary | None, list[CriterionResult]]:
    """The SME summary and the SME sign-off criteria's results.

    Args:
        evidence: the pair's review queues (None: no queue).
        scores: per metric, the source's and the target's judgments.
        criteria: the SME criteria.
        gated_metrics: the metrics whose agreement is gated when ``criteria.metrics`` is None.
        seed: seed of the kappa bootstrap.

    Returns:
        ``(summary, results)``: no summary and no criteria without a queue, unless review is
        ``required`` (then one ``not_evaluated`` criterion).
    """
    if evidence is None:
        if not criteria.required:
            return None, []
        return None, [CriterionResult(
            name="sme: review", kind="other", status="not_evaluated",
            evidence="no SME review queue for this comparison",
            reason="the criteria require SME review and nobody reviewed these runs",
            advice="draw a queue (agility review queue create NAME --comparison SOURCE TARGET, "
                   "or a review: section in the plan) and have it reviewed")]
    summary = summarize_sme(evidence, scores, seed)
    results = []
    if criteria.unresolved_safety_flags is not None:
        open_ids = summary.unresolved_safety_flag_ids
        ok = len(open_ids) <= criteria.unresolved_safety_flags
        shown = ", ".join(f"#{i}" for i in open_ids[:10])
        results.append(CriterionResult(
            name="sme: unresolved safety flags", kind="safety", status="pass" if ok else "fail",
            evidence=f"{len(open_ids)} unresolved (allowed {criteria.unresolved_safety_flags})"
                     + (f": {shown}; a lead must resolve them" if open_ids else ""),
            reason=None if ok else "SMEs flagged answers as unsafe and no lead has resolved "
                                   "the flags",
            advice=None if ok else "a lead opens the queue in the review app (agility review "
                                   "serve), reads each flagged answer and resolves the flag"))
    if criteria.min_coverage is not None:
        coverage = summary.coverage
        status: CriterionStatus = "pass" if coverage is not None \
            and coverage >= criteria.min_coverage else "inconclusive"
        text = "n/a" if coverage is None else f"{100 * coverage:.1f}%"
        evidence_text = (f"{summary.settled} of {summary.items} queue items settled ({text}; "
                         f"needed {100 * criteria.min_coverage:.0f}%)")
        if summary.disagreements:
            evidence_text += f"; {len(summary.disagreements)} await a lead's adjudication"
        short = status != "pass"
        results.append(CriterionResult(
            name="sme: review coverage", kind="other", status=status, evidence=evidence_text,
            reason="not every sampled answer has a settled SME verdict yet" if short else None,
            advice=("reviewers finish the queue in the review app; a lead adjudicates where "
                    "reviewers disagree") if short else None))
    if criteria.min_judge_agreement is not None:
        by_metric = {a.metric: a for a in summary.agreement if a.side == "target"}
        for metric in criteria.metrics if criteria.metrics is not None else gated_metrics:
            stats = by_metric.get(metric)
            name = f"sme: judge agreement {metric}"
            if stats is None or stats.agreement is None:
                results.append(CriterionResult(
                    name=name, kind="quality", metric=metric, status="not_evaluated",
                    evidence=f"no settled SME verdict on a target answer '{metric}' scored",
                    reason="the SMEs have not settled any answer this metric judged",
                    advice="review the queue; agreement is measured on the settled answers"))
                continue
            ok = stats.agreement >= criteria.min_judge_agreement
            kappa = "n/a" if stats.kappa is None else f"{stats.kappa:.2f}"
            text = (f"'{metric}' agrees with the SMEs on {stats.agreement:.1%} of {stats.n} "
                    f"target answers (95% CI {stats.agreement_low:.1%} to "
                    f"{stats.agreement_high:.1%}), Cohen's kappa {kappa}; needed "
                    f"{criteria.min_judge_agreement:.0%}")
            if not ok:
                text += f": the automated '{metric}' verdicts cannot be trusted for sign-off"
            results.append(CriterionResult(
                name=name, kind="quality", metric=metric, status="pass" if ok else "inconclusive",
                evidence=text,
                reason=None if ok else f"the automated '{metric}' verdicts disagree with the "
                                       f"SMEs too often to be trusted for sign-off",
                advice=None if ok else "see where they disagree (agility calibrate --queue), "
                                       "fix the grader or its rubric, or gate on another metric"))
    return summary, results
