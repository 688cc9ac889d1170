"""Statements about an answer rather than of it, which the grader leaves out.

Current models wrap an answer in lines that say nothing about the company: the question
restated ("**Question:** What is ...?"), a list of sources ("Sources: Form 10-K, p. 45"), a
confidence ("Confidence: High"), and disclaimers ("This is not financial advice.", "Please
consult the full 10-K for complete details.", "Figures may not add up due to rounding.").
Read as statements they change verdicts: the question's words and years look like the
answer's, a disclaimer's "consult" looks like a refusal, its "not" like a denial.
:func:`aside_spans` finds them; :func:`agility.metrics._markup.unmark` leaves them out with
the rest of the markup, so every reader of the answer (the grader, the ``answered`` metric)
sees the answer alone.

A sentence is an aside only when it states no figure of its own (a document's name, "10-K",
or a page or note number is no figure): "Please see Note 7 for details; capex was $1,577
million." is a statement.
"""

from __future__ import annotations

import re

__all__ = ["aside_spans"]

# words without which no aside can be present (most answers skip every pattern)
_ANCHOR = re.compile(r"(?i)advice|purposes only|rounding|details|information|context|question|"
                     r"sources?\b|references?\b|citations?\b|confidence|"
                     r"(?m:^[ \t>*_#-]*q[*_]*[ \t]*:)|"
                     r"(?im:^[ \t*_]*(?:to|from|re|subject|regards|best|thanks|cheers|"
                     r"sincerely|hi|hello|dear|team|all)\b)|\A[^\n|]{1,40} \| ")

# a title bar on the answer's first line ("MMM | FY22 | capital intensity", "GIS | FY20
# (May-31-20) WC ratio"): what the note is about, as a memo's subject line is, when no table
# row follows it
_TITLE_BAR = re.compile(r"\A[ \t*_#]*[^\n|]{1,40}(?:[ \t]\|[ \t][^\n|]{1,60}){1,4}[ \t*_]*"
                        r"\n(?![ \t]*\|)(?=\s*\S)")
_PERIODS = re.compile(r"(?i)\b(?:fy|q[1-4]|h[12]|cy)?'?\d{2,4}\b|\b(?:10-k|10-q|8-k)\b|"
                      r"\b[a-z]{3}-\d{1,2}-\d{2,4}\b")
# a memo's header (two or more of "To:", "From:", "Cc:", "Date:", "Re:", "Subject:" on its
# first lines), its greeting ("Team,", "Hi all,") and its sign-off ("Regards,\nResearch
# Desk"): addressing, not the answer (a subject line names the question's topic)
_MEMO_HEADER = re.compile(r"(?i)\A(?:[ \t]*\n)*(?:[ \t*_]*(?:to|from|cc|bcc|date|sent|re|subject|"
                          r"attn|attention)[*_]*[ \t]*:[^\n]*\n){2,8}")
_GREETING = re.compile(r"(?im)^[ \t*_]*(?:(?:hi|hello|hey|dear|good (?:morning|afternoon))\b"
                       r"[^\n.!?]{0,30}|team|all|everyone|folks|colleagues)[ \t]*[,!:][ \t]*$\n?")
_SIGN_OFF = re.compile(r"(?im)^[ \t*_]*(?:(?:best|kind|warm)?[ \t]*regards|best|thanks|thank you|"
                       r"many thanks|cheers|sincerely|yours)[ \t]*[,.!]?[ \t]*\n(?:[^\n]{0,60}"
                       r"(?:\n|\Z)){0,3}\s*\Z")

# a labelled line that lists what the answer draws on, or says how sure it is
_SOURCES_LINE = re.compile(r"(?im)^[ \t>*_#-]*(?:sources?|references?|citations?|cited "
                           r"(?:sources|documents))[*_]*[ \t]*:[^\n]*(?:\n|$)")
_CONFIDENCE_LINE = re.compile(r"(?im)^[ \t>*_#(-]*confidence(?: level| score)?[*_]*[ \t]*:"
                              r"[ \t*_]*(?:very |fairly |moderately )?(?:high|medium|moderate|"
                              r"low|\d{1,3}(?:\.\d)? ?%|[01](?:\.\d+)?)(?!\w)[^\n]{0,80}(?:\n|$)")
# the question restated under a label, up to a blank line or the answer's label
_QUESTION = re.compile(r"(?im)^[ \t>*_#-]*(?:question|q)[*_]*[ \t]*:[*_]*")
_QUESTION_END = re.compile(r"(?im)\n[ \t]*\n|\n(?=[ \t>*_#-]*(?:(?:the |my )?(?:final |short )?"
                           r"answer|a)[*_]*[ \t]*:)")
_ANSWER_HEADER = re.compile(r"(?i)\s*[>*_#-]*[ \t]*(?:the |my )?(?:final |short )?answer[*_]*"
                            r"[ \t]*:?[*_]*[ \t]*\n")
