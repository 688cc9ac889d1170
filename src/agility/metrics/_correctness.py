"""The offline three-class grader of financial answers: ``correct``, ``incorrect``, ``refusal``.

It follows the general rules financial experts apply when they mark an answer against a gold
answer (calibrated on FinanceBench's human labels, Islam et al. 2023, arXiv:2311.11944):

1. The gold answer's key figures are the figures it states that the question does not
   already state. An answer is correct when it states them (any scale, percent or ratio
   form, within rounding: see :mod:`agility.metrics._numbers`); a gold stated as a change
   ("decreased by $229 million") is also met by the two levels whose difference it is.
2. When the answer states a key figure only in its working and concludes on another figure,
   the conclusion is what counts.
3. Yes/no questions: the answer's polarity must agree with the gold's.
4. An answer that declines or says the information is unavailable is a refusal, however long,
   unless it still commits to the gold's figures. An answer that pastes the source document
   instead of answering is incorrect.
5. A different amount of money than the gold's contradicts it, even when the question is not
   about a figure (the gold's percentages, by contrast, are often supporting detail).
6. Gold answers without decisive figures are compared on their direction of change (up
   against down is incorrect) and then on their content words.
7. A gold that itself declines or says the information is not available (refusal language
   and no key figure) is met by an answer that declines too; an answer that commits to a
   figure or an answer instead is incorrect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import Field

from agility.metrics._base import Metric, MetricInput, MetricResult, register_metric
from agility.metrics._numbers import FinancialNumber, figures_match, parse_financial_numbers
from agility.metrics._options import MetricOptions
from agility.metrics._refusal import refusal_phrases

__all__ = ["VERDICTS", "CorrectnessMetric", "CorrectnessOptions", "Judgement",
           "judge_financial_answer"]

VERDICTS = ("correct", "incorrect", "refusal")

_YES = re.compile(r"(?i)^\W*(?:yes|yep|correct|true|indeed)\b")
_NO = re.compile(r"(?i)^\W*(?:no|nope|false|not really)\b")
# An answer that pastes the source filing instead of answering (a RAG failure).
_DOCUMENT_DUMP = re.compile(r"(?i)\[start of (?:filing|document)\]|securities and exchange "
                            r"commission\s+washington|^\W*form 10-[kq]\b")
_LATE_POLARITY = re.compile(r"(?i)\b(?:so|therefore|thus|hence|in summary|in conclusion|"
                            r"to answer (?:your|the) question),? (yes|no)\b")
_LEAD_IN = re.compile(r"(?i)^\W*(?:based on|according to|from|given|using|looking at|as per)"
                      r"[^,.]{0,120},\s*")
_CONCLUSION = re.compile(r"(?i)\b(?:therefore|thus|hence|so,|in summary|in conclusion|overall,|"
                         r"to summari[sz]e|the answer is|this means|which means|resulting in|"
                         r"is approximately|is about|comes to|equals)\b")
_MAX_PAIRS = 30
_BARE_NUMBER = re.compile(r"\s*-?\d[\d,]*(?:\.\d+)?\s*")
_YES_NO_QUESTION = re.compile(r"(?i)^\W*(?:is|are|was|were|does|do|did|has|have|had|can|could|"
                              r"will|would|should)\b")
# Questions whose answer is a quantity; for the others the figures in a gold answer are
# supporting detail and the judgment rests on what the answer says.
_QUANTITY_QUESTION = re.compile(
    r"(?i)\b(?:how much|how many|how (?:\w+ ){0,3}(?:change|grow|grew|increase|decrease|decline)"
    r"|calculate|compute|what (?:is|was|were|are) (?:the |its |their |\w+'s )?(?:\w+ ){0,8}?"
    r"(?:amount|ratio|margin|rate|value|percentage|percent|total|number|cost|expense|"
    r"revenue|income|sales|spend|capex|turnover|eps|yield|days|growth|debt|assets|"
    r"liabilities|cash|dividends?)"
    r"|in usd|in \$|usd (?:millions|billions|thousands)|round (?:your )?answer|roughly|"
    r"approximately)\b")
_STOP = frozenset(
    ["a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "by", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "it", "its", "this", "that", "these", "those", "which", "who", "whom", "what", "when", "where", "why", "how", "than", "then", "there", "their", "they", "them", "he", "she", "his", "her", "we", "our", "you", "your", "i", "not", "no", "yes", "do", "does", "did", "can", "could", "would", "should", "will", "may", "might", "also", "very", "more", "most", "less", "least", "over", "under", "between", "during", "into", "about", "fy", "fiscal", "year", "years", "company", "company's", "primarily", "mainly", "total"]
)
_WORD = re.compile(r"[a-z][a-z&'\-]+")


@dataclass(frozen=True)
class Judgement:
    """The grader's decision on one answer."""

    verdict: str
    reason: str

    @property
    def score(self) -> float | None:
        """1.0 correct, 0.0 incorrect or refusal."""
        return 1.0 if self.verdict == "correct" else 0.0


