"""The cost parts of the reports: the breakdown all in, the ROI, its sensitivity, the tokens,
and the recommendation, in HTML and Markdown.

Names of cost items come from a plan (possibly from a pull request): they are escaped like
everything else. Money reads through :func:`agility.compare.format_usd`; a figure that was not
measured reads "not measured", never $0.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from html import escape

from agility.compare import (
    Comparison,
    CostLine,
    RoiAnalysis,
    SideCosts,
    TokenTotals,
    format_share,
    format_usd,
)
from agility.report._text import days_text, payback_text

__all__ = ["cost_model_html", "cost_model_markdown", "recommendation_html",
           "recommendation_markdown"]

#: what each kind of line is charged by (the breakdown's "charged by" column)
_KIND = {"tokens": "tokens", "pipeline_extras": "query", "per_query": "query",
         "per_span": "span", "per_hour": "hour", "per_month": "month", "one_off": "once"}


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], left: int = 1,
           text: Sequence[int] = ()) -> str:
    """A table; the first ``left`` columns and the ``text`` columns align left."""
    def cls(i: int) -> str:
        return "l" if i < left or i in text else ""

    head = "".join(f'<th class="{cls(i)}">{_e(h)}</th>' for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td class="{cls(i)}">{c}</td>' for i, c in enumerate(r))
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _usd(value: float | None, *, signed: bool = False) -> str:
    return format_usd(value, signed=signed)


def _interval(pair: tuple[float, float] | None, *, signed: bool = False) -> str:
    if pair is None:
        return ""
    return f" [{_usd(pair[0], signed=signed)}, {_usd(pair[1], signed=signed)}]"


def _confidence(roi: RoiAnalysis) -> str:
    return f"{100 * roi.confidence:g}%"


def _line_cells(side: str, line: CostLine, esc: Callable[[object], str]) -> list[str]:
    def cell(value: float | None, applies: bool) -> str:
        if not applies:
            return ""
        return esc(_usd(value)) if line.measured else esc("not measured")

    per_query = line.kind in ("tokens", "pipeline_extras", "per_query", "per_span", "per_hour")
    return [esc(side), esc(line.name), esc(_KIND[line.kind]),
            cell(line.per_query_usd, per_query),
            cell(line.monthly_usd, per_query or line.kind == "per_month"),
            cell(line.one_off_usd, line.kind == "one_off"), esc(line.basis)]


def _total_cells(side: str, costs: SideCosts, esc: Callable[[object], str],
                 bold: Callable[[str], str]) -> list[str]:
    per_query = _usd(costs.per_query_usd) + _interval(costs.per_query_interval)
    monthly = _usd(costs.monthly_usd) + _interval(costs.monthly_interval)
    return [bold(esc(side)), bold(esc("all in")), "", bold(esc(per_query)), bold(esc(monthly)),
            bold(esc(_usd(costs.one_off_usd))), ""]


def _breakdown_rows(roi: RoiAnalysis, esc: Callable[[object], str],
                    bold: Callable[[str], str]) -> list[list[str]]:
    rows = []
    for side, costs in (("source", roi.source), ("target", roi.target)):
        rows += [_line_cells(side, line, esc) for line in costs.lines]
        rows.append(_total_cells(side, costs, esc, bold))
    return rows


_BREAKDOWN_HEAD = ["side", "item", "charged by", "per query", "per month", "one-off", "how"]


def _throughput(costs: SideCosts) -> str | None:
    t = costs.throughput
    if t is None:
        return None
    low = "" if t.per_hour_low is None else (f" (interval {t.per_hour_low:,.0f} to "
                                             f"{t.per_hour_high or 0:,.0f})")
    return (f"{t.per_hour:,.0f} queries per hour{low}: {t.parallel_calls} call"
            f"{'s' if t.parallel_calls > 1 else ''} in flight / {t.mean_call_s:.3g} s mean "
            f"latency over {t.n} calls")


def _drift_note(roi: RoiAnalysis) -> str | None:
    """What the per-hour items' share rests on: the throughputs' interval and how the runs
    were timed (None without a per-hour item)."""
    if not roi.throughput_sides:
        return None
    text = f"The {' and '.join(roi.throughput_sides)}'s per-hour items rest on the measured " \
           f"throughput"
    if roi.diff_per_query_pct_interval is not None:
        low, high = roi.diff_per_query_pct_interval
        text += (f": the target's cost per query all in differs from the source's by "
                 f"{low:+.1f}% to {high:+.1f}% ({_confidence(roi)} interval from the "
                 f"throughputs)")
    if roi.timing is None:
        return text + ". How the runs were timed is not known: the cost criterion does not " \
                      "decide on the per-hour items."
    text += f". Source and target were {roi.timing.text}"
    if not roi.timing.interleaved:
        text += ("; load drift between the two windows may explain a difference, so the cost "
                 "criterion does not decide on the per-hour items")
    return text + "."


def _roi_facts(roi: RoiAnalysis, cost_payback: str) -> list[tuple[str, str]]:
    """The ROI's figures as (label, text) rows."""
    conf = _confidence(roi)
    rows = [("one-off (target minus source)", _usd(roi.one_off_usd))]
    if roi.traffic_per_month is None:
        rows.append(("monthly figures", "not computed: no monthly traffic given"))
        return rows
    horizon = f"{roi.horizon_days:g} days"
    rows += [
        ("traffic", f"{roi.traffic_per_month:,} queries/month"),
        ("monthly total, source", _usd(roi.source.monthly_usd)
         + _interval(roi.source.monthly_interval)),
        ("monthly total, target", _usd(roi.target.monthly_usd)
         + _interval(roi.target.monthly_interval)),
        (f"monthly savings [{conf} interval]", _usd(roi.monthly_savings_usd, signed=True)
         + _interval(roi.monthly_savings_interval, signed=True)),
        (f"payback [{conf} interval]", cost_payback),
        (f"net after {horizon} [{conf} interval]", _usd(roi.net_at_horizon_usd, signed=True)
         + _interval(roi.net_at_horizon_interval, signed=True)),
        ("break-even traffic", roi.break_even or "not computed"),
        (f"traffic for neutral or positive within {horizon}",
         roi.traffic_for_horizon or "not computed"),
    ]
    return rows


