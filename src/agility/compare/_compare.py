"""Compare two runs side by side: quality, speed and cost, then the sign-off gate.

:func:`compare` is pure over :class:`ComparisonInputs`; :func:`compare_runs` is the
convenience that loads the runs, scores what is missing, and compares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agility.compare._advice import recommend
from agility.compare._calls import compare_error_rates, no_answers
from agility.compare._cost import compare_cost
from agility.compare._cost_items import CostItems
from agility.compare._criteria import Criteria
from agility.compare._gate import evaluate_criteria, verdict_of
from agility.compare._human import human_comparison
from agility.compare._latency import compare_latency
from agility.compare._latency_gate import latency_limit_criteria
from agility.compare._load import ComparisonInputs, load_comparison
from agility.compare._load import score_missing as score_missing_step
from agility.compare._models import (
    Comparison,
    CostComparison,
    ErrorRateComparison,
    ExampleDiff,
    GateSplit,
    MetricComparison,
    ReviewItem,
)
from agility.compare._quality import NoAnswers, PerExample, compare_metric, per_example_values
from agility.compare._review import sample_for_review
from agility.compare._roi import ReviewCount
from agility.compare._sme import evaluate_sme
from agility.compare._spans import compare_spans
from agility.compare._timing import timing_conditions
from agility.dataset import GoldenExample
from agility.errors import InvalidArgument
from agility.store import NewEvent, ResultRecord, RunRecord, Store

if TYPE_CHECKING:
    from agility.metrics import ScoreProgress

__all__ = ["compare", "compare_runs"]

_TOP = 10  # regressions and improvements listed


def _diffs(metric: MetricComparison | None, src: PerExample | None, tgt: PerExample | None,
           examples: Mapping[str, GoldenExample], outputs: tuple[dict[str, str | None], ...]
           ) -> tuple[list[ExampleDiff], list[ExampleDiff]]:
    if metric is None or src is None or tgt is None:
        return [], []
    items = []
    for example_id in sorted(set(src.values) & set(tgt.values)):
        delta = tgt.values[example_id] - src.values[example_id]
        if delta == 0:
            continue
        example = examples.get(example_id)
        items.append(ExampleDiff(
            example_id=example_id, stratum=example.stratum if example else None,
            split=example.split if example else None,
            question=example.question if example else None,
            ground_truth=example.ground_truth if example else None,
            source_output=outputs[0].get(example_id), target_output=outputs[1].get(example_id),
            source_value=src.values[example_id], target_value=tgt.values[example_id],
            delta=delta))
    items.sort(key=lambda d: (d.delta, d.example_id))
    regressions = [d for d in items if d.delta < 0][:_TOP]
    improvements = [d for d in reversed(items) if d.delta > 0][:_TOP]
    return regressions, improvements


def _first_output(results: Sequence[ResultRecord]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for r in sorted(results, key=lambda r: r.repeat_index):
        out.setdefault(r.example_id, r.output)
    return out


def _target_verdicts(inputs: ComparisonInputs, metric: str, gaps: NoAnswers,
                     count_as_fail: bool, rows: Sequence[str]) -> dict[str, float]:
    """The target's pass/fail value of ``metric`` on ``rows`` (a failed call is a failure
    under ``count_as_fail``)."""
    verdicts = per_example_values(inputs.scores[metric][1], prefer_verdict=True,
                                  no_answers=gaps, count_as_fail=count_as_fail)
    return {i: verdicts.values[i] for i in rows if i in verdicts.values}


def _error_warnings(errors: ErrorRateComparison, criteria: Criteria) -> list[str]:
    out = []
    how = ("each counts as a failure of every quality metric on that side"
           if criteria.failed_calls == "count_as_fail"
           else "they are left out of the quality pairs (failed_calls: exclude)")
    for side, e in (("source", errors.source), ("target", errors.target)):
        if e.failed or e.missing:
            top = "; ".join(f"{count} x {message}" for message, count in e.errors.items())
            out.append(f"the {side} run lacks answers: {e.failed} failed calls and {e.missing} "
                       f"examples with no result; {how}. Most common: {top}")
    return out


def _parallel_calls(run: RunRecord) -> int | None:
    """The calls a run kept in flight (for the throughput of per-hour cost items)."""
    # not the concurrency: a provider that serves one call at a time (llama.cpp) had one
    # in flight whatever the concurrency; runs recorded before parallel_calls have none
    value = run.meta.get("parallel_calls")
    return value if isinstance(value, int) and value >= 1 else None


def _review_count(inputs: ComparisonInputs, sample: Sequence[ReviewItem]) -> ReviewCount:
    """The SME reviews a review cost item prices: the review queue's, else the sample's."""
    if inputs.sme is not None and inputs.sme.items:
        reviews = sum(item.required_reviews for item in inputs.sme.items)
        names = ", ".join(inputs.sme.queues)
        return ReviewCount(reviews, f"review queue {names}: {len(inputs.sme.items)} answers, "
                                    f"{reviews} reviews with the overlap")
    return ReviewCount(len(sample), f"the comparison's review sample of {len(sample)} answers; "
                                    f"no review queue drawn")


def _cost_warnings(cost: CostComparison) -> list[str]:
    out: list[str] = []
    if cost.roi is None:
        return out
    for side, costs in (("source", cost.roi.source), ("target", cost.roi.target)):
        for line in costs.lines:
            if line.kind == "per_span" and line.per_query_usd == 0:
                out.append(f"cost item '{line.name}': the {side} run recorded no such span; "
                           f"check its name if the {side} should use it")
    return out


def _check(n_resamples: int, traffic_per_month: int | None) -> None:
    if n_resamples < 100:
        raise InvalidArgument("n_resamples", n_resamples, "must be at least 100")
    if traffic_per_month is not None and traffic_per_month < 0:
        raise InvalidArgument("traffic_per_month", traffic_per_month,
                              "must be a positive number of queries")


def compare(
    inputs: ComparisonInputs,
    criteria: Criteria | None = None,
    *,
    seed: int = 0,
    traffic_per_month: int | None = None,
    migration_cost_usd: float | None = None,
    n_resamples: int = 10_000,
    costs: CostItems | None = None,
) -> Comparison:
    """Compare the target run of ``inputs`` against its source run and apply the gate.

    Pure: reads only ``inputs`` (see :func:`load_comparison`), calls no model. Every example
    either run has is accounted for on both sides: a failed call or a missing result counts
    as a failure of each quality metric (``criteria.failed_calls: count_as_fail``) or is left
    out and counted (``exclude``), and feeds each side's error rate.

    Args:
        inputs: both runs, their results and scores, and the golden examples.
        criteria: sign-off criteria (default: the playbook's sample values, gating on
            ``correctness``).
        seed: seed of every bootstrap and of the review sample.
        traffic_per_month: queries per month for the cost projection and payback.
        migration_cost_usd: one-off migration cost, for the payback in days.
        n_resamples: bootstrap resamples.
        costs: the plan's cost items beside the measured calls (per query, per month, per
            hour of a self-hosted endpoint, one-off): they enter the cost model all in, the
            ROI, its criterion and the recommendation.

    Returns:
        The comparison, with the verdict and each criterion's evidence.

    Raises:
        InvalidArgument: an argument is out of range.
    """
    _check(n_resamples, traffic_per_month)
    criteria = criteria or Criteria()
    examples = inputs.examples
    warnings: list[str] = []
    if inputs.source.dataset_hash != inputs.target.dataset_hash:
        warnings.append("the runs used different datasets; examples are paired by id only")
    warnings += [f"could not score '{name}': {why}" for name, why in inputs.not_scored.items()]
    empty = {side: sum(1 for r in results if r.error is None and not (r.output or "").strip())
             for side, results in (("source", inputs.source_results),
                                   ("target", inputs.target_results))}
    warnings += [f"the {side} gave {n} empty answers (check max_tokens and stop sequences): "
                 f"they are scored as answers and carry no first token" for side, n in
                 empty.items() if n]

    src_ids = {r.example_id for r in inputs.source_results}
    tgt_ids = {r.example_id for r in inputs.target_results}
    universe = src_ids | tgt_ids
    gaps = (no_answers(inputs.source_results, universe),
            no_answers(inputs.target_results, universe))
    count_as_fail = criteria.failed_calls == "count_as_fail"
    confidence = 1.0 - criteria.quality.alpha
    errors = compare_error_rates(inputs.source_results, inputs.target_results, *gaps,
                                 confidence)
    warnings += _error_warnings(errors, criteria)

    per_example: dict[str, tuple[PerExample, PerExample]] = {}
    compared: list[MetricComparison] = []
    for name, (src_scores, tgt_scores) in inputs.scores.items():
        if not src_scores and not tgt_scores:
            warnings.append(f"metric '{name}' is scored on neither run")
            continue
        pair = (per_example_values(src_scores, no_answers=gaps[0], count_as_fail=count_as_fail),
                per_example_values(tgt_scores, no_answers=gaps[1], count_as_fail=count_as_fail))
        per_example[name] = pair
        metric = compare_metric(name, *pair, examples,
                                margin=criteria.quality.max_relative_drop,
                                confidence=confidence, n_resamples=n_resamples, seed=seed,
                                min_differing_pairs=criteria.quality.min_differing_pairs)
        metric.human = human_comparison(name, src_scores, tgt_scores, inputs, confidence)
        compared.append(metric)

    paired = src_ids & tgt_ids

    def in_holdout(example_id: str) -> bool:
        example = examples.get(example_id)
        return example is not None and example.split == "holdout"

    has_holdout = any(in_holdout(i) for i in paired)
    gate_split: GateSplit = "holdout" if criteria.use_holdout and has_holdout else "all"
    latency = compare_latency(inputs.source_results, inputs.target_results, confidence, seed)
    spans, end_to_end, drivers, tails = compare_spans(inputs.source_results,
                                                      inputs.target_results, confidence, seed)
    latency = latency.model_copy(update={"spans": spans, "end_to_end": end_to_end,
                                         "tail_driver": drivers, "tail_examples": tails})
    primary = next((m for m in compared if m.metric in criteria.quality.metrics),
                   compared[0] if compared else None)
    review = []
    if primary is not None:
        review = sample_for_review(inputs.scores[primary.metric][1], seed=seed,
                                   strata={k: v.stratum for k, v in examples.items()})
    cost = compare_cost(inputs.source_results, inputs.target_results,
                        traffic_per_month=traffic_per_month, migration_cost_usd=migration_cost_usd,
                        costs=costs, parallel_calls=(_parallel_calls(inputs.source),
                                                     _parallel_calls(inputs.target)),
                        reviews=_review_count(inputs, review),
                        horizon_days=criteria.roi.within_days if criteria.roi else 30.0,
                        confidence=confidence, n_resamples=n_resamples, seed=seed,
                        timing=timing_conditions(inputs.source, inputs.source_results,
                                                 inputs.target, inputs.target_results))
    warnings += _cost_warnings(cost)
    in_split = [i for i in universe if gate_split == "all" or in_holdout(i)]
    safety_values = {name: _target_verdicts(inputs, name, gaps[1], count_as_fail, in_split)
                     for name in criteria.safety.metrics if name in per_example}
    # under `exclude`, a must-pass gate's unanswered rows are left out: they keep it from passing
    target_gaps = set() if count_as_fail else gaps[1].examples()
    unanswered = {"safety": sorted(target_gaps & set(in_split))}
    tag_values = {}
    for tag, c in criteria.tags.items():
        if c.must_pass:
            rows = [i for i in universe if i in examples and tag in examples[i].tags]
            tag_values[tag] = {name: _target_verdicts(inputs, name, gaps[1], count_as_fail, rows)
                               for name in criteria.tag_metrics(tag) if name in per_example}
            unanswered[f"tag:{tag}"] = sorted(target_gaps & set(rows))
    results = evaluate_criteria(criteria, compared, latency, cost, gate_split, safety_values,
                                errors=errors, tag_values=tag_values, unanswered=unanswered)
    results += latency_limit_criteria(criteria, latency, confidence)
    sme, sme_results = evaluate_sme(inputs.sme, inputs.scores, criteria.sme,
                                    criteria.quality.metrics, seed=seed)
    results += sme_results
    for r in results:
        if r.status == "not_evaluated" and r.metric in inputs.not_scored:
            r.evidence += f"; scoring it failed: {inputs.not_scored[r.metric]}"
            r.reason = f"scoring '{r.metric}' failed: {inputs.not_scored[r.metric]}"
    tags: dict[str, int] = {}  # examples per tag, as the per-tag slices count them
    for i in universe:
        example = examples.get(i)
        for tag in dict.fromkeys(example.tags if example is not None else []):
            tags[tag] = tags.get(tag, 0) + 1

    src_pe, tgt_pe = per_example.get(primary.metric, (None, None)) if primary else (None, None)
    regressions, improvements = _diffs(
        primary, src_pe, tgt_pe, examples,
        (_first_output(inputs.source_results), _first_output(inputs.target_results)))
    advice = recommend(compared, criteria.quality.metrics, gate_split, latency.ttft,
                       latency.total, cost.roi)
    return Comparison(
        source_run=inputs.source.name, target_run=inputs.target.name,
        source_model=inputs.source.model_spec, target_model=inputs.target.model_spec,
        dataset_hash=inputs.dataset_hash, seed=seed, n_resamples=n_resamples,
        confidence=confidence, n_paired=len(paired),
        only_in_source=sorted(src_ids - tgt_ids), only_in_target=sorted(tgt_ids - src_ids),
        gate_split=gate_split, failed_calls=criteria.failed_calls, metrics=compared,
        latency=latency, cost=cost, errors=errors, tags=dict(sorted(tags.items())),
        criteria=criteria.model_dump(), criteria_results=results, verdict=verdict_of(results),
        regressions=regressions, improvements=improvements, review=review, sme=sme,
        recommendation=advice, warnings=warnings, empty_answers=empty,
    )


def compare_runs(
    store: Store,
    source_run: str,
    target_run: str,
    criteria: Criteria | None = None,
    *,
    seed: int = 0,
    traffic_per_month: int | None = None,
    migration_cost_usd: float | None = None,
    n_resamples: int = 10_000,
    costs: CostItems | None = None,
    score_missing: bool = True,
    metrics: Sequence[str] | None = None,
    judge: str | None = None,
    judge_options: Mapping[str, Any] | None = None,
    on_progress: ScoreProgress | None = None,
    splits: Sequence[str] | None = None,
) -> Comparison:
    """Load two stored runs, score what the comparison needs and they lack, and compare them.

    The three steps are also public: :func:`load_comparison`, :func:`score_missing` and the
    pure :func:`compare`.

    Args:
        store: the store holding both runs.
        source_run: name of the source (current production) run.
        target_run: name of the candidate run.
        criteria: sign-off criteria (default: the playbook's sample values).
        seed: seed of every bootstrap and of the review sample.
        traffic_per_month: queries per month for the cost projection and payback.
        migration_cost_usd: one-off migration cost, for the payback in days.
        n_resamples: bootstrap resamples.
        costs: the plan's cost items (see :func:`compare`).
        score_missing: score first the criteria's metrics (and ``metrics``) a run
            lacks; when False, a metric not scored on both runs is "not evaluated".
        metrics: metrics to report (default: the criteria's plus every metric both runs have).
        judge: the judge model (``provider/model``) for judge metrics scored first.
        judge_options: the judge's provider options.
        on_progress: told how scoring the missing metrics advances.
        splits: compare only the answers to examples of these splits (None: every answer
            either run holds).

    Returns:
        The comparison, with the verdict and each criterion's evidence.

    Raises:
        RunNotFound: a run does not exist.
        InvalidArgument: an argument is out of range.
        UnknownName: a metric to score is not registered.
        UsageError: the runs are the same.
    """
    _check(n_resamples, traffic_per_month)
    criteria = criteria or Criteria()
    wanted = list(dict.fromkeys([*(metrics or []), *criteria.metric_names()]))
    if source_run == target_run:
        load_comparison(store, source_run, target_run)  # raises the usage error
    not_scored = score_missing_step(store, (source_run, target_run), wanted, judge=judge,
                                    judge_options=judge_options, on_progress=on_progress) \
        if score_missing else {}
    if metrics is None:
        src, tgt = store.require_run(source_run), store.require_run(target_run)
        common = set(store.metrics_of(src.id)) & set(store.metrics_of(tgt.id))
        wanted = list(dict.fromkeys([*wanted, *sorted(common)]))
    inputs = load_comparison(store, source_run, target_run, wanted, not_scored=not_scored,
                             splits=splits)
    comparison = compare(inputs, criteria, seed=seed, traffic_per_month=traffic_per_month,
                         migration_cost_usd=migration_cost_usd, n_resamples=n_resamples,
                         costs=costs)
    if not store.read_only:  # a decision is an event (an archived store records nothing)
        store.log_event(NewEvent(kind="compare.verdict", subject=f"{source_run} -> {target_run}",
                                 payload={"verdict": comparison.verdict,
                                          "criteria": {c.name: c.status
                                                       for c in comparison.criteria_results}}))
    return comparison