_MAX_CHARS = 20_000


def _clip(text: str) -> str:
    # No real answer is this long; reading its start and end keeps the grader's time bounded.
    if len(text) <= _MAX_CHARS:
        return text
    half = _MAX_CHARS // 2
    return text[:half] + "\n...\n" + text[-half:]


def _as_text(value: object) -> str:
    return "" if value is None else str(value)


def _key_figures(gold: object, question: str) -> list[FinancialNumber]:
    figures = parse_financial_numbers(gold if isinstance(gold, int | float) else _as_text(gold))
    if isinstance(gold, int | float):
        return figures
    in_question = parse_financial_numbers(question)
    keep: list[FinancialNumber] = []
    for fig in figures:
        if any(fig.raw == q.raw or (fig.value == q.value and fig.is_percent == q.is_percent)
               for q in in_question):
            continue
        if not any(figures_match(fig, k) and figures_match(k, fig) for k in keep):
            keep.append(fig)
    return keep


def _polarity(text: str) -> str | None:
    """"yes" or "no" when the text opens with one, or states one in its conclusion."""
    head = _LEAD_IN.sub("", text.strip(), count=1)
    if _YES.match(head):
        return "yes"
    if _NO.match(head):
        return "no"
    late = _LATE_POLARITY.findall(text)
    return late[-1].lower() if late else None


def _conclusion(answer: str) -> str:
    """The part of the answer that states its final result ("" when it does not mark one)."""
    matches = list(_CONCLUSION.finditer(answer))
    return answer[matches[-1].start():] if matches else ""


def _differences(said: list[FinancialNumber]) -> list[FinancialNumber]:
    """The changes between pairs of figures of one kind: a gold that states a change ("debt
    decreased by $229 million") is answered by the two levels ($150,868m and $150,639m)."""
    found: list[FinancialNumber] = []
    head = said[:_MAX_PAIRS]
    for i, first in enumerate(head):
        for second in head[i + 1:]:
            if _kind(first) != _kind(second) or first.value == second.value:
                continue
            found.append(FinancialNumber(
                value=first.value - second.value, raw=f"{first.raw} - {second.raw}",
                start=second.start, is_percent=first.is_percent,
                scale_explicit=first.scale_explicit and second.scale_explicit,
                currency=first.currency, decimals=min(first.decimals, second.decimals)))
    return found


def _figure_verdict(keys: list[FinancialNumber], answer: str, question: str,
                    derived: list[FinancialNumber]) -> tuple[str, str] | None:
    said = parse_financial_numbers(answer)
    if not said:
        return None
    matched = [k for k in keys if any(figures_match(a, k) for a in said + derived)]
    if not matched:
        return "incorrect", f"none of the gold figures ({_raws(keys)}) appears in the answer"
    conclusion = _conclusion(answer)
    given = parse_financial_numbers(question)
    final = [f for f in parse_financial_numbers(conclusion)
             if not any(f.value == q.value for q in given)]
    if final and len(keys) == 1 and not any(figures_match(a, keys[0]) for a in final):
        return "incorrect", (f"the gold figure {keys[0].raw} appears only in the working; the "
                             f"answer concludes {_raws(final)}")
    if len(matched) < len(keys) and (len(keys) <= 2 or len(matched) * 2 < len(keys)):
        return "incorrect", f"states {len(matched)} of {len(keys)} gold figures ({_raws(keys)})"
    return "correct", f"states the gold figure(s) {_raws(matched)}"


