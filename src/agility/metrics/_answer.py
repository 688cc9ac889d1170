"""Reading a financial answer the way an examiner does: what does it commit to?

A long answer shows its working: it quotes line items, plugs them into a formula, and only
then states its result. An examiner marks the result, not the working. :func:`read_answer`
splits an answer into sentences (lines of working count as sentences), reads every figure
with its position, and finds the answer's *committed* figures: those of its concluding
statement ("Therefore, the ratio is 0.85."), else of an opening statement that answers
directly ("Net income was $11,588 million."). Figures on the right of the last ``=`` of a
statement are its result; those on the left are operands. Hypothetical statements ("for
example, if net income were $1,000,000 ...") commit to nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache

from agility.metrics._numbers import FinancialNumber, parse_financial_numbers, significant_digits

__all__ = [
    "ANSWER_GIVEN",
    "ANSWER_LABEL",
    "CONCLUDES",
    "CONCLUSION_OPENERS",
    "HYPOTHETICAL",
    "LABEL_ONLY",
    "METHOD",
    "NOTE_LABEL",
    "REFERENCE",
    "REMARK_OPENING",
    "AnswerReading",
    "Sentence",
    "concludes",
    "enumerator",
    "offers_alternative",
    "read_answer",
    "unlabelled",
    "year_mentions",
    "years_of",
]

# Sentence ends: punctuation followed by space and a capital/opening mark, or a line break.
# A list written inline ("the geographies: 1. North America ... 2. Latin America ...")
# splits before each item as a list on its own lines does.
# (not after a middle initial: "Richard A. Johnson"; before an approximate figure: "Turns:
# ~2.7x. ≈134 days on hand.")
_SPLIT = re.compile(r"(?<=[.!?])(?<!\s[A-Z]\.)\s+(?=[A-Z(\[*\"'$\u201c\u2248~-])|\n+"
                    r"|(?<=[.!?:;])\s+(?=(?:\d{1,2}[.)]|[-*\u2022])\s+[A-Z])")
# the labels an answer puts before its answer ("Final Answer: ...", "Conclusion: ...")
_LABEL_WORDS = (r"(?:(?:the |my |our )?(?:(?:final |short |direct )?answer|conclusions?|summary|"
               r"in summary|bottom line|result|verdict|assessment|tl;?dr|final|"
               # (an analyst's: "View: NOT cap-intensive.", "Takeaway: ...")
               r"view|take|(?:key )?takeaway|"
               # (a pipeline's: LlamaIndex's "Final Response: ...")
               r"final response))")
# (its colon may be a dash: "Final answer \u2014 $1,577 million")
# (or a table's cell border: "| Answer | $12,645 million |")
_LABEL_END = (r"(?:\s?\([^()\n]{1,20}\))?\s*(?::|[\u2014\u2013]|--(?!-)|(?<=\s)\|(?=[^|\n]*\w))"
              r"\s*")
ANSWER_LABEL = re.compile(rf"(?i)(?:^|(?<=\n)|(?<=[.!?] ))[^\w\n]*{_LABEL_WORDS}{_LABEL_END}")
# a statement labelled as the answer it gives ("**Answer: 10.3%**", "Short answer: No",
# "The final answer is: Data Center")
# (or a table's row: "| Answer | $12,645 million |")
ANSWER_GIVEN = re.compile(r"(?i)^[^\w\n]*(?:the |my )?(?:(?:final |short |direct )?answer|final "
                          r"response)\s*"
                          r"(?:is\s*)?(?::|[\u2014\u2013]|(?<=\s)\|(?=[^|\n]*\w))\s*(?=\S)")
# "Final Answer:" on a line of its own labels the line that follows: one statement
LABEL_ONLY = re.compile(rf"(?i)^\W*{_LABEL_WORDS}\W*$")
# the words that open a conclusion ("Therefore,", "In summary,", and as other writers put it:
# "To sum up,", "All in all,")
CONCLUSION_OPENERS = (r"therefore|thus|hence|so\b|overall|consequently|in (?:conclusion|summary|"
                      r"short)|to (?:summari[sz]e|conclude)|to sum (?:it )?up|summing up|all in "
                      r"all|ultimately\b|putting (?:it|this|these|everything) (?:all )?together|"
                      r"taken together|accordingly\b|as such\b|in sum\b|(?:the )?bottom line\b|"
                      # (a lawyer's: "It follows, subject to the foregoing, that ...", "On that
                      # reading, ...")
                      r"it follows\b|on (?:that|this) (?:reading|basis)\b|"
                      r"net-net\b|all things considered|on balance\b|in the end\b|in a nutshell|"
                      r"long story short|with (?:that|this|these|those) caveats?\b|"
                      r"taking (?:all of |everything |all )?(?:this|that|these|those)? ?into "
                      r"account\b")
# a statement's conclusion opener ("In summary, ..."): says it concludes, names nothing
_OPENER = re.compile(rf"(?i)^\W*(?:{CONCLUSION_OPENERS})\b[\s,:]*")


def unlabelled(text: str) -> str:
    """``text`` without its answer labels ("Final Answer:") and the conclusion opener it
    starts with ("In summary,"): they say the text concludes and name nothing."""
    return _OPENER.sub("", ANSWER_LABEL.sub("", text), count=1)


CONCLUDES = re.compile(
    rf"(?i)^\W*(?:{CONCLUSION_OPENERS}"
    r"|to answer|in other words|finally\b|the (?:final )?answer\b"
    rf"|{_LABEL_WORDS}(?:{_LABEL_END}|[ \t]*\n)|the result\b|(?:this|that|it) (?:gives|results|yields|comes)"
    r"|rounded|rounding"
    r"|after rounding"
    r"|when rounded|which (?:gives|rounds|is approximately)|the (?:\w+ ){0,6}?(?:is|was|were|are"
    r"|would be|comes to|equals|stands at|amounts to) (?:approximately|about|roughly|around)\b)"
    r"|(?i:\b(?:therefore|thus|hence)\b|\b(?:so|overall|in conclusion|in summary),)"
    r"|(?i:\b(?:infer|inferred|conclude|concluded|estimate) that\b)"
    r"|(?i:,\s+so\s+(?!that\b|far\b|much\b|as\b|on\b)(?=\w))"
    r"|(?i:\brounded (?:to|off)|\brounding (?:to|this|that|the)|\bthe (?:final )?answer is\b)"
    # what the working comes to: "We get 40.06%.", "That works out to 40.06%.", "Which
    # leaves us with 40.06%.", "Final figure: 40.06%."
    r"|(?i:\bwe (?:get|obtain|arrive at|end up with)\b|\bworks? out (?:to|at)\b|"
    r"\b(?:leaves|left) (?:us |you )?with\b|\bfinal (?:figure|number|value|result|ratio|"
    r"margin|amount)\b|\bwhich gives\b)"
    # the writer's own commitment: "my answer is ...", "..., which is the figure I'd report"
    r"|(?i:\bmy (?:final |best )?(?:answer|estimate) is\b|\bI(?:'d| would|'ll| will) (?:go with|"
    r"report|settle on|stick with)\b)")
HYPOTHETICAL = re.compile(
    r"(?i)\b(?:for (?:example|instance)|e\.g\.|hypothetical\w*|suppose|assum(?:e|ing) (?:that|a|an|"
    r"the)|let'?s say|if\b[^.]{0,80}\b(?:were|was|is|are|had|has|have|do|does)\b|"
    r"would (?:look|need)|could be|might be|placeholder|"
    # a placeholder "XX", not the times sign of "373,396 x 365"
    r"(?<![\d)%] )\bx+\b(?! \d| \())")
# An illustration: everything after it is made up ("For example, if net income were ...").
_ILLUSTRATION = re.compile(
    r"(?i)\b(?:(?:for (?:example|instance|illustration)|e\.g\.|say|to illustrate)\b[^.]{0,40}?"
    r"\bif\b|hypothetical\w*|\bsuppose\b|let'?s (?:say|assume)|for illustrati\w+|"
    r"illustrative\b|placeholder|assum(?:e|ing) (?:that )?(?:\w+ ){0,6}?(?:is|was|were|are|of) "
    r"\$?\d)")
# Words one of which every conclusion marker contains: most statements skip the regex.
_CONCLUSION_WORDS = ("therefore", "thus", "hence", "so", "overall", "consequently", "conclu",
                     "summar", "short", "answer", "other words", "finally", "result", "this ",
                     "round", "which", "approximately", "about", "roughly", "around", "infer",
                     "estimate", "sum", "all in all", "ultimately", "together", "accordingly",
                     "as such", "bottom line", "net-net", "considered", "balance", "in the end",
                     "nutshell", "long story", "my answer", "my final", "my best",
                     "my estimate", "go with", "settle on", "stick with", "d report",
                     "would report", "ll report", "will report", "gives", "yields", "comes",
                     "we get", "we obtain", "arrive at", "end up", "works out", "work out",
                     "left with", "leaves", "final", "verdict", "assessment", "tl;dr", "tldr")


# "Note: ..., so this figure includes ...": a statement labelled as a note or caveat about
# the answer's figure is a remark beside it, whatever it draws ("Note: the margin is
# therefore 12.4%" is no such remark); one labelled as the explanation is the working
# behind the answer ("**Answer:** $312 million **Explanation:** ..., which gives ...")
NOTE_LABEL = re.compile(r"(?i)^\W*(?:(?:note|n\.?b\.?|caveat|caution|disclaimer|side note)\W*:"
                        r"(?=.*\b(?:this|that|the above|these|our)\s+(?:figure|amount|number|"
                        r"estimate|total|value|result|ratio)s?\b)|(?:explanation|reasoning|"
                        r"rationale|justification|comments?|remarks?|footnotes?)\W*:)")


def offers_alternative(text: str) -> bool:
    """Whether ``text`` is a remark beside the answer that offers an alternative to it ("It's
    worth noting that ..., so net capex would be about $1,315 million", "That said, a more
    conservative analyst might prefer $1,157 million"): no conclusion of the answer's."""
    return bool(REMARK_OPENING.match(text) and _ALTERNATIVE.search(text))


@lru_cache(maxsize=4096)
def concludes(text: str) -> bool:
    """Whether ``text`` is marked as a conclusion ("Therefore, ...", "..., so the ratio is
    ...", "the answer is ..."); a labelled note ("Note: ..., so ...") is not."""
    lowered = text.lower()
    # (nor a remark beside the answer: "It's also worth noting the 2020 rate was 27.0%, so
    # the rate has come down two years in a row", "For context, ..., so margins compressed")
    return any(word in lowered for word in _CONCLUSION_WORDS) and bool(
        CONCLUDES.search(text)) and not NOTE_LABEL.match(text) and not REMARK_OPENING.match(text)


REMARK_OPENING = re.compile(r"(?i)^\W*(?:(?:also|but|however|that said),?\s+)?(?:(?:it(?:'s| is) "
                             r"(?:also )?)?worth (?:noting|adding|mentioning|keeping in mind)|(?:please "
                             r")?note that|keep in mind|bear in mind|that said, (?:a|an|some|other|"
                             r"more)\b|for (?:comparison|reference|context)\b)")
# an alternative the remark offers: "would be about $1,315 million", "might prefer"
_ALTERNATIVE = re.compile(r"(?i)\b(?:would|might|could|may)\b|\bprefer")
_GIVES = re.compile(r"(?i)\b(?:gives|yields)\s+(?:us\s+)?(?:an?|the)\s")
# A statement of method ("the margin is calculated by dividing ... by 100") states no result.
METHOD = re.compile(r"(?i)\b(?:is|are|can be|was|were|be) (?:typically |usually |generally )?"
                     r"(?:calculated|computed|defined|determined|derived|obtained|found|"
                     r"measured|estimated) (?:by|as|using|from|with)\b|\bas follows\b|"
                     r"\brequires?\b|\b(?:necessary|needed) to (?:calculate|compute|determine)\b|"
                     r"\bformula\b|\bis (?:then|first|typically) (?:calculated|computed)\b")
_ASIDE_STATEMENT = re.compile(r"^\s*\([^()]*\)[.\s]*$")
# a list marker has an item after it: "0." that ends the answer is its figure
# (a list counts from 1: "Answer: 0. No line item ..." gives its figure)
_LIST_MARKER = re.compile(r"[ \t]*(?:[-*\u2022]\s*)?\(?(?!0[.)])\d{1,2}[.)](?=\s+\S)")
# a list written inline: "... the line item. 5. The figure next to it ...", or after a
# colon from its first item ("...: 1. North America 2. Latin America")
_INLINE_ITEM = re.compile(r"(\d{1,2})[.)]\s+[A-Z]")
_AFTER_SENTENCE = re.compile(r"(?:([.!?;])[\"')\u201d]?|(:))\s+$")


# a statement that checks a result ("To verify: 34.6% x 17,606 = 6,092") does not use it
_CHECKS = re.compile(r"(?i)^\W*(?:to (?:verify|check|confirm|double[- ]check|cross[- ]check)|"
                     r"verif\w*|check(?:ing)?\b|as a (?:sanity )?check|sanity check|"
                     r"(?:double|cross)[- ]check)")


def _number_keys(figure: FinancialNumber) -> list[tuple[object, ...]]:
    """Two figures are one number when they share a key, whatever their sign or the scale a
    table's note gave one of them ("$368,109 (in thousands)" and "368,109"): its magnitude,
    or its digits (three or more)."""
    keys: list[tuple[object, ...]] = [("value", abs(figure.value))]
    digits = re.sub(r"[^\d.]", "", figure.raw)
    if len(digits.replace(".", "")) >= 3:
        keys.append(("digits", digits))
    return keys


_PAREN_ITEM = re.compile(r"\(\d{1,2}\)\s+[A-Za-z]")


def enumerator(text: str, figure: FinancialNumber) -> bool:
    """Whether ``figure`` numbers an item of a list written inline ("... the line item. 5.
    The figure next to it ...", "...: 1. North America", "(1) Current Health Ltd and (2)
    Two Peaks"): a number, not a figure of the answer."""
    if figure.currency or figure.is_percent or figure.scale_explicit:
        return False
    if _PAREN_ITEM.match(text, figure.start):
        return True
    item = _INLINE_ITEM.match(text, figure.start)
    if item is None:
        return False
    before = _AFTER_SENTENCE.search(text[max(0, figure.start - 4):figure.start])
    return before is not None and (before.group(1) is not None or item.group(1) == "1")


REFERENCE = re.compile(r"(?i)\b(?:note|item|section|page|pages|exhibit|part|rule|level|tier|"
                        r"phase|stage|chapter|figure|table|form|no\.|schedule|article|step|"
                        r"option|question|line|paragraph|appendix|series|class|footnote)\s*$")
# a bare year is no amount: "$1999 million" and "2022%" are figures, not years
_YEAR = re.compile(r"(?i)\b(?:fy|fiscal(?: year)?|q[1-4](?: of)?(?: fy)?|h[12](?: fy)?)\s*'?"
                   r"(\d{4}|\d{2})\b|(?<![$\u20ac\u00a3\u00a5.,])(?<![$\u20ac\u00a3\u00a5] )\b"
                   r"((?:19|20)\d\d)\b(?![.,]\d|\s?(?:%|percent\b|(?:thousand|million|billion|"
                   r"trillion)s?\b|mn\b|bn\b|[kmb]\b))")
# ("x" multiplies what follows it, "12 x $5"; "2.04x in FY2022" is a multiple)
_ARITHMETIC = re.compile(r"[+*/\u00d7\u00f7(]|\s[-\u2212]\s|\bx[ \t]+(?=[\d$\u20ac\u00a3(A-Z])")
_OPERATOR_AFTER = re.compile(r"\s*(?:[+*/\u00d7\u00f7]|[-\u2212]\s|x[ \t]+(?=[\d$\u20ac\u00a3(A-Z]))")
# arithmetic in words: "divide by 1,000", "multiplied by 100"
_BY_WORDS = re.compile(r"(?i)\b(?:divid(?:e|es|ed|ing)|multipl(?:y|ies|ied|ying))(?: (?:it|this|"
                       r"that|them|the (?:figure|amount|result))| \w+)? by\s*\$?$")
# a quoted passage: a dozen words or more between quotation marks, within one paragraph
_QUOTED = re.compile(r"\"(?=[^\"\n]{60,1500}\")[^\"\n]*\"|\u201c(?=[^\u201d\n]{60,1500}\u201d)"
                     r"[^\u201d\n]*\u201d")
_EQUALS = re.compile(r"=|\u2248|\bequals\b|\bis equal to\b")


def years_of(text: str) -> set[int]:
    """The years ``text`` names: 2022, FY2022, FY22, fiscal 2022, Q2 FY2023."""
    return {year for _, year in year_mentions(text)}


def year_mentions(text: str) -> list[tuple[int, int]]:
    """Where ``text`` names a year, and which: (offset, year) in order of appearance."""
    found = []
    for match in _YEAR.finditer(text):
        year = int(match.group(1) or match.group(2))
        found.append((match.start(), year + 2000 if year < 100 else year))
    return found


@dataclass(frozen=True)
class Sentence:
    """One statement of an answer: ``text`` starts at ``start`` in the answer."""

    index: int
    start: int
    text: str

    @property
    def end(self) -> int:
        """The offset just past the statement's last character."""
        return self.start + len(self.text)


@dataclass(frozen=True)
class AnswerReading:
    """An answer read into statements and figures (see :func:`read_answer`)."""

    text: str
    sentences: tuple[Sentence, ...]
    #: every figure of the answer, positions relative to the answer's start
    figures: tuple[FinancialNumber, ...]
    #: figures the question itself states (the answer repeating them commits to nothing)
    given: tuple[FinancialNumber, ...]
    #: where the answer's closing statement starts when the answer sets it apart in bold
    #: ("... **Netflix's FY2015 EBITDA margin is approximately 5.4%.**"): a conclusion
    closing: int | None = None

    @cached_property
    def illustration_start(self) -> int:
        """Where a made-up illustration begins (the answer's length when there is none)."""
        for sentence in self.sentences:
            if _ILLUSTRATION.search(sentence.text):
                return sentence.start
        return len(self.text)

    @cached_property
    def quoted(self) -> tuple[tuple[int, int], ...]:
        """Where the answer quotes a passage in quotation marks (as evidence: "This is stated
        as follows: \"For the second quarter, ...\""), as (start, end) offsets; a few quoted
        words ("the \"Other\" segment") are a name, not a passage."""
        return tuple((m.start(), m.end()) for m in _QUOTED.finditer(self.text))

    def in_quote(self, figure: FinancialNumber) -> bool:
        """Whether ``figure`` is inside a passage the answer quotes."""
        return any(start <= figure.start < end for start, end in self.quoted)

    def in_parentheses(self, figure: FinancialNumber) -> bool:
        """Whether ``figure`` is inside parentheses of its statement ("3.9% (4.1%, 4.0% and
        3.6%)"); accounting parentheses around the figure alone ("$(3.2) billion") are its
        sign, not an aside."""
        sentence = self.sentence_at(figure.start)
        if sentence is None:
            return False
        head = self.text[sentence.start:figure.start]
        if figure.raw.startswith("(") and figure.raw.rstrip().endswith(")") and figure.value >= 0:
            return True  # (read as no sign: "$7.42 billion ($742 million)" is an aside)
        if figure.raw.startswith("(") and not figure.raw.rstrip().endswith(")"):
            head += "("
        return head.count("(") > head.count(")")

    def sentence_at(self, offset: int) -> Sentence | None:
        """The statement containing the answer offset ``offset``."""
        for sentence in self.sentences:
            if sentence.start <= offset < sentence.end:
                return sentence
        return None

    def figures_in(self, sentence: Sentence) -> list[FinancialNumber]:
        """The answer's own figures within ``sentence`` (not list numbers or references)."""
        return [f for f in self.own_figures if sentence.start <= f.start < sentence.end]

    @cached_property
    def figure_ends(self) -> list[int]:
        """Where the answer's own figures end, in order."""
        return sorted(f.start + len(f.raw) for f in self.own_figures)

    @cached_property
    def own_figures(self) -> tuple[FinancialNumber, ...]:
        """Figures the answer states itself: not list markers, note or page references, or
        figures the question already gave."""
        kept = []
        for figure in self.figures:
            line_start = self.text.rfind("\n", 0, figure.start) + 1
            label = ANSWER_LABEL.match(self.text, line_start)
            if label is not None and label.end() <= figure.start:
                line_start = label.end()  # "Final Answer: 1. Commercial airlines ..."
            marker = _LIST_MARKER.match(self.text, line_start)
            if marker is not None and marker.end() <= figure.start + len(figure.raw) + 1 \
                    and not figure.currency and not figure.is_percent \
                    and self.text[line_start:figure.start].strip(" -*\u2022(") == "":
                continue
            if enumerator(self.text, figure):
                continue
            if REFERENCE.search(self.text[max(0, figure.start - 14):figure.start]):
                continue
            if any(figure.value == g.value and figure.is_percent == g.is_percent
                   for g in self.given):
                continue
            kept.append(figure)
        return tuple(kept)

    @cached_property
    def concluded(self) -> tuple[tuple[FinancialNumber, ...], Sentence | None]:
        """The figures of the answer's last concluding statement (or its final equation)."""
        return self.commitment(concluded_only=True)

    @cached_property
    def committed(self) -> tuple[tuple[FinancialNumber, ...], Sentence | None]:
        """The figures the answer commits to and the statement that commits to them (see
        :meth:`commitment`)."""
        return self.commitment()

    def commitment(self, *, concluded_only: bool = False,
                   excluding: Callable[[str], object] | None = None
                   ) -> tuple[tuple[FinancialNumber, ...], Sentence | None]:
        """The figures the answer commits to and the statement that commits to them.

        The last concluding statement that states a figure wins; without one, the last line
        of working when it is an equation's result; without either, an opening statement
        that states a figure (unless ``concluded_only``). Statements for which
        ``excluding(text)`` is true (refusal language) commit to nothing.

        Returns:
            ``((), None)`` when the answer commits to no figure.
        """
        def results(s: Sentence) -> list[FinancialNumber]:
            # (nor a statement wholly in parentheses, an aside: "(FY14 ref: 203/5,506 = 3.7%.)")
            if (excluding is not None and excluding(s.text)) or _ASIDE_STATEMENT.match(s.text):
                return []
            return self.stated_results(s)

        def concluded(s: Sentence) -> list[FinancialNumber]:
            # "..., so the capex is $915 million": what follows the marker is concluded; a
            # remark beside the answer ("It's worth noting that ..., so net capex would be
            # about $1,315 million", "That said, a more conservative analyst might prefer
            # ...") concludes on no answer
            if offers_alternative(s.text):
                return []
            markers = list(CONCLUDES.finditer(s.text)) if concludes(s.text) else []
            if not markers and self.closing is not None and s.start >= self.closing:
                # a closing statement set apart in bold concludes on all it states
                return [f for f in results(s) if not self._operand_elsewhere(f, s)]
            if not markers:
                return []
            after = s.start + markers[-1].start()
            found = results(s)
            concluded_on = [f for f in found if f.start >= after]
            if not concluded_on and BENCHMARK.search(s.text[:markers[-1].start()]):
                # a benchmark before the conclusion is what it is measured against ("A quick
                # ratio above 1 is generally considered healthy, so Marisol appears ...")
                return []
            found = concluded_on or found
            # a step's result that another statement computes with ("So, EBITDA is $14,275
            # million" under an opening "The margin is $14,275 million / $86,392 million =
            # 16.52%") is working, wherever the answer puts its conclusion
            return [f for f in found if not self._operand_elsewhere(f, s)]

        # the last concluding statement (found from the end: each costs a look at the rest)
        for sentence in reversed(self.sentences):
            found = concluded(sentence)
            if found:
                return tuple(found), sentence
        with_figures = [s for s in self.sentences if results(s)]
        if not with_figures:
            return (), None
        last = with_figures[-1]
        gives = _GIVES.search(last.text)
        if gives is not None and last.index == self.sentences[-1].index:
            # what the working's last step gives: "Dividing by revenue gives an EBITDA margin
            # of 18.5%." (a step before the last only gives an input)
            found = results(last)
            after = [f for f in found if f.start >= last.start + gives.end()]
            return tuple(after or found), last
        # a last line that is its figure alone, after the working ("**40.06%**"), is the
        # result the working comes to
        # (not a list's number left alone: "5." before an item read as an aside)
        if last.index == self.sentences[-1].index and last.index > 0 and not _LETTER.search(
                _without_figures(last.text, results(last), last.start)) \
                and not _MARKER_ONLY.match(last.text.strip()):
            return tuple(results(last)), last
        # a closing statement that restates the working's result in words ("Change = 530 -
        # 412 = 118. ... net income increased by $118 million.") concludes on it
        if last.index == self.sentences[-1].index and not _EQUALS.search(last.text) and any(
                significant_digits(f) == significant_digits(r) for s in with_figures[:-1] if _EQUALS.search(s.text)
                for r in self.result_figures(s) for f in results(last)):
            return tuple(results(last)), last
        if _EQUALS.search(last.text) and last.index >= self.sentences[-1].index - 1 and not all(
                self._operand_elsewhere(f, last) for f in self.result_figures(last)):
            return tuple(self.result_figures(last)), last
        # (a remark labelled as one, "comment: ...", opens with no answer)
        first = next((s for s in with_figures if not NOTE_LABEL.match(s.text)), with_figures[0])
        # an opening equation is the working's first step, unless no other statement
        # computes with its result: then it states the answer first ("The ratio is $6,489
        # million / $267.5 million = 24.26.", the working after it)
        if not concluded_only and first.index == self.sentences[0].index and (
                not _EQUALS.search(first.text) or not any(
                    self._operand_elsewhere(f, first) for f in self.result_figures(first))):
            return tuple(self.result_figures(first)), first
        return (), None

    @cached_property
    def _operands(self) -> dict[tuple[object, ...], list[FinancialNumber]]:
        """The answer's figures that are operands of its arithmetic, by number."""
        found: dict[tuple[object, ...], list[FinancialNumber]] = {}
        for figure in self.own_figures:
            # "4.3% - 4.1%" reads "- 4.1%" as one figure: a subtrahend, not a negative
            if figure.raw[:2] in ("- ", "\u2212 ") or self.is_operand(figure):
                for key in _number_keys(figure):
                    found.setdefault(key, []).append(figure)
        return found

    def _operand_elsewhere(self, figure: FinancialNumber, sentence: Sentence) -> bool:
        """Whether another statement computes with ``figure`` (an operand of its arithmetic,
        or what it divides or multiplies by)."""
        keys = set(_number_keys(figure))
        candidates = {id(o): o for key in keys for o in self._operands.get(key, ())}
        for other in candidates.values():
            if other.is_percent != figure.is_percent or sentence.start <= other.start < sentence.end:
                continue
            using = self.sentence_at(other.start)
            # "$4,625 million / 1,000 = $4.625 billion" restates the figure in other units;
            # a check uses the result only to check it
            if using is not None and not _CHECKS.match(using.text) and not any(
                    keys & set(_number_keys(r)) for r in self.result_figures(using)):
                return True
        return False

    def is_operand(self, figure: FinancialNumber) -> bool:
        """Whether ``figure`` is an operand of arithmetic ("($66,608 - $63,078)")."""
        before = self.text[max(0, figure.start - 3):figure.start]
        return bool(_OPERATOR_AFTER.match(self.text, figure.start + len(figure.raw))
                    or re.search(r"[+*/\u00d7\u00f7(]\s*$|\s[-\u2212]\s*$", before))

    def stated_results(self, sentence: Sentence) -> list[FinancialNumber]:
        """The statement's results (:meth:`result_figures`) the answer states itself: a
        passage it quotes is the source's, and its figures are evidence."""
        return [f for f in self.result_figures(sentence) if not self.in_quote(f)]

    def result_figures(self, sentence: Sentence) -> list[FinancialNumber]:
        """The figures a statement gives as its result: right of its last ``=`` if it has
        one; none when the statement is hypothetical."""
        # (nor a question: "So, 167 divided by 3,991 gives what share of revenue?")
        if HYPOTHETICAL.search(sentence.text) or sentence.start >= self.illustration_start \
                or sentence.text.rstrip(" *_").endswith("?"):
            return []
        figures = self.figures_in(sentence)
        equals = list(_EQUALS.finditer(sentence.text))
        if not equals and METHOD.search(sentence.text):
            return []
        if equals:
            return self._equation_result(sentence, equals[-1].end(), figures)
        # "to express it in millions, divide by 1,000": what it divides by is no result
        return [f for f in figures
                if not _BY_WORDS.search(self.text, max(0, f.start - 24), f.start)]

    def _equation_result(self, sentence: Sentence, after: int,
                         figures: list[FinancialNumber]) -> list[FinancialNumber]:
        """The figures right of the last "=" that are a result, not operands: "= 1.33
        (rounded)" and "= 0.0142 or 1.42%" state results; "= (A + B) / 2" and "= 4.3% -
        4.1%" do not."""
        found: list[FinancialNumber] = []
        position = sentence.start + after
        for figure in figures:
            if figure.start < position:
                continue
            between = self.text[position:figure.start]
            end = figure.start + len(figure.raw)
            # (a result is not undone by an aside that restates it: "= 38.1% (i.e., FY2022
            # was 1.381x the prior year)")
            if found and _ASIDE_OPENS.search(between):
                # (the same result in another form right after "i.e." is one too: "= 1.381
                # (i.e., 38.1% growth)")
                if _RESTATED.search(between):
                    found.append(figure)
                break
            if _ARITHMETIC.search(between) or _OPERATOR_AFTER.match(self.text, end):
                return []
            found.append(figure)
            position = end
        return found


BENCHMARK = re.compile(r"(?i)\b(?:generally|typically|usually|commonly|often|widely)\s+"
                        r"(?:considered|regarded|seen|viewed|thought|deemed)\b|\brule of thumb\b|"
                        r"\bbenchmark\b|"
                        # "A combined ratio below 100% indicates an underwriting profit"
                        r"\b(?:above|below|under|over|less than|more than|greater than|exceeding)\s+"
                        r"\$?\d[\d.,]*\s*(?:%|x|times)?\s+(?:is|are|indicates?|suggests?|means?|"
                        r"signals?|would|generally|typically)\b")


_ASIDE_OPENS = re.compile(r"[(\[;,]\s*(?:i\.e\.|(?:that is|meaning|or)\b)")
_RESTATED = re.compile(r"[(\[;,]\s*(?:i\.e\.|that is|or)\W*$")
_LETTER = re.compile(r"[A-Za-z]")


def _without_figures(text: str, figures: list[FinancialNumber], start: int) -> str:
    """``text`` (starting at answer offset ``start``) without ``figures``."""
    for figure in reversed(figures):
        at = figure.start - start
        text = text[:at] + text[at + len(figure.raw):]
    return text


_MARKER_ONLY = re.compile(r"^(?:[-*\u2022]\s*)?\(?(?:\d{1,2}|[a-zA-Z])[.)]$")
# a line naming a part of the answer ("Explanation:", "Step 2: Calculation") states nothing
_SECTION_LABEL = re.compile(
    r"(?i)^\W*(?:(?:step|part|section)\s*\d{0,2}\s*[:.)-]?\s*)?(?:(?:detailed |short |brief )?"
    r"(?:explanation|reasoning|analysis|calculations?|working|details|rationale|justification|"
    r"background|context|approach|method(?:ology)?|solution|assumptions?|notes?|sources?|"
    r"references?|key (?:points|figures|data)|data|given))?\s*:$")
# what may follow a courtesy's words: a few words without a figure or a colon ("with that!",
# "you understand the ratio.") - "I'd be happy to help: the DPO is 42 days." states something
_COURTESY_TAIL = r"[^.!?\n:\d]{0,60}[.!?]?"
# Courtesies are not statements of the answer: "Sure, I'd be happy to help!", "Great
# question.", "I hope this helps! Let me know if you have any other questions."
_COURTESY = re.compile(
    # ("Absolutely." alone, with a full stop, answers a yes/no question: no courtesy)
    r"(?i)^(?!\W*(?:absolutely|certainly|of course|definitely)\s*\.$)\W*(?:(?:sure|certainly|of course|absolutely|okay|ok|alright|great question|good "
    r"question|happy to help|glad to help)\W*|(?:sure|certainly|of course|absolutely)?[,!]?\s*"
    r"(?:i'?d|i would|i'?ll|i will|i am|i'm) (?:be )?(?:happy|glad|delighted) to (?:help|assist)"
    rf"{_COURTESY_TAIL}|i hope (?:this|that|the above)(?: [a-z]+){{0,2}} (?:helps|answers|clarifies|"
    rf"is (?:helpful|useful|clear))(?![^.!?\n]*\d){_COURTESY_TAIL}|"
    rf"(?:please )?(?:let me know|feel free to (?:ask|reach out)){_COURTESY_TAIL}|if you have any "
    rf"(?:other|further|more|additional) questions{_COURTESY_TAIL}|"
    # an offer of more ("Would you like me to break this down by segment?")
    r"(?:would you like|do you want|shall i|should i|want me to)[^.!?\n:\d]{0,100}\?)$")
# An announcement of what follows says nothing itself: "Okay, let's break this down step by
# step:", "Let me walk you through the calculation.", "Here's how I arrived at the answer:"
# (a year it names is the question's; any other figure makes it a statement)
_ANNOUNCEMENT = re.compile(
    r"(?i)^\W*(?:(?:sure|certainly|okay|ok|alright|great|good)\W+)?(?:(?:let's|let us|let me|"
    r"i'll|i will|we'll|we will|we can|i can)\s+(?:now\s+)?(?:break (?:this|it|that) down|"
    r"walk (?:you )?through|go through|think (?:about )?(?:this|it)|solve (?:this|it)|"
    r"work (?:this|it) out|take (?:this|it)|tackle (?:this|it)|approach (?:this|it)|"
    r"look at (?:this|the (?:numbers|figures|data|question))|start)|"
    r"here(?:'s| is| are) (?:how|what|the (?:breakdown|calculation|steps?|answer|analysis|"
    r"details)|a (?:breakdown|step-by-step)|my (?:answer|analysis|reasoning)))"
    r"[^.!?\n:]{0,120}[.:!]?$")


def _sentences(text: str) -> tuple[Sentence, ...]:
    spans: list[tuple[int, int]] = []
    position = 0
    for piece in _SPLIT.split(text):
        start = text.find(piece, position)
        position = start + len(piece)
        stripped = piece.strip()
        if not stripped:
            continue
        offset = start + piece.index(stripped)
        if _COURTESY.match(stripped) or (_ANNOUNCEMENT.match(stripped) and not any(
                c.isdigit() for c in _YEAR.sub("", stripped))) or (_SECTION_LABEL.match(stripped)
                                         and not _MARKER_ONLY.match(stripped[:-1])):
            continue
        if spans and ((_MARKER_ONLY.match(text[spans[-1][0]:spans[-1][1]])
                       and "\n" not in text[spans[-1][1]:offset])
                      or LABEL_ONLY.match(text[spans[-1][0]:spans[-1][1]])):
            # "1. Trillium: ..." is one statement, not "1." and "Trillium: ..."; so is
            # "Final Answer:" and the line under it
            spans[-1] = (spans[-1][0], offset + len(stripped))
            continue
        spans.append((offset, offset + len(stripped)))
    return tuple(Sentence(i, a, text[a:b]) for i, (a, b) in enumerate(spans))


def read_answer(answer: str, question: str = "",
                expected: tuple[FinancialNumber, ...] = (),
                closing: int | None = None) -> AnswerReading:
    """Read ``answer`` into statements and figures.

    Args:
        answer: the answer's text.
        question: the question; figures it states are not taken as the answer's.
        expected: figures the answer may rightly repeat from the question (a question that
            says "if there are none, state 0" whose gold is 0).
        closing: where its closing statement starts, when the answer as written sets it
            apart in bold (see :attr:`AnswerReading.closing`).

    Returns:
        An :class:`AnswerReading`.
    """
    given = tuple(q for q in parse_financial_numbers(question)
                  if not any(q.value == e.value and q.is_percent == e.is_percent
                             for e in expected))
    return AnswerReading(answer, _sentences(answer), tuple(parse_financial_numbers(answer)),
                         given, closing)
