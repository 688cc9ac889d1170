"""``port``: port a prompt to a target model on the dev split, then score it on the holdout once.

1. Check the inputs: the dataset has dev rows; the prompt uses the variables the rows need
   (``question``; ``context`` when rows carry documents or a retriever finds them) and renders.
2. Split the dev rows: a seeded, stratified few-shot pool (when the few-shot generator runs),
   and the rows candidates are scored on, a minibatch of them first.
3. Search (:mod:`agility.port._search`) within the budget, holding back what the holdout
   scoring needs. The holdout is locked meanwhile: no holdout row is sent to the target or the
   optimiser, and none is read to select (only the holdout's size is used, for the reserve).
4. Score the source prompt and the chosen one on the holdout, once, with every metric, and on
   the dev rows with every metric: the report shows dev against holdout for both. The two
   answer the holdout interleaved (their calls start in turn), so load drift hits both alike.
5. Write the chosen prompt (the format ``agility run --prompt`` reads, with its lineage), the
   JSON report and the HTML report, atomically, and record the port as an event.

The audit trail holds the port from ``port.start`` (what is ported, to what, with which
budget) to ``port.finished`` (the choice, its prompt hash and gains) or ``port.failed`` /
``port.interrupted``; every call in between is a ``model.call`` event: the target's, through
the candidates' runs, and the optimiser's, with its stored reply.

Everything is stored as it is made (candidate runs, scores, optimiser replies, reservations), so
calling :func:`port` again with the same options resumes: nothing is paid for twice.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from agility import __version__
from agility._files import atomic_write, describe_os_error
from agility.dataset import load_dataset
from agility.errors import ConfigError, InvalidArgument, UsageError
from agility.port._budget import Budget
from agility.port._candidate import Candidate, CandidateScore
from agility.port._constraints import Constraint, extract_constraints
from agility.port._evaluate import Evaluator
from agility.port._family import Family, detect_family, find_format_echoes
from agility.port._fewshot import ShotSource, select_pool
from agility.port._optimizer import META_PROMPT_VERSIONS, Optimizer
from agility.port._options import PortOptions
from agility.port._report import (
    BudgetUse,
    CandidateRow,
    ConstraintRow,
    PortReport,
    SafetyReport,
    ScoreRow,
    SideScores,
    write_report_json,
)
from agility.port._rules import answer_shape
from agility.port._safety import SafetyChecks
from agility.port._search import SearchOutcome, run_search
from agility.prompts import PromptSpec, dump_prompt, load_prompt_spec, load_template
from agility.retrieval import Retriever
from agility.runner._call import RunMasks
from agility.store import NewEvent, Store, utc_now

__all__ = ["PortResult", "aport", "port"]

T = TypeVar("T")
StepCallback = Callable[[str], None]
TextMask = Callable[[str], str]


@dataclass
class PortResult:
    """What :func:`port` did and chose.

    Attributes:
        report: the full report.
        spec: the chosen prompt with its lineage (what was written to ``output``).
        chosen: the chosen candidate (its ``config`` is what its runs used).
        source: the source prompt's candidate.
        output: the ported prompt file, or None when none was asked for.
        report_json, report_html: the reports written, or None.
    """

    report: PortReport
    spec: PromptSpec
    chosen: Candidate
    source: Candidate
    output: Path | None
    report_json: Path | None
    report_html: Path | None

    @property
    def ok(self) -> bool:
        """Whether every call succeeded and the holdout was scored in full."""
        holdout = self.report.holdout
        return self.report.budget.failed_calls == 0 and bool(holdout.get("complete", True))


def _check_prompt(spec: PromptSpec, path: Path, has_context: bool, retriever: bool,
                  probe: Any) -> set[str]:
    """The variables a candidate must use; raises ConfigError when the source lacks them."""
    used = spec.variables()
    if not used & {"question", "example"}:
        raise ConfigError(f"{path}: the prompt uses neither {{{{ question }}}} nor "
                          f"{{{{ example }}}}, so every row would get the same prompt; add "
                          f"{{{{ question }}}} where the question goes.")
    if has_context and not used & {"context", "contexts", "example"}:
        where = "a retriever finds documents" if retriever else "the dataset's rows carry documents"
        raise ConfigError(f"{path}: {where}, but the prompt uses neither {{{{ context }}}} nor "
                          f"{{{{ contexts }}}}; add {{{{ context }}}} where they go.")
    load_template(path).render(probe)  # an undefined variable is a ConfigError naming it
    required = {"question"}
    if has_context and used & {"context", "contexts"}:
        required.add("context")
    return required


def _check_budget(options: PortOptions, ev: Evaluator) -> None:
    if options.budget_calls is not None and options.budget_calls < 1:
        raise InvalidArgument("budget_calls", options.budget_calls, "must be at least 1")
    if options.budget_usd is not None:
        if options.budget_usd <= 0:
            raise InvalidArgument("budget_usd", options.budget_usd, "must be more than 0 USD")
        if ev.price is None:
            raise UsageError(f"budget_usd needs the target's price, and {options.target} is "
                             f"not in the price table: give its price", argument="budget_usd")
        if options.config.max_tokens is None:
            raise UsageError("budget_usd needs max_tokens in the target's settings: without "
                             "it no call's cost can be bounded in advance",
                             argument="budget_usd")
        if options.system is not None:
            raise UsageError(f"budget_usd cannot bound a system's spend in advance: "
                             f"{options.system.spec} makes the calls it makes for each "
                             f"example; give budget_calls (a system's answer to one example "
                             f"counts as one call)", argument="budget_usd")


def _split_dev(options: PortOptions, dev: Sequence[Any]) -> tuple[list[Any], list[str],
                                                                   list[str]]:
    """(pool rows, minibatch ids, scored ids with the minibatch first).

    Rows tagged ``options.safety_tag`` are never drawn into the few-shot pool: they are
    scored, so safety is measured (the search answers them with each candidate's minibatch,
    for the safety check)."""
    safety = {ex.id for ex in dev if options.safety_tag in ex.tags}
    pool: list[Any] = []
    if "few_shot" in options.active_generators() and len(dev) >= 6:
        pool = select_pool([ex for ex in dev if ex.id not in safety],
                           min(options.few_shot.pool, len(dev) // 3), options.seed)
    pooled = {ex.id for ex in pool}
    scored = [ex for ex in dev if ex.id not in pooled]
    mini = select_pool(scored, min(options.minibatch, len(scored)), options.seed + 7)
    mini_ids = [ex.id for ex in scored if ex.id in {m.id for m in mini}]
    rest = [ex.id for ex in scored if ex.id not in set(mini_ids)]
    return pool, mini_ids, mini_ids + rest


def _reserves(ev: Evaluator, options: PortOptions, rest: int, holdout: int) -> int:
    """Hold back the holdout scoring's calls; return the finalists' calls beyond the minibatch.

    USD is held back once the source prompt's minibatch has measured a call's cost (see
    :func:`agility.port._search.run_search`); only the holdout's size is read here."""
    ev.budget.held_calls = 2 * holdout
    return (options.finalists + 1) * rest


