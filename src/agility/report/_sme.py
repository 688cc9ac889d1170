"""The SME section of the reports: coverage, open flags, judge-human agreement, reviewers.

Everything a person or a model wrote (queue names, reviewer names, metric names) is escaped
here as in the rest of the report.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from agility.compare import Comparison, SmeSummary

__all__ = ["sme_html", "sme_markdown"]


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _pct(value: float | None) -> str:
    return "not measured" if value is None else f"{100 * value:.1f}%"


def _interval(low: float | None, high: float | None, *, pct: bool) -> str:
    if low is None or high is None:
        return ""
    return f" ({100 * low:.1f}–{100 * high:.1f}%)" if pct else f" ({low:.2f} to {high:.2f})"


def _kappa(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _headline(s: SmeSummary) -> str:
    alpha = ("not measured" if s.inter_reviewer_alpha is None
             else f"{s.inter_reviewer_alpha:.2f}")
    flags = ", ".join(f"{n} {k}" for k, n in sorted(s.unresolved_flags.items())) or "none"
    return (f"queues {', '.join(s.queues)}: {s.settled} of {s.items} items settled "
            f"(coverage {_pct(s.coverage)}); {len(s.disagreements)} await a lead; "
            f"open flags: {flags}; reviewers: {', '.join(s.reviewers) or 'none yet'}; "
            f"inter-reviewer Krippendorff's alpha {alpha} over {s.inter_reviewer_items} items")


def sme_html(result: Comparison) -> str:
    """The HTML SME section (empty when the runs have no review queue)."""
    s = result.sme
    if s is None:
        return ""
    verdicts = ", ".join(f"{n} {v}" for v, n in sorted(s.verdicts.items())) or "none yet"
    rows = "".join(
        f'<tr><td class="l">{_e(a.metric)}</td><td class="l">{_e(a.side)}</td><td>{a.n}</td>'
        f'<td class="l">{_e(a.labels)}</td>'
        f"<td>{_e(_pct(a.agreement) + _interval(a.agreement_low, a.agreement_high, pct=True))}"
        f"</td><td>{_e(_kappa(a.kappa) + _interval(a.kappa_low, a.kappa_high, pct=False))}"
        f"</td></tr>" for a in s.agreement)
    table = (f'<table><tr><th class="l">metric</th><th class="l">side</th><th>n</th>'
             f'<th class="l">labels</th><th>agreement (95% CI)</th><th>Cohen\'s kappa '
             f"(95% CI)</th></tr>{rows}</table>" if rows
             else '<p class="na">no settled SME verdict yet</p>')
    return (f'<section id="sme"><h2>SME review</h2><p>{_e(_headline(s))}</p>'
            f"<p>Settled target verdicts: {_e(verdicts)}</p>{table}</section>")


def sme_markdown(result: Comparison, md: Callable[[object], str]) -> list[str]:
    """The Markdown SME lines (none when the runs have no review queue).

    Args:
        result: the comparison.
        md: the Markdown report's escaper (names show literally, also inside tables).
    """
    s = result.sme
    if s is None:
        return []
    lines = ["", "## SME review", "", md(_headline(s))]
    if s.agreement:
        lines += ["", "| metric | side | n | agreement (95% CI) | Cohen's kappa (95% CI) |",
                  "|---|---|---:|---:|---:|"]
        lines += [f"| {md(a.metric)} | {a.side} | {a.n} | "
                  f"{_pct(a.agreement)}{_interval(a.agreement_low, a.agreement_high, pct=True)} | "
                  f"{_kappa(a.kappa)}{_interval(a.kappa_low, a.kappa_high, pct=False)} |"
                  for a in s.agreement]
    return lines
