"""One answer being graded: the readings of the answer and the gold, and the checks the
correctness grader's rules share (see :mod:`agility.metrics._correctness`).

:class:`Case` holds both readings and answers the shared questions: which figures of the
answer state a gold figure (directly, or as the change between two levels), which figure the
answer commits to, whether a statement is about the question's subject, whether the answer
gives another value for a quantity the gold states, or speaks of another period. Its
:meth:`Case.where` and :meth:`Case.statement` write the figures and statements a reason names
with their character offsets in the answer *as given* (before stripping and clipping).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cached_property

from agility.metrics._answer import (
    ANSWER_GIVEN,
    ANSWER_LABEL,
    BENCHMARK,
    HYPOTHETICAL,
    NOTE_LABEL,
    REMARK_OPENING,
    AnswerReading,
    Sentence,
    concludes,
    offers_alternative,
    read_answer,
    unlabelled,
    year_mentions,
)
from agility.metrics._gold import (
    GoldReading,
    KeyFigure,
    asked_scale,
    clause_before,
    counted_noun,
    figure_kind,
    label_at,
    label_words,
    years_of,
)
from agility.metrics._markup import unmark
from agility.metrics._metric_names import other_metric
from agility.metrics._numbers import (
    COUNT_ASKED,
    FinancialNumber,
    figures_match,
    parse_financial_numbers,
)
from agility.metrics._refusal_language import infers_anyway, refusal_phrases
from agility.metrics._stance import (
    ASIDE,
    declines_in_claim,
    direction,
    level_moves,
    proposition,
    question_terms,
    stem_set,
    turned_to_answer,
)

__all__ = ["CHANGE", "MAX_CHARS", "RETRACTS", "RUNNER_UP", "Case", "Cited", "GradedText", "Judgement", "as_text", "clip",
           "difference_matches", "differences", "gold_raws", "refusal", "subject_checks", "swapped_labels",
           "turned"]

MAX_CHARS = 20_000
_CLIP_MARK = "\n...\n"
_MAX_PAIRS = 30


@dataclass(frozen=True)
class Cited:
    """A figure of the answer that a reason names: ``text`` is ``answer[start:end]``."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Judgement:
    """The grader's decision on one answer, with the answer's figures its reason names."""

    verdict: str
    reason: str
    cited: tuple[Cited, ...] = ()

    @property
    def score(self) -> float | None:
        """1.0 correct, 0.0 incorrect or refusal."""
        return 1.0 if self.verdict == "correct" else 0.0


def clip(text: str) -> str:
    """``text``, or its first and last ``MAX_CHARS // 2`` characters when longer: no real
    answer is this long, and reading its start and end keeps the grader's time bounded."""
    if len(text) <= MAX_CHARS:
        return text
    half = MAX_CHARS // 2
    return text[:half] + _CLIP_MARK + text[-half:]


def as_text(value: object) -> str:
    return "" if value is None else str(value)


def gold_raws(keys: list[KeyFigure] | tuple[KeyFigure, ...], limit: int = 4) -> str:
    shown = ", ".join(k.figure.raw for k in keys[:limit])
    return shown + (", ..." if len(keys) > limit else "")


def differences(said: tuple[FinancialNumber, ...]
                 ) -> list[tuple[FinancialNumber, FinancialNumber, FinancialNumber]]:
    """The changes between pairs of figures of one kind, each with its two levels: a gold that
    states a change ("debt decreased by $229 million") is answered by the two levels
    ($150,868m and $150,639m)."""
    found = []
    head = said[:_MAX_PAIRS]
    for i, first in enumerate(head):
        for second in head[i + 1:]:
            # a change from or to zero is the other level itself, not a difference (and a
            # "0" written without decimals would lend the change a precision of units)
            if figure_kind(first) != figure_kind(second) or first.value == second.value \
                    or not first.value or not second.value:
                continue
            change = FinancialNumber(
                value=first.value - second.value, raw=f"{first.raw} - {second.raw}",
                start=second.start, is_percent=first.is_percent,
                scale_explicit=first.scale_explicit and second.scale_explicit,
                currency=first.currency, decimals=min(first.decimals, second.decimals))
            found.append((change, first, second))
    return found


def difference_matches(diff: FinancialNumber, key: FinancialNumber) -> bool:
    # a difference of two rounded levels is off by up to one unit of their last digit
    if figures_match(diff, key):
        return True
    if diff.is_percent != key.is_percent or key.value == 0:
        return False
    gap = abs(abs(diff.value) - abs(key.value))
    return gap <= 10.0 ** (-diff.decimals) * 1.000001 and gap <= 0.2 * abs(key.value)


# Words that name no quantity: a statement made only of these ("Therefore, the answer is
# approximately 1.33") speaks of whatever was asked.
# (or at a period's end: "$12,645 million at the end of FY2017")
# (on its line: "= 0.62%\n\nFor FY2021:" heads the next step)
_YEAR_AFTER = re.compile(r"(?i)[ \t]*(?:\w+[ \t]+)?(?:in|for|at|during|as of|of)\s+(?:the\s+)?"
                         r"(?:(?:end|close)\s+of\s+(?:the\s+)?)?"
                         r"(?:fiscal\s+(?:year\s+)?|fy\s*)?'?(\d{4}|\d{2})\b")
_REMARK_DASH = re.compile(r"\**\s*(?:[\u2014\u2013]|\s-\s|--)")
# "$1,577 million is 2017", "27.1% was FY2016's growth rate": a figure put in its year
_YEAR_IS = re.compile(r"(?i)\s+(?:is|was|are|were)\s+(?:actually\s+|really\s+)?(?:the\s+)?"
                      r"(?:fiscal\s+(?:year\s+)?|fy\s*)?'?((?:19|20)\d\d)\b(?:'s|\u2019s)?"
                      r"(?!\s*[-\u2013]|\s+(?:to|through)\b)")
# "$5,600 million (FY2022)", "$442 million (2022)" (not "(12%)")
_YEAR_IN_PARENTHESES = re.compile(r"(?i)\s*\((?:fiscal\s+(?:year\s+)?|fy\s*)?'?((?:19|20)\d\d|"
                                  r"(?<=fy)\d\d|(?<=fy )\d\d)\s*\)")
# ("Operating margin (FY2021): 34.6%": the year may be in parentheses)
# what makes a year earlier in a figure's clause a comparison's point of reference ("since
# 2019", "compared with FY2021"), not the year the figure is given for
_YEAR_REFERENCE = re.compile(r"(?i)\b(?:since|from|between|after|before|than|versus|vs\.?|over|"
                             r"compared (?:with|to)|relative to|against|until|through)\s+(?:the\s+)?"
                             r"(?:end of\s+)?(?:fiscal\s+(?:year\s+)?)?\W{0,2}$")
# (or the row's first cell: "| FY2021 | 34.6% |")
_YEAR_BEFORE = re.compile(r"(?i)(?:fy|fiscal(?: year)?|in)?\s*'?((?:19|20)\d\d|\d\d)\s*\)?\s*"
                          r"[:,\-\u2013|]?\s*(?:was|were|is|of|at)?\s*$")


# what asks for a ratio or a percent, not an amount
_RATIO_ASKED = re.compile(r"(?i)\b(?:margin|ratio|percent(?:age)?|rate|yield|return on|"
                          r"turnover|coverage)\b|%")


def _full_year(digits: str) -> int:
    year = int(digits)
    return year + 2000 if year < 100 else year


_NEUTRAL = frozenset(stem_set(
    "therefore thus hence answer result final approximately about roughly rounded decimal "
    "places value figure equals comes total calculated calculation computed answer equal "
    "percent percentage million billion thousand dollars usd days times increase decrease "
    "decline rise fall change growth drop higher lower negative positive loss gain rose fell grew "
    "went "
    # the writer's commitment ("I'd go with 34.6%", "the number I would report")
    "i'd i'll would go report settle stick number "
    # what the working comes to ("We get 39.7%", "That works out to 39.7%")
    "get gets obtain arrive end works work out leaves left gives give yields yield "
    # a change's unit ("up 1.8 points", "180 bps")
    "point points pts bps basis "
    # a count or a precision spelled out ("rounded to two decimal places") names no quantity
    "one two three four five six seven eight nine ten "
    # the question's own instruction, cited ("per your instructions, the answer is 0")
    "per your instructions instruction instructed requested asked directed "
    # a correction's words ("No wait, it is 1.73."), a caveat's ("With those caveats, 4.83
    # is the answer based on the definition given.")
    "wait actually correction caveat caveats based definition given"))
# a quarter: "Q2", "second quarter", "2Q23" (as "Q2")
_QUARTER = re.compile(r"(?i)\bq([1-4])\b|\b([1-4])q(?:\d\d)?\b|\b(first|second|third|fourth) "
                      r"(?:fiscal )?quarter\b")
_ORDINAL = {"first": "1", "second": "2", "third": "3", "fourth": "4"}


def _quarters(text: str) -> set[str]:
    return {"Q" + (m.group(1) or m.group(2) or _ORDINAL[m.group(3).lower()])
            for m in _QUARTER.finditer(text)}


