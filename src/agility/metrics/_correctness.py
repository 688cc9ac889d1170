"""The offline three-class grader of financial answers: ``correct``, ``incorrect``, ``refusal``.

It marks an answer the way a financial examiner marks a script against a model answer, by
general rules (checked against FinanceBench's expert labels, Islam et al. 2023,
arXiv:2311.11944, on three model families with different answer styles):

0. **Markup is not content.** Markdown emphasis and headings, LaTeX and inline HTML are read
   as the plain text they format ("**7.9\\%**" is "7.9%"), a reasoning model's closed
   ``<think>`` block is working, a retrieval pipeline's citations ("[1]", "(Source: ...)")
   are references, and courtesies ("Sure, I'd be happy to help!") and section labels
   ("Explanation:") state nothing; reasons still point into the answer as given. An
   agent's log is its submission: what a tool gave back is what the agent read, and a run
   that halted before submitting answers nothing (:mod:`agility.metrics._agent_log`); a
   framework's serialized result answers in its answer's field
   (:mod:`agility.metrics._agent_records`).
1. **The committed answer is what counts.** An answer's working is not its answer: the
   grader finds the figure the answer concludes on (its concluding statement, else the
   final line of its working, else an opening statement that answers directly; see
   :mod:`agility.metrics._answer`) and judges that. A gold figure that appears only in the
   working does not make an answer correct, and a made-up illustration ("for example, if
   net income were $1,000,000 ...") commits to nothing. A passage the answer quotes from
   its source (in quotation marks) is evidence: its figures are neither what the answer
   concludes on nor another value it gives for the gold's quantity. A conclusion drawn from
   the working that introduces a list ("Therefore, the primary geographies are:" and its
   items) is the answer, not the opening statement before the working; a statement that
   points back to the list before it ("These divisions reflect the company's primary
   geographies") answers with that list. The answer given first (labelled "Answer:", or the
   opening statement) stands against a later statement that seems to conclude but states
   another quantity or another period ("For reference, net PP&E was $8.9 billion a year
   earlier, so the balance edged down"); a heading that states the answer ("### Answer:
   10.3%") is a statement; a change asked is answered by the change labelled after the
   levels ("Change: -$118M"). A statement labelled as the answer ("Final answer: ...",
   "Short answer: ...") is about the question and answers it, beside refusal language too,
   unless the writer takes it back ("Wait, ...", "I mixed that up").
2. **Precision.** Figures agree at the precision they are stated to, in any scale or
   percent/ratio form: 39.7% and 40.06% differ, $30B and $30.1 billion agree (see
   :func:`agility.metrics.figures_match`). A gold stated as a change ("decreased by $229
   million") is also met by the two levels whose difference it is. A scale left unstated is
   read upward only (a table's "1,577" in millions), and a gold written out in full
   ("$678,900,000") states its units. A gold stated as a change one way ("An increase of
   $54.1 million") is not met by its size said the other way ("decreased by $54.1 million").
   Figures are compared by size, since words usually carry the sign ("a loss of $3.2
   billion"); but a figure written negative ("-$3.2 billion", "$(3.2) billion") does not
   state a gold the gold calls positive ("$3.2 billion, a profit"), nor does a figure the
   answer calls a profit state a gold written negative or called a loss. A dash followed by
   a space ("- $3.2 billion") is a list bullet or a separator, not a sign, and a number
   hyphenated to a word ("COVID-19") is part of a name, not a figure. A bare figure below
   one ("0.69 times") is a ratio, not an amount: no unstated scale makes it "$689 million".
   One unit of money a gold states a rate against ("$2.77 of assets to generate $1 of
   revenue", "for every $1 of sales") is the rate's base, not a quantity to be stated.
   A figure restated at once on another scale ("$1,577 million, or approximately $15.8
   billion") is another amount. A gold that opens with its figure and gives its working in
   parentheses ("$1.6 billion (operating cash flow of $2.4 billion less capex of $0.8
   billion)") is answered by that figure; a figure of the working alone does not answer it.
   Debt securities a gold lists are met by the same set, each by coupon and maturity.
3. **Yes/no polarity.** For a yes/no gold the answer's stance, said outright or implied by
   restating the question's proposition affirmed or negated, must agree with the gold's
   (see :mod:`agility.metrics._stance`). Of the statements that take the question up, one
   that speaks of what it asks ("accelerate", "consistent", "healthy", or their contrary)
   answers it before one that only names its subject. A claim drawn from the working
   ("Based on these calculations, the margin did not improve") concludes, and a side note
   the answer marks as one ("However, it is important to note that ...") qualifies the
   claim it follows and does not replace it. A claim about the company's own figures
   ("Best Buy's gross margins have generally been consistent") stands although it hedges
   with "generally" or "typically"; a general remark about a metric does not. A statement
   that declines to conclude ("it does not necessarily mean that the growth rate is
   accelerating") takes no stance; a concession is not the claim ("while SG&A decreased as
   a share of sales, the wages component increased" says up). A question asking whether
   there are any of a kind ("Were there any nominees who ...?") is answered yes by naming
   them: when the gold names them, a yes that names others and none of the gold's says yes
   of something else and is incorrect.
4. **The same subject.** An answer that states another value for a quantity the gold
   states (the same metric: the words naming the figure match), or that speaks only of
   another period than the question's, is incorrect even when its yes/no or its words agree.
   The result of the answer's own calculation that no word names ("FY2023: (689 + 1,875) /
   4,476 = 0.57") measures the quantity the question asks, so it is another value for a gold
   figure named by the question's words ("the quick ratio ... from 0.67 to 0.69"). A
   count is named by what it counts: "907 stores" is another value of the gold's "982
   stores", whatever words come before the two. A question that asks which one of a kind
   ("Which segment dragged down growth?") is answered by the one the answer names: naming
   another ("the Safety and Industrial segment" for the gold's "consumer segment") is
   incorrect, whatever words or figures it shares with the gold. So is the gold's figure
   named as another metric of the question's family ("gross margin" where the COGS margin
   is asked, the current ratio for the quick ratio, basic for diluted EPS; see
   :mod:`agility.metrics._metric_names`), given for another quarter than the one asked or
   for another option the question offers,
   given for the other of the gold's years, read off another year's table row beside the
   asked year's, or given only in parentheses that list the parts of the answer's own
   figure ("about 3.9% (4.1%, 4.0% and 3.6%)").
5. **A refusal is a refusal only when nothing is committed.** An answer with refusal
   language ("the filing does not state ...") that still concludes on a figure or a yes/no
   (hedged or not: "it does not appear that ..."), or that announces it answers anyway by
   inference ("However, we can infer ..."), is graded on that, and so is a plain opening
   claim on a yes/no question ("3M does maintain a stable trend of dividends.") that a
   caveat with refusal language follows (not one that is hedged, conditional, the task or
   method, or about what the sources mention); one that commits to nothing is a refusal.
   A hedged claim ("gross margin might not be the most relevant metric") does not commit
   an answer that has declined, for a gold that rejects the metric as for any other.
   Refusal language is read with its contractions spelled out ("it's impossible to
   calculate" declines as "it is impossible to calculate" does); what the question leaves
   open ("the question does not specify the period") is not missing information; an
   inference may be announced in the source's words ("it does provide information that can
   be used to infer ..."); and a claim drawn from evidence ("it appears that the margin has
   improved") takes a stance beside refusal language. A question that offers options
   ("Among operations, investing and financing, which ...?") is answered by a statement
   that picks one; excerpts that take it up in no statement pick none. An input the working
   sets aside and goes on without ("the balance sheet does not mention any marketable
   securities, so we will exclude them") is working, not refusal language.
   An answer that pastes the source document instead of answering is incorrect.
6. A gold that states its figures and nothing else the question does not say (units, hedges
   and a direction aside: "$678.9 million") is judged on its figure whatever the question's
   wording. Another gold with figures is contradicted by an answer that states none of them
   and commits to another figure for the quantity one of them measures (the words naming
   the two share a word, or the answer's names none): it is incorrect however many of the
   gold's words it shares.
   Golds without decisive figures or yes/no are compared on their direction of change
   (up against down is incorrect: the direction the answer says of the asked figure, in
   its conclusion when it draws one, "As a result, the operating margin decreased", else in
   its opening; a change of something else named in passing is not the answer's, and a gold
   that says there was no change, "the real growth was flat", gives none) and then on the
   share of the gold's own content words
   (those the question does not already contain) that the answer's statements contain:
   the statement that takes the question up (and a list it introduces), else the first two
   that state something (a fragment without a verb, "Kestrel Ridge Holdings, Inc.", does
   not), or the list the answer opens with.
7. A gold that itself declines or says the information is not available is met by an
   answer that declines too; an answer that commits to a figure or an answer is incorrect.
8. **Periods as options.** A question that states two or more years and asks which of them
   ("Which year had higher revenue, 2022 or 2023?") is answered by a year: the year the
   answer picks (its concluding statement's, else the first statement naming one of them)
   must be the gold's, whatever figures or words the two share (see
   :mod:`agility.metrics._period_pick`).

Every reason names what the grader found in the answer and where (character offsets into
the answer), and never a figure the answer does not state.
"""

