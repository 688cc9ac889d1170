"""Figures written out in words, read as the digits they stand for.

A voice assistant, or a model told to write for one, says "about one point five eight billion
dollars", "forty-two point seven days", "sixteen and a half billion" and "fiscal twenty
eighteen". :func:`number_word_spans` finds such phrases and the digits each stands for
("1.58", "42.7", "16.5", "2018"); :func:`agility.metrics._markup.unmark` writes them in, so
the figure is read as any other. A count alone ("three segments", "one of the largest") is
left as it is: only a phrase that can be nothing but a figure is read (a decimal point, a
hundred or a thousand, a half, two number words together, a year, or a unit after it).
"""

from __future__ import annotations

import re

__all__ = ["number_word_spans"]

_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split())}
_DIGITS = {**{w: str(i) for w, i in _UNITS.items() if i < 10}, "oh": "0"}

_UNIT = "(?:" + "|".join(sorted(_UNITS, key=len, reverse=True)) + ")"
_TEN = "(?:" + "|".join(_TENS) + ")"
_DIGIT = "(?:" + "|".join(_DIGITS) + ")"
_SMALL = rf"(?:{_TEN}(?:[- ]{_UNIT})?|{_UNIT})"
_HUNDREDS = rf"(?:(?:{_SMALL}|a) hundred(?: (?:and )?{_SMALL})?|{_SMALL})"
_WHOLE = rf"(?:{_HUNDREDS} thousand(?: (?:and )?{_HUNDREDS})?|{_HUNDREDS})"
# "twenty eighteen", "twenty twenty-two", "nineteen ninety-nine", "twenty oh nine"
_YEAR = rf"(?:twenty|nineteen) (?:{_TEN}(?:-{_UNIT})?|ten|eleven|twelve|thirteen|fourteen|" \
        rf"fifteen|sixteen|seventeen|eighteen|nineteen|oh {_UNIT})"
_PHRASE = re.compile(
    rf"(?i)\b(?:(?P<year>{_YEAR})|(?P<whole>{_WHOLE})(?P<point> point(?: {_DIGIT})+)?"
    rf"(?P<half> and a half)?)\b(?=(?P<unit>\s+(?:million|billion|trillion|thousand|percent|"
    rf"per cent|dollars|days|times|basis points|bps|cents|x)\b)?)")
# where a phrase may be: a word only a figure-like phrase holds, or a number word before a
# unit (the phrase search, slow over long text, runs only around these; each cue is looked
# for only when its words are in the text at all: most answers have none)
_CUE_WORDS = ("point", "hundred", "thousand", "half", *_TENS, "nineteen")
_CUE_WORD = re.compile(r"(?i)\b(?:" + "|".join(_CUE_WORDS) + r")\b")
_UNIT_WORDS = ("million", "billion", "trillion", "percent", "per cent", "dollars", "days",
               "times", "basis points", "bps", "cents")
_CUE_UNIT = re.compile(r"(?i) (?:" + "|".join(_UNIT_WORDS) + r")\b")
_LAST_WORD = re.compile(r"([A-Za-z]+)\s*$")


def _cues(text: str) -> list[tuple[int, int]]:
    lowered = text.lower()
    found = []
    if any(word in lowered for word in _CUE_WORDS):
        found += [m.span() for m in _CUE_WORD.finditer(text)]
    if any(word in lowered for word in _UNIT_WORDS):
        for m in _CUE_UNIT.finditer(text):
            before = _LAST_WORD.search(text, max(0, m.start() - 12), m.start())
            if before is not None and before.group(1).lower() in _UNITS:
                found.append((before.start(1), m.end()))
    return sorted(found)


# how far before a cue a phrase may start ("three hundred eighty-nine million": "hundred" is
# its second word) and after it end
_REACH = 80


def number_word_spans(text: str) -> list[tuple[int, int, str]]:
    """The phrases of ``text`` that write a figure in words, each as (start, end, digits)."""
    spans: list[tuple[int, int, str]] = []
    searched = 0
    for cue_start, cue_end in _cues(text):
        if cue_end <= searched:
            continue
        start = max(searched, cue_start - _REACH)
        # (from a word's start: the window must not open inside a word)
        while start > searched and text[start - 1].isalpha():
            start -= 1
        end = min(len(text), cue_end + _REACH)
        # (a phrase may run on past the window, and its unit after it)
        for m in _PHRASE.finditer(text, start, min(len(text), end + _REACH)):
            if m.start() > end:
                break
            digits = _digits(m)
            if digits is not None and (not spans or m.start() >= spans[-1][1]):
                spans.append((m.start(), m.end(), digits))
        searched = spans[-1][1] if spans and spans[-1][1] > cue_end else cue_end
    return spans


def _digits(m: re.Match[str]) -> str | None:
    if m.group("year"):
        head, _, rest = m.group("year").lower().partition(" ")
        century = 20 if head == "twenty" else 19
        rest = rest.replace("oh ", "")
        return str(century * 100 + _small(rest))
    whole = m.group("whole").lower()
    words = re.split(r"[- ]+", whole)
    # (a count alone is left to the readers of counts: "three segments", "one of them")
    figure_like = (m.group("point") or m.group("half") or m.group("unit")
                   or "hundred" in words or "thousand" in words
                   or len([w for w in words if w != "and"]) > 1)
    if not figure_like:
        return None
    value = _whole(words)
    text = str(value)
    if m.group("point"):
        text += "." + "".join(_DIGITS[w] for w in m.group("point").lower().split()[1:])
    elif m.group("half"):
        text += ".5"
    return text


def _small(phrase: str) -> int:
    words = re.split(r"[- ]+", phrase.strip())
    return sum(_TENS.get(w, _UNITS.get(w, 0)) for w in words)


def _whole(words: list[str]) -> int:
    total, current = 0, 0
    for word in words:
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "a":
            current += 1
        elif word == "hundred":
            current *= 100
        elif word == "thousand":
            total += current * 1000
            current = 0
    return total + current