# a writer taking back what they wrote ("wait, I had those reversed", "scratch that")
RETRACTS = re.compile(r"(?i)\b(?:wait\b\s*[,.!\u2014\u2013]|no,? wait\b|scratch that|correction:|"
                       # "42.78 days — correction, 42.69 days", "3.59 — sorry, I used ..."
                       r"(?<=[\u2014\u2013] )(?:sorry,?\s+)?correction\b|sorry,\s+(?:i\b|let me\b|"
                       r"correction\b|that\b)|"
                       # "Actually, the ratio is 2.10" (not "Actually, that figure includes ...")
                       r"^\W*actually,?\s+(?:the\s+|it\s+|that\s+)?[^.]{0,60}?\b(?:is|was|"
                       r"should be|comes to|equals)\s+(?:about |approximately |roughly )?[-$\d(]|"
                       # "Actually, 27.1% was FY2016's growth rate; ..." (a figure put back in
                       # another year)
                       r"^\W*actually,?\s+[^;\n]{0,40}?\d[^;\n]{0,20}?\s(?:is|was)\s+(?:the\s+)?"
                       r"(?:fiscal\s+(?:year\s+)?|fy\s*)?'?(?:19|20)\d\d(?:'s|\u2019s)?\b|"
                       r"let me (?:correct|redo|"
                       r"recalculate|fix) (?:that|this)|i (?:had|got|have) (?:those|these|that|"
                       r"this|it|them) (?:reversed|backwards|wrong|mixed up)|i misread|i made "
                       r"(?:a|an) (?:mistake|error)|"
                       # "That's not right, though — I mixed up the years"
                       r"(?:that's|that is|this is) (?:not right|wrong|incorrect)\b|"
                       r"i mixed (?:that |those |these |it |them )?up|"
                       # a figure first given as provisional ("At first glance revenue looks
                       # like $5.4 billion, but ...", "Initial estimate: ...") and one put right
                       # after it ("However, after restating for ...", "correcting for the sign
                       # error ..."), or put back in another year ("That's the FY2021 figure;
                       # ...")
                       r"^\W*(?:at first glance|initial estimate\b|initially,)|"
                       r"^\W*(?:however|but),?\s+(?:after\s+|once\s+|when\s+)?(?:correcting|"
                       r"restating|adjusting|fixing)\s+(?:it\s+)?for\b|"
                       r"^\W*(?:that's|that is|that was)\s+(?:the\s+)?(?:figure|number|amount|value)"
                       r"\s+for\s+(?:fiscal\s+|fy\s*)?'?(?:19|20)?\d\d\b|^\W*(?:that's|that is|that "
                       r"was)\s+(?:the\s+)?(?:fiscal\s+|fy\s*)?'?(?:19|20)?\d\d\s+(?:figure|number|"
                       r"amount|value)\b)")
_CALCULATE = re.compile(r"(?i)\b(?:calculate|compute)\s+(?:the\s+)?([^;.?,]{3,60})")
# a remark beside the answer, besides those that open as REMARK_OPENING does ("Note that
# ...", "For comparison, ...", "Keep in mind ..."): a label, or a comparison with others
_NOTE = r"(?i)^\W*(?:note|n\.?b\.?|caveat)\W*:"
_REMARK = re.compile(_NOTE + r"|^\W*(?:by comparison|as a benchmark|for perspective)\b|"
                     r"\b(?:compares? (?:with|to)|industry|peers?|median|benchmark)\b")
_GENERAL = re.compile(r"(?i)\b(?:may|might|could|typically|generally|usually|often|a company|"
                      r"companies|is considered|are considered)\b")
_DEFINES = re.compile(r"(?i)\bdefined? (?:as|by)\b|\bdefine\b|\bis calculated as\b")
_COMPARED_WITH = re.compile(r"(?i)\b(?:compared (?:with|to)|versus|vs\.?|as against|up from|"
                            r"down from|relative to)\s+(?:about |approximately |roughly )?\$?$")
_COMPARE = re.compile(r"(?i)\bcompar(?:e|es|ed|ing|ison)\b")
# an arithmetic operator between words ("(cash + receivables) / current liabilities")
_OPERATOR = re.compile(r"[+*/\u00d7\u00f7]|\s[-\u2212]\s")


def _operands_first(text: str) -> bool:
    """Whether ``text`` is an equation that opens with its operands ("(Cash + receivables) /
    current liabilities = 0.54"): it names its result nowhere."""
    parts = re.split(r"[=\u2248]", text, maxsplit=1)
    return len(parts) == 2 and bool(_OPERATOR.search(parts[0]))


# how near a figure is to what it states ("just under 35% (34.6%)"): in a statement, no
# quantity of its own (in a gold, "slightly improved" says more than its figures)
_AFFIRMS = frozenset(stem_set("yes indeed confirmed correct right exactly"))
_NEAR = frozenset(stem_set("just under over nearly almost slightly above below around close "
                           "little"))
# which way a figure went names no quantity either ("21.6% in FY2022, down from 24.6%")
_WAYS = frozenset(stem_set("up down from rose fell higher lower versus vs compared"))
CHANGE = re.compile(r"(?i)\b(?:increas\w*|decreas\w*|declin\w*|improv\w*|drop\w*|fell|rose|narrow\w*|widen\w*|"
                     r"grew|grow\w*|chang\w*|difference|shr[iu]nk\w*|reduc\w*|rais\w*|"
                     r"lower\w*|cut)\b")


# Words that give an amount its sign: a profit is positive, a loss negative.
# a quantity whose amount below zero is called a loss
_INCOME_ASKED = re.compile(r"(?i)\b(?:net|operating|pre-?tax|comprehensive) (?:income|earnings)\b|"
                           r"\b(?:net )?profit\b|\bebit(?:da)?\b")
_POSITIVE = re.compile(r"(?i)\b(?:profit(?:s|able)?|gains?|surplus|inflows?|positive)\b")
_NEGATIVE = re.compile(r"(?i)\b(?:loss(?:es)?|deficits?|outflows?|negative|shortfalls?|"
                       r"unprofitable|lost)\b")


# words that put a level below zero without a sign ("a margin of 6.4% below breakeven",
# "minus 6.4%", "in the red")
_BELOW_ZERO = re.compile(r"(?i)\b(?:minus|below (?:zero|breakeven|break-even)|in the red|"
                         r"negative|loss-making|underwater|burn(?:ed|t|s|ing)?|net cash)\b")


# a figure given as the size of a change: "fell by 13 stores", "an increase of $54 million",
# "13 fewer stores"
_CHANGE_BEFORE = re.compile(
    r"(?i)(?:\b(?:increas\w*|decreas\w*|declin\w*|fell|rose|grew|grown|dropp?\w*|reduc\w*|"
    r"shr[aiu]nk\w*|gained|lost|up|down|chang\w*|cut|raised|lowered)\s+by|\b(?:an?|the)\s+"
    r"(?:net\s+)?(?:increase|decrease|decline|drop|reduction|change|gain|loss|rise|fall)\s+of)"
    r"\s+(?:about\s+|approximately\s+|roughly\s+|around\s+|nearly\s+|some\s+)?$")
# the names of one quantity: the top line, the bottom line
_ONE_QUANTITY = (stem_set("revenue revenues sales turnover"),
                 stem_set("income earnings profit profits"))
# a direction word that opens the levels it went between ("increased from", "fell from")
_LEVELS_FROM = re.compile(r"(?i)\b(?:increas|decreas|declin|improv|drop|fell|rose|grew|grow|"
                          r"shr[iu]nk|reduc|rais|lower)\w*\s+from\s*$")
_CHANGE_AFTER = re.compile(r"(?i)\s+(?:fewer|more|less|lower|higher)\b")


def stated_as_change(text: str, figure: FinancialNumber) -> bool:
    """Whether ``text`` gives ``figure`` as the size of a change ("fell by 13 stores")."""
    end = figure.start + len(figure.raw)
    return bool(_CHANGE_BEFORE.search(text[max(0, figure.start - 60):figure.start])
                or _CHANGE_AFTER.match(text, end))


def written_sign(figure: FinancialNumber) -> int:
    """-1 when the figure is written negative (a minus glued to it, "-$3.2 billion", or
    accounting parentheses, "$(3.2) billion", "(4.8)%"), else 0. A dash followed by a space ("- $3.2
    billion") is a list bullet or a separator, not a sign."""
    raw = figure.raw
    # (a percent wholly in parentheses is an aside on the figure before it: "$3,017M on
    # $62,286M of revenue in FY2021 (4.8%)"; accounting writes "(4.8)%")
    if figure.value < 0 and (re.match(r"[-\u2212]\S", raw) or (
            "(" in raw[:3] and not re.search(r"%\s*\)$", raw))):
        return -1
    return 0


def worded_sign(text: str) -> int:
    """+1 when ``text`` calls its amount positive ("a profit", "a gain") and never negative,
    -1 the reverse, 0 when it says neither or both."""
    up, down = bool(_POSITIVE.search(text)), bool(_NEGATIVE.search(text))
    return 1 if up and not down else -1 if down and not up else 0


# an answer's last paragraph set apart in bold: "**Netflix's FY2015 EBITDA margin is 5.4%.**"
_CLOSING_BOLD = re.compile(r"[ \t]*(?:[-*+][ \t]+)?(\*\*|__)(?=[^\s*_])([^\n]{4,600}?)"
                           r"(?<=[^\s*_])\1[ \t]*[.!]?\Z")


class GradedText:
    """The answer as the grader reads it, and where each of its characters stands in the
    answer as given: stripped, clipped to its start and end when very long, and read
    without its markup (:func:`agility.metrics._markup.unmark`).

    Attributes:
        given: the answer as given.
        text: what the grader reads.
    """

    def __init__(self, given: str, question: str | None = None) -> None:
        self.given = given
        stripped = given.strip()
        self._lead = len(given) - len(given.lstrip())
        clipped = clip(stripped)
        self._tail_shift = len(stripped) - len(clipped)
        self.text, self._offsets = unmark(clipped, question)
        # a last paragraph wholly in bold, where the read text has it (tried on the last
        # line only)
        body = clipped.rstrip()
        bold = _CLOSING_BOLD.match(body, body.rfind("\n") + 1)
        self.closing = bisect.bisect_left(self._offsets, bold.start(2)) if bold else None

    def position(self, offset: int) -> int:
        """An offset of the text read as an offset of the answer as given."""
        offsets = self._offsets
        offset = offsets[offset] if offset < len(offsets) else (offsets[-1] + 1 if offsets else 0)
        if self._tail_shift and offset >= MAX_CHARS // 2 + len(_CLIP_MARK):
            offset += self._tail_shift
        return offset + self._lead

    def span(self, start: int, length: int) -> tuple[int, int]:
        """A span of the text read as offsets into the answer as given (markup the reading
        left out, "**7.9\\%**", stays inside it)."""
        begin = self.position(start)
        return begin, (self.position(start + length - 1) + 1 if length else begin)