def _kind(figure: FinancialNumber) -> str:
    return "percent" if figure.is_percent else ("money" if figure.currency else "plain")


def _contradicts(keys: list[FinancialNumber], answer: str, question: str,
                 derived: list[FinancialNumber]) -> str | None:
    """A reason when the answer states a figure of the same kind as a gold figure it misses.

    A gold "$831 million" against an answer's "$2,278 million" is a different figure for the
    same quantity; against an answer that only gives percentages it is merely not discussed.
    """
    said = parse_financial_numbers(answer)
    missed = [k for k in keys if not any(figures_match(a, k) for a in said + derived)]
    if not missed or len(missed) < len(keys):
        return None
    given = parse_financial_numbers(question)
    kinds = {_kind(k) for k in missed if _kind(k) == "money"}
    clashing = [a for a in said if _kind(a) in kinds
                and not any(figures_match(a, q) for q in given)]
    if not clashing:
        return None
    return f"states {_raws(clashing)} where the gold says {_raws(missed)}"


def _raws(figures: list[FinancialNumber], limit: int = 4) -> str:
    shown = ", ".join(f.raw for f in figures[:limit])
    return shown + (", ..." if len(figures) > limit else "")


_UP = re.compile(r"\b(?:increas\w*|improv\w*|ros[e]|rise[sn]?|grew|grow\w*|higher|gain\w*|"
                 r"expand\w*|accelerat\w*)\b")
_DOWN = re.compile(r"\b(?:decreas\w*|declin\w*|dropp?\w*|fell|fall\w*|lower|shr[iu]nk\w*|"
                   r"contract\w*|deteriorat\w*|decelerat\w*|reduc\w*)\b")


def _describes_change(gold: str) -> bool:
    return bool(_UP.search(gold.lower()) or _DOWN.search(gold.lower()) or
                re.search(r"(?i)\bchang\w*|\bdifference\b", gold))


def _direction(text: str) -> str | None:
    up, down = bool(_UP.search(text)), bool(_DOWN.search(text))
    return "up" if up and not down else "down" if down and not up else None


def _direction_clash(gold: str, answer: str) -> str | None:
    """A reason when gold and answer say a quantity moved in opposite directions."""
    gold_way = _direction(gold.lower().split(".")[0])
    if gold_way is None:
        return None
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", answer.strip().lower()) if s]
    head = sentences[0] if sentences else ""
    answer_way = _direction(head)
    if answer_way and answer_way != gold_way:
        return f"says the figure went {answer_way}; the gold says {gold_way}"
    return None


def _content_recall(gold: str, answer: str) -> float | None:
    gold_words = {w for w in _WORD.findall(gold.lower()) if w not in _STOP and len(w) > 2}
    if not gold_words:
        return None
    answer_words = set(_WORD.findall(answer.lower()))
    stems = {w[:5] for w in answer_words}
    hits = sum(1 for w in gold_words if w in answer_words or w[:5] in stems)
    return hits / len(gold_words)