def _sensitivity_rows(roi: RoiAnalysis, mark: Callable[[bool, str], str]) -> list[list[str]]:
    rows: dict[float, list[str]] = {}
    for cell in roi.sensitivity:
        row = rows.setdefault(cell.traffic_factor, [
            f"x{cell.traffic_factor:g} ({cell.traffic_per_month:,.0f}/month)"])
        net = f"net {_usd(cell.net_at_horizon_usd, signed=True)}"
        text = net if roi.payback_status == "not_requested" \
            else f"{days_text(cell.payback_days)}; {net}"
        row.append(mark(cell.within_horizon, text))
    return list(rows.values())


def _token_cells(label: str, t: TokenTotals | None) -> list[str]:
    if t is None or t.calls == 0:
        return [label, "0", *(["not measured"] * 6)]

    def num(value: float | None, reported: int) -> str:
        if value is None:
            return "not reported"
        return f"{value:,.1f}" + (f" ({reported} of {t.calls} calls)"
                                  if reported and reported < t.calls else "")

    share = ("not reported" if t.cached_input_share is None
             else format_share(t.cached_input_share)
             + (f" ({t.cache_reads_reported} of {t.calls} calls)"
                if t.cache_reads_reported < t.calls else ""))
    return [label, str(t.calls), num(t.input_tokens_mean, t.calls),
            num(t.output_tokens_mean, t.calls), share,
            num(t.cache_write_tokens_mean, t.cache_writes_reported),
            num(t.reasoning_tokens_mean, t.reasoning_reported), str(t.estimated)]


_TOKENS_HEAD = ["model", "calls", "input/query", "output/query", "input read from cache",
                "cache writes/query", "reasoning/query", "estimated"]


