"""``migrate``: the playbook's three steps driven by a plan, resumable, with one lineage record.

1. Benchmark the source: verify (or freeze) the golden dataset, run the source candidate (or
   replay its recorded answers) and score it.
2. Port and run the target: with a ``port:`` section, port the source prompt to the target
   model first (dev split only, the holdout scored once after the choice; the target then runs
   in the chosen candidate's own run, so nothing the port paid for is paid again); run the
   target candidate with its own (or the ported) prompt and score it. With a ``review:``
   section, draw the SME review queue (the playbook's sample) once both sides are scored; the
   gate then weighs what the SMEs said.
3. Validate: compare both side by side, apply the sign-off gate, write the HTML, Markdown and
   JSON reports, and record the migration's lineage and verdict in the store.

Every step is idempotent: a run that finished is not called again, an interrupted one resumes
(only the missing answers are called), and scores already computed are kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from agility import __version__
from agility._files import atomic_write, describe_os_error
from agility.compare import Comparison, compare_runs
from agility.dataset import Dataset, freeze_dataset, load_dataset
from agility.errors import PolicyViolation, RunSettingsChanged, UsageError
from agility.governance._checklist import governance_checklist
from agility.governance._privacy import (
    PolicyMasks,
    ground_truth_findings,
    mask_comparison,
    mask_logs,
    policy_masks,
    run_privacy_record,
)
from agility.governance._residency import check_residency, plan_models, residency_mapping
from agility.migrate._plan import CandidateSpec, Plan, load_plan
from agility.migrate._port_step import port_lineage, port_step
from agility.providers import RoutingPolicy
from agility.report import ChecklistItem, write_html, write_markdown
from agility.retrieval import EmbeddingRetriever
from agility.store import MigrationRecord, NewEvent, Store, utc_now
from agility.systems import HeaderBinding, SystemSpec, bind_headers

if TYPE_CHECKING:
    from agility.metrics import ScoreProgress
    from agility.runner import RunSummary

__all__ = ["MigrationResult", "migrate"]

Side = Literal["source", "target"]
StepCallback = Callable[[str], None]


class MigrationResult(BaseModel):
    """What :func:`migrate` did and decided."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    verdict: Literal["PASS", "FAIL", "INCOMPLETE"]
    source_run: str
    target_run: str
    report_html: Path
    report_markdown: Path
    report_json: Path
    #: what each step did this time ("frozen", "verified", "ran 64", "resumed 12", "skipped", ...)
    steps: dict[str, str] = Field(default_factory=dict)
    headline: dict[str, Any] = Field(default_factory=dict)
    lineage: dict[str, Any] = Field(default_factory=dict)
    comparison: Comparison
    #: the SME review queue the plan asked for (None: none), and the store holding it
    review_queue: str | None = None
    store_path: Path | str | None = None


def _run_masks(plan: Plan, masks: PolicyMasks) -> Any:
    """The privacy policy's masks of a run (a :class:`agility.runner.RunMasks`: what is
    sent, what is stored)."""
    from agility.runner import RunMasks

    return RunMasks(providers=masks.providers, store=masks.store,
                    policy=run_privacy_record(plan.privacy), masker=masks.masker)


def _prepare_dataset(plan: Plan, store: Store, masks: PolicyMasks) -> tuple[Dataset, str]:
    path = plan.dataset.path
    probe = load_dataset(path, verify=False)
    step = "verified"
    if not probe.frozen:
        if plan.dataset.freeze:
            freeze_dataset(path)
            step = "frozen"
        else:
            step = "not frozen (dataset.freeze is false)"
    dataset = load_dataset(path, verify=True)
    if "holdout" in plan.dataset.splits and not dataset.has_holdout:
        step += "; no holdout rows"
    dataset.save_to_store(store, masks.store)
    store.log_event(NewEvent(kind="dataset.freeze" if step.startswith("frozen")
                             else "dataset.verify", subject=dataset.hash,
                             payload={"path": str(path), "rows": len(dataset),
                                      "frozen": dataset.frozen, "plan": plan.name}))
    return dataset, step