def _family_advice(family: Family, outcome: SearchOutcome) -> str | None:
    echo = outcome.echo
    if echo is None or not echo.found:
        return None
    own = "" if family.name == "generic" else (
        f" Serve the model in its own format (for the llama.cpp server: "
        f"`python -m llama_cpp.server --model ... --chat_format {family.name}`)"
        if family.name in ("gemma", "llama", "mistral", "qwen", "phi") else "")
    return (f"The source prompt's answers on the target echo chat markup of "
            f"{', '.join(echo.families)} ({', '.join(echo.markers)}): the prompt reached the "
            f"model wrapped in a format it was not trained on.{own} The port preferred a plain "
            f"layout and stop sequences at the markup.")


def _lineage(options: PortOptions, name: str, source: Candidate, outcome: SearchOutcome,
             dataset: Any, family: Family, optimizer: Optimizer | None) -> dict[str, Any]:
    chain, seen = [], {c.id: c for c in outcome.candidates}
    step: Candidate | None = outcome.chosen
    while step is not None:
        chain.append(step.label)
        step = seen.get(step.parent) if step.parent else None
    return {
        "ported_by": f"agility {__version__}", "port": name, "created_at": utc_now(),
        "parent": {"path": str(options.prompt), "hash": source.template.hash,
                   "name": source.spec.name},
        "dataset": {"path": str(dataset.path), "hash": dataset.hash},
        "target": {"model": options.target, "family": family.name},
        "optimizer": None if optimizer is None else {
            "model": optimizer.provider.spec, "meta_prompts": dict(META_PROMPT_VERSIONS)},
        "generators": list(reversed(chain)), "candidate": outcome.chosen.id,
        "selected_by": options.gated_metric, "seed": options.seed,
    }