def year_given(reading: AnswerReading, figure: FinancialNumber) -> int | None:
    """The year a figure of ``reading`` is given for: "$1,600 million in 2018", "FY2018:
    $1,600"."""
    end = figure.start + len(figure.raw)
    after = (_YEAR_AFTER.match(reading.text, end) or _YEAR_IN_PARENTHESES.match(reading.text, end)
             or _YEAR_IS.match(reading.text, end))
    if after:
        return _full_year(after.group(1))
    before = _YEAR_BEFORE.search(reading.text[max(0, figure.start - 24):figure.start])
    if before:
        return _full_year(before.group(1))
    # the year that names the figure's quantity in its clause ("Adobe's FY2021 capital
    # expenditure was $442 million"): after the clause's last figure or break, and not a
    # comparison's point of reference ("since 2019", "compared with FY2021")
    sentence = reading.sentence_at(figure.start)
    if sentence is None:
        return None
    # (from the end of the figure before it: one bisection, so a sentence of thousands
    # of figures stays linear)
    ends = reading.figure_ends
    at = bisect.bisect_right(ends, figure.start)
    clause = clause_before(reading.text, figure.start,
                           since=max(sentence.start, ends[at - 1] if at else 0))
    named = year_mentions(clause)
    if len(named) != 1 or _YEAR_REFERENCE.search(clause[:named[0][0]]):
        return None
    return named[0][1]


RUNS_TO = re.compile(r"(?i)\b(?:matur\w*|due|expir\w*|terminat\w*|through|until)\s+(?:in\s+|on\s+)?"
                      r"(?:(?:fiscal|FY)\s*)?(?:\w+\s+(?:\d{1,2},\s+)?)?(?:19|20)\d\d\b")
# the company a question names: "Kestrel Labs' capital expenditure", "... for AMCOR"
_COMPANY = re.compile(r"\b(?:[A-Z][\w&.\-]*\s+){0,3}[A-Z][\w&.\-]*(?:'s|')(?=\s)|"
                      r"\b(for|of|at|by)\s+(?:[A-Z][\w&.\-]*\s*){1,3}(?=[\s?.,]|$)")
REPORTS_SOURCE = re.compile(r"(?i)\b(?:it|they|the (?:document|text|context|filing|excerpt|"
                             r"report|data|information|statements?))\s+(?:also\s+|only\s+)?"
                             r"(?:mentions|notes|states|says|shows|indicates|lists|discloses|"
                             r"reports?|mention|note|state|say|show|indicate|list|disclose)\b|"
                             r"\bmentioned\b")
_BASIS_AFTER = re.compile(r"(?i)\s*(?:per share\s+)?(?:on an? ([\w\-]+(?: [\w\-]+)?) basis|"
                          r"\((basic|diluted|adjusted|reported|gross|net)\))")
_BASIS_WORD = re.compile(r"(?i)\s+(basic|diluted|adjusted|unadjusted|reported)\b")
_LEVEL_BEFORE = re.compile(r"(?i)\b(?:was|were|is|of|at|totaled|came to)\s*$")
_INPUTS = re.compile(r"(?i),?\s+\b(?:based on|calculated as|computed as|derived from|calculated "
                     r"(?:by|from|using)|using|given)\b")
# a rank below the top: "the second-highest", "next largest"
RUNNER_UP = re.compile(r"(?i)\b(?:next|second|third|then)[- ](?:\w+[- ])?(?:\w+est|most)\b")
_FOLLOWED_BY = re.compile(r"(?i)\bfollowed by\b")
_POINTER_WORDS = frozenset(stem_set("represents representing amounts works comes translates means "
                                    "equals"))
_POINTS_BACK = re.compile(r"(?i)^\W*(?:this|that|which|it)\s+(?:represents|amounts to|works out "
                          r"to|comes to|translates (?:in)?to|means|is|was|equals)\b")


# the answer labelled as such ("**Answer: 10.3%**", "Short answer: $1.96B")
_ANSWER_NAMED = re.compile(r"(?i)\b(?:final|short|direct) answer\b|\banswer (?:is|:)")
# a period named by its place before the one asked ("a year earlier", "Prior year")
_PRIOR_PERIOD = re.compile(r"(?i)\b(?:(?:a|one) year (?:earlier|before|ago)|prior[- ](?:year|period)|"
                           r"previous (?:fiscal )?(?:year|period)|year[- ](?:earlier|ago)|last year)\b")


def metric_words(text: str) -> frozenset[str]:
    """The stems of what a question asks of its company, without the company's name
    ("Kestrel Labs' capital expenditure", "... for AMCOR") and its years."""
    return frozenset(t for t in stem_set(_COMPANY.sub(lambda m: f" {m.group(1) or ''} ", text))
                     if not any(c.isdigit() for c in t))


# a statement that rounds the result before it
_ROUNDS = re.compile(r"(?i)^\W*(?:so,?\s+)?(?:rounded|rounding)\b")
# the writer's pick among figures it offered ("I'll go with the gross figure, $1,577M"):
# its answer, whatever words name the pick
_GOES_WITH = re.compile(r"(?i)^\W*(?:so,?\s+|ultimately,?\s+|in the end,?\s+)?(?:(?:i|we)(?:'ll|'d| will| "
                        r"would)|let's)\s+(?:go|stick|settle) (?:with|on)\b|^\W*(?:going|"
                        r"sticking|settling) (?:with|on)\b")


# a range: "between roughly 1.7% and 2.2%", "in the 10-11% band", "16% to 17%"
_RANGE = re.compile(r"(?i)\bbetween\b[^.;]{0,30}?\d[^.;]{0,20}?\band\b|\d\s*(?:-|\u2013|to)\s*\d[\d.]*\s*%?\s*"
                    r"(?:band|range)\b")


# a part of an answer split into parts: "(a) ...", "b) ...", "(ii) ..."
_PART = re.compile(r"^\W{0,3}\(?(?:[a-e]|i{1,3}|iv|v)\)\s")
# the figure a range singles out: "most likely about 10.3%", "point estimate: 16.5%"
_POINT_ESTIMATE = re.compile(r"(?i)\b(?:most likely|(?:my |our )?(?:best|point|central) estimate"
                             r"(?: is| of)?|best guess(?: is)?|call it)[\s:,]*(?:about|around|roughly|"
                             r"approximately|~|\u2248)?\s*$")


def _point_estimate(text: str, figures: tuple[FinancialNumber, ...]
                    ) -> FinancialNumber | None:
    """Of ``figures``, the last one a point estimate singles out, if one does."""
    return next((f for f in reversed(figures)
                 if _POINT_ESTIMATE.search(text[max(0, f.start - 40):f.start])), None)


