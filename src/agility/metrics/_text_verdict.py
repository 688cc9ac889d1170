"""The grader's rules for a gold answer without a decisive figure or yes/no: a name, a
reason, a list ("Which segment ...?", "What drove ...?", "There are none").

The answer must take the question up in a statement (see
:func:`agility.metrics._stance.committing_statement`); that statement, and a list it
introduces, is compared with the gold: the option it picks among those the question offers,
the direction of change it states, a denial for a gold that says there are none, and the
share of the gold's own content words it contains (rule 6 of
:mod:`agility.metrics._correctness`).
"""

from __future__ import annotations

import itertools
import re

from agility.metrics._answer import (
    ANSWER_GIVEN,
    ANSWER_LABEL,
    HYPOTHETICAL,
    Sentence,
    concludes,
    unlabelled,
    year_mentions,
    years_of,
)
from agility.metrics._gold import DENIAL, NOT_APPLICABLE, KeyFigure
from agility.metrics._grading import (
    RETRACTS,
    RUNNER_UP,
    RUNS_TO,
    Case,
    Judgement,
    clip,
    difference_matches,
    differences,
    gold_raws,
    metric_words,
    refusal,
    stated_as_change,
    subject_checks,
    swapped_labels,
    turned,
)
from agility.metrics._instances import without_runner_ups
from agility.metrics._numbers import FinancialNumber, figures_match
from agility.metrics._refusal_language import refusal_phrases
from agility.metrics._stance import (
    HEDGED,
    STATES,
    asks_yes_no,
    claimed_direction,
    committing_statement,
    conceded_away,
    declines_in_claim,
    direction,
    plain_stems,
    proposition,
    question_terms,
    stance,
    states,
    stem_set,
    without_lead_in,
)

__all__ = ["WHICH_YEAR", "YEAR_GOLD", "option_clash", "pick_agrees", "pick_clash", "text_verdict",
           "year_answer"]

# a superlative ranks one first: "highest", "largest", "fastest"
_SUPERLATIVE = r"(?:high|low|larg|bigg|small|strong|weak|fast|slow|great|wid|broad)est"
# a denial: "CIB was not the highest", "It wasn't lower fuel costs"
_NOT_SO = re.compile(r"(?i)\b(?:not|n't|never)\b")


# "5.250% Senior Notes due 2029": the year an item's figure runs to
_DUE_AFTER = re.compile(r"[^,;\n\d]{0,40}?\bdue\s+(?:(?:in|on)\s+)?(?:[A-Z][a-z]+\s+(?:\d{1,2},\s+)?)?"
                        r"((?:19|20)\d\d)\b")


def _mispaired(case: Case, found: list[tuple[KeyFigure, list[FinancialNumber]]]
               ) -> Judgement | None:
    """A gold item's figure given with another item's date: "5.250% Senior Notes due 2036"
    for the gold's "5.250% Senior Notes due 2029" names another security."""
    gold_text, text = case.gold.text, case.reading.text
    for key, figures in found:
        at = gold_text.find(key.figure.raw)
        due = _DUE_AFTER.match(gold_text, at + len(key.figure.raw)) if at >= 0 else None
        if due is None or not figures:
            continue
        said = [_DUE_AFTER.match(text, f.start + len(f.raw)) for f in figures]
        years = [m.group(1) for m in said if m is not None]
        if years and due.group(1) not in years:
            return Judgement("incorrect", f"gives {case.where(figures[:1])} due {years[0]}; the "
                                          f"gold's is due {due.group(1)}", case.cite(figures[:1]))
    return None


# "Three segments: Flexible Packaging, Rigid Containers, and Specialty Films."
_COUNTED_GOLD = re.compile(r"(?i)^\W*(one|two|three|four|five|six|seven|eight|nine|ten|\d+)\b"
                           r"(?:\s+[\w\-]+){0,3}?\s*:\s*(.+)")
_COUNTS = {w: n for n, w in enumerate("one two three four five six seven eight nine ten".split(), 1)}


# (a count of things named, not of places, periods or units: "two decimal places", "three
# years")
_COUNTED_ASKED = re.compile(r"(?i)\b(two|three|four|five|six)\s+(?!(?:decimal|fiscal|consecutive|"
                            r"full|prior|previous)\b)(?:[a-z\-]+\s+){0,2}?(?!(?:places|digits|"
                            r"years|quarters|months|days|weeks|points|times|decimals)\b)[a-z]+s\b")


def _short_of_count(case: Case) -> Judgement | None:
    """A gold that counts its items ("Three: Kilnsey, Marrick and Tosside") makes the count
    part of the answer: an answer naming fewer of them names another set."""
    found = _COUNTED_GOLD.match(case.gold.text)
    # (or a question that counts them, "What are three main companies acquired ...?", of a
    # gold that lists as many: "Trillium, Array, and Therachon")
    counted = found or _COUNTED_ASKED.search(case.question)
    if counted is None:
        return None
    word = counted.group(1).lower()
    count = int(word) if word.isdigit() else _COUNTS[word]
    listed = found.group(2) if found is not None else case.gold.text
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", re.sub(r"\([^()]*\)", " ",
                                                               listed).rstrip(". "))
    items = [plain_stems(p) - stem_set(case.question) for p in parts]
    if len(items) != count or not all(items) or case.refusals:
        return None
    said = _stems_with_compounds(case.reading.text)
    named = sum(1 for item in items if item <= said)
    if named >= count:
        return None
    return Judgement("incorrect", f"names {named} of the {count} items the gold counts")


def pick_clash(case: Case) -> Judgement | None:
    """A question asking which one (of a kind, or ranking first) is answered by the one the
    answer picks, whatever figure of the gold's it gives beside it ("The SMB segment, with a
    margin of 18.2%" for "Enterprise segment, 18.2%"; "Enterprise revenue also rose, by $212
    million, but SMB added more")."""
    return (_no_single_pick(case) or _named_clash(case) or _superlative_clash(case)
            or _year_clash(case) or _way_clash(case))


_ASKING_WAY = stem_set("did does has have was were improve decline increase decrease")
_OUTLOOK = re.compile(r"(?i)\b(?:expects?|expected|will|outlook|forecast\w*|guidance|going forward|"
                      r"next year)\b")


def _way_clash(case: Case) -> Judgement | None:
    """A question asking which way something went ("Did it improve or decline?") is answered
    by the way the answer concludes it went, whatever levels of the gold's it gives
    ("0.67 ... 0.71. Therefore, the quick ratio declined.")."""
    asked = proposition(case.question)
    if not (_UP_WORD.search(asked) and _DOWN_WORD.search(asked)) or case.refusals:
        return None
    gold_way = direction(case.gold.text.split(".")[0])
    if gold_way is None:
        return None
    # (a conclusion about the asked quantity and period, not one about another quantity, "So
    # operating cash flow decreased", nor the outlook, "management expects capex to decrease
    # in FY2023")
    metric = metric_words(asked) - _WAY_STEMS - _ASKING_WAY
    asked_years = years_of(case.question)
    concluding = [s for s in case.reading.sentences
                  if s.start < case.reading.illustration_start and concludes(s.text)
                  and claimed_direction(s.text) is not None
                  and len(stem_set(s.text) & metric) >= min(2, len(metric))
                  and not (years_of(s.text) - asked_years) and not _OUTLOOK.search(s.text)]
    if not concluding:
        return None
    said = concluding[-1]
    way = claimed_direction(said.text)
    if way == gold_way:
        return None
    return Judgement("incorrect", f"concludes it went {way} in {case.statement(said)}; the gold "
                                  f"says {gold_way}")


# "so either could be considered the highest", "the two are tied": no one picked (a tie
# for second, or one a "but" breaks, leaves the pick made)
_EITHER = re.compile(r"(?i)\beither (?:one |of them |of the two )?(?:could|may|might|can|would)\b|"
                     r"\b(?:are|were) (?:effectively |essentially |roughly )?tied\b(?!\s+for\s+(?!first\b|the "
                     r"top\b)\w+)")


_ON_REVIEW = re.compile(r"(?i)\b(?:on|upon) (?:closer |further |second )?(?:inspection|review|look)\b|"
                        r"\bre-?(?:reading|checking|examining)\b|\blooking again\b")
_TURNS = re.compile(r"(?i)\b(?:but|though|although|however|yet)\b")
_BROKEN_TIE = re.compile(rf"(?i)\b(?:leads?|ahead|edges?|technically|{_SUPERLATIVE}|higher|"
                         rf"larger)\b")


def _broken(text: str, after: int) -> bool:
    """Whether a statement breaks the tie it states: a turn after it, or a ranking in a clause
    after its own ("tied at 11%; on unrounded figures Cloud leads"), not the ranking the tie
    is of ("either could be considered the highest")."""
    if _TURNS.search(text, after):
        return True
    end = re.compile(r"[;.:]\s").search(text, after)
    return end is not None and bool(_BROKEN_TIE.search(text, end.end()))


def _beyond(words: set[str] | frozenset[str], other: set[str] | frozenset[str]) -> set[str]:
    """The stems of ``words`` that ``other`` lacks, a stem and its longer form ("bank",
    "banki") being one word."""
    return {w for w in words if not any(w.startswith(o) or o.startswith(w) for o in other)}