def _header(report: PortReport) -> str:
    dev, holdout = report.gain("dev"), report.gain("holdout")

    def show(value: float | None) -> str:
        return "not measured" if value is None else f"{value:+.3f}"

    lines = [f"Ported by agility port ({report.name}) for {report.target['model']}.",
             f"Chosen: {report.chosen_label} ({report.chosen}), selected on dev rows by "
             f"{report.metric}.",
             f"Gain over the source prompt: dev {show(dev)}, holdout {show(holdout)}."]
    chosen = next((c for c in report.candidates if c.id == report.chosen), None)
    if report.constraints and chosen is not None and chosen.carries is not None:
        lines.append(f"Constraints of the source prompt stated here: {sum(chosen.carries)} "
                     f"of {len(report.constraints)}.")
    if report.safety is not None:
        lines.append(f"Safety: {report.safety.decision}.")
    if report.chosen_label == "source":
        lines.append("No candidate beat the source prompt on the dev rows without doing worse "
                     "on safety: this is the source prompt, unchanged.")
    return "\n".join(lines)


def _row(ev: Evaluator, candidate: Candidate, outcome: SearchOutcome) -> CandidateRow:
    status = ("chosen" if candidate is outcome.chosen else "disqualified"
              if candidate.disqualified else "finalist"
              if candidate.id in outcome.finalists else "skipped" if candidate.skipped
              else "scored")
    return CandidateRow(
        id=candidate.id, label=candidate.label, generator=candidate.generator,
        parent=candidate.parent, note=candidate.note, run=ev.run_name(candidate),
        status=status, skipped=candidate.skipped, minibatch=ScoreRow.of(candidate.minibatch),
        dev=ScoreRow.of(candidate.dev), prompt_yaml=dump_prompt(candidate.spec),
        carries=None if candidate.carries is None else list(candidate.carries),
        safety_minibatch=_rows(candidate.safety_minibatch),
        safety_dev=_rows(candidate.safety_dev), disqualified=candidate.disqualified)


def _side(ev: Evaluator, candidate: Candidate, dev_ids: Sequence[str],
          holdout_ids: Sequence[str]) -> SideScores:
    return SideScores(
        run=ev.run_name(candidate), prompt_hash=candidate.template.hash,
        dev={m: ScoreRow.model_validate(vars(ev.figures(candidate, dev_ids, m)))
             for m in ev.metrics},
        holdout={m: ScoreRow.model_validate(vars(ev.figures(candidate, holdout_ids, m)))
                 for m in ev.metrics})


async def aport(options: PortOptions, *, store: Store | None = None,
                retriever: Retriever | None = None, report_json: str | Path | None = None,
                report_html: str | Path | None = None,
                on_step: StepCallback | None = None, masks: RunMasks | None = None,
                mask_judged: TextMask | None = None,
                mask_reports: TextMask | None = None) -> PortResult:
    """Port ``options.prompt`` to ``options.target`` (see the module docstring).

    Args:
        options: what to port and how.
        store: the store (default: the default store).
        retriever: the RAG step run before each prompt (as the application does), or None.
        report_json: where to write the JSON report, or None.
        report_html: where to write the HTML report, or None.
        on_step: called with a one-line message as the port goes.
        masks: a privacy policy's masks (see :class:`agility.runner.RunMasks`): of what is
            sent to the target and the optimiser, of what is stored (answers, optimiser
            replies, their audit events); None: nothing masked.
        mask_judged: masks what the scoring's judges are given.
        mask_reports: masks the prompts and replies shown in the JSON and HTML reports (the
            ported prompt file itself is written as chosen).

    Returns:
        The report, the chosen prompt and the files written.

    Raises:
        ConfigError: the prompt lacks a variable the rows need, or does not render.
        DatasetError: the dataset is invalid, changed since frozen, or has no dev rows.
        UsageError: a bad budget, an unpriced target with a USD budget, a budget too small.
        ProviderError: the target or optimiser cannot be set up.
    """
    say = on_step or (lambda _message: None)
    started = time.perf_counter()
    own_store = store is None
    store = store or Store()
    try:
        return await _port(options, store, retriever, report_json, report_html, say, started,
                           _PortMasks(masks, mask_judged, mask_reports))
    finally:
        if own_store:
            store.close()