class Case:
    """One answer being graded: the readings of the answer and the gold, and shared checks."""

    def __init__(self, question: str, gold: GoldReading, answer: GradedText) -> None:
        self.question = question
        self.answer = answer
        self.gold = gold
        text = answer.text
        self.reading: AnswerReading = read_answer(text, question, tuple(gold.figures),
                                                  answer.closing)
        # "not stated. However, we can infer ...": it answers anyway (rule 5)
        self.refusals = [] if infers_anyway(text) else refusal_phrases(text)
        # the gold's sign, written ("-$3.2 billion") or worded ("$3.2 billion, a profit")
        written = {written_sign(k.figure) for k in gold.keys}
        self._gold_sign = -1 if written == {-1} else worded_sign(gold.text) if gold.keys else 0
        # a level written negative ("-6.4%" for an operating margin): the question and the
        # gold speak of no change, so the minus is the figure's own sign
        # (a minus, not parentheses: "in FY 2023 ($1.8 bn)" is an aside)
        # (a quantity named as a loss, "net loss", "outflow", carries its sign in its name)
        # (the question's own sentence: a definition after it, "CCC is defined as: DIO +
        # DSO - DPO ... change in inventory", names no change asked)
        asked = " ".join(part for part in re.split(r"(?<=[?.])\s", question.strip())
                         if not _DEFINES.search(part)) if question else ""
        level = bool(gold.keys) and bool(asked) and not CHANGE.search(asked) \
            and not CHANGE.search(gold.text) and not _NEGATIVE.search(asked) \
            and not _NEGATIVE.search(gold.text)
        # (a ratio or a share: an amount of money carries its sign in words, "net cash
        # used", "spent", "a loss of")
        self._negative_level = level and all(
            re.match(r"[-\u2212]\S", k.figure.raw) and not k.figure.currency
            for k in gold.keys)
        # an income below zero is a loss, written or worded ("-78", "Operating loss of $(327)
        # million"): "net income of $78 million" states a profit
        self._income_below_zero = self._gold_sign < 0 and bool(asked) and not CHANGE.search(
            asked) and _INCOME_ASKED.search(asked) is not None
        self._asked_scale = asked_scale(question)
        self.derived = (differences(self.reading.own_figures)
                        if gold.keys and CHANGE.search(gold.text) else [])

    def cite(self, figures: list[FinancialNumber] | tuple[FinancialNumber, ...]
             ) -> tuple[Cited, ...]:
        """The figures with their places in the answer as given, quoted as it writes them
        ("7.9\\%" where it was read as "7.9%")."""
        given = self.answer.given
        cited = []
        for figure in figures:
            start, end = self.answer.span(figure.start, len(figure.raw))
            # a count read from its word ("Three" read as "3") is cited as the word
            while 0 < end < len(given) and given[end - 1].isalpha() and given[end].isalpha():
                end += 1
            cited.append(Cited(given[start:end], start, end))
        return tuple(cited)

    def where(self, figures: list[FinancialNumber] | tuple[FinancialNumber, ...],
              limit: int = 3) -> str:
        """The figures as the answer writes them, with their character offsets."""
        shown = ", ".join(f'"{c.text}" (characters {c.start}-{c.end})'
                          for c in self.cite(figures[:limit]))
        return shown + (", ..." if len(figures) > limit else "")

    def statement(self, sentence: Sentence, limit: int = 90) -> str:
        """A statement of the answer, quoted (shortened) with its character offsets."""
        text = sentence.text if len(sentence.text) <= limit else sentence.text[:limit - 3] + "..."
        start, end = self.answer.span(sentence.start, len(sentence.text))
        return f'statement {sentence.index + 1} ("{text}", characters {start}-{end})'

    def _retracts(self, index: int) -> bool:
        """Whether the writer takes back what it wrote in statement ``index`` (:data:`RETRACTS`):
        one look at each statement, however often it is asked."""
        found = self._retracted.get(index)
        if found is None:
            sentences = self.reading.sentences
            found = 0 <= index < len(sentences) and bool(RETRACTS.search(sentences[index].text))
            self._retracted[index] = found
        return found

    @cached_property
    def _retracted(self) -> dict[int, bool]:
        return {}

    def about_question(self, sentence: Sentence) -> bool:
        """Whether a statement speaks of the question's subject: it shares a term with the
        question, or names no quantity at all ("= 1.33", "The answer is 1.33")."""
        # a statement labelled as the answer ("Final answer: $1,577 million (though I'd
        # double-check ...)") answers the question asked
        # (or under another label of the answer: "Result: 0.00447 per year")
        if ANSWER_GIVEN.match(sentence.text) or _GOES_WITH.match(sentence.text) \
                or ANSWER_LABEL.match(sentence.text):
            return True
        # (or that rounds the result before it: "Rounded to two decimals, as the question
        # asks, that's 0.01")
        if _ROUNDS.match(sentence.text):
            return True
        # so does one that corrects the answer, or follows the correction ("Walmart's DPO is
        # 42.78 days — correction, 42.69 days. I initially omitted ... = 42.69.")
        if self._retracts(sentence.index) or self._retracts(sentence.index - 1):
            return True
        terms = {t for t in question_terms(self.question) if not any(c.isdigit() for c in t)}
        # (and the metric an instruction names: "Calculate inventory turnover ratio for ...")
        for named in _CALCULATE.finditer(self.question):
            terms |= {t for t in stem_set(named.group(1)) if not any(c.isdigit() for c in t)}
        # a count given first ("Three: Industrial, Consumer and Health Care") is followed by
        # what it counts, or by its items
        figures = self.reading.figures_in(sentence)
        opens = bool(figures) and not sentence.text[:figures[0].start - sentence.start].strip(
            " \t*-#")
        if opens and COUNT_ASKED.search(self.question):
            return True
        # so is a figure given bare, before a dash that opens a remark on it ("$1,577
        # million — about 4.8% of FY2018 revenue")
        if opens and _REMARK_DASH.match(sentence.text, figures[0].start - sentence.start
                                        + len(figures[0].raw)):
            return True
        # a period ("In FY2024, ...") names no quantity, as in the question's terms
        # and a label ("Conclusion: 34.6%") names nothing either
        # the figures' own words ("34.6 per cent", "1,577 million US dollars") name nothing
        text = sentence.text
        for figure in reversed(self.reading.figures_in(sentence)):
            at = figure.start - sentence.start
            text = text[:at] + " " + text[at + len(figure.raw):]
        # an equation that opens with its operands ("(Cash + receivables) / current
        # liabilities = 0.54") names its result nowhere: the operands are its inputs
        # (but a label before them names it: "Growth: 480 / 1,260 = 38.1%")
        if _operands_first(text):
            head, text = re.split(r"[=\u2248]", text, maxsplit=1)
            if ":" in head:
                text = head.split(":", 1)[0] + " " + text
        # what a statement says after turning from refusal language ("I don't have the exact
        # figure, but it is approximately $442 million") is its claim
        turn = turned_to_answer(text)
        if turn is not None:
            text = text[turn:]
        said = {t for t in stem_set(unlabelled(text)) if not any(c.isdigit() for c in t)}
        # ("Yes, 6.25." confirms a figure; it names nothing; "45% Americas, 30% EMEA" names
        # what the gold's figures measure)
        if not terms or said & terms or not (said - _NEUTRAL - _NEAR - _AFFIRMS - _WAYS) \
                or said & self._gold_labels:
            return True
        # (a quantity under another of its names: "net sales" is the revenue asked, "net
        # earnings" the net income)
        if any(said & names and terms & names for names in _ONE_QUANTITY):
            return True
        # a statement that points back ("This represents a decline of 4.3%.") speaks of what
        # the one before it does
        if _POINTS_BACK.match(sentence.text) and sentence.index > 0:
            before = self.reading.sentences[sentence.index - 1]
            return not _POINTS_BACK.match(before.text) and self.about_question(before)
        return False

    @cached_property
    def _gold_labels(self) -> frozenset[str]:
        """The words that name the gold's figures ("Americas", "pension benefits")."""
        return frozenset().union(*(label_at(self.gold.text, k.figure.start, limit=3)
                                   for k in self.gold.keys)) - _NEUTRAL

    @cached_property
    def moves(self) -> list[tuple[FinancialNumber, FinancialNumber, frozenset[int]]]:
        """The changes the answer gives between two levels, with their years (read once: each
        subject check looks at them)."""
        return _moves(self.reading.text)

    def gold_is_figure(self) -> bool:
        """Whether the gold answers with its figures alone: besides them it says nothing the
        question does not already say but units, hedges and a direction ("$678.9 million",
        "An increase of $54.1 million", "Total liabilities were $678.9 million" for a question
        about total liabilities). Such a gold's figure is the answer whatever the question's
        wording, and an answer stating another figure is wrong however many words it shares."""
        if not self.gold.keys:
            return False
        text = self.gold.text
        for figure in parse_financial_numbers(text, keep_years=True):
            text = text[:figure.start] + " " * len(figure.raw) + text[figure.start + len(figure.raw):]
        rest = {t for t in stem_set(text) if not any(c.isdigit() for c in t)}
        return not (rest - stem_set(self.question) - _NEUTRAL)

    def same_quantity(self, figure: FinancialNumber, key: KeyFigure) -> bool:
        """Whether a figure of the answer may state the quantity a gold figure measures: the
        words naming the two share a word, or one of them is named by no word of its own
        ("The answer is 24.69 days", a gold that is a figure alone). An amount of money is
        never a percent."""
        if {figure_kind(figure), figure_kind(key.figure)} == {"money", "percent"}:
            return False
        label = label_at(self.reading.text, figure.start) - _NEUTRAL
        named = key.label - _NEUTRAL
        return not label or not named or bool(label & named)

    def asserted(self, figure: FinancialNumber) -> bool:
        """Whether the answer asserts ``figure``: not in an illustration, a conditional or
        hypothetical statement, or refusal language."""
        sentence = self.reading.sentence_at(figure.start)
        return (sentence is not None and figure in self.reading.result_figures(sentence)
                and not refusal_phrases(sentence.text))

    def gold_changes(self) -> list[KeyFigure]:
        """The changes the gold states as two levels ("dropped from 24.6% to 21.6%")."""
        # (or compares two levels: "How does the FY2022 rate compare to FY2021?")
        if len(self.gold.keys) < 2 or not (CHANGE.search(self.gold.text)
                                           or _COMPARE.search(self.question)):
            return []
        # (the two levels of the same kind; a third key is the change as a share: "declined
        # by 1.32%, from 982 stores to 969")
        kinds = [figure_kind(k.figure) for k in self.gold.keys]
        levels = [k.figure for k, kind in zip(self.gold.keys, kinds, strict=True)
                  if kinds.count(kind) == 2]
        if len(levels) != 2 or len(self.gold.keys) - len(levels) > 1:
            return []
        first, second = levels
        change = FinancialNumber(value=abs(second.value - first.value),
                                 raw=f"{first.raw} to {second.raw}", start=0,
                                 is_percent=first.is_percent, currency=first.currency,
                                 scale_explicit=first.scale_explicit and second.scale_explicit,
                                 decimals=min(first.decimals, second.decimals))
        return [KeyFigure(change, frozenset())]

    def matching(self, key: FinancialNumber,
                 figures: tuple[FinancialNumber, ...] | list[FinancialNumber]) -> list[
                     FinancialNumber]:
        # words may carry a sign ("a decline of 0.9%" for -0.9%), but an answer that writes
        # a minus sign does not state a positive bare-figure gold (-55.2% is not 0.551)
        # (nor, for a gold that is a bare positive figure, "0.2%", one with a minus: "-0.2%",
        # not "(0.2%)", which may be an aside)
        return [f for f in figures if figures_match(f, key, gold_scale=self._asked_scale)
                and not (self.gold.numeric and f.value < 0 < key.value)
                and not (self._bare_gold and f.value < 0 < key.value
                         and _MINUS.match(f.raw) is not None)
                and not self.opposite_sign(f)]

    @cached_property
    def _bare_gold(self) -> bool:
        # a gold that is its figure alone, unsigned: "0.2%", "$1,577.00"
        return bool(re.fullmatch(r"\s*\$?\d[\d,]*(?:\.\d+)?\s*%?\s*", self.gold.text))

    def opposite_sign(self, figure: FinancialNumber) -> bool:
        """Rule 2 on signs: figures are compared by size, since words usually carry the sign
        ("a loss of $3.2 billion" is -$3.2 billion), but an answer figure written negative
        ("-$3.2 billion") does not state a gold the gold calls positive ("$3.2 billion, a
        profit"), nor does one the answer calls a profit state a gold written negative or
        called a loss."""
        if not self._gold_sign:
            return False
        if written_sign(figure) < 0:
            return self._gold_sign > 0
        sentence = self.reading.sentence_at(figure.start)
        # (words anywhere in the answer may carry the sign: "posted an operating loss. Its
        # margin was 6.4%", "burned $41 million of cash")
        # (a way it went beside an income's level is its change, not its sign: "operating
        # income was $327 million, an improvement")
        level = self._income_below_zero and _LEVEL_BEFORE.search(
            self.reading.text[max(0, figure.start - 12):figure.start]) is not None
        if (self._negative_level or self._income_below_zero) and sentence is not None \
                and worded_sign(sentence.text) == 0 \
                and (level or direction(sentence.text) is None) and not _BELOW_ZERO.search(
                    self.reading.text) and not _NEGATIVE.search(self.reading.text):
            # an unsigned level that nothing calls negative states a positive one
            # ("The operating margin is 6.4%" for "-6.4%")
            return True
        return (self._gold_sign < 0 and sentence is not None
                and worded_sign(sentence.text) > 0)

    def matched_anywhere(self, key: FinancialNumber) -> list[FinancialNumber]:
        own = self.matching(key, self.reading.own_figures)
        if own:
            return own
        # a change met by two levels: cite the levels, which the answer does state
        for change, first, second in self.derived:
            if difference_matches(change, key):
                return [first, second]
        return []

    def committed(self, *, by_year: bool = True
                  ) -> tuple[tuple[FinancialNumber, ...], Sentence | None]:
        """The figures the answer commits to, and where (see ``AnswerReading.commitment``).

        With refusal language only a marked conclusion (or final equation) commits, and it
        commits even to a figure the question suggested ("if none, state 0"). Of several
        figures attached to years ("$1,577 million in 2017 and $1,600 million in 2018"),
        those of the year asked are the answer (``by_year``; without it, all of them: a
        change "in 2018" is between the levels of 2017 and 2018).
        """
        if self.refusals:
            figures, sentence = read_answer(self.reading.text,
                                            closing=self.reading.closing).commitment(
                concluded_only=True, excluding=declines_in_claim)
            spoken, asked = (years_of(sentence.text) if sentence is not None else set(),
                             years_of(self.question))
            if spoken and asked and not spoken & asked:
                # (a conclusion about another year than the one it declines to give: "I
                # can't give that figure. R&D was $310 million in FY2021, so ...")
                figures, sentence = (), None
            if sentence is None:
                figures, sentence = self._answered_anyway()
        else:
            figures, sentence = self.reading.committed
            first = self._answered_first(figures, sentence)
            if first is not None:
                figures, sentence = first
            change = self._change_after(sentence)
            if change is not None:
                figures, sentence = change
            # (the opening statement, and nothing concluded: the answer-first fallback)
            opening = sentence is not None and sentence.index == self.reading.sentences[0].index
            if (sentence is None or opening) and self.reading.concluded[1] is None:
                after = self._after_table()
                if after is not None:
                    figures, sentence = after
                elif sentence is not None:
                    figures, sentence = self._named_later(figures, sentence)
            if sentence is not None:
                figures, sentence = self._of_asked_kind(figures, sentence)
            part = self._asked_part(sentence)
            if part is not None:
                figures, sentence = part
        if len(figures) > 1 and len(self.gold.keys) == 1:
            # a figure the statement compares with ("34.2%, compared with 33.1% in Q2
            # FY2022") is not its answer
            # (unless it is the asked year's: "$4,620M in FY2022, up from $4,100M in FY2021"
            # answers "FY2021?" with $4,100M)
            text = self.reading.text
            wanted = years_of(self.question)

            def other_period(f: FinancialNumber) -> bool:
                # (the period its clause gives it, "33.1% in Q2 FY2022", is not asked; with no
                # period asked or given, it is a comparison all the same)
                end = f.start + len(f.raw)
                said = years_of(re.split(r"[,.;:]", text[end:end + 60], maxsplit=1)[0])
                return not (wanted and said and said & wanted)

            figures = tuple(f for f in figures if not (_COMPARED_WITH.search(
                text[max(0, f.start - 30):f.start]) and other_period(f))) or figures
        if len(figures) > 1 and sentence is not None:
            # what a statement says it is computed from is its inputs ("$757 million,
            # calculated as cash from operations of $1,044 million less capex of $287 million",
            # "about 2.1x, based on total debt of $3,120 million")
            inputs = _INPUTS.search(sentence.text)
            cut = sentence.start + inputs.start() if inputs is not None else None
            if cut is not None and any(f.start < cut for f in figures):
                figures = tuple(f for f in figures if f.start < cut)
        if len(figures) > 1 and sentence is not None:
            # a statement that corrects itself answers with what follows the correction
            # ("1.33 — correction, 1.29 (65,398 / 50,710)")
            taken_back = [m.end() for m in RETRACTS.finditer(sentence.text)]
            if taken_back:
                cut = sentence.start + taken_back[-1]
                figures = tuple(f for f in figures if f.start >= cut) or figures
        asked = years_of(self.question)
        if by_year and len(figures) > 1 and asked:
            # a figure given for another year ("$118.4 million (2023: $678.9 million)") is a
            # comparison, not the answer, when a figure for the year asked or for no named
            # year remains
            years = {f.start: self.year_of(f) for f in figures}
            figures = tuple(f for f in figures if years[f.start] in asked
                            or years[f.start] is None) or figures
        if sentence is not None and len(self.gold.keys) == 1:
            # (a point estimate within a range: "in the 10-11% band, most likely about 10.3%",
            # whatever working follows it in the statement)
            pointed = _point_estimate(self.reading.text, tuple(self.reading.figures_in(sentence)))
            if pointed is not None:
                figures = (pointed,)
        if len(figures) > 1 and len(self.gold.keys) == 1:
            # (a gold of two figures answers a comparison or a change: every figure counts)
            figures = self._best_named(figures)
        return figures, sentence

    def _asked_part(self, sentence: Sentence | None
                    ) -> tuple[tuple[FinancialNumber, ...], Sentence] | None:
        """An answer split into parts ("(a) FY2020 dividends: $389 million ... (b) FY2019
        dividends: $353 million, so the payout grew about 10%") answers the question in the
        part that speaks of what it asks, not in the last part's conclusion: of the parts that
        state a figure, the one of the year asked whose words name most of the question's
        (the first on a tie)."""
        reading = self.reading
        parts = [s for s in reading.sentences if _PART.match(s.text)
                 and s.start < reading.illustration_start]
        # (only when what it concludes on is one of the parts: a pick after the parts, "TL;DR:
        # (b)", "I'll go with the gross figure", is its answer)
        if len(parts) < 2 or sentence is None or all(p.index != sentence.index for p in parts):
            return None
        asked_years = years_of(self.question)
        metric = question_terms(self.question) & metric_words(self.question)

        def fit(part: Sentence) -> tuple[bool, int]:
            said = years_of(part.text)
            return (not asked_years or not said or bool(said & asked_years),
                    len(stem_set(part.text) & metric))

        stated = [(p, found) for p in parts if (found := reading.stated_results(p))
                  and not any(self.other_kind(f) for f in found)]
        if not stated:
            return None
        best = max(stated, key=lambda pf: (fit(pf[0]), -pf[0].index))
        return tuple(best[1]), best[0]

    def other_kind(self, figure: FinancialNumber) -> bool:
        """Whether ``figure`` is of another kind than every gold figure can be: an amount of
        money is never a percent (a bare figure may be either)."""
        return any({figure_kind(figure), figure_kind(k.figure)} == {"money", "percent"}
                   for k in self.gold.keys)

    def _change_after(self, sentence: Sentence | None
                      ) -> tuple[tuple[FinancialNumber, ...], Sentence] | None:
        """A change asked and answered after the levels: "FY2021: $1,020M; FY2022: $902M.
        Change: -$118M" answers with the change its label names, not with the levels."""
        if sentence is None or not CHANGE.search(self.question):
            return None
        reading = self.reading
        for later in reversed(reading.sentences[sentence.index + 1:]):
            stated = reading.stated_results(later)
            # (not a remark beside it: "Difference vs. peer (Beta Corp, 39.0%): +3.1 pp")
            if not stated or later.start >= reading.illustration_start \
                    or NOTE_LABEL.match(later.text) or REMARK_OPENING.match(later.text) \
                    or _REMARK.search(later.text):
                continue
            # (its label names the change; the levels' statement names none)
            head = reading.text[later.start:stated[0].start]
            first = reading.figures_in(sentence)
            # (of the gold's kind: "Change: -11.6%" is not the amount a gold gives)
            # (a direction word over the levels names no size: "increased from $903.1
            # million to $1,493.6 million" gives the levels, the next statement the change)
            lead = reading.text[sentence.start:first[0].start] if first else ""
            if len(head.split()) <= 6 and CHANGE.search(head) and first and not CHANGE.search(
                    _LEVELS_FROM.sub("", lead)) and not self.other_kind(stated[0]):
                return tuple(stated[:1]), later
            return None
        return None

    def _answered_first(self, figures: tuple[FinancialNumber, ...], sentence: Sentence | None
                        ) -> tuple[tuple[FinancialNumber, ...], Sentence] | None:
        """The answer it gives first, when a later statement it seems to conclude on states
        another quantity or another period: "**Answer: ≈ $8.7 billion** ... For
        reference, net PP&E was roughly $8.9 billion a year earlier, so the balance edged
        down" answers $8.7 billion; "$303 million. ... Prior year: $255M, so payables rose
        ~19%" answers $303 million. The first answer is the statement labelled as the answer
        ("Answer: 10.3%"), else the first statement of a figure when nothing comes before it
        but headings and lead-ins; it must state the gold's kind of figure and name nothing
        the question does not ask."""
        keys = self.gold.keys
        reading = self.reading
        if not keys or sentence is None:
            return None
        # (nor when the writer takes the opening back: "Wait, that figure is before ...")
        if _ANSWER_NAMED.search(sentence.text) or any(
                self._retracts(i) for i in range(sentence.index + 1)):
            return None
        earlier = reading.sentences[:sentence.index]
        first = next((s for s in reversed(earlier) if ANSWER_GIVEN.match(s.text)), None)
        if first is None and earlier and earlier[0].index == reading.sentences[0].index \
                and "=" not in earlier[0].text:
            first = earlier[0]
        # (a remark labelled as one, "comment: ...", gives no answer first)
        if first is None or NOTE_LABEL.match(first.text):
            return None
        opening = tuple(reading.stated_results(first))
        other_kind = self.other_kind
        # (one figure for one of the gold's: "Operating income is $1,196 million and D&A is
        # $636 million" gives the inputs of a sum, not an answer)
        if not opening or any(other_kind(f) or self._names_another(f) for f in opening) \
                or (len(keys) == 1 and len(opening) > 1) or not self.about_question(first):
            return None
        spoken, asked = years_of(sentence.text), years_of(self.question)
        metric = question_terms(self.question) & metric_words(self.question)

        def naming(f: FinancialNumber) -> frozenset[str]:
            # (every word of the clause before it, "total" too)
            return stem_set(" ".join(clause_before(reading.text, f.start).split()[-4:]))

        named = frozenset().union(*(naming(f) & metric for f in opening))

        def other_quantity(f: FinancialNumber) -> bool:
            # (named by other words and not by all the words naming the answer given first:
            # "I would estimate FCF at $1,157 million" still names the FCF, "net debt was
            # $3.4 billion" does not name the total debt)
            label = naming(f)
            if named and label & metric:
                return not named <= label
            return self._names_another(f)

        # (a change after a level, where the question asks no change: "Net PP&E was
        # essentially flat year over year (down $27 million)")
        changed = bool(figures) and not CHANGE.search(self.question) and all(
            stated_as_change(reading.text, f) for f in figures)
        # (a change asked and given first, "increased by 0.2 percentage points", then the
        # levels it is between: "FY2018: $20,437M / $500,343M = 4.1%" is its working)
        levels = bool(figures) and bool(CHANGE.search(self.question)) and all(
            stated_as_change(reading.text, f) for f in opening) and not any(
            stated_as_change(reading.text, f) for f in figures)
        # (or speaks of something else altogether: "For context, this is in addition to the
        # ~$13.2 billion of cash proceeds ...")
        if any(other_kind(f) or other_quantity(f) for f in figures) or changed or levels \
                or not self.about_question(sentence) \
                or (_PRIOR_PERIOD.search(sentence.text) and not _PRIOR_PERIOD.search(self.question)) \
                or (spoken and asked and not spoken & asked):
            return opening, first
        return None

    def _best_named(self, figures: tuple[FinancialNumber, ...]) -> tuple[FinancialNumber, ...]:
        """Of several figures each named by some of the question's words, those whose words
        name its quantity best ("gross margin was 34.6%, and its operating margin was 87.7%"
        answers "operating margin?" with 87.7%): of the (two) words naming each figure since
        the one before it, one the question shares counts for, one it lacks against; all of
        them on a tie, or when a figure is not named by the question's words (the inputs and
        their unnamed result: "Quick assets of $27.1 billion ... give 0.54")."""
        # (units and result words name no quantity: "(in USD millions, this would be
        # $5,466.312 million)")
        # (nor the company's name: "Acme reported EPS of $3.52, diluted $3.47" for "the
        # diluted EPS of Acme")
        asked = (question_terms(self.question) - _NEUTRAL) & metric_words(self.question)
        text = self.reading.text
        fit = {}
        since = 0
        for f in sorted(figures, key=lambda g: g.start):
            words = label_words(text, f.start, limit=2, since=since)
            # (and the basis written after it: "$3.47 basic and $3.41 diluted")
            basis = _BASIS_WORD.match(text, f.start + len(f.raw))
            if basis is not None:
                words.append(stem_set(basis.group(1)))
            if not any(w & asked for w in words):
                return figures
            # (word by word: "EPS" is one word, not the four stems it stands for; "ROE" is
            # not "ROA", though "return" is in both)
            fit[f.start] = sum(1 if w <= asked else -1 for w in words)
            since = f.start + len(f.raw)
        best = max(fit.values())
        if all(n == best for n in fit.values()):
            return figures
        return tuple(f for f in figures if fit[f.start] == best)

    def _answered_anyway(self) -> tuple[tuple[FinancialNumber, ...], Sentence | None]:
        """The figures a statement gives after turning from its refusal language ("The
        context does not explicitly state capex, but purchases of PP&E were $1,577
        million"): the last such statement's, or none."""
        reading = self.reading
        for sentence in reversed(reading.sentences):
            if sentence.start >= reading.illustration_start:
                continue
            after = turned_to_answer(sentence.text)
            if after is None:
                continue
            found = tuple(f for f in reading.stated_results(sentence)
                          if f.start >= sentence.start + after)
            if not found and not HYPOTHETICAL.search(sentence.text[after:]):
                # (the refusal language was the hypothetical: "I would need FY2021 data for an
                # average, but for FY2023 alone DSO is about 45 days")
                found = tuple(f for f in reading.figures_in(sentence)
                              if f.start >= sentence.start + after and not reading.in_quote(f))
            if found:
                return found, sentence
        return self._claimed_after_caveat()

    def _claimed_after_caveat(self) -> tuple[tuple[FinancialNumber, ...], Sentence | None]:
        """The figures of the answer's last plain claim of the asked quantity after its
        refusal language ("... appears to be incomplete, so please verify this against the
        full filing. Based on the information provided, capital expenditures for FY2022 were
        $1,300 million."): a caveat does not take back the claim that follows it, whether its
        figure is the gold's or not."""
        reading = self.reading
        # (of the asked quantity, named by the question's metric words, "capital expenditures
        # for FY2022 were ...", not another, "Total operating expenses were $1.9 billion", nor
        # the company's name or the year, "Kestrel Labs' FY2022 depreciation expense")
        terms = question_terms(self.question) & metric_words(self.question)
        asked = years_of(self.question)
        for sentence in reversed(reading.sentences):
            if sentence.start >= reading.illustration_start:
                continue
            if declines_in_claim(sentence.text):
                break  # (only what follows the refusal language)
            # (not what the source mentions instead, "However, it mentions relationships in
            # 103 countries", "The only security mentioned is ..."; not a remark on what is
            # typical, "Note: telecoms typically have DSO of 40-50 days"; not the runner-up,
            # "Europe was the second largest region at about 24%")
            if HYPOTHETICAL.search(sentence.text) or REPORTS_SOURCE.search(sentence.text) \
                    or _GENERAL.search(ASIDE.sub(" ", sentence.text)) \
                    or REMARK_OPENING.match(sentence.text) \
                    or re.match(_NOTE, sentence.text) \
                    or RUNNER_UP.search(sentence.text) or _FOLLOWED_BY.search(sentence.text):
                continue
            found = tuple(reading.stated_results(sentence))
            named = [label_at(reading.text, f.start, limit=3) & terms for f in found]
            spoken = years_of(sentence.text)
            # (of the asked period, not "R&D expense was $380 million in FY2021")
            if found and all(len(n) >= min(2, len(terms)) for n in named) \
                    and not (spoken and asked and not spoken & asked):
                return found, sentence
        return (), None

    def _in_table(self, sentence: Sentence) -> bool:
        """Whether ``sentence`` was read off a table of the answer as given."""
        start, end = self.answer.span(sentence.start, len(sentence.text))
        return "|" in self.answer.given[start:end]

    def _after_table(self) -> tuple[tuple[FinancialNumber, ...], Sentence] | None:
        """An answer that opens with a table of figures and states the asked quantity in
        prose after it ("| Inventories | 5,117 | 5,409 |" then "Year-end inventories were
        $5,117 million."): the statement after the table is its answer, the table its
        working; a remark after it ("Note that FY2020 payables were restated by $12
        million", "the industry median is about 60 days") is not."""
        reading = self.reading
        if "|" not in self.answer.given:
            return None
        first = next((s for s in reading.sentences if reading.figures_in(s)), None)
        if first is None or not self._in_table(first):
            return None
        tabled = [s for s in reading.sentences if self._in_table(s)]
        for sentence in reversed(reading.sentences[tabled[-1].index + 1:]):
            if sentence.start >= reading.illustration_start:
                continue
            stated = reading.stated_results(sentence)
            # (nor a general remark: "A quick ratio less than 1 may suggest that a company
            # could struggle")
            if stated and not NOTE_LABEL.match(sentence.text) \
                    and not ((REMARK_OPENING.match(sentence.text) or _REMARK.search(sentence.text))
                             and not concludes(sentence.text)) \
                    and not _GENERAL.search(sentence.text) \
                    and self.about_question(sentence) \
                    and stem_set(sentence.text) & question_terms(self.question):
                return tuple(stated), sentence
        return None

    def _of_asked_kind(self, figures: tuple[FinancialNumber, ...], sentence: Sentence
                       ) -> tuple[tuple[FinancialNumber, ...], Sentence]:
        """A rate asked is answered by a rate: amounts of money the answer opens with ("revenue
        declined from $14,612 million to $13,984 million") are the inputs of the share a
        later statement about the question gives ("This represents a decline of 4.3%")."""
        keys = self.gold.keys
        if not figures or not all(f.currency for f in figures) or not keys or any(
                k.figure.currency for k in keys):
            return figures, sentence
        reading = self.reading
        for later in reversed(reading.sentences[sentence.index + 1:]):
            found = tuple(f for f in reading.stated_results(later) if not f.currency
                          and figure_kind(f) in {figure_kind(k.figure) for k in keys} | {"percent"})
            if found and later.start < reading.illustration_start and self.about_question(later) \
                    and not any(self._names_another(f) for f in found):
                return found, later
        return figures, sentence

    def _names_another(self, figure: FinancialNumber) -> bool:
        """Whether the words naming ``figure`` name a quantity the question does not ask
        ("an operating margin of 12.5%" for the growth of operating income), beside the way
        it went ("a decline of 4.3%")."""
        terms = question_terms(self.question)
        label = label_at(self.reading.text, figure.start, limit=3)
        return bool(label - terms - _NEUTRAL - _POINTER_WORDS)

    def _named_later(self, figures: tuple[FinancialNumber, ...], opening: Sentence
                     ) -> tuple[tuple[FinancialNumber, ...], Sentence]:
        """The answer's last statement of a figure instead of its opening one, when it names
        more of what the question asks: an answer that gives its inputs first and its
        result last without marking it ("Operating income was $6,098 million on revenue of
        $17,606 million. The operating margin is 34.6%.") states the result last. An
        opening equation's result ("EBITDA is $1,196 million + $636 million = $1,832
        million.") is the answer first, whatever its working names after it."""
        reading = self.reading
        # (unless the writer takes it back: "DPO = 93.86 days. Hmm, wait — I used ending
        # payables ... DPO comes to 88.42 days.")
        if "=" in opening.text and not any(
                self._retracts(i) for i in range(opening.index + 1, len(reading.sentences))):
            return figures, opening
        # the last statement of a figure after the opening (from the end: one look each)
        # (a labelled note is a remark beside the answer: "Note: ..., so this figure
        # includes roughly $140M of software")
        last, stated = next(((s, found) for s in reversed(reading.sentences[opening.index + 1:])
                             if s.start < reading.illustration_start
                             and not NOTE_LABEL.match(s.text) and not offers_alternative(s.text)
                             and not BENCHMARK.search(s.text)
                             and (found := reading.stated_results(s))), (None, []))
        spoken = years_of(last.text) if last is not None else set()
        # the writer takes the opening back ("... wait, I had those reversed."): what
        # follows is the answer
        if last is not None and any(self._retracts(i)
                                    for i in range(opening.index, last.index + 1)):
            return tuple(stated), last
        # (nor a remark on another quantity after it: "FCF ≈ $3.215 billion. ... FCF
        # conversion was strong: ~147% of net earnings"; nor a figure of another kind than the
        # gold's: "a decrease of $118M. Change: -11.6%")
        if last is None or (spoken and not spoken & years_of(self.question)) or (
                any(self._names_another(f) for f in stated)
                and not any(self._names_another(f) for f in figures)) or (
                any(self.other_kind(f) for f in stated)
                and not any(self.other_kind(f) for f in figures)):
            # (a statement of another period only is a comparison: "In FY2021 it was 36.8%.")
            return figures, opening
        # (the period names no quantity: "FY2020: 3.9%, FY2021: 4.0%, ..." names none of
        # "the 3-year average ... from FY2020 to FY2022", "Average: 4.1%." does)
        asked = {t for t in question_terms(self.question) if not any(c.isdigit() for c in t)}
        named, opened = (len(stem_set(s.text) & asked) for s in (last, opening))
        # on a tie, a ratio asked ("operating margin") is stated by a ratio, not by the
        # amounts of the opening ("Operating income was $6,098 million ...")
        kind = (_RATIO_ASKED.search(self.question) is not None
                and all(f.currency for f in figures)
                and any(not f.currency for f in stated))
        if named > opened or (named == opened and named and kind):
            return tuple(stated), last
        # (an opening of several figures where one is asked, a range or the yearly values,
        # singles none out: "between roughly 1.7% and 2.2% (2.2%, 1.7%, 1.8%). The three-year
        # average lands at about 1.9%")
        pointed = _point_estimate(reading.text, tuple(stated))
        single = (pointed,) if pointed is not None else tuple(stated)
        if last is not None and len(self.gold.keys) == 1 and len(single) == 1 and named and (
                len(figures) > 2 or (len(figures) == 2 and _RANGE.search(opening.text))):
            return single, last
        return figures, opening

    def year_of(self, figure: FinancialNumber) -> int | None:
        """The year a figure of the answer is given for (see :func:`year_given`)."""
        return year_given(self.reading, figure)

    @cached_property
    def _gold_years(self) -> dict[int, int]:
        """The year each of the gold's figures is given for, by its offset in the gold."""
        reading = read_answer(self.gold.text)
        found = {f.start: year_given(reading, f) for f in reading.own_figures}
        return {start: year for start, year in found.items() if year is not None}

    def other_quarter(self) -> str | None:
        """The answer's figures are all given in statements of another quarter than the one
        quarter the question asks ("3M's Q1 FY2023 revenue" for "Q2 FY2023")."""
        asked = _quarters(self.question)
        if len(asked) != 1:
            return None
        said = [_quarters(s.text) for s in self.reading.sentences
                if s.start < self.reading.illustration_start and self.reading.figures_in(s)]
        named = set().union(*said)
        if not named or named & asked or any(not q for q in said):
            return None
        return (f"speaks of {', '.join(sorted(named))}, not of the quarter asked "
                f"({next(iter(asked))})")

    def metric_named(self, figure: FinancialNumber) -> tuple[str, str] | None:
        """Another metric of the question's family that the words naming ``figure`` in its
        clause name ("gross" where the question asks the "COGS" margin; see
        :func:`agility.metrics._metric_names.other_metric`)."""
        sentence = self.reading.sentence_at(figure.start)
        # a basis named after the figure names it ("$3.52 on a basic basis and $3.47 on a
        # diluted basis"), not the clause before it
        after = _BASIS_AFTER.match(self.reading.text, figure.start + len(figure.raw))
        if after is not None:
            return other_metric(self._asked, after.group(1) or after.group(2))
        since = sentence.start if sentence is not None else 0
        label = clause_before(self.reading.text, figure.start, since)
        if _operands_first(label):
            return None
        # an equation's result is named before its operands ("Gross margin = (Revenue - cost
        # of revenue) / revenue = 34.6%")
        return other_metric(self._asked, re.split(r"[=\u2248]", label, maxsplit=1)[0])

    @cached_property
    def _asked(self) -> str:
        """The question's proposition, its asides included."""
        return proposition(self.question, asides=True)

    def given_for_other_year(self, figures: list[FinancialNumber]) -> int | None:
        """The year ``figures`` are all given for, when it is not the one year the question
        asks and the answer gives a figure of their kind for that year ("| FY2022 | 36.8% |
        | FY2021 | 34.6% |" for FY2022's margin): the gold's figure read off another year's
        row."""
        asked = years_of(self.question)
        if len(asked) != 1 or not figures:
            return None
        given = [self.year_of(f) for f in figures]
        year = given[0]
        if year is None or year in asked or any(y != year for y in given):
            return None
        kinds = {figure_kind(f) for f in figures}
        if not any(self.year_of(f) in asked and figure_kind(f) in kinds
                   for f in self.reading.own_figures):
            return None
        return year

    def swapped_years(self, hits: list[tuple[KeyFigure, FinancialNumber]]
                      ) -> tuple[KeyFigure, FinancialNumber, int, int] | None:
        """A gold figure the answer gives for another of the gold's years ("$5.6 billion in
        FY2021" for a gold "FY2022: $5,600 million"), when the gold gives figures for
        several years: the key, the answer's figure, the gold's year and the answer's."""
        if len(self.gold.years) < 2:
            return None
        years = self._gold_years
        if len(set(years.values())) < 2:
            return None
        for key, figure in hits:
            gold_year = years.get(key.figure.start)
            said = self.year_of(figure)
            if gold_year and said and said != gold_year and said in years.values():
                return key, figure, gold_year, said
        return None

    def conflicts(self) -> list[tuple[KeyFigure, FinancialNumber]]:
        """Answer figures that give another value for a quantity the gold states (the same
        kind of figure, in a statement that names the gold figure's quantity)."""
        found = []
        asked = question_terms(self.question)
        matched = [k for k in self.gold.keys if self.matched_anywhere(k.figure)]
        # the change between the gold's two levels ("rose from 41.2% to 43.0%") is no other
        # value of either level: "increased 1.8 percentage points" says what they say
        changes = [k.figure for k in self.gold_changes()]
        for key in self.gold.keys:
            counts = counted_noun(self.gold.text, key.figure)
            if not (key.label or counts) or key in matched:
                continue
            # the answer states a sibling figure of the same quantity ("from 982 stores to
            # 969"): the gold's other figures are not contradicted by its other levels
            if any(figure_kind(m.figure) == figure_kind(key.figure)
                   and len(m.label & key.label) >= min(2, len(key.label)) for m in matched):
                continue
            for figure in self.reading.own_figures:
                if figure.start >= self.reading.illustration_start:
                    break
                # (nor does a coarse rounding of the gold's own value, "about $0.2 billion"
                # for $229 million: too coarse to state it, it gives no other value)
                if figure_kind(figure) != figure_kind(key.figure) \
                        or figures_match(figure, key.figure, coarse=True) \
                        or self.reading.is_operand(figure) or self.reading.in_quote(figure) \
                        or any(difference_matches(figure, c) for c in changes) \
                        or (stated_as_change(self.reading.text, figure)
                            and not stated_as_change(self.gold.text, key.figure)):
                    # ("fell by 13 stores" is a change, no other level of the gold's "982
                    # stores")
                    # a passage the answer quotes is the source's evidence, not a value the
                    # answer gives
                    continue
                # a count is named by what it counts: "907 stores" is another number of the
                # gold's "982 stores", whatever words precede the two
                if counts is not None and counted_noun(self.reading.text, figure) == counts:
                    found.append((key, figure))
                    break
                if not key.label:
                    continue
                # the same quantity: the words naming the answer's figure name the gold's
                label = label_at(self.reading.text, figure.start)
                if not label - _NEUTRAL:
                    # the result of the answer's own calculation that no word names ("FY2023:
                    # (689 + 1,875) / 4,476 = 0.57"; units name nothing) measures what the
                    # question asks; so does a gold figure named by the question's words ("the
                    # quick ratio")
                    if self._unnamed_result(figure) and len(
                            key.label & asked) >= min(2, len(key.label)):
                        found.append((key, figure))
                        break
                    continue
                if len(label & key.label) < min(2, len(key.label), len(label)):
                    continue
                found.append((key, figure))
                break
        return found

    def _unnamed_result(self, figure: FinancialNumber) -> bool:
        """Whether ``figure`` is the result of an equation of the answer ("... = 0.57")."""
        sentence = self.reading.sentence_at(figure.start)
        if sentence is None or "=" not in sentence.text[:figure.start - sentence.start]:
            return False
        return figure in self.reading.result_figures(sentence)

    def other_period(self) -> str | None:
        """A reason when the answer speaks only of years, or of quarters, the question does
        not ask about."""
        quarter = self.other_quarter()
        if quarter is not None:
            return quarter
        asked = years_of(self.question)
        if not asked:
            return None
        asked |= set(self.gold.years)
        # the years of the statements that give figures: restating the question's period
        # and then quoting figures of another year is speaking of another year
        # (a date an item runs to, "a facility maturing in 2028", "Notes due 2029", is no period
        # the statement speaks of)
        # (unless the gold names it too: "Notes due 2026 and 2028")
        giving = [s.text for s in self.reading.sentences
                  if s.start < self.reading.illustration_start and self.reading.figures_in(s)]
        said = {y for t in giving for y in years_of(RUNS_TO.sub(" ", t))} | (
            {y for t in giving for y in years_of(t)} & asked)
        near = {y + d for y in asked for d in (-1, 0, 1)}
        if said and not said & near:
            shown = ", ".join(str(y) for y in sorted(said)[:4])
            return (f"speaks of {shown}, not of the period asked "
                    f"({', '.join(str(y) for y in sorted(asked))})")
        return None


