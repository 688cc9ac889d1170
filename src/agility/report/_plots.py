"""Small inline SVG plots for the HTML report (no JavaScript, no external assets).

Every label that can come from data (a stratum's name) is escaped here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from agility.compare import Histogram

__all__ = ["SOURCE_COLOR", "TARGET_COLOR", "diff_bars_svg", "histogram_svg", "pair_bars_svg"]

SOURCE_COLOR = "#4c78a8"
TARGET_COLOR = "#f58518"
_W, _H, _PAD_L, _PAD_B, _PAD_T = 560, 236, 56, 40, 42


def _svg(width: int, height: int, body: str, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" class="plot">'
            f'<title>{escape(title)}</title>{body}</svg>')


def _legend(x: int, y: int, labels: Sequence[str]) -> str:
    out = ""
    for k, (label, color) in enumerate(zip(labels, (SOURCE_COLOR, TARGET_COLOR), strict=True)):
        out += (f'<rect x="{x + k * 250}" y="{y - 9}" width="10" height="10" fill="{color}"/>'
                f'<text x="{x + k * 250 + 14}" y="{y}" font-size="11">{escape(label[:38])}</text>')
    return out


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


def histogram_svg(hist: Histogram, title: str, x_label: str,
                  labels: tuple[str, str] = ("source", "target"),
                  bin_names: Sequence[str] | None = None) -> str:
    """Two overlaid distributions as grouped bars over shared bins.

    Args:
        hist: shared edges and the two sides' counts.
        title: the plot's title.
        x_label: the x axis' label.
        labels: the two series' names.
        bin_names: names of the bins (default: their lower edges).

    Returns:
        An ``<svg>`` element.
    """
    bins = len(hist.source)
    peak = max([*hist.source, *hist.target, 1])
    plot_w, plot_h = _W - _PAD_L - 10, _H - _PAD_B - _PAD_T
    slot = plot_w / max(bins, 1)
    body = f'<text x="{_PAD_L}" y="14" font-size="12" font-weight="bold">{escape(title)}</text>'
    body += _legend(_PAD_L, 30, labels)
    for i in range(bins):
        for k, counts in enumerate((hist.source, hist.target)):
            h = plot_h * counts[i] / peak
            x = _PAD_L + i * slot + k * slot * 0.45 + slot * 0.05
            color = SOURCE_COLOR if k == 0 else TARGET_COLOR
            body += (f'<rect x="{x:.1f}" y="{_PAD_T + plot_h - h:.1f}" width="{slot * 0.45:.1f}" '
                     f'height="{h:.1f}" fill="{color}"><title>{escape(labels[k])}: '
                     f'{counts[i]}</title></rect>')
    step = max(1, bins // 6)
    for i in range(0, bins + (0 if bin_names else 1), step):
        x = _PAD_L + i * slot + (slot / 2 if bin_names else 0)
        text = bin_names[i] if bin_names else _fmt(hist.edges[i])
        body += (f'<text x="{x:.1f}" y="{_H - _PAD_B + 14}" font-size="10" '
                 f'text-anchor="middle">{escape(text)}</text>')
    body += (f'<line x1="{_PAD_L}" y1="{_PAD_T + plot_h}" x2="{_W - 10}" y2="{_PAD_T + plot_h}" '
             f'stroke="#333"/><text x="{_PAD_L + plot_w / 2}" y="{_H - 6}" font-size="11" '
             f'text-anchor="middle">{escape(x_label)}</text>'
             f'<text x="12" y="{_PAD_T + plot_h / 2}" font-size="11" '
             f'transform="rotate(-90 12 {_PAD_T + plot_h / 2})" text-anchor="middle">count</text>'
             f'<text x="{_PAD_L - 4}" y="{_PAD_T + 8}" font-size="10" '
             f'text-anchor="end">{peak}</text>')
    return _svg(_W, _H, body, title)


def diff_bars_svg(items: Sequence[tuple[str, float, float | None, float | None]],
                  title: str) -> str:
    """Horizontal bars of differences (target - source) with their interval as a whisker.

    Args:
        items: ``(label, difference, low, high)`` per row.
        title: the plot's title.

    Returns:
        An ``<svg>`` element.
    """
    row_h, label_w = 22, 170
    height = _PAD_T + row_h * len(items) + 30
    values = [abs(v) for _, d, lo, hi in items for v in (d, lo, hi) if v is not None]
    span = max([*values, 1e-9])
    plot_w = _W - label_w - 20
    zero = label_w + plot_w / 2
    scale = (plot_w / 2) / span
    body = f'<text x="10" y="14" font-size="12" font-weight="bold">{escape(title)}</text>'
    body += (f'<line x1="{zero:.1f}" y1="{_PAD_T - 4}" x2="{zero:.1f}" '
             f'y2="{height - 24}" stroke="#333"/>')
    for k, (label, diff, low, high) in enumerate(items):
        y = _PAD_T + k * row_h
        x0, x1 = sorted((zero, zero + diff * scale))
        color = "#2ca02c" if diff >= 0 else "#d62728"
        short = label if len(label) <= 26 else label[:25] + "…"
        body += (f'<text x="{label_w - 6}" y="{y + 14}" font-size="11" text-anchor="end">'
                 f'{escape(short)}</text><rect x="{x0:.1f}" y="{y + 4}" '
                 f'width="{max(x1 - x0, 1):.1f}" '
                 f'height="{row_h - 8}" fill="{color}"><title>{escape(label)}: {diff:+.4f}</title>'
                 f'</rect>')
        if low is not None and high is not None:
            body += (f'<line x1="{zero + low * scale:.1f}" y1="{y + row_h / 2}" '
                     f'x2="{zero + high * scale:.1f}" y2="{y + row_h / 2}" stroke="#333" '
                     f'stroke-width="1.5"/>')
    body += (f'<text x="{zero:.1f}" y="{height - 8}" font-size="10" text-anchor="middle">0</text>'
             f'<text x="{label_w + plot_w:.1f}" y="{height - 8}" font-size="10" '
             f'text-anchor="end">+{span:.3g}</text><text x="{label_w}" y="{height - 8}" '
             f'font-size="10">-{span:.3g}</text>')
    return _svg(_W, int(height), body, title)


def pair_bars_svg(values: tuple[float | None, float | None], title: str, unit: str,
                  labels: tuple[str, str] = ("source", "target"),
                  value_format: Callable[[float], str] | None = None) -> str:
    """Two horizontal bars (source, target); a side that was not measured says so.

    Args:
        values: the two values.
        title: the plot's title.
        unit: the values' unit, shown after each number (unless ``value_format`` is given).
        labels: the two bars' names.
        value_format: how to write a value (``format_usd`` for money, as in the tables);
            default: 6 significant digits and the unit.

    Returns:
        An ``<svg>`` element.
    """
    height, label_w = 100, 120
    peak = max([v for v in values if v is not None] + [1e-12])
    plot_w = _W - label_w - 140
    body = f'<text x="10" y="14" font-size="12" font-weight="bold">{escape(title)}</text>'
    for k, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 28 + k * 32
        body += (f'<text x="{label_w - 6}" y="{y + 15}" font-size="11" text-anchor="end">'
                 f'{escape(label)}</text>')
        if value is None:
            body += f'<text x="{label_w}" y="{y + 15}" font-size="11">not measured</text>'
            continue
        w = plot_w * value / peak
        body += (f'<rect x="{label_w}" y="{y}" width="{max(w, 1):.1f}" height="22" '
                 f'fill="{SOURCE_COLOR if k == 0 else TARGET_COLOR}"/>'
                 f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" font-size="11">'
                 f'{escape(value_format(value) if value_format else f"{value:.6g} {unit}")}'
                 '</text>')
    return _svg(_W, height, body, title)