def _no_single_pick(case: Case) -> Judgement | None:
    """A question asking which one ranks first is not answered by two left to choose from."""
    if not (_WHICH_TOP.search(case.question) or _WHICH_KIND.search(case.question)):
        return None
    # (not when the gold itself calls a tie: "EMEA and the Americas were tied")
    # (in the statement that answers, not a tie by another measure after it; not one the
    # statement breaks after it: "tied at 11%; on unrounded figures Cloud leads")
    either = committing_statement(case.reading, case.question) or next(
        iter(case.reading.sentences), None)
    found = _EITHER.search(either.text) if either is not None else None
    if either is None or found is None or case.refusals or re.search(
            r"(?i)\btied\b|\beither\b|\bboth\b", case.gold.text) or _broken(either.text,
                                                                        found.end()):
        return None
    return Judgement("incorrect", f"leaves the pick open in {case.statement(either)}; the gold "
                                  f"picks one")


# "In which year did the margin peak?", "When did it complete the transition?"
WHICH_YEAR = re.compile(r"(?i)\b(?:which|what) (?:fiscal |calendar )?year\b|^\W*when\b")


def _year_clash(case: Case) -> Judgement | None:
    """A question asking which year is answered by the years the answer's committing
    statement names (of those the question does not name): other years than the gold's are
    another answer, whatever figure of the gold's it gives beside them ("peaked at 18.7% in
    FY2022" for "FY2021, at 18.7%")."""
    if not WHICH_YEAR.search(case.question) or case.refusals:
        return None
    asked = years_of(case.question)
    gold = years_of(re.split(r"[.;]", case.gold.text, maxsplit=1)[0])
    if len(gold) != 1 or gold & asked:
        return None
    statement = committing_statement(case.reading, case.question) or next(
        iter(case.reading.sentences), None)
    if statement is None:
        return None
    said = [year for _, year in year_mentions(statement.text) if year not in asked]
    # (a year named by another, "the prior year", may be the gold's)
    if not said or gold & set(said) or _RELATIVE_YEAR.search(statement.text):
        return None
    return Judgement("incorrect", f"names {said[0]} in {case.statement(statement)}; the gold "
                                  f"names {next(iter(gold))}")


_RELATIVE_YEAR = re.compile(r"(?i)\b(?:the )?(?:prior|previous|preceding|following|next) (?:fiscal )?"
                            r"year\b|\bthe year (?:before|after)\b|\ba year (?:earlier|later)\b")


# "In Q3 2019", "March 2027", "FY2021": a gold that is a year alone
YEAR_GOLD = re.compile(r"\W*(?:(?:In|By|During|On|Around)\s+)?(?:(?:Q[1-4]|H[12]|[A-Z][a-z]+)\s+)?"
                       r"(?:FY\s?|fiscal\s+)?((?:19|20)\d\d)\W*")
# what a statement names a year beside: an aside, a clause between commas, a starting point
_SIDE_YEARS = re.compile(r"\([^()]*\)|,[^,.]{1,60},|\b(?:from|since|up from|down from|compared "
                         r"(?:with|to)|versus|vs\.?)\s+(?:\w+\s+){0,3}?(?:FY\s?)?(?:19|20)\d\d\b")
_FIRST_OR_TOP = re.compile(rf"(?i)\b(?:first|{_SUPERLATIVE}|most|top|peak\w*|best|worst)\b")


def year_answer(case: Case, gold_year: int) -> Judgement:
    """A question asking which year (or when), with a year for its gold: the year the answer
    gives is judged, where it gives it ("The highest was 2022.", "Highest: 2022"), not a year
    beside it ("The deal, announced in 2018, closed in 2019.", "(up from $940 million in
    2018)") nor one the question names ("Between 2020 and 2023, revenue peaked in 2022")."""
    reading = case.reading
    asked = years_of(case.question)
    # (a statement that declines names no year of its own: "The excerpt only covers 2021 and
    # 2022, so I can't determine ...")
    naming = [s for s in reading.sentences if s.start < reading.illustration_start
              and years_of(s.text) - asked and not declines_in_claim(s.text)]
    if not naming:
        return refusal(case) if case.refusals else Judgement(
            "incorrect", f"names no year; the gold names {gold_year}")
    # (the last that concludes, ranks or labels the answer; else the one taking the question
    # up, "Operating cash flow declined in FY2021", not a list item before it)
    deciding = [s for s in naming if concludes(s.text) or _FIRST_OR_TOP.search(s.text)
                or ANSWER_LABEL.match(s.text)]
    committing = committing_statement(reading, case.question)
    statement = deciding[-1] if deciding else committing if committing in naming else naming[0]
    main = _SIDE_YEARS.sub(" ", statement.text)
    named = [(at, year) for at, year in year_mentions(main) if year not in asked] or [
        (at, year) for at, year in year_mentions(statement.text) if year not in asked]
    top = _FIRST_OR_TOP.search(main)
    if len(named) > 1 and top is not None:
        # (of several, the one the ranking word is beside: "... in 2021, the first year")
        named.sort(key=lambda m: abs(m[0] - top.start()))
    elif len(named) > 1 and any(year == gold_year for _, year in named):
        # (several events, none ranked: "announced the deal in 2026 and expects it to close in
        # March 2027" names the gold's year for one of them)
        named = [m for m in named if m[1] == gold_year]
    year = named[0][1]
    if year != gold_year:
        return Judgement("incorrect", f"names {year} in {case.statement(statement)}; the gold "
                                      f"names {gold_year}")
    return Judgement("correct", f"names {year} in {case.statement(statement)}, as the gold does")


def text_verdict(case: Case, threshold: float) -> Judgement:
    """Rules 4 and 6 for a gold without a decisive figure or yes/no."""
    keys = case.gold.keys
    clash = pick_clash(case) or _short_of_count(case)
    if clash is not None:
        return clash
    if keys:
        found = [(k, case.matched_anywhere(k.figure)) for k in keys]
        hits = [f for _, fs in found for f in fs[:1]]
        mispaired = _mispaired(case, found)
        if mispaired is not None:
            return mispaired
        if hits and len(hits) * 2 >= len(keys):
            # the gold's figure only in the working, the answer committed to another for its
            # quantity ("adjusted EBITDA was about $2.31 billion" over "-> EBITDA $2,018M")
            # (a question that asks for a pick is answered by the pick, below)
            asks_pick = len(_options(case.question)) >= 2 or bool(
                _WHICH_TOP.search(case.question) or _WHICH_KIND.search(case.question))
            figures, _ = case.committed() if not asks_pick else ((), None)
            if figures and not any(case.matching(k.figure, figures) for k in keys) and not any(
                    difference_matches(change, k.figure) for change, _, _ in differences(figures)
                    for k in keys):
                contradicted = _contradicting_figure(case)
                if contradicted is not None:
                    return contradicted
            # (the way the committing statement says it went counts too: "The quick ratio
            # declined slightly between FY2022 and FY2023:" over a list of the gold's levels)
            checked = subject_checks(case) or turned(case, case.reading.sentence_at(
                hits[0].start), hits[:1]) or turned(
                case, committing_statement(case.reading, case.question))
            if checked:
                return checked
            # a pick among the question's options is the answer, whatever figure of the
            # gold's the answer also gives ("Investing activities brought in the most cash
            # ($1,999 million); operating activities provided $3,565 million")
            picking = (_option_pick(case) or committing_statement(case.reading, case.question)
                       or next(iter(case.reading.sentences), None)
                       if len(_options(case.question)) >= 2 else None)
            picked = option_clash(case, picking.text) if picking is not None else None
            if picked and picking is not None:
                return Judgement("incorrect", f"picks {picked[0]} in "
                                              f"{case.statement(picking)}; the gold picks "
                                              f"{picked[1]}")
            relabelled = swapped_labels(case, [(k, f) for k in keys
                                               for f in case.matched_anywhere(k.figure)])
            if relabelled is not None:
                return relabelled
            return Judgement("correct", f"states {case.where(hits)}, the gold's "
                                        f"{gold_raws(keys)}", case.cite(hits))
        if not hits:
            # (a question asking which one ranks first is answered by the pick, whatever
            # figure it gives beside it)
            contradicted = pick_agrees(case) or _contradicting_figure(case)
            if contradicted is not None:
                return contradicted
    committed = committing_statement(case.reading, case.question)
    if committed is None and not case.refusals and not _terse(case) and not any(
            STATES.search(s.text) or _labelled_answer(s.text, case.question)
            for s in case.reading.sentences):
        return Judgement("incorrect", "makes no statement: only figures or line items, not an "
                                      "answer")
    if case.gold.negative:
        # (or opens with it: "None. Only Class A common stock is registered.")
        denial = _denial(case) or _denial(case, opening=True)
        if denial is not None:
            return Judgement("correct", f"says there are none in {case.statement(denial)}, as "
                                        f"the gold does")
    if case.gold.rejects_metric:
        # (an answer that only declines, saying nothing of the metric's use, is a refusal)
        if case.refusals and not NOT_APPLICABLE.search(case.reading.text) \
                and not _commits(case):
            return refusal(case)
        return _metric_rejected(case, committed)
    if case.refusals and not _commits(case):
        return refusal(case)
    denied = _denial(case, opening=True) if case.gold.polarity is None else None
    # (the answer's opening says there are none; "In FY2022 it made none" of a question
    # asking for several years denies one of them)
    if denied is not None and not case.gold.negative and not DENIAL.search(case.gold.text) \
            and denied.index < 3 \
            and not (len(years_of(case.question)) > 1 and years_of(denied.text)):
        return Judgement("incorrect", f"says there are none in {case.statement(denied)}; the "
                                      f"gold names some")
    checked = subject_checks(case)
    if checked:
        return checked
    gold_way = _gold_direction(case.gold.text)
    said = _concluded_direction(case)
    if said is None and case.reading.sentences:
        first = case.reading.sentences[0]
        way = _asked_direction(first.text, question_terms(case.question))
        said = (first, way) if way else None
    # (an answer that restates the way the question says the figure went, "What drove the
    # decline?" answered "It fell because ...", says nothing against the gold's causes)
    if gold_way and said is not None and gold_way != said[1] \
            and said[1] != direction(proposition(case.question)):
        return Judgement("incorrect", f"says the figure went {said[1]} in "
                                      f"{case.statement(said[0])}; the gold says {gold_way}")
    steady = (committed or next(iter(case.reading.sentences), None)) if gold_way and said is None \
        else None
    if steady is not None and _STEADY.search(steady.text) and direction(steady.text) is None:
        # "expects to hold production rates steady" against a gold that says they rise
        return Judgement("incorrect", f"says it holds steady in {case.statement(steady)}; the "
                                      f"gold says {gold_way}")
    if said is not None and _flat_against(case.gold.text, said[0].text):
        return Judgement("incorrect", f"says the figure went {said[1]} in "
                                      f"{case.statement(said[0])}; the gold says it was flat")
    return _content(case, committed, threshold)


