"""The Markdown summary of a comparison, fit for a pull request.

Only figures, ids and names appear: no model answer is quoted, and every name (runs, metrics,
strata, criteria evidence) is escaped so it cannot inject HTML or break a table.
"""

from __future__ import annotations

import re
from pathlib import Path

from agility._files import atomic_write, describe_os_error
from agility.compare import Comparison, LatencySide
from agility.errors import UsageError

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


def _num(value: float | None, fmt: str = "{:.4f}") -> str:
    return "not measured" if value is None else fmt.format(value)


def _latency_line(name: str, side: LatencySide, pct: str = "p50") -> str:
    if side.source is None or side.target is None or side.diff_ms is None:
        return f"| {name} {pct} | not measured | not measured | |"
    diff_pct = (side.diff_pct or {}).get(pct)
    rel = "" if diff_pct is None else f" ({diff_pct:+.1f}%)"
    return (f"| {name} {pct} | {getattr(side.source, pct):.0f} ms | "
            f"{getattr(side.target, pct):.0f} ms | {side.diff_ms[pct]:+.0f} ms{rel} |")


def render_markdown(result: Comparison) -> str:
    """Render a short Markdown summary of a comparison.

    Args:
        result: the comparison.

    Returns:
        The Markdown text.
    """
    r = result
    lines = [f"## agility compare: **{r.verdict}**", "",
             f"{_code(r.source_run)} ({_code(r.source_model)}) → {_code(r.target_run)} "
             f"({_code(r.target_model)}); {r.n_paired} paired examples, gate on "
             f"{'the holdout split' if r.gate_split == 'holdout' else 'all paired examples'}.", "",
             "| criterion | status | evidence |", "|---|---|---|"]
    lines += [f"| {_md(c.name)} | {_ICON[c.status]} | {_md(c.evidence)} |"
              for c in r.criteria_results]
    lines += ["", "| metric | n | source | target | relative | 95% CI (relative) | p |",
              "|---|---|---|---|---|---|---|"]
    for m in r.metrics:
        s = m.holdout if r.gate_split == "holdout" and m.holdout is not None else m.overall
        p = "" if s.p_value is None else f"{s.p_value:.3g} ({s.test})"
        lines.append(f"| {_md(m.metric)} | {s.n} | {_num(s.source_mean)} | "
                     f"{_num(s.target_mean)} | {_pct(s.rel_diff)} | "
                     f"{_pct(s.rel_ci_low)} to {_pct(s.rel_ci_high)} | {p} |")
    lines += ["", "| speed | source | target | difference |", "|---|---|---|---|",
              _latency_line("TTFT", r.latency.ttft), _latency_line("total", r.latency.total),
              _latency_line("total", r.latency.total, "p95"), "",
              "| cost | source | target |", "|---|---|---|",
              f"| per query | {_num(r.cost.source.mean_per_query_usd, '${:.6f}')} | "
              f"{_num(r.cost.target.mean_per_query_usd, '${:.6f}')} |"]
    if r.cost.traffic_per_month is not None:
        lines.append(f"| per month ({r.cost.traffic_per_month:,} queries) | "
                     f"{_num(r.cost.source.monthly_usd, '${:,.2f}')} | "
                     f"{_num(r.cost.target.monthly_usd, '${:,.2f}')} |")
    if r.cost.migration_cost_usd is not None:
        payback = "never" if r.cost.payback_days is None else f"{r.cost.payback_days:.1f} days"
        lines += ["", f"Payback of the ${r.cost.migration_cost_usd:,.0f} migration: {payback}."]
    if r.regressions:
        lines += ["", "Largest regressions: " + ", ".join(_code(d.example_id)
                                                          for d in r.regressions[:5])]
    lines += ["", f"{len(r.review)} answers sampled for SME review; "
              f"only in source: {len(r.only_in_source)}, only in target: {len(r.only_in_target)}."]
    lines += [f"> {_md(w)}" for w in r.warnings]
    return "\n".join(lines) + "\n"


def write_markdown(result: Comparison, path: str | Path) -> Path:
    """Write the Markdown summary of ``result`` to ``path``.

    Raises:
        UsageError: the file cannot be written.
    """
    path = Path(path)
    try:
        atomic_write(path, render_markdown(result))
    except OSError as exc:
        raise UsageError(f"cannot write the Markdown report to {path}: "
                         f"{describe_os_error(exc)}. "
                         f"Pass --markdown with a writable path.") from exc
    return path