from __future__ import annotations

import math
import re

from pydantic import Field

from agility.metrics._answer import Sentence, concludes
from agility.metrics._base import Metric, MetricInput, MetricResult, register_metric
from agility.metrics._gold import NOT_APPLICABLE, KeyFigure, figure_kind, read_gold
from agility.metrics._grading import (
    CHANGE,
    Case,
    GradedText,
    Judgement,
    as_text,
    difference_matches,
    differences,
    gold_raws,
    refusal,
    subject_checks,
    swapped_labels,
    turned,
)
from agility.metrics._instances import other_instances
from agility.metrics._numbers import (
    FinancialNumber,
    figures_match,
    significant_digits,
    writes_scale,
)
from agility.metrics._options import MetricOptions
from agility.metrics._period_pick import offered_periods, picked_period
from agility.metrics._refusal_language import WITHHOLDS, no_answer, refusal_phrases
from agility.metrics._stance import DEPENDS, Stance, direction, proposition, stance
from agility.metrics._text_verdict import (
    WHICH_YEAR,
    YEAR_GOLD,
    option_clash,
    pick_agrees,
    pick_clash,
    text_verdict,
    year_answer,
)

__all__ = ["VERDICTS", "CorrectnessMetric", "CorrectnessOptions", "Judgement",
           "judge_financial_answer"]

VERDICTS = ("correct", "incorrect", "refusal")

# An answer that pastes the source filing instead of answering (a RAG failure).
_DOCUMENT_DUMP = re.compile(r"(?i)\[start of (?:filing|document)\]|securities and exchange "
                            r"commission\s+washington|^\W*form 10-[kq]\b")
_BARE_NUMBER = re.compile(r"\s*-?\d[\d,]*(?:\.\d+)?\s*")
_YES_NO_QUESTION = re.compile(r"(?i)^\W*(?:is|are|was|were|does|do|did|has|have|had|can|could|"
                              r"will|would|should)\b")
# Questions whose answer is a quantity; for the others the figures in a gold answer are
# supporting detail and the judgment rests on what the answer says. (A quantity's word that
# names something else, "What are its revenue streams?", asks for no quantity.)
_QUANTITY_QUESTION = re.compile(
    r"(?i)\b(?:how much|how many|how (?:\w+ ){0,3}(?:change|grow|grew|increase|decrease|decline)"
    r"|calculate|compute|what (?:is|was|were|are) (?:the |its |their |\w+'s |\w+s' )?(?:[\w'\u2019]+ ){0,8}?"
    r"(?:amount|ratio|margin|rate|value|percentage|percent|total|number|cost|expense|"
    r"revenue|income|sales|spend|capex|turnover|eps|yield|days|growth|debt|assets|"
    r"liabilities|cash|dividends?|quantity)s?(?!\s+[a-z]+s\b)"
    r"|in usd|in \$|usd (?:millions|billions|thousands)|round (?:your )?answer|roughly|"
    r"approximately)\b")