class _SystemRun(BaseModel):
    """How :func:`migrate` runs a plan's systems: what whoever runs the plan decides outside
    it.

    Attributes:
        headers: secrets bound to hosts (``--system-header``); a plan's ``http:`` system gets
            the headers bound to its URL's host, and nothing else.
        allow_outside: let a system's file options leave the plan's folder.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    headers: tuple[HeaderBinding, ...] = ()
    allow_outside: bool = False


def _system_of(plan: Plan, side: Side, headers: tuple[HeaderBinding, ...]) -> SystemSpec | None:
    cand: CandidateSpec = getattr(plan, side)
    return None if cand.system is None else bind_headers(cand.system, headers)


def _check_headers(plan: Plan, headers: tuple[HeaderBinding, ...]) -> None:
    """A header bound to a host no system of the plan is on is a mistake (a typo in the
    host): say so before anything runs rather than send nothing silently."""
    urls = [c.system.http.url for c in (plan.source, plan.target)
            if c.system is not None and c.system.http is not None]
    for binding in headers:
        if not any(binding.matches(url) for url in urls):
            hosts = ", ".join(sorted({urlsplit(u).netloc for u in urls})) or "none"
            raise UsageError(f"--system-header {binding.host}:{binding.header}: no http: "
                             f"system of the plan is on {binding.host} (its systems' hosts: "
                             f"{hosts})", argument="system_header")


def _check_system_masks(plan: Plan, masks: PolicyMasks) -> None:
    """A system gets the golden row as it is and makes calls of its own, so a policy that
    masks what is sent to providers cannot hold for it: refused before anything runs."""
    if masks.providers is None:
        return
    for side in ("source", "target"):
        cand: CandidateSpec = getattr(plan, side)
        if cand.system is not None:
            raise PolicyViolation("privacy", (
                f"{side} is a system ({cand.system.spec}): it gets the golden rows as they "
                f"are and its own calls leave without agility's masking, so 'providers' in "
                f"privacy.where cannot hold for it; drop it from 'where' or compare plain "
                f"model calls"))


def _prepare_retriever(retriever: EmbeddingRetriever, say: StepCallback) -> None:
    """Build the index and load the embedder before any query is timed (a system's first
    ``retrieve`` span, or a plain run's first retrieval, would hold them otherwise). A failure
    here is not the migration's: each example's retrieval then fails with it, recorded as that
    example's error on its ``retrieve`` span, and the failures count at the gate."""
    from agility.errors import MissingExtraError

    try:
        retriever.prepare()
    except MissingExtraError:
        raise
    except (OSError, ValueError) as exc:
        say(f"retriever: cannot set up the index of {retriever.corpus_path.name} "
            f"({type(exc).__name__}: {exc}); each query will fail with it")


def _run_job(plan: Plan, side: Side, dataset: Dataset, store: Store,
             retriever: EmbeddingRetriever | None, progress: bool,
             masks: PolicyMasks, systems: _SystemRun) -> dict[str, Any]:
    """The :func:`agility.runner.run_model` (or, for a system, :func:`~agility.runner.
    run_system`) arguments of one side."""
    cand: CandidateSpec = getattr(plan, side)
    price = cand.price
    # on resume the runner checks that dataset, model, prompt and config still match, so an
    # edited plan never silently reuses answers made with other settings
    job = {
        "dataset": dataset, "model": cand.model_spec, "name": plan.run_name(side),
        "store": store, "provider_options": dict(cand.provider_options),
        "template": cand.prompt, "config": cand.config, "concurrency": cand.concurrency,
        "timeout_s": cand.timeout_s, "resume": store.get_run(plan.run_name(side)) is not None,
        "price_input": None if price is None else price.input_per_mtok,
        "price_output": None if price is None else price.output_per_mtok,
        "price_cached_input": None if price is None else price.cached_input_per_mtok,
        "price_cache_write": None if price is None else price.cache_write_per_mtok,
        "splits": list(plan.dataset.splits), "progress": progress,
        "turns": plan.dataset.turns, "history": plan.dataset.history,
        "masks": _run_masks(plan, masks)}
    system = _system_of(plan, side, systems.headers)
    if system is None:
        return {**job, "retriever": retriever if cand.prompt is not None else None}
    base = plan.path.parent if plan.path is not None else Path.cwd()
    # the plan's retriever is handed to the system (settings.retriever), which calls it
    return {**job, "system": system, "base_dir": base, "allow_outside": systems.allow_outside,
            "retriever": retriever}


def _describe(summary: RunSummary, resumed: bool) -> str:
    if resumed and summary.n_done == 0:
        return f"up to date ({summary.skipped_on_resume} answers already stored)"
    verb = "resumed" if resumed else "ran"
    errors = f", {summary.n_errors} failed" if summary.n_errors else ""
    return f"{verb} {summary.n_done} calls{errors} in {summary.wall_time_s:.0f} s"


def _settings_changed(plan: Plan, exc: RunSettingsChanged) -> UsageError:
    side = "source" if exc.run == plan.run_name("source") else "target"
    where = plan.path or "the plan"
    return UsageError(
        f"{where}: {side}: the store already holds run '{exc.run}', made with other settings "
        f"(its {exc.field} was {exc.before!r} and is now {exc.now!r}). Restore the {side}'s "
        f"settings, or give it a new {side}.name to run it afresh.")


def _run_sides(plan: Plan, dataset: Dataset, store: Store,
               retriever: EmbeddingRetriever | None, progress: bool,
               say: StepCallback, masks: PolicyMasks,
               systems: _SystemRun) -> tuple[dict[str, str], str]:
    """Run both candidates and say how they were scheduled.

    When both sides call a model, their calls start in turn (A B B A) on this machine, so
    load drift hits both alike and cannot read as a regression; otherwise (recorded answers,
    ``schedule: sequential``) one runs after the other.
    """
    from agility.runner import run_interleaved, run_model, run_system

    sides: tuple[Side, Side] = ("source", "target")
    jobs = {side: _run_job(plan, side, dataset, store, retriever, progress, masks, systems)
            for side in sides}
    calls_model = [getattr(plan, side).recorded_outputs is None for side in sides]
    interleave = plan.schedule == "interleaved" and all(calls_model)
    steps: dict[str, str] = {}
    try:
        if interleave:
            say(f"benchmark source and run target, interleaved: {plan.run_name('source')}, "
                f"{plan.run_name('target')}")
            summaries = dict(zip(sides, run_interleaved([jobs[s] for s in sides]), strict=True))
        else:
            summaries = {}
            for side in sides:
                step = "benchmark source" if side == "source" else "run target"
                say(f"{step}: {plan.run_name(side)}")
                job = jobs[side]
                summaries[side] = run_system(**job) if "system" in job else run_model(**job)
                say(f"{step}: {_describe(summaries[side], jobs[side]['resume'])}")
    except RunSettingsChanged as exc:
        raise _settings_changed(plan, exc) from exc
    for side in sides:
        steps[side] = _describe(summaries[side], jobs[side]["resume"])
    if interleave:
        say(f"benchmark source and run target: source {steps['source']}; target "
            f"{steps['target']}")
    return steps, _schedule_text(plan, store, summaries, interleave, calls_model)


def _schedule_text(plan: Plan, store: Store, summaries: dict[Side, RunSummary],
                   interleave: bool, calls_model: list[bool]) -> str:
    ran = [side for side in ("source", "target") if summaries[side].n_done]
    if not ran:
        earlier = store.get_migration(plan.name)
        if earlier is not None and earlier.lineage.get("schedule"):
            return str(earlier.lineage["schedule"])  # how they ran when they ran
        return ""  # both already stored (e.g. by the port): the runs' records say how
    if not all(calls_model):
        replayed = " and ".join(s for s, live in zip(("source", "target"), calls_model,
                                                     strict=True) if not live)
        return f"the {replayed} answers were replayed from a file; no timing comparison of calls"
    if interleave and len(ran) == 2:
        return (f"source and target ran interleaved on this machine: their calls started in "
                f"turn (A B B A), {plan.source.concurrency} and {plan.target.concurrency} in "
                f"flight at most, so load drift hit both alike")
    if interleave:
        return (f"only the {ran[0]} ran now (the other run was already stored): their calls "
                f"were not interleaved, so a latency difference may include load drift")
    return ("the runs went one after the other (schedule: sequential); a latency difference "
            "may include load drift between them")


def _stored_schedule(comparison: Comparison) -> str:
    """How two runs stored before this migration were timed, from their timing records."""
    timing = comparison.cost.roi.timing if comparison.cost.roi is not None else None
    if timing is None:
        return "both runs were already stored when this migration started"
    if timing.interleaved:  # e.g. the port answers the holdout with both prompts in turn
        return f"both runs were already stored when this migration started, {timing.text}"
    return (f"both runs were already stored when this migration started, {timing.text}; a "
            f"latency or throughput difference may include load drift")


def _score_side(plan: Plan, side: Side, store: Store, on_progress: ScoreProgress | None,
                masks: PolicyMasks, judge_local: bool, holdout: int) -> str:
    from agility.metrics import score_run

    # a local judge may see the unmasked text when the policy allows it (grade_unmasked)
    unmasked_ok = plan.privacy is not None and plan.privacy.grade_unmasked and judge_local
    summaries = score_run(store, plan.run_name(side), plan.metrics, judge=plan.judge,
                          judge_options=dict(plan.judge_options) or None,
                          on_progress=on_progress,
                          mask_judged=None if unmasked_ok else masks.judges,
                          mask_stored=masks.store)
    means = ", ".join(f"{name} {_fmt(s.mean)}" for name, s in summaries.items())
    answers = max((s.n for s in summaries.values()), default=0)
    # the run may hold the port's dev answers too: the gate's figures (holdout) differ
    where = f"; the gate reads the {holdout} holdout rows only" if holdout else ""
    return f"{means} (over the run's {answers} answers{where})"


def _review_queue(plan: Plan, store: Store) -> tuple[str | None, str]:
    from agility.review import ReviewPolicy, create_queue

    assert plan.review is not None
    name = plan.review.queue or f"{plan.name}.{plan.target.name}"
    policy = ReviewPolicy(**plan.review.model_dump(exclude={"queue"}))
    existed = store.get_queue(name) is not None
    target = store.require_run(plan.run_name("target"))
    if not existed and not any(s.score is not None
                               for s in store.scores(target.id, policy.metric)):
        # every answer failed (a broken index, a model down): nothing for SMEs to judge; the
        # gate's SME criteria stay unsettled and the failures count against the target
        return None, (f"no queue drawn: the target has no {policy.metric} scores (none of "
                      f"its answers was scored)")
    queue = create_queue(store, name, plan.run_name("source"), plan.run_name("target"), policy,
                         actor="migrate", exist_ok=True, splits=plan.dataset.splits)
    items = len(store.queue_items(queue.id))
    return name, f"queue {name}: {items} items" + (" (kept)" if existed else " drawn")


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _headline(comparison: Comparison) -> dict[str, Any]:
    quality = {}
    for metric in comparison.metrics:
        stats = metric.overall
        quality[metric.metric] = {"source": stats.source_mean, "target": stats.target_mean,
                                  "relative_change": stats.rel_diff, "n": stats.n}
    ttft = comparison.latency.ttft
    cost = comparison.cost
    roi = cost.roi
    return {
        "n_paired": comparison.n_paired,
        "gate_split": comparison.gate_split,
        "quality": quality,
        "ttft_p50_ms": {"source": ttft.source.p50 if ttft.source else None,
                        "target": ttft.target.p50 if ttft.target else None},
        "cost_per_query_usd": {"source": cost.source.mean_per_query_usd,
                               "target": cost.target.mean_per_query_usd},
        "roi": None if roi is None else {
            "per_query_usd": {"source": roi.source.per_query_usd,
                              "target": roi.target.per_query_usd},
            "monthly_usd": {"source": roi.source.monthly_usd, "target": roi.target.monthly_usd},
            "one_off_usd": roi.one_off_usd, "payback_days": roi.payback_days,
            "payback_interval": roi.payback_interval, "payback_status": roi.payback_status,
            "horizon_days": roi.horizon_days, "net_at_horizon_usd": roi.net_at_horizon_usd},
        "recommendation": None if comparison.recommendation is None
        else comparison.recommendation.advice,
        "criteria": {c.name: c.status for c in comparison.criteria_results},
    }


def _candidate_lineage(plan: Plan, side: Side, store: Store) -> dict[str, Any]:
    cand: CandidateSpec = getattr(plan, side)
    run = store.require_run(plan.run_name(side))
    return {
        "name": cand.name, "run": run.name, "model": run.model_spec,
        "system": run.meta.get("system"),
        "prompt": str(cand.prompt) if cand.prompt else None, "prompt_hash": run.template_hash,
        "config": run.config, "provider_options": run.provider_options,
        "price_table_version": run.price_table_version, "prices": run.prices,
        "tool_version": run.tool_version, "status": run.status,
    }


def _lineage(plan: Plan, dataset: Dataset, store: Store, comparison: Comparison,
             retriever: EmbeddingRetriever | None) -> dict[str, Any]:
    from agility.metrics import metric_versions

    # the versions the scores were stored with: judge metrics are built with the plan's judge
    versions = metric_versions(plan.metrics, judge=plan.judge,
                               judge_options=dict(plan.judge_options) or None)
    source = _candidate_lineage(plan, "source", store)
    target = _candidate_lineage(plan, "target", store)
    return {
        "plan": {"name": plan.name, "path": str(plan.path) if plan.path else None,
                 "hash": plan.plan_hash},
        "dataset": {"path": str(dataset.path), "hash": dataset.hash, "frozen": dataset.frozen,
                    "splits": list(plan.dataset.splits), "rows": len(dataset)},
        "retriever": None if retriever is None else {
            "kind": "embedding", "corpus": str(retriever.corpus_path),
            "corpus_hash": retriever.corpus_hash, "top_k": retriever.top_k,
            "cost_per_query_usd": retriever.cost_per_query_usd},
        "source": source, "target": target,
        "metrics": versions,
        "judge": plan.judge,
        "criteria": comparison.criteria,
        "costs": {"traffic_per_month": plan.traffic_per_month,
                  "migration_cost_usd": plan.migration_cost_usd,
                  "items": plan.costs.model_dump(mode="json", exclude_none=True)},
        "price_table_version": {"source": source["price_table_version"],
                                "target": target["price_table_version"]},
        "tool_version": __version__,
        "verdict": comparison.verdict,
        "decided_at": utc_now(),
    }


def _rollout_sections(plan: Plan, store: Store) -> tuple[str, str]:
    """The canary rollout's section of the report (HTML, Markdown): its verdict, stages
    passed and triggers fired if it ran, else how to start it."""
    from agility.canary import (
        RolloutSpec,
        rollout_section_html,
        rollout_section_markdown,
        rollout_status,
    )

    status = rollout_status(store, plan.name, plan.rollout or RolloutSpec())
    return rollout_section_html(status), rollout_section_markdown(status)


def _check_residency(plan: Plan) -> tuple[dict[str, Any], bool]:
    """Refuse the plan before any call when a model may run outside ``residency.allowed``;
    returns the lineage's residency mapping and whether the judge runs on this host."""
    if plan.residency is not None:
        for side in ("source", "target"):
            cand: CandidateSpec = getattr(plan, side)
            if cand.system is not None:  # its own calls go wherever its code sends them
                raise PolicyViolation("residency", (
                    f"{side} is a system ({cand.system.spec}): where the calls it makes on "
                    f"its own run is not known to agility; the plan allows only "
                    f"{', '.join(plan.residency.allowed)}. Remove the residency section or "
                    f"compare plain model calls"))
    models = plan_models(plan)
    for role, provider in models.items():
        check_residency(provider, plan.residency, role=role)
    judge_local = "judge" in models and models["judge"].location().regions == ("local",)
    return residency_mapping(models, plan.residency), judge_local


def _write_reports(plan: Plan, comparison: Comparison, lineage: dict[str, Any],
                   headline: dict[str, Any], store: Store, checklist: list[ChecklistItem],
                   ) -> tuple[Path, Path, Path]:
    out = plan.output
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the output folder {out}: {exc.strerror}. Change "
                         f"'output' in the plan.") from exc
    rollout_html, rollout_markdown = _rollout_sections(plan, store)
    html = write_html(comparison, out / "report.html", governance=checklist,
                      extra_sections=[rollout_html])
    markdown = write_markdown(comparison, out / "report.md", extra_sections=[rollout_markdown])
    data = {"verdict": comparison.verdict, "headline": headline, "lineage": lineage,
            "governance": [item.model_dump() for item in checklist],
            "comparison": comparison.model_dump(mode="json")}
    report_json = out / "migration.json"
    try:
        atomic_write(report_json, json.dumps(data, indent=2, ensure_ascii=False, default=str)
                     + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write {report_json}: {describe_os_error(exc)}. Free some "
                         f"space or change 'output' in the plan.") from exc
    return html, markdown, report_json


