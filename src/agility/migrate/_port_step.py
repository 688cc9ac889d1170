"""The plan's ``port:`` step: port the source prompt to the target model before comparing.

The port searches the dev split and scores the source and the chosen prompt on the holdout
once (:mod:`agility.port`). The migration then runs the target with the ported prompt, in the
chosen candidate's own run, so the answers the port already paid for are not paid again; when
the source side is the same model, settings and price as the port's baseline (as in the demo,
which ports a prompt within one model), it runs in the baseline's run too.

When the target is a ``system:`` (the demo's RAG application), the port scores each candidate
prompt by running that system with it (:class:`agility.port.PortOptions` ``system``): the
chosen candidate's run is then a run of the system, and the target's side is its answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agility.migrate._plan import Plan
from agility.port import PortOptions, PortResult, PriceSettings, port
from agility.retrieval import Retriever
from agility.runner import RunMasks
from agility.store import Store

__all__ = ["port_lineage", "port_options", "port_step"]


def port_options(plan: Plan, *, allow_outside: bool = False) -> PortOptions:
    """The port a plan's ``port:`` section asks for (``allow_outside``: a system target's file
    options may leave the plan's folder)."""
    assert plan.port is not None and plan.source.prompt is not None
    model = plan.target.model
    assert model is not None
    spec = plan.port
    target = plan.target
    metrics = [m for m in plan.metrics if isinstance(m, str)] or ["correctness"]
    gated = spec.metric or next((m for m in plan.criteria_object().quality.metrics
                                 if m in metrics), metrics[0])
    price = None if target.price is None else PriceSettings(
        input_per_mtok=target.price.input_per_mtok, output_per_mtok=target.price.output_per_mtok)
    settings = spec.model_dump(exclude={"name", "output", "metric"}, exclude_unset=True)
    # the criteria's safety metrics gate the port's choice too: a candidate that does worse
    # than the source on one is never chosen (agility.port._safety)
    settings.setdefault("safety_metrics", [
        m for m in plan.criteria_object().safety.metrics if m in metrics])
    return PortOptions(
        **settings, metric=gated, dataset=plan.dataset.path, prompt=plan.source.prompt,
        target=model, target_options=dict(target.provider_options),
        config=target.config, price=price, metrics=metrics, judge=plan.judge,
        judge_options=dict(plan.judge_options),
        concurrency=target.concurrency, timeout_s=target.timeout_s,
        name=spec.name or plan.name, output=spec.output,
        # a system target: its prompt is ported by running the system with each candidate
        system=target.system, system_dir=None if plan.path is None else plan.path.parent,
        system_allow_outside=allow_outside)


def _same_settings(plan: Plan) -> bool:
    """Whether the source side is the port's baseline (same model, options, settings, price)."""
    source, target = plan.source, plan.target
    return (source.model_spec == target.model_spec and source.system == target.system
            and source.provider_options == target.provider_options
            and source.config.model_dump(exclude_unset=True)
            == target.config.model_dump(exclude_unset=True)
            and source.price == target.price)


def port_step(plan: Plan, store: Store, retriever: Retriever | None,
              say: Callable[[str], None], *, masks: RunMasks | None = None,
              mask_judged: Callable[[str], str] | None = None,
              mask_reports: Callable[[str], str] | None = None,
              allow_outside: bool = False) -> tuple[Plan, PortResult, str]:
    """Port the source prompt (resuming an earlier port), then point the plan's target at it,
    under the plan's privacy policy's masks (its runs become the migration's target run).

    Returns:
        The plan whose target runs the ported prompt in the chosen candidate's run (and whose
        source runs in the baseline's run when it is the same model and settings), the port's
        result and a one-line summary of the step.
    """
    result = port(port_options(plan, allow_outside=allow_outside), store=store, retriever=retriever,
                  report_json=plan.output / "port.json", report_html=plan.output / "port.html",
                  on_step=say, masks=masks, mask_judged=mask_judged,
                  mask_reports=mask_reports)
    report = result.report
    runs = {"target": f"port/{report.name}/{result.chosen.id}"}
    # When the port kept the source prompt, its baseline run is the target's: the source side
    # then runs in its own run (a run cannot be compared with itself), paying the holdout again.
    if _same_settings(plan) and result.chosen.id != result.source.id:
        runs["source"] = f"port/{report.name}/{result.source.id}"
    target = plan.target.model_copy(update={"prompt": result.output,
                                            "config": result.chosen.config})
    ported = plan.model_copy(update={"target": target}).with_runs(**runs)

    def show(value: float | None) -> str:
        return "not measured" if value is None else f"{value:+.3f}"

    summary = (f"chose {report.chosen_label}; {report.metric} gain dev "
               f"{show(report.gain('dev'))}, holdout {show(report.gain('holdout'))}; "
               f"{report.budget.calls_used} calls ({report.budget.calls_this_time} this time)")
    return ported, result, summary


def port_lineage(result: PortResult) -> dict[str, Any]:
    """What the migration's lineage records of the port."""
    report = result.report
    return {
        "name": report.name, "chosen": report.chosen, "chosen_label": report.chosen_label,
        "prompt": None if result.output is None else str(result.output),
        "prompt_hash": report.ported_prompt["hash"],
        "parent": report.lineage.get("parent"), "target": report.target["model"],
        "optimizer": report.optimizer, "seed": report.seed, "metric": report.metric,
        "dev_gain": report.gain("dev"), "holdout_gain": report.gain("holdout"),
        "calls_used": report.budget.calls_used, "usd_used": report.budget.usd_used,
        "constraints": len(report.constraints),
        "safety": None if report.safety is None else report.safety.decision,
        "report": None if result.report_json is None else str(result.report_json),
        "html": None if result.report_html is None else str(result.report_html),
    }