def cost_model_html(c: Comparison, labels: tuple[str, str]) -> str:
    """The breakdown all in, throughput, ROI, sensitivity and tokens (HTML; '' without them)."""
    roi = c.cost.roi
    if roi is None:
        return ""
    out = ['<section id="cost-model"><h2>Cost all in, and the return on the migration</h2>',
           '<h3 id="cost-breakdown">Cost of a query all in, per month and once</h3>',
           '<p class="meta">Per query: what the calls cost as measured (tokens at their '
           'prices, the pipeline\'s own extras), the plan\'s per-query items, and per-hour '
           'items over the queries an endpoint serves in an hour at the run\'s concurrency. '
           f'Per month: that times the traffic, plus the monthly items. Intervals are '
           f'{_confidence(roi)} bootstrap intervals of the mean cost per query.</p>',
           _table(_BREAKDOWN_HEAD, _breakdown_rows(roi, _e, lambda t: f"<b>{t}</b>"), left=3,
                  text=[len(_BREAKDOWN_HEAD) - 1])]
    throughput = [(f"the {side} ({run})", _throughput(costs)) for side, run, costs in
                  (("source", c.source_run, roi.source), ("target", c.target_run, roi.target))]
    if any(text for _, text in throughput):
        out.append("<p>Throughput, measured (Little's law): " + "; ".join(
            f"{_e(label)}: {_e(text)}" for label, text in throughput if text) + ".</p>")
    drift = _drift_note(roi)
    if drift:
        out.append(f'<p id="timing">{_e(drift)}</p>')
    out.append('<h3 id="roi">Return on the migration</h3>')
    out.append(_table(["", "figure"], [[_e(k), _e(v)] for k, v in
                                       _roi_facts(roi, payback_text(c.cost))], left=2))
    if roi.sensitivity:
        horizon = f"{roi.horizon_days:g} days"
        out.append(f'<h3 id="sensitivity">Sensitivity</h3><p class="meta">Payback and the net '
                   f'after {_e(horizon)} at other traffic and with the target model\'s '
                   f'prices (tokens, endpoint hours) 20% lower or higher (everything else '
                   f'as measured); '
                   f'&#10003; neutral or positive within {_e(horizon)}.</p>')

        def mark(ok: bool, text: str) -> str:
            return (f'<span class="{"s-pass" if ok else "s-fail"}">'
                    f'{"&#10003;" if ok else "&#10007;"}</span> {_e(text)}')

        out.append(_table(["traffic", "target prices -20%", "as measured",
                           "target prices +20%"], _sensitivity_rows(roi, mark)))
    out.append('<h3 id="tokens">Tokens per call, as the providers reported them</h3>')
    out.append(_table(_TOKENS_HEAD, [[_e(x) for x in _token_cells(label, costs.tokens)]
                                     for label, costs in ((labels[0], roi.source),
                                                          (labels[1], roi.target))]))
    return "".join(out) + "</section>"


def recommendation_html(c: Comparison) -> str:
    """The recommendation block ('' when there is none)."""
    advice = c.recommendation
    if advice is None:
        return ""
    reasons = "".join(f"<li>{_e(r)}</li>" for r in advice.reasons)
    return (f'<section id="recommendation"><h2>Recommendation</h2><p class="advice">'
            f'{_e(advice.advice.capitalize())}.</p><ul>{reasons}</ul></section>')


_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def _md(text: object) -> str:
    return _SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def cost_model_markdown(c: Comparison) -> list[str]:
    """The breakdown all in, ROI and sensitivity as Markdown lines (none without them)."""
    roi = c.cost.roi
    if roi is None:
        return []
    lines = ["", "Cost all in (per query: measured calls, the plan's per-query and per-hour "
                 "items; per month: times the traffic, plus the monthly items):", "",
             _md_row(_BREAKDOWN_HEAD), "|" + "---|" * len(_BREAKDOWN_HEAD)]
    lines += [_md_row(row) for row in _breakdown_rows(roi, _md, lambda t: f"**{t}**")]
    for label, costs in (("source", roi.source), ("target", roi.target)):
        text = _throughput(costs)
        if text:
            lines += ["", f"Throughput of the {label}, measured (Little's law): {_md(text)}."]
    drift = _drift_note(roi)
    if drift:
        lines += ["", _md(drift)]
    lines += ["", "| ROI | |", "|---|---|"]
    lines += [_md_row([_md(k), _md(v)]) for k, v in _roi_facts(roi, payback_text(c.cost))]
    if roi.sensitivity:
        lines += ["", f"Sensitivity (✓ neutral or positive within {roi.horizon_days:g} days):",
                  "", "| traffic | target prices -20% | as measured | target prices +20% |",
                  "|---|---|---|---|"]
        lines += [_md_row(row) for row in _sensitivity_rows(
            roi, lambda ok, text: ("✓ " if ok else "✗ ") + _md(text))]
    lines += ["", _md_row(_TOKENS_HEAD), "|" + "---|" * len(_TOKENS_HEAD)]
    lines += [_md_row([_md(x) for x in _token_cells(label, costs.tokens)])
              for label, costs in (("source", roi.source), ("target", roi.target))]
    return lines


def recommendation_markdown(c: Comparison) -> list[str]:
    """The recommendation as Markdown lines (none when there is none)."""
    advice = c.recommendation
    if advice is None:
        return []
    return ["", f"> **Recommendation: {_md(advice.advice)}.**",
            *(f"> - {_md(reason)}" for reason in advice.reasons)]
