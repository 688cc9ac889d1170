"""The HTML report: one self-contained file that opens offline.

Verdict first (and the recommendation, when the move is not worth it now), then quality,
speed and cost side by side (the cost all in, the ROI and its sensitivity), inline SVG plots, and the largest
regressions and improvements with both answers and the ground truth. Model answers and dataset
text are untrusted: every piece goes through :func:`html.escape`, and a strict
Content-Security-Policy forbids scripts and any network fetch even if something slipped through.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

from agility._files import atomic_write, describe_os_error
from agility.compare import (
    Comparison,
    ErrorRateSide,
    ExampleDiff,
    HumanComparison,
    LatencySide,
    MetricComparison,
    MetricStats,
    format_share,
    format_usd,
)
from agility.errors import UsageError
from agility.report._cost import cost_model_html, recommendation_html
from agility.report._governance import ChecklistItem, governance_html
from agility.report._plots import diff_bars_svg, histogram_svg, pair_bars_svg
from agility.report._sme import sme_html
from agility.report._spans import spans_html
from agility.report._text import gate_scope, payback_text

__all__ = ["CSP", "render_html", "write_html"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

#: the house style both self-contained pages share (this report, the port report)
BASE_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;
max-width:1180px;color:#222;line-height:1.4;padding:0 16px}
h1{font-size:22px;margin-bottom:4px}
h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right;vertical-align:top}
th{background:#f4f4f4}td.l,th.l{text-align:left}
"""