_MOVE_YEAR = re.compile(r"\s+(?:in|for)\s+(?:fiscal\s+|FY\s?)?(?:19|20)\d\d\b")


def _moves(text: str) -> list[tuple[FinancialNumber, FinancialNumber, frozenset[int]]]:
    """The (from, to) levels a text moves between (:func:`agility.metrics._stance.
    level_moves`), with the years it names for them: those before the move in its sentence,
    in it, and right after it ("from 24.9% to 25.0% in FY2023")."""
    found = []
    for earlier, later, m in level_moves(text):
        start = max(text.rfind(". ", 0, m.start()), text.rfind("\n", 0, m.start())) + 1
        after = _MOVE_YEAR.match(text, m.end())
        found.append((earlier, later, frozenset(years_of(text[start:after.end() if after
                                                                else m.end()]))))
    return found


def _other_end(case: Case) -> Judgement | None:
    """A change the gold gives between two levels, given by the answer from one of them to
    another level ("rose from $1.2 billion to $2.65 billion" for "from $1.20B to $1.65B"):
    the answer's other end is another value of the gold's."""
    for start, end, years in _moves(case.gold.text):
        for said_start, said_end, said_years in case.moves:
            # (between the same periods: "from 26.84% to 32.59%" from FY2022 to FY2023 is
            # no other end of the gold's FY2022-FY2024 change)
            if years and said_years and years != said_years:
                continue
            for gold_same, gold_other, said_same, said_other in (
                    (start, end, said_start, said_end), (end, start, said_end, said_start)):
                if figures_match(said_same, gold_same) and not figures_match(
                        said_other, gold_other) and not figures_match(gold_other, said_other):
                    return Judgement("incorrect", f"gives the change as between "
                                                  f"{said_start.raw} and {said_end.raw}; the "
                                                  f"gold's is between {start.raw} and "
                                                  f"{end.raw}")
    return None