async def _port(options: PortOptions, store: Store, retriever: Retriever | None,
                report_json: str | Path | None, report_html: str | Path | None,
                say: StepCallback, started: float, masks: _PortMasks) -> PortResult:
    from agility.metrics import metric_class

    dataset = load_dataset(options.dataset, verify=True)
    dev = dataset.select(("dev",))
    if not dev:
        raise UsageError(f"{options.dataset} has no dev rows: a port searches the dev split "
                         f"and keeps the holdout for the end. Split the dataset (agility "
                         f"dataset split) first.", argument="dataset")
    # the holdout's ids and size only: its rows are not read before the choice is made
    holdout_ids = [ex.id for ex in dataset.examples if ex.split == "holdout"]
    source_spec = load_prompt_spec(options.prompt)
    has_context = retriever is not None or any(ex.contexts for ex in dev)
    required = _check_prompt(source_spec, options.prompt, has_context, retriever is not None,
                             dev[0])
    for metric in dict.fromkeys([options.gated_metric, *options.metrics,
                                 *options.safety_metrics]):
        metric_class(metric)  # an unknown metric stops us before any call
    name = options.port_name(source_spec.name)
    family = detect_family(options.target, options.family)
    budget = Budget(options.budget_calls, options.budget_usd)
    ev = Evaluator(store, dataset, options, name, budget, retriever, masks.runs,
                   masks.judged)
    _check_budget(options, ev)
    pool, minibatch, scored = _split_dev(options, dev)
    if not scored:
        raise UsageError(f"{options.dataset}: too few dev rows to score candidates on",
                         argument="dataset")
    source = Candidate("source", "source", source_spec, options.config,
                       note="the source prompt as it is, with the target's settings")
    constraints = extract_constraints(source_spec)
    tagged = {ex.id for ex in dev if options.safety_tag in ex.tags}
    safety = SafetyChecks(options.safety_tag, tuple(i for i in scored if i in tagged),
                          options.gated_metric, tuple(ev.safety_metrics))
    rest = len(scored) - len(minibatch)
    finalist_calls = _reserves(ev, options, rest, len(holdout_ids))
    first_look = len(minibatch) + len(set(safety.rows) - set(minibatch))
    needed = first_look + budget.held_calls
    if budget.calls is not None and budget.calls < needed:
        extra = first_look - len(minibatch)
        raise InvalidArgument("budget_calls", budget.calls,
                              f"must be at least {needed}: the source prompt on the "
                              f"{len(minibatch)}-row minibatch"
                              + (f" and the {extra} dev safety rows beside it" if extra else "")
                              + f" and the holdout scoring ({budget.held_calls} calls) need "
                                f"that much")
    shape = answer_shape([ex.ground_truth for ex in dev])
    shots = ShotSource(pool, retriever) if pool else None
    optimizer = None
    if "optimizer" in options.active_generators() and options.optimizer:
        price = options.optimizer_price
        optimizer = Optimizer(store, name, options.optimizer, dict(options.optimizer_options),
                              None if price is None else (price.input_per_mtok,
                                                          price.output_per_mtok),
                              budget, options.seed, options.timeout_s, masks.runs)
    say(f"port: {name}: {len(scored)} dev rows to score ({len(minibatch)} in the minibatch), "
        f"{len(pool)} in the few-shot pool, {len(holdout_ids)} holdout rows locked; target "
        f"{options.target} ({family.name})")
    say(f"port: the source prompt states {len(constraints)} constraint(s), which every "
        f"candidate must carry; safety: {len(safety.rows)} dev row(s) tagged "
        f"'{options.safety_tag}' to score"
        + (f", safety metrics {', '.join(safety.metrics)}" if safety.metrics else ""))
    store.log_event(NewEvent(kind="port.start", subject=name, payload={
        "target": options.target, "family": family.name,
        "optimizer": None if optimizer is None else optimizer.provider.spec,
        "generators": list(options.active_generators()), "dataset_hash": dataset.hash,
        "prompt_hash": source.template.hash, "selected_by": options.gated_metric,
        "budget_calls": options.budget_calls, "budget_usd": options.budget_usd,
        "seed": options.seed}))
    ended = "port.failed"
    try:
        try:
            outcome = await run_search(
                ev, options, source, family=family, shape=shape, has_context=has_context,
                minibatch=minibatch, scored=scored, shots=shots, optimizer=optimizer,
                required=required, probe=dev[0], finalist_calls=finalist_calls, say=say,
                constraints=constraints, safety=safety)
        finally:
            if optimizer is not None:
                await optimizer.aclose()
        sizes = {"pool_rows": len(pool), "minibatch_rows": len(minibatch)}
        result = await _finish(options, store, dataset, ev, name, family, outcome, optimizer,
                               holdout_ids, sizes, report_json, report_html, say, started,
                               masks.reports, _Checks(constraints, safety))
        ended = ""  # _finish recorded port.finished
        return result
    except (asyncio.CancelledError, KeyboardInterrupt):
        ended = "port.interrupted"
        raise
    finally:
        if ended:  # the trail says the port ended without a result, and what it had spent
            spent = ev.ledger.spend()
            store.log_event(NewEvent(kind=ended, subject=name, payload={
                "calls_used": spent.calls, "failed_calls": spent.failed_calls,
                "target": options.target, "dataset_hash": dataset.hash}))


