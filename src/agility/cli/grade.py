"""`agility grade` and `agility calibrate`: grade recorded answers, measure a grader."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import BaseModel
from rich.markup import escape
from rich.table import Table

from agility._files import atomic_write, describe_os_error
from agility.cli._common import StoreOption, console, err_console, handle_errors, open_store
from agility.errors import UnknownName, UsageError

if TYPE_CHECKING:
    from agility.compare import SmeSummary
    from agility.metrics import CalibrationReport

#: this module's top-level commands (listed in agility.cli.main.COMMANDS)
app = typer.Typer()


@app.command("grade")
@handle_errors
def grade(
    input_path: Annotated[Path, typer.Option("--input", "-i", help="JSONL rows: id, question, "
                                             "ground_truth, output (context optional).")],
    output_path: Annotated[Path, typer.Option("--output", "-o", help="JSONL file to write.")],
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="FIELD=COLUMN (repeatable), e.g. --map output=model_answer.")] = None,
    judge: Annotated[str | None, typer.Option(
        "--judge", help="provider/model of an LLM judge (default: the offline grader).")] = None,
    judge_repeats: Annotated[int, typer.Option(
        "--judge-repeats", min=1, help="Ask the judge K times per answer (majority verdict).")
    ] = 1,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="Base URL of the judge's OpenAI-compatible server.")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Parallel judge calls.")] = 4,
) -> None:
    """Grade answers recorded elsewhere: adds verdict, score and reason to each row."""
    from agility.metrics import grade_file
    from agility.metrics._grade import parse_mapping

    options = {"base_url": base_url} if base_url else None
    rows = grade_file(input_path, output_path, mapping=parse_mapping(map_ or []), judge=judge,
                      judge_options=options, judge_repeats=judge_repeats,
                      concurrency=concurrency)
    counts = {v: sum(r["verdict"] == v for r in rows) for v in ("correct", "incorrect", "refusal")}
    failed = sum(r["verdict"] is None for r in rows)
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    if failed:
        summary += f", {failed} not graded"
    err_console.print(f"graded {len(rows)} rows ({summary}) → {escape(str(output_path))}",
                      highlight=False)


@app.command("calibrate")
@handle_errors
def calibrate(
    input_path: Annotated[Path | None, typer.Option("--input", "-i", help="Graded JSONL file.")
                          ] = None,
    queue: Annotated[str | None, typer.Option(
        "--queue", help="A review queue: each automated metric against its SME verdicts.")
    ] = None,
    human_field: Annotated[str, typer.Option(help="Column of the human label.")] = "label",
    auto_field: Annotated[str, typer.Option(help="Column of the automated verdict.")] = "verdict",
    json_out: Annotated[Path | None, typer.Option("--json", help="Save the report as JSON.")] = None,
    store: StoreOption = None,
) -> None:
    """Automated verdicts against human labels: agreement, kappa, confusion, per-class P/R/F1
    (--input), or per metric against a review queue's SME verdicts (--queue)."""
    from agility.metrics import calibrate_file

    if (input_path is None) == (queue is None):
        raise UsageError("give exactly one of --input (a graded file) or --queue (a review "
                         "queue)")
    report: BaseModel
    if queue is not None:
        from agility.review import queue_agreement

        with open_store(store, existing=True) as db:
            record = db.get_queue(queue)
            if record is None:
                raise UnknownName("review queue", queue, [q.name for q in db.list_queues()],
                                  argument="queue")
            report = queue_agreement(db, record)
        _print_agreement(report)
    else:
        assert input_path is not None
        report = calibrate_file(input_path, human_field=human_field, auto_field=auto_field)
        _print_report(report)
    if json_out is not None:
        try:
            atomic_write(json_out, report.model_dump_json(indent=2))
        except OSError as exc:
            raise UsageError(f"cannot write {json_out} (--json): {describe_os_error(exc)}") from exc
        err_console.print(f"saved {escape(str(json_out))}", highlight=False)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _print_report(report: CalibrationReport) -> None:
    console.print(f"rows: {report.n}   agreement: {_fmt(report.agreement)}   "
                  f"Cohen's kappa: {_fmt(report.kappa)}", highlight=False)
    matrix = Table(title="confusion (rows: human, columns: automated)")
    matrix.add_column("human \\ auto")
    for label in report.labels:
        matrix.add_column(escape(label), justify="right")
    for human in report.labels:
        matrix.add_row(escape(human), *(str(report.confusion[human][a]) for a in report.labels))
    console.print(matrix)
    per_class = Table(title="per class")
    for column in ("class", "support", "predicted", "precision", "recall", "F1"):
        per_class.add_column(column, justify="left" if column == "class" else "right")
    for stats in report.per_class:
        per_class.add_row(escape(stats.label), str(stats.support), str(stats.predicted),
                          _fmt(stats.precision), _fmt(stats.recall), _fmt(stats.f1))
    console.print(per_class)


def _interval(low: float | None, high: float | None, pct: bool = False) -> str:
    if low is None or high is None:
        return ""
    return f" ({100 * low:.1f}-{100 * high:.1f}%)" if pct else f" ({low:.2f} to {high:.2f})"


def _print_agreement(summary: SmeSummary) -> None:
    coverage = "n/a" if summary.coverage is None else f"{100 * summary.coverage:.1f}%"
    alpha = ("not measured" if summary.inter_reviewer_alpha is None
             else f"{summary.inter_reviewer_alpha:.3f}")
    console.print(f"queue {escape(', '.join(summary.queues))}: {summary.settled} of "
                  f"{summary.items} items settled ({coverage}); reviewers: "
                  f"{escape(', '.join(summary.reviewers)) or 'none yet'}", highlight=False)
    console.print(f"inter-reviewer Krippendorff's alpha: {alpha} over "
                  f"{summary.inter_reviewer_items} items judged by several reviewers; "
                  f"{len(summary.disagreements)} await a lead; open flags: "
                  f"{summary.unresolved_flags or 'none'}", highlight=False)
    if not summary.agreement:
        console.print("no settled SME verdict yet: nothing to compare the metrics with",
                      highlight=False)
        return
    table = Table(title="automated metrics against SME verdicts (95% intervals)")
    for column in ("metric", "side", "n", "labels", "agreement", "Cohen's kappa"):
        table.add_column(column, justify="left" if column in ("metric", "side", "labels")
                         else "right")
    for a in summary.agreement:
        table.add_row(escape(a.metric), a.side, str(a.n), a.labels,
                      f"{_fmt(a.agreement)}{_interval(a.agreement_low, a.agreement_high)}",
                      f"{_fmt(a.kappa)}{_interval(a.kappa_low, a.kappa_high)}")
    console.print(table)