def _numeric(case: Case) -> Judgement:
    """Rules 1, 2 and 5 for a gold that is a figure (or figures) answering a quantity."""
    keys = case.gold.keys
    committed, sentence = case.committed()
    if committed and sentence is not None and not case.about_question(sentence):
        return Judgement("incorrect", f"concludes {case.where(committed)} in "
                                      f"{case.statement(sentence)}, which is not about the "
                                      f"quantity asked", case.cite(committed))
    # (a quarter other than the one asked; years are picked among, see Case.committed)
    quarter = case.other_quarter() if committed else None
    if quarter is not None:
        return Judgement("incorrect", quarter)
    if committed and sentence is not None:
        # the gold's change ("from 24.6% to 21.6%") is also answered by its size (3.0 points)
        hits = [f for k in keys for f in case.matching(k.figure, committed)]
        other = _other_metric(case, hits)
        if other is not None:
            return Judgement("incorrect", f"concludes {case.where(hits)} in "
                                          f"{case.statement(sentence)} {other}",
                             case.cite(hits))
        restated = _restated_off_scale(case, hits, sentence)
        if restated is not None:
            hit, again = restated
            return Judgement("incorrect", f"restates {case.where([hit])} as "
                                          f"{case.where([again])} in "
                                          f"{case.statement(sentence)}, another amount",
                             case.cite([hit, again]))
        aside = _aside_only(case, hits, committed)
        if aside:
            return Judgement("incorrect", f"concludes {case.where(aside)} in "
                                          f"{case.statement(sentence)}; the gold "
                                          f"{gold_raws(keys)} is only in its parentheses",
                             case.cite(aside))
        by_change = [f for k in case.gold_changes() for f in case.matching(k.figure, committed)]
        if by_change and not hits:
            # (the way it went too: "decreased by 3 percentage points" where the gold's rate
            # went from 20% to 23%)
            ways = _other_way(case, sentence.text)
            if ways is not None:
                return Judgement("incorrect", f"concludes {case.where(by_change)} in "
                                              f"{case.statement(sentence)}, the size of the "
                                              f"change between the gold's {gold_raws(keys)}, but "
                                              f"says it went {ways[0]}; the gold's went "
                                              f"{ways[1]}", case.cite(by_change))
            return Judgement("correct", f"concludes {case.where(by_change)} in "
                                        f"{case.statement(sentence)}, the change between the "
                                        f"gold's {gold_raws(keys)}", case.cite(by_change))
        if not hits and CHANGE.search(case.gold.text):
            # the gold's change ("raised it by 1 percentage point") answered by the two
            # levels the answer concludes on ("from 8 percent to 9 percent"); a change "in
            # 2024" is from 2023's level, so the figures given for other years count here
            hits = [f for change, first, second in differences(case.committed(by_year=False)[0])
                    for k in keys if difference_matches(change, k.figure)
                    for f in (first, second)][:2]
        if hits and (len(keys) == 1 or all(case.matched_anywhere(k.figure) for k in keys)):
            reversed_ = turned(case, sentence, hits)
            if reversed_ is not None:
                return reversed_
            picked = option_clash(case, sentence.text)
            if picked is not None:
                # the gold's amount given for another of the options the question offers
                return Judgement("incorrect", f"picks {picked[0]} in "
                                              f"{case.statement(sentence)}; the gold picks "
                                              f"{picked[1]}", case.cite(hits))
            relabelled = swapped_labels(case, [(k, f) for k in keys
                                                for f in case.matching(k.figure, committed)])
            if relabelled is not None:
                return relabelled
            return Judgement("correct", f"concludes {case.where(hits)} in {case.statement(sentence)}, "
                                        f"which states the gold {gold_raws(keys)}",
                             case.cite(hits))
        if not hits:
            return Judgement("incorrect", f"concludes {case.where(committed)} in "
                                          f"{case.statement(sentence)}; the gold is "
                                          f"{gold_raws(keys)}", case.cite(committed))
    # an answer that concludes the metric does not apply ("Therefore, ... inventory turnover
    # is not a meaningful metric for AES") gives no figure, whatever its working lists (and
    # declines none: "... doesn't apply well to J&J, so I won't give a number")
    rejected = _rejects_metric(case)
    if not committed and rejected is not None:
        return Judgement("incorrect", f"concludes in {case.statement(rejected)} that the metric "
                                      f"does not apply; the gold is {gold_raws(keys)}")
    if case.refusals and not committed:
        stated = [[f for f in case.matched_anywhere(k.figure) if case.asserted(f)] for k in keys]
        if not all(stated):
            return refusal(case)
        # it declines to compute but states the gold figure itself (unless it takes the
        # figure back after stating it: "... were $1,577 million. However, I cannot confirm
        # this, so I can't give a figure")
        hits = [fs[0] for fs in stated]
        # (in the same statement too: "I'd rather not state a figure - zero or otherwise")
        withdrawn = next((s for s in case.reading.sentences if s.end > hits[0].start
                          and WITHHOLDS.search(s.text, max(0, hits[0].start - s.start - 60))),
                         None)
        if withdrawn is not None:
            return Judgement("refusal", f"states {case.where(hits)}, then takes it back in "
                                        f"{case.statement(withdrawn)} and commits to no answer")
        return Judgement("correct", f"states {case.where(hits)}, the gold {gold_raws(keys)}, "
                                    f"despite saying information is missing", case.cite(hits))
    found = [(k, case.matched_anywhere(k.figure)) for k in keys]
    hits = [f for _, fs in found for f in fs[:1]]
    missing = [k for k, fs in found if not fs]
    if not missing:
        reversed_ = turned(case, case.reading.sentence_at(hits[0].start), hits[:1])
        if reversed_ is not None:
            return reversed_
        # (every place the answer gives the gold's figure names another metric, or gives it
        # for another year than the one asked beside a figure for that year)
        every = [f for _, fs in found for f in fs]
        other = _other_metric(case, every)
        if other is not None:
            return Judgement("incorrect", f"states {case.where(hits)} {other}", case.cite(hits))
        relabelled = swapped_labels(case, [(k, f) for k, fs in found for f in fs])
        if relabelled is not None:
            return relabelled
        year = case.given_for_other_year(every) if len(keys) == 1 else None
        if year is not None:
            return Judgement("incorrect", f"states {case.where(hits)} for {year}, not for the "
                                          f"year asked", case.cite(hits))
        return Judgement("correct", f"states {case.where(hits)}, the gold {gold_raws(keys)}",
                         case.cite(hits))
    headline = _headline(case)
    if headline is not None:
        # a gold that opens with its figure and gives the working in parentheses ("$1.6
        # billion (operating cash flow of $2.4 billion less capex of $0.8 billion)") is
        # answered by that figure; a figure of the working alone does not answer it
        given = dict(found)[headline]
        if given:
            return Judgement("correct", f"states {case.where(given[:1])}, the gold's "
                                        f"{headline.figure.raw} (its parentheses give the working)",
                             case.cite(given[:1]))
        return Judgement("incorrect", f"states {case.where(hits)}, only the working in the "
                                      f"gold's parentheses; the gold's answer is "
                                      f"{headline.figure.raw}", case.cite(hits))
    if hits and len(keys) > 2 and len(missing) * 2 <= len(keys):
        # (said the other way, "added 1.2 million subscribers" for "decreased by 1.2
        # million", it is another change)
        reversed_ = turned(case, case.reading.sentence_at(hits[0].start), hits[:1])
        if reversed_ is not None:
            return reversed_
        return Judgement("correct", f"states {case.where(hits)}: most of the gold's figures "
                                    f"({gold_raws(keys)})", case.cite(hits))
    said = case.reading.own_figures
    levels = _levels_of(case, [k for k, fs in found if fs], missing)
    if hits and levels and len(levels) == len(missing):
        # "By how much did it change?" is answered by the change: the gold's two levels
        # ("rose 1.8 points, from 41.2% to 43.0%") are where it went from and to
        reversed_ = turned(case, case.reading.sentence_at(hits[0].start), hits[:1])
        if reversed_ is not None:
            return reversed_
        return Judgement("correct", f"states {case.where(hits)}, the gold's change "
                                    f"{gold_raws([k for k, fs in found if fs])} (between its "
                                    f"{gold_raws(levels)})", case.cite(hits))
    if hits:
        return Judgement("incorrect", f"states {case.where(hits)} but not the gold's "
                                      f"{gold_raws(missing)}", case.cite(hits))
    if said:
        return Judgement("incorrect", f"states {case.where(said)}, none of them the gold "
                                      f"{gold_raws(keys)}", case.cite(said))
    return Judgement("incorrect", f"states no figure; the gold is {gold_raws(keys)}")




def _other_metric(case: Case, figures: list[FinancialNumber]) -> str | None:
    """Why ``figures`` answer another question, when the words naming each name another
    metric of the question's family ("gross margin" for the COGS margin)."""
    named = [case.metric_named(f) for f in figures]
    if not figures or not all(named):
        return None
    said, asked = next(n for n in named if n is not None)
    return f"for the {said} figure, where the question asks the {asked} one"


_RESTATES = re.compile(r"(?i)\s*(?:i\.e\.|that is|this (?:would be|is)|which is|or|equivalently|"
                       r"in (?:usd |us\$ |\$ )?(?:millions|billions|thousands)|expressed)\b")


def _aside_only(case: Case, hits: list[FinancialNumber],
                committed: tuple[FinancialNumber, ...]) -> list[FinancialNumber]:
    """The figures the answer concludes on when the gold's figure is only in its parentheses
    as another figure ("The three-year average is about 3.9% (4.1%, 4.0% and 3.6%)": the
    parentheses give its parts), not as the same figure more precisely ("Just under 35%
    (34.6%)")."""
    reading = case.reading
    if not hits or not all(reading.in_parentheses(f) for f in hits):
        return []
    # (parentheses that say they restate it: "$5,466,312,000 (in USD millions, this would be
    # $5.466 billion)", "0.041 (that is, 4.1%)")
    if any(_RESTATES.match(reading.text, reading.text.rfind("(", 0, h.start + 1) + 1)
           for h in hits):
        return []
    kinds = {figure_kind(f) for f in hits}
    outside = [f for f in committed if not reading.in_parentheses(f)
               and figure_kind(f) in kinds]
    if not outside or any(figures_match(o, h) or figures_match(h, o) or _same_digits(o, h)
                          for o in outside for h in hits):
        return []
    # (a range it lies in says it too: "between $440 million and $445 million ($442
    # million exactly)")
    low, high = min(abs(o.value) for o in outside), max(abs(o.value) for o in outside)
    if len(outside) > 1 and any(low <= abs(h.value) <= high for h in hits):
        return []
    return outside


# what joins a figure to its restatement: "$1,577 million, or approximately $15.8 billion",
# "$248.6 million (roughly $2.5 billion)", "$32,765 million — that is, about $3.3 billion"
_RESTATEMENT = re.compile(r"(?i)^(?=.*?(?:\(|[\u2014\u2013]|\b(?:or|i\.e|that is|which is|equivalent|"
                          r"roughly|about|approximately|around|nearly)\b))(?:\s+[\w&]+){0,3}?[\s,]*(?:\(|[\u2014\u2013]|-\s)?\s*"
                          r"(?:(?:(?:or|that is|which is|equivalent to)\b|i\.e\.)[\s,]*)?"
                          r"(?:(?:roughly|about|approximately|around|nearly|some)\b)?[\s~\u2248]*$")