def refusal(case: Case) -> Judgement:
    return Judgement("refusal", "declines or says the information is missing ("
                     + ", ".join(case.refusals) + ") and commits to no answer")


def turned(case: Case, sentence: Sentence | None,
           figures: list[FinancialNumber] | tuple[FinancialNumber, ...] = ()
           ) -> Judgement | None:
    """Rule 2 for a gold stated as a change one way ("An increase of $54.1 million"): a
    statement giving the gold's size must not say it went the other way ("decreased by $54.1
    million" states another figure, -54.1). A figure written negative says down itself,
    whatever its statement's words ("organic growth by segment: ..., Consumer -0.9%")."""
    gold_way = direction(case.gold.text)
    if gold_way is None and CHANGE.search(case.question) and case.gold.keys and all(
            written_sign(k.figure) < 0 for k in case.gold.keys):
        # a change asked for and a gold written negative ("organic growth?" "-0.9%") says down
        gold_way = "down"
    said_way = direction(sentence.text) if sentence is not None else None
    if any(written_sign(f) < 0 for f in figures):
        said_way = "down"
    if sentence is None or gold_way is None or said_way is None or said_way == gold_way:
        return None
    return Judgement("incorrect", f"says it went {said_way} in {case.statement(sentence)}; the "
                                  f"gold says {gold_way}")


