"""Financial number parsing and comparison.

Reads the figures out of a financial answer the way an analyst would: currency symbols,
thousands separators, scale words (thousand, million, billion, trillion and their short forms
``k``, ``mn``, ``bn``), percentages, basis points, parentheses and minus signs as negatives.
:func:`figures_match` then decides whether two figures state the same quantity, allowing for
rounding, for a scale the writer left implicit ("1,577" in a table in millions against
"$1.577 billion") and for a ratio written as 0.12 or 12%.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from dataclasses import dataclass, replace

__all__ = ["COUNT_ASKED", "COUNT_WORD", "FinancialNumber", "count_digits", "figures_match",
           "parse_financial_numbers", "significant_digits", "spelled_counts", "writes_scale"]

_SCALES: dict[str, float] = {
    "thousand": 1e3, "thousands": 1e3, "k": 1e3,
    "million": 1e6, "millions": 1e6, "mn": 1e6, "mm": 1e6, "m": 1e6, "mil": 1e6,
    "billion": 1e9, "billions": 1e9, "bn": 1e9, "b": 1e9,
    "trillion": 1e12, "trillions": 1e12, "tn": 1e12, "t": 1e12,
}

_NUMBER = re.compile(
    r"""
    (?P<open>\()?                                  # accounting negative: (1,234)
    (?:(?P<sign>[-\u2212\u2013])(?<![-\u2212\u2013\u2014].)(?:(?<=\u2013)(?!\s)|(?<!\u2013)\s?))?
    # minus, unicode minus, en dash (not the second stroke of a dash, "Final answer --
    # 34.6%"; an en dash before a space is punctuation: "Final answer \u2013 34.6%")
    (?P<cur>(?:US\$|USD|\$|€|£|¥|EUR|GBP)\s?)?
    (?P<sign2>[-\u2212])?
    (?P<num>\d{1,3},\d{1,2}(?=\s?%)|0,\d{1,3}(?![\d,])|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)
    # (a decimal comma before a percent sign, "3,9 %", or after a zero, "0,54": no digit
    # group opens with a zero)
    (?P<close>\))?
    (?:(?:[ \t]{2}|\s)?(?P<unit>%|percent(?:age\ points?)?\b|per\ cent\b|pct\b|ppts?\b|pp\b|p\.p\.
        |basis\ points?\b|bps\b
        |bp\b|(?:thousand|million|billion|trillion)s?\b|mn\b|bn\b|tn\b|mm\b|mil\b
        |[kKmMbBtT]\b))?
    (?P<cur2>\s(?:USD|EUR|GBP|US\ dollars|dollars|euros?)\b(?!\s(?:thousands|millions|billions)\b))?
    (?P<close2>\))?                                # (US$1.2m): the parenthesis after the unit
    """,
    re.VERBOSE | re.IGNORECASE,
)


_DECIMAL_COMMA = re.compile(r"\d{1,3},\d{1,2}|0,\d{1,3}")
# an abbreviated scale after a space, closing prose's parentheses: "($1.8 bn)"
_SPACED_UNIT = re.compile(r"\s[A-Za-z]+\)$")
_TRAILING_SCALE = re.compile(r"(?i)\s{0,2}\(?\s?in\s+(?:usd\s+|us\$\s?|\$\s?)?(thousands|millions|"
                             r"billions)\b")
_COMPOUND = re.compile(r"-[A-Za-z]")
_ZERO = re.compile(r"(?i)\bzero\b(?![-\u2010])")


@dataclass(frozen=True)
class FinancialNumber:
    """One figure read from text.

    ``value`` is the signed number with any explicit scale applied (``$1.5 billion`` →
    1.5e9); percentages and basis points are in percent (``150 bps`` → 1.5). ``decimals`` is
    the precision the writer gave (for rounding checks).
    """

    value: float
    raw: str
    start: int
    is_percent: bool = False
    scale_explicit: bool = False
    currency: bool = False
    decimals: int = 0


def _is_year(match: re.Match[str], text: str) -> bool:
    # "(2023: $762.2 million)", "(2023)": a year in parentheses is still a year; an accounting
    # negative of a bare 1900-2099 without a thousands separator or a currency ("$(2023)") is
    # not written
    if match.group("cur") or match.group("cur2") or match.group("unit"):
        return False
    if match.group("open") and text[max(0, match.start() - 4):match.start()].rstrip().endswith(
            ("$", "€", "£", "¥", "USD", "US$", "EUR", "GBP")):
        return False
    return re.fullmatch(r"(19|20)\d\d", match.group("num")) is not None


_MONTH_BEFORE = re.compile(r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)"
                           r"[a-z]*\.?\s$")


def _is_day_of_month(match: re.Match[str], text: str) -> bool:
    # "June 30, 2016": the 30 is a date
    if match.group("cur") or match.group("unit") or "." in match.group("num"):
        return False
    return _MONTH_BEFORE.search(text[max(0, match.start() - 12):match.start()]) is not None


# "How many segments?" is answered in words as often as in digits ("three segments"): a
# count word is read as its figure ("one" is left as it is: "one of the segments" counts
# nothing)
COUNT_ASKED = re.compile(r"(?i)\bhow many\b")
_COUNTS = {word: index + 2 for index, word in enumerate(
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
COUNT_WORD = re.compile(r"(?i)(?<![\w-])(" + "|".join(_COUNTS) + r")(?![\w-])"
                        r"(?!\s+(?:hundred|thousand|million|billion)\b)")


def count_digits(word: re.Match[str]) -> str:
    """The digits of a count word matched by :data:`COUNT_WORD` ("three" -> "3")."""
    return str(_COUNTS[word.group(1).lower()])


def spelled_counts(text: str) -> str:
    """``text`` with its count words ("three") as digits, each padded to the word's length
    (so every offset stays put)."""
    return COUNT_WORD.sub(lambda m: count_digits(m).ljust(len(m.group(1))), text)


def parse_financial_numbers(text: str | float | None, *,
                            keep_years: bool = False) -> list[FinancialNumber]:
    """Every figure stated in ``text``, in order of appearance.

    Args:
        text: an answer, a gold answer, or a bare number.
        keep_years: keep bare four-digit years (1900-2099) and days of the month ("June 30")
            as figures; dropped by default.

    Returns:
        The figures found; an empty list for None or text without figures.
    """
    if text is None:
        return []
    if isinstance(text, bool):
        return []
    if isinstance(text, int | float):
        if isinstance(text, float) and not math.isfinite(text):
            return []
        raw = repr(text)
        decimals = len(raw.split(".")[1]) if "." in raw and "e" not in raw else 0
        return [FinancialNumber(float(text), raw, 0, decimals=decimals)]
    return list(_parse_text(text, keep_years))


@functools.lru_cache(maxsize=4096)
def _parse_text(text: str, keep_years: bool) -> tuple[FinancialNumber, ...]:
    # graders read the same answer several times; figures are immutable, so cache them
    found: list[FinancialNumber] = []
    for m in _NUMBER.finditer(text):
        before = text[max(0, m.start() - 1):m.start()]
        if before and before.isalpha() and not m.group("cur") and (
                not m.group("sign") or m.group("sign") == "-"):
            # "FY2022", "Q2", "10-K", "S&P500": part of a word, not a figure; so is a number
            # hyphenated to a word ("COVID-19", "Form S-1"): the hyphen is no minus sign
            continue
        if not keep_years and (_is_year(m, text) or _is_day_of_month(m, text)):
            continue
        if not m.group("unit") and _COMPOUND.match(text, m.end()):
            # "3-year average", "10-K", "5-star": part of a word, not a figure
            continue
        figure = _to_number(m)
        if m.group("sign") and before and (before.isdigit() or before == "%") \
                and not m.group("open"):
            # a range, "3.8–4.0%" or "3.8-4.0%": the dash joins two figures, it is no minus
            # (the figure starts after the dash and any space: its sign is the match's first)
            raw = figure.raw[1:].lstrip()
            figure = replace(figure, value=abs(figure.value), raw=raw,
                             start=m.start() + len(figure.raw) - len(raw))
        if not m.group("unit"):
            figure = _with_trailing_scale(figure, text, m.end())
        found.append(figure)
    for m in _ZERO.finditer(text):
        found.append(FinancialNumber(0.0, m.group(0), m.start()))
    if len(found) > 1:
        found.sort(key=lambda f: f.start)
    return tuple(found)


def _with_trailing_scale(figure: FinancialNumber, text: str, end: int) -> FinancialNumber:
    """Apply a scale stated after the figure: "$5,466,312 in USD millions", "1,577 (in
    millions)"."""
    trailing = _TRAILING_SCALE.match(text, end)
    if trailing is None:
        return figure
    scale = _SCALES[trailing.group(1).lower()]
    return FinancialNumber(
        value=figure.value * scale, raw=figure.raw, start=figure.start,
        is_percent=figure.is_percent, scale_explicit=True, currency=figure.currency,
        decimals=figure.decimals - round(math.log10(scale)))