def _restated_off_scale(case: Case, hits: list[FinancialNumber], sentence: Sentence
                        ) -> tuple[FinancialNumber, FinancialNumber] | None:
    """A gold figure the answer restates at once on another scale ("$1,577 million, or
    approximately $15.8 billion"): the two are different amounts, and the answer commits to
    both, so it does not state the gold."""
    text = case.reading.text
    figures = case.reading.figures_in(sentence)
    for hit in hits:
        for other in figures:
            # (either way round: "$15.8 billion, or $1,577 million")
            first, second = (hit, other) if hit.start < other.start else (other, hit)
            end = first.start + len(first.raw)
            if other is hit or not other.value or not hit.value \
                    or figure_kind(other) != figure_kind(hit) \
                    or not _RESTATEMENT.match(text[end:second.start]):
                continue
            ratio = abs(other.value / hit.value)
            power = round(math.log10(ratio))
            if power and abs(ratio / 10 ** power - 1) <= 0.05:
                return hit, other
    return None


def _same_digits(a: FinancialNumber, b: FinancialNumber) -> bool:
    """One figure in two scales ("$5,466,312,000 (in USD millions, $5,466.312 million)"),
    unless both state their scales and disagree ("$7.42 billion ($742 million)")."""
    if significant_digits(a) != significant_digits(b):
        return False
    # (a scale lent by a note or the question, "$5,466,312,000 (in USD millions ...)", is no
    # scale the writer stated)
    stated = writes_scale(a) and writes_scale(b)
    return not stated or abs(a.value - b.value) <= 0.01 * max(abs(a.value), abs(b.value))


def _headline(case: Case) -> KeyFigure | None:
    """The gold's figure when the gold opens with it and every other figure of the gold is
    inside parentheses after it ("0.92 (current assets excluding inventory of $4,600 million
    / current liabilities of $5,000 million)", "Decrease of $350 million (from $2,100 million
    to $1,750 million)")."""
    keys = sorted(case.gold.keys, key=lambda k: k.figure.start)
    gold = case.gold.text
    if len(keys) < 2:
        return None
    first = keys[0].figure
    opened = gold.find("(", first.start + len(first.raw))
    if opened < 0 or len(re.findall(r"[A-Za-z]+", gold[:first.start])) > 3 \
            or re.search(r"[;.]|\band\b", gold[first.start + len(first.raw):opened]):
        return None
    closed = gold.find(")", opened)
    closed = len(gold) if closed < 0 else closed
    if not all(opened < k.figure.start < closed for k in keys[1:]):
        return None
    return keys[0]


def _levels_of(case: Case, stated: list[KeyFigure], missing: list[KeyFigure]) -> list[KeyFigure]:
    """The ``missing`` gold figures that are the two levels of a change the gold states and
    the answer ``stated``, when the question asks for a change."""
    if len(missing) != 2 or not CHANGE.search(case.question):
        return []
    first, second = (k.figure for k in missing)
    if figure_kind(first) != figure_kind(second):
        return []
    between = differences((first, second))
    if not any(difference_matches(change, k.figure) for change, _, _ in between for k in stated):
        return []
    return missing


def _rejects_metric(case: Case) -> Sentence | None:
    """The statement that concludes, or closes the answer saying, that the metric does not
    apply ("Therefore, inventory turnover is not a meaningful metric for AES"; "However,
    for a diversified industrial the quick ratio is not a meaningful measure, so I'd draw
    no conclusion from it")."""
    shown = [s for s in case.reading.sentences if s.start < case.reading.illustration_start]
    rejected = shown[-1] if shown and NOT_APPLICABLE.search(shown[-1].text) else next(
        (s for s in reversed(shown) if concludes(s.text)), None)
    # (a condition is no conclusion: "If inventory management is not meaningful for J&J, it
    # could be ...")
    return rejected if rejected is not None and NOT_APPLICABLE.search(rejected.text) \
        and not _SUPPOSES.match(rejected.text) else None


_SUPPOSES = re.compile(r"(?i)^\W*(?:if|whether|assuming|should|in case|where)\b")


def _yes_no(case: Case, said: Stance | None) -> Judgement | None:
    """Rule 3, then rule 4, for a gold that answers yes or no."""
    if said is None:
        return None
    where = case.statement(said.sentence)
    if NOT_APPLICABLE.search(said.sentence.text) and not case.gold.rejects_metric:
        # ("Working capital is not a meaningful metric for a water utility" where the gold
        # answers no with its figure: it rejects the question, it does not answer it)
        return Judgement("incorrect", f"says the metric does not apply in {where}; the gold "
                                      f"says {case.gold.polarity}")
    if said.answer != case.gold.polarity:
        how = "answers" if said.how == "said" else "implies"
        return Judgement("incorrect", f"{how} {said.answer} in {where}; the gold says "
                                      f"{case.gold.polarity}")
    if said.answer == "yes" and CHANGE.search(case.question) \
            and direction(proposition(case.question)) is None:
        # ("Was there any change in the store count?": yes, and which way it went is the
        # gold's too; "Yes, it increased by 3" where the gold says it declined is another
        # answer)
        ways = _other_way(case, said.sentence.text)
        if ways is not None:
            return Judgement("incorrect", f"answers yes in {where}, but says it went "
                                          f"{ways[0]}; the gold says {ways[1]}")
    if said.answer == "yes":
        others = other_instances(case.reading, said.sentence, case.question, case.gold.text)
        if others is not None:
            return Judgement("incorrect", f"says yes of {', '.join(others[0])} in {where}; "
                                          f"the gold names {', '.join(others[1])}")
    checked = subject_checks(case)
    if checked:
        return checked
    return Judgement("correct", f"{'answers' if said.how == 'said' else 'implies'} "
                                f"{said.answer} in {where}, as the gold does")


def _other_way(case: Case, text: str) -> tuple[str, str] | None:
    """The way ``text`` says a figure went and the gold's other way, when they differ."""
    said, gold = direction(text), direction(case.gold.text)
    return (said, gold) if said and gold and said != gold else None


def _declining_gold(case: Case) -> Judgement:
    """Rule 7: the gold declines or says the figure is not available."""
    if case.refusals:
        return Judgement("correct", "declines as the gold does (" + ", ".join(case.refusals)
                         + ")")
    figures = list(case.reading.own_figures)
    if figures:
        return Judgement("incorrect", f"states {case.where(figures)} where the gold says the "
                                      f"answer is not available or must be declined",
                         case.cite(figures))
    return Judgement("incorrect", "answers where the gold says the answer is not available or "
                                  "must be declined")


def _period_answer(case: Case, offered: frozenset[int], gold_year: int) -> Judgement:
    """Rule 8: the question offers years as its options; the answer's pick is judged."""
    picked = picked_period(case.reading, offered)
    if picked is None:
        if case.refusals:
            return refusal(case)
        shown = ", ".join(str(y) for y in sorted(offered))
        return Judgement("incorrect", f"picks none of the years the question offers ({shown}); "
                                      f"the gold picks {gold_year}")
    year, sentence = picked
    if year != gold_year:
        return Judgement("incorrect", f"picks {year} in {case.statement(sentence)}; the gold "
                                      f"picks {gold_year}")
    return Judgement("correct", f"picks {year} in {case.statement(sentence)}, as the gold does")