# "Which segment ...?", "which of JPM's business segments ...", "Which Best Buy product
# category ...": the question asks for one of a kind, named
_WHICH_KIND = re.compile(r"(?i)\bwhich\s+(?:of\s+[\w'&.\- ]{1,40}?\s+)?(?:[\w&'\-]+\s+){0,3}?"
                         r"(segment|category|division|region|business unit|product line|customer|"
                         r"brand|market|country|countr(?=ies))(?:s|ies)?\b")
_KINDS = (r"(?:segment|category|division|region|business unit|product line|business|customer|"
          r"brand|market|country|countrie)s?")


_COUNTS_KIND = re.compile(rf"(?i)\b(?:two|three|four|five|six|seven|eight|nine|ten|\d{{1,2}})\s+"
                          rf"(?:(?:main|major|principal|key|primary|reportable|operating|business|"
                          rf"geographic)\s+){{0,2}}{_KINDS}s?\b\W*$")


_THEREFORE = re.compile(r"(?i)\b(?:so|therefore|thus|hence)\b")
_DOER = re.compile(r"^\W*(?:the\s+)?([A-Z][\w&'\-]*(?:\s+[\w&'\-]+){0,3}?)\s+(?:contributed|"
                   r"accounted|generated|delivered|produced|earned|drove|led)\b")


def _named_clash(case: Case) -> Judgement | None:
    """A question that asks which one of a kind ("which segment ...?") is answered by the one
    the answer names: when the gold names its pick with the kind ("The consumer segment
    ...") and the answer's committing statement names one of that kind without the gold's
    name ("... is the Safety and Industrial segment"), the answer picks another, whatever
    words or figures it shares with the gold."""
    asked = _WHICH_KIND.search(case.question)
    if asked is None:
        return None
    found = re.search(rf"(?i)^\W*(?:the\s+)?((?:[\w&'\-]+\s+){{1,4}}?){_KINDS}\b",
                      case.gold.text.split(".")[0])
    # (a gold that is the name alone, "Asia Pacific", names its pick as well; so does the
    # subject of a gold that ranks it, "Cloud Services had the highest revenue growth")
    first = case.gold.text.split(".")[0]
    subject = _SUBJECT_PICK.match(first) if _RANKS.search(first) else None
    # (and so does a name that opens the gold before what it says of it, "Latin America,
    # which grew 18%", "Enterprise customers, whose revenue rose $212 million")
    leading = _LEADING_NAME.match(first)
    # (and the subject of a gold that says what it did: "Las Vegas resorts contributed ~90%
    # of company level EBITDAR")
    doer = _DOER.match(first) if not (found or subject or leading) else None
    gold_name = (_name_before(found.group(1)) if found
                 else case.gold.text.strip(" .") if _BARE_NAME.match(case.gold.text)
                 else subject.group(1) if subject
                 else leading.group(1) if leading
                 else doer.group(1) if doer else "")
    name = stem_set(gold_name) - stem_set(case.question) - _KIND_WORDS
    # (a statement that names its pick in words of its own, "Health Care was the top segment",
    # may share too few of the question's words to take it up: then the opening one)
    committed = committing_statement(case.reading, case.question)
    if committed is None and case.reading.sentences and not case.refusals:
        committed = case.reading.sentences[0]
    # (a statement that counts them, "3M's businesses fall into four segments.", picks none:
    # the one after it does)
    if committed is not None and _COUNTS_KIND.search(committed.text) \
            and committed.index + 1 < len(case.reading.sentences):
        committed = case.reading.sentences[committed.index + 1]
    # (a statement that ranks one by name picks it: "... Health Care 24.1%. Industrial is
    # highest.", "Industrial (24.1%) led Health Care (21.0%)")
    ranking = [s for s in case.reading.sentences
               if _RANKS.search(s.text)
               and _SUBJECT_PICK.match(_PERIOD_FIRST.sub("", unlabelled(s.text)))]
    if not name or (committed is None and not ranking):
        return None
    # (the committing statement's own pick first: "the Appliances category performed best
    # ...; Entertainment was the largest category by revenue" ranks by another measure)
    picked = _picked(committed.text, asked.group(1), case.question) if committed else ""
    if ranking and not case.refusals and (not _name_stems(picked, case.question)
                                          or not _RANKS.search(committed.text if committed
                                                               else "")):
        committed = ranking[-1]
        picked = _picked(committed.text, asked.group(1), case.question)
    if committed is None:
        return None
    # "any business segment", "each segment": no name; the gold's own name: no clash
    said_name = _name_stems(picked, case.question)
    # (a word the two names share, "Consumer Banking" and "Corporate & Investment Banking",
    # does not make them one; a part of the gold's name, or its initials, names it)
    initials = "".join(w[0] for w in re.findall(r"\b[A-Z][\w'\-]*", gold_name))
    if not said_name or not _beyond(said_name, name) or not _beyond(name, said_name) \
            or (len(initials) >= 2 and said_name == {initials.lower()}):
        return None
    # (a runner-up named first is not the pick: "Consumer had the second-highest margin;
    # Enterprise had the highest")
    clauses = re.split(r"[;,]", committed.text)
    if any(RUNNER_UP.search(c) and not stem_set(c) & name for c in clauses) and any(
            _RANKS.search(c) and not RUNNER_UP.search(c) and stem_set(c) & name
            for c in clauses):
        return None
    # (a ranking that closes the answer with the gold's pick corrects it, by name or by its
    # initials: "... was CCB ... Among these segments, CIB had the highest net income."; by
    # the question's measure, not "Entertainment was the largest category by revenue" for
    # "performed the best")
    last = case.reading.sentences[-1]

    def names_gold(text: str) -> bool:
        return bool(stem_set(text) & name) or (
            len(initials) >= 2 and re.search(rf"\b{initials}\b", text) is not None)

    # (and what it ranks by, "the highest net income", not "the highest expenses"; said, not
    # denied, "CIB was not the highest", nor supposed, "If ..., CIB would have had ...")
    ranks = {m.lower() for m in _RANKS.findall(case.question)}
    measured = _MEASURED.search(case.question)
    by = stem_set(measured.group(1)) - _KIND_WORDS if measured else set()
    # (or a ranking the writer corrects itself with: "Wait - re-reading the table, CIB had the
    # highest net income", "On closer inspection, CIB was the most profitable segment")
    corrected = next((s for s in case.reading.sentences[committed.index + 1:]
                      if (RETRACTS.search(s.text) or _ON_REVIEW.search(s.text))
                      and _RANKS.search(s.text) and not _NOT_SO.search(s.text)), None)
    if corrected is not None and names_gold(corrected.text):
        return None
    # (what it concludes on, after "so": "Las Vegas Strip Resorts reported $3,142 million,
    # but ..., so on an underlying basis Regional Operations had the highest")
    closing = _THEREFORE.split(last.text)[-1]
    if last.index > committed.index and ranks & {m.lower() for m in _RANKS.findall(closing)} \
            and by <= stem_set(closing) and not _NOT_SO.search(closing) \
            and not HYPOTHETICAL.search(closing) and names_gold(closing):
        return None
    return Judgement("incorrect", f"names {picked} in {case.statement(committed)}; the gold "
                                  f"names {gold_name}")


# "Which one had the highest notional value?", "Which type of debt received the largest
# investment?": the question asks for the one that ranks first
_TOP_WORD = r"(?:(?:high|low|larg|bigg|small|great)est|most|least|top)"
_WHICH_TOP = re.compile(rf"(?i)\b(?:which|what (?:was|is|were|are) the)\b.*\b(?:{_TOP_WORD}|best|"
                        r"worst)\b")
# a statement's subject before its verb, in any case ("interest rate swaps had ...")
_SUBJECT = re.compile(r"^\W*(?:the\s+)?([\w&'.\- ]{2,60}?)(?:,[^,]{0,40},)?\s+(?:was|were|is|are|had|has|"
                      r"received|generated|accounted|represented|made|led|came|brought)\b")
# what follows the copula of a restated question: "the biggest short term investment is in
# corporate bonds (almost 82% ...)"
_AFTER_COPULA = re.compile(r"\b(?:was|were|is|are)\s+(?:(?:made|invested|allocated|placed)\s+"
                           r"(?:to|in|into)\s+)?(?:in\s+)?(?:the\s+)?([\w&'.\- ]{2,60}?)"
                           r"\s*(?:[(,;:.]|$| with\b| at\b| of\b| which\b| for\b)")


_TOP = re.compile(rf"(?i)\b{_TOP_WORD}\b")
_MEASURE = re.compile(rf"(?i)\b({_TOP_WORD})\b"
                      r"(?:\s+(increase|decrease|growth|decline|drop|gain|rise|change))?")
