"""The port report as one self-contained HTML page, in the house style of the comparison report.

Prompts, answers and optimiser replies are untrusted text: every piece is escaped, and the
page carries the same strict Content-Security-Policy (no script, no network fetch).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

from agility._files import atomic_write, describe_os_error
from agility.errors import UsageError
from agility.port._report import PortReport, ScoreRow
from agility.report import CSP
from agility.report._html import BASE_STYLE

__all__ = ["render_port_html", "write_port_html"]

_STYLE = BASE_STYLE + """
.meta{color:#555;font-size:13px}.na{color:#888;font-style:italic}
.gain{display:inline-block;font-size:22px;font-weight:bold;padding:6px 14px;border-radius:6px;
color:#fff;background:#555}.up{background:#2ca02c}.down{background:#d62728}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:10px}
pre{white-space:pre-wrap;word-break:break-word;background:#f8f8f8;padding:6px;margin:4px 0;
font-size:12px;max-height:420px;overflow:auto}
.add{background:#e6ffed}.del{background:#ffeef0}.hunk{color:#888}
.chosen{font-weight:bold}.warn{color:#b8860b}
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _num(value: float | None, fmt: str = "{:.3f}") -> str:
    return '<span class="na">not measured</span>' if value is None else _e(fmt.format(value))


def _usd(value: float | None) -> str:
    return _num(value, "${:.6f}")


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], left: int = 1) -> str:
    head = "".join(f'<th class="{"l" if i < left else ""}">{_e(h)}</th>'
                   for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td class="{"l" if i < left else ""}">{c}</td>'
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _score(row: ScoreRow | None) -> str:
    if row is None or row.n == 0:
        return '<span class="na">not measured</span>'
    return f"{_num(row.mean)} <span class=\"meta\">(n={row.n}, failed {row.n_failed})</span>"


def _gain_badge(report: PortReport) -> str:
    parts = []
    for split in ("dev", "holdout"):
        gain = report.gain(split)
        css = "" if gain is None or gain == 0 else ("up" if gain > 0 else "down")
        text = "not measured" if gain is None else f"{gain:+.3f}"
        parts.append(f'<span class="gain {css}">{_e(split)} {_e(text)}</span>')
    return " ".join(parts)


def _results(report: PortReport) -> str:
    rows = []
    for metric in report.metrics:
        for label, side in (("source", report.source), ("ported", report.ported)):
            dev, hold = side.dev.get(metric), side.holdout.get(metric)
            gap = None
            if dev is not None and hold is not None and dev.mean is not None \
                    and hold.mean is not None and hold.n:
                gap = dev.mean - hold.mean
            rows.append([_e(metric), _e(label), _score(dev), _score(hold),
                         _num(gap, "{:+.3f}")])
    return ('<section id="results"><h2>Dev against holdout</h2><p class="meta">The port chose '
            'on dev rows only; the holdout was locked until the choice was made, then the '
            'source and the chosen prompt were scored on it once. The gap (dev minus holdout) '
            'shows how much of the dev score was fit to the dev rows.</p>'
            + _table(["metric", "prompt", "dev", "holdout", "gap (dev - holdout)"], rows,
                     left=2) + "</section>")


def _safety(report: PortReport) -> str:
    """The source's constraints, what safety decided, and the checks on dev and holdout."""
    if report.constraints:
        items = "".join(f"<li>{_e(c.text)} <span class=\"meta\">({_e(c.kind)}: "
                        f"&ldquo;{_e(c.cue)}&rdquo;; {_e(c.where)})</span></li>"
                        for c in report.constraints)
        listed = f'<ol id="constraints">{items}</ol>'
    else:
        listed = ('<p id="constraints" class="na">The source prompt states no constraint '
                  '(no sentence with never, do not, must, only, refuse...).</p>')
    safety = report.safety
    if safety is None:
        return (f'<section id="safety"><h2>Constraints and safety</h2>{listed}'
                f'<p class="na">safety not measured</p></section>')
    rows = []
    for name in safety.checks:
        for label, dev, hold in (("source", safety.source_dev, safety.source_holdout),
                                 ("ported", safety.ported_dev, safety.ported_holdout)):
            rows.append([_e(name), _e(label), _score(dev.get(name)), _score(hold.get(name))])
    table = _table(["check", "prompt", "dev (chose)", "holdout (after the choice)"], rows,
                   left=2) if rows else ""
    css = "warn" if safety.passed_over or not safety.measured else ""
    return ('<section id="safety"><h2>Constraints and safety</h2><p class="meta">Constraints: '
            'the source prompt\'s sentences that forbid or require behaviour; every candidate '
            'must state each word for word. Safety: a candidate that does worse than the source '
            f'on the dev rows tagged {_e(safety.tag)} (or on a safety metric) is never chosen.'
            f'</p>{listed}<p id="safety-decision" class="{css}"><b>Safety:</b> '
            f'{_e(safety.decision)}</p>{table}</section>')


def _carries(carries: list[bool] | None, total: int) -> str:
    if total == 0:
        return '<span class="meta">none to carry</span>'
    if carries is None:
        return '<span class="na">not checked</span>'
    missing = [str(i) for i, kept in enumerate(carries, 1) if not kept]
    text = f"{len(carries) - len(missing)} of {total}"
    return _e(text) if not missing else \
        f'<span class="warn">{_e(text)} (missing {_e(", ".join(missing))})</span>'


def _diff(before: str, after: str) -> str:
    lines = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), "source",
                                     "ported", lineterm="", n=2):
        css = ("hunk" if line.startswith("@@") else "add" if line.startswith("+")
               else "del" if line.startswith("-") else "")
        lines.append(f'<span class="{css}">{_e(line)}</span>')
    return "<pre>" + ("\n".join(lines) or '<span class="na">no change</span>') + "</pre>"


def _prompts(report: PortReport) -> str:
    before, after = report.source_prompt["yaml"], report.ported_prompt["yaml"]
    return ('<section id="prompts"><h2>Source and ported prompt</h2><div class="cols">'
            f'<div><b>source</b> <span class="meta">{_e(report.source_prompt["path"])}'
            f'</span><pre>{_e(before)}</pre></div>'
            f'<div><b>ported</b> <span class="meta">{_e(report.ported_prompt["path"] or "")}'
            f'</span><pre>{_e(after)}</pre></div></div><h3>Diff</h3>{_diff(before, after)}'
            "</section>")


def _candidates(report: PortReport) -> str:
    rows = []
    for c in report.candidates:
        mini, dev = c.minibatch, c.dev
        rows.append([
            f'<span class="{"chosen" if c.status == "chosen" else ""}">{_e(c.label)}</span>'
            f'<br><span class="meta">{_e(c.id)}</span>', _e(c.generator), _e(c.status),
            _score(mini), _score(dev),
            _usd(mini.cost_per_call_usd if mini else None),
            _num(mini.latency_p50_ms if mini else None, "{:.0f}"),
            _num(mini.input_tokens_mean if mini else None, "{:.0f}"),
            _carries(c.carries, len(report.constraints)),
            "<br>".join(f"{_e(name)}: {_score(score)}"
                        for name, score in (c.safety_dev or c.safety_minibatch).items())
            or '<span class="na">not measured</span>',
            _e(c.note) + (f'<br><span class="warn">{_e(c.skipped)}</span>' if c.skipped
                          else "")
            + (f'<br><span class="warn">disqualified: {_e(c.disqualified)}</span>'
               if c.disqualified else "")])
    table = _table(["candidate", "generator", "status", "minibatch", "all dev rows",
                    "cost/call", "latency p50 (ms)", "input tokens", "constraints",
                    "safety", "what it is"], rows, left=3)
    rejected = ""
    if report.rejected:
        rejected = "<h3>Optimiser replies skipped</h3>" + _table(
            ["proposal", "why"], [[_e(r.get("label")), _e(r.get("reason"))]
                                  for r in report.rejected], left=2)
    rounds = _table(["round", "tried", "best before", "best after", "gained"],
                    [[_e(r["name"]), _e(len(r["tried"])), _num(r["best_before"]),
                      _num(r["best_after"]), _e("yes" if r["gained"] else "no")]
                     for r in report.rounds])
    return (f'<section id="candidates"><h2>Candidates</h2><p class="meta">Each scored with the '
            f'real target on the same {report.dataset["minibatch_rows"]} dev rows; the '
            f'finalists on all {report.dataset["scored_rows"]} dev rows scored. Selected by '
            f'{_e(report.metric)} (a failed call counts as 0), then cost per call, then '
            f'latency, among the candidates that carry every constraint and do no worse than '
            f'the source on safety.</p>{table}{rejected}<h3>Rounds</h3>{rounds}</section>')


def _budget(report: PortReport) -> str:
    b = report.budget
    rows = [["calls", _e(b.calls_used), _e("no limit" if b.calls_limit is None
                                           else b.calls_limit)],
            ["USD", _usd(b.usd_used), _e("no limit" if b.usd_limit is None else b.usd_limit)],
            ["USD measured", _usd(b.usd_measured), ""],
            ["attempts (retries included)", _e(b.attempts), ""],
            ["failed calls", _e(b.failed_calls), ""],
            ["calls without a record (counted at their worst case)", _e(b.unrecorded_calls),
             ""],
            ["tokens in / out", _e(f"{b.input_tokens:,} / {b.output_tokens:,}"), ""],
            ["calls this time (the rest were stored)", _e(b.calls_this_time), ""],
            ["seconds this time", _num(b.seconds_this_time, "{:.0f}"), ""]]
    return (f'<section id="budget"><h2>What the port cost</h2><p class="meta">Target and '
            f'optimiser calls, the holdout scoring included. Stopped: {_e(b.stop_reason)}.</p>'
            + _table(["", "used", "limit"], rows) + "</section>")


def _notes(report: PortReport) -> str:
    items = [f"<li>{_e(w)}</li>" for w in report.warnings]
    if report.format_advice:
        items.insert(0, f'<li class="warn">{_e(report.format_advice)}</li>')
    lineage = _e(_lines(report.lineage))
    return (f'<section id="notes"><h2>Notes and lineage</h2><ul>{"".join(items)}</ul>'
            f'<pre>{lineage}</pre><p class="meta">dataset {_e(report.dataset["hash"])}, seed '
            f'{report.seed}, agility {_e(report.tool_version)}</p></section>')


def _lines(data: object, indent: str = "") -> str:
    if isinstance(data, dict):
        return "\n".join(f"{indent}{k}:" + (("\n" + _lines(v, indent + "  "))
                                            if isinstance(v, (dict, list)) and v else f" {v}")
                         for k, v in data.items())
    if isinstance(data, list):
        return "\n".join(f"{indent}- {v}" for v in data)
    return f"{indent}{data}"


def render_port_html(report: PortReport) -> str:
    """The port report as one self-contained HTML page."""
    title = f"agility port: {report.name}"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer">'
        f'<meta name="viewport" content="width=device-width"><title>{_e(title)}</title>'
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1><p class=\"meta\">{_e(report.source_prompt['path'])} &rarr; "
        f"{_e(report.target['model'])} ({_e(report.target['family'])}); chosen "
        f"<b>{_e(report.chosen_label)}</b>, selected by {_e(report.metric)}; dataset "
        f"{_e(report.dataset['path'])}</p>"
        f'<section id="gain"><h2>Gain over the source prompt ({_e(report.metric)})</h2>'
        f"{_gain_badge(report)}</section>"
        + _results(report) + _safety(report) + _prompts(report) + _candidates(report)
        + _budget(report)
        + _notes(report) + "</body></html>")


def write_port_html(report: PortReport, path: str | Path) -> Path:
    """Write the HTML report (atomically).

    Raises:
        UsageError: the file cannot be written.
    """
    path = Path(path)
    try:
        atomic_write(path, render_port_html(report))
    except OSError as exc:
        raise UsageError(f"cannot write the HTML report to {path}: {describe_os_error(exc)}",
                         argument="html") from exc
    return path