def _to_number(m: re.Match[str]) -> FinancialNumber:
    num = m.group("num")
    num = num.replace(",", ".") if _DECIMAL_COMMA.fullmatch(num) else num.replace(",", "")
    value = float(num)
    decimals = len(num.split(".")[1]) if "." in num else 0
    unit = (m.group("unit") or "").lower()
    # percentage points as "pp", "ppt", "p.p." are percent too
    is_percent = unit.startswith(("%", "percent", "per cent", "pct", "pp", "p.p"))
    scale_explicit = False
    if unit.startswith(("basis", "bp")):
        value, is_percent, decimals = value / 100.0, True, decimals + 2
    elif unit and not is_percent:
        scale = _SCALES.get(unit, 1.0)
        value *= scale
        decimals -= round(math.log10(scale))
        scale_explicit = True
    # the accounting negative encloses the figure and its symbols: "(1,234)", "(US$1.2m)";
    # prose's parentheses enclose an amount spelled out ("(USD 1,577 million)")
    # (or abbreviated after a space: "($1.8 bn)")
    spelled = (m.group("cur") or "").strip().isalpha() or bool(m.group("close2") and (
        unit.startswith(("thousand", "million", "billion", "trillion")) or m.group("cur2")
        or (unit in ("mn", "bn", "tn", "mil") and _SPACED_UNIT.search(m.group(0)))))
    negative = bool(m.group("sign") or m.group("sign2")) or bool(
        m.group("open") and (m.group("close") or m.group("close2")) and not spelled)
    return FinancialNumber(
        value=-value if negative else value,
        raw=m.group(0).strip(),
        start=m.start(),
        is_percent=is_percent,
        scale_explicit=scale_explicit,
        currency=bool(m.group("cur") or m.group("cur2")),
        decimals=decimals,
    )


