"""A Markdown table with several value columns, read cell by cell with its headings.

Current models answer "What is the FY2022 operating margin?" with a table:

    | Metric           | FY2021 | FY2022 |
    |------------------|--------|--------|
    | Operating margin | 36.8%  | 34.6%  |

Read as text, a row is a line of figures whose periods sit in another line, so which figure
is FY2022's is lost. :func:`table_text` writes each value cell with its row's and its
column's headings before it, as a sentence would: "Operating margin FY2022: 34.6%" (the
period after the quantity, whichever of the two headings names the period). A table with
one value column ("| Operating margin | 34.6% |") already reads as "label, value" and is
left as it is. Every character keeps the offset of the character it copies.
"""

from __future__ import annotations

import itertools
import re

__all__ = ["table_text"]

# a header's separator line: "|---|:---:|---|"
_SEPARATOR = re.compile(r"(?m)^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$")
# a heading that names a period: "FY2022", "2022", "Q2 2023", "Fiscal 2021"
_PERIOD = re.compile(r"(?i)\b(?:fy|fiscal(?: year)?|q[1-4]|h[12])?\s*'?(?:19|20)?\d\d\b")
# a cell that holds nothing
_EMPTY = re.compile(r"^[\s\u2014\u2013*_-]*$")
# more rows than this is a data dump, not an answer's table
_MAX_ROWS = 200

_Cell = tuple[int, int]


def table_text(text: str, offsets: list[int]) -> tuple[str, list[int]] | None:
    """``text`` with each Markdown table of two or more value columns written out cell by
    cell, and the offset (from ``offsets``) of every character; None when it has none."""
    if "|" not in text or "-" not in text:
        return None
    lines = _lines(text)
    out: list[str] = []
    mapped: list[int] = []
    changed = False
    index = 0
    while index < len(lines):
        start, end = lines[index]
        if index + 1 < len(lines) and _SEPARATOR.match(text, *lines[index + 1]):
            header = _cells(text, start, end)
            rows: list[list[_Cell]] = []
            after = index + 2
            while after < len(lines) and len(rows) < _MAX_ROWS and "|" in text[slice(
                    *lines[after])]:
                rows.append(_cells(text, *lines[after]))
                after += 1
            if len(header) >= 3 and rows:
                labels = [row[0] if row else (start, start) for row in rows]
                by_period = all(_PERIOD.search(text[slice(*label)]) for label in labels) and not all(
                    _PERIOD.search(text[slice(*h)]) for h in header[1:])
                if by_period:
                    # periods down the side: a statement per quantity (column), as a
                    # sentence would give a quantity over its periods
                    for column in range(1, len(header)):
                        _line(text, offsets, [(header[column], label, row[column])
                                              for label, row in zip(labels, rows, strict=True)
                                              if column < len(row)], out, mapped)
                else:
                    for label, row in zip(labels, rows, strict=True):
                        _line(text, offsets, [(label, header[column], row[column])
                                              for column in range(1, min(len(row),
                                                                         len(header)))],
                              out, mapped)
                changed = True
                index = after
                continue
        out.append(text[start:end])
        mapped.extend(offsets[start:end])
        index += 1
    if not changed:
        return None
    return "".join(out), mapped


def _lines(text: str) -> list[_Cell]:
    """The (start, end) of each line, its line break included."""
    return [m.span() for m in re.finditer(r"[^\n]*\n|[^\n]+$", text)]


def _cells(text: str, start: int, end: int) -> list[_Cell]:
    """The (start, end) of each cell's text, stripped, in a "| a | b |" line."""
    line = text[start:end].rstrip("\r\n")
    bounds = [m.start() for m in re.finditer(r"(?<!\\)\|", line)]
    edges = [-1, *bounds, len(line)]
    cells = []
    for left, right in itertools.pairwise(edges):
        raw = line[left + 1:right]
        stripped = raw.strip()
        at = start + left + 1 + (raw.index(stripped) if stripped else 0)
        cells.append((at, at + len(stripped)))
    # the empty cells outside a leading and a trailing "|"
    if bounds and not line[:bounds[0]].strip():
        cells = cells[1:]
    if bounds and not line[bounds[-1] + 1:].strip():
        cells = cells[:-1]
    return cells


def _line(text: str, offsets: list[int], cells: list[tuple[_Cell, _Cell, _Cell]],
          out: list[str], mapped: list[int]) -> None:
    """One statement: "<quantity> <period>: <value>; ..." for each (quantity, period, value)
    cell with a value, and a line break."""
    written = 0
    for quantity, period, value in cells:
        if _EMPTY.match(text[slice(*value)]):
            continue
        if written:
            _literal("; ", value[0], offsets, out, mapped)
        _copy(quantity, text, offsets, out, mapped)
        _literal(" ", value[0], offsets, out, mapped)
        _copy(period, text, offsets, out, mapped)
        _literal(": ", value[0], offsets, out, mapped)
        _copy(value, text, offsets, out, mapped)
        written += 1
    if written:
        _literal(".\n", cells[-1][2][1], offsets, out, mapped)


def _copy(cell: _Cell, text: str, offsets: list[int], out: list[str],
          mapped: list[int]) -> None:
    out.append(text[cell[0]:cell[1]])
    mapped.extend(offsets[cell[0]:cell[1]])


def _literal(chars: str, at: int, offsets: list[int], out: list[str],
             mapped: list[int]) -> None:
    out.append(chars)
    mapped.extend([offsets[min(at, len(offsets) - 1)]] * len(chars))