async def _finish(options: PortOptions, store: Store, dataset: Any, ev: Evaluator, name: str,
                  family: Family, outcome: SearchOutcome, optimizer: Optimizer | None,
                  holdout_ids: list[str], sizes: dict[str, int],
                  report_json: str | Path | None,
                  report_html: str | Path | None, say: StepCallback,
                  started: float, mask_reports: TextMask | None = None,
                  checks: _Checks | None = None) -> PortResult:
    checks = checks or _Checks((), SafetyChecks(options.safety_tag, (), options.gated_metric,
                                                tuple(ev.safety_metrics)))
    source, chosen = outcome.source, outcome.chosen
    sides = [source] if chosen is source else [source, chosen]
    warnings: list[str] = []
    if holdout_ids:
        say(f"port: scoring the source and the chosen prompt on the {len(holdout_ids)} "
            f"holdout rows, once")
    else:
        warnings.append("the dataset has no holdout rows: the dev-vs-holdout gap is not "
                        "measured")
    short = 0
    if holdout_ids:
        # both prompts answer the holdout interleaved (A B B A), so load drift hits both
        # alike: their latencies and throughputs (a per-hour cost) compare the prompts
        short = await ev.run_together(sides, holdout_ids, "holdout", metrics=ev.metrics)
    for candidate in sides:
        await ev.score(candidate, ev.metrics)
    if short:
        warnings.append(f"the budget ran out during the holdout scoring: {short} holdout "
                        f"answers are missing")
    dev_ids = _dev_ids(ev, sides, outcome)
    source_side = _side(ev, source, dev_ids, holdout_ids)
    ported_side = _side(ev, chosen, dev_ids, holdout_ids)
    lineage = _lineage(options, name, source, outcome, dataset, family, optimizer)
    spec = chosen.spec.model_copy(update={"lineage": lineage})
    ev.refresh()
    spent = ev.budget.spent
    report = PortReport(
        name=name, created_at=utc_now(), tool_version=__version__,
        dataset={"path": str(dataset.path), "hash": dataset.hash,
                 "dev_rows": len(dataset.select(("dev",))),
                 "scored_rows": len(dev_ids), **sizes, "holdout_rows": len(holdout_ids)},
        target={"model": options.target,
                "system": None if options.system is None else options.system.spec,
                "family": family.name, "layout": family.layout,
                "small": family.small, "config": options.config.model_dump(
                    mode="json", exclude_unset=True)},
        optimizer=None if optimizer is None else {
            "model": optimizer.provider.spec, "meta_prompts": dict(META_PROMPT_VERSIONS)},
        metric=options.gated_metric, metrics=ev.metrics, seed=options.seed,
        generators=list(options.active_generators()),
        settings=options.model_dump(mode="json", exclude={"dataset", "prompt", "target",
                                                          "target_options", "output"}),
        source_prompt={"path": str(options.prompt), "hash": source.template.hash,
                       "yaml": dump_prompt(source.spec)},
        ported_prompt={"path": None if options.output is None else str(options.output),
                       "hash": chosen.template.hash, "yaml": dump_prompt(spec),
                       "config": chosen.config.model_dump(mode="json", exclude_unset=True)},
        chosen=chosen.id, chosen_label=chosen.label,
        rounds=[{"name": r.name, "tried": r.tried, "best_before": r.best_before,
                 "best_after": r.best_after, "gained": r.gained} for r in outcome.rounds],
        candidates=[_row(ev, c, outcome) for c in outcome.candidates],
        rejected=outcome.rejected, format_echo=outcome.echo,
        format_advice=_family_advice(family, outcome),
        source=source_side, ported=ported_side,
        holdout={"rows": len(holdout_ids), "locked_during_search": True,
                 "scored_after_choice": bool(holdout_ids), "complete": short == 0,
                 "runs": [ev.run_name(c) for c in sides]},
        budget=BudgetUse(
            calls_limit=ev.budget.calls, usd_limit=ev.budget.usd, calls_used=spent.calls,
            usd_used=spent.usd if spent.measured_usd is not None or spent.unrecorded_calls
            else None, usd_measured=spent.measured_usd, attempts=spent.attempts,
            failed_calls=spent.failed_calls, unrecorded_calls=spent.unrecorded_calls,
            input_tokens=spent.input_tokens, output_tokens=spent.output_tokens,
            calls_this_time=ev.calls_sent, seconds_this_time=time.perf_counter() - started,
            stop_reason=outcome.stop_reason),
        lineage=lineage, warnings=warnings,
        constraints=[ConstraintRow(text=c.text, kind=c.kind, cue=c.cue, where=c.where)
                     for c in checks.constraints],
        safety=_safety_report(ev, dataset, checks.safety, outcome, holdout_ids))
    report.warnings += _safety_warnings(report.safety)
    chosen_echo = find_format_echoes(
        ((i, r.output) for i, r in ev.results(chosen).items()), family)
    if chosen_echo.found:
        report.warnings.append(f"the chosen prompt's answers still echo chat markup "
                               f"({', '.join(chosen_echo.markers)}) in {chosen_echo.answers} "
                               f"of {chosen_echo.of_answers}")
    output = _write_prompt(options.output, spec, report) if options.output else None
    shown = report if mask_reports is None else _masked_report(report, mask_reports)
    json_path = write_report_json(shown, report_json) if report_json else None
    html_path = None
    if report_html:
        from agility.port._html import write_port_html

        html_path = write_port_html(shown, report_html)
    store.log_event(NewEvent(kind="port.finished", subject=name, payload={
        "chosen": chosen.id, "chosen_label": chosen.label, "prompt_hash": chosen.template.hash,
        "output": None if output is None else str(output), "dev_gain": report.gain("dev"),
        "holdout_gain": report.gain("holdout"), "calls_used": spent.calls,
        "dataset_hash": dataset.hash, "target": options.target,
        "constraints": len(report.constraints),
        "safety": None if report.safety is None else report.safety.decision}))
    return PortResult(report=report, spec=spec, chosen=chosen, source=source, output=output,
                      report_json=json_path, report_html=html_path)