_NOT_A_PICK = re.compile(r"(?i)^\W*(?:this|that|these|those|it|its|they|which|such|to answer|"
                         r"to determine|to find|to identify|in order|we|i|let|based on|from "
                         r"these|here)\b")
_THAT = re.compile(r"(?i)^.{0,80}?\b(?:clear|evident|apparent|see|shows?|indicates?) that\s+")


_CORRECTION_LEAD = re.compile(r"(?i)^\W*(?:no,? )?(?:wait|actually|correction)\b[^:]{0,60}:\s*")


def _after_that(text: str) -> str:
    """``text`` after its correction ("Wait, I had those reversed:") and its lead-in ("it is
    clear that", "the table shows that")."""
    text = _CORRECTION_LEAD.sub("", text, count=1)
    lead = _THAT.match(text)
    return text[lead.end():] if lead else text


def _pick_stems(text: str, question: str) -> frozenset[str]:
    """The stems naming the one a statement picks: its subject, or what follows its copula
    when the subject restates the question ("the biggest short term investment is in
    corporate bonds"); none when it names nothing of its own."""
    # ("Cross-currency swaps" names what "Cross currency swaps" does)
    first = re.split(r"(?<=[a-z0-9)])\.\s", text.strip(), maxsplit=1)[0].replace("-", " ")
    words = first.strip(" .").split()
    if 0 < len(words) <= 5 and not STATES.search(first):
        return _name_stems(first, question)
    subject = _SUBJECT.match(first)
    # (a subject that ranks, "The largest allocation was made to corporate bonds", restates
    # the question: the pick follows its verb)
    if subject is not None and _name_stems(subject.group(1), question) \
            and not _TOP.search(subject.group(1)):
        return _name_stems(subject.group(1), question)
    after = _AFTER_COPULA.search(first)
    return _name_stems(after.group(1), question) if after else frozenset()


def _ranked_first(case: Case) -> tuple[Sentence, frozenset[str], frozenset[str]] | None:
    """For a question asking which one ranks first (not a segment's, a region's or a year's),
    the answer's statement that ranks one first, the stems naming its pick and the gold's."""
    # (segments, regions and categories are _named_clash's)
    # (and years are the year rules')
    if _WHICH_TOP.search(case.question) is None or _WHICH_KIND.search(case.question) \
            or WHICH_YEAR.search(case.question) or case.refusals:
        return None
    gold_name = _pick_stems(case.gold.text, case.question)
    if not gold_name:
        return None
    # the statements that rank one first by a superlative, as their subject ("Interest rate
    # swaps had the highest ...") or in a clause ("it is clear that corporate bonds received
    # the largest investment"); not the task restated ("To answer the question about which
    # type ...") nor one that points back ("This is the largest ...")
    # (by the question's own measure: "the largest liability", not "rose the most")
    measure = _MEASURE.search(case.question.split("?")[0])
    if measure is None:
        return None
    word = measure.group(1).lower()
    # (and what it measures, when the question names it: "the largest increase" is no "largest
    # liability")
    measured = stem_set(measure.group(2) or "") - _KIND_WORDS
    ranking = [s for s in case.reading.sentences
               if s.start < case.reading.illustration_start
               and re.search(rf"(?i)\b{word}\b", s.text) and not RUNNER_UP.search(s.text)
               and measured <= stem_set(s.text)
               and (claim := _after_that(unlabelled(s.text))) and not _NOT_A_PICK.match(claim)
               and _SUBJECT.match(claim)]
    # (a value under a label that ranks: "highest notional instrument fy2021: Interest rate
    # swaps", a JSON answer's key and value)
    for sentence in case.reading.sentences:
        labelled = _LABEL_VALUE.match(sentence.text)
        if labelled is not None and re.search(rf"(?i)\b{word}\b", labelled.group(1)) \
                and measured <= stem_set(labelled.group(1)):
            value = sentence.text[labelled.end(1):].lstrip(" :")
            return sentence, _name_stems(value, case.question), gold_name
    # (the last that concludes or corrects, else the first: "The next largest was ..."
    # comes after; "Wait, I had those reversed: corporate bonds ... received the largest")
    concluding = [s for s in ranking if concludes(s.text) or RETRACTS.search(s.text)]
    said = concluding[-1] if concluding else ranking[0] if ranking else None
    if said is None:
        return None
    # (the clause that ranks by it: "X were the largest by fair value, but cross currency
    # swaps had the highest notional value")
    clauses = [c for c in re.split(r"(?i),?\s+but\s+|;\s*", said.text)
               if re.search(rf"(?i)\b{word}\b", c)]
    claim = clauses[-1] if clauses else said.text
    return said, _pick_stems(_after_that(unlabelled(claim)), case.question), gold_name


def _superlative_clash(case: Case) -> Judgement | None:
    """A question asking which one ranks first (any kind: a type of debt, a derivative, a
    liability) is answered by the one the answer ranks first: when the answer's ranking or
    committing statement names one without the gold's name ("Interest rate swaps had the
    highest notional value" for "Cross currency swaps"), it picks another, whatever figure
    of the gold's it gives for the runner-up."""
    found = _ranked_first(case)
    if found is None:
        return None
    said, picked, gold_name = found
    # (each names something the other does not: "Consumer & Community Banking" for
    # "Corporate & Investment Bank"; "(CIB)" after the gold's name adds, it does not clash)
    if not picked or gold_name <= picked or picked <= gold_name:
        return None
    return Judgement("incorrect", f"ranks another first in {case.statement(said)}; the gold "
                                  f"names {case.gold.text.split('.')[0].strip()}")


def pick_agrees(case: Case) -> Judgement | None:
    """The same question answered with the gold's pick: the pick is the answer, whatever
    figure it gives beside it ("Cross currency swaps had the highest notional value, at
    $26,288 million", the year before's, for the gold's "Cross currency swaps. Its notional
    value was $32,502 million.")."""
    found = _ranked_first(case)
    if found is None:
        return None
    said, picked, gold_name = found
    if not picked or not (gold_name <= picked or picked <= gold_name):
        return None
    return Judgement("correct", f"ranks {case.gold.text.split('.')[0].strip()} first in "
                                f"{case.statement(said)}, as the gold does")


# a gold that is a name and nothing else: "Asia Pacific", "Developed Rest of the World."
_BARE_NAME = re.compile(r"^\s*[A-Z][\w&'\-]*(?:\s+(?:[A-Z][\w&'\-]*|of|the|and|&)){0,5}\s*\.?\s*$")
# a firm's legal form, no part of its name: "Ferrand Maclay LLP", "Tessaly Inc."
_LEGAL_FORM = re.compile(r"\b(?:LLP|LLC|Inc|Ltd|plc|PLC|Co|Corp|Corporation|Company|L\.?P|N\.?V|"
                         r"S\.?A|AG|GmbH)\b\.?")


def _other_name(gold: str, said: str) -> str | None:
    """The name the answer gives where a gold that is a name alone goes on with other words:
    "Ferrand & Partners LLP" or "Maclay Partners LLP" for "Ferrand Maclay LLP" is another
    firm ("Ferrand", "Ferrand Maclay's Boston office" name the gold's)."""
    words = re.findall(r"[A-Z][\w\-]*", _LEGAL_FORM.sub(" ", gold))
    # (the gold's name given whole answers, whatever other firm it names for another role)
    # (with the small words between them: "Developed Rest of the World"; not as a runner-up,
    # "..., followed by Developed Rest of World")
    if len(words) < 2 or re.search(r"(?:\s+(?:&|and|of|the|for|de|la)\b)*\s+".join(
            map(re.escape, words)), without_runner_ups(said), re.IGNORECASE):
        return None
    # (none of its words, nor its initials, "EY" for "Ernst & Young LLP": another name)
    initials = "".join(w[0] for w in words)
    if not any(re.search(rf"(?i)\b{re.escape(w)}", said) for w in words) \
            and not re.search(rf"\b{initials}\b", said):
        return "none of its words"
    for index, word in enumerate(words):
        for found in re.finditer(rf"\b{re.escape(word)}\b((?:\s+(?:&|and)?\s*[A-Z][\w'\-]*)*)",
                                 said):
            going_on = []
            for token in re.findall(r"[A-Z][\w'\-]*", _LEGAL_FORM.sub(" ", found.group(1))):
                going_on.append(re.sub(r"'s?$", "", token))
                if token.endswith(("'s", "'")):
                    break  # (a possessive ends the name: "Ferrand Maclay's Boston office")
            # (a name that goes on otherwise than the gold's is another; one that goes on past
            # its end, "Ferrand Maclay US LLP", "Deloitte Touche Tohmatsu", may be a form of it)
            expected = words[index + 1:]
            shared = min(len(going_on), len(expected))
            if going_on[:shared] != expected[:shared]:
                return str(word + found.group(1)).strip()
    return None


_PERIOD_FIRST = re.compile(r"(?i)^\W*(?:in|for|during|as of|at the end of)\s+(?:the\s+)?(?:fiscal\s+|"
                           r"FY\s?)?(?:(?:Q[1-4]|H[12])\s+)?(?:fiscal\s+|FY\s?)?(?:19|20)?\d\d(?:\s+Q[1-4])?"
                           r",\s*")
_LEADING_NAME = re.compile(r"^\s*([A-Z][\w&'\-]*(?:\s+[\w&'\-]+){0,3}?)(?=\s*(?:,|\(|$)|"
                           r"\s+(?:which|whose|at|with)\b)")
_KIND_WORDS = stem_set("business product segment category division region unit line customer "
                       "brand market country")