def _unit(decimals: int) -> float:
    return 10.0 ** (-decimals)


def _close(a: float, g: float, g_decimals: int, a_decimals: int, rel_tol: float,
           gold_has_decimals: bool, coarse: bool = False) -> bool:
    """Whether ``a`` states ``g`` at the precision either side gave.

    The coarser of the two precisions decides: an answer at least as precise as the gold must
    round to it (gold 39.7% against 40.06% is another figure), and a coarser answer must be a
    rounding of the gold that keeps two significant digits ($30 billion for $30.1 billion, but
    not $2 billion for $2.46 billion: at most 20% of the figure per unit of its last digit). A gold computed to decimals also tolerates a difference
    of up to 3 units of its last digit within 2%, the spread that rounding intermediate
    figures produces (a gold DPO of 42.69 days against 42.67); a whole-number gold (a figure
    read off a statement) does not.
    """
    diff = abs(a - g)
    eps = 1e-9 * max(1.0, abs(g), abs(a))
    if diff <= eps:
        # the same value: "$2 billion" is the gold's "$2,000,000,000", however coarse it looks
        return True
    g_unit, a_unit = _unit(g_decimals), _unit(a_decimals)
    coarse_unit, coarse_value = (a_unit, a) if a_unit > g_unit else (g_unit, g)
    significant = coarse_value != 0 and coarse_unit / abs(coarse_value) <= 0.2 + 1e-12
    if diff <= 0.5 * coarse_unit + eps and (significant or a_unit <= g_unit or coarse):
        return True
    rel = diff / abs(g)
    if gold_has_decimals and diff <= 3 * g_unit + eps and rel <= 0.02:
        return True
    return rel_tol > 0 and rel <= rel_tol


def _may_rescale(answer: FinancialNumber, gold: FinancialNumber) -> bool:
    # amounts are written in thousands, millions or billions; a bare figure below one (a
    # quick ratio of 0.69) is a ratio, not an amount, so no implicit scale joins it to 689
    # or to "$689 million"
    sides = (answer, gold)
    return all(f.currency or f.scale_explicit or abs(f.value) >= 1 for f in sides)


