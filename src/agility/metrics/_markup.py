"""Markdown, LaTeX and HTML markup read as the plain text it formats.

Model families format the same answer differently: one writes "The margin was 7.9%.",
another "The margin was **7.9\\%**." or "### Final Answer\\n\\boxed{7.9\\%}". The markup says
nothing about the answer, so the grader reads the plain text: :func:`unmark` removes emphasis
markers, headings, code ticks, inline HTML, LaTeX delimiters and commands (keeping what they
enclose) and a reasoning model's closed ``<think>`` block (working, not the answer), reads
digit groups set apart by a thin or narrow no-break space (SI style, "1 577") as "1,577",
reads curly quotes as straight ones, reads figures written out in words as their digits
(:mod:`agility.metrics._number_words`), keeps only a chat transcript's last assistant turn,
leaves out blocks of source code (a program's printed output is kept), struck-through
drafts, and statements about the answer rather than of it (:mod:`agility.metrics._asides`),
reads an agent's log as what it submits (:mod:`agility.metrics._agent_log`; a framework's
serialized result by its answer's field, :mod:`agility.metrics._agent_records`), reads a
key=value record as the object it writes out (:mod:`agility.metrics._structured`),
sections in tags and a box opening a line as labelled answers and footnotes as remarks, and
returns, for every character it keeps, its offset in the text as given, so that a reason
still points at the figure where the answer wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from agility.metrics._agent_log import agent_answer
from agility.metrics._answer import LABEL_ONLY
from agility.metrics._asides import aside_spans
from agility.metrics._number_words import number_word_spans
from agility.metrics._numbers import COUNT_ASKED, COUNT_WORD, count_digits
from agility.metrics._structured import structured_text
from agility.metrics._tables import table_text

# what a match becomes: pieces, each a group of the match kept (its characters keep their
# offsets) or a literal put in (its characters take the match's offset)
_Piece = tuple[int | None, str | None]
_Replace = Callable[[re.Match[str]], list[_Piece]]

__all__ = ["unmark"]

# what may start markup: text without any of these is returned as it is
_MARKS = re.compile(r"---|~~|[\u00b9\u00b2\u00b3\u2074-\u2079]|(?m:^[ \t]{0,3}>)|(?i:step|part)[ \t]*\d|\d\s*[\u00d7x*\u00b7]\s*10|\d[eE]\+?\d|"
                    r"[*_#`\\<\u202f\u2009\u2007\u00a0\[\u3010\u2018-\u201f\u2032\u2033\u2248]|"
                    r"\$\$|\((?i:source|see|ref|cf)|~~~|(?i:\bpp?|\bpg|\bpages?)\.?[ \t]*\d{1,4}"
                    r"(?:[ \t]*[-\u2013][ \t]*\d{1,4})?\)|"
                    r"(?im:^[ \t]*(?:#{1,4}[ \t]*)?(?:question[ \t]*\d*|q|user|human|instruction|"
                    r"query)[ \t]*[:.)])")

# a template's opening of the model's turn, left at the very start: "<|im_start|>assistant"
_TURN_START = re.compile(r"\A\s*(?:<\|(?:im_start|assistant|start_header_id)\|>|"
                         r"<start_of_turn>|\[/INST\])[ \t]*(?:assistant|model)?(?:<\|end_header_id\|>)?\s*")
# a chat template's end of turn: the answer ends there, and what follows is a turn the
# model went on to invent ("<|im_end|>", "<end_of_turn>", "</s>", "<|eot_id|>"); an output
# that opens with one ended before it said anything (read after _TURN_START)
_TURN_END = re.compile(r"(?s)\s*(?:<\|(?:im_end|eot_id|end|endoftext|im_start|user|assistant|"
                       r"start_header_id)\|>|</?(?:end|start)_of_turn>|</s>|\[/?INST\]).*\Z")
# an answer written as a question and its answer ("Q: Why did ...?\nA: Because ..."): the
# question is the one asked, and the answer follows its label
# (a FAQ's bold labels too: "**Q: ...?**\nA: ...")
_QA_OPENING = re.compile(r"\A[ \t]*(?:\*\*|__)?Q[ \t]*[:.][^\n]*\?(?:\*\*|__)?[ \t]*\n\s*(?:\*\*|__)?A"
                         r"[ \t]*[:.](?:\*\*|__)?[ \t]*(?=\S)")
# the next question-and-answer pair of a FAQ
_NEXT_PAIR = re.compile(r"\n[ \t]*(?:\*\*|__)?Q[ \t]*[:.][^\n]*\?(?:\*\*|__)?[ \t]*\n\s*(?:\*\*|__)?A"
                        r"[ \t]*[:.]")
# a transcript of turns ("User: ...\nAssistant: ...\nUser: Are you sure?\nAssistant: ..."):
# the answer is the last turn of the assistant, whatever it said before
# the passages a retrieval pipeline quotes under a label of their own ("Retrieved passages:",
# "Context:", "Relevant documents:"), up to the answer it labels after them ("Answer: ...")
_PASSAGES = re.compile(r"(?ims)^[ \t]*(?:#{1,4}[ \t]*)?(?:\*\*)?(?:retrieved|relevant|supporting|"
                       r"source|top[- ]k)?[ \t]*(?:passages|context|documents|excerpts|chunks|"
                       r"evidence|sources)(?:\*\*)?[ \t]*:.*?(?=^[ \t]*(?:#{1,4}[ \t]*)?(?:\*\*)?"
                       r"(?:final[ \t]+|grounded[ \t]+)?answer(?:\*\*)?[ \t]*:)")
_TRANSCRIPT_OPEN = re.compile(r"(?i)\A\s*(?:\*\*)?(?:user|human|customer|client)(?:\*\*)?[ \t]*:")
_ASSISTANT_TURN = re.compile(r"(?im)^[ \t]*(?:\*\*)?(?:assistant|ai|model|bot|agent)(?:\*\*)?[ \t]*:"
                             r"(?:\*\*)?[ \t]*")
# a block of source code ("```python\nrevenue = 6489\n...print(...)\n```"): how the answer
# was computed, not what it says (its printed output, in a block of its own, is kept)
_CODE_BLOCK = re.compile(r"(?ms)^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([\w+#.-]*)[ \t]*\n(.*?)^[ \t]{0,3}\1"
                         r"[ \t]*(?:\n|\Z)")
_CODE_LANGUAGES = frozenset({"python", "py", "python3", "sql", "r", "javascript", "js",
                             "typescript", "ts", "bash", "sh", "shell", "vba", "julia", "scala",
                             "java", "c", "cpp", "c++", "go", "rust", "matlab", "sas", "stata"})
_CODE_LINE = re.compile(r"(?m)^[ \t]*(?:(?:import|from|def|return|for|if|while|class|select|"
                        r"with|let|const|var)\b|print\(|[A-Za-z_][\w.\[\]'\"]*[ \t]*[-+*/]?=[ \t]*[^=\s])")
# an agent's trace ("Thought: ...\nAction: search[...]\nObservation: ...\nFinal Answer: ..."):
# its tool calls and what the tools returned are no statements of its own
_TRACE_STEP = re.compile(r"(?im)^[ \t]*(?:action(?:[ \t]+input)?|observation)[ \t]*\d*[ \t]*:[^\n]*(?:\n|\Z)")
_THOUGHT = re.compile(r"(?im)^[ \t]*thought[ \t]*\d*[ \t]*:")
_FINAL_ANSWER = re.compile(r"(?im)^[ \t]*final[ \t]+answer[ \t]*:")
# a question the model goes on to ask itself after its answer ("\n\nQuestion: What is the
# FY2020 ...? Answer: ..."): a continuation, not the answer (the labels as in _MARKS)
_NEXT_QUESTION = re.compile(r"(?is)(?<=\S)\s*\n[ \t]*(?:#{1,4}[ \t]*)?(?:\*\*|__)?(?:question[ \t]*\d*|q|user|"
                            r"human|instruction|query)[ \t]*[:.)][ \t*]*(?=[^\n]*\?|(?:what|"
                            r"which|how|is|are|was|were|does|do|did|has|have|can|why|when|where|"
                            r"who|calculate|compute)\b).*\Z")

# a retrieval pipeline's citations are references, not content: "[1]", "[2, 3]", "[^4]",
# "[doc2]", "【3†source】", "(Source: Form 10-K, page 45)"
_CITATION = re.compile(
    r"[ \t]?(?:\[\^?\d{1,3}(?:\s*[,\u2013-]\s*\d{1,3})*\]|\[(?:doc|document|source|ref|"
    r"reference|context|chunk|passage|excerpt)s?[\s_#-]?\d{1,3}(?:\s*,\s*\d{1,3})*"
    # (with pages, and several: "[doc 2, p. 61]", "[doc 1, p. 57; doc 2, p. 61]")
    r"(?:\s*[,;]\s*(?:(?:doc|document|source|chunk|passage|excerpt|p|pp|pg|page)s?\.?[\s_#-]?)?"
    r"\d{1,4}(?:\s*[-\u2013]\s*\d{1,4})?)*\]|"
    r"\u3010[^\u3011\n]{1,60}\u3011|\((?:source|sources|see|ref|reference|cf\.)\s*:"
    r"[^()\n]{1,160}\)|"
    # a parenthesis that ends in a page: "(10-K, p. 45)", "(see page 45)", "(pp. 45-46)"
    r"\((?:[^()\n$%\d]|10-[KQ]|8-K|(?:19|20)\d\d){0,80}?\b(?:pp?|pg|pages?)\.?\s*\d{1,4}"
    r"(?:\s*[-\u2013]\s*\d{1,4})?\))", re.IGNORECASE)

# a Markdown link is its text ("[Form 10-K](https://...)"); a link that is only a number
# ("[1](https://...)") is a citation marker, a reference
_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\((?:https?://|www\.|/|#)[^()\s]{0,500}\)")
# a code fence's lines ("```", "```text", "~~~") set text apart; what they enclose is read
# as written
_FENCE = re.compile(r"(?m)^[ \t]{0,3}(?:`{3,}|~{3,})[\w+.-]*[ \t]*(?:\n|\Z)")

# typography: "1 577" with a narrow or thin no-break space between digit groups (SI and
# several locales' style) is "1,577"
_GROUP_SPACE = re.compile(r"(?<=\d)[\u202f\u2009\u2007\u00a0](?=\d{3}(?!\d))")

# digit groups set apart by a plain space, before a scale or currency ("1 832 millions of
# USD", "USD 1 577 mn"): "1,832" (elsewhere, "in 2018 1 577" may be two figures)
_PLAIN_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?![\d,.]\d)(?=\s?(?:millions?|billions?|"
                           r"thousands?|mn|bn|mln|bln|m|k|usd|eur|gbp|dollars|euros?|%)\b|\s?%)",
                           re.IGNORECASE)
# typography: curly quotes and apostrophes ("don\u2019t", "AMD\u2019s", \u201cadjusted\u201d) are
# the straight ones the rest of the grader reads
_QUOTE = re.compile(r"[\u2018-\u201f\u2032\u2033]")
_STRAIGHT = {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"'}

# "in \u22481,577 stores", "was \u2248 7.9%": after a word that takes a figure the sign reads
# "approximately", not "equals" (which would make the figure a calculation's result)
_APPROX = re.compile(r"(?i)\b(in|of|at|by|to|is|are|was|were|be|been|for|from|with|has|had|"
                     r"reached|totaled|totalled|around|about|roughly|nearly|some|rose|fell|grew|"
                     r"increased|decreased|declined)[ \t]+\u2248[ \t]?")

# a reasoning model's thinking ("<think>...</think>") is working the answer after it replaces
# (it opens the answer; matched there only, so a stray tag costs one scan, not one per tag)
_THINKING = re.compile(r"(?is)\A\s*<(think|thinking|reasoning|scratchpad)>.*?</\1>\s*")
# a reasoning block never closed: the output was cut off before its answer, and what it
# reasoned is no answer (unless it writes its final answer: the tag was left open)
_THINKING_OPEN = re.compile(r"(?is)\A\s*<(think|thinking|reasoning|scratchpad)>(?!.*</\1>)"
                            r"(?!.*\bfinal answer\b).*\Z")
# a chat template that opens the block itself leaves only its end in the answer (as
# DeepSeek-R1's does): everything before a lone "</think>" is the thinking
_THINKING_END = re.compile(r"(?is)\A(?:(?!<(?:think|thinking|reasoning|scratchpad)>).)*?"
                           r"</(?:think|thinking|reasoning|scratchpad)>\s*(?=\S)")
# inline HTML: "<b>42.69</b> days", "<br>"
_HTML_BREAK = re.compile(r"(?i)<(?:br|/p|p|/div|div|/li|li)\b[^>]{0,80}?/?>")
_HTML_INLINE = re.compile(r"(?i)</?(?:b|strong|i|em|u|span|sup|sub|code|pre|mark|small|font)\b"
                          r"[^>]{0,80}?>")
# sections in tags ("<answer>No</answer>", "<analysis>...</analysis>"): a tag bounds a
# statement, and an answer section is a labelled answer ("Answer: No")
_XML_TAG = re.compile(r"<(/?)([A-Za-z][\w\-]{1,30})>")
_ANSWER_TAGS = frozenset({"answer", "final_answer", "final-answer", "finalanswer", "final",
                          "response", "result", "output", "conclusion", "verdict"})

# LaTeX commands that only format what they enclose (innermost first, so nesting unwraps)
_WRAPPER = re.compile(r"\\(?:text|textbf|textit|textrm|mathrm|mathbf|mathit|"
                      r"operatorname|emph|underline)\s*\{([^{}]*)\}")
# a box marks the answer: opening a line, it is a labelled answer ("\boxed{\text{Defeated}}"
# on a display line of its own says "Answer: Defeated"); inside a sentence, what it holds
_BOXED = re.compile(r"(?m)(^[ \t]*)?\\(?:boxed|fbox)\s*\{([^{}]*)\}")
_FRACTION = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
# a LaTeX symbol and what it reads as
_SYMBOLS = {"times": "\u00d7", "cdot": "\u00d7", "div": "/", "approx": "\u2248",
            "sim": "\u2248", "le": "\u2264", "leq": "\u2264", "ge": "\u2265", "geq": "\u2265",
            "pm": "\u00b1", "neq": "\u2260", "to": "\u2192", "rightarrow": "\u2192",
            "quad": " ", "qquad": " "}
_SYMBOL = re.compile(r"\\(" + "|".join(sorted(_SYMBOLS, key=len, reverse=True)) + r")(?![A-Za-z])")
# a figure in scientific notation: "≈2 × 10^10", "9.07 x 10^{9}", "1.6·10⁹", "2.4e9" - read
# as the scale word it stands for ("20 billion"), which keeps its precision
_SCIENTIFIC = re.compile("(?<![\\w.])(\\d{1,3}(?:\\.\\d+)?)\\s*(?:[\u00d7x*\u00b7]\\s*10\\s*(?:\\^\\s*\\{?\\s*"
                         "\\+?(\\d{1,2})\\s*\\}?|([\u2070\u00b9\u00b2\u00b3\u2074-\u2079]{1,2}))|[eE]\\+?(\\d{1,2}))(?![\\w.])")
_SUPERSCRIPTS = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079", "0123456789")
_SCALES = ((12, "trillion"), (9, "billion"), (6, "million"), (3, "thousand"))
# escapes and spacing: "7.9\%", "\$1,577", "1{,}577", "1\,577"
_ESCAPED = re.compile(r"\\([%$&#_{}])")
# a footnote ("¹ Consolidated Balance Sheets, p. 57", "² Excluding bitcoin, revenue grew
# ~17%"): a remark beside the answer, as a labelled note is
_FOOTNOTE = re.compile("(?m)^[ \t]*[\u00b9\u00b2\u00b3\u2070\u2074-\u2079]{1,2}[ \t]*(?=\\S)")
_THIN_SPACE = re.compile(r"\\[,;:! ]|\{,\}")
# math delimiters and sizing: \( \) \[ \] $$ \left( \right); "$\boxed{42.69}$" is inline
# math (a single "$" before a command), "$42.69" is money
_DISPLAY_MATH = re.compile(r"\$\$")
# a display block on lines of its own continues the sentence it follows ("..., a change of\n
# \\[\n\\boxed{0.2\\%}\n\\]"): joined to it when that sentence has not ended
_DISPLAY_BLOCK = re.compile(r"(?<=[^\s.!?])[ \t]*\n\s*(?:\\\[|\$\$)[ \t]*\n?[ \t]*"
                            # (a boxed answer is no part of the sentence before it)
                            r"(?!\\(?:boxed|fbox)\b)((?:(?!\n[ \t]*\n|\$\$|\\\])[\s\S]){1,400}?)\s*(?:\\\]|\$\$)")
_INLINE_MATH = re.compile(r"\$(\\[^$\n]{1,400}?)\$")
_DELIMITER = re.compile(r"\\[()\[\]]|\\(?:left|right|big|Big|bigg|Bigg)(?=[()\[\]|.])")
# Markdown: **bold**, __bold__, *emphasis*, _emphasis_ (not "3 * 4", not snake_case), `code`
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.{1,400}?)(?<=\S)\1")
# (emphasis may run over the lines of a paragraph, not past its end)
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=[^\s*_])((?:[^\n*_]|\n(?![ \t]*\n)){1,2000}?)"
                       r"(?<=[^\s*_])\1(?![\w*])")
_CODE = re.compile(r"`+([^`\n]{1,400}?)`+")
# struck through ("~~$1,832M~~ **$1,852M**"): deleted, not said
_STRIKE = re.compile(r"~~(?=\S)[^\n~]{1,400}?(?<=\S)~~")
# "### Step 2: Calculation" on a line of its own: a heading states nothing and is left out;
# "### Final Answer" (or "Conclusion", "Summary") labels what follows it, which it joins
_HEADING = re.compile(r"(?m)^[ \t]{0,3}#{1,6}[ \t]+([^\n]*?)[ \t#]*(?:\n[ \t]*)+")
_HEADING_LINE = re.compile(r"[ \t]{0,3}#{1,6}[ \t]")
# a blockquote's marker ("> ") sets a paragraph apart; what it sets apart is read as written
_BLOCKQUOTE = re.compile(r"(?m)^[ \t]{0,3}>[ \t]?")
# a thematic break ("---", "***", "___" on a line of its own) separates, it says nothing
_RULE = re.compile(r"(?m)^[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*(?:\n|$)")
# "Step 2: The average inventory is ...": the step's number labels the statement after it
_STEP = re.compile(r"(?im)^[ \t]*(?:step|part)[ \t]*\d{1,2}[ \t]*[:.)\u2013-][ \t]*(?=\S)")


def unmark(text: str, question: str | None = None) -> tuple[str, list[int]]:
    """``text`` without its Markdown and LaTeX markup, and the offset in ``text`` of every
    character of the result (an inserted character takes the offset of what it replaces).

    Statements about the answer rather than of it (:mod:`agility.metrics._asides`: a sources
    or confidence line, a disclaimer, the question restated; with ``question``, also its
    sentences repeated word for word) are left out too. Text without markup or asides is
    returned as it is, with the identity map.
    """
    offsets = list(range(len(text)))
    # an agent's log (tool calls, what they gave back, a submission): what it submits
    submitted = agent_answer(text, offsets)
    if submitted is not None:
        text, offsets = submitted
    # an answer given as a JSON object ("{"reasoning": ..., "answer": ...}") is its values
    structured = structured_text(text) if text.lstrip()[:1] in ("{", "`") or "=" in text \
        else None
    if structured is not None:
        text, offsets = structured[0], [offsets[i] for i in structured[1]]
    # a table of several value columns: each cell read with its row's and column's headings
    tabled = table_text(text, offsets) if "|" in text else None
    if tabled is not None:
        text, offsets = tabled
    if "```" in text or "~~~" in text:
        text, offsets = _without_code(text, offsets)
    # (a retrieval pipeline's passages quoted before its labelled answer are its sources)
    if "nswer" in text and _PASSAGES.search(text):
        text, offsets, _ = _substitute(_PASSAGES, _drop, text, offsets)
    if _TRANSCRIPT_OPEN.match(text):
        turns = list(_ASSISTANT_TURN.finditer(text))
        if turns:
            last = turns[-1].end()
            text, offsets = text[last:], offsets[last:]
    if text.lstrip()[:1] in ("Q", "q", "*", "_") and _QA_OPENING.match(text):
        text, offsets, _ = _substitute(_QA_OPENING, _drop, text, offsets)
        # (and the pairs after the first, in a FAQ, answer other questions)
        pair = _NEXT_PAIR.search(text)
        if pair is not None:
            text, offsets = text[:pair.start()], offsets[:pair.start()]
    # (a thought, then a final answer: two searches, each once over the text)
    thought = _THOUGHT.search(text) if "inal" in text else None
    if thought is not None and _FINAL_ANSWER.search(text, thought.end()):
        text, offsets, _ = _substitute(_TRACE_STEP, _drop, text, offsets)
    if _MARKS.search(text):
        text, offsets = _without_next_question(text, offsets, question)
        for pattern, replace in _PASSES:
            # nested markup ("\\boxed{\\text{...}}") unwraps a level a pass; deeper is no
            # answer
            needs = _NEEDS.get(pattern)
            if needs is not None and not any(need in text for need in needs):
                continue
            for _ in range(_MAX_NESTING if pattern in _NESTING else 1):
                text, offsets, changed = _substitute(pattern, replace, text, offsets)
                if not changed:
                    break
    if _DIGIT_SPACE.search(text):
        grouped = [(m.start(), m.end(), m.group(0).replace(" ", ","))
                   for m in _PLAIN_GROUPS.finditer(text)]
        if grouped:
            text, offsets = _written_in(text, offsets, grouped)
    # a figure in words is its digits ("one point five eight billion dollars", "twenty
    # eighteen")
    worded = number_word_spans(text)
    if worded:
        text, offsets = _written_in(text, offsets, worded)
    # a count in words answers "how many?" as its figure does ("Three:" read as "3:")
    if question is not None and COUNT_ASKED.search(question):
        text, offsets, _ = _substitute(COUNT_WORD, _count, text, offsets)
    # statements about the answer (a restated question, sources, a disclaimer): not of it
    spans = aside_spans(text, question)
    if spans:
        kept = [(start, end) for start, end in zip(
            [0, *(e for _, e in spans)], [*(s for s, _ in spans), len(text)], strict=True)]
        text = "".join(text[a:b] for a, b in kept)
        offsets = [o for a, b in kept for o in offsets[a:b]]
    return text, offsets


_WORDS = re.compile(r"[a-z0-9]+")
_DIGIT_SPACE = re.compile(r"\d \d{3}")
_YEARISH = re.compile(r"(?:fy|q[1-4]|h[12])?((?:19|20)?\d\d)")
_DIGIT = re.compile(r"\d")


def _years(words: set[str]) -> set[str]:
    """The years among ``words``, by their last two digits ("fy22" and "2022" are one year)."""
    found = (_YEARISH.fullmatch(w) for w in words)
    return {m.group(1)[-2:] for m in found if m is not None}


_OTHER_QUESTION = re.compile(r"(?im)(?<=\S)\s*\n[ \t]*(?:#{1,4}[ \t]*)?(?:\*\*|__)?(?:follow[- ]?up|"
                             r"next|another|additional|related|bonus)[ \t]+question\b[^\n]*\n?"
                             r"[^\n]*\?(?s:.*)\Z")


def _without_next_question(text: str, offsets: list[int], question: str | None
                           ) -> tuple[str, list[int]]:
    """``text`` without a question the model went on to ask itself after its answer ("...
    $1,284 million.\n\nQuestion: What is the FY2020 capital expenditure ...?"): one like the
    question asked (half its words or more) but not the question restated, which labels the
    answer after it ("Question: <the question> Answer: 12.4%")."""
    if not question or "\n" not in text:
        return text, offsets
    # (a question the writer itself calls another, "## Follow-up question", after an answer
    # with a figure, whatever its words)
    other = _OTHER_QUESTION.search(text)
    if other is not None and _DIGIT.search(text[:other.start()]):
        return text[:other.start()], offsets[:other.start()]
    found = _NEXT_QUESTION.search(text)
    if found is None:
        return text, offsets
    asked = set(_WORDS.findall(question.lower()))
    line = text[found.start():].lstrip().split("\n", 1)[0]
    said = set(_WORDS.findall(line.split("?", 1)[0].lower())) - {"question", "q"}
    if not said or said <= asked or len(said & asked) < 0.5 * len(said):
        return text, offsets
    # (after a preamble with no figure, "Sure, here it is.", the question in other words
    # labels the answer: only another period is surely another question)
    years = _years(said) - _years(asked)
    if not _DIGIT.search(text[:found.start()]) and not years:
        return text, offsets
    return text[:found.start()], offsets[:found.start()]


def _written_in(text: str, offsets: list[int], spans: list[tuple[int, int, str]]
                ) -> tuple[str, list[int]]:
    """``text`` with each span replaced by its digits (the first takes the span's first
    offset, the last its last): figures in words, digit groups set apart by spaces."""
    parts: list[str] = []
    mapped: list[int] = []
    last = 0
    for start, end, digits in spans:
        parts.append(text[last:start])
        mapped.extend(offsets[last:start])
        parts.append(digits)
        # (its last digit takes the phrase's last offset: a citation quotes the whole phrase)
        mapped.extend([offsets[start]] * (len(digits) - 1) + [offsets[end - 1]])
        last = end
    parts.append(text[last:])
    mapped.extend(offsets[last:])
    return "".join(parts), mapped


def _without_code(text: str, offsets: list[int]) -> tuple[str, list[int]]:
    """``text`` without its blocks of source code, unless nothing else is left."""
    def code(m: re.Match[str]) -> bool:
        lines = [line for line in m.group(3).splitlines() if line.strip()]
        return bool(lines) and (m.group(2).lower() in _CODE_LANGUAGES or (
            not m.group(2) and len(_CODE_LINE.findall(m.group(3))) * 2 >= len(lines)
            and "print(" in m.group(3)))

    blocks = [m.span() for m in _CODE_BLOCK.finditer(text) if code(m)]
    if not blocks:
        return text, offsets
    kept = list(zip([0, *(e for _, e in blocks)], [*(b for b, _ in blocks), len(text)],
                    strict=True))
    rest = "".join(text[a:b] for a, b in kept)
    if not rest.strip():
        return text, offsets
    return rest, [o for a, b in kept for o in offsets[a:b]]


def _keep(*groups: int) -> _Replace:
    """A replacement keeping the match's ``groups`` (in order), separated by nothing."""
    return lambda m: [(g, None) for g in groups]


# a heading that states the answer: "### **Answer: 10.3%**", "## No, Microsoft reduced its
# debt", "## Gross margin isn't a meaningful metric for American Express" (a sentence, not
# a title, nor a question: "## What is the quick ratio?")
_STATING_HEADING = re.compile(r"(?i)^[^\w\n]*(?:(?:the |my )?(?:final |short |direct )?answer\s*"
                              r"(?::|[\u2014\u2013])\s*[^\s*_#]|(?:yes|no)\b\s*[,.:;!\u2014\u2013-]|"
                              r"(?!(?:what|how|why|which|when|where|who|is|are|was|were|does|did|"
                              r"step)\b)[^?\n]*\b(?:is|are|was|were|isn't|aren't|wasn't|weren't|"
                              r"does not|doesn't|did not|didn't|has|have|had)\b[^?\n]*$)")


def _heading(m: re.Match[str]) -> list[_Piece]:
    title = m.group(1)
    # (what it states is a statement of its own)
    if _STATING_HEADING.match(title):
        return [(1, None), (None, "\n")]
    # a label heading the whole answer ("## Answer" on its first line) marks no statement
    # as the conclusion
    if not LABEL_ONLY.match(title) or not m.string[:m.start()].strip():
        return []
    return [(1, None), (None, " ") if title.endswith(":") else (None, ": ")]


def _link(m: re.Match[str]) -> list[_Piece]:
    return [] if re.fullmatch(r"\^?\d{1,3}", m.group(1).strip()) else [(1, None)]


def _fraction(m: re.Match[str]) -> list[_Piece]:
    return [(1, None), (None, " / "), (2, None)]


def _symbol(m: re.Match[str]) -> list[_Piece]:
    return [(None, _SYMBOLS[m.group(1)])]


def _drop(m: re.Match[str]) -> list[_Piece]:
    return []


def _space(m: re.Match[str]) -> list[_Piece]:
    # a thin space inside a number ("1\,577") joins its digits; elsewhere it is a space
    before, after = m.string[m.start() - 1:m.start()], m.string[m.end():m.end() + 1]
    return [] if before.isdigit() and after.isdigit() else [(None, " ")]


def _scientific(m: re.Match[str]) -> list[_Piece]:
    exponent = int(m.group(2) or (m.group(3) or "").translate(_SUPERSCRIPTS) or m.group(4))
    scale = next(((power, word) for power, word in _SCALES if power <= exponent), None)
    if scale is None:
        return [(None, m.group(0))]
    # (the mantissa's digits shifted, none added: "1.43 × 10^10" is "14.3 billion")
    value = Decimal(m.group(1)).scaleb(exponent - scale[0])
    return [(None, f"{value:f} {scale[1]}")]


def _joined(m: re.Match[str]) -> list[_Piece]:
    # (not to a heading, which is left out with all it holds: "### Step 4: Round\n\\[
    # \\boxed{65.4\\%} \\]" keeps its figure on a line of its own)
    line = m.string[m.string.rfind("\n", 0, m.start()) + 1:m.start()]
    return [(None, "\n" if _HEADING_LINE.match(line) else " "), (1, None)]


def _newline(m: re.Match[str]) -> list[_Piece]:
    return [(None, "\n")]


def _boxed(m: re.Match[str]) -> list[_Piece]:
    if m.group(1) is None:
        return [(2, None)]
    return [(1, None), (None, "Answer: "), (2, None)]


def _footnote(m: re.Match[str]) -> list[_Piece]:
    return [(None, "Footnote: ")]


def _xml_tag(m: re.Match[str]) -> list[_Piece]:
    # (a reasoning block's tags are the thinking passes' to read)
    if m.group(2).lower() in ("think", "thinking", "reasoning", "scratchpad"):
        return [(0, None)]
    if not m.group(1) and m.group(2).lower() in _ANSWER_TAGS:
        return [(None, "\nAnswer: ")]
    return [(None, "\n")]


def _comma(m: re.Match[str]) -> list[_Piece]:
    return [(None, ",")]


def _approximately(m: re.Match[str]) -> list[_Piece]:
    return [(1, None), (None, " approximately ")]


def _count(m: re.Match[str]) -> list[_Piece]:
    return [(None, count_digits(m))]


def _straight(m: re.Match[str]) -> list[_Piece]:
    return [(None, _STRAIGHT.get(m.group(0), "'"))]


_PASSES: list[tuple[re.Pattern[str], _Replace]] = [
    (_TURN_START, _drop),
    (_TURN_END, _drop),
    (_THINKING, _drop),
    (_THINKING_OPEN, _drop),
    (_THINKING_END, _drop),
    (_FENCE, _drop),
    (_LINK, _link),
    (_CITATION, _drop),
    (_FOOTNOTE, _footnote),
    (_GROUP_SPACE, _comma),
    (_QUOTE, _straight),
    (_HTML_BREAK, _newline),
    (_HTML_INLINE, _drop),
    (_XML_TAG, _xml_tag),
    (_DISPLAY_BLOCK, _joined),
    (_DISPLAY_MATH, _drop),
    (_INLINE_MATH, _keep(1)),
    (_THIN_SPACE, _space),
    (_WRAPPER, _keep(1)),
    (_FRACTION, _fraction),
    (_SYMBOL, _symbol),
    (_ESCAPED, _keep(1)),
    (_BOXED, _boxed),
    (_SCIENTIFIC, _scientific),
    (_DELIMITER, _drop),
    (_CODE, _keep(1)),
    (_RULE, _drop),
    (_BLOCKQUOTE, _drop),
    (_STRIKE, _drop),
    (_STRONG, _keep(2)),
    (_EMPHASIS, _keep(2)),
    (_HEADING, _heading),
    (_STEP, _drop),
    (_APPROX, _approximately),
]
_NESTING = {_WRAPPER, _FRACTION, _STRONG, _BOXED}
# what a pass cannot match without, one of them (a pass that scans every word costs more than
# these tests)
_NEEDS = {_APPROX: ("\u2248",), _STRIKE: ("~~",), _BOXED: ("\\boxed", "\\fbox"), _FOOTNOTE: ("\u00b9", "\u00b2", "\u00b3", "\u2074", "\u2075",
                                             "\u2076", "\u2077", "\u2078", "\u2079", "\u2070"), _THINKING_END: ("</",), _XML_TAG: ("</",),
          _THINKING: ("<",), _THINKING_OPEN: ("<",),
          _TURN_START: ("<|", "<start_of_turn>", "[/INST]"),
          _TURN_END: ("<|", "_of_turn>", "</s>", "INST]"),
          _DISPLAY_BLOCK: ("\\[", "$$")}
_MAX_NESTING = 4


def _substitute(pattern: re.Pattern[str], replace: _Replace, text: str, offsets: list[int]
                ) -> tuple[str, list[int], bool]:
    parts: list[str] = []
    mapped: list[int] = []
    last = 0
    changed = False
    for m in pattern.finditer(text):
        pieces = replace(m)
        parts.append(text[last:m.start()])
        mapped.extend(offsets[last:m.start()])
        for group, literal in pieces:
            if group is not None:
                start, end = m.span(group)
                parts.append(text[start:end])
                mapped.extend(offsets[start:end])
            elif literal:
                parts.append(literal)
                mapped.extend([offsets[m.start()]] * len(literal))
        last = m.end()
        changed = True
    if not changed:
        return text, offsets, False
    parts.append(text[last:])
    mapped.extend(offsets[last:])
    return "".join(parts), mapped, True