# the words naming a figure after it: "$862 million in pension benefits", "45% Americas",
# "- 25%: Americas"
# (up to a word that starts another clause: "DSO is 61.2 days and DPO is 44.7 days" names
# nothing after 61.2)
_NAMED_AFTER = re.compile(r"(?i)(?:[ \t]+(?:million|billion|thousand|days|times))?(?::[ \t]*|[ \t]+"
                          r"(?:(?:in|of|for|from)[ \t]+)?)((?:(?!(?:and|or|but|while|whereas|versus|"
                          r"vs|compared|is|was|were|are|days|times|million|billion|thousand)\b)"
                          r"[a-z&\-]+\b[ \t]*){1,5})")


def swapped_labels(case: Case, pairs: list[tuple[KeyFigure, FinancialNumber]]
                    ) -> Judgement | None:
    """A gold figure the answer names as another of the gold's figures ("DSO is 52.1 days
    and DPO is 38.5 days" for "DSO: 38.5 days; DPO: 52.1 days"), says went the other way
    ("international sales grew 0.6%" for "international sales decline of 0.6%"), or gives for
    another of the gold's years ("FY2021: 23%" for "23% in FY2022")."""
    return _relabelled(case, pairs) or _turned_around(case, pairs) or _other_year(case, pairs)


