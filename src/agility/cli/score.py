"""`agility score RUN --metrics m1,m2`: score a stored run and print a summary table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from agility.cli._common import StoreOption, console, err_console, handle_errors, open_store
from agility.cli._progress import ScoreBars
from agility.errors import UsageError

if TYPE_CHECKING:
    from agility.metrics import MetricSpec, MetricSummary

#: this module's top-level commands (listed in agility.cli.main.COMMANDS)
app = typer.Typer()


def parse_metrics(text: str) -> list[str]:
    """``"a, b,c"`` → ``["a", "b", "c"]``; an empty list is a usage error."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError("--metrics is empty: give metric names separated by commas, for "
                         "example --metrics correctness,semantic_similarity")
    return names


def with_options(names: list[str], settings: list[str]) -> list[MetricSpec]:
    """Attach ``METRIC.KEY=VALUE`` settings to their metrics (``rubric.criteria=...``).

    Raises:
        UsageError: a setting is malformed or names a metric not in ``names``.
    """
    options: dict[str, dict[str, Any]] = {}
    for setting in settings:
        target, sep, value = setting.partition("=")
        metric, dot, key = target.strip().rpartition(".")
        if not sep or not dot or not metric or not key:
            raise UsageError(f"--set '{setting}' is not of the form METRIC.KEY=VALUE "
                             f"(for example --set rubric.criteria='Cites the filing')")
        if metric not in names:
            raise UsageError(f"--set '{setting}' names metric '{metric}', which is not in "
                             f"--metrics ({', '.join(names)})")
        options.setdefault(metric, {})[key] = _value(value)
    return [{"name": n, **options[n]} if n in options else n for n in names]


def _value(text: str) -> Any:
    """Numbers and true/false become typed; anything else stays a string."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


@app.command("score")
@handle_errors
def score(
    run: Annotated[str, typer.Argument(help="Name of the stored run to score.")],
    metrics: Annotated[str, typer.Option(
        "--metrics", "-m", help="Comma-separated metric names, e.g. "
                                "correctness,semantic_similarity,faithfulness.")],
    judge: Annotated[str | None, typer.Option(
        "--judge", help="provider/model of the judge for LLM-judged metrics.")] = None,
    judge_repeats: Annotated[int | None, typer.Option(
        "--judge-repeats", min=1, help="Ask the judge K times per answer; report the spread.")
    ] = None,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="Base URL of the judge's OpenAI-compatible server.")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Judge calls in flight at once.")] = 4,
    rescore: Annotated[bool, typer.Option(
        "--rescore", help="Score again answers already scored by the same metric version.")
    ] = False,
    settings: Annotated[list[str] | None, typer.Option(
        "--set", help="METRIC.KEY=VALUE option for one metric (repeatable), e.g. "
                      "--set rubric.criteria='Cites the filing' --set context_recall.mode=llm.")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    store: StoreOption = None,
    executor: Annotated[str, typer.Option(
        "--executor", help="local (this process) or ray (spread over a Ray cluster, one "
                           "worker per CPU; pip install 'agility[ray]').")] = "local",
    ray_address: Annotated[str | None, typer.Option(
        "--ray-address", help="The Ray cluster: auto, ray://host:10001, host:6379 (default: "
                              "start a local one for this scoring).")] = None,
) -> None:
    """Score every successful answer of RUN and store the scores per example."""
    # the metrics (numpy, the models some of them load) load when scoring, not for --help
    from agility.metrics import judge_spread, score_run

    names = parse_metrics(metrics)
    specs = with_options(names, settings or [])
    options = {"base_url": base_url} if base_url else None
    with open_store(store, existing=True) as db, ScoreBars(enabled=progress) as bars:
        summaries = score_run(db, run, specs, judge=judge, judge_options=options,
                              judge_repeats=judge_repeats, concurrency=concurrency,
                              rescore=rescore, on_progress=bars, executor=executor,
                              ray_address=ray_address)
        errored = db.count_results(db.require_run(run).id, ok=False)
        spreads = {name: judge_spread(db, run, name) for name in summaries} \
            if (judge_repeats or 1) > 1 else {}
    console.print(summary_table(run, summaries))
    for name, spread in spreads.items():
        if spread is not None:
            console.print(f"{escape(name)}: {spread['n']} answers judged {judge_repeats} times; "
                          + _spread_text(spread), highlight=False, soft_wrap=True)
    if errored:
        err_console.print(f"{errored} result(s) of {escape(run)} failed when the run was made "
                          f"and were not scored", highlight=False)


def _spread_text(spread: dict[str, float | int]) -> str:
    parts = []
    if "mean_stdev" in spread:
        parts.append(f"mean score stdev {spread['mean_stdev']:.3f}")
    if "mean_agreement" in spread:
        parts.append(f"mean verdict agreement {spread['mean_agreement']:.0%}")
    return ", ".join(parts) or "no spread measured"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def summary_table(run: str, summaries: dict[str, MetricSummary]) -> Table:
    """The per-metric summary: mean, pass rate, answers scored and not scored."""
    table = Table(title=f"scores of {escape(run)}")
    for column in ("metric", "mean", "pass rate", "scored", "failed"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, s in summaries.items():
        table.add_row(escape(name), _fmt(s.mean), _fmt(s.pass_rate), str(s.n_scored),
                      str(s.n_failed))
    return table
