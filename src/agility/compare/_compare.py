"""``compare_runs``: pair two runs by example and compare quality, speed and cost, then gate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agility.compare._cost import compare_cost
from agility.compare._criteria import Criteria
from agility.compare._gate import evaluate_criteria, verdict_of
from agility.compare._latency import compare_latency
from agility.compare._models import Comparison, ExampleDiff, GateSplit, MetricComparison
from agility.compare._quality import PerExample, compare_metric, per_example_values
from agility.compare._review import sample_for_review
from agility.errors import UsageError
from agility.store import ResultRecord, RunRecord, Store

__all__ = ["compare_runs"]

_TOP = 10  # regressions and improvements listed


def _question_of(row: Mapping[str, Any]) -> str | None:
    """The user's question of a golden row (its prompt's last user message)."""
    prompt = row.get("question", row.get("source_prompt"))
    if isinstance(prompt, str) or prompt is None:
        return prompt
    if isinstance(prompt, dict):
        return prompt.get("user")
    if isinstance(prompt, list):
        users = [m.get("content") for m in prompt
                 if isinstance(m, dict) and m.get("role") == "user"]
        return users[-1] if users else None
    return str(prompt)


def _score_missing(store: Store, runs: Sequence[RunRecord], wanted: Sequence[str],
                   judge: str | None, progress: bool) -> dict[str, str]:
    """Score the wanted metrics a run lacks, through the metrics package's ``score_run``.

    Returns why a metric could not be scored (e.g. a judge metric without ``judge``), by
    metric; the criteria that need it are then "not evaluated". An unknown metric name is a
    usage error and is raised.
    """
    todo = {run.name: [m for m in wanted if m not in store.metrics_of(run.id or -1)]
            for run in runs}
    failed: dict[str, str] = {}
    if not any(todo.values()):
        return failed
    from agility.metrics import available_metrics, score_run

    known = set(available_metrics())
    for run_name, names in todo.items():
        for name in names:
            if name not in known:
                raise UsageError(f"metric '{name}' (needed by the criteria or --metrics) is "
                                 f"not scored on run '{run_name}' and is not a known metric. "
                                 f"Known metrics: {', '.join(sorted(known))}")
            if name in failed:
                continue
            try:
                score_run(store, run_name, metrics=[name], judge=judge, progress=progress)
            except UsageError as exc:
                failed[name] = str(exc)
    return failed


def _diffs(metric: MetricComparison | None, src: PerExample | None, tgt: PerExample | None,
           rows: Mapping[str, Mapping[str, Any]], outputs: tuple[dict[str, str | None], ...]
           ) -> tuple[list[ExampleDiff], list[ExampleDiff]]:
    if metric is None or src is None or tgt is None:
        return [], []
    items = []
    for example_id in sorted(set(src.values) & set(tgt.values)):
        delta = tgt.values[example_id] - src.values[example_id]
        if delta == 0:
            continue
        row = rows.get(example_id, {})
        truth = row.get("ground_truth")
        items.append(ExampleDiff(
            example_id=example_id, stratum=row.get("stratum"), split=row.get("split"),
            question=_question_of(row), ground_truth=None if truth is None else str(truth),
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
    score_missing: bool = True,
    metrics: Sequence[str] | None = None,
    judge: str | None = None,
    progress: bool = False,
) -> Comparison:
    """Compare a target run against a source run, side by side, and apply the sign-off gate.

    Args:
        store: the store holding both runs.
        source_run: name of the source (current production) run.
        target_run: name of the candidate run.
        criteria: sign-off criteria (default: the playbook's sample values, gating on
            ``correctness``).
        seed: seed of every bootstrap and of the review sample.
        traffic_per_month: queries per month for the cost projection and payback.
        migration_cost_usd: one-off migration cost, for the payback in days.
        n_resamples: bootstrap resamples.
        score_missing: score first the criteria's metrics (and ``metrics``) a run lacks.
        metrics: metrics to report (default: the criteria's plus every metric both runs have).
        judge: the judge model (``provider/model``) for judge metrics scored first.
        progress: show a progress bar while scoring missing metrics.

    Returns:
        The comparison, with the verdict and each criterion's evidence.

    Raises:
        UsageError: a run does not exist, the runs are the same, an argument is out of range,
            or a metric to score is unknown.
    """
    if source_run == target_run:
        raise UsageError(f"source and target are the same run ('{source_run}'); "
                         f"compare two different runs.")
    if n_resamples < 100:
        raise UsageError(f"n_resamples must be at least 100 (got {n_resamples})")
    if traffic_per_month is not None and traffic_per_month < 0:
        raise UsageError(f"--traffic must be a positive number of queries "
                         f"(got {traffic_per_month})")
    criteria = criteria or Criteria()
    src_run, tgt_run = store.require_run(source_run), store.require_run(target_run)
    assert src_run.id is not None and tgt_run.id is not None
    warnings: list[str] = []
    if src_run.dataset_hash != tgt_run.dataset_hash:
        warnings.append("the runs used different datasets; examples are paired by id only")
    wanted = list(dict.fromkeys([*(metrics or []), *criteria.metric_names()]))
    not_scored = (_score_missing(store, (src_run, tgt_run), wanted, judge, progress)
                  if score_missing else {})
    warnings += [f"could not score '{name}': {why}" for name, why in not_scored.items()]
    if metrics is None:
        common = set(store.metrics_of(src_run.id)) & set(store.metrics_of(tgt_run.id))
        wanted = list(dict.fromkeys([*wanted, *sorted(common)]))

    src_results, tgt_results = store.results(src_run.id), store.results(tgt_run.id)
    src_ids = {r.example_id for r in src_results}
    tgt_ids = {r.example_id for r in tgt_results}
    dataset_hash = src_run.dataset_hash or tgt_run.dataset_hash
    rows = {str(r.get("id")): r for r in store.dataset_rows(dataset_hash)} if dataset_hash else {}

    confidence = 1.0 - criteria.quality.alpha
    per_example: dict[str, tuple[PerExample, PerExample]] = {}
    compared: list[MetricComparison] = []
    for name in wanted:
        src_scores, tgt_scores = store.scores(src_run.id, name), store.scores(tgt_run.id, name)
        if not src_scores and not tgt_scores:
            warnings.append(f"metric '{name}' is scored on neither run")
            continue
        pair = per_example_values(src_scores), per_example_values(tgt_scores)
        per_example[name] = pair
        compared.append(compare_metric(name, *pair, rows, margin=criteria.quality.max_relative_drop,
                                       confidence=confidence, n_resamples=n_resamples, seed=seed,
                                       min_differing_pairs=criteria.quality.min_differing_pairs))

    paired = src_ids & tgt_ids
    has_holdout = any(rows.get(i, {}).get("split") == "holdout" for i in paired)
    gate_split: GateSplit = "holdout" if criteria.use_holdout and has_holdout else "all"
    latency = compare_latency(src_results, tgt_results, confidence)
    cost = compare_cost(src_results, tgt_results, traffic_per_month=traffic_per_month,
                        migration_cost_usd=migration_cost_usd)
    in_split = [i for i in tgt_ids
                if gate_split == "all" or rows.get(i, {}).get("split") == "holdout"]
    safety_values = {}
    for name in criteria.safety.metrics:
        if name in per_example:
            verdicts = per_example_values(store.scores(tgt_run.id, name), prefer_verdict=True)
            safety_values[name] = {i: verdicts.values[i] for i in in_split if i in verdicts.values}
    results = evaluate_criteria(criteria, compared, latency, cost, gate_split, safety_values)
    for r in results:
        name = r.name.partition(": ")[2]
        if r.status == "not_evaluated" and name in not_scored:
            r.evidence += f"; scoring it failed: {not_scored[name]}"

    primary = next((m for m in compared if m.metric in criteria.quality.metrics),
                   compared[0] if compared else None)
    src_pe, tgt_pe = per_example.get(primary.metric, (None, None)) if primary else (None, None)
    regressions, improvements = _diffs(primary, src_pe, tgt_pe, rows,
                                       (_first_output(src_results), _first_output(tgt_results)))
    review = []
    if primary is not None:
        review = sample_for_review(store.scores(tgt_run.id, primary.metric), seed=seed,
                                   strata={k: v.get("stratum") for k, v in rows.items()})
    return Comparison(
        source_run=source_run, target_run=target_run, source_model=src_run.model_spec,
        target_model=tgt_run.model_spec, dataset_hash=dataset_hash, seed=seed,
        n_resamples=n_resamples, confidence=confidence, n_paired=len(paired),
        only_in_source=sorted(src_ids - tgt_ids), only_in_target=sorted(tgt_ids - src_ids),
        gate_split=gate_split, metrics=compared, latency=latency, cost=cost,
        criteria=criteria.model_dump(), criteria_results=results, verdict=verdict_of(results),
        regressions=regressions, improvements=improvements, review=review, warnings=warnings,
    )