def _other_year(case: Case, pairs: list[tuple[KeyFigure, FinancialNumber]]
                ) -> Judgement | None:
    swapped = case.swapped_years(pairs)
    if swapped is None:
        return None
    key, figure, gold_year, said_year = swapped
    return Judgement("incorrect", f"gives {case.where([figure])} for {said_year}; the gold "
                                  f"gives {key.figure.raw} for {gold_year}", case.cite([figure]))


_MINUS = re.compile(r"[-\u2212]\S")
_CALLED_NEGATIVE = re.compile(r"(?i)\bnegative\s+(?:\w+\s+){0,3}$")
# a change named right after its figure: "a 0.6% decline", "3.0% growth"
_WAY_AFTER = re.compile(r"\s*(?:percent\b|%)?\s*(?:points?\s+)?([a-z]+)")


def _way_of(text: str, figure: FinancialNumber, since: int) -> str | None:
    """The way the clause of a figure says it went: "increased 3.0%", "a decline of 0.6%",
    "a 0.6% decline"; none when it says both ways or neither. A figure written negative
    ("(0.9%)", "-0.9%", "negative growth of 0.9%") went down, whatever word names it."""
    clause = clause_before(text, figure.start, since)
    if written_sign(figure) < 0 or _CALLED_NEGATIVE.search(clause):
        return "down"
    after = _WAY_AFTER.match(text, figure.start + len(figure.raw))
    return direction(clause) or (direction(after.group(1)) if after else None)


def _turned_around(case: Case, pairs: list[tuple[KeyFigure, FinancialNumber]]
                   ) -> Judgement | None:
    # (of figures compared: one figure's "gain of $20 billion" names no way it went)
    if len(case.gold.keys) < 2:
        return None
    gold, since, ways = case.gold.text, 0, {}
    for key in sorted(case.gold.keys, key=lambda k: k.figure.start):
        ways[key.figure.start] = _way_of(gold, key.figure, since)
        since = key.figure.start + len(key.figure.raw)
    text = case.reading.text
    for key, figure in pairs:
        wanted = ways.get(key.figure.start)
        if wanted is None:
            continue
        before = max((f.start + len(f.raw) for f in case.reading.own_figures
                      if f.start < figure.start), default=0)
        said = _way_of(text, figure, before)
        if said is not None and said != wanted:
            return Judgement("incorrect", f"says {case.where([figure])} went {said}; the gold "
                                          f"says {key.figure.raw} went {wanted}",
                             case.cite([figure]))
    return None


def _relabelled(case: Case, pairs: list[tuple[KeyFigure, FinancialNumber]]
                ) -> Judgement | None:
    keys = case.gold.keys
    if len(keys) < 2 or not pairs:
        return None
    gold, since, named = case.gold.text, 0, {}
    for key in sorted(keys, key=lambda k: k.figure.start):
        # (the label the gold writes before each figure, "DSO: 38.5 days; DPO: 52.1 days",
        # "Americas 45%, EMEA 30%")
        label = frozenset().union(*label_words(gold, key.figure.start, limit=3, since=since,
                                               through_colon=True))
        # (a list's items are set apart: "from 0.67 times to 0.69 times" gives two levels of
        # one quantity, not two labelled figures)
        if not label or (since and not re.search(r"[,;\n]|\b(?:and|vs|versus|while|whereas)\b",
                                                 gold[since:key.figure.start])):
            return None
        named[key.figure.start] = label
        since = key.figure.start + len(key.figure.raw)
    text = case.reading.text
    for key, figure in pairs:
        # ("DSO and DPO were 38.5 and 52.1 days, respectively": in the order named)
        sentence = case.reading.sentence_at(figure.start)
        if sentence is not None and re.search(r"(?i)\brespectively\b", sentence.text):
            continue
        # (a figure that states another of the gold's figures is that one: "0.54" also
        # rounds to the gold's benchmark "1")
        if any(other is not key and figures_match(figure, other.figure) for other in keys):
            continue
        own = named[key.figure.start]
        others = frozenset().union(*(n for at, n in named.items() if at != key.figure.start))
        if not own - others:
            continue
        before = [f.start + len(f.raw) for f in case.reading.own_figures if f.start < figure.start]
        # ("Products gross margin was 70.8%": the label may come before the metric's name)
        said = frozenset().union(*label_words(text, figure.start, limit=4,
                                              since=max(before, default=0), through_colon=True))
        # (named after it: "$1,097 million in pension benefits and $862 million in health
        # care and life benefits", where the words before $862 million name the first)
        after = _NAMED_AFTER.match(text, figure.start + len(figure.raw))
        if after is not None and stem_set(after.group(1)) & (own - others):
            continue
        # ("$862 million in pension benefits" for the gold's "pension benefits were $1097
        # million")
        if after is not None and not said & (own - others):
            said = stem_set(after.group(1))
        if said & (others - own) and not said & (own - others):
            return Judgement("incorrect", f"names {case.where([figure])} as another of the "
                                          f"gold's figures ({gold_raws(keys)})",
                             case.cite([figure]))
    return None


def subject_checks(case: Case) -> Judgement | None:
    """Rule 4: another value for the gold's quantity, or another period."""
    moved = _other_end(case)
    if moved is not None:
        return moved
    conflicts = case.conflicts()
    if conflicts:
        figures = list({f.start: f for _, f in conflicts}.values())
        keys = [k for k, _ in conflicts]
        return Judgement("incorrect", f"states {case.where(figures)} for the quantity the gold "
                                      f"gives as {gold_raws(keys)}", case.cite(figures))
    period = case.other_period()
    if period:
        return Judgement("incorrect", period)
    return None
