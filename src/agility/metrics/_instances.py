"""What a yes names: the instances a yes/no answer gives for its yes ("Yes, his name is
Richard A. Johnson"; "Yes. These categories are Commercial Airplanes ... and Services").

A question that asks whether there are any of a kind ("Were there any nominees who ...?",
"Are there any categories that ...?") is answered yes by naming them. When the gold names
them and the answer's yes names others and none of the gold's, the answer says yes of
something else: it is incorrect (rule 3 of :mod:`agility.metrics._correctness`).
"""

from __future__ import annotations

import re

from agility.metrics._answer import AnswerReading, Sentence
from agility.metrics._stance import stem_set

__all__ = ["named_instances", "other_instances", "without_runner_ups"]

# "Are there any ...", "Were there any ...", "Is there a ...": the question asks for instances
_ASKS_ANY = re.compile(r"(?i)^\W*(?:are|were|is|was)\s+there\s+(?:any|a|an|one)\b")
# A name: capitalised words, with initials and joining words inside ("Richard A. Johnson",
# "Defense, Space & Security" is three), not the first word of a statement
_NAME = re.compile(r"\b[A-Z][a-z][\w'\-]*(?:\s+(?:[A-Z]\.\s+)?[A-Z][a-z][\w'\-]*)*")
_STATEMENT_START = re.compile(r"(?:^|[.!?:\n]\s*|^\W*(?:[-*\u2022]|\d{1,2}[.)])\s*)$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022]|\(?\d{1,2}[.)])\s+([^(:,\n]{2,80})")
# capitalised words that name no instance
_NOT_NAMES = frozenset(["yes", "no", "the", "these", "those", "this", "that", "there", "fy",
                        "q1", "q2", "q3", "q4", "based", "however", "therefore", "according",
                        "total", "revenue", "revenues", "ms", "mr", "mrs", "dr"])


# what names a runner-up beside the pick: the words after "followed by" or "ahead of", the
# clause of "... was a distant second"
_AFTER_RUNNER_UP = re.compile(r"\b(?i:(?:followed|trailed)\s+by|ahead\s+of)\b"
                              r"(?:\b[A-Z]\.|[^.;\n])*")
_RUNNER_UP_MARK = re.compile(r"(?i)\b(?:(?:a\s+)?(?:distant|close)\s+second|runners?[- ]up|"
                             r"(?:came|ranked|placed|was)\s+second|second[- ](?:highest|largest|"
                             r"lowest|biggest|smallest|most))\b[^.;,\n]*")
# a clause's start: a break that is no initial's period ("Richard A. Johnson")
_CLAUSE_START = re.compile(r"[;,\n]|(?<!\b[A-Z])\.")


def without_runner_ups(text: str) -> str:
    """``text`` without what it names as runners-up beside its pick ("Underhill drew the most
    against votes; Johnson was a distant second", "Gaming grew most, followed by Data
    Center")."""
    if not _AFTER_RUNNER_UP.search(text) and not _RUNNER_UP_MARK.search(text):
        return text
    text = _AFTER_RUNNER_UP.sub(" ", text)
    spans = []
    for mark in _RUNNER_UP_MARK.finditer(text):
        # (from the clause's start, found backwards from the mark: one pass, not one per start)
        starts = [m.end() for m in _CLAUSE_START.finditer(text, max(0, mark.start() - 200),
                                                          mark.start())]
        spans.append((starts[-1] if starts else max(0, mark.start() - 200), mark.end()))
    for begin, end in reversed(spans):
        text = text[:begin] + " " + text[end:]
    return text


def named_instances(text: str, question: str, *, opening: bool = False) -> dict[str, str]:
    """The names ``text`` gives that the question does not (stem -> the name as written):
    capitalised words inside a statement, not its first word (``opening``: also a name of
    two or more words that opens it, "Target Corporation accounted for 12%")."""
    asked = stem_set(question)
    names: dict[str, str] = {}
    for found in _NAME.finditer(text):
        if _STATEMENT_START.search(text[max(0, found.start() - 8):found.start()]) and not (
                opening and len(found.group().split()) >= 2):
            continue
        stems = stem_set(found.group()) - asked - _NOT_NAMES
        for stem in stems:
            names.setdefault(stem, found.group())
    return names


def _list_heads(reading: AnswerReading, sentence: Sentence) -> dict[str, str]:
    """The heads of the list items right after ``sentence`` ("* Condiments and sauces
    (26%)" -> Condiments and sauces)."""
    heads: dict[str, str] = {}
    for following in reading.sentences[sentence.index + 1:sentence.index + 12]:
        item = _LIST_ITEM.match(following.text)
        if item is None:
            break
        head = item.group(1).strip()
        for stem in stem_set(head) - _NOT_NAMES:
            heads.setdefault(stem, head)
    return heads


def other_instances(reading: AnswerReading, sentence: Sentence, question: str,
                    gold: str) -> tuple[list[str], list[str]] | None:
    """(the answer's names, the gold's names) when ``question`` asks whether there are any of
    a kind, the gold's yes names its instances, and the answer's yes (``sentence`` and the
    list it introduces) names others and none of the gold's; else None."""
    if not _ASKS_ANY.match(question):
        return None
    gold_names = named_instances(gold, question)
    if not gold_names:
        return None
    said = named_instances(sentence.text, question)
    if sentence.text.rstrip().endswith(":"):
        said |= _list_heads(reading, sentence)
    if not said and len(sentence.text.split()) <= 2:
        # a bare "Yes." names its instances in the statements after it (a runner-up named
        # beside the one it picks is not one: "Underhill drew the most against votes;
        # Johnson was a distant second")
        for later in reading.sentences[sentence.index + 1:]:
            if later.start < reading.illustration_start:
                said |= named_instances(without_runner_ups(later.text), question,
                                        opening=True)
    if not said or set(said) & set(gold_names):
        return None
    if any(stem in stem_set(without_runner_ups(reading.text)) for stem in gold_names):
        # the gold's instance is named elsewhere in the answer
        return None
    return list(dict.fromkeys(said.values())), list(dict.fromkeys(gold_names.values()))