# "Q: ... A: ...": the "A:" after a restated question labels the whole answer
_A_LABEL = re.compile(r"(?i)\s*[>*_#-]*[ \t]*a[*_]*[ \t]*:[*_]*[ \t]*")
# disclaimers: sentences about the advice the answer is or the details it leaves to the
# reader ("for more details", not "to find the figure": that one declines)
_DISCLAIMER = re.compile(
    r"(?i)\b(?:not|no|nor) (?:intended as |to be (?:construed|taken) as |constitute )?"
    r"(?:financial|investment|professional|tax|legal) advice\b|"
    r"\bdoes not constitute (?:financial|investment|professional) advice\b|"
    r"\b(?:general )?informational purposes only\b|"
    r"\b(?:may|might|do not|don't) (?:not )?(?:add up|sum|total|differ|vary)\b[^.!?\n]{0,60}?"
    r"\b(?:due to|because of) rounding\b|"
    r"\b(?:consult|refer to|see|review|check|read)\b[^.!?\n]{0,100}?\bfor (?:more|further|"
    r"additional|complete|full|fuller|detailed|the (?:full|complete|latest|most recent)|"
    r"up-to-date|a (?:complete|full|fuller|more detailed|deeper)) (?:\w+ )?(?:details|"
    r"information|context|picture|discussion|analysis|understanding|breakdown)\b")
# what a sentence may hold and still state no figure: a form's name, a page or note number
_NOT_FIGURES = re.compile(r"(?i)\b(?:form )?(?:10-k|10-q|8-k|20-f|s-1)\b|"
                          r"\b(?:p|pp|page|pages|note|notes|item|section|exhibit)\.? ?\d+")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_SENTENCE_STOP = re.compile(r"[.!?](?=\s|$)|\n")


def aside_spans(text: str, question: str | None = None) -> list[tuple[int, int]]:
    """The spans of ``text`` that are statements about the answer, in order, not
    overlapping; with ``question``, also its sentences restated word for word."""
    spans = _restated(text, question) if question else []
    header = _ANSWER_HEADER.match(text)
    if header is not None:
        # "**Answer:**" on the answer's first line heads all of it, not its first statement
        spans.append(header.span())
    if not _ANCHOR.search(text):
        return _merged(spans)
    title = _TITLE_BAR.match(text)
    # (a title heads more lines, and names periods and forms, no figure: "Capex | $1,577M"
    # is an answer)
    if title is not None and not re.search(r"\d", _PERIODS.sub(" ", title.group(0))):
        spans.append(title.span())
    memo = _MEMO_HEADER.match(text)
    if memo is not None:
        spans.append(memo.span())
        spans += [m.span() for m in _GREETING.finditer(text, memo.end(), memo.end() + 200)]
        spans += [m.span() for m in _SIGN_OFF.finditer(text)]
    spans += [m.span() for m in _CONFIDENCE_LINE.finditer(text)]
    # a list of sources names documents, pages and years, no figure of the answer
    spans += [m.span() for m in _SOURCES_LINE.finditer(text) if not re.search(
        r"\d", _YEAR.sub(" ", _NOT_FIGURES.sub(" ", m.group(0))))]
    for m in _QUESTION.finditer(text):
        # (a question is a paragraph: bounded, so repeated labels cost no more than the text)
        close = _QUESTION_END.search(text, m.end(), m.end() + 2000)
        if close is None:
            continue
        spans.append((m.start(), close.start() + 1))
        # the answer's label after it heads the whole answer, not its first line
        header = (_ANSWER_HEADER.match(text, close.start() + 1)
                  or _A_LABEL.match(text, close.start() + 1))
        if header is not None:
            spans.append(header.span())
    for m in _DISCLAIMER.finditer(text):
        start, end = _sentence_around(text, m.start(), m.end())
        if not re.search(r"\d", _NOT_FIGURES.sub(" ", text[start:end])):
            spans.append((start, end))
    return _merged(spans)


_QUESTION_SENTENCE = re.compile(r"[^.?!]+[.?!]*")
_LEAD_IN = re.compile(r"(?i)(?:\b(?:you asked|the question (?:is|was|asks)|question|q|you want "
                      r"to know)[*_]*\s*[:,-]?[*_]*\s*)$")


def _restated(text: str, question: str) -> list[tuple[int, int]]:
    """The question's sentences (five words or more) that the answer repeats word for word
    ("What is the FY2018 DPO for Walmart?"), with a lead-in ("You asked:")."""
    spans = []
    # matched in lower case without IGNORECASE, so the search can skip to the first word
    lowered = text.lower()
    if len(lowered) != len(text):
        return []
    for sentence in _QUESTION_SENTENCE.findall(question.lower()):
        words = sentence.split()
        if len(words) < 5 or max(words, key=len) not in lowered:
            continue
        pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
        for m in pattern.finditer(lowered):
            start = m.start()
            lead = _LEAD_IN.search(text, max(0, start - 40), start)
            spans.append((lead.start() if lead else start, m.end()))
    return spans


def _sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence holding ``text[start:end]``, with the space after it (bounded, so a
    text without stops costs no more than its length)."""
    window = text[max(0, start - 400):start]
    stops = list(_SENTENCE_STOP.finditer(window))
    begin = start - len(window) + stops[-1].end() if stops else max(0, start - 400)
    after = _SENTENCE_STOP.search(text, end, min(len(text), end + 400))
    finish = after.end() if after else min(len(text), end + 400)
    while finish < len(text) and text[finish] in " \t":
        finish += 1
    while begin < start and text[begin] in " \t":
        begin += 1
    return begin, finish


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