_STYLE = BASE_STYLE + """
.verdict{display:inline-block;font-size:28px;font-weight:bold;padding:6px 18px;border-radius:6px;
color:#fff}.PASS{background:#2ca02c}.FAIL{background:#d62728}.INCOMPLETE{background:#b8860b}
.s-pass{color:#2ca02c;font-weight:bold}.s-fail{color:#d62728;font-weight:bold}
.s-inconclusive,.s-not_evaluated{color:#b8860b;font-weight:bold}
.meta{color:#555;font-size:13px}.plots{display:flex;flex-wrap:wrap;gap:16px}
.plot{border:1px solid #eee;background:#fff}
.ex{border:1px solid #ddd;border-radius:6px;margin:12px 0;padding:8px 12px}
.cols{display:grid;grid-template-columns:1fr 1fr 1fr;gap:10px}
.cols pre,.q{white-space:pre-wrap;word-break:break-word;background:#f8f8f8;padding:6px;
margin:4px 0;font-size:12px;max-height:260px;overflow:auto}
.na{color:#888;font-style:italic}
.advice{font-size:20px;font-weight:bold;color:#b8860b;margin:6px 0}
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _num(value: float | None, fmt: str = "{:.4f}") -> str:
    return '<span class="na">not measured</span>' if value is None else fmt.format(value)


def _pct(value: float | None) -> str:
    return '<span class="na">n/a</span>' if value is None else f"{100 * value:+.2f}%"


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], left: int = 1) -> str:
    head = "".join(f'<th class="{"l" if i < left else ""}">{_e(h)}</th>'
                   for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td class="{"l" if i < left else ""}">{c}</td>'
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _why(r: object) -> str:
    reason, advice = getattr(r, "reason", None), getattr(r, "advice", None)
    parts = []
    if reason:
        parts.append(f"<b>why:</b> {_e(reason)}")
    if advice:
        parts.append(f"<b>what to do:</b> {_e(advice)}")
    return "<br>".join(parts)


def _verdict(c: Comparison) -> str:
    rows = [(f'{_e(r.name)}', f'<span class="s-{_e(r.status)}">{_e(r.status)}</span>',
             _e(r.evidence), _why(r)) for r in c.criteria_results]
    return (f'<section id="verdict"><h2>Verdict</h2><div class="verdict {_e(c.verdict)}">'
            f'{_e(c.verdict)}</div><p class="meta">{_e(gate_scope(c))}</p>'
            + _table(["criterion", "status", "evidence", "why, and what to do"], rows, left=4)
            + "</section>")


def _error_side(label: str, e: ErrorRateSide) -> list[str]:
    if e.rate is None:
        return [_e(label), '<span class="na">not measured</span>', "", "", "", ""]
    errors = "<br>".join(f"{count} &times; {_e(message)}" for message, count in e.errors.items())
    return [_e(label), str(e.calls), str(e.failed), str(e.missing),
            f"{100 * e.rate:.2f}% [{100 * (e.ci_low or 0):.2f}%, {100 * (e.ci_high or 0):.2f}%]",
            errors or "-"]


def _calls(c: Comparison, labels: tuple[str, str]) -> str:
    e = c.errors
    how = ("each counts as a failure (0) of every quality metric on that side "
           "(<code>failed_calls: count_as_fail</code>)" if c.failed_calls == "count_as_fail"
           else "they are left out of the quality pairs and counted "
                "(<code>failed_calls: exclude</code>)")
    rows = [_error_side(labels[0], e.source), _error_side(labels[1], e.target)]
    diff = ""
    if e.diff is not None and e.ci_low is not None and e.ci_high is not None:
        diff = (f"<p>Difference (target &minus; source): {100 * e.diff:+.2f} points, 95% "
                f"interval {100 * e.ci_low:+.2f} to {100 * e.ci_high:+.2f} (Newcombe, "
                f"independent proportions).</p>")
    return ('<section id="errors"><h2>Error rate: calls without an answer</h2>'
            f'<p class="meta">A failed call, or an example a run has no result for, is a call '
            f'without an answer: {how}. Intervals are Wilson 95%.</p>'
            + _table(["model", "calls", "failed", "no result", "error rate [95% CI]",
                      "most common errors"], rows, left=1)
            + diff + "</section>")


def _rel_interval(low: float | None, high: float | None) -> str:
    if low is None:
        return ""
    return f"[{_pct(low)}, {_pct(high) if high is not None and high != float('inf') else '∞'}]"


def _stats_row(label: str, s: MetricStats) -> list[str]:
    ci = "" if s.ci_low is None else f"[{s.ci_low:+.4f}, {s.ci_high:+.4f}]"
    rel_ci = _rel_interval(s.rel_ci_low, s.rel_ci_high)
    if s.rel_score_ci_low is not None:
        rel_ci += f"<br>score: {_rel_interval(s.rel_score_ci_low, s.rel_score_ci_high)}"
    test = "" if s.p_value is None else f"{_e(s.test)} p={s.p_value:.3g}"
    ni = {True: "yes", False: "no", None: "n/a"}[s.non_inferior]
    diff = "" if s.diff is None else f"{s.diff:+.4f}"
    return [_e(label), str(s.n), _num(s.source_mean), _num(s.target_mean), diff, _pct(s.rel_diff),
            ci, rel_ci, test, ni]


_STATS_HEAD = ["subset", "n", "source", "target", "diff", "relative", "95% CI (diff)",
               "95% CI (relative, ratio)", "paired test", "non-inferior"]


def _human(h: HumanComparison) -> str:
    def agree(a: object) -> str:
        if a is None:
            return '<span class="na">not measured</span>'
        kappa = getattr(a, "kappa", None)
        return (f"{100 * getattr(a, 'agreement', 0):.1f}% of {getattr(a, 'n', 0)}"
                + ("" if kappa is None else f", kappa {kappa:.2f}"))

    if h.n == 0 or h.diff is None:
        diff = '<span class="na">not measured (no example labelled on both sides)</span>'
        grader = ""
    else:
        diff = (f"{100 * h.diff:+.2f} points ({100 * (h.source_rate or 0):.1f}% &rarr; "
                f"{100 * (h.target_rate or 0):.1f}%), 95% CI {100 * (h.ci_low or 0):+.2f} to "
                f"{100 * (h.ci_high or 0):+.2f} (Newcombe), n={h.n}")
        grader = ('<span class="na">not measured</span>' if h.grader_diff is None else
                  f"{100 * h.grader_diff:+.2f} points on {h.grader_n} of them")
    rows = [["human difference", diff], ["grader's difference, same examples", grader or "-"],
            ["grader agrees with humans: source", agree(h.source_agreement)],
            ["grader agrees with humans: target", agree(h.target_agreement)]]
    return (f'<p class="meta">Human labels ({_e(h.labels)}) beside the grader: how far to trust '
            f"its difference.</p>" + _table(["", "human labels"], rows, left=2))


def _metric(m: MetricComparison, labels: tuple[str, str], failed_calls: str) -> str:
    rows = [_stats_row("all", m.overall)]
    if m.holdout is not None:
        rows.append(_stats_row("holdout", m.holdout))
    rows += [_stats_row(f"stratum: {name}", s) for name, s in m.by_stratum.items()]
    rows += [_stats_row(f"tag: {name}", s) for name, s in m.by_tag.items()]
    out = f"<h3>{_e(m.metric)} <small class=\"meta\">({_e(m.kind)})</small></h3>"
    out += _table(_STATS_HEAD, rows)
    if m.source_no_answer or m.target_no_answer:
        out += (f'<p class="meta">Examples without an answer (failed call or no result): source '
                f'{m.source_no_answer}, target {m.target_no_answer}; '
                + ("counted as failures (0)." if failed_calls == "count_as_fail"
                   else "left out (failed_calls: exclude).") + "</p>")
    if m.source_unscored or m.target_unscored:
        out += (f'<p class="meta">Answers the metric could not score (left out, not counted as '
                f'0): source {m.source_unscored}, target {m.target_unscored}.</p>')
    if m.human is not None:
        out += _human(m.human)
    plots = []
    if m.histogram is not None:
        names = ["fail", "pass"] if m.kind == "pass_fail" else None
        plots.append(histogram_svg(m.histogram, f"{m.metric}: score distribution", "score",
                                   labels, bin_names=names))
    if m.by_stratum:
        items = [(name, s.diff, s.ci_low, s.ci_high) for name, s in m.by_stratum.items()
                 if s.diff is not None]
        if items:
            plots.append(diff_bars_svg(items, f"{m.metric}: target - source by stratum"))
    return out + f'<div class="plots">{"".join(plots)}</div>'


def _latency_rows(name: str, side: LatencySide) -> list[list[str]]:
    rows = []
    for label, p in (("source", side.source), ("target", side.target)):
        if p is None:
            rows.append([f"{_e(name)} {label}", '<span class="na">not measured</span>',
                         "", "", "", ""])
            continue
        cells = [f"{getattr(p, k):.0f} [{p.intervals[k][0]:.0f}, {p.intervals[k][1]:.0f}]"
                 for k in ("p50", "p90", "p95", "p99")]
        rows.append([f"{_e(name)} {label}", str(p.n), *cells])
    if side.diff_ms is not None and side.diff_pct is not None:
        cells = [f"{side.diff_ms[k]:+.0f} ms ("
                 + ("n/a" if side.diff_pct[k] is None else f"{side.diff_pct[k]:+.1f}%") + ")"
                 for k in ("p50", "p90", "p95", "p99")]
        rows.append([f"{_e(name)} difference", "", *cells])
    return rows


def _speed(c: Comparison, labels: tuple[str, str]) -> str:
    rows = _latency_rows("TTFT", c.latency.ttft) + _latency_rows("total", c.latency.total)
    out = ('<section id="speed"><h2>Speed</h2><p class="meta">Milliseconds, with 95% bootstrap '
           'intervals; cached and failed calls left out '
           f'(source {c.latency.total.excluded_source}, target {c.latency.total.excluded_target}).'
           '</p>'
           + (f'<p class="meta">Scheduling: {_e(c.scheduling)}.</p>' if c.scheduling else "")
           + _table(["measure", "n", "p50", "p90", "p95", "p99"], rows))
    plots = [histogram_svg(side.histogram, f"{name} distribution (ms)", "ms", labels)
             for name, side in (("TTFT", c.latency.ttft), ("total latency", c.latency.total))
             if side.histogram is not None]
    return out + f'<div class="plots">{"".join(plots)}</div></section>'


def _usd(value: float | None) -> str:
    return '<span class="na">not measured</span>' if value is None else _e(format_usd(value))


def _cost(c: Comparison, labels: tuple[str, str]) -> str:
    k = c.cost

    def share(value: float | None) -> str:
        return '<span class="na">not measured</span>' if value is None else format_share(value)

    def monthly(value: float | None) -> str:
        if k.traffic_per_month is None:
            return '<span class="na">no traffic given</span>'
        return _usd(value)

    rows = [[_e(label), _usd(s.mean_per_query_usd), _usd(s.per_1000_usd), monthly(s.monthly_usd),
             share(s.retrieval_share), f"{s.n}" + (f" ({s.unpriced} unpriced)" if s.unpriced
                                                   else "")]
            for label, s in ((labels[0], k.source), (labels[1], k.target))]
    out = ('<section id="cost"><h2>Cost</h2>'
           + _table(["model", "per query", "per 1,000", "per month", "retrieval share",
                     "priced calls"], rows))
    facts = []
    if k.diff_per_query_usd is not None:
        pct = "" if k.diff_pct is None else f" ({k.diff_pct:+.1f}%)"
        facts.append(f"Difference per query: {format_usd(k.diff_per_query_usd, signed=True)}"
                     f"{pct}.")
    else:
        facts.append("Difference per query: not measured.")
    if k.traffic_per_month is not None:
        facts.append(f"Traffic: {k.traffic_per_month:,} queries/month.")
    all_in = k.roi is not None and k.roi.has_items
    if k.monthly_savings_usd is not None:
        what = "Monthly savings on the calls alone (all in below)" if all_in \
            else "Monthly savings"
        facts.append(f"{what}: {format_usd(k.monthly_savings_usd, signed=True)}.")
    if k.migration_cost_usd is not None and not all_in:
        facts.append(f"Payback: {payback_text(k)}.")
    out += f'<p>{_e(" ".join(facts))}</p>'
    out += pair_bars_svg((k.source.mean_per_query_usd, k.target.mean_per_query_usd),
                         "cost per query", "USD", value_format=format_usd)
    return out + "</section>"


def _example(d: ExampleDiff) -> str:
    return (f'<div class="ex"><b>{_e(d.example_id)}</b> <span class="meta">stratum '
            f'{_e(d.stratum or "-")}, split {_e(d.split or "-")}: source {d.source_value:.2f} '
            f'&rarr; target {d.target_value:.2f} ({d.delta:+.2f})</span>'
            f'<div class="q">{_e(d.question or "")}</div><div class="cols">'
            f'<div><b>source answer</b><pre>{_e(d.source_output)}</pre></div>'
            f'<div><b>target answer</b><pre>{_e(d.target_output)}</pre></div>'
            f'<div><b>ground truth</b><pre>{_e(d.ground_truth)}</pre></div></div></div>')


def _examples(c: Comparison) -> str:
    parts = ['<section id="examples"><h2>Largest regressions</h2>']
    parts += [_example(d) for d in c.regressions] or ['<p class="na">none</p>']
    parts.append("<h2>Largest improvements</h2>")
    parts += [_example(d) for d in c.improvements] or ['<p class="na">none</p>']
    return "".join(parts) + "</section>"


def _footer(c: Comparison) -> str:
    review = _table(["example", "repeat", "why", "metric", "stratum"],
                    [[_e(r.example_id), str(r.repeat_index), _e(r.sampled_because), _e(r.metric),
                      _e(r.stratum or "-")] for r in c.review], left=5)
    notes = "".join(f"<li>{_e(w)}</li>" for w in c.warnings)
    only = (f"<p>Only in source ({len(c.only_in_source)}): {_e(', '.join(c.only_in_source[:50]))}"
            f"</p><p>Only in target ({len(c.only_in_target)}): "
            f"{_e(', '.join(c.only_in_target[:50]))}</p>")
    return (f'<section id="review"><h2>For SME review ({len(c.review)})</h2>{review}</section>'
            f'<section id="notes"><h2>Notes</h2>{only}<ul>{notes}</ul><p class="meta">seed '
            f'{c.seed}, {c.n_resamples:,} bootstrap resamples, dataset {_e(c.dataset_hash)}</p>'
            "</section>")


def render_html(result: Comparison, governance: list[ChecklistItem] | None = None, *,
                extra_sections: Sequence[str] = ()) -> str:
    """Render a comparison as one self-contained HTML page.

    Args:
        result: the comparison.
        governance: the governance checklist, shown as its own section (None: no section).
        extra_sections: ready, escaped HTML sections added before the notes (the migration
            pipeline adds the canary rollout's).

    Returns:
        The page's HTML text.
    """
    labels = (f"source: {result.source_run}", f"target: {result.target_run}")
    quality = "".join(_metric(m, labels, result.failed_calls) for m in result.metrics) or \
        '<p class="na">no metric was scored on both runs</p>'
    title = f"agility compare: {result.source_run} vs {result.target_run}"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer">'
        f'<meta name="viewport" content="width=device-width"><title>{_e(title)}</title>'
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1><p class=\"meta\">source run <b>{_e(result.source_run)}</b> "
        f"({_e(result.source_model)}) &rarr; target run <b>{_e(result.target_run)}</b> "
        f"({_e(result.target_model)})</p>"
        + _verdict(result) + recommendation_html(result)
        + f'<section id="quality"><h2>Quality</h2>{quality}</section>'
        + _calls(result, labels)
        + _speed(result, labels) + spans_html(result) + _cost(result, labels)
        + cost_model_html(result, labels)
        + _examples(result) + sme_html(result)
        + governance_html(governance)
        + "".join(extra_sections) + _footer(result)
        + "</body></html>"
    )


def write_html(result: Comparison, path: str | Path,
               governance: list[ChecklistItem] | None = None, *,
               extra_sections: Sequence[str] = ()) -> Path:
    """Write the HTML report of ``result`` to ``path``.

    Args:
        result: the comparison.
        path: the file to write (its folder is created).
        governance: the governance checklist (see :func:`render_html`).
        extra_sections: see :func:`render_html`.

    Returns:
        The path written.

    Raises:
        UsageError: the file cannot be written.
    """
    path = Path(path)
    try:
        atomic_write(path, render_html(result, governance, extra_sections=extra_sections))
    except OSError as exc:
        raise UsageError(f"cannot write the HTML report to {path}: {describe_os_error(exc)}. "
                         f"Pass --html with a writable path.") from exc
    return path
