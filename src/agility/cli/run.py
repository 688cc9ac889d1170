"""`agility run`, `agility runs list|show`, `agility export`: benchmark a model, read runs back."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.table import Table

from agility._process import process_age_s
from agility.chat import GenerationConfig
from agility.cli._common import (
    ReadOnlyOption,
    StoreOption,
    console,
    err_console,
    handle_errors,
    open_store,
    parse_key_values,
)
from agility.errors import RunStopped, UsageError
from agility.store import RunRecord, Store, shown_status

if TYPE_CHECKING:
    from agility.runner import RunSummary

#: this module's top-level commands (listed in agility.cli.main.COMMANDS)
app = typer.Typer()

runs_app = typer.Typer(help="Runs in the store: list them, show one.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")


def _fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def _usd(value: float | None) -> str:
    return "not measured" if value is None else f"${value:.6f}"


def _summary_table(summary: RunSummary, startup_s: float | None = None) -> Table:
    table = Table(title=f"run {escape(summary.name)}", show_header=False)
    rows: list[tuple[str, Any]] = [
        ("examples", summary.n_examples), ("results written", summary.n_done),
        ("errors", summary.n_errors), ("empty answers", summary.n_empty),
        ("cached", summary.n_cached),
        ("skipped (already done)", summary.skipped_on_resume),
        ("cost", _usd(summary.total_cost_usd)), ("wall time", _fmt(summary.wall_time_s, " s")),
    ]
    if startup_s is not None:
        # the run's wall time starts after the imports and the store; say what came before,
        # and the whole, so the two add up to what `time agility run ...` shows
        whole = process_age_s()
        rows.append(("start-up (before the run)", _fmt(startup_s, " s", 2)))
        rows.append(("process wall time", _fmt(whole, " s")))
    if summary.n_throttled:
        rows.append(("throttled", f"{summary.n_throttled} attempts; concurrency came down to "
                                  f"{summary.lowest_concurrency} of {summary.concurrency}"))
    for label, value in rows:
        table.add_row(label, escape(str(value)))
    return table


def print_run_outcome(summary: RunSummary, startup_s: float | None = None) -> int:
    """Print a run's summary and why it failed, if it did; return the exit status (1 when
    any call failed or an answer came back empty, else 0). ``startup_s``: the process's age
    when the run began (shown with the process's whole time), if known."""
    console.print(_summary_table(summary, startup_s))
    for message, count in summary.top_errors:
        err_console.print(f"[red]{count} x[/] {escape(message)}", highlight=False,
                          soft_wrap=True)
    problems = []
    if summary.n_errors:
        problems.append(f"{summary.n_errors} of {summary.n_done} calls failed")
    if summary.n_empty:
        problems.append(f"{summary.n_empty} answers were empty (check max_tokens and stop "
                        f"sequences)")
    if problems:
        err_console.print(f"[yellow]run {escape(summary.name)} finished with problems:[/] "
                          f"{escape('; '.join(problems))}. Resume with --resume to retry the "
                          f"failed calls.", highlight=False, soft_wrap=True)
        return 1
    return 0


@app.command("run")
@handle_errors
def run_command(
    dataset: Annotated[Path, typer.Option("--dataset", help="Golden dataset file.")],
    name: Annotated[str, typer.Option("--name", help="Run name (to resume and compare it).")],
    model: Annotated[str | None, typer.Option(
        "--model", help="provider/model, e.g. openai/gpt-4o-mini (with --system: the model the "
                        "system calls).")] = None,
    system: Annotated[str | None, typer.Option(
        "--system", help="Answer with a system instead of the plain model call: "
                         "python:package.module:function, langgraph:package.module:graph or "
                         "http:URL.")] = None,
    system_options: Annotated[Path | None, typer.Option(
        "--system-options", help="YAML file with the rest of the system's settings (options, "
                                 "timeout_s; for http: answer_path, body_template, "
                                 "headers_from_env...).")] = None,
    allow_key_env: Annotated[list[str] | None, typer.Option(
        "--allow-key-env", help="An environment variable the --system-options file may send "
                                "as a header (headers_from_env); repeat for more.")] = None,
    store: StoreOption = None,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="API root (OpenAI-compatible servers).")] = None,
    region: Annotated[str | None, typer.Option(
        "--region", help="Cloud region (Bedrock; also picks the price).")] = None,
    prompt: Annotated[Path | None, typer.Option(
        "--prompt", help="Prompt template (YAML, .j2 or .txt).")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Calls in flight at most.")] = 8,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Continue the run with this --name.")] = False,
    repeat: Annotated[int, typer.Option("--repeat", help="Calls per example (variance).")] = 1,
    warmup: Annotated[int, typer.Option("--warmup", help="Unrecorded warm-up calls.")] = 0,
    cache: Annotated[bool, typer.Option("--cache", help="Reuse cached answers (flagged).")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per call.")] = 120.0,
    rpm: Annotated[float | None, typer.Option("--rpm", help="Requests per minute limit.")] = None,
    tpm: Annotated[float | None, typer.Option("--tpm", help="Tokens per minute limit.")] = None,
    max_attempts: Annotated[int, typer.Option("--max-attempts", help="Attempts per example.")] = 5,
    price_input: Annotated[float | None, typer.Option(
        "--price-input", help="USD per 1M input tokens.")] = None,
    price_output: Annotated[float | None, typer.Option(
        "--price-output", help="USD per 1M output tokens.")] = None,
    price_cached_input: Annotated[float | None, typer.Option(
        "--price-cached-input", help="USD per 1M input tokens read from the prompt cache.")]
    = None,
    price_cache_write: Annotated[float | None, typer.Option(
        "--price-cache-write", help="USD per 1M input tokens written to the prompt cache.")]
    = None,
    prices: Annotated[Path | None, typer.Option(
        "--prices", help="Your price file (same format as the built-in table; see `agility "
                         "prices show MODEL`).")] = None,
    extra_cost: Annotated[float, typer.Option(
        "--extra-cost", help="Extra USD per query (retrieval, vector DB).")] = 0.0,
    temperature: Annotated[float | None, typer.Option(
        "--temperature", help="Override temperature.")] = None,
    max_tokens: Annotated[int | None, typer.Option(
        "--max-tokens", help="Override max output tokens.")] = None,
    split: Annotated[list[str] | None, typer.Option(
        "--split", help="Only these splits (dev, holdout); default: every row.")] = None,
    rows: Annotated[int | None, typer.Option(
        "--rows", min=1, help="Only a seeded sample of this many rows, keeping each stratum's "
                              "and split's share (a quick, cheap first look).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the --rows sample.")] = 0,
    stop: Annotated[list[str] | None, typer.Option(
        "--stop", help="A stop sequence; repeat for more.")] = None,
    provider_option: Annotated[list[str] | None, typer.Option(
        "--provider-option", help="A provider option as key=value (e.g. timeout_s=30, "
                                  "chat_format=gemma); repeat for more. Never a key: keys come "
                                  "from the environment.")] = None,
    executor: Annotated[Literal["local", "ray"], typer.Option(
        "--executor", help="local (this process) or ray (spread over a Ray cluster; "
                           "pip install 'agility[ray]').")] = "local",
    ray_address: Annotated[str | None, typer.Option(
        "--ray-address", help="The Ray cluster: auto, ray://host:10001, host:6379 (default: "
                              "start a local one for this run).")] = None,
    turns: Annotated[Literal["last", "each"], typer.Option(
        "--turns", help="last (a conversation row on its last turn) or each (every assistant "
                        "turn of a conversation answered and stored as a row ID#tN).")] = "last",
    history: Annotated[Literal["transcript", "own"], typer.Option(
        "--history", help="With --turns each, what a turn's earlier turns hold: transcript "
                          "(the recorded answers) or own (the answers this run got for "
                          "them).")] = "transcript",
) -> None:
    """Benchmark a model on a golden dataset; every result is stored as it completes."""
    # the runner (providers, the HTTP client) loads when a run starts, not for --help
    from agility.providers import RoutingPolicy
    from agility.runner import RateLimit, RetryPolicy, check_run_options, run_model, run_system
    from agility.systems import load_system_file, parse_system_spec

    options = parse_key_values(provider_option, "--provider-option")
    options.update({k: v for k, v in (("base_url", base_url), ("region", region))
                    if v is not None})
    overrides: dict[str, Any] = {k: v for k, v in (("temperature", temperature),
                                                   ("max_tokens", max_tokens), ("stop", stop))
                                 if v is not None}
    try:
        config = GenerationConfig(**overrides) if overrides else None
        retry = RetryPolicy(max_attempts=max_attempts)
        limit = RateLimit(rpm=rpm, tpm=tpm) if rpm or tpm else None
    except ValueError as exc:
        raise UsageError(f"invalid option: {exc}") from None
    startup = process_age_s()
    if model is None and system is None:
        raise UsageError("give --model (the plain model call) or --system (your application)",
                         argument="model")
    if system is not None and executor != "local":
        raise UsageError("--system runs on the local executor only (not --executor ray yet)",
                         argument="executor")
    if system_options is not None and system is None:
        raise UsageError("--system-options goes with --system", argument="system_options")
    common: dict[str, Any] = dict(
        name=name, provider_options=options, template=prompt, config=config,
        concurrency=concurrency, rate_limit=limit, retry=retry, timeout_s=timeout,
        resume=resume, repeat=repeat, price_input=price_input, price_output=price_output,
        price_cached_input=price_cached_input, price_cache_write=price_cache_write,
        extra_cost_usd=extra_cost, splits=split or None, prices=prices, rows=rows,
        sample_seed=seed, turns=turns, history=history)
    # every refusal before the store is opened: a refused run leaves no store file behind
    check_run_options(concurrency=concurrency, warmup=warmup, timeout_s=timeout, executor=executor,
                      ray_address=ray_address, turns=turns, history=history,
                      template=prompt is not None, system=system is not None, cache=cache)
    spec = None
    if system is not None:
        spec = load_system_file(system_options, system, RoutingPolicy.from_environment(
            credentials=allow_key_env or ())) if system_options is not None \
            else parse_system_spec(system)
    with open_store(store) as db:
        try:
            if spec is not None:
                summary = run_system(dataset, spec, model=model, store=db, **common)
            else:
                assert model is not None
                summary = run_model(dataset, model, store=db, cache=cache, warmup=warmup,
                                    executor=executor, ray_address=ray_address, **common)
        except RunStopped as stopped:
            if stopped.summary is not None:
                print_run_outcome(stopped.summary, startup)
            raise
        except KeyboardInterrupt:
            # the answers stored so far stay; one the store could not take (a server gone
            # away) was said above, and a resume calls only the examples without one
            err_console.print(f"[yellow]interrupted[/]: the answers stored so far are kept. "
                              f"Resume with: agility run --dataset {escape(str(dataset))} "
                              f"{_what(model, system, system_options)}--name {escape(name)} "
                              f"--resume"
                              f"{'' if store is None else ' --store ' + escape(str(store))}",
                              highlight=False, soft_wrap=True)
            raise typer.Exit(130) from None
    raise typer.Exit(print_run_outcome(summary, startup))


