"""Names of financial metrics that differ by one qualifier: gross, operating or net margin;
the quick, current or cash ratio; basic or diluted EPS; free or operating cash flow;
adjusted or GAAP figures; organic or reported growth.

An answer that gives the gold's figure for a metric of the same family as the question's,
but named by another member ("Coca Cola's FY2021 gross margin was 39.7%" for "What is the
COGS % margin?"), answers another question, whatever words the two names share ("margin").
"""

from __future__ import annotations

import functools
import re

__all__ = ["other_metric"]

# Each family: the qualifiers that tell its metrics apart, each with its synonyms. A question
# naming exactly one member of a family asks for that metric.
_FAMILIES: list[list[tuple[str, re.Pattern[str]]]] = [
    [(name, re.compile(rf"(?i)\b(?:{words})\b")) for name, words in family] for family in [
        # what an income figure or margin is taken after
        [("gross", r"gross"), ("operating", r"operating|operations|EBIT"),
         ("net", r"net|bottom[- ]line"), ("pre-tax", r"pre-?tax|before (?:income )?taxes"),
         ("EBITDA", r"EBITDA"), ("COGS", r"COGS|cost of (?:goods|sales|revenue)")],
        [("quick", r"quick|acid[- ]test"), ("current", r"current"), ("cash", r"cash ratio")],
        [("basic", r"basic"), ("diluted", r"diluted")],
        # what a growth rate or a figure is of: the top line or a profit
        [("revenue", r"revenues?|sales|top[- ]line"),
         ("income", r"income|earnings|profits?|EPS|EBITDA|EBIT")],
        [("effective", r"effective"), ("statutory", r"statutory|federal")],
        # adjusted against GAAP figures, organic against reported growth
        [("adjusted", r"adjusted|non-GAAP|pro[- ]forma"),
         ("GAAP", r"(?<!non-)GAAP|unadjusted|as reported")],
        [("organic", r"organic|comparable|like-for-like|same-store|constant[- ]currency"),
         ("reported", r"as reported|reported (?:revenue|net sales|sales|growth)|nominal")],
        [("free", r"free|FCF"), ("operating", r"operating|operations|CFO"),
         ("investing", r"investing"), ("financing", r"financing")],
    ]]


def _members(family: list[tuple[str, re.Pattern[str]]], text: str) -> set[str]:
    return {name for name, pattern in family if pattern.search(text)}


@functools.lru_cache(maxsize=1024)
def _asked(question: str) -> tuple[tuple[int, str], ...]:
    """The families the question asks one member of, with that member."""
    found = []
    for index, family in enumerate(_FAMILIES):
        members = _members(family, question)
        if len(members) == 1:
            found.append((index, next(iter(members))))
    return tuple(found)


def other_metric(question: str, label: str) -> tuple[str, str] | None:
    """Whether ``label`` (the words naming an answer's figure) names another metric of a
    family the question asks for one member of: the label's member and the question's
    ("gross", "COGS"); None when it names the question's own, or none of the family."""
    for index, asked in _asked(question):
        said = _members(_FAMILIES[index], label)
        if said and asked not in said:
            return sorted(said)[0], asked
    return None
