"""The reports' tail latency by call: end-to-end latency, each span's percentiles on both sides
with the difference, its share of end-to-end time and of the slowest queries, its cost per
query, and which call drives the tail on each side.

Span names come from the system's code (or a plan): they are escaped like everything else.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from agility.compare import Comparison, LatencySide, SpanLatency, format_share, format_usd

__all__ = ["spans_html", "spans_markdown", "tail_sentence"]

_PCTS = ("p50", "p95", "p99")


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _side_ms(side: LatencySide, who: str) -> str:
    p = getattr(side, who)
    if p is None:
        return "not measured"
    return " / ".join(f"{getattr(p, k):.0f}" for k in _PCTS)


def _diff_ms(side: LatencySide) -> str:
    if side.diff_ms is None:
        return "not measured"
    parts = []
    for k in _PCTS:
        pct = (side.diff_pct or {}).get(k)
        parts.append(f"{side.diff_ms[k]:+.0f}" + ("" if pct is None else f" ({pct:+.0f}%)"))
    return " / ".join(parts)


def _share(value: float | None) -> str:
    return "not measured" if value is None else format_share(value)


def _usd(value: float | None) -> str:
    return "not measured" if value is None else format_usd(value)


def tail_sentence(c: Comparison) -> str | None:
    """Which call drives the slowest queries on each side, in a sentence (None: no spans)."""
    drivers = c.latency.tail_driver
    if not c.latency.spans or not drivers:
        return None
    tails = c.latency.tail_examples

    def said(who: str) -> str:
        name = drivers.get(who)
        if name is None:
            return f"not measured on the {who}"
        span = next((s for s in c.latency.spans if s.name == name), None)
        share = None if span is None else span.tail_share.get(who)
        part = "" if share is None else f", {format_share(share)} of their time"
        return f"'{name}' on the {who} ({tails.get(who, 0)} slowest queries{part})"

    text = f"The tail (queries at or above each side's end-to-end p95) is driven by " \
           f"{said('source')} and by {said('target')}"
    source, target = drivers.get("source"), drivers.get("target")
    if source is not None and target is not None and source != target:
        text += f": the target moved the tail from '{source}' to '{target}'"
    return text + "."


def _rows(span: SpanLatency) -> list[tuple[str, ...]]:
    side = span.latency
    rows: list[tuple[str, ...]] = []
    for who in ("source", "target"):
        calls = span.calls.get(who, 0)
        errors = span.errors.get(who, 0)
        rows.append((f"{span.name}", span.kind, who, f"{calls}" + (f" ({errors} failed)"
                                                                    if errors else ""),
                     _side_ms(side, who), _share(span.share.get(who)),
                     _share(span.tail_share.get(who)), _usd(span.cost_per_query_usd.get(who))))
    rows.append((span.name, "", "difference", "", _diff_ms(side), "", "", ""))
    return rows


_HEAD = ("span", "kind", "side", "calls", "p50 / p95 / p99 ms", "share of end-to-end",
         "share of the slowest queries", "cost per query")


def spans_html(c: Comparison) -> str:
    """The HTML section (empty when neither run recorded spans)."""
    if not c.latency.spans:
        return ""
    head = "".join(f'<th class="{"l" if i < 3 else ""}">{_e(h)}</th>'
                   for i, h in enumerate(_HEAD))
    body = []
    drivers = c.latency.tail_driver
    for span in c.latency.spans:
        for row in _rows(span):
            who = row[2]
            mark = " &#9650; drives the tail" if who in drivers and drivers[who] == span.name \
                else ""
            cells = [_e(v) for v in row]
            cells[2] += mark
            body.append("<tr>" + "".join(f'<td class="{"l" if i < 3 else ""}">{v}</td>'
                                         for i, v in enumerate(cells)) + "</tr>")
    e2e = ""
    if c.latency.end_to_end is not None:
        side = c.latency.end_to_end
        e2e = (f'<p>End-to-end p50 / p95 / p99 (ms): source {_e(_side_ms(side, "source"))}, '
               f'target {_e(_side_ms(side, "target"))}; difference {_e(_diff_ms(side))}.</p>')
    sentence = tail_sentence(c)
    return ('<section id="spans"><h2>Latency by call</h2><p class="meta">Each step and model '
            'call of a query (a span), answered and not cached queries only. Percentiles are '
            'over calls; shares are of the queries\' end-to-end time (nested spans overlap); '
            'the slowest queries are those at or above their side\'s end-to-end p95.</p>'
            + e2e + (f"<p><b>{_e(sentence)}</b></p>" if sentence else "")
            + f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            + "</section>")


def spans_markdown(c: Comparison, md: Callable[[object], str]) -> list[str]:
    """The Markdown lines (none when neither run recorded spans); ``md`` escapes text."""
    if not c.latency.spans:
        return []
    lines = ["", "Latency by call (p50 / p95 / p99 ms; share of end-to-end time):", ""]
    if c.latency.end_to_end is not None:
        side = c.latency.end_to_end
        lines += [f"End-to-end: source {_side_ms(side, 'source')}, target "
                  f"{_side_ms(side, 'target')}; difference {_diff_ms(side)}.", ""]
    sentence = tail_sentence(c)
    if sentence:
        lines += [f"**{md(sentence)}**", ""]
    lines += ["| span | source | target | difference | share (source / target) | "
              "cost per query (source / target) |", "|---|---|---|---|---|---|"]
    for span in c.latency.spans:
        side = span.latency
        lines.append(
            f"| {md(span.name)} ({md(span.kind)}) | {_side_ms(side, 'source')} | "
            f"{_side_ms(side, 'target')} | {_diff_ms(side)} | "
            f"{_share(span.share.get('source'))} / {_share(span.share.get('target'))} | "
            f"{_usd(span.cost_per_query_usd.get('source'))} / "
            f"{_usd(span.cost_per_query_usd.get('target'))} |")
    return lines