# words that rank or describe one of a kind, not name it ("Kestrel Ridge's largest segment",
# "the highest-revenue segment", "its main business")
# (superlatives by name: "West" and "Midwest" name segments)
# what a ranking question ranks by: "had the highest net income in 2023" -> "net income"
_MEASURED = re.compile(rf"(?i)\b(?:{_SUPERLATIVE}|most|top|best|worst)\s+((?:[a-z&\-]+\s+){{0,2}}?"
                       r"[a-z&\-]+)(?=\s+(?:in|of|for|during|as|at|among|on)\b|\s*[?,.]|$)")
_RANKING = re.compile(rf"(?i)^(?:{_SUPERLATIVE}|top|leading|main|primary|principal|key|core|most|"
                      r"least|best|worst|major|dominant|number)$")
# words that rank one of a kind in a statement ("is highest", "led", "the largest")
_RANKS = re.compile(rf"(?i)\b(?:{_SUPERLATIVE}|most|top|led|leads|best|worst)\b")
# "<Name> was Kestrel Ridge's largest segment": the subject names the pick
_SUBJECT_PICK = re.compile(rf"^\W*(?:the\s+)?((?:[A-Z][\w&'\-]*\s+(?:(?:and|&)\s+)?){{0,3}}?"
                           rf"[A-Z][\w&'\-]*)(?:\s+{_KINDS})?(?:\s*\([^()]{{0,40}}\))?\s+(?:was|is|"
                           r"were|are|had|has|generated|brought|led|remained|ranked|"
                           r"contributed|accounted|grew|rose|posted|delivered|saw|showed|"
                           r"recorded|achieved|topped)\b")
# "... segment in FY2024 was Consumer, ...": the name after the copula, without a kind word
_BARE_PICK = re.compile(r"^\W*(?:the\s+)?[\"\u201c]?((?:[A-Z][\w&'\-]*\s*(?:(?:and|&)\s+)?){1,4})")


def _name_stems(name: str, question: str) -> frozenset[str]:
    """The stems of ``name`` that name something: not the question's words, the kind or a
    ranking ("largest", "highest-revenue")."""
    words = [w for w in name.split()
             if not any(_RANKING.match(part) for part in w.strip("\"'()").split("-"))]
    return stem_set(" ".join(words)) - stem_set(question) - _KIND_WORDS


_DASHED_PICK = re.compile(r"^\W*([A-Z][\w&'\-]*(?:\s+(?:[A-Z][\w&'\-]*|of|the|and|&)){0,5})\s*"
                          r"(?:[\u2014\u2013]|\s-\s|--)")


# (a label or a verdict before a dash is no name: "Yes — ...", "Answer — ...")
_DASH_LABEL = re.compile(r"(?i)^(?:yes|no|(?:the |my )?(?:final |short |direct )?answer|note|"
                         r"overall|(?:in )?summary|result|conclusion|verdict|bottom line|"
                         r"tl;?dr|therefore|so|correction|update|caveat)$")


_AMONG = re.compile(r"(?i)\b(?:among|across|of all|out of|between)\b|\bof\s+[\w&.\- ]{1,30}?'s\b")


def _picked(text: str, kind: str, question: str) -> str:
    """The name a statement picks for a question asking which one of ``kind``: one named with
    the kind ("... is the Safety and Industrial segment"); else the subject of a statement
    that ranks it ("Industrial was Kestrel Ridge's largest segment"); else the name after a
    restatement of the question ("... segment in FY2024 was Consumer, ...")."""
    # (a name given alone before a dash is the pick: "Corporate — it posted the lowest net
    # revenue of any JPMorgan segment")
    dashed = _DASHED_PICK.match(text)
    if dashed is not None and not _DASH_LABEL.match(dashed.group(1)) \
            and _name_stems(dashed.group(1), question):
        return dashed.group(1)
    # (not in a lead-in naming the source: "Based on the provided segment results, ...", nor
    # under the answer's label: "Answer: Consumer & Community Banking ...")
    text = without_lead_in(unlabelled(text))
    after = _after_subject(text, kind)
    # (the first kind word with a name before it: "Based on the segment disclosures, the
    # Consumer Products segment ...")
    # (its initials between them: "the Corporate & Investment Bank (CIB) segment")
    for said in re.finditer(rf"(?i)\b((?:[\w&'\-\"]+\s+){{1,4}}?)(?:\([A-Z&]{{2,6}}\)\s+)?{_KINDS}\b",
                            after):
        # (the kind the pick is among is no pick: "... had the lowest net revenue among
        # JPM's business segments")
        if _AMONG.search(said.group(1)):
            continue
        picked = _name_before(said.group(1))
        if _name_stems(picked, question):
            return picked
    # (after the period it speaks of: "In FY2024, West was Kestrel Ridge's biggest segment")
    subject = _SUBJECT_PICK.match(_PERIOD_FIRST.sub("", text))
    if subject and subject.group(1).lower() not in _NAME_STOP \
            and _name_stems(subject.group(1), question):
        return subject.group(1)
    # (only after a restatement of the question: "... segment in FY2024 was Consumer")
    bare = _BARE_PICK.match(after) if len(after) < len(text) else None
    if bare is not None:
        return bare.group(1).strip()
    # (or a name alone before what the statement says of it: "Consumer & Community
    # Banking, with net income of $3,725 million.")
    leading = _NAMED_FIRST.match(text.strip(" *_"))
    opener = leading.group(1).split()[0].lower() if leading is not None else ""
    # (not an opener that is no name: "Without the Embedded, ...", "Excluding M&A effects
    # (and FX), ...", "Additionally, ...")
    # (nor a greeting, "Hi Jess,": a name with nothing said of it)
    if leading is not None and _name_stems(leading.group(1), question) \
            and opener not in _NAME_STOP and opener not in _OPENERS \
            and not opener.endswith(("ly", "ing")) \
            and re.search(r"\w", text.strip(" *_")[leading.end():]):
        return leading.group(1)
    return ""


# a name that opens a statement, then what it says of it: "Consumer & Community Banking, with
# net income of $3,725 million", "Data Center (+63.6%)", "Corporate at -$473 million"
_NAMED_FIRST = re.compile(r"^\s*([A-Z][\w&'\-]*(?:\s+[\w&'\-]+){0,3}?)(?=\s*(?:,\s*(?:with|at|"
                          r"which|whose|where)\b|\()|\s+(?:which|whose|at|with)\b)")
_OPENERS = frozenset(["without", "except", "besides", "after", "before", "since", "as", "if",
                      "when", "while", "although", "though", "however", "overall", "also",
                      "so", "thus", "therefore", "based", "per", "given", "note", "yes", "no",
                      "hi", "hello", "hey", "dear", "thanks", "sure", "okay", "ok", "great"])


def _name_before(words: str) -> str:
    """The name that ends ``words`` ("has dragged down growth: the Safety and Industrial"
    -> "Safety and Industrial"): its last words up to a function word ("and" and "&"
    belong to names)."""
    kept: list[str] = []
    for word in reversed(words.split()):
        bare = word.strip("\"'()")
        if bare.lower() in _NAME_STOP or not bare:
            break
        kept.insert(0, bare)
    while kept and kept[0].lower() in ("and", "&"):
        kept.pop(0)
    return " ".join(kept)


_NAME_STOP = frozenset(["the", "a", "an", "any", "each", "every", "no", "its", "their", "his",
                        "her", "this", "that", "these", "those", "of", "in", "on", "at", "to",
                        "for", "by", "with", "from", "about", "is", "was", "are", "were", "be",
                        "other", "another", "one", "which", "what", "information", "here", "there"])


def _after_subject(text: str, kind: str) -> str:
    """``text`` after its restatement of the question ("the segment that has dragged down
    growth is the X segment": what follows "is")."""
    restated = re.search(rf"(?i)\b{re.escape(kind)}s?\s+(?:(?:that|which)\b.{{0,160}}?|"
                         rf"[^,.;]{{0,60}}?)\b(?:is|was|were|are)\s+", text)
    return text[restated.end():] if restated else text


# a level a change reached: "declined to 19.1%", "rose to about $4.2 billion"
_LEVEL_REACHED = re.compile(r"(?i)\b(?:to|at)\s+(?:about |approximately |roughly |around )?$")


def _contradicting_figure(case: Case) -> Judgement | None:
    """Rule 2 before rule 6: an answer that states none of the gold's figures and commits to
    another figure for the quantity a gold figure measures contradicts the gold, however many
    of its words it shares."""
    figures, sentence = case.committed()
    if sentence is None or not case.about_question(sentence):
        return None
    # the gold's own size with the opposite sign ("-$3.2 billion" for "a profit of $3.2
    # billion") contradicts it whatever words name the two
    # (a level is no other value of a change: "declined to 19.1%" against the gold's
    # "decreased by 1.7%")
    text, gold = case.reading.text, case.gold.text
    against = [f for f in figures if any(
        (case.same_quantity(f, k) and not (stated_as_change(gold, k.figure) and _LEVEL_REACHED.search(
            text[max(0, f.start - 30):f.start])))
        or (case.opposite_sign(f) and figures_match(f, k.figure))
        for k in case.gold.keys)]
    if not against:
        return None
    return Judgement("incorrect", f"concludes {case.where(against)} in "
                                  f"{case.statement(sentence)}; the gold states "
                                  f"{gold_raws(case.gold.keys)}", case.cite(against))