def _answers_with_figure(case: Case) -> bool:
    """Whether the answer concludes on a figure that may state a gold figure: an amount of
    money is never a percent ("$3.1 billion" does not answer a gold's "90%")."""
    return any({figure_kind(f), figure_kind(k.figure)} != {"money", "percent"}
               for f in case.committed()[0] for k in case.gold.keys)


# a debt security by its coupon and maturity ("1.500% Notes due 2026", "5.25% Senior Notes
# due March 1, 2030")
_SECURITY = re.compile(r"(?i)(\d+(?:\.\d+)?)\s*%\s+(?:[a-z][\w\-]*\s+){0,3}?(?:notes|debentures|"
                       r"bonds)\s+due\s+(?:[a-z]+\.?\s+(?:\d{1,2},?\s+)?)?((?:19|20)\d\d)")


def _securities(text: str) -> set[tuple[float, str]]:
    return {(float(m.group(1)), m.group(2)) for m in _SECURITY.finditer(text)}


def _listed_securities(case: Case) -> Judgement | None:
    """A gold that lists debt securities is answered by the same list: each by its coupon
    and maturity, in any order; one missing or one more is another list."""
    gold = _securities(case.gold.text)
    said = _securities(case.reading.text)
    if len(gold) < 2 or not said:
        return None

    def shown(items: set[tuple[float, str]]) -> str:
        return ", ".join(f"{c:g}% due {y}" for c, y in sorted(items, key=lambda i: (i[1], i[0])))

    if said == gold:
        return Judgement("correct", f"lists the gold's securities ({shown(gold)})")
    parts = [f"leaves out {shown(gold - said)}" if gold - said else "",
             f"adds {shown(said - gold)}" if said - gold else ""]
    return Judgement("incorrect", f"lists other securities than the gold's: "
                                  f"{'; '.join(p for p in parts if p)}")


def _asks_quantity(question: str) -> bool:
    return not _YES_NO_QUESTION.match(question) and bool(_QUANTITY_QUESTION.search(question))


def judge_financial_answer(question: str | None, gold: object, answer: object, *,
                           text_threshold: float = 0.25) -> Judgement:
    """Grade one financial answer against its gold answer.

    Args:
        question: the question asked (figures it states are not taken as the answer).
        gold: the gold answer (text or a bare number).
        answer: the model's answer.
        text_threshold: share of the gold's own content words an answer must contain when
            the gold states no decisive figure and no yes/no.

    Returns:
        A :class:`Judgement` with verdict ``correct``, ``incorrect`` or ``refusal``, a reason
        naming what was found in the answer and where, and the answer's figures it cites.
    """
    question = as_text(question)
    graded = GradedText(as_text(answer), question)
    text = graded.text
    offered = offered_periods(question, as_text(gold))
    # (a year asked for, "When did it close the deal?", with a year for its gold)
    year_gold = YEAR_GOLD.fullmatch(as_text(gold)) if offered is None and WHICH_YEAR.search(
        question) else None
    if isinstance(gold, str) and _BARE_NUMBER.fullmatch(gold) and offered is None \
            and year_gold is None:
        gold = float(gold.replace(",", "")) if "." in gold else int(gold.replace(",", ""))
    empty = no_answer(graded.given, text, question)
    if empty is not None:
        return Judgement("refusal", empty)
    if _DOCUMENT_DUMP.search(text[:400]):
        return Judgement("incorrect", "copies source text instead of answering")
    reading = read_gold(gold, question)
    case = Case(question, reading, graded)
    if offered is not None:
        return _period_answer(case, *offered)
    if year_gold is not None:
        return year_answer(case, int(year_gold.group(1)))
    # (a gold saying the metric does not apply, "Kestrel does not report cost of goods sold",
    # answers: it does not decline)
    if not reading.keys and not reading.numeric and not reading.rejects_metric \
            and refusal_phrases(reading.text):
        return _declining_gold(case)
    listed = _listed_securities(case)
    if listed is not None:
        return listed
    if reading.keys and (reading.numeric or (reading.polarity is None and (
            _asks_quantity(question) or case.gold_is_figure()
            or (case.refusals and _answers_with_figure(case))))):
        # a figure gold, asked as a quantity, or stating nothing but its figures whatever the
        # question's wording, or answered with one despite refusal language ("not explicitly
        # stated. Therefore, the answer is 0"): the figure is judged, after the pick when the
        # question asks which one
        return pick_clash(case) or pick_agrees(case) or _numeric(case)
    if reading.polarity:
        said = stance(case.reading, question, strict=bool(case.refusals), grading=True)
        judged = _yes_no(case, said)
        if judged is not None:
            return judged
        if case.refusals:
            return refusal(case)
        # no stance, only that the metric does not apply, whatever figures it worked out
        rejected = _rejects_metric(case) if not case.gold.rejects_metric else None
        if rejected is not None:
            return Judgement("incorrect", f"says the metric does not apply in "
                                          f"{case.statement(rejected)}; the gold says "
                                          f"{reading.polarity}")
        # no stance, only that it depends ("depends on the benchmark used ... Investors should
        # apply their own criteria"): the gold's supporting figures do not answer yes or no
        open_ = next((s for s in case.reading.sentences[:2] if DEPENDS.search(s.text)), None)
        if open_ is not None:
            return Judgement("incorrect", f"takes no stance: says it depends in "
                                          f"{case.statement(open_)}; the gold says "
                                          f"{reading.polarity}")
    return text_verdict(case, text_threshold)


class CorrectnessOptions(MetricOptions):
    """Options of ``correctness``."""

    #: share of a figure-less gold's content words an answer must contain
    text_threshold: float = Field(0.25, ge=0.0, le=1.0)