def judge_financial_answer(question: str | None, gold: object, answer: object, *,
                           text_threshold: float = 0.25) -> Judgement:
    """Grade one financial answer against its gold answer.

    Args:
        question: the question asked (figures it states are not taken as the answer).
        gold: the gold answer (text or a bare number).
        answer: the model's answer.
        text_threshold: share of the gold's content words an answer must contain when the
            gold states no figure and no yes/no.

    Returns:
        A :class:`Judgement` with verdict ``correct``, ``incorrect`` or ``refusal``.
    """
    text = _clip(_as_text(answer).strip())
    question = _as_text(question)
    if isinstance(gold, str) and _BARE_NUMBER.fullmatch(gold):
        gold = float(gold.replace(",", "")) if "." in gold else int(gold.replace(",", ""))
    if not text:
        return Judgement("refusal", "empty answer")
    if _DOCUMENT_DUMP.search(text[:400]):
        return Judgement("incorrect", "copies source text instead of answering")
    refusals = refusal_phrases(text)
    keys = _key_figures(gold, question)
    gold_text = _as_text(gold)
    if not keys and not isinstance(gold, int | float) and refusal_phrases(gold_text):
        return _declining_gold_verdict(text, question, refusals)
    gold_polarity = _polarity(gold_text) if not isinstance(gold, int | float) else None
    answer_polarity = _polarity(text)

    if gold_polarity and answer_polarity and not refusals and gold_polarity != answer_polarity:
        return Judgement("incorrect", f"answers {answer_polarity}; the gold says {gold_polarity}")
    derived = (_differences(parse_financial_numbers(text))
               if keys and _describes_change(gold_text) else [])
    figure = _figure_verdict(keys, text, question, derived) if keys else None
    if figure and figure[0] == "correct":
        return Judgement(*figure)
    if refusals:
        return Judgement("refusal", "declines or says the information is missing ("
                         + ", ".join(refusals) + ")")
    contradiction = _contradicts(keys, text, question, derived) if figure else None
    if contradiction:
        return Judgement("incorrect", contradiction)
    if gold_polarity and answer_polarity:
        return Judgement("correct", f"answers {answer_polarity}, as the gold does")
    asks_quantity = isinstance(gold, int | float) or (
        not _YES_NO_QUESTION.match(question) and bool(_QUANTITY_QUESTION.search(question)))
    if figure and asks_quantity:
        return Judgement(*figure)
    return _text_verdict(gold_text, text, text_threshold)


def _declining_gold_verdict(answer: str, question: str, refusals: list[str]) -> Judgement:
    """Rule 7: the gold declines or says the figure is not available."""
    if refusals:
        return Judgement("correct", "declines as the gold does (" + ", ".join(refusals) + ")")
    given = parse_financial_numbers(question)
    figures = [f for f in parse_financial_numbers(answer)
               if not any(f.value == q.value for q in given)]
    if figures:
        return Judgement("incorrect", f"states {_raws(figures)} where the gold says the answer "
                                      f"is not available or must be declined")
    return Judgement("incorrect", "answers where the gold says the answer is not available or "
                                  "must be declined")


def _text_verdict(gold: str, answer: str, threshold: float) -> Judgement:
    """Rule 6: direction of change, then the share of the gold's content words."""
    direction = _direction_clash(gold, answer)
    if direction:
        return Judgement("incorrect", direction)
    recall = _content_recall(gold, answer)
    if recall is None:
        return Judgement("incorrect", "the gold states nothing the answer could be checked on")
    if recall >= threshold:
        return Judgement("correct", f"contains {recall:.0%} of the gold's content words")
    return Judgement("incorrect", f"contains only {recall:.0%} of the gold's content words")


class CorrectnessOptions(MetricOptions):
    """Options of ``correctness``."""

    #: share of a figure-less gold's content words an answer must contain
    text_threshold: float = Field(0.25, ge=0.0, le=1.0)


@register_metric("correctness")
class CorrectnessMetric(Metric):
    """Three-class correctness of a financial answer against its ground truth, offline.

    Option ``text_threshold`` (default 0.25): the share of a figure-less gold's content words
    an answer must contain.

    ``verdict`` is ``correct``, ``incorrect`` or ``refusal``; ``score`` is 1.0 when correct;
    ``passed`` is True when correct.
    """

    version = "2"  # 2: rule 7 (a gold that declines is met by a refusal)
    Options = CorrectnessOptions
    options: CorrectnessOptions
    requires = ("output", "ground_truth")

    def score(self, item: MetricInput) -> MetricResult:
        """Grade one answer (see the module docstring for the rules)."""
        missing = self.missing(item)
        if missing:
            return MetricResult(error=f"cannot grade: the example has no {missing}")
        judgement = judge_financial_answer(item.question, item.ground_truth, item.output,
                                           text_threshold=self.options.text_threshold)
        return MetricResult(score=judgement.score, verdict=judgement.verdict,
                            passed=judgement.verdict == "correct", reason=judgement.reason)