def _unstated_scales(answer: FinancialNumber, gold: FinancialNumber,
                     gold_scale: float | None = None) -> list[float]:
    """The factors to apply to the gold for a scale one side left unstated.

    Only the side without a scale word may be in thousands, millions or billions, and only
    upward: an answer's "1,577" copied from a table in millions is $1.577 billion (and its
    "$5,466,312" from a table in thousands is $5,466 million), but a figure with a scale word
    is never in thousandths of it. A gold written out to a million or more ("$678,900,000")
    states its units: "$678.9 billion" is another figure.
    """
    up = [1e3, 1e6, 1e9]
    # (a gold in the question's unit is in it: only an answer without a scale of its own
    # may be read in another)
    gold_up = [] if gold.scale_explicit or abs(gold.value) >= 1e6 else (
        [gold_scale] if gold_scale and answer.scale_explicit else up)
    answer_up = [] if answer.scale_explicit else up
    return [f for pair in itertools.zip_longest(gold_up, [1 / u for u in answer_up])
            for f in pair if f is not None]


def _scaled_decimals(decimals: int, factor: float) -> int:
    return decimals - round(math.log10(factor)) if factor > 0 else decimals


def figures_match(answer: FinancialNumber, gold: FinancialNumber, *,
                  rel_tol: float = 0.0, ignore_sign: bool = True,
                  gold_scale: float | None = None, coarse: bool = False) -> bool:
    """Whether ``answer`` states the same quantity as ``gold``, at the precision they state.

    Args:
        answer: a figure read from the answer.
        gold: a figure read from the gold answer.
        rel_tol: an extra relative tolerance on top of the precision rules (none by default).
        ignore_sign: compare magnitudes ("a decline of 0.9%" against "-0.9%").
        gold_scale: the scale a gold without one is in, when the question says ("in USD
            billions": "$4.60" is $4.6 billion, never $4.6 million).
        coarse: also when the answer rounds the gold to fewer than two significant digits
            ("about $0.2 billion" for $229 million): no other value, if no statement of it.

    Returns:
        True when the figures agree at the coarser of the two precisions (see ``_close``), up
        to an implicit scale (a power of 1,000 when either side left its scale unstated) or a
        percent/ratio conversion.
    """
    a, g = (abs(answer.value), abs(gold.value)) if ignore_sign else (answer.value, gold.value)
    if g == 0:  # no scale or percent form makes zero anything else
        return bool(abs(a) <= 0.5 * 10 ** (-max(gold.decimals, answer.decimals, 0)))
    factors = [1.0]
    if answer.is_percent != gold.is_percent:
        # a ratio (0.12) against a percent (12%), or a percent whose sign was left off
        factors = [100.0, 1.0] if answer.is_percent else [0.01, 1.0]
    elif not (answer.scale_explicit and gold.scale_explicit) and not answer.is_percent \
            and _may_rescale(answer, gold):
        factors = [1.0, *_unstated_scales(answer, gold, gold_scale)]
    # a gold written with trailing zeros ("$1577.00", "$8.70" in a table of two-decimal
    # amounts) states the figure, not a precision of cents: a coarser answer ("$1,577") may
    # round it; an answer written to the gold's decimals or finer is held to them ("$0.12" is
    # not "$0.10")
    zeros = _trailing_zeros(gold.raw)
    decimals = gold.decimals - zeros if answer.decimals < gold.decimals else gold.decimals
    gold_has_decimals = ("." in gold.raw and zeros < _fraction_digits(gold.raw)) or (
        decimals > 0 and not gold.scale_explicit)
    for factor in factors:
        if _close(a, g * factor, _scaled_decimals(decimals, factor), answer.decimals,
                  rel_tol, gold_has_decimals, coarse):
            return True
    return False


def _fraction_digits(raw: str) -> int:
    digits = re.search(r"\.(\d+)", raw)
    return len(digits.group(1)) if digits else 0


def _trailing_zeros(raw: str) -> int:
    digits = re.search(r"\.(\d+)", raw)
    return len(digits.group(1)) - len(digits.group(1).rstrip("0")) if digits else 0


def significant_digits(figure: FinancialNumber) -> str:
    """A figure's significant digits, whatever its scale words: "$5,466,312,000" restated
    "(... $5,466.312 million)" is one figure in two scales, and "118" is "$118 million"."""
    return re.sub(r"\D", "", figure.raw).strip("0")


def writes_scale(figure: FinancialNumber) -> bool:
    """Whether the figure's own text writes its scale ("$742 million", "$1.8 bn"), not a scale
    a note or the question lent it ("$5,466,312,000" under "(in USD millions)")."""
    found = _NUMBER.search(figure.raw)
    return bool(found and (found.group("unit") or "").lower() in _SCALES)