@register_metric("correctness")
class CorrectnessMetric(Metric):
    """Three-class correctness of a financial answer against its ground truth, offline.

    Option ``text_threshold`` (default 0.25): the share of a figure-less gold's own content
    words an answer must contain.

    ``verdict`` is ``correct``, ``incorrect`` or ``refusal``; ``score`` is 1.0 when correct;
    ``passed`` is True when correct; ``raw["cited"]`` lists the answer's figures the reason
    names, with their character offsets.
    """

    # 3: the committed answer, precision-aware figures, implied yes/no, same subject/period,
    #    refusal only when nothing is committed (FinanceBench, leave-one-family-out)
    # 4: refusal only when nothing is committed, also for golds without a decisive figure:
    #    an announced inference ("However, we can infer ..."), a hedged yes/no stance ("it does
    #    not appear that ...") and a concluded figure ("therefore, the answer is 0") commit
    # 5: a figure that contradicts the gold's is never credited: a gold that is its figure
    #    alone is judged as a figure whatever the question's wording (it fell to the word
    #    rule, where "million" matched); an answer committing to another figure for a gold
    #    figure's quantity is incorrect before the word rule; a year in parentheses ("(2023:
    #    ...)") is no figure; an unstated scale is read upward only and a gold written out in
    #    full takes none; a figure given for another year than the question's is not the
    #    answer; a period ("In FY2024, ...") does not make a statement about another subject
    # 6: a gold stated as a change one way is not met by its size said the other way ("An
    #    increase of $54.1 million" against "decreased by $54.1 million"); "rose", "fell",
    #    "grew" name no quantity (a statement "It rose $54.1 million." is about the question)
    # 7: an answer written to the gold's decimals is held to them when the gold ends in
    #    zeros ("$0.12 per share" is not the gold "$0.10 per share"; a coarser "$0.1" still
    #    rounds it)
    # 8: a figure written negative ("-$3.2 billion", "$(3.2) billion") does not state a gold
    #    the gold calls positive ("$3.2 billion, a profit"), nor one the answer calls a profit
    #    a gold written negative or called a loss (a dash and a space, "- $3.2 billion", is a
    #    list bullet, not a sign); a count or precision spelled out ("rounded to two decimal
    #    places") names no quantity, so a final equation stating it is about the question;
    #    a change between two levels is never a level minus zero; a change "in 2024" is met
    #    by the levels of 2023 and 2024; an opening that introduces a list is answered by the
    #    list; rule 8, a question offering years as its options is answered by the year
    #    picked (a gold "2023" was read as the number 2,023); a plain opening claim on a
    #    yes/no question stands although a caveat with refusal language follows; of the
    #    statements taking a yes/no question up, one that speaks of its predicate
    #    ("accelerate" or "decelerate") answers it before one naming only its subject; a
    #    hedged rejection of the metric ("might not be the most relevant metric") does not
    #    commit an answer that has declined
    # 9: a bare figure below one ("0.69 times") is a ratio and takes no unstated scale
    #    against money ("$689 million" stated it); a number hyphenated to a word ("COVID-19")
    #    is no figure; the unnamed result of the answer's own calculation ("... = 0.57")
    #    gives another value for a gold figure the question's words name; on a yes/no
    #    question a claim drawn from the working ("Based on these calculations, ...")
    #    concludes, and a side note ("However, it is important to note ...") does not
    #    replace the claim it follows
    # 10: a count is named by what it counts ("907 stores" is another value of the gold's
    #    "982 stores"); a question asking which one of a kind ("which segment ...?") is
    #    answered by the one the answer names; a contraction says what its full form says
    #    ("it's impossible to calculate" declines) and "no available information" is refusal
    #    language; a claim about the company's own figures ("Best Buy's gross margins have
    #    generally been consistent") stands although it hedges with "generally"; a statement
    #    that declines to conclude ("does not necessarily mean ...") takes no stance; a
    #    concession ("while SG&A decreased, ...") is not the claimed direction; what the
    #    question leaves open ("the question does not specify ...") is no refusal language;
    #    "not directly applicable" says the metric does not apply; a question offering options
    #    is answered by a statement that picks one; an inference announced in the source's
    #    words ("information that can be used to infer ...") answers anyway; with refusal
    #    language, a claim "it appears that ..." still takes a stance; a fragment without a
    #    verb ("..., Inc.") is no opening statement, and an answer that opens with a list
    #    answers with the list; an input the working sets aside ("..., so we will exclude
    #    them from the calculation") is no refusal language
    # 11: a conclusion drawn from the working that introduces a list is the answer, not the
    #    opening statement; the direction an answer commits to is the one it says of the
    #    asked figure, in its conclusion when it draws one ("As a result, the operating
    #    margin decreased"), and a gold "flat" gives none; a passage the answer quotes is
    #    evidence, not its conclusion or another value for the gold's quantity; one unit of
    #    money a rate is stated against ("$1 of revenue") is no quantity; a yes to "were
    #    there any ...?" that names others than the gold's is incorrect; a statement that
    #    points back to the list before it ("These divisions reflect ...") answers with it
    # 12: markup is read as the plain text it formats (Markdown emphasis and headings, LaTeX,
    #    inline HTML; a closed <think> block is working); courtesies ("Sure, I'd be happy to
    #    help!") and section labels ("Explanation:") are no statements; "Final Answer:" on a
    #    line of its own labels the next line, and is no content of it; refusal language
    #    with a concluded figure is judged on it only when the figure may state a gold
    #    figure (an amount is never a percent); a labelled yes/no ("Short answer: No") is
    #    the stance; refusal language in other families' words ("there isn't enough
    #    information", "the information is insufficient", "does not cover"); a gold that
    #    enumerates names is met item by item; a region's abbreviation is its words
    #    ("EMEA"), and a gold's abbreviation one term; "As of my last update in 2023," dates
    #    a claim as "in early 2023" did; a terse answer ("Packaging.") is judged on its
    #    words, not as "no statement"; citation markers ([1], [doc2], "(Source: ...)") are
    #    references; SI digit groups ("1 577") one number; an inline list ("...: 1. A ...
    #    2. B") is split into its items; "2.2 pp" ("p.p.", "ppt") is percentage points;
    #    "To sum up,", "All in all,", "Ultimately," open a
    #    conclusion as "Therefore," does. Restyled answers keep their verdicts
    #    (benchmarks/grader_calibration.py, section 5); on FinanceBench three gpt-4-1106-preview
    #    verdicts move toward the experts, none away
    # 13: typography and number formats of other writers: curly quotes and apostrophes
    #    ("don\u2019t") are the straight ones; "1,577 million USD" is money as "$1,577
    #    million" is; "$1999 million" and "2022%" are figures, not years; "in \u22481,577
    #    stores" reads "approximately", not "equals"; "Step 2:" before a statement labels it;
    #    before a lone "</think>" (the chat template opened the block) is thinking; "0." and
    #    "Zero." that end an answer are its figure, not a list marker or a word naming
    #    another quantity (a figure's own words, "34.6 per cent", name none); the numbers
    #    of a list written inline ("... line item. 5. The figure ...", "(1) Current Health
    #    and (2) Two Peaks") are no figures, in the answer or the gold; the answer first
    #    and its working after: a step's result that another statement computes with (not
    #    a check, "To verify: ...") is working, not the
    #    conclusion, and an opening equation whose result nothing uses states the answer;
    #    "We can say that ..." concludes; statements about the answer are left out (the
    #    question restated, an "Answer:" header, sources and confidence lines, disclaimers:
    #    _asides); an answer given as a JSON object is the text of its values, the answer's
    #    field last (_structured); a "---" rule and an offer of more ("Would you like me
    #    to ...?") are no statements. No recorded FinanceBench verdict moves; 53 moved when ten restylings were
    #    applied at once, 160 when five framings were, 13 when the concluding statement was
    #    put first (benchmarks/grader_calibration.py, section 5), 0, 0 and 1 now
    # 14: more framings and formats: code fences, Markdown links (their text; a number
    #    alone is a citation) and page references ("(10-K, p. 45)") are markup; emphasis
    #    runs over a paragraph's lines; "(USD 1,577 million)" is no accounting negative; a
    #    dash ends an answer label ("Final answer — 34.6%") and is no minus sign; "2.04x
    #    in FY2022" is a multiple, not a product; a nested JSON object is read field by
    #    field (_structured); "Q: ... A: ..." restates the question and labels the answer;
    #    announcements ("Okay, let's break this down step by step:") and "I hope this
    #    explanation helps" are no statements; a lead-in naming the source is not what a
    #    statement says; a labelled summary first ("TL;DR: ...") is read with the answer it
    #    sums up; a conclusion restated word for word is read where first stated; inputs
    #    first and the result last without a marker: the last statement of a figure that
    #    names more of the question is the answer (Case.committed); "A quick ratio of
    #    0.96 indicates ..." is no general remark, "less than healthy" denies, "Yes and no"
    #    says neither, "Definitely not." says no, "insulated from" is not "subject to"; a
    #    figure written negative says down; a table of several value columns is read cell
    #    by cell with its headings (_tables); "(FY2022): 36.8%" is FY2022's; a figure after
    #    turning from refusal language ("..., but purchases of PP&E were $1,577 million")
    #    commits; an option picked is the answer before the gold's figure given for
    #    another option. One recorded verdict moves, toward the experts; the twelve new
    #    rows of section 5 moved 387 verdicts under version 13, 2 now
    # 15: refusals in plainer words are refusal language ("I don't have enough context",
    #    "It's not clear from the provided context", "The passages say nothing about",
    #    "I'd need to see", "I am not aware of", "Final answer: N/A"); more words for a
    #    weak profile ("concerning", "precarious"), a fall ("worsened", "slipped") and a
    #    rise ("trending upward"); "asset-light" is the contrary of capital intensive; a
    #    gold change written negative ("-0.9%" for "organic growth?") says down, so "grew
    #    0.9%" is another figure; a year naming a figure's quantity earlier in its clause ("FY2021
    #    capital expenditure was $442 million") is its year; of several figures each named
    #    by the question's words, the one named best is the answer ("gross margin was
    #    34.6%, and its operating margin was 17.7%"); a pick in ranking words ("Industrial
    #    was the largest segment", "the highest-revenue segment was Consumer") is read as
    #    named; "so" turns from refusal language to what is given ("..., so I can only give
    #    FY2024: ..."); refusal language conceded or turned from before a stance ("While I
    #    cannot compute the ratio, ...", "The excerpt doesn't say outright, but ...")
    #    leaves the stance; a hyphenated compound names its parts ("capital-intensive" is
    #    "capital intensive"); "a sign of a capital-intensive business" is a general
    #    remark; advice under a numbered label ("4. Comparison to Industry: Compare ...")
    #    is advice; "Absolutely." alone is a yes, not a courtesy.
    #    No recorded verdict and no section-5 row moves
    # 16: more of other writers' words (no recorded verdict moves; section 5 one more):
    #    what concludes: "my answer is", "..., which is the figure I would report", "I'd
    #    go with", "We get", "That works out to", "Which leaves us with", "Final figure:",
    #    a label on a line of its own, a last line that is its figure alone; what the
    #    writer takes back ("wait, I had those reversed") is not the answer; "x" between
    #    figures is a times sign. Stances: the predicate in the answer's own words ("a
    #    sound liquidity position", "unsustainable", "strained"), compounds by their parts
    #    ("a high-growth company"), a late conclusion on the predicate ("I'd still call
    #    its liquidity healthy", "My verdict: healthy."), after "but" the clause on the
    #    predicate, "I'd say yes", "In a word: no", "It did not.", "Not quite", "nothing",
    #    "suspended", levels joined by an arrow, "exceeds" / "It is lower" for "higher
    #    than?", a loss for "profitable?". A count in words answers "how many?". Figures: the gold's figure for another
    #    metric of the question's family ("gross margin" for the COGS margin, the current
    #    ratio for the quick ratio, basic for diluted EPS, GAAP for adjusted), for another
    #    quarter, or for another option offered,
    #    only in parentheses that give the parts, each figure for the other of the gold's
    #    years, or read off another year's table row is incorrect; the change between the
    #    gold's levels ("increased 180 bps") is no other value of them, and "by how much?"
    #    is answered by the change alone; after a turn from refusal language the claim
    #    names the figure, and "purchases of property and equipment" name the capex.
    #    Picks: a bare-name gold ("Asia Pacific") is met only by picking it; a statement
    #    that ranks one by name picks it; an opening list without a verb picks nothing.
    #    Refusal language: "isn't among the figures in the excerpt", "appears to be
    #    truncated", "I can only see the balance sheet"; not "did not cover the dividend".
    # 17: answers in the styles of families never tuned on (Claude, Gemini, Mistral,
    #    reasoning models, GPT-4o, small local models, hedged analysts; ten synthetic
    #    batteries, 1,198 answers): where the answer ends (a template's end of turn, a
    #    follow-up question it asks itself, a reasoning block never closed; empty slots,
    #    placeholders, the question echoed or a phrase looped say nothing); a gold without a
    #    scale is in the question's unit; "$2 billion" is "$2,000,000,000"; "($1.8 bn)",
    #    a list's dash and a range's dash are no minus; "3,9 %"; an unsigned ratio nothing
    #    calls negative does not state a gold written with a minus; "fell by 13 stores" is a
    #    change; a comparison is answered by the change; a figure "compared with" is not the
    #    answer; the gold's figure only in the working is not; a flat gold is denied by a
    #    change of 2% or more; what the last step gives concludes, a display-math block
    #    continues its sentence, a statement after a table answers, a note about the
    #    answer's figure, an explanation or a remark beside it does not; "Actually, X is Y"
    #    and "No wait" take back; option and superlative picks of any kind, by the
    #    question's measure; "There are none", "None.", "zero" deny (not "no other", not
    #    "except"); "holds steady" against a rise; "anything but", "Not exactly.", "no
    #    doubt that", "no other"; no negation inside an "if" clause; "below the 1.0
    #    benchmark"; a claim after a disclaimer stands; "does appear to have"; a trailing
    #    concession is not the claim; "depends on" takes no stance; refusals in more words
    #    ("I'm only a language model", "I would need", "If you can provide", "Could you
    #    share", "only includes", "does not explain", "is not possible", "I don't think I can
    #    give a firm yes or no", a JSON null); a gold that rejects the metric is not met by a
    #    refusal. Two recorded verdicts move, both toward the experts
    # 18: more answers in other families' styles (two development batteries, two regression
    #    hunts, a third of 200 read after its held-out measurement): a question asking which
    #    one is decided by the pick (a name opening the gold, a customer, brand, market or
    #    country included; a runner-up, a tie broken after, a closing ranking by the
    #    question's measure, names sharing a word); "either could be" picks none; a year asked
    #    for is the year the answer gives, not one beside it; a year the gold names is the
    #    answer's to name, not a date an item runs to; a gold that counts its items, a gold
    #    name alone, a coupon's due date; a driver said the other way; "it depends" takes no
    #    stance; a rate asked is answered by a rate, not the amounts it is computed from; a
    #    basis after a figure names it; an aside that restates a result; a closing statement
    #    restating the working's result; the last plain claim after a caveat commits; an
    #    income below zero is not stated by an amount called income; a benchmark is no
    #    answer; what a statement is computed from is its inputs; labelled gold figures
    #    keep their labels; zero meets none; "since" concedes; refusals in more words. Two
    #    recorded verdicts move, both toward the experts
    # 19: yes/no and "which way" questions in other families' styles (two more development
    #    batteries, a regression hunt): levels set against each other go the way their
    #    periods say ("8.7% in FY2023 compared with 10.8% in the prior year", "from 5.9x to
    #    6.6x"); "not insignificant" affirms; "may or may not", "depending on" take no stance;
    #    a conclusion saying which way answers a question about a change in fewer of its
    #    words; "improve or decline?" is answered by the way the answer concludes; a change
    #    from the gold's level to another gives another value; two scales that disagree are
    #    two figures. No recorded verdict moves
    # 20: answers in more families' styles (two development batteries of 150 and two
    #    regression hunts at the new readings, 291 answers, all labelled before the grader
    #    ran): the answer given first (labelled "Answer:", or the opening statement, one
    #    figure) stands against a later statement it seems to conclude on that states
    #    another quantity or another period ("For reference, net PP&E was $8.9 billion a
    #    year earlier, so ..."), unless the writer takes it back ("Wait,", "That's not
    #    right", "I mixed that up", also after an opening equation); a statement labelled
    #    as the answer ("Final answer:", "Short answer:", "The final answer is: Yes") is
    #    about the question, takes it up, commits beside refusal language and gives a said
    #    yes or no wherever it stands; a heading that states ("### Answer: 10.3%", "## No,
    #    ...", a sentence) is a statement; a figure restated at once on another scale
    #    ("$1,577 million, or approximately $15.8 billion", either way round) is another
    #    amount; labels without colons, after a figure ("45% Americas", "$862 million in
    #    pension benefits") and in the word rule's figures, so figures under each other's
    #    labels are swapped (not levels "from 0.67 to 0.69"); a word naming a figure counts
    #    when all of it is asked ("EPS" one word, "ROE" not "ROA"), a basis after it names
    #    it; a gold that opens with its figure and gives the working in parentheses is met
    #    by that figure alone; listed debt securities are compared as sets; a change asked is
    #    answered by the change labelled after the levels (of the gold's kind, not a peer
    #    comparison); a level reached is no other value of a change; a yes/no answer or a
    #    conclusion that the metric does not apply answers no figure and no yes/no; a bare
    #    "Yes." names its instances after it; a structured answer's short values read under
    #    their keys, true and false as yes and no; a driver said by its strength ("weak
    #    demand"); "tied up", "fall into", "broken down" move nothing; "shrank"; refusal
    #    language in more words ("does not quantify", "doesn't spell out", "not going to
    #    guess"), a dash turning from it to a figure, a conclusion about another year
    #    after it commits to nothing. No recorded verdict moves
    # 21: answers in still more families' styles (three development batteries of 150 and a
    #    regression hunt of 150, all labelled before the grader ran): a correction inside a
    #    statement ("3.59 — correction, 3.46", "— sorry, I used ...", "Actually, 27.1% was
    #    FY2016's ...") replaces what it corrects, and a figure put in another year ("$1,577
    #    million is 2017") is that year's; a figure stated and then withheld ("so I can't give
    #    a figure", "I'd rather not provide a figure") is no answer; a cause denied ("was not
    #    driven by X", "rather than X") is not a cause named, and the cause set against it is
    #    read; a runner-up ("followed by X", "X was a distant second") is not the pick; figures
    #    compared keep their labels and their ways ("international sales grew 0.6%" for "a
    #    decline of 0.6%"; "US" is the United States); a bare positive gold is not stated by a
    #    negative figure; a closing statement set apart in bold concludes; a remark ("For
    #    context, ...", "Worth noting: ...", a structured answer's "comment") concludes
    #    nothing, and the answer given first stands against one on something else or a
    #    change after a level; a table's "Answer" row is a labelled answer; "Answer: 0." is a
    #    figure (lists count from 1); a yes or no standing alone, or under a label of the
    #    question's words ("healthy liquidity: false"), is said; an answer closing on the
    #    metric not applying takes no stance (a condition, "If ... is not meaningful", is no
    #    conclusion); scientific notation reads as scale words ("≈9.07 × 10^9" is 9.07
    #    billion); a display block under a heading keeps its figure; a name with small words
    #    inside ("Developed Rest of the World") and middle initials ("Richard A. Johnson") are
    #    one name; a count the question asks ("three main companies") must be met; a name
    #    alone before a dash is the pick; "at the end of FY2017" gives a year, and a year on
    #    the next line does not; knowledge disclaimers ("Based on my training data, ...") and
    #    asides in parentheses decline nothing; refusal language in more words ("does not
    #    let me determine", "I don't feel able to say", "refrain from giving", "I therefore
    #    can't"). Two recorded verdicts move, both toward the experts
    # 22: answers in the formats of deployed systems (four development batteries, 600
    #    answers in forty more families' styles): a record of key=value lines is read as the
    #    object it writes out (its own "value" is the answer, an empty answer field gives
    #    none); sections in tags ("<answer>No</answer>") and a box opening a line
    #    ("\boxed{\text{Defeated}}") are labelled answers; a memo's header, greeting and
    #    sign-off, a title bar ("MMM | FY22 | capital intensity") and source code are no
    #    statements of the answer (a program's printed output is); footnotes are remarks;
    #    a transcript's last assistant turn is the answer, a FAQ's first pair; struck-through
    #    drafts are deleted; figures written out in words ("one point five eight billion
    #    dollars") are read as digits, as are digit groups set apart by a plain space before
    #    a scale ("1 832 millions"); a question states no result, and the question asked
    #    again opens nothing; "true"/"false" under the question's words, and yes or no under a
    #    verdict label ("Verdict: yes, ..."), take a stance; a statement under another
    #    answer label ("Result (B22): $382M", "Final:", "View:") is about the question, as
    #    is one rounding the result before it;
    #    the writer's pick ("I'll go with the gross figure, $1,577M") answers; after a range
    #    or the yearly values the single figure stated is the answer, and within a range
    #    the point estimate ("most likely about 10.3%"); an answer split into parts answers
    #    in the part on what is asked; "it follows that", "on that basis" conclude; a yes
    #    that says the other way than the gold's yes, and a change the size of the gold's
    #    but the other way, are other answers; a percent wholly in parentheses is an aside;
    #    the clause a "but" turns to is the claim ("shown some consistency, but not immune
    #    to fluctuations beyond 2%"); a knowledge cut-off before a claim ("As of my last
    #    update, X is capital-intensive") is no refusal language in it; with refusal
    #    language, a question about a change is answered only by a statement that says a
    #    way; refusal language in more words (a question back, "No call.", "I can't commit
    #    to a figure", "#N/A", "not identifiable from the excerpt", "I do not have the
    #    specific financial results", a tutor's "What do you get?"), and an apology for a
    #    mistake is none; an option alone ("Operating activities") is a pick. FinanceBench:
    #    two verdicts move toward the experts and two away (2,011 of 2,100, unchanged); pairs
    #    of configurations agree on 87 of 91 (was 85)
    # 23: an agent's log as the system's answer (:mod:`agility.metrics._agent_log`): what
    #    it submits (a ReAct "Finish[...]", a "submit"/"final_answer" call, a JSON
    #    transcript's last assistant message, a chat template's last assistant turn) or what
    #    the run reports as final ("Out - Final answer:", CrewAI's "## Final Answer:") is the
    #    answer, a tool's observation is not, and a run halted before submitting (an
    #    iteration limit, parse errors, a sample terminated) answers nothing, as does a
    #    pipeline's "Empty Response" or a null "answer" field; a printed conversation (AutoGen,
    #    LangGraph) answers in its assistant's last turn, a serialized result in its answer's
    #    field (:mod:`agility.metrics._agent_records`: Anthropic's content blocks, a Bedrock
    #    agent's finalResponse, DSPy's Prediction, Haystack's GeneratedAnswer), an answer cut
    #    off at its token limit with the sentences it finished, and a traceback in place of
    #    an answer is none; "net sales" is the revenue asked ("net earnings" the income); a
    #    change asked and given first stands against the levels it is between after it; a
    #    question the writer calls another ("## Follow-up question") is no part of the answer;
    #    a retrieval pipeline's passages quoted under their own label ("Retrieved passages:")
    #    before its labelled answer are sources; a question asking which one ranks first is
    #    answered by the pick, whatever figure it gives beside it; a figure given first as
    #    provisional ("At first glance ...", "Initial estimate: ...") or put right after it
    #    ("However, correcting for ...") or put back in another year ("That's the FY2021
    #    figure; ...") gives way to the later one; a pick named alone before what is said of
    #    it ("Consumer & Community Banking, with net income of ..."), under the answer's label
    #    too, is the pick; a value under a label of the question's words ("largest liability
    #    2022: Customer deposits", a JSON key) answers, and under a label that ranks is the
    #    pick; "Final Response:" labels the answer; "unchanged" answers no to a
    #    question about any change; a name with its figure in brackets
    #    ("Customer deposits ($110.2bn)") is a terse answer, not a table's row; the levels a
    #    change went between ("increased from $903.1 million to $1,493.6 million") give way to
    #    the change stated after them; a pick named with its initials before the kind ("the
    #    Corporate & Investment Bank (CIB) segment"), and not the kind it is among ("among
    #    JPM's business segments"); a coarse rounding of the gold's own
    #    value ("about $0.2 billion" for $229 million) is no other value of it; that the
    #    source names nothing beyond what the answer gave ("does not mention other
    #    acquisitions") declines nothing; a vote's outcome the other way ("approved" for
    #    "defeated") is another answer. FinanceBench: no verdict moves
    version = "23"
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
        cited = [{"text": c.text, "start": c.start, "end": c.end} for c in judgement.cited]
        return MetricResult(score=judgement.score, verdict=judgement.verdict,
                            passed=judgement.verdict == "correct", reason=judgement.reason,
                            raw={"cited": cited} if cited else None)
