"""The Markdown summary of a comparison, fit for a pull request.

Only figures, ids and names appear: no model answer is quoted, and every name (runs, metrics,
strata, criteria evidence) is escaped so it cannot inject HTML or break a table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from agility._files import atomic_write, describe_os_error
from agility.compare import (
    Comparison,
    ErrorRateSide,
    LatencySide,
    MetricComparison,
    format_share,
    format_usd,
)
from agility.errors import UsageError
from agility.report._cost import cost_model_markdown, recommendation_markdown
from agility.report._sme import sme_markdown
from agility.report._spans import spans_markdown
from agility.report._text import gate_scope, payback_text

__all__ = ["render_markdown", "write_markdown"]

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
_ICON = {"pass": "✅ pass", "fail": "❌ fail", "inconclusive": "⚠️ inconclusive",
         "not_evaluated": "⚠️ not evaluated"}


def _md(text: object) -> str:
    """Escape Markdown and HTML specials so text shows literally (also inside tables)."""
    return _SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def _code(text: object) -> str:
    """An inline code span: shown literally, so only backticks and newlines need removing."""
    return "`" + str(text).replace("`", "'").replace("\n", " ") + "`"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:+.2f}%"


def _interval(low: float | None, high: float | None) -> str:
    return "n/a" if low is None or high is None else f"{_pct(low)} to {_pct(high)}"


def _num(value: float | None, fmt: str = "{:.4f}") -> str:
    return "not measured" if value is None else fmt.format(value)


def _latency_line(name: str, side: LatencySide, pct: str = "p50") -> str:
    if side.source is None or side.target is None or side.diff_ms is None:
        return f"| {name} {pct} | not measured | not measured | |"
    diff_pct = (side.diff_pct or {}).get(pct)
    rel = "" if diff_pct is None else f" ({diff_pct:+.1f}%)"
    return (f"| {name} {pct} | {getattr(side.source, pct):.0f} ms | "
            f"{getattr(side.target, pct):.0f} ms | {side.diff_ms[pct]:+.0f} ms{rel} |")


def render_markdown(result: Comparison, *, extra_sections: Sequence[str] = ()) -> str:
    """Render a short Markdown summary of a comparison.

    Args:
        result: the comparison.
        extra_sections: ready Markdown sections added at the end (the canary rollout's).

    Returns:
        The Markdown text.
    """
    r = result
    lines = [f"## agility compare: **{r.verdict}**", "",
             f"{_code(r.source_run)} ({_code(r.source_model)}) → {_code(r.target_run)} "
             f"({_code(r.target_model)}). {gate_scope(r)}", "",
             "| criterion | status | evidence | why, and what to do |", "|---|---|---|---|"]
    for c in r.criteria_results:
        why = " ".join(x for x in (f"**why:** {_md(c.reason)}" if c.reason else "",
                                  f"**do:** {_md(c.advice)}" if c.advice else "") if x)
        lines.append(f"| {_md(c.name)} | {_ICON[c.status]} | {_md(c.evidence)} | {why} |")
    lines += recommendation_markdown(r)
    lines += ["", "| metric | n | source | target | relative | 95% CI (relative, ratio) | p |",
              "|---|---|---|---|---|---|---|"]
    for m in r.metrics:
        s = m.holdout if r.gate_split == "holdout" and m.holdout is not None else m.overall
        p = "" if s.p_value is None else f"{s.p_value:.3g} ({s.test})"
        lines.append(f"| {_md(m.metric)} | {s.n} | {_num(s.source_mean)} | "
                     f"{_num(s.target_mean)} | {_pct(s.rel_diff)} | "
                     f"{_interval(s.rel_ci_low, s.rel_ci_high)} | {p} |")
        for tag, t in m.by_tag.items():
            lines.append(f"| {_md(m.metric)}, tag {_md(tag)} | {t.n} | {_num(t.source_mean)} | "
                         f"{_num(t.target_mean)} | {_pct(t.rel_diff)} | "
                         f"{_interval(t.rel_ci_low, t.rel_ci_high)} | |")
    lines += _human_lines(r.metrics)
    e = r.errors
    lines += ["", "| error rate | calls | failed | no result | rate [95% CI] | most common |",
              "|---|---|---|---|---|---|",
              _error_line("source", e.source), _error_line("target", e.target)]
    if e.diff is not None and e.ci_low is not None and e.ci_high is not None:
        lines += ["", f"Error-rate difference: {100 * e.diff:+.2f} points (95% CI "
                      f"{100 * e.ci_low:+.2f} to {100 * e.ci_high:+.2f}); failed calls "
                  + ("count as failures of every quality metric."
                     if r.failed_calls == "count_as_fail"
                     else "are left out of the quality pairs (failed_calls: exclude).")]
    lines += ["", "| speed | source | target | difference |", "|---|---|---|---|",
              _latency_line("TTFT", r.latency.ttft), _latency_line("total", r.latency.total),
              _latency_line("total", r.latency.total, "p95"),
              *spans_markdown(r, _md), "",
              *([f"Scheduling: {_md(r.scheduling)}.", ""] if r.scheduling else []),
              "| cost | source | target |", "|---|---|---|",
              f"| per query | {format_usd(r.cost.source.mean_per_query_usd)} | "
              f"{format_usd(r.cost.target.mean_per_query_usd)} |",
              f"| retrieval share | {format_share(r.cost.source.retrieval_share)} | "
              f"{format_share(r.cost.target.retrieval_share)} |"]
    if r.cost.traffic_per_month is not None:
        lines.append(f"| per month ({r.cost.traffic_per_month:,} queries) | "
                     f"{format_usd(r.cost.source.monthly_usd)} | "
                     f"{format_usd(r.cost.target.monthly_usd)} |")
    if r.cost.migration_cost_usd is not None and not (r.cost.roi and r.cost.roi.has_items):
        lines += ["", f"Payback of the {format_usd(r.cost.migration_cost_usd)} migration: "
                      f"{payback_text(r.cost)}."]
    if r.cost.roi is not None and (r.cost.roi.has_items or r.cost.traffic_per_month):
        lines += cost_model_markdown(r)
    if r.regressions:
        lines += ["", "Largest regressions: " + ", ".join(_code(d.example_id)
                                                          for d in r.regressions[:5])]
    lines += sme_markdown(r, _md)
    lines += ["", f"{len(r.review)} answers sampled for SME review; "
              f"only in source: {len(r.only_in_source)}, only in target: {len(r.only_in_target)}."]
    lines += [f"> {_md(w)}" for w in r.warnings]
    lines += [f"\n{section.rstrip()}" for section in extra_sections]
    return "\n".join(lines) + "\n"


def _error_line(label: str, e: ErrorRateSide) -> str:
    if e.rate is None:
        return f"| {label} | not measured | | | | |"
    top = "; ".join(f"{count} × {_md(message)}" for message, count in e.errors.items())
    return (f"| {label} | {e.calls} | {e.failed} | {e.missing} | {100 * e.rate:.2f}% "
            f"[{100 * (e.ci_low or 0):.2f}%, {100 * (e.ci_high or 0):.2f}%] | {top or '-'} |")


def _human_lines(metrics: list[MetricComparison]) -> list[str]:
    rows = []
    for m in metrics:
        h = m.human
        if h is None:
            continue
        human = ("not measured" if h.diff is None else
                 f"{100 * h.diff:+.2f} points [{100 * (h.ci_low or 0):+.2f}, "
                 f"{100 * (h.ci_high or 0):+.2f}] (n={h.n})")
        grader = "not measured" if h.grader_diff is None else f"{100 * h.grader_diff:+.2f} points"
        agree = ", ".join(f"{side} {100 * a.agreement:.1f}%" for side, a in
                          (("source", h.source_agreement), ("target", h.target_agreement))
                          if a is not None and a.agreement is not None) or "not measured"
        rows.append(f"| {_md(m.metric)} | {human} | {grader} | {agree} |")
    if not rows:
        return []
    return ["", "| metric | human difference [95% CI] | grader's difference | grader agrees "
                "with humans |", "|---|---|---|---|", *rows]


def write_markdown(result: Comparison, path: str | Path, *,
                   extra_sections: Sequence[str] = ()) -> Path:
    """Write the Markdown summary of ``result`` to ``path`` (``extra_sections``: see
    :func:`render_markdown`).

    Raises:
        UsageError: the file cannot be written.
    """
    path = Path(path)
    try:
        atomic_write(path, render_markdown(result, extra_sections=extra_sections))
    except OSError as exc:
        raise UsageError(f"cannot write the Markdown report to {path}: "
                         f"{describe_os_error(exc)}. "
                         f"Pass --markdown with a writable path.") from exc
    return path
