"""`agility port`: port a prompt to a target model on the dev split, the holdout locked.

Exit status: 0 when the port ended with every call answered and the holdout scored; 1 when
calls failed or the holdout scoring was cut short by the budget; 2 any error.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agility.cli._common import StoreOption, console, err_console, handle_errors, open_store
from agility.errors import OptionsError, UsageError

if TYPE_CHECKING:  # agility.port loads the runner (aiohttp) and more: only when a port runs
    from agility.port import PortOptions, PortResult

#: this module's top-level commands (listed in agility.cli.main.COMMANDS)
app = typer.Typer()


def _say(message: str) -> None:
    err_console.print(f"[dim]>[/] {message}", markup=False, highlight=False, soft_wrap=True)


def _num(value: float | None, fmt: str = ".3f") -> str:
    return "not measured" if value is None else format(value, fmt)


def _print(result: PortResult) -> None:
    report = result.report
    console.print(f"port {report.name}: chose {report.chosen_label} ({report.chosen}) of "
                  f"{len(report.candidates)} candidates, by {report.metric}",
                  markup=False, highlight=False)
    for metric in report.metrics:
        source, ported = report.source, report.ported
        console.print(
            f"  {metric:<20} dev {_num(source.dev[metric].mean)} -> "
            f"{_num(ported.dev[metric].mean)}   holdout {_num(source.holdout[metric].mean)} -> "
            f"{_num(ported.holdout[metric].mean)}", markup=False, highlight=False)
    chosen = next((c for c in report.candidates if c.id == report.chosen), None)
    carried = "" if chosen is None or chosen.carries is None else \
        f", {sum(chosen.carries)} stated by the chosen prompt"
    console.print(f"  constraints of the source prompt: {len(report.constraints)}{carried}",
                  markup=False, highlight=False)
    if report.safety is not None:
        console.print(f"  safety: {report.safety.decision}", markup=False, highlight=False,
                      soft_wrap=True)
    budget = report.budget
    limit = "" if budget.calls_limit is None else f" of {budget.calls_limit}"
    usd = "" if budget.usd_used is None else f", ${budget.usd_used:.6f}"
    console.print(f"  cost: {budget.calls_used} calls{limit}{usd} ({budget.calls_this_time} "
                  f"this time, {budget.seconds_this_time:.0f} s); stopped: {budget.stop_reason}",
                  markup=False, highlight=False)
    for warning in ([report.format_advice] if report.format_advice else []) + report.warnings:
        err_console.print(f"[yellow]note:[/] {warning}", highlight=False, soft_wrap=True,
                          markup=False)
    for label, path in (("ported prompt", result.output), ("report", result.report_json),
                        ("html", result.report_html)):
        if path is not None:
            console.print(f"{label}: {path}", markup=False, highlight=False)


@app.command("port")
@handle_errors
def port_command(
    dataset: Annotated[Path, typer.Option("--dataset", help="Golden dataset (dev + holdout).")],
    prompt: Annotated[Path, typer.Option("--prompt", help="The source prompt file.")],
    target: Annotated[str, typer.Option("--target", help="Target model, provider/model.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Ported prompt file to write.")],
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="The target's API root (OpenAI-compatible servers).")] = None,
    optimizer: Annotated[str | None, typer.Option(
        "--optimizer", help="Optimiser model, provider/model (any provider).")] = None,
    optimizer_base_url: Annotated[str | None, typer.Option(
        "--optimizer-base-url", help="The optimiser's API root.")] = None,
    metric: Annotated[list[str] | None, typer.Option(
        "--metric", help="Metric (repeatable); the first selects. Default: correctness.")] = None,
    generators: Annotated[str | None, typer.Option(
        "--generators", help="Comma-separated: rules,few_shot,optimizer.")] = None,
    budget_calls: Annotated[int | None, typer.Option(
        "--budget-calls", help="Model calls at most (target + optimiser, holdout included).")
    ] = None,
    budget_usd: Annotated[float | None, typer.Option(
        "--budget-usd", help="USD at most (needs priced models and --max-tokens).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every draw.")] = 0,
    minibatch: Annotated[int, typer.Option("--minibatch", help="Dev rows per first look.")] = 12,
    finalists: Annotated[int, typer.Option(
        "--finalists", help="Candidates scored on every dev row.")] = 2,
    max_tokens: Annotated[int | None, typer.Option(
        "--max-tokens", help="The target's max output tokens.")] = None,
    temperature: Annotated[float | None, typer.Option(
        "--temperature", help="The target's temperature.")] = None,
    price_input: Annotated[float | None, typer.Option(
        "--price-input", help="Target USD per 1M input tokens.")] = None,
    price_output: Annotated[float | None, typer.Option(
        "--price-output", help="Target USD per 1M output tokens.")] = None,
    corpus: Annotated[Path | None, typer.Option(
        "--corpus", help="Retrieve documents from this corpus before each prompt (RAG).")
    ] = None,
    top_k: Annotated[int, typer.Option("--top-k", help="Documents retrieved.")] = 3,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Calls in flight.")] = 4,
    family: Annotated[str | None, typer.Option(
        "--family", help="The target's family when its name does not say it.")] = None,
    judge: Annotated[str | None, typer.Option("--judge", help="Judge of judge metrics.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="The port's name (to resume).")
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", help="JSON report to write.")
    ] = None,
    html: Annotated[Path | None, typer.Option("--html", help="HTML report to write.")] = None,
    store: StoreOption = None,
) -> None:
    """Port a prompt to a target model: candidates scored on the dev split, the holdout locked
    until the choice is made, then scored once (running it again resumes)."""
    values: dict[str, Any] = {
        "dataset": dataset, "prompt": prompt, "target": target, "output": output,
        "seed": seed, "minibatch": minibatch, "finalists": finalists,
        "concurrency": concurrency, "metrics": metric or ["correctness"]}
    optional = {"optimizer": optimizer, "budget_calls": budget_calls, "budget_usd": budget_usd,
                "family": family, "judge": judge, "name": name}
    values.update({k: v for k, v in optional.items() if v is not None})
    if base_url:
        values["target_options"] = {"base_url": base_url}
    if optimizer_base_url:
        values["optimizer_options"] = {"base_url": optimizer_base_url}
    if generators:
        values["generators"] = [g.strip() for g in generators.split(",") if g.strip()]
    config = {k: v for k, v in (("max_tokens", max_tokens), ("temperature", temperature))
              if v is not None}
    if config:
        values["config"] = config
    if price_input is not None or price_output is not None:
        if price_input is None or price_output is None:
            raise UsageError("give both --price-input and --price-output")
        values["price"] = {"input_per_mtok": price_input, "output_per_mtok": price_output}
    options = _options(values)
    retriever = None
    if corpus is not None:
        from agility.retrieval import EmbeddingRetriever

        retriever = EmbeddingRetriever(corpus, top_k=top_k)
    from agility.port import port

    with open_store(store) as db:
        result = port(options, store=db, retriever=retriever, report_json=report,
                      report_html=html, on_step=_say)
    _print(result)
    raise typer.Exit(0 if result.ok else 1)


_FLAG_OF = {"budget_calls": "--budget-calls", "budget_usd": "--budget-usd",
            "generators": "--generators", "minibatch": "--minibatch", "family": "--family",
            "finalists": "--finalists", "optimizer": "--optimizer", "target": "--target",
            "config.max_tokens": "--max-tokens", "config.temperature": "--temperature"}


def _options(values: dict[str, Any]) -> PortOptions:
    from agility._options import parse_options
    from agility.port import PortOptions

    try:
        return parse_options(PortOptions, "agility port", values)
    except OptionsError as exc:
        # name the flag, not the library option
        parts = [f"{_flag(p.option)}: {p.message.removeprefix('Value error, ')}"
                 for p in exc.problems]
        raise UsageError("; ".join(parts)) from None


def _flag(option: str) -> str:
    return _FLAG_OF.get(option, "--" + option.replace("_", "-"))