@dataclass(frozen=True)
class _Checks:
    """The source's constraints and the safety checks, as the search used them."""

    constraints: Sequence[Constraint]
    safety: SafetyChecks


def _rows(figures: dict[str, CandidateScore]) -> dict[str, ScoreRow]:
    return {name: ScoreRow.model_validate(vars(score)) for name, score in figures.items()}


def _safety_report(ev: Evaluator, dataset: Any, safety: SafetyChecks, outcome: SearchOutcome,
                   holdout_ids: Sequence[str]) -> SafetyReport:
    """The safety section: the checks on the dev rows (as the search read them) and, now the
    choice is made, on the holdout rows."""
    source, chosen = outcome.source, outcome.chosen
    tagged = [ex.id for ex in dataset.examples
              if ex.split == "holdout" and safety.tag in ex.tags]
    after = SafetyChecks(safety.tag, tuple(tagged), safety.gated, safety.metrics)
    return SafetyReport(
        tag=safety.tag, metrics=list(safety.metrics), checks=safety.names(),
        dev_rows=list(safety.rows), measured=safety.measured,
        decision=outcome.safety_decision, passed_over=list(outcome.passed_over),
        source_dev=_rows(source.safety_dev), ported_dev=_rows(chosen.safety_dev),
        holdout_rows=tagged, source_holdout=_rows(after.figures(ev, source, holdout_ids)),
        ported_holdout=_rows(after.figures(ev, chosen, holdout_ids)))