def _what(model: str | None, system: str | None, options: Path | None) -> str:
    """The --model/--system flags of a resume hint (each followed by a space)."""
    parts = [f"--model {escape(model)} " if model else "",
             f"--system {escape(system)} " if system else "",
             f"--system-options {escape(str(options))} " if options else ""]
    return "".join(parts)


#: below this console width ``runs list`` drops the finished column and shortens timestamps
_WIDE_LIST = 110


def _when(timestamp: str | None, wide: bool) -> str:
    """``2026-11-25T08:41:25.295+00:00`` as ``2026-11-25 08:41:25`` (wide) or ``11-25 08:41``."""
    if not timestamp:
        return "-"
    text = timestamp.replace("T", " ")
    return text[:19] if wide else text[5:16]


def _runs_table(db: Store, runs: Sequence[RunRecord], width: int) -> Table:
    """The runs as a table that stays readable at ``width`` columns: name and status are never
    wrapped or cut; a long model spec (a replay path) folds onto more lines instead."""
    wide = width >= _WIDE_LIST
    # no outer edge when narrow: two more characters for the model column
    table = Table(title=f"runs in {escape(str(db.path))}", show_edge=wide)
    table.add_column("name", no_wrap=True)
    table.add_column("model", overflow="fold", min_width=8, ratio=1)
    table.add_column("status", no_wrap=True)
    table.add_column("results", no_wrap=True, justify="right")
    if wide:
        table.add_column("errors", no_wrap=True, justify="right")
    table.add_column("started", no_wrap=True)
    if wide:
        table.add_column("finished", no_wrap=True)
    for run in runs:
        counts = {"n": db.count_results(run.id), "e": db.count_results(run.id, ok=False)}
        errors = counts["e"]
        if wide:
            cells = [str(counts["n"]), str(errors), _when(run.started_at, wide),
                     _when(run.finished_at, wide)]
        else:
            done = f"{counts['n']} ({errors} err)" if errors else str(counts["n"])
            cells = [done, _when(run.started_at, wide)]
        table.add_row(escape(run.name), escape(run.model_spec), shown_status(run), *cells)
    return table


