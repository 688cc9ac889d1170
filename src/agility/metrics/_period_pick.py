"""Rule 8 of the correctness grader: a question that offers periods as its options.

"Which year had higher revenue, 2022 or 2023?", "In which of FY2022 and FY2023 was the
margin higher?": the question states two (or more) years and names none of them as the
period of a figure; they are the options, and the gold picks one ("2023", "Revenue was
higher in FY2023."). The year is then the answer. Read as a figure, a gold "2023" is the
number 2,023; read as words, "It was higher in 2022." shares "higher" with "Revenue was
higher in 2023." Neither says whether the answer picked the gold's year, so the grader judges
the pick: the year the answer's concluding statement names (else the first statement that
names one of the years offered), in the clause after its last conclusion marker ("..., so
2023 was higher"), else the year it names first (the subject of "FY2023 comes out ahead of
FY2022").
"""

from __future__ import annotations

import re

from agility.metrics._answer import AnswerReading, Sentence, concludes, years_of

__all__ = ["offered_periods", "picked_period"]

# "which year", "in which of", "2022 or 2023", "when did": the question asks for a period
_PERIOD = r"(?:(?:fy|fiscal(?: year)?)\s*'?\d{2,4}|(?:19|20)\d\d)\b"
_CHOICE = re.compile(r"(?i)\bwhich (?:of (?:the|these|those) )?(?:fiscal )?(?:years?|periods?|"
                     r"quarters?)\b|\bin which of\b|\bwhen did\b|"
                     rf"\b{_PERIOD}\s*,?\s+or\s+(?:in\s+|during\s+)?{_PERIOD}")
# the clause after the last conclusion marker carries the pick ("..., so 2023 was higher")
_MARKER = re.compile(r"(?i)\b(?:so|therefore|thus|hence|which means|meaning)\b")
_YEAR_AT = re.compile(r"(?i)\b(?:fy|fiscal(?: year)?)?\s*'?\d{2,4}\b")
_CLAUSE = re.compile(r"(?i)[,;(]|\b(?:against|versus|vs\.?|compared (?:with|to)|whereas|"
                     r"while|than)\b")


def offered_periods(question: str, gold: str) -> tuple[frozenset[int], int] | None:
    """(the years offered, the gold's pick) when the question offers years as its options
    and the gold picks exactly one of them; else None."""
    offered = frozenset(years_of(question))
    if len(offered) < 2 or not _CHOICE.search(question):
        return None
    picked = years_of(gold) & offered
    if len(picked) != 1:
        return None
    return offered, next(iter(picked))


def _pick_in(text: str, offered: frozenset[int]) -> int | None:
    markers = list(_MARKER.finditer(text))
    tail = text[markers[-1].end():] if markers else text
    for part in (tail, text) if markers else (text,):
        for clause in _CLAUSE.split(part):
            named = years_of(clause) & offered
            if len(named) == 1:
                return next(iter(named))
    # both in one clause ("FY2023 comes out ahead of FY2022"): the subject, named first
    for match in _YEAR_AT.finditer(tail):
        named = years_of(match.group(0)) & offered
        if named:
            return next(iter(named))
    return None


def picked_period(reading: AnswerReading, offered: frozenset[int]
                  ) -> tuple[int, Sentence] | None:
    """The year the answer picks among ``offered``, and the statement that picks it."""
    naming = [s for s in reading.sentences if s.start < reading.illustration_start
              and years_of(s.text) & offered]
    if not naming:
        return None
    concluding = [s for s in naming if concludes(s.text) or _MARKER.search(s.text)]
    for sentence in (concluding[-1:] or []) + naming:
        year = _pick_in(sentence.text, offered)
        if year is not None:
            return year, sentence
    return None