def _commits(case: Case) -> bool:
    """Rule 5 for an answer with refusal language: it still commits when it takes the
    question up in a statement, takes a stance on a yes/no question (hedged or not: "it does
    not appear that ..."), or concludes on a figure ("not stated; therefore, the answer is
    0")."""
    if committing_statement(case.reading, case.question, strict=True) is not None:
        return True
    if asks_yes_no(case.question) and stance(case.reading, case.question, strict=True):
        return True
    figures, _ = case.committed()
    if figures:
        return True
    # a statement labelled as the answer ("... but my best read: Short answer: long-term
    # debt.") gives one, unless what it gives is refusal language ("Final answer: N/A")
    return any((label := ANSWER_GIVEN.match(s.text)) is not None
               and not refusal_phrases(s.text[label.end():])
               for s in case.reading.sentences if s.start < case.reading.illustration_start)




# "Among operations, investing, and financing activities, which ...": the options offered.
_OPTIONS = re.compile(r"(?i)\b(?:among|between|which of)\s+(?:the\s+)?([a-z][\w&' -]*?(?:,\s*"
                      r"[a-z][\w&' -]*?)*,?\s+(?:and|or)\s+[a-z][\w&' -]*?)(?:,|\?|\s+which\b)")


def _options(question: str) -> list[str]:
    found = _OPTIONS.search(question)
    if found is None:
        return []
    parts = [p.strip() for p in re.split(r"(?i),\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+",
                                         found.group(1)) if p.strip()]
    # (options are short names: "Among all of the derivative instruments that X used to
    # manage ... interest rates, which ...?" offers none)
    return parts if all(len(p.split()) <= 4 for p in parts) else []


def _direction_answer(case: Case, span: list[Sentence]) -> Judgement | None:
    """For a question that asks which way something moved ("did it increase or
    decrease?"), the direction is the answer: the statement's must be the gold's."""
    asked = proposition(case.question)
    if not (_UP_WORD.search(asked) and _DOWN_WORD.search(asked)):
        return None
    gold_way = direction(case.gold.text.split(".")[0])
    if gold_way is None:
        return None
    for sentence in span:
        said_way = claimed_direction(sentence.text)
        if said_way is not None:
            if said_way == gold_way:
                return Judgement("correct", f"says it went {said_way} in "
                                            f"{case.statement(sentence)}, as the gold does")
            return Judgement("incorrect", f"says it went {said_way} in "
                                          f"{case.statement(sentence)}; the gold says {gold_way}")
    return None


_UP_WORD = re.compile(r"(?i)\b(?:increas\w*|improv\w*|rise|rose|grow|grew|higher)\b")
_DOWN_WORD = re.compile(r"(?i)\b(?:decreas\w*|declin\w*|drop\w*|fall|fell|lower|worsen\w*)\b")


def _denial(case: Case, *, opening: bool = False) -> Sentence | None:
    """A statement denying that anything answers the question ("there are no debt
    securities registered", "no acquisitions were made"); with ``opening``, one that opens
    with the denial ("No debt securities are registered ...", not "... no other ...")."""
    terms = question_terms(case.question)
    denies = DENIAL if opening else _DENIES
    for sentence in case.reading.sentences:
        if sentence.start >= case.reading.illustration_start:
            break
        # (the answer's opening "There are none:" needs no words of the question)
        if denies.search(sentence.text) and not (opening and _NO_OTHER.search(sentence.text)) \
                and (len(stem_set(sentence.text) & terms) >= max(2, 0.4 * len(terms))
                     or (opening and sentence.index == 0 and _NONE_ALONE.match(sentence.text))):
            return sentence
    return None


_NONE_ALONE = re.compile(r"(?i)^\W*(?:there (?:are|were|is) )?none\s*(?:[.:;!,\u2014-]|$)")
_NO_OTHER = re.compile(r"(?i)\bno (?:other|further|additional|more|new)\b|\b(?:except|other than|"
                       r"apart from|aside from|besides|save for)\b")


_DENIES = re.compile(r"(?i)\b(?:no|none|not any|nothing|zero)\b|\bdid not (?:make|have|complete|"
                     r"register|list)\b")


# words that pick one of the options: "the most", "the largest", "only", "lost the least"
_PICKS = re.compile(rf"(?i)\b(?:{_SUPERLATIVE}|{_TOP_WORD}|only|best|worst|leading|led)\b")


def _option_pick(case: Case) -> Sentence | None:
    """The statement that picks among the options the question offers: the last concluding
    one naming exactly one option ("So the answer is operating activities"); else the first
    naming an option in words that rank it ("Operating activities generated the most
    cash"); none when no statement does."""
    stems = [stem_set(o) - {"activ"} or stem_set(o) for o in _options(case.question)]
    asked = question_terms(case.question) - frozenset().union(*stems)
    named: list[tuple[Sentence, int]] = []
    for sentence in case.reading.sentences:
        if sentence.start >= case.reading.illustration_start:
            break
        if refusal_phrases(sentence.text) or not states(sentence.text):
            continue
        said = stem_set(sentence.text)
        count = sum(1 for option in stems if option & said)
        # (and takes the question up, a word of it besides the options', in a statement of
        # a sentence's length: a pasted filing's paragraph picks nothing)
        if count and said & asked and len(sentence.text.split()) <= 60:
            named.append((sentence, count))
    concluding = [s for s, count in named if count == 1 and concludes(s.text)]
    if concluding:
        return concluding[-1]
    # (an answer that is one option alone: "Operating activities")
    sentences = [s for s in case.reading.sentences if s.start < case.reading.illustration_start]
    if len(sentences) == 1 and len(sentences[0].text.split()) <= 4 and sum(
            1 for option in stems if option & stem_set(sentences[0].text)) == 1:
        return sentences[0]
    return next((s for s, _ in named if _PICKS.search(s.text)), None)


def option_clash(case: Case, said: str) -> tuple[str, str] | None:
    """(answer's pick, gold's pick) when the question offers options and the answer's
    statement picks first another one than the gold picks."""
    options = _options(case.question)
    if len(options) < 2:
        return None
    stems = [stem_set(o) - {"activ"} or stem_set(o) for o in options]

    def first_pick(text: str) -> int | None:
        lowered = text.lower()
        best: tuple[int, int] | None = None
        for index, option in enumerate(stems):
            for stem in option:
                at = lowered.find(stem)
                if at >= 0 and (best is None or at < best[0]):
                    best = (at, index)
        return None if best is None else best[1]

    gold_hits = [i for i, o in enumerate(stems) if o & stem_set(case.gold.text)]
    if len(gold_hits) != 1:
        return None
    # (a lead-in naming the source, "According to the ... financial statements,", picks
    # nothing)
    answer_pick = first_pick(without_lead_in(said))
    if answer_pick is None or answer_pick == gold_hits[0]:
        return None
    return options[answer_pick], options[gold_hits[0]]


# "United States, EMEA, APAC, and LACC", "...: North America, Latin America, ... and China."
_ENUMERATION = re.compile(r"(?:^|:\s*)((?:[A-Z][\w&'.-]*(?: [A-Za-z&'.-]+){0,3},\s*){2,}"
                          r"(?:and\s+)?[A-Z][\w&'.-]*(?: [A-Za-z&'.-]+){0,3})\.?\s*$")


def _enumerated(gold: str, question: str) -> list[frozenset[str]]:
    """The items a gold enumerates (three or more names in a comma list), as their stems
    (words the question already has left out); none when the gold is no such list."""
    found = _ENUMERATION.search(gold.strip())
    if found is None:
        return []
    asked = stem_set(question)
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", found.group(1).rstrip(". "))
    items = [plain_stems(p) - asked for p in parts]
    return [i for i in items if i]


# a value under a label of its own: "largest liability 2022: Customer deposits" (a JSON
# answer's "largest_liability_2022" key)
_LABEL_VALUE = re.compile(r"^\W*([A-Za-z][\w &'/\-]{2,60}?)\s*:\s*\S")


def _labelled_answer(text: str, question: str) -> bool:
    """Whether ``text`` gives a value under a label made of the question's words: a
    statement of the answer, though it has no verb."""
    found = _LABEL_VALUE.match(text)
    return found is not None and len(stem_set(found.group(1)) & question_terms(question)) >= 2


def _terse(case: Case) -> bool:
    """Whether the whole answer is one short phrase without figures ("Packaging.", "Two
    things: (1) raw material inflation and (2) unfavorable currency."): a terse answer, judged
    on its words, not a pasted fragment of a table."""
    sentences = case.reading.sentences
    # (or a list of such phrases: "- Bluewater Labs\n- Norda Systems")
    if not (sentences and all(len(s.text.split()) <= 16 for s in sentences)
            and (len(sentences) == 1 or all(_LIST_ITEM.match(s.text) for s in sentences))):
        return False
    # (a name with its figure set aside in brackets, "Customer deposits ($110.2bn)", "Data
    # Center (+63.6%)", is such a phrase: a table's row does not bracket its figures with
    # their unit)
    return not case.reading.own_figures or not any(
        _DIGIT.search(_FIGURE_ASIDE.sub(" ", s.text)) for s in sentences)


_DIGIT = re.compile(r"\d")
_FIGURE_ASIDE = re.compile(r"\((?=[^()\n]*\d)(?=[^()\n]*(?:[$%\u20ac\u00a3\u00a5]|\b(?:bn|mn|m|b|k|"
                           r"billion|million|thousand|x|times)\b))[^()\n]{1,60}\)")


