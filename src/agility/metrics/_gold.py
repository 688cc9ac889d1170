"""Reading a gold answer: its key figures, what each measures, its yes/no, its period.

The key figures of a gold answer are the figures it states that the question does not
already state. Each comes with a *label*: the content words just before it in its clause
("the quick ratio was approximately 0.54" → quick, ratio), which say what quantity it
measures, so that an answer stating another value for the same quantity can be told from an
answer that merely mentions other figures.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from agility.metrics._answer import REFERENCE, enumerator, years_of
from agility.metrics._numbers import (
    COUNT_ASKED,
    FinancialNumber,
    figures_match,
    parse_financial_numbers,
    spelled_counts,
)
from agility.metrics._stance import _STOP, ABBREVIATIONS, ASIDE, stem_set

__all__ = [
    "DENIAL",
    "NOT_APPLICABLE",
    "GoldReading",
    "KeyFigure",
    "asked_scale",
    "clause_before",
    "counted_noun",
    "figure_kind",
    "label_at",
    "read_gold",
    "years_of",
]

_YES = re.compile(r"(?i)^\W*(?:yes|yep|correct|true|indeed)\b")
_NO = re.compile(r"(?i)^\W*(?:no|nope|false|not really)\b")
_LABEL_STOP = frozenset(["increase", "increased", "decrease", "decreased", "decline", "declined", "improve", "improved", "drop", "dropped", "grew", "grow", "rose", "fell", "change", "changed", "slightly", "slight", "approximately", "about", "roughly", "around", "nearly", "almost", "only", "just", "was", "were", "is", "are", "be", "been", "has", "have", "had", "of", "the", "a", "an", "in", "on", "at", "to", "for", "by", "from", "with", "as", "its", "their", "it", "this", "that", "which", "respectively", "total", "totaled", "totalled", "amounted", "amount", "stood", "came", "reported", "value", "figure", "fy", "fiscal", "year", "years", "period", "end", "close", "ended"])
#: a statement that says there are none ("There are none", "No acquisitions were made")
DENIAL = re.compile(r"(?i)^\W*(?:there (?:are|were|is|was) (?:none|no)\b|none\b|no\b)|"
                     r"\b(?:did|does|do|has|have) not (?:make|have|report|record|disclose|"
                     r"register|list|hold)\b[^.]{0,20}\bany\b")
#: saying a metric does not apply to the company
NOT_APPLICABLE = re.compile(
    r"(?i)\b(?:not|isn't|aren't|less|hardly)\s+(?:be\s+)?(?:(?:a|an|the|very|particularly|that|as|"
    r"really|always|typically|necessarily|most|generally|usually|considered|seen as|"
    r"[a-z]+ly)\s+){0,3}"
    r"(?:relevant|useful|meaningful|applicable|appropriate|suitable|informative|commonly used)\b|"
    r"\bnot measured "
    r"(?:through|by|using|with)\b|\birrelevant\b|\b(?:does not|doesn't|do not|don't) apply\b|"
    # "Operating margin isn't how its performance is judged"; "Inventory turnover: N/A, a bank
    # carries no inventory"
    r"\b(?:not|isn't|is not)\s+how\b[^.;]{0,60}\b(?:judged|measured|assessed|evaluated)\b|"
    r"\bn/a\b\s*[\u2014\u2013:,;(-]+\s*\w[^.]{0,60}\b(?:bank|insurer|lender|no inventor\w*|no cost of)")
_CLAUSE_BREAK = re.compile(r"[;:\n]|,\s(?:and|while|whereas|but|compared)\b|\.\s")


_DASH_ITEM = re.compile(r"(?m)^[ \t]*-(?=\S)")


def figure_kind(figure: FinancialNumber) -> str:
    """"percent", "money" or "plain" (a ratio, a count, a figure without a unit)."""
    return "percent" if figure.is_percent else ("money" if figure.currency else "plain")


@dataclass(frozen=True)
class KeyFigure:
    """A figure of the gold answer and the stems of the words naming what it measures."""

    figure: FinancialNumber
    label: frozenset[str]


@dataclass(frozen=True)
class GoldReading:
    """What the grader needs to know of a gold answer."""

    text: str
    numeric: bool
    keys: tuple[KeyFigure, ...]
    polarity: str | None
    years: frozenset[int] = field(default_factory=frozenset)
    #: the gold denies that anything answers ("There are none", "did not make any")
    negative: bool = False
    #: the gold says the question's metric does not apply ("gross margin is not a relevant
    #: metric for a bank")
    rejects_metric: bool = False

    @property
    def figures(self) -> list[FinancialNumber]:
        """The key figures themselves."""
        return [k.figure for k in self.keys]


def clause_before(text: str, start: int, since: int = 0) -> str:
    """The words of ``start``'s clause before it (from ``since`` at the earliest), asides in
    parentheses left out."""
    head = ASIDE.sub(" ", text[max(since, start - 300):start])
    breaks = list(_CLAUSE_BREAK.finditer(head))
    return head[breaks[-1].end():] if breaks else head


# the stems an abbreviation or a line item adds for words read together ("cost of revenue"
# adds those of "COGS")
_NAMED_TOGETHER = frozenset().union(*(both for *_, both in ABBREVIATIONS))


def label_at(text: str, start: int, limit: int = 6, since: int = 0) -> frozenset[str]:
    """The stems of the (up to ``limit``) content words before ``start`` in its clause (from
    ``since`` at the earliest): what the figure there measures ("the quick ratio was
    approximately 0.54" → quick, ratio)."""
    words = label_words(text, start, limit, since)
    # (and what the clause's last words name together: "cost of revenue" is the COGS)
    together = stem_set(" ".join(clause_before(text, start, since).split()[-(limit + 2):]))
    return frozenset().union(*words) | (together & _NAMED_TOGETHER if words else frozenset())


def label_words(text: str, start: int, limit: int = 6, since: int = 0, *,
                through_colon: bool = False) -> list[frozenset[str]]:
    """The stems of each of the (up to ``limit``) content words before ``start``, word by
    word: an abbreviation is one word however many its expansion has ("EPS" is as much
    a name as "diluted"). ``through_colon``: a figure right after a colon is named by the
    words before it ("EMEA: 45%")."""
    clause = clause_before(text, start, since)
    if through_colon and not clause.strip(" \t*_-#"):
        colon = text.rfind(":", since, start)
        if colon >= 0 and not text[colon + 1:start].strip(" \t*_-#$\u20ac\u00a3(~"):
            clause = clause_before(text, colon, since)
    # (in their own case: "US" names a country, "us" nothing)
    words = [w for w in re.findall(r"U\.S\.(?:A\.)?|[A-Za-z][A-Za-z&'\-]+", clause)
             if w.lower() not in _LABEL_STOP]
    return [stems for w in words[-limit:] if (stems := stem_set(w))]


# The words a count is followed by, up to the first that is not part of a noun phrase ("982
# stores in Q2", "907 Best Buy stores, down from ...").
_COUNT_PHRASE = re.compile(r"\s+((?:[A-Za-z][\w&'\-]*\s+){0,2}?[A-Za-z][\w&'\-]*?s?)"
                           r"(?=\s*(?:[.,;:()\n]|$|\s(?:in|at|on|by|as|for|from|to|of|and|or|was|"
                           r"were|is|are|had|has|have|which|that|with|during|compared|versus|vs)\b))")
_NOT_NOUN = frozenset(["million", "billion", "thousand", "trillion", "times", "percent", "basis",
                       "points", "days", "years", "months", "weeks", "per", "more", "less",
                       "fewer", "down", "up", "while", "each", "respectively", "compared",
                       "versus", "vs", "higher", "lower", "so", "not", "no", "but", "if",
                       "then"])


def counted_noun(text: str, figure: FinancialNumber) -> str | None:
    """What a plain count counts: the stem of the noun that ends the short noun phrase right
    after it ("982 stores" and "907 Best Buy stores" both count stores). None for money, a
    percent, a figure followed by no noun, or a unit of measure ("12 days", "1.5 times")."""
    if figure.currency or figure.is_percent:
        return None
    found = _COUNT_PHRASE.match(text, figure.start + len(figure.raw))
    if found is None:
        return None
    words = found.group(1).lower().split()
    if any(w in _NOT_NOUN or w in _STOP for w in words):
        return None
    head = words[-1]
    return head[:5] if len(head) > 2 else None


_ASKED_UNIT = re.compile(r"(?i)\bin\s+(?:usd|us\$|\$|us dollars)?\s*(thousands|millions|billions)\b")
_UNIT_SCALE = {"thousands": 1e3, "millions": 1e6, "billions": 1e9}


def asked_scale(question: str) -> float | None:
    """The scale the question asks amounts in ("Answer in USD millions": 1e6), if any."""
    asked = _ASKED_UNIT.search(question)
    return None if asked is None else _UNIT_SCALE[asked.group(1).lower()]


def _in_asked_unit(figure: FinancialNumber, question: str) -> FinancialNumber:
    scale = asked_scale(question)
    if scale is None or figure.is_percent:
        return figure
    return FinancialNumber(value=figure.value * scale, raw=figure.raw, start=figure.start,
                           scale_explicit=True, currency=True,
                           decimals=figure.decimals - round(math.log10(scale)))


# "$1 of revenue", "for every $1", "per $1": one unit of money, the base of a rate
_BASE_BEFORE = re.compile(r"(?i)\b(?:every|each|per)\s*$")
_BASE_AFTER = re.compile(r"(?i)^\s+(?:of|in)\s+[a-z]")


def _unit_base(text: str, figure: FinancialNumber) -> bool:
    """Whether ``figure`` is one unit of money that a rate is stated against ("it took $2.77
    of assets to generate $1 of revenue", "for every $1 of sales"): a base, not a quantity
    the answer must state."""
    if not figure.currency or figure.is_percent or figure.value != 1:
        return False
    end = figure.start + len(figure.raw)
    return bool(_BASE_AFTER.match(text[end:end + 20])
                or _BASE_BEFORE.search(text[max(0, figure.start - 12):figure.start]))


def read_gold(gold: object, question: str) -> GoldReading:
    """Read ``gold`` (text or a bare number) for the question ``question``."""
    if isinstance(gold, int | float) and not isinstance(gold, bool):
        # a bare figure is the answer even when the question names it ("if none, state 0");
        # its unit is the one the question asks for ("Answer in USD millions")
        figures = [_in_asked_unit(f, question) for f in parse_financial_numbers(gold)]
        return GoldReading(str(gold), True, tuple(KeyFigure(f, frozenset()) for f in figures),
                           None)
    text = "" if gold is None else str(gold)
    in_question = parse_financial_numbers(question)
    keys: list[KeyFigure] = []
    counted = spelled_counts(text) if COUNT_ASKED.search(question) else text
    # a list's dash glued to its item ("-1.375% Notes due 2026") is a bullet, not a minus
    bullets = {m.end() - 1 for m in _DASH_ITEM.finditer(text)}
    for figure in parse_financial_numbers(counted):
        if len(bullets) >= 2 and figure.start in bullets and figure.value < 0:
            figure = replace(figure, value=-figure.value, raw=figure.raw[1:],
                                         start=figure.start + 1)
        if any(figure.raw == q.raw or (figure.value == q.value
                                       and figure.is_percent == q.is_percent)
               for q in in_question):
            continue
        if any(figures_match(figure, k.figure) and figures_match(k.figure, figure) for k in keys):
            continue
        if _unit_base(text, figure) or enumerator(text, figure) or REFERENCE.search(
                counted[max(0, figure.start - 14):figure.start]):
            # (a reference, "Section 12(b)", "Note 14", is no figure of the answer's)
            # "(1) Current Health Ltd and (2) Two Peaks": the numbers of an enumeration
            continue
        keys.append(KeyFigure(figure, label_at(text, figure.start)))
    polarity = "yes" if _YES.match(text) else "no" if _NO.match(text) else None
    negative = polarity is None and not keys and bool(DENIAL.search(text))
    return GoldReading(text, False, tuple(keys), polarity, frozenset(years_of(text)), negative,
                       not keys and bool(NOT_APPLICABLE.search(text)))