@runs_app.command("list")
@handle_errors
def runs_list(store: StoreOption = None, read_only: ReadOnlyOption = False) -> None:
    """List the runs in the store."""
    with open_store(store, read_only, existing=True) as db:
        runs = db.list_runs()
        table = _runs_table(db, runs, console.width)
    console.print(table if runs else "no runs yet: start one with `agility run`.")


@runs_app.command("show")
@handle_errors
def runs_show(
    name: Annotated[str, typer.Argument(help="The run's name.")],
    store: StoreOption = None,
    read_only: ReadOnlyOption = False,
) -> None:
    """Show a run's reproducibility record and headline figures."""
    from agility.runner import run_figures

    with open_store(store, read_only, existing=True) as db:
        run = db.require_run(name)
        figures = run_figures(db.results(run.id))
    table = Table(title=f"run {escape(run.name)}", show_header=False)
    rows = [
        ("status", shown_status(run)), ("model", run.model_spec),
        ("provider options", str(run.provider_options or "-")),
        ("dataset", f"{run.dataset_path or '-'} (hash {run.dataset_hash})"),
        ("config", str(run.config or "per-example")),
        ("template hash", run.template_hash or "none (recorded prompt)"),
        ("price table", f"{run.price_table_version} {run.prices or ''}"),
        ("tool version", run.tool_version), ("repeat", str(run.repeat)),
        ("started", run.started_at), ("finished", run.finished_at or "-"),
        ("results", str(figures["results"])), ("errors", str(figures["errors"])),
        ("cached", str(figures["cached"])),
        ("TTFT p50 / p95", f"{_fmt(figures['ttft_p50_ms'], ' ms')} / "
                           f"{_fmt(figures['ttft_p95_ms'], ' ms')}"),
        ("latency p50 / p95", f"{_fmt(figures['latency_p50_ms'], ' ms')} / "
                              f"{_fmt(figures['latency_p95_ms'], ' ms')}"),
        ("mean cost per query", _usd(figures["mean_cost_usd"])),
        ("total cost (paid, not cached)", _usd(figures["total_cost_usd"])),
    ]
    for label, value in rows:
        table.add_row(label, escape(value))
    console.print(table)


@app.command("export")
@handle_errors
def export_command(
    name: Annotated[str, typer.Argument(help="The run's name.")],
    out: Annotated[Path, typer.Option("-o", "--output", help="Output file.")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl, csv or parquet.")] = "jsonl",
    spans: Annotated[bool, typer.Option(
        "--spans", help="One row per span (each step and model call of each answer) instead "
                        "of one row per result.")] = False,
    store: StoreOption = None,
    read_only: ReadOnlyOption = False,
) -> None:
    """Export a run's results, one row per result (or per span with --spans)."""
    from agility.governance import stored_policy_masks
    from agility.runner import export_run, export_spans

    with open_store(store, read_only, existing=True) as db:
        # a run made under a privacy policy that masks exports is exported masked
        run = db.get_run(name)  # the export reports a wrong format or run name itself
        mask = stored_policy_masks(run.meta).exports if run is not None else None
        count = (export_spans if spans else export_run)(db, name, fmt, out, mask=mask)
    console.print(f"wrote {count} rows to {escape(str(out))}")