def migrate(plan_path: str | Path, store: Store | None = None, progress: bool = True,
            on_step: StepCallback | None = None, *,
            allow_outside_plan_dir: bool = False,
            routing: RoutingPolicy | None = None,
            on_score_progress: ScoreProgress | None = None,
            system_headers: Sequence[HeaderBinding] = ()) -> MigrationResult:
    """Run a migration plan end to end (resuming whatever an earlier call left unfinished).

    Args:
        plan_path: the plan's YAML file.
        store: the store to use (default: the default store).
        progress: show progress bars over the model runs.
        on_step: called with a one-line message as each step starts and ends.
        allow_outside_plan_dir: let the plan name files outside its own folder (off by
            default: a plan from a pull request must not read or write elsewhere).
        routing: the hosts and credential names the plan may route requests to, allowed
            outside the file (default: from the environment; see ``RoutingPolicy``).
        on_score_progress: told how scoring advances (``metric, done, total``).
        system_headers: secrets for the plan's ``http:`` systems, each bound to a host (a
            plan never names them; see :class:`agility.systems.HeaderBinding`).

    Returns:
        The verdict, report paths, headline figures and lineage.

    Raises:
        ConfigError: the plan, a prompt template or the criteria are invalid.
        DatasetError: the dataset is invalid, or changed since it was frozen.
        UsageError: a stored run does not match the plan (changed model, prompt or config).
        ProviderError: a candidate's provider cannot be set up (missing extra, credentials).
    """
    say = on_step or (lambda _message: None)
    plan = load_plan(plan_path, allow_outside=allow_outside_plan_dir, routing=routing)
    headers = tuple(system_headers)
    _check_headers(plan, headers)
    residency, judge_local = _check_residency(plan)  # before any call or write
    masks = policy_masks(plan.privacy)
    _check_system_masks(plan, masks)
    unmask_logs = mask_logs(masks.logs) if masks.logs is not None else None
    own_store = store is None
    store = store or Store()
    try:
        steps: dict[str, str] = {}
        say("dataset: verifying the golden set")
        dataset, steps["dataset"] = _prepare_dataset(plan, store, masks)
        say(f"dataset: {steps['dataset']} ({len(dataset)} rows, hash {dataset.hash[:12]})")
        if plan.privacy is not None and masks.masker is not None:
            findings = ground_truth_findings(plan.privacy, masks.masker, dataset.examples)
            steps["privacy"] = "; ".join(findings) or (
                f"masking {', '.join(plan.privacy.mask)} ({plan.privacy.mode}) on "
                f"{', '.join(plan.privacy.where)}")
            say(f"privacy: {steps['privacy']}")
        retriever = None
        if plan.retriever is not None:
            spec = plan.retriever
            retriever = EmbeddingRetriever(
                spec.corpus, top_k=spec.top_k, cost_per_query_usd=spec.cost_per_query_usd,
                include_example_context=spec.include_example_context)
            _prepare_retriever(retriever, say)
        ported = None
        if plan.port is not None:
            say(f"port: porting {plan.source.prompt} to {plan.target.model} on the dev split "
                f"(the holdout locked until the choice)")
            unmasked_ok = plan.privacy is not None and plan.privacy.grade_unmasked \
                and judge_local
            plan, port_result, steps["port"] = port_step(
                plan, store, retriever, say, masks=_run_masks(plan, masks),
                mask_judged=None if unmasked_ok else masks.judges, mask_reports=masks.reports,
                allow_outside=allow_outside_plan_dir)
            ported = port_lineage(port_result)
            say(f"port: {steps['port']}")
        sides: tuple[Side, Side] = ("source", "target")
        holdout = sum(ex.split == "holdout" for ex in dataset.examples) \
            if "holdout" in plan.dataset.splits and plan.criteria_object().use_holdout else 0
        ran, schedule = _run_sides(plan, dataset, store, retriever, progress, say, masks,
                                   _SystemRun(headers=headers,
                                             allow_outside=allow_outside_plan_dir))
        steps.update(ran)
        for side in sides:
            steps[f"score {side}"] = _score_side(plan, side, store, on_score_progress, masks,
                                                 judge_local, holdout)
            say(f"score {side}: {steps[f'score {side}']}")
        review_queue = None
        if plan.review is not None:
            review_queue, steps["review"] = _review_queue(plan, store)
            say(f"review: {steps['review']}")
        say("validate: comparing side by side and applying the sign-off gate")
        comparison = compare_runs(
            store, plan.run_name("source"), plan.run_name("target"), plan.criteria_object(),
            seed=plan.seed, traffic_per_month=plan.traffic_per_month,
            migration_cost_usd=plan.migration_cost_usd, costs=plan.costs,
            splits=plan.dataset.splits)
        if not schedule:
            schedule = _stored_schedule(comparison)
        comparison = comparison.model_copy(update={"scheduling": schedule})
        headline = _headline(comparison)
        lineage = {**_lineage(plan, dataset, store, comparison, retriever),
                   "schedule": schedule, "port": ported, "residency": residency,
                   "privacy": run_privacy_record(plan.privacy)}
        shown = comparison if masks.reports is None \
            else mask_comparison(comparison, masks.reports)
        checklist = governance_checklist(store, plan, lineage, steps.get("privacy"))
        html, markdown, report_json = _write_reports(plan, shown, lineage, headline, store,
                                                     checklist)
        steps["validate"] = comparison.verdict
        store.save_migration(MigrationRecord(
            name=plan.name, plan_path=str(plan.path) if plan.path else None,
            plan_hash=plan.plan_hash or "", source_run=plan.run_name("source"),
            target_run=plan.run_name("target"), lineage=lineage, verdict=comparison.verdict))
        store.log_event(NewEvent(kind="migration.verdict", subject=plan.name, payload={
            "verdict": comparison.verdict, "plan_hash": plan.plan_hash,
            "dataset_hash": dataset.hash, "report": str(html)}))
        return MigrationResult(
            name=plan.name, verdict=comparison.verdict, source_run=plan.run_name("source"),
            target_run=plan.run_name("target"), report_html=html, report_markdown=markdown,
            report_json=report_json, steps=steps, headline=headline, lineage=lineage,
            comparison=comparison, review_queue=review_queue, store_path=store.path)
    finally:
        if unmask_logs is not None:
            unmask_logs()
        if own_store:
            store.close()