# a cause denied: "not (mainly) driven by X", "wasn't due to X", "not because of X", "It was
# not X that drove ...", "rather than X", "instead of X" - X runs to the clause's end ("not
# only X" names X)
_CAUSE_END = r"(?=\s*(?:[.;:\n\u2014\u2013]|,?\s+(?:but|rather|instead|and\s+instead)\b|$))"
_DENIED_CAUSE = re.compile(
    r"(?i)(?:\b(?:not|never)|n't)\s+(?!only\b)(?:(?:primarily|mainly|largely|simply|just|"
    r"solely|entirely)\s+)?(?:(?:caused|driven|explained|attributable|due|owing)\s+(?:by|to)|"
    r"because\s+of|(?:the\s+|a\s+)?results?\s+of)\s+[^.;:\n]*?" + _CAUSE_END
    + r"|\b(?:it|this|that)\s+(?:was|is|were)(?:\s+not|n't)\s+[^.;:\n]{1,60}?\s+(?:that|which)"
    r"\s+(?:drove|caused|explains?|explained|led|pushed|weighed)\b"
    r"|\b(?:rather\s+than|instead\s+of)\s+[^.;:,\n]*")


def _stems_with_compounds(text: str) -> frozenset[str]:
    # "cash flow" also as "cashflow": compounds are written both ways
    words = re.findall(r"[a-z][a-z0-9&'\-]+", text.lower())
    return stem_set(text) | {(a + b)[:5] for a, b in itertools.pairwise(words)}


# "... was driven by several factors." introduces what follows
_INTRODUCES = re.compile(r"(?i)\b(?:several|following|few|number of|various|multiple|two|three|"
                         r"four|a combination of)\s+(?:\w+\s+)?(?:factors|reasons|drivers|items|"
                         r"things|segments|products|acquisitions|companies|regions|ways)\b\W*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022]|\(?\d{1,2}[.)])\s+\S")
_NONE = re.compile(r"(?i)\b(?:none|no|not|never|nothing|neither|nor)\b|n't\b")
_ZERO = re.compile(r"(?<![\d.,])\$?0(?:\.0+)?(?![\d.,]*\d)(?!\s*%)\b|\bzero\b(?!\s*(?:%|percent|"
                   r"coupon))", re.IGNORECASE)


def _content(case: Case, committed: Sentence | None, threshold: float) -> Judgement:
    """Rule 6: the answer's statement against the gold's own words (and its negation)."""
    sentences = case.reading.sentences
    committed = _concluding_list(case, committed) or committed
    if committed is not None:
        # a conclusion restated word for word ("Final Answer: These divisions ...") is read
        # where the answer first states it, beside what it sums up
        said_as = _plain(committed.text)
        if said_as.count(" ") >= 2:
            committed = next((s for s in sentences[:committed.index]
                              if _plain(s.text) == said_as), committed)
        reach = 1
        if ANSWER_LABEL.match(committed.text) and not any(
                states(s.text) for s in sentences[:committed.index]):
            # a labelled summary first ("TL;DR: ...", "Short answer: ..."): the answer it
            # sums up follows it, and is read as it would be without the summary
            reach = 2
        span = list(sentences[committed.index:committed.index + reach + 1])
        where = case.statement(committed)
    else:
        # a fragment without a verb ("Advanced Micro Devices, Inc." cut at its period) states
        # nothing: the opening statements are the first two that do
        stating = [s for s in sentences if s.start < case.reading.illustration_start
                   and states(s.text)]
        span = stating[:2] or [s for s in sentences[:2]
                               if s.start < case.reading.illustration_start]
        where = "its opening statements"
    intro = next((s for s in span if s.text.rstrip().endswith(":")
                  or _INTRODUCES.search(s.text)), None)
    if committed is None and span and _LIST_ITEM.match(span[0].text):
        # an answer that opens with a list ("1. Microprocessors: ...") answers with the list
        span = [s for s in sentences[span[0].index:span[0].index + 40]
                if s.start < case.reading.illustration_start]
        where = "the list it opens with"
    elif intro is not None:
        # "AMD's major products include:", "... was driven by several factors:" - the list
        # that follows is the answer
        span = [s for s in sentences[span[0].index:intro.index + 40]
                if s.start < case.reading.illustration_start]
        where += " and the list it introduces"
    elif committed is not None and _POINTS_BACK.match(committed.text):
        # "These divisions reflect the company's primary geographies.": the list before it
        listed = _list_before(case, committed)
        if listed:
            span = listed + span
            where += " and the list it points back to"
    said = " ".join(s.text for s in span)
    if case.gold.negative:
        # "There are none": the answer must also deny (the gold picks no item), in words or
        # as nothing ("So the dividend per share for FY2022 was $0.")
        if _NONE.search(said) or _ZERO.search(said):
            return Judgement("correct", f"denies in {where}, as the gold does")
        return Judgement("incorrect", f"names items in {where}; the gold says there are none")
    way = _direction_answer(case, span)
    if way is not None:
        return way
    options = _options(case.question)
    pick = _option_pick(case) if len(options) >= 2 else None
    if pick is not None:
        # the option a statement concludes on or ranks ("So the answer is operating
        # activities", "Operating activities generated the most cash")
        chosen = option_clash(case, pick.text)
        if chosen:
            return Judgement("incorrect", f"picks {chosen[0]} in {case.statement(pick)}; the "
                                          f"gold picks {chosen[1]}")
        return Judgement("correct", f"picks the gold's option in {case.statement(pick)}")
    if committed is None and len(options) >= 2 and case.refusals:
        # (nothing picked, and it says why: "cash flow split: not available in the supplied
        # pages")
        return refusal(case)
    if committed is None and len(options) >= 2:
        # "Among operations, investing and financing, which ...?" asks for a pick: an answer
        # that takes the question up in no statement (quoted excerpts, figures) picks none
        return Judgement("incorrect", "picks none of the options the question offers ("
                                      + ", ".join(options) + ") in a statement")
    picked = option_clash(case, said)
    if picked:
        return Judgement("incorrect", f"picks {picked[0]} in {where}; the gold picks {picked[1]}")
    # a year the gold names and the question does not is the answer's to name: another year
    # in its place is another answer ("completed in FY2020" for "FY2021"), however many
    # other words it shares
    gold_years = years_of(case.gold.text.split(". ")[0]) - years_of(case.question)
    # (a date an item runs to, "amortized through 2026", names no year of the answer's own)
    said_years = years_of(RUNS_TO.sub(" ", said)) - years_of(case.question)
    if gold_years and said_years and not gold_years & years_of(said):
        shown = ", ".join(str(y) for y in sorted(said_years))
        return Judgement("incorrect", f"names {shown} in {where}; the gold names "
                                      f"{', '.join(str(y) for y in sorted(gold_years))}")
    # the gold's terms as it writes them: an answer naming an abbreviation's words names the
    # abbreviation (its stems include it), and a gold's "EMEA" is one term, not five
    gold_all = plain_stems(case.gold.text)
    gold_words = gold_all - stem_set(case.question)
    if len(gold_words) <= 2:
        # the gold picks among options the question names ("which of operations, investing
        # and financing"): its own words are too few to judge on
        gold_words = gold_all
    if not gold_words:
        return Judgement("incorrect", "the gold states nothing the answer could be checked on")
    other_name = _other_name(case.gold.text, said) if _BARE_NAME.match(case.gold.text) else None
    if other_name is not None:
        return Judgement("incorrect", f"names {other_name} in {where}; the gold names "
                                      f"{case.gold.text.strip(' .')}")
    # "Final Answer: ..." labels the statement, "In summary," opens it: neither is content
    said = unlabelled(said)
    # a driver the answer denies is not one it names ("It was not weak demand; the decline
    # came from input costs", "driven by pricing rather than volume"), unless the gold
    # denies it too
    denied = [] if _DENIED_CAUSE.search(case.gold.text) else list(_DENIED_CAUSE.finditer(said))
    if denied and span and span[-1].index + 1 < len(sentences):
        # (a cause denied is set against the one it was: "The decline was not driven by
        # weaker demand. It was driven by amortization ...")
        said += " " + unlabelled(sentences[span[-1].index + 1].text)
    # (nor is a runner-up named beside the pick: "long-term debt was the largest liability,
    # followed by customer deposits")
    said_words = _stems_with_compounds(without_runner_ups(
        _DENIED_CAUSE.sub(" ", said) if denied else said))
    # a driver said the other way is another driver ("lower fuel costs" for "Higher fuel
    # costs", "higher volumes" for "partially offset by lower volume")
    reversed_driver = _reversed_driver(case.gold.text, said) or _other_outcome(
        case.gold.text, said)
    if reversed_driver is not None:
        return Judgement("incorrect", f"says {reversed_driver[0]} in {where}; the gold says "
                                      f"{reversed_driver[1]}")
    # (which way a driver went is no content of its own: "higher" shared with "Higher
    # advertising spending" names no driver)
    # (when the gold names drivers besides: "Yes. It decreased." is its way alone)
    if len(gold_words - _WAY_STEMS - stem_set(case.question)) >= 2:
        gold_words = gold_words - _WAY_STEMS
    recall = len(gold_words & said_words) / len(gold_words)
    items = _enumerated(case.gold.text, case.question)
    if len(items) >= 3:
        # a gold that enumerates ("United States, EMEA, APAC, and LACC") is met item by item
        # (an item is named when all its words are): a two-word item is one item, not two
        # words the answer may share piecemeal ("Latin America" for "North America")
        named = sum(1 for item in items if item <= said_words)
        recall = min(recall, named / len(items))
    if recall >= threshold:
        return Judgement("correct", f"{where} contains {recall:.0%} of the gold's content words")
    if denied and len(gold_words & _stems_with_compounds(said)) >= threshold * len(gold_words):
        return Judgement("incorrect", f"denies the gold's cause in {where} (\""
                                      f"{clip(denied[0].group().strip())}\")")
    # a terse statement ("Amcor operates in the packaging industry") is judged on what it
    # says: most of its own words are the gold's
    # ("Based on the information provided in the 10-K, ..." says where the statement comes
    # from, not what it says)
    own = stem_set(" ".join(without_lead_in(unlabelled(s.text)) for s in span)
                   ) - stem_set(case.question)
    hits = own & gold_all
    if own and hits and len(hits) / len(own) >= 0.5 and len(items) < 3:
        return Judgement("correct", f"{where} says mostly what the gold says ("
                                    f"{len(hits)} of its {len(own)} own content words)")
    return Judgement("incorrect", f"{where} contains only {recall:.0%} of the gold's content "
                                  f"words")