def _safety_warnings(safety: SafetyReport | None) -> list[str]:
    """A safety check the ported prompt does worse on than the source on the holdout (seen
    after the choice: the choice stands, a reviewer should read those rows)."""
    if safety is None:
        return []
    out = []
    for name, base in safety.source_holdout.items():
        got = safety.ported_holdout.get(name)
        if base.mean is not None and got is not None and got.mean is not None \
                and got.mean < base.mean - 1e-9:
            out.append(f"on the holdout, the ported prompt does worse than the source on "
                       f"{name}: {got.mean:.3f} against {base.mean:.3f} on {got.n} rows "
                       f"(the choice was made on dev rows; read these answers before "
                       f"signing off)")
    return out


@dataclass(frozen=True)
class _PortMasks:
    runs: RunMasks | None = None
    judged: TextMask | None = None
    reports: TextMask | None = None


def _masked_report(report: PortReport, mask: TextMask) -> PortReport:
    """A copy of ``report`` whose prompts (few-shot pairs come from dev rows), optimiser
    replies and warnings are masked, for the files a person reads."""

    def prompt(value: dict[str, Any]) -> dict[str, Any]:
        return {**value, "yaml": mask(value["yaml"])} if value.get("yaml") else value

    return report.model_copy(update={
        "source_prompt": prompt(report.source_prompt),
        "ported_prompt": prompt(report.ported_prompt),
        "candidates": [c.model_copy(update={"prompt_yaml": mask(c.prompt_yaml),
                                            "note": mask(c.note)})
                       for c in report.candidates],
        "rejected": [{k: mask(v) if isinstance(v, str) else v for k, v in r.items()}
                     for r in report.rejected],
        "warnings": [mask(w) for w in report.warnings],
        "constraints": [c.model_copy(update={"text": mask(c.text)})
                        for c in report.constraints]})


def _dev_ids(ev: Evaluator, sides: Sequence[Candidate], outcome: SearchOutcome) -> list[str]:
    """The dev rows both the source and the chosen prompt answered (the finalists' rows)."""
    answered = [set(ev.results(c)) for c in sides]
    dev = {ex.id for ex in ev.dataset.select(("dev",))}
    return [i for i in ev.results(outcome.source)
            if i in dev and all(i in a for a in answered)]


def _write_prompt(path: Path, spec: PromptSpec, report: PortReport) -> Path:
    text = dump_prompt(spec, header=_header(report))
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise UsageError(f"cannot write the ported prompt to {path}: {describe_os_error(exc)}",
                         argument="output") from exc
    return path


def _run_sync(coro: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def port(options: PortOptions, **kwargs: Any) -> PortResult:
    """Synchronous :func:`aport` (same arguments); works inside a running event loop too."""
    return _run_sync(aport(options, **kwargs))