_WAY_STEMS = stem_set("higher lower increased decreased increase decrease greater reduced more "
                      "less rising falling")
# "higher fuel costs", "lower volume": a driver as the way a quantity went, then the quantity
# (or as its strength: "weak demand", "stronger-than-expected demand", "growing volumes")
_DRIVER = re.compile(r"(?i)\b(higher|lower|increased|decreased|reduced|greater|rising|falling|"
                     r"strong(?:er)?|weak(?:er)?|soft(?:er)?|robust|growing|declining)"
                     r"(?:-than-expected)?\s+((?:[a-z][\w\-]*\s+){0,1}[a-z][\w\-]*)")
_UP_DRIVER = frozenset({"higher", "increased", "greater", "rising", "strong", "stronger", "robust",
                        "growing"})


def _reversed_driver(gold: str, said: str) -> tuple[str, str] | None:
    """(the answer's driver, the gold's) when the answer names one of the gold's drivers
    going the other way."""
    # (the same driver: all the words of the gold's, "fuel costs", not one of them, "lower
    # maintenance costs")
    # (not one it denies, "It wasn't lower fuel costs", nor beside the gold's said its way)
    drivers = [(way.lower() in _UP_DRIVER, stem_set(what), f"{way} {what}")
               for way, what in _DRIVER.findall(gold)]
    said_ways = [(m.group(1).lower() in _UP_DRIVER, stem_set(m.group(2)), m)
                 for m in _DRIVER.finditer(said)]
    for up, stems, shown in drivers:
        if any(stems and stems <= s and u == up for u, s, _ in said_ways):
            continue
        for said_up, said_stems, m in said_ways:
            if stems and stems <= said_stems and up != said_up and not _NOT_SO.search(
                    said[max(0, m.start() - 20):m.start()]):
                return m.group(0), shown
    return None


# a vote's or an application's outcome: "was defeated" against "was approved"
_PASSED = re.compile(r"(?i)\b(?:approved|passed|adopted|carried|ratified|accepted|granted)\b")
_FAILED = re.compile(r"(?i)\b(?:defeated|rejected|failed|voted down|denied|not (?:approved|"
                     r"passed|adopted|carried|ratified|accepted|granted))\b")


def _other_outcome(gold: str, said: str) -> tuple[str, str] | None:
    """(the answer's outcome, the gold's) when the gold says a proposal passed and the
    answer that it failed, or the other way round ("approved by shareholders" for "was
    defeated")."""
    for one, other in ((_PASSED, _FAILED), (_FAILED, _PASSED)):
        gold_said = one.search(gold)
        if gold_said is None or other.search(gold) is not None:
            continue
        found = other.search(said)
        if found is not None and one.search(said) is None:
            return found.group(0), gold_said.group(0)
    return None


def _plain(text: str) -> str:
    """A statement's words, without its label and conclusion opener, in lower case."""
    return " ".join(re.findall(r"\w+", unlabelled(text).lower()))


# "The real growth was flat", "sales were unchanged": no change, and no direction either way
_FLAT = re.compile(r"(?i)\b(?:(?:was|were|is|are|remained|stayed|held|been|essentially|"
                   r"broadly|roughly)\s+(?:flat|unchanged|stable)|no (?:material |significant )?"
                   r"change)\b")


# a change that denies "flat": a share of 2% or more ("a decline of 4%"), or a word that calls
# it large; an amount alone ("an increase of $98 million") or 1% is within what "flat" means
_PERCENTS = re.compile(r"(?<![\d.,])(\d+(?:\.\d+)?)\s*(?:%|percent\b)")
_LARGE = re.compile(r"(?i)\b(?:significant|substantial|sharp|steep|strong|considerabl|"
                    r"dramatic|marked)\w*")


_STEADY = re.compile(r"(?i)\b(?:steady|flat|unchanged|constant|(?:hold|keep|maintain)\w*\s+"
                     r"(?:\w+\s+){0,3}?(?:steady|flat|constant|unchanged|at (?:current|the same)))\b")


def _flat_against(gold: str, said: str) -> bool:
    """Whether ``said``, which gives the asked figure a direction, contradicts a gold that
    says it was flat ("The real growth was flat" against "... was a decline of 4%")."""
    if not _FLAT.search(gold.split(".")[0]) or _FLAT.search(said):
        return False
    return bool(_LARGE.search(said)) or any(float(p) >= 2 for p in _PERCENTS.findall(said))


def _gold_direction(gold: str) -> str | None:
    """The direction of change the gold's first statement gives, "up" or "down"; none for a
    gold that says there was no change ("The real growth was flat": its "growth" names the
    figure, not a rise)."""
    first = gold.split(".")[0]
    return None if _FLAT.search(first) else direction(first)


# "As a result, the operating margin decreased": a conclusion drawn from what came before
_AS_A_RESULT = re.compile(r"(?i)^\W*(?:as a (?:result|consequence)|consequently)\b")


def _concluded_direction(case: Case) -> tuple[Sentence, str] | None:
    """The direction the answer concludes on: its last statement drawn from the working
    ("Therefore, ...", "As a result, the operating margin decreased") that says which way
    the asked figure went; an opening that names a change in passing ("the acquisition,
    which expanded the product portfolio") does not outweigh it."""
    terms = question_terms(case.question)
    found = None
    for sentence in case.reading.sentences[1:]:
        if sentence.start >= case.reading.illustration_start:
            break
        if concludes(sentence.text) or _AS_A_RESULT.search(sentence.text):
            # a concession is not the claim ("while SG&A decreased ..., wages increased")
            way = _asked_direction(conceded_away(sentence.text), terms)
            found = (sentence, way) if way else found
    return found


_TOKEN = re.compile(r"[A-Za-z][\w&'\-]*")
_ASIDE = re.compile(r",\s+(?:excluding|including|net of|adjusted for|before|after)\b[^,.;:]{0,80},")


def _asked_direction(text: str, terms: frozenset[str]) -> str | None:
    """The direction ``text`` gives the question's figure: a word of change within three
    words after one of the question's words ("the operating margin percentage decreased",
    "the real change in sales, ..., was a decline of 4%"); a change said of something else
    ("potential revenue growth" when margins are asked) is not the answer's."""
    # (an aside between commas separates the figure from its change: "the real change in
    # sales, excluding FX, was a decline of 4%")
    words = [w.group().lower() for w in _TOKEN.finditer(_ASIDE.sub(" ", text))]
    ways = set()
    for index, word in enumerate(words):
        way = direction(word)
        # (read with its neighbours: "fall into", "tied up" move nothing)
        if way and direction(" ".join(words[max(0, index - 1):index + 2])) is None:
            continue
        if way and any(w[:5] in terms for w in words[max(0, index - 3):index]):
            ways.add(way)
    return ways.pop() if len(ways) == 1 else None


# "These divisions reflect ...", "Those are ...", "All of the above are ...": a statement
# that points back to what came before it
_POINTS_BACK = re.compile(r"(?i)^\W*(?:(?:in summary|overall|therefore|thus|so),?\s+)?"
                          r"(?:these|those|all of (?:these|the above)|the above)\b")


def _list_before(case: Case, sentence: Sentence) -> list[Sentence]:
    """The list items right before ``sentence`` (up to 40), or none."""
    items: list[Sentence] = []
    for before in reversed(case.reading.sentences[max(0, sentence.index - 40):sentence.index]):
        if not _LIST_ITEM.match(before.text):
            break
        items.insert(0, before)
    return items


def _concluding_list(case: Case, committed: Sentence | None) -> Sentence | None:
    """A conclusion drawn from the working that introduces a list ("Therefore, the primary
    geographies that X operates in are:" and its items), after an opening statement: the
    answer commits to that list, not to what it said before concluding."""
    if committed is None:
        return None
    terms = question_terms(case.question)
    sentences = case.reading.sentences
    for sentence in sentences[committed.index + 1:]:
        if sentence.start >= case.reading.illustration_start:
            break
        text = sentence.text.rstrip()
        if (text.endswith(":") and concludes(text)
                and sentence.index + 1 < len(sentences)
                and _LIST_ITEM.match(sentences[sentence.index + 1].text)
                and len(stem_set(text) & terms) >= max(2, 0.5 * len(terms))):
            return sentence
    return None


def _metric_rejected(case: Case, committed: Sentence | None) -> Judgement:
    """The gold says the question's metric does not apply: so must the answer."""
    for sentence in case.reading.sentences:
        # rule 5: a hedged claim ("it might not be the most relevant metric") does not commit
        # an answer that has declined
        if NOT_APPLICABLE.search(sentence.text) and not (case.refusals
                                                         and HEDGED.search(sentence.text)):
            return Judgement("correct", f"says the metric does not apply in "
                                        f"{case.statement(sentence)}, as the gold does")
    if case.refusals and committed is None and not _commits(case):
        return refusal(case)
    return Judgement("incorrect", "answers with the metric where the gold says it does not "
                                  "apply to this company")
